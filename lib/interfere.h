/* Interference with a measured loop: what else had the measured task's CPU meanwhile. Read
 * only before and after the loop. */
#ifndef CB_INTERFERE_H
#define CB_INTERFERE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Background kernel threads whose work changes memory behind a measured loop: kcompactd
 * (compaction), kswapd (reclaim), khugepaged (collapse). Their CPU time over the loop, read
 * from /proc/<pid>/schedstat (ns; /proc/<pid>/stat utime + stime in clock ticks where schedstat
 * is missing). The measured process's own direct compaction and reclaim run in its context and
 * are counted by its tracepoint counters instead: a figure, not interference. */
#define CB_KWORK_MAX 8
#define CB_KWORK_DISTURB_NS 1000000ull   /* a thread's CPU time over a loop that disturbs it, */
#define CB_KWORK_DISTURB_SHARE 100       /* when it is also at least 1/100 of the loop */
#define CB_KWORK_DISTURB_SHARE_DAMON 10  /* 1/10 for kdamond, which runs every sampling interval */

struct cb_kwork {
	bool read;                  /* looked for (n may be 0: none of them runs here) */
	int n;
	struct {
		char comm[16];
		uint64_t ns;        /* CPU time (a delta: over the loop) */
		bool ok;            /* its CPU time could be read both times */
	} t[CB_KWORK_MAX];
};

struct cb_interfere {
	uint64_t csw;               /* involuntary context switches of this thread (preempted) */
	uint64_t vcsw;              /* voluntary ones: it blocked (swap-in I/O, reclaim): recorded,
				     * never interference, part of what is measured */
	uint64_t migrations;        /* se.nr_migrations of this thread */
	uint64_t run_delay_ns;      /* time it waited on a runqueue (schedstat): preempted, off CPU */
	bool run_delay_ok;
	uint64_t irqs;              /* interrupts on the pinned CPU (/proc/interrupts column) */
	bool csw_ok, migrations_ok, irqs_ok;
	int cpu_at;                 /* the CPU the interrupts were read for */
	struct cb_kwork kwork;      /* background kernel threads' CPU time */
};

/* The background kernel threads' CPU time now. The threads are found once per process (by comm
 * among kthreadd's children: kcompactdN, kswapdN, khugepaged; tests may add a process by comm
 * with $COWBENCH_TEST_KWORK). */
void cb_kwork_snap(struct cb_kwork *s);
/* Looks for the threads again: khugepaged starts and stops with THP's enabled setting. */
void cb_kwork_rescan(void);
/* d = b - a, thread by thread. */
void cb_kwork_delta(const struct cb_kwork *a, const struct cb_kwork *b, struct cb_kwork *d);
/* Whether a thread ran CB_KWORK_DISTURB_NS or more, and 1 % of loop_ns or more, between the
 * snapshots around the loop: fills why with every such thread and its ms ("background kernel work: khugepaged ran
 * 3.2 ms around the 16.4 ms loop"; the snapshots bracket a little more than the loop). */
bool cb_kwork_excessive(const struct cb_kwork *d, uint64_t loop_ns, char *why, size_t len);
/* Whether kcompactd, kswapd or kdamond ran at all (khugepaged is left out: see the function).
 * kcompactd isolating pages, kswapd reclaiming and DAMON's access checks (kdamond) each hold
 * references to pages they look at: one held while the measured write faults turns a reuse into a
 * copy (seen here: cow_reuse/thp_pte copied 1-2 of 16384 pages in 3 of 190 repetitions, each time
 * with kcompactd or kdamond having run for microseconds during the counting loop, never
 * otherwise). The runner disturbs a deterministic scenario's repetition whose passes disagree
 * while one of them ran; a run alone is no cause (in a TCG guest kcompactd's periodic checks land
 * in most loops). */
bool cb_kwork_ran(const struct cb_kwork *d, char *why, size_t len);
/* Parses a kernel thread's CPU time: schedstat text ("<run ns> <wait ns> <slices>") or, where
 * that is NULL, stat text (utime + stime in ticks of tick_hz). Returns 0 or -EINVAL. */
int cb_kwork_parse_ns(const char *schedstat, const char *stat, long tick_hz, uint64_t *ns);

/* Snapshot for the calling thread and CPU cpu. */
void cb_interfere_snap(int cpu, struct cb_interfere *s);
/* d = b - a (fields valid only where both were read). */
void cb_interfere_delta(const struct cb_interfere *a, const struct cb_interfere *b, struct cb_interfere *d);
/* Sum of column `col` (0-based CPU column) over /proc/interrupts rows; parsing only. Returns
 * 0 or -errno (-ENOENT: no such column). */
int cb_interrupts_column_sum(const char *text, int cpu, uint64_t *sum);
/*
 * Whether the interference over a loop of loop_ns is too much to trust it: a background kernel
 * thread's CPU time over the threshold (cb_kwork_excessive); any migration; off
 * its CPU (waiting on the runqueue after a preemption) more than 20 % of the loop; more
 * interrupts on the CPU than 100 + 5 per ms (a 250-1000 Hz tick and the IPIs a loop itself
 * causes stay below). Fills why ("off CPU 31 % of 23.1 ms (7 preemptions)").
 */
bool cb_interfere_excessive(const struct cb_interfere *d, uint64_t loop_ns, char *why, size_t len);

#endif
