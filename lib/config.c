#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backing.h"
#include "config.h"
#include "scenario.h"

#define CB_THP_DIR "/sys/kernel/mm/transparent_hugepage"
#define CB_LINE_MAX 1024
#define CB_ARGS_MAX 32

static char *cb_trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static bool cb_word_in(const char *w, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(w, *list) == 0)
			return true;
	return false;
}

/* thp_enabled / thp_defrag / mthp_<size>: a THP sysfs file and the words it accepts. */
static int cb_config_setting(struct cb_config *cfg, const char *key, const char *val, int line, char *why,
			     size_t whylen)
{
	static const char *const thp_enabled[] = { "always", "madvise", "never", NULL };
	static const char *const thp_defrag[] = { "always", "defer", "defer+madvise", "madvise", "never", NULL };
	static const char *const mthp_enabled[] = { "always", "inherit", "madvise", "never", NULL };
	struct cb_config_setting *s;
	const char *const *words;
	char path[256];

	if (strcmp(key, "thp_enabled") == 0) {
		words = thp_enabled;
		snprintf(path, sizeof(path), CB_THP_DIR "/enabled");
	} else if (strcmp(key, "thp_defrag") == 0) {
		words = thp_defrag;
		snprintf(path, sizeof(path), CB_THP_DIR "/defrag");
	} else if (strncmp(key, "mthp_", 5) == 0) {
		size_t bytes;

		if (cb_size_parse(key + 5, &bytes) || bytes % 1024) {
			snprintf(why, whylen, "bad mTHP size in '%s' (want e.g. mthp_64K)", key);
			return -1;
		}
		words = mthp_enabled;
		snprintf(path, sizeof(path), CB_THP_DIR "/hugepages-%zukB/enabled", bytes / 1024);
	} else {
		snprintf(why, whylen, "unknown key '%s'", key);
		return -1;
	}
	if (!cb_word_in(val, words)) {
		int off = snprintf(why, whylen, "%s: bad value '%s' (want", key, val);

		for (; *words && off < (int)whylen; words++)
			off += snprintf(why + off, whylen - off, " %s", *words);
		if (off < (int)whylen)
			snprintf(why + off, whylen - off, ")");
		return -1;
	}
	/* By file, not key: mthp_2M and mthp_2048K are the same setting. */
	for (int i = 0; i < cfg->nsettings; i++)
		if (strcmp(cfg->settings[i].path, path) == 0) {
			snprintf(why, whylen, "%s set twice (first at line %d)", key, cfg->settings[i].line);
			return -1;
		}
	if (cfg->nsettings == CB_CONFIG_SETTINGS_MAX) {
		snprintf(why, whylen, "too many settings");
		return -1;
	}
	s = &cfg->settings[cfg->nsettings++];
	snprintf(s->key, sizeof(s->key), "%s", key);
	snprintf(s->path, sizeof(s->path), "%s", path);
	snprintf(s->value, sizeof(s->value), "%s", val);
	s->line = line;
	return 0;
}

static int cb_config_default(struct cb_config *cfg, const char *key, const char *val, int line, char *why,
			     size_t whylen)
{
	static const struct {
		const char *key;
		unsigned flag;
	} keys[] = {
		{ "size", CB_OPT_SIZE }, { "repeat", CB_OPT_REPEAT }, { "warmup", CB_OPT_WARMUP },
		{ "cpu", CB_OPT_CPU }, { "backing", CB_OPT_BACKING }, { "swap", CB_OPT_SWAP },
		{ "swap_size", CB_OPT_SWAP_SIZE }, { "swap_comp", CB_OPT_SWAP_COMP }, { "swapfile", CB_OPT_SWAPFILE },
		{ "target_ci", CB_OPT_TARGET_CI }, { "max_repeat", CB_OPT_MAX_REPEAT }, { "max_time", CB_OPT_MAX_TIME },
	};
	char opt[48];
	char *argv[2] = { opt, (char *)val };

	if (strcmp(key, "order") == 0) {
		if (cfg->order_line) {
			snprintf(why, whylen, "order set twice (first at line %d)", cfg->order_line);
			return -1;
		}
		if (strcmp(val, "interleaved") == 0) {
			cfg->order = CB_ORDER_INTERLEAVED;
		} else if (strcmp(val, "sequential") == 0) {
			cfg->order = CB_ORDER_SEQUENTIAL;
		} else {
			snprintf(why, whylen, "order: bad value '%s' (want interleaved or sequential)", val);
			return -1;
		}
		cfg->order_line = line;
		return 0;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(key, keys[i].key) != 0)
			continue;
		if (cfg->default_line[i]) {
			snprintf(why, whylen, "%s set twice (first at line %d)", key, cfg->default_line[i]);
			return -1;
		}
		cfg->default_line[i] = line;
		snprintf(opt, sizeof(opt), "--%s", key);
		if (cb_opts_parse(2, argv, &cfg->defaults, keys[i].flag, why, whylen) < 0)
			return -1;
		return 0;
	}
	return cb_config_setting(cfg, key, val, line, why, whylen);
}

