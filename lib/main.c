/* cowbench command line: list, run, suite, env, restore, overhead, compare, plot. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "backing.h"
#include "cb.h"
#include "cmpcommon.h"
#include "compare.h"
#include "config.h"
#include "env.h"
#include "lock.h"
#include "noise.h"
#include "opts.h"
#include "overhead.h"
#include "progress.h"
#include "proc.h"
#include "record.h"
#include "report.h"
#include "runner.h"
#include "scenario.h"
#include "settings.h"
#include "suite.h"
#include "timer.h"

#define EXIT_USAGE 2
/* Another cowbench holds the machine lock, and this run was told not to wait (longer). */
#define EXIT_BUSY 4

/* This process's command line, for the machine lock's status (what a waiting run names). */
static char cmdline[256];

static const char usage_main[] =
	"usage: cowbench COMMAND [options]\n"
	"\n"
	"Measures anonymous-memory faults, fork and copy-on-write: for every COW write fault, whether\n"
	"the kernel copied or reused the page, with fault latency, TLB flushes and perf counters.\n"
	"\n"
	"commands:\n"
	"  list                          scenarios and their backings\n"
	"  run SCENARIO [options]        run one scenario: records (JSON Lines) to stdout or --out FILE,\n"
	"                                a summary to stderr\n"
	"  suite CONFIG [--out DIR]      run a config (default DIR: results/<kernel release>/<run id>)\n"
	"  suite --dry-run CONFIG        list a config's instances and the estimated time; runs nothing\n"
	"  env                           print the environment record (env.json)\n"
	"  restore                       put back kernel settings left changed by a run that was killed\n"
	"  overhead [--size S] [--repeat N]\n"
	"                                cost of the timer, the counters and the classification\n"
	"  compare [--format F] [--out DIR] [--force] BASELINE OTHER...\n"
	"                                compare result directories with the first: statistics,\n"
	"                                significance, behaviour changes (text, markdown, csv, tsv,\n"
	"                                json, html)\n"
	"  plot [--out DIR] RESULT_DIR...\n"
	"                                gnuplot plots (PNG and SVG) of result sets against each other\n"
	"\n"
	"run options:\n"
	"  --backing NAME   base, thp, thp_pte, thp_single_pte, mthp_<size> (e.g. mthp_64K), sys\n"
	"                   (the machine's own THP settings, no madvise), or all (every one but sys)\n"
	"                   (default base; cowbench list shows what this kernel offers)\n"
	"  --size S         region size, e.g. 64M, 1G (default 64M)\n"
	"  --repeat N       repetitions, each a timing pass and a counting pass (default 5)\n"
	"  --warmup N       untimed passes first (default 1)\n"
	"  --cpu N|auto     CPU to pin to (default: the highest allowed CPU)\n"
	"  --out FILE       write records to FILE instead of stdout\n"
	"  --numa MODE      local (memory on the CPU's node), remote (memory on another node; skip\n"
	"                   with one node) or interleave (over every node)\n"
	"  --events LIST    hardware events, libpfm4 names, comma-separated, instead of the default\n"
	"                   set (cycles, instructions, TLB misses; page walks where the PMU names them)\n"
	"  --siblings N     sibling threads spinning in the mm on other CPUs (tlb scenarios)\n"
	"  --threads N      N threads fault their own part of one mapping at once, one per CPU\n"
	"                   (fault_anon, fault_mmap_contention; skip with fewer CPUs)\n"
	"  --processes N    the same with N processes (fault_anon)\n"
	"  --swap KIND      swap for scenarios that need it: zram (default), swapfile, existing or\n"
	"                   none (set up for the instance, taken down after)\n"
	"\n"
	"  --no-wait        run, suite, overhead, restore: exit 4 at once when another cowbench holds\n"
	"                   the machine lock (one measurement per machine) instead of waiting\n"
	"  --wait-timeout S wait at most S seconds for it, then exit 4 (default: as long as it\n"
	"                   takes, or $COWBENCH_WAIT_TIMEOUT)\n"
	"\n"
	"Every command takes --help. Exit status: 0 ok (skips included), 1 a fail or error, 2 usage,\n"
	"4 another cowbench holds the machine lock (--no-wait, --wait-timeout).\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "cowbench: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see cowbench --help)\n");
	return EXIT_USAGE;
}

