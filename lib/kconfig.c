#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kconfig.h"
#include "opts.h"
#include "scenario.h"

static struct {
	bool loaded;
	char source[300];
	char **lines; /* "NAME=VALUE" without CONFIG_, set options only */
	size_t n;
} kc;

void cb_kconfig_reset(void)
{
	for (size_t i = 0; i < kc.n; i++)
		free(kc.lines[i]);
	free(kc.lines);
	memset(&kc, 0, sizeof(kc));
}

/* Keeps the set options of a .config stream; returns how many CONFIG_ lines it had, set or not,
 * so an empty or failed read is told from a config that sets nothing asked for. */
static int kconfig_read(FILE *f)
{
	char *line = NULL, **grown;
	size_t cap = 0, alloc = 0;
	ssize_t len;
	int seen = 0;

	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (!strncmp(line, "# CONFIG_", 9) && strstr(line, " is not set")) {
			seen++;
			continue;
		}
		if (strncmp(line, "CONFIG_", 7) || !strchr(line, '='))
			continue;
		seen++;
		if (kc.n == alloc) {
			alloc = alloc ? 2 * alloc : 512;
			grown = realloc(kc.lines, alloc * sizeof(*kc.lines));
			if (!grown)
				break;
			kc.lines = grown;
		}
		if (!(kc.lines[kc.n] = strdup(line + 7)))
			break;
		kc.n++;
	}
	free(line);
	return seen;
}

static void kconfig_load(void)
{
	const char *env = getenv("COWBENCH_KCONFIG");
	struct utsname u;
	char path[300];
	FILE *f;

	if (kc.loaded)
		return;
	kc.loaded = true;
	if (env && *env) {
		if ((f = fopen(env, "re"))) {
			if (kconfig_read(f) > 0)
				snprintf(kc.source, sizeof(kc.source), "%s", env);
			fclose(f);
		}
		return;
	}
	/* zcat rather than a new library dependency; its exit status tells a truncated read. */
	if (access("/proc/config.gz", R_OK) == 0 && (f = popen("zcat /proc/config.gz 2>/dev/null", "re"))) {
		int seen = kconfig_read(f);

		if (pclose(f) == 0 && seen > 0) {
			snprintf(kc.source, sizeof(kc.source), "/proc/config.gz");
			return;
		}
		cb_kconfig_reset();
		kc.loaded = true;
	}
	if (uname(&u) == 0) {
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		if ((f = fopen(path, "re"))) {
			if (kconfig_read(f) > 0)
				snprintf(kc.source, sizeof(kc.source), "%s", path);
			fclose(f);
		}
	}
}

const char *cb_kconfig_source(void)
{
	kconfig_load();
	return kc.source[0] ? kc.source : NULL;
}

int cb_kconfig_get(const char *opt, char *val, size_t len)
{
	size_t n = strlen(opt);

	if (!cb_kconfig_source())
		return -ENOENT;
	for (size_t i = 0; i < kc.n; i++) {
		const char *v = kc.lines[i] + n + 1;

		if (strncmp(kc.lines[i], opt, n) || kc.lines[i][n] != '=')
			continue;
		if (*v == '"') {
			snprintf(val, len, "%.*s", (int)strcspn(v + 1, "\""), v + 1);
		} else {
			snprintf(val, len, "%s", v);
		}
		return strcmp(val, "n") != 0;
	}
	if (len)
		val[0] = '\0';
	return 0;
}

int cb_kconfig_needs(const struct cb_scenario *s, const char *backing, const struct cb_opts *o,
		     const char **opts, int max)
{
	bool swap = (s->needs & CB_NEED_SWAP) || !strncmp(backing, "swap", 4);
	int n = 0;

#define NEED(opt)                                                                          \
	do {                                                                               \
		if (n < max)                                                               \
			opts[n++] = opt;                                                   \
	} while (0)
	/* PFNs, kpageflags and kpagecount; the counting pass's fault and flush counters. */
	if (s->needs & CB_NEED_PRIV) {
		NEED("PROC_PAGE_MONITOR");
		NEED("PERF_EVENTS");
	}
	if (strstr(backing, "thp"))
		NEED("TRANSPARENT_HUGEPAGE");
	if (swap) {
		NEED("SWAP");
		if (!o->swap[0] || !strcmp(o->swap, "zram"))
			NEED("ZRAM");
	}
	if (!strncmp(s->name, "pressure_", 9))
		NEED("MEMCG");
	if (!strcmp(s->name, "pin_iouring"))
		NEED("IO_URING");
	if (!strncmp(s->name, "tlb_", 4))
		NEED("TRACEPOINTS");
	if (o->numa[0])
		NEED("NUMA");
#undef NEED
	return n;
}

bool cb_kconfig_lacks(const struct cb_scenario *s, const char *backing, const struct cb_opts *o,
		      char *reason, size_t len)
{
	const char *need[16];
	char val[64];
	int n = cb_kconfig_needs(s, backing, o, need, 16);

	for (int i = 0; i < n; i++) {
		if (cb_kconfig_get(need[i], val, sizeof(val)) == 0) {
			snprintf(reason, len, "kernel built without CONFIG_%s (%s)", need[i],
				 cb_kconfig_source());
			return true;
		}
	}
	return false;
}
