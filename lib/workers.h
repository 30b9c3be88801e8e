/* Concurrent faults: N workers (threads of one mm, or processes), each pinned to a CPU of its
 * own and running the scenario's workload on its own part of the region, their measured loops
 * started at once (will-it-scale's page_fault1 shape); optionally one background thread on a
 * CPU of its own (a thread that maps and unmaps while the others fault). The harness owns the
 * threads, processes and pinning; a scenario gives the workload. */
#ifndef CB_WORKERS_H
#define CB_WORKERS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "opts.h"

struct cb_ctx;
struct cb_region;
struct cb_scenario;

/* struct cb_scenario .workers: the concurrency options a scenario takes. */
#define CB_WORKERS_THREADS (1u << 0)
#define CB_WORKERS_PROCESSES (1u << 1)

/* The tracepoints that say which faults took mmap_lock, counted per worker around its loop. A
 * fault that took it (a trylock, or a wait after a failed one) releases it once: _released
 * counts faults that took it; the other two show how (a trylock has no _start_locking). */
#define CB_MMAP_LOCK_EVENTS 3
extern const char *const cb_mmap_lock_events[CB_MMAP_LOCK_EVENTS];
#define CB_MMAP_LOCK_RELEASED "mmap_lock:mmap_lock_released"

/* Where an instance's workers run, decided at instance open in the launcher. */
struct cb_workers_plan {
	int n;                      /* faulting workers; 0: the scenario runs single-threaded */
	bool processes;             /* processes (each its own mm) rather than threads of one mm */
	int cpu[CB_WORKERS_MAX];    /* worker i's CPU: cpu[0] is the instance's CPU */
	int bg_cpu;                 /* the background thread's CPU, -1: none */
	int cpus;                   /* CPUs the instance may run on */
	/* Whether its timings show concurrency: at least n (+ background) + 1 CPUs, not under TCG. */
	bool timings_valid;
	char timings_why[192];      /* why not */
};

/* One worker's share of a pass, for the record. */
struct cb_worker_stat {
	int cpu;                    /* planned */
	int cpu_seen;               /* sched_getcpu() after its loop */
	uint64_t pages, loop_ns, faults; /* faults: its loop's (getrusage; counting pass: at its pages) */
	uint64_t p50, p99, max;     /* timing pass: its ops' latency */
	bool mmap_lock_read;
	uint64_t mmap_lock;         /* counting pass: mmap_lock acquisitions its loop made */
};

/* A concurrent pass's results beside the merged ones (struct cb_pass_result .workers). */
struct cb_workers_res {
	int n;                      /* 0: no workers ran */
	bool processes;
	struct cb_worker_stat w[CB_WORKERS_MAX];
	uint64_t window_ns;         /* from the moment all started to the moment the last ended */
	int bg_cpu;
	uint64_t bg_ops;            /* background operations during the window */
	bool timings_valid;
	char timings_why[192];
};

/*
 * Fills ctx->workers for the instance from its options and scenario (the CPUs it may run on,
 * ctx->cpu first). Returns 0, or 1 with why filled when the instance must skip: fewer CPUs
 * than workers (+ the background thread), or an option the scenario does not take.
 */
int cb_workers_plan(const struct cb_scenario *s, const struct cb_opts *o, struct cb_ctx *ctx, char *why,
		    size_t len);

/* A worker's workload on its part of the region, with a ctx of its own (its res, its CPU). */
typedef int (*cb_worker_fn)(struct cb_ctx *ctx, struct cb_region *part, void *arg);
/* The background thread's loop: runs until *stop, returns the operations it did. */
typedef uint64_t (*cb_background_fn)(struct cb_ctx *ctx, const atomic_int *stop, void *arg);

/*
 * Runs fn on each of ctx->workers.n equal parts of r in the planned workers (worker 0 is the
 * caller), bg (if not NULL) on the background CPU, and merges their results into ctx->res:
 * statuses (the first that is not ok, naming the worker), outcomes, fault counts and counters
 * summed, latencies merged, loop_ns = the window, and res->workers per worker. A size that
 * does not split into whole folios per worker is a skip. Returns 0 or -errno.
 */
int cb_workers_run(struct cb_ctx *ctx, struct cb_region *r, cb_worker_fn fn, cb_background_fn bg, void *arg);

/* One line for the summary: "2 threads on CPUs 1,0: 1.7e+05 faults/s; mmap_lock taken by 0 of
 * 1024 faults; timings: ..." from a repetition's timing and counting passes. */
struct cb_pass_result;
void cb_workers_describe(const struct cb_pass_result *t, const struct cb_pass_result *c, char *buf, size_t len);

/* Called by the measured loops (lib/measure.c) right before the clock starts and right after it
 * stops: every worker starts its loop at once, and none does its after-loop work (pagemap,
 * munmap) while another still runs. No-ops outside cb_workers_run. */
void cb_gate_begin(struct cb_ctx *ctx);
void cb_gate_end(struct cb_ctx *ctx);

#endif