static bool wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

struct wait_opts {
	bool no_wait;
	double timeout;             /* seconds; < 0: as long as it takes */
};

/* Takes --no-wait and --wait-timeout S (or =S) out of argv, wherever they are; the default
 * timeout is $COWBENCH_WAIT_TIMEOUT's. Returns 0, or EXIT_USAGE with the reason printed. */
static int take_wait_opts(int *argc, char **argv, struct wait_opts *w)
{
	const char *env = getenv("COWBENCH_WAIT_TIMEOUT"), *val;
	char *end;

	w->no_wait = false;
	w->timeout = -1;
	if (env && *env) {
		w->timeout = strtod(env, &end);
		if (*end || w->timeout < 0)
			return usage_error("COWBENCH_WAIT_TIMEOUT=%s: want seconds, e.g. 600", env);
	}
	for (int i = 0; i < *argc;) {
		int used = 1;

		if (strcmp(argv[i], "--no-wait") == 0) {
			w->no_wait = true;
		} else if (strcmp(argv[i], "--wait-timeout") == 0 || strncmp(argv[i], "--wait-timeout=", 15) == 0) {
			if (argv[i][14] == '=') {
				val = argv[i] + 15;
			} else if (i + 1 < *argc) {
				val = argv[i + 1];
				used = 2;
			} else {
				return usage_error("--wait-timeout: how many seconds?%s", "");
			}
			errno = 0;
			w->timeout = strtod(val, &end);
			if (!*val || errno || (*end && strcmp(end, "s")) || w->timeout < 0 || w->timeout > 86400 * 7)
				return usage_error("--wait-timeout '%s': want seconds, e.g. 600 or 1.5", val);
		} else {
			i++;
			continue;
		}
		memmove(&argv[i], &argv[i + used], sizeof(*argv) * (size_t)(*argc - i - used));
		*argc -= used;
	}
	return 0;
}

static void print_waiting(const char *holder)
{
	fprintf(stderr, "cowbench: waiting for the machine lock %s, held by %s\n", cb_lock_path(),
		holder[0] ? holder : "a process that just ended");
	fflush(stderr);
}

/*
 * One measurement per machine: a command that measures or changes settings runs alone. It waits
 * its turn (as told by w) with one line naming the holder. Unprivileged runs change nothing and
 * are not asked to wait (nor may they make root's runs wait). Returns 0 (go on) or the exit status.
 */
static int machine_lock(const struct wait_opts *w)
{
	char holder[768];
	int ret;

	if (!cb_is_privileged())
		return 0;
	ret = cb_lock_take(w->no_wait ? 0 : w->timeout, cmdline, print_waiting);
	if (!ret)
		return 0;
	if (ret == -EBUSY || ret == -ETIMEDOUT) {
		cb_lock_holder(holder, sizeof(holder));
		if (ret == -EBUSY)
			fprintf(stderr, "cowbench: not waiting (--no-wait): the machine lock %s is held by %s\n",
				cb_lock_path(), holder[0] ? holder : "a process that just ended");
		else
			fprintf(stderr, "cowbench: gave up after %g s (--wait-timeout): the machine lock %s is held by %s\n",
				w->timeout, cb_lock_path(), holder[0] ? holder : "a process that just ended");
		return EXIT_BUSY;
	}
	fprintf(stderr, "cowbench: machine lock %s: %s\n", cb_lock_path(), strerror(-ret));
	return 1;
}

/* A journal left by a killed run is replayed before anything is measured: its settings would
 * otherwise distort this run. */