/* Splits a run line into words; options are validated against the scenario afterwards. */
static int cb_config_run(struct cb_config *cfg, char *val, int line, char *why, size_t whylen)
{
	char *argv[CB_ARGS_MAX], *save = NULL;
	struct cb_config_run *run, *runs;
	const struct cb_scenario *s;
	int argc = 0, used;

	for (char *w = strtok_r(val, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (argc == CB_ARGS_MAX) {
			snprintf(why, whylen, "too many words in run line");
			return -1;
		}
		argv[argc++] = w;
	}
	if (!argc) {
		snprintf(why, whylen, "run needs a scenario");
		return -1;
	}
	s = cb_scenario_find(argv[0]);
	if (!s) {
		snprintf(why, whylen, "unknown scenario '%s' (see cowbench list)", argv[0]);
		return -1;
	}
	runs = realloc(cfg->runs, sizeof(*runs) * (size_t)(cfg->nruns + 1));
	if (!runs) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	cfg->runs = runs;
	run = &runs[cfg->nruns];
	memset(run, 0, sizeof(*run));
	snprintf(run->scenario, sizeof(run->scenario), "%s", s->name);
	run->line = line;
	run->opts.set = 0;
	used = cb_opts_parse(argc - 1, argv + 1, &run->opts, CB_OPT_RUN, why, whylen);
	if (used < 0)
		return -1;
	if (used != argc - 1) {
		snprintf(why, whylen, "unexpected '%s' in run line", argv[1 + used]);
		return -1;
	}
	cfg->nruns++;
	return 0;
}

/* `all`: every backing this kernel offers that the scenario has. A comma list (`base,thp,
 * mthp_64K`): those of its names the scenario has, so one suite-wide list serves every scenario;
 * a size this kernel lacks stays, and its instance skips saying so. One name: it, or an error. */
int cb_config_backings(const char *spec, const struct cb_scenario *s, char (*names)[32], int max, char *err,
		       size_t errlen)
{
	char list[64][32];
	int k = 0, n = 0;

	if (strcmp(spec, "all") == 0) {
		k = cb_backing_all(list, 64);
	} else if (!strchr(spec, ',')) {
		if (!cb_backing_name_ok(spec)) {
			snprintf(err, errlen, "unknown backing '%s' (want base, thp, thp_pte, thp_single_pte,"
				 " mthp_<size>, sys, a comma list of them, or all)", spec);
			return -1;
		}
		if (!cb_scenario_has_backing(s, spec)) {
			snprintf(err, errlen, "%s has no backing '%s' (it has: %s)", s->name, spec, s->backings);
			return -1;
		}
		snprintf(names[0], 32, "%s", spec);
		return 1;
	} else {
		for (const char *p = spec; *p && k < 64; p += *p == ',') {
			size_t len = strcspn(p, ",");

			if (!len || len >= sizeof(list[0])) {
				snprintf(err, errlen, "backing list '%s': an empty or overlong name", spec);
				return -1;
			}
			memcpy(list[k], p, len);
			list[k][len] = 0;
			p += len;
			if (!cb_backing_name_ok(list[k]) || !strcmp(list[k], "all")) {
				snprintf(err, errlen, "backing list '%s': unknown backing '%s'", spec, list[k]);
				return -1;
			}
			for (int j = 0; j < k; j++)
				if (!strcmp(list[j], list[k])) {
					snprintf(err, errlen, "backing list '%s': '%s' twice", spec, list[k]);
					return -1;
				}
			k++;
		}
	}
	for (int j = 0; j < k && n < max; j++)
		if (cb_scenario_has_backing(s, list[j]))
			memcpy(names[n++], list[j], 32);
	return n;
}

/* Run lines keep only what they set; the suite defaults fill the rest once all keys are read,
 * so a key's position in the file does not matter. `--backing all` becomes one run line per
 * backing this kernel offers and the scenario supports. */
static int cb_config_finish(struct cb_config *cfg, const char *name, char *err, size_t errlen)
{
	struct cb_config_run *done = NULL;
	int ndone = 0;
	char why[256];

	/* repeat = auto and its keys: checked once for the suite, where the keys are. */
	if (cb_opts_finish(&cfg->defaults, why, sizeof(why))) {
		int line = 0;

		for (int k = 9; k < 12; k++)
			if (cfg->default_line[k] && (!line || cfg->default_line[k] < line))
				line = cfg->default_line[k];
		snprintf(err, errlen, "%s:%d: %s", name, line, why);
		return -1;
	}
	for (int i = 0; i < cfg->nruns; i++) {
		struct cb_config_run *run = &cfg->runs[i];
		struct cb_opts o = cfg->defaults;
		const struct cb_scenario *s = cb_scenario_find(run->scenario);
		char names[64][32];
		int nnames;

		if (run->opts.set & CB_OPT_BACKING)
			memcpy(o.backing, run->opts.backing, sizeof(o.backing));
		if (run->opts.set & CB_OPT_SIZE)
			o.size = run->opts.size;
		if (run->opts.set & CB_OPT_REPEAT) {
			o.repeat = run->opts.repeat;
			o.repeat_auto = run->opts.repeat_auto;
		}
		if (run->opts.set & CB_OPT_TARGET_CI)
			o.target_ci = run->opts.target_ci;
		if (run->opts.set & CB_OPT_MAX_REPEAT)
			o.max_repeat = run->opts.max_repeat;
		if (run->opts.set & CB_OPT_MAX_TIME)
			o.max_time = run->opts.max_time;
		if (run->opts.set & CB_OPT_WARMUP)
			o.warmup = run->opts.warmup;
		if (run->opts.set & CB_OPT_CPU)
			o.cpu = run->opts.cpu;
		if (run->opts.set & CB_OPT_NUMA)
			memcpy(o.numa, run->opts.numa, sizeof(o.numa));
		if (run->opts.set & CB_OPT_EVENTS)
			memcpy(o.events, run->opts.events, sizeof(o.events));
		if (run->opts.set & CB_OPT_SIBLINGS)
			o.siblings = run->opts.siblings;
		if (run->opts.set & CB_OPT_THREADS)
			o.threads = run->opts.threads;
		if (run->opts.set & CB_OPT_PROCESSES)
			o.processes = run->opts.processes;
		if (run->opts.set & CB_OPT_SWAP)
			memcpy(o.swap, run->opts.swap, sizeof(o.swap));
		o.set = run->opts.set;
		if (cb_opts_finish(&o, why, sizeof(why))) {
			snprintf(err, errlen, "%s:%d: %s", name, run->line, why);
			goto fail;
		}
		nnames = cb_config_backings(o.backing, s, names, 64, why, sizeof(why));
		if (nnames < 0) {
			snprintf(err, errlen, "%s:%d: %s", name, run->line, why);
			goto fail;
		}
		/* A line that would run nothing is a mistake, not a choice. */
		if (nnames == 0) {
			snprintf(err, errlen, "%s:%d: %s has none of the backings '%s' (it has: %s)", name, run->line,
				 s->name, o.backing, s->backings);
			goto fail;
		}
		for (int j = 0; j < nnames; j++) {
			struct cb_config_run *more = realloc(done, sizeof(*done) * (size_t)(ndone + 1));

			if (!more) {
				snprintf(err, errlen, "%s: out of memory", name);
				goto fail;
			}
			done = more;
			done[ndone] = *run;
			done[ndone].opts = o;
			/* Same-size NUL-terminated arrays; snprintf here trips aarch64 gcc 12's format-truncation. */
			memcpy(done[ndone].opts.backing, names[j], sizeof(names[j]));
			ndone++;
		}
	}
	free(cfg->runs);
	cfg->runs = done;
	cfg->nruns = ndone;
	return 0;
fail:
	free(done);
	return -1;
}

int cb_config_parse_text(const char *name, const char *text, struct cb_config *cfg, char *err, size_t errlen)
{
	char why[384];
	int lineno = 0;

	memset(cfg, 0, sizeof(*cfg));
	cb_opts_defaults(&cfg->defaults);
	while (*text) {
		char buf[CB_LINE_MAX], *line, *eq, *key, *val;
		size_t len = strcspn(text, "\n");

		lineno++;
		if (len >= sizeof(buf)) {
			snprintf(err, errlen, "%s:%d: line too long", name, lineno);
			goto fail;
		}
		memcpy(buf, text, len);
		buf[len] = '\0';
		text += len + (text[len] == '\n');
		buf[strcspn(buf, "#")] = '\0';
		line = cb_trim(buf);
		if (!*line)
			continue;
		eq = strchr(line, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%d: expected 'key = value', got '%s'", name, lineno, line);
			goto fail;
		}
		*eq = '\0';
		key = cb_trim(line);
		val = cb_trim(eq + 1);
		if (!*key || !*val) {
			snprintf(err, errlen, "%s:%d: %s", name, lineno, *key ? "missing value" : "missing key");
			goto fail;
		}
		if (strcmp(key, "run") == 0 ? cb_config_run(cfg, val, lineno, why, sizeof(why))
					    : cb_config_default(cfg, key, val, lineno, why, sizeof(why))) {
			snprintf(err, errlen, "%s:%d: %s", name, lineno, why);
			goto fail;
		}
	}
	if (!cfg->nruns) {
		snprintf(err, errlen, "%s: no run lines", name);
		goto fail;
	}
	if (cb_config_finish(cfg, name, err, errlen))
		goto fail;
	return 0;
fail:
	cb_config_free(cfg);
	return -1;
}

int cb_config_parse_mem(const char *name, const char *text, size_t len, struct cb_config *cfg, char *err,
			size_t errlen)
{
	const char *nul = memchr(text, '\0', len);
	int line = 1;

	/* A NUL would end the C string early and hide every line after it. */
	if (nul) {
		for (const char *p = text; p < nul; p++)
			line += *p == '\n';
		memset(cfg, 0, sizeof(*cfg));
		snprintf(err, errlen, "%s:%d: NUL byte", name, line);
		return -1;
	}
	return cb_config_parse_text(name, text, cfg, err, errlen);
}

int cb_config_parse_file(const char *path, struct cb_config *cfg, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0, cap = 0;
	struct stat st;
	int ret, fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0 || fstat(fd, &st)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CB_CONFIG_MAX_BYTES) {
		snprintf(err, errlen, "%s: %s", path, S_ISREG(st.st_mode) ? "larger than 1 MiB" : "not a regular file");
		close(fd);
		return -1;
	}
	for (;;) {
		ssize_t n;

		if (len + 4096 + 1 > cap) {
			char *more = realloc(text, cap = len + 65536);

			if (!more) {
				snprintf(err, errlen, "%s: out of memory", path);
				free(text);
				close(fd);
				return -1;
			}
			text = more;
		}
		n = read(fd, text + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			free(text);
			close(fd);
			return -1;
		}
		if (!n || len + (size_t)n > CB_CONFIG_MAX_BYTES)
			break;
		len += (size_t)n;
	}
	close(fd);
	text[len] = '\0';
	ret = cb_config_parse_mem(path, text, len, cfg, err, errlen);
	free(text);
	return ret;
}

void cb_config_free(struct cb_config *cfg)
{
	free(cfg->runs);
	cfg->runs = NULL;
	cfg->nruns = 0;
}
