/* Process-level phases timed by hyperfine: running it with --export-json and importing the run
 * times it reports, so whole-process figures (exec, populate, exit) sit in the result set beside
 * cowbench's own. */
#ifndef CB_HYPERFINE_H
#define CB_HYPERFINE_H

#include <stddef.h>

#include <json-c/json.h>

#include "scenario.h"

struct cb_hyperfine {
	size_t n;                   /* runs reported */
	double *times_ns;           /* n wall times (malloc'ed) */
	/* hyperfine's own summary; NaN where it wrote null or nothing (stddev of one run) */
	double mean_ns, stddev_ns, median_ns, min_ns, max_ns, user_ns, system_ns;
	int bad_run;                /* 1-based index of the first run that did not exit 0; 0: none */
	int bad_code;               /* its exit code, -1 when a signal ended it */
};

/* Imports results[0] of a hyperfine --export-json document: times, mean, stddev, median, min,
 * max, user, system, exit_codes. Returns 0, or -EINVAL with what is wrong in why. */
int cb_hyperfine_parse(json_object *doc, struct cb_hyperfine *hf, char *why, size_t len);
/* The same from a file. */
int cb_hyperfine_load(const char *path, struct cb_hyperfine *hf, char *why, size_t len);
void cb_hyperfine_free(struct cb_hyperfine *hf);

/* hyperfine's path from $PATH: 0, or -ENOENT when it is not there. */
int cb_hyperfine_find(char *path, size_t len);

/* Runs argv (argv[0] a path) pinned to cpu (< 0: not pinned) with stdin and stdout on /dev/null
 * and waits for it: 0 with the wait status in *status and the last line it wrote to stderr in
 * msg, or -errno. */
int cb_command_run(char *const argv[], int cpu, int *status, char *msg, size_t len);

/*
 * Runs `hyperfine --runs RUNS --warmup WARMUP --export-json FILE --shell=none --ignore-failure
 * -- CMD` (CMD: the words of cmd, NULL-terminated, quoted for hyperfine's word splitting), pinned
 * to cpu (< 0: not pinned), its output kept out of the terminal, and imports FILE; a run of CMD
 * that failed shows in hf->bad_run. Returns 0; -ENOENT when hyperfine is not installed; another
 * -errno with the reason (hyperfine's last line) in why.
 */
int cb_hyperfine_run(char *const cmd[], int runs, int warmup, int cpu, struct cb_hyperfine *hf, char *why,
		     size_t len);

/* Run i (0-based) as a timing pass over pages: its time as the loop time and the one latency
 * sample; for run 0 only (once per instance: it is not a sample) hyperfine's summary under extra
 * ("hyperfine_mean_ns", ... ; what it left null is left out). */
void cb_hyperfine_pass(const struct cb_hyperfine *hf, size_t i, size_t pages, struct cb_pass_result *res);

#endif