static void recover_stale_settings(void)
{
	int restored, ret;

	if (!cb_is_privileged())
		return;
	ret = cb_settings_recover(&restored);
	if (ret == -EBUSY)
		fprintf(stderr, "cowbench: warning: another cowbench run holds %s; its settings are in effect\n",
			cb_settings_journal_path());
	else if (ret)
		fprintf(stderr, "cowbench: restore from %s: %s\n", cb_settings_journal_path(), strerror(-ret));
}

static int cmd_list(int argc, char **argv)
{
	const struct cb_scenario **all;
	size_t n = cb_scenario_all(&all);
	char names[64][32], here[2048] = "";
	int nb, off = 0;

	if (wants_help(argc, argv)) {
		printf("usage: cowbench list\nLists every scenario: id, backings, what one op is.\n");
		return 0;
	}
	if (argc > 0)
		return usage_error("list: unexpected argument '%s'", argv[0]);
	nb = cb_backing_all(names, 64);
	for (int k = 0; k < nb; k++)
		off += snprintf(here + off, sizeof(here) - (size_t)off, " %s", names[k]);
	printf("backings on this kernel:%s\n\n", here);
	for (size_t i = 0; i < n; i++) {
		printf("%-18s backings: %s\n", all[i]->name, all[i]->backings);
		printf("  %s\n  op: %s\n  invalid if: %s\n", all[i]->description, all[i]->op, all[i]->invalid_if);
	}
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	const struct cb_scenario *s;
	struct cb_opts o;
	struct wait_opts w;
	char err[256], names[64][32];
	FILE *out = stdout;
	int used, status = CB_OK, nb = 1;

	if (wants_help(argc, argv)) {
		printf("usage: cowbench run SCENARIO [--backing B|B,B...|all] [--size S] [--repeat N|auto] [--warmup N] [--cpu N]"
		       " [--out FILE]\n"
		       "  --repeat auto (or any of the three below): repeat until the 95%% CI half-width of the\n"
		       "  mean ns_per_page is at most --target-ci (default 1%%) of the mean, or --max-repeat N\n"
		       "  repetitions (default 30) or --max-time S seconds (default 60) are reached\n"
		       "  --no-wait, --wait-timeout S: when another cowbench holds the machine lock, exit 4 at\n"
		       "  once, or after S seconds, instead of waiting for it\n"
		       "(see cowbench --help and cowbench list)\n");
		return 0;
	}
	if ((used = take_wait_opts(&argc, argv, &w)))
		return used;
	if (argc < 1 || argv[0][0] == '-')
		return usage_error("run: which scenario?%s", "");
	s = cb_scenario_find(argv[0]);
	if (!s)
		return usage_error("run: unknown scenario '%s'", argv[0]);
	cb_opts_defaults(&o);
	used = cb_opts_parse(argc - 1, argv + 1, &o, CB_OPT_RUN | CB_OPT_OUT, err, sizeof(err));
	if (used < 0 || cb_opts_finish(&o, err, sizeof(err)))
		return usage_error("run: %s", err);
	if (used != argc - 1)
		return usage_error("run: unexpected argument '%s'", argv[1 + used]);
	nb = cb_config_backings(o.backing, s, names, 64, err, sizeof(err));
	if (nb < 0)
		return usage_error("run: %s", err);
	if (nb == 0) {
		snprintf(err, sizeof(err), "%s has none of the backings '%s' (it has: %s)", s->name, o.backing,
			 s->backings);
		return usage_error("run: %s", err);
	}
	if ((used = machine_lock(&w)))
		return used;
	if (o.out[0] && !(out = fopen(o.out, "we"))) {
		fprintf(stderr, "cowbench: %s: %s\n", o.out, strerror(errno));
		return 1;
	}
	recover_stale_settings();
	cb_summary_header(stderr);
	for (int i = 0; i < nb; i++) {
		struct cb_summary_row row;
		char line[256];
		int st;

		if (!cb_scenario_has_backing(s, names[i]))
			continue;
		memcpy(o.backing, names[i], sizeof(names[i]));
		snprintf(line, sizeof(line), "[%d/%d] %s/%s", i + 1, nb, s->name, o.backing);
		cb_lock_progress(line);
		st = cb_instance_run(s, &o, NULL, out, &row);
		cb_summary_print(stderr, &row);
		if (st == CB_FAIL || st == CB_ERROR)
			status = st;
	}
	if (out != stdout)
		fclose(out);
	return status == CB_OK || status == CB_SKIP ? 0 : 1;
}

