/* Options shared by the command line and config `run =` lines. */
#ifndef CB_OPTS_H
#define CB_OPTS_H

#include <stddef.h>

#define CB_WORKERS_MAX 64          /* --threads / --processes at most */

#define CB_OPT_BACKING (1u << 0)
#define CB_OPT_SIZE (1u << 1)
#define CB_OPT_REPEAT (1u << 2)
#define CB_OPT_WARMUP (1u << 3)
#define CB_OPT_CPU (1u << 4)
#define CB_OPT_OUT (1u << 5)
#define CB_OPT_NUMA (1u << 6)
#define CB_OPT_EVENTS (1u << 7)
#define CB_OPT_SIBLINGS (1u << 8)
#define CB_OPT_SWAP (1u << 9)
/* Config keys only (suite defaults), not run options. */
#define CB_OPT_SWAP_SIZE (1u << 10)
#define CB_OPT_SWAP_COMP (1u << 11)
#define CB_OPT_SWAPFILE (1u << 12)
/* repeat = auto: its target and limits (config keys, run-line and command-line options). */
#define CB_OPT_TARGET_CI (1u << 13)
#define CB_OPT_MAX_REPEAT (1u << 14)
#define CB_OPT_MAX_TIME (1u << 15)
#define CB_OPT_AUTO (CB_OPT_TARGET_CI | CB_OPT_MAX_REPEAT | CB_OPT_MAX_TIME)
/* Concurrent workers (lib/workers.h): N threads in one mm, or N processes. */
#define CB_OPT_THREADS (1u << 16)
#define CB_OPT_PROCESSES (1u << 17)
#define CB_OPT_RUN (CB_OPT_BACKING | CB_OPT_SIZE | CB_OPT_REPEAT | CB_OPT_WARMUP | CB_OPT_CPU | CB_OPT_NUMA | \
		    CB_OPT_EVENTS | CB_OPT_SIBLINGS | CB_OPT_SWAP | CB_OPT_AUTO | CB_OPT_THREADS | CB_OPT_PROCESSES)

struct cb_opts {
	char backing[160];
	size_t size;                /* bytes, a multiple of the page size */
	int repeat;                 /* >= 1; with repeat_auto the most it may run (max_repeat) */
	int repeat_auto;            /* repeat = auto: until the mean's 95 % CI is within target_ci */
	double target_ci;           /* half-width of that CI over the mean (0.01 = 1 %) */
	int max_repeat;             /* repeat = auto: at most this many repetitions */
	double max_time;            /* repeat = auto: seconds an instance's visits may take, then it stops */
	int warmup;                 /* untimed passes before the first repetition, >= 0 */
	int cpu;                    /* -1: the first CPU the process may run on */
	char out[512];
	char numa[16];              /* "", "local", "remote" or "interleave" */
	char events[256];           /* extra hardware events, libpfm4 names, comma-separated; "" = default set */
	int siblings;               /* sibling threads spinning in the mm on other CPUs (tlb scenarios), >= 0 */
	int threads;                /* --threads N: N faulting threads in one mm (0: not asked) */
	int processes;              /* --processes N: N faulting processes (0: not asked) */
	char swap[16];              /* swap for CB_NEED_SWAP scenarios: "" (= zram), "zram", "swapfile", "existing", "none" */
	size_t swap_size;           /* bytes, 0 = twice the region */
	char swap_comp[32];         /* zram compression algorithm, "" = the device's default */
	char swapfile[256];         /* "" = /var/tmp/cowbench.swap */
	unsigned set;               /* CB_OPT_* given explicitly */
};

void cb_opts_defaults(struct cb_opts *o);
/* The options that make an instance besides scenario, backing and size, as "numa=remote
 * siblings=1 events=cycles" (empty when none): part of the instance's identity in records. */
void cb_opts_instance(const struct cb_opts *o, char *buf, size_t len);
/* "64M", "4K", "1G", "1T" (binary units, case-insensitive, optional "iB"/"B"), or bytes. Must be
 * a whole number of pages. Returns 0 or -EINVAL / -ERANGE. */
int cb_size_parse(const char *s, size_t *out);
void cb_size_format(size_t bytes, char *buf, size_t len);
int cb_int_parse(const char *s, long min, long max, long *out);
/*
 * Parses "--name value" / "--name=value" options in argv[0..argc) that `allowed` permits. Stops
 * at the first non-option. Returns the index of the first non-option, or -1 with a one-line
 * reason in err (unknown option, missing or bad value).
 */
int cb_opts_parse(int argc, char **argv, struct cb_opts *o, unsigned allowed, char *err, size_t errlen);
/* After every option is in: --target-ci/--max-repeat/--max-time ask for repeat = auto (they
 * contradict an explicit --repeat N), and an auto instance's repeat becomes max_repeat.
 * Returns 0, or -1 with a one-line reason in err. */
int cb_opts_finish(struct cb_opts *o, char *err, size_t errlen);

#endif