static int write_env(const char *path, const char *run_id, const struct cb_config *cfg, const char *cfg_path)
{
	json_object *env = cb_env_collect(), *settings = json_object_new_object();
	int ret;

	if (!env)
		return -ENOMEM;
	json_object_object_add(env, "run_id", run_id ? json_object_new_string(run_id) : NULL);
	json_object_object_add(env, "config", cfg_path ? json_object_new_string(cfg_path) : NULL);
	for (int i = 0; cfg && i < cfg->nsettings; i++)
		json_object_object_add(settings, cfg->settings[i].path, json_object_new_string(cfg->settings[i].value));
	json_object_object_add(env, "settings_applied", settings);
	json_object_object_add(env, "address_layout", json_object_new_string(
		personality(0xffffffff) & ADDR_NO_RANDOMIZE ? "fixed (personality ADDR_NO_RANDOMIZE)" : "randomized"));
	/* repeat = auto: the suite's target and limits (a run line may set its own; records say). */
	if (cfg && cfg->defaults.repeat_auto) {
		json_object *a = json_object_new_object();

		json_object_object_add(a, "target_ci", json_object_new_double(cfg->defaults.target_ci));
		json_object_object_add(a, "max_repeat", json_object_new_int(cfg->defaults.max_repeat));
		json_object_object_add(a, "max_time_s", json_object_new_double(cfg->defaults.max_time));
		json_object_object_add(env, "repeat_auto", a);
	} else {
		json_object_object_add(env, "repeat_auto", NULL);
	}
	/* The order the repetitions ran in (config key `order`). */
	json_object_object_add(env, "order", cfg ? json_object_new_string(cb_order_name(cfg->order)) : NULL);
	/* What makes this run's timings noisy (cowbench env --check): compare and summary.txt say it. */
	json_object_object_add(env, "noise", cb_noise_check(cfg && cfg->nruns ? cfg->runs[0].opts.cpu : -1));
	ret = json_object_to_file_ext(path, env, JSON_C_TO_STRING_PRETTY) ? -EIO : 0;
	json_object_put(env);
	return ret;
}

static void make_run_id(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(buf, len, "%Y%m%d-%H%M%S", &tm);
}

static int copy_file(const char *from, const char *to)
{
	char buf[8192];
	size_t n;
	FILE *in = fopen(from, "re"), *out;
	int ret = 0;

	if (!in)
		return -errno;
	out = fopen(to, "we");
	if (!out) {
		ret = -errno;
		goto close_in;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			ret = -EIO;
	if (fclose(out))
		ret = -errno;
close_in:
	fclose(in);
	return ret;
}

/* Lists the instances and their estimated times: parses and validates, touches nothing (no
 * journal, no sysfs write, no result directory), so it works unprivileged. */
static int suite_dry_run(const char *path, const struct cb_config *cfg)
{
	struct cb_progress p;
	double total = 0;
	char size[16], t[16];

	if (cb_progress_init(&p, NULL, cfg)) {
		fprintf(stderr, "cowbench: out of memory\n");
		return 1;
	}
	printf("dry run of %s: %d instance(s); nothing is run or changed\n", path, cfg->nruns);
	for (int i = 0; i < cfg->nsettings; i++) {
		const struct cb_config_setting *st = &cfg->settings[i];

		printf("setting %s = %s (%s)\n", st->key, st->value, st->path);
		/* Another machine's kernel may offer it: the run itself fails on it, this only warns. */
		if (access(st->path, F_OK))
			fprintf(stderr, "cowbench: warning: %s:%d: %s: not offered by this kernel (%s)\n", path, st->line,
				st->key, st->path);
	}
	printf("%5s  %-18s %-16s %6s %6s %6s %9s\n", "#", "scenario", "backing", "size", "repeat", "warmup",
	       "estimate");
	for (int i = 0; i < cfg->nruns; i++) {
		const struct cb_opts *o = &cfg->runs[i].opts;
		double est = cb_progress_estimate(&p, i);

		total += est;
		cb_size_format(o->size, size, sizeof(size));
		printf("%5d  %-18s %-16s %6s %6d %6d %8.1fs\n", i + 1, cfg->runs[i].scenario, o->backing, size, o->repeat,
		       o->warmup, est);
	}
	cb_progress_fmt(total, t, sizeof(t));
	printf("estimated time: %s (%.0f s; prior costs per scenario kind, rescaled by a run as it measures)\n", t,
	       total);
	cb_progress_free(&p);
	return 0;
}

static int cmd_suite(int argc, char **argv)
{
	char err[512], run_id[64], dir[512], path[600];
	struct cb_config cfg;
	struct cb_opts o;
	struct cb_summary_row *rows = NULL;
	struct cb_progress progress = { 0 };
	struct wait_opts w;
	FILE *out = NULL, *summary = NULL;
	int used, ret, worst = CB_OK;
	bool dry_run = false;

	if (wants_help(argc, argv)) {
		printf("usage: cowbench suite CONFIG [--out DIR]\n"
		       "       cowbench suite --dry-run CONFIG\n"
		       "Runs every `run =` line of CONFIG. Writes DIR/env.json, DIR/results.jsonl (one record per\n"
		       "instance and repetition), DIR/summary.txt and a copy of the config. DIR defaults to\n"
		       "results/<kernel release>/<run id>.\n"
		       "Progress on stderr: a line per instance, \"[i/N] scenario/backing/size ... elapsed M:SS,\n"
		       "ETA M:SS\" (one live line on a terminal); with COWBENCH_PROGRESS=1 also machine lines\n"
		       "\"cowbench-progress start I N SCENARIO BACKING SIZE_BYTES REPEAT\",\n"
		       "\"cowbench-progress rep I N REP REPEAT\" (each later visit of an interleaved suite) and\n"
		       "\"cowbench-progress end I N STATUS\".\n"
		       "--dry-run validates CONFIG (errors name file:line, exit 2), lists its instances with\n"
		       "estimated times and changes nothing.\n"
		       "One suite per machine: while another cowbench runs, it waits, printing one line that\n"
		       "names the other (pid, command, since when, its progress line); --no-wait exits 4 at\n"
		       "once, --wait-timeout S after S seconds. Interrupted (SIGINT, SIGTERM), it restores the\n"
		       "settings and ends with one line: what it restored and where its partial results are.\n");
		return 0;
	}
	if ((used = take_wait_opts(&argc, argv, &w)))
		return used;
	/* --dry-run anywhere: the remaining words are parsed as before. */
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--dry-run") == 0) {
			dry_run = true;
			memmove(&argv[i], &argv[i + 1], sizeof(*argv) * (size_t)(argc - i - 1));
			argc--;
			break;
		}
	if (argc < 1 || argv[0][0] == '-')
		return usage_error("suite: which config file?%s", "");
	cb_opts_defaults(&o);
	used = cb_opts_parse(argc - 1, argv + 1, &o, CB_OPT_OUT, err, sizeof(err));
	if (used < 0)
		return usage_error("suite: %s", err);
	if (used != argc - 1)
		return usage_error("suite: unexpected argument '%s'", argv[1 + used]);
	if (cb_config_parse_file(argv[0], &cfg, err, sizeof(err))) {
		fprintf(stderr, "cowbench: %s\n", err);
		return EXIT_USAGE;
	}
	if (dry_run) {
		if (o.out[0]) {
			cb_config_free(&cfg);
			return usage_error("suite: --dry-run writes nothing: no --out%s", "");
		}
		ret = suite_dry_run(argv[0], &cfg);
		cb_config_free(&cfg);
		return ret;
	}
	ret = machine_lock(&w);
	if (ret) {
		cb_config_free(&cfg);
		return ret;
	}
	make_run_id(run_id, sizeof(run_id));
	if (o.out[0]) {
		snprintf(dir, sizeof(dir), "%s", o.out);
	} else {
		struct utsname u;

		uname(&u);
		snprintf(dir, sizeof(dir), "results/%s/%s", u.release, run_id);
	}
	ret = cb_mkdir_p(dir);
	if (ret) {
		fprintf(stderr, "cowbench: mkdir %s: %s\n", dir, strerror(-ret));
		worst = CB_ERROR;
		goto free_config;
	}
	recover_stale_settings();
	{
		char note[600];

		snprintf(note, sizeof(note), "partial results in %s", dir);
		cb_settings_on_interrupt(note, isatty(STDERR_FILENO));
	}
	for (int i = 0; i < cfg.nsettings; i++) {
		ret = cb_settings_set(cfg.settings[i].path, cfg.settings[i].value);
		if (ret) {
			fprintf(stderr, "cowbench: %s:%d: %s = %s: %s\n", argv[0], cfg.settings[i].line,
				cfg.settings[i].path, cfg.settings[i].value,
				ret == -ENOENT ? "not offered by this kernel" : strerror(-ret));
			worst = CB_ERROR;
			goto restore_settings;
		}
	}
	/* After the settings: env.json must describe the state the scenarios ran in. */
	snprintf(path, sizeof(path), "%s/env.json", dir);
	ret = write_env(path, run_id, &cfg, argv[0]);
	if (ret)
		fprintf(stderr, "cowbench: %s: %s\n", path, strerror(-ret));
	snprintf(path, sizeof(path), "%s/config.conf", dir);
	copy_file(argv[0], path);
	snprintf(path, sizeof(path), "%s/results.jsonl", dir);
	out = fopen(path, "we");
	rows = calloc((size_t)cfg.nruns, sizeof(*rows));
	if (!out || !rows || cb_progress_init(&progress, stderr, &cfg)) {
		fprintf(stderr, "cowbench: %s: %s\n", path, strerror(errno));
		worst = CB_ERROR;
		goto close_out;
	}
	fprintf(stderr, "cowbench: suite %s: %d instance(s) -> %s\n", argv[0], cfg.nruns, dir);
	cb_summary_header(stderr);
	ret = cb_suite_run(&cfg, run_id, out, rows, &progress);
	if (ret == CB_FAIL || (ret == CB_ERROR && worst != CB_FAIL))
		worst = ret;
	snprintf(path, sizeof(path), "%s/summary.txt", dir);
	summary = fopen(path, "we");
	if (summary) {
		json_object *env;

		cb_summary_header(summary);
		for (int i = 0; i < cfg.nruns; i++)
			cb_summary_print(summary, &rows[i]);
		/* The noise sources this run measured under, with their fixes (env.json's "noise"). */
		snprintf(path, sizeof(path), "%s/env.json", dir);
		env = json_object_from_file(path);
		if (cb_jlen(cb_jget(cb_jget(env, "noise"), "warnings"))) {
			fprintf(summary, "\nWarning: noise sources while this ran (cowbench env --check):\n");
			cb_noise_print(summary, cb_jget(env, "noise"), "  ");
		}
		json_object_put(env);
		fclose(summary);
	}
	{
		char took[16];

		cb_progress_fmt(cb_progress_elapsed(&progress), took, sizeof(took));
		fprintf(stderr, "cowbench: results in %s (results.jsonl, env.json, summary.txt); took %s\n", dir, took);
	}
close_out:
	if (out)
		fclose(out);
	free(rows);
	cb_progress_free(&progress);
restore_settings:
	ret = cb_settings_restore();
	if (ret) {
		fprintf(stderr, "cowbench: restoring settings: %s (journal kept: run cowbench restore)\n",
			strerror(-ret));
		worst = CB_ERROR;
	}
free_config:
	cb_config_free(&cfg);
	return worst == CB_OK || worst == CB_SKIP ? 0 : 1;
}

static int cmd_env(int argc, char **argv)
{
	json_object *env;

	if (wants_help(argc, argv)) {
		printf("usage: cowbench env [--check [--cpu N]]\nPrints the environment record (the env.json of a suite"
		       " run).\n  --check  what makes timings noisy here, each with how to fix it (pyperf's system"
		       " show):\n           governor, turbo, SMT sibling busy, numa_balancing, khugepaged/kcompactd\n"
		       "           activity, DAMON, ballooning, ASLR, device IRQs on a CPU not isolated,\n"
		       "           hypervisor. Changes nothing. Exit 0 either way.\n"
		       "  --cpu N  the measured CPU (default: the highest allowed CPU, as run and suite)\n");
		return 0;
	}
	if (argc > 0 && strcmp(argv[0], "--check") == 0) {
		int cpu = -1;
		json_object *noise, *ok, *w, *c0;

		if (argc == 3 && strcmp(argv[1], "--cpu") == 0 && isdigit((unsigned char)argv[2][0]))
			cpu = atoi(argv[2]);
		else if (argc != 1)
			return usage_error("env --check: unexpected argument '%s'", argv[1]);
		noise = cb_noise_check(cpu);
		if (!noise)
			return 1;
		json_object_object_get_ex(noise, "ok", &ok);
		json_object_object_get_ex(noise, "warnings", &w);
		json_object_object_get_ex(noise, "cpu", &c0);
		printf("cowbench env --check: cpu%d, %zu warning(s)\n", json_object_get_int(c0), json_object_array_length(w));
		for (size_t i = 0; i < json_object_array_length(ok); i++) {
			json_object *o = json_object_array_get_idx(ok, i), *c, *f;

			json_object_object_get_ex(o, "check", &c);
			json_object_object_get_ex(o, "found", &f);
			printf("ok    %s: %s\n", json_object_get_string(c), json_object_get_string(f));
		}
		cb_noise_print(stdout, noise, "WARN  ");
		json_object_put(noise);
		return 0;
	}
	if (argc > 0)
		return usage_error("env: unexpected argument '%s'", argv[0]);
	env = cb_env_collect();
	if (!env)
		return 1;
	printf("%s\n", json_object_to_json_string_ext(env, JSON_C_TO_STRING_PRETTY));
	json_object_put(env);
	return 0;
}

static int cmd_restore(int argc, char **argv)
{
	struct wait_opts w;
	int restored, ret;

	if (wants_help(argc, argv)) {
		printf("usage: cowbench restore [--no-wait | --wait-timeout S]\n"
		       "Replays the settings journal (%s) left by a run that was killed,\n"
		       "putting every kernel setting it changed back to its earlier value. While another\n"
		       "cowbench runs it waits for it (which restores its own settings when it ends).\n",
		       cb_settings_journal_path());
		return 0;
	}
	if ((ret = take_wait_opts(&argc, argv, &w)))
		return ret;
	if (argc > 0)
		return usage_error("restore: unexpected argument '%s'", argv[0]);
	if ((ret = machine_lock(&w)))
		return ret;
	ret = cb_settings_recover(&restored);
	if (ret == -EBUSY) {
		fprintf(stderr, "cowbench: a running cowbench holds %s; it restores its own settings when it ends\n",
			cb_settings_journal_path());
		return 1;
	}
	if (ret) {
		fprintf(stderr, "cowbench: restore from %s: %s\n", cb_settings_journal_path(), strerror(-ret));
		return 1;
	}
	fprintf(stderr, "cowbench: %s\n", restored ? "settings restored" : "nothing to restore");
	return 0;
}

static int cmd_overhead(int argc, char **argv)
{
	struct cb_opts o;
	struct wait_opts w;
	char err[256];
	int used;

	if (wants_help(argc, argv)) {
		printf("usage: cowbench overhead [--size S] [--repeat N] [--cpu N] [--no-wait | --wait-timeout S]\n"
		       "Compares a first-touch fault loop untimed, timed per op, and counted (counters +\n"
		       "classification), and the classification's cost per page.\n");
		return 0;
	}
	if ((used = take_wait_opts(&argc, argv, &w)))
		return used;
	cb_opts_defaults(&o);
	o.size = 64ull << 20;
	o.repeat = 7;
	used = cb_opts_parse(argc, argv, &o, CB_OPT_SIZE | CB_OPT_REPEAT | CB_OPT_CPU, err, sizeof(err));
	if (used < 0)
		return usage_error("overhead: %s", err);
	if (o.repeat_auto)
		return usage_error("overhead: --repeat auto is for run and suite%s", "");
	if (used != argc)
		return usage_error("overhead: unexpected argument '%s'", argv[used]);
	if ((used = machine_lock(&w)))
		return used;
	return cb_overhead_report(&o, stdout) ? 1 : 0;
}

/*
 * ASLR picks a process's layout once, at exec, and every pass worker is forked from this
 * process: a run samples one layout, the next run another. Page-table pages follow from it
 * (fork of a 2M region allocated 15 to 18 pages in five runs here, the same in every repetition
 * of a run), so two runs of one kernel differed where their repetitions agreed. run and suite
 * re-execute themselves once without address randomization (as setarch -R does, this process
 * only): every run gets the same layout. COWBENCH_ASLR=1 keeps it random.
 */
static void cb_layout_fix(char **argv)
{
	int pers = personality(0xffffffff);
	const char *keep = getenv("COWBENCH_ASLR");

	if (pers < 0 || (pers & ADDR_NO_RANDOMIZE) || (keep && strcmp(keep, "1") == 0))
		return;
	if (personality((unsigned long)pers | ADDR_NO_RANDOMIZE) < 0)
		return;
	execv("/proc/self/exe", argv);
	/* No /proc: the layout stays random, and env.json's address_layout says so. */
	personality((unsigned long)pers);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "list", cmd_list },	{ "run", cmd_run },	    { "suite", cmd_suite },
		{ "env", cmd_env },	{ "restore", cmd_restore }, { "overhead", cmd_overhead },
		{ "compare", cb_compare_main },
		{ "plot", cb_plot_main },
	};

	if (argc < 2) {
		fputs(usage_main, stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("cowbench %s\n", CB_VERSION);
		return 0;
	}
	/* Internal (not in the usage): the process hyperfine times, spared the timer's calibration. */
	if (strcmp(argv[1], "proc") == 0)
		return cb_proc_main(argc - 2, argv + 2);
	if (strcmp(argv[1], "run") == 0 || strcmp(argv[1], "suite") == 0)
		cb_layout_fix(argv);
	for (int i = 1, off = snprintf(cmdline, sizeof(cmdline), "cowbench"); i < argc && off < (int)sizeof(cmdline); i++)
		off += snprintf(cmdline + off, sizeof(cmdline) - (size_t)off, " %s", argv[i]);
	cb_timer_init();
	for (size_t i = 0; i < CB_ARRAY_SIZE(cmds); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 2, argv + 2);
	return usage_error("unknown command '%s'", argv[1]);
}
