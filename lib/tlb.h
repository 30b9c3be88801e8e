/* TLB shootdowns for the tlb_* scenarios: sibling threads that keep the measuring process's mm
 * live on other CPUs (so a flush there needs an IPI), and a system-wide view of the shootdowns
 * those CPUs receive, which per-task counters miss: per-CPU tlb:tlb_flush reason 1 counters and
 * the TLB row of /proc/interrupts. */
#ifndef CB_TLB_H
#define CB_TLB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cow.h"
#include "scenario.h"

#define CB_TLB_CPUS_MAX 256

#define CB_TLB_GAPS_MAX 32
#define CB_TLB_GAP_NS 50000       /* longer than any interrupt a spinning sibling should take */

struct cb_tlb_siblings {
	int n;
	int cpu[CB_TLB_CPUS_MAX];
	pthread_t thread[CB_TLB_CPUS_MAX];
	int started;                /* threads created (joined by stop) */
	atomic_int running;         /* threads that reached their loop */
	atomic_int stop;
	volatile uint64_t *page;    /* what they read: a page of the mm outside the measured region */
	/* Verification that each sibling stayed on its CPU: it notes every gap in its own loop
	 * longer than CB_TLB_GAP_NS (it was off the CPU, or an interrupt held it that long). */
	struct {
		pid_t tid;
		int ngaps;              /* gaps seen (only the first CB_TLB_GAPS_MAX kept) */
		uint64_t gap_from[CB_TLB_GAPS_MAX], gap_to[CB_TLB_GAPS_MAX]; /* timer ticks */
		uint64_t csw_before, csw_after; /* its voluntary + involuntary context switches */
		int on_cpu_at_start;    /* by the scheduler's counts: 1 yes, 0 no, -1 unknown */
		int gaps_in_window;
		uint64_t gap_ns_in_window;
	} sib[CB_TLB_CPUS_MAX];
	uint64_t gap_ticks, win_from, win_to;
};

/*
 * The sibling count for this instance (--siblings, else 1 when another CPU is online, else 0)
 * and their CPUs: the online CPUs other than ctx->cpu, round robin. More siblings than other
 * CPUs is a skip with the reason (check ctx->res->status). Returns 0 or -errno.
 */
int cb_tlb_siblings_plan(struct cb_ctx *ctx, struct cb_tlb_siblings *s);
/*
 * Starts the planned threads in the calling process, each pinned to its CPU and spinning on a
 * read of its own page until stopped, and returns once all are in their loop. Looks up the
 * tlb:tlb_flush tracepoint first: that may unshare the mount namespace, which a multi-threaded
 * process cannot. A CPU this process may not use is a skip. Returns 0 or -errno.
 */
int cb_tlb_siblings_start(struct cb_ctx *ctx, struct cb_tlb_siblings *s);
void cb_tlb_siblings_stop(struct cb_tlb_siblings *s);
/* Brackets the measured loop or op: begin and end note the siblings' context switches and the
 * time; check (after cb_tlb_siblings_stop, when every gap is noted) marks the pass disturbed
 * "sibling not on CPU n (...)" when a sibling was switched out during the window or was off
 * its CPU when it began. Returns true when all stayed. */
void cb_tlb_siblings_window_begin(struct cb_tlb_siblings *s);
/*
 * Whether thread tid of this process is on its CPU now, from the scheduler's own counts: every
 * switch onto a CPU adds an arrival (/proc schedstat's third field), every switch off it a
 * context switch, so a thread on its CPU has had one arrival more than switches, one off it as
 * many. Its context switches go to *csw. Returns 1 on, 0 off, -1 when the counts are unreadable
 * (no CONFIG_SCHED_INFO) or kept moving under three tries (the caller then falls back to the
 * gaps the sibling's loop noted).
 */
int cb_tlb_thread_on_cpu(pid_t tid, uint64_t *csw);
void cb_tlb_siblings_window_end(struct cb_tlb_siblings *s);
bool cb_tlb_siblings_window_check(struct cb_ctx *ctx, struct cb_tlb_siblings *s);

/* Received shootdowns on every online CPU but one, and the /proc/interrupts TLB row. */
struct cb_tlb_watch {
	int n;                      /* per-CPU counters open */
	int fd[CB_TLB_CPUS_MAX];
	int err;                    /* first error opening or reading them (then no figure), or 0 */
	uint64_t received;          /* their sum over the window */
	bool intr_ok;               /* the TLB row exists and was read before and after */
	uint64_t intr_before, intr_delta;
};

/* Opens tlb:tlb_flush filtered to reason 1 (remote shootdown received) with pid -1 on every
 * online CPU except self_cpu, disabled. Failures are kept in w->err, never returned. */
void cb_tlb_watch_open(struct cb_tlb_watch *w, int self_cpu);
void cb_tlb_watch_start(struct cb_tlb_watch *w);
void cb_tlb_watch_stop(struct cb_tlb_watch *w);
void cb_tlb_watch_close(struct cb_tlb_watch *w);
/* Counting pass only: extras received_shootdowns_other_cpus, received_shootdowns_cpus and
 * interrupts_tlb_delta, each only when measured (no number for what could not be counted). */
void cb_tlb_watch_record(struct cb_ctx *ctx, const struct cb_tlb_watch *w);

/* Sum of the "TLB:" row of /proc/interrupts text over all CPUs: 0, or -ENOENT when there is no
 * such row (arm64 flushes by broadcast, no IPI), -EPROTO when it has no numbers. */
int cb_tlb_interrupts_parse(const char *text, uint64_t *sum);
int cb_tlb_interrupts_read(uint64_t *sum);

/* Brackets a measured loop or op with the siblings: begin starts them (a skip where a CPU is
 * not available), opens and starts the watch in the counting pass and opens the window; end
 * (called whenever begin succeeded, with the loop's ret) closes the window, stops the watch and
 * the siblings, makes the pass disturbed where a sibling left its CPU, and in the counting pass
 * records the extras (siblings, sibling_gaps, sibling_gap_us and the watch's). Both return 0 or
 * -errno (end: ret unless it fails itself). */
int cb_tlb_bracket_begin(struct cb_ctx *ctx, struct cb_tlb_siblings *s, struct cb_tlb_watch *w);
int cb_tlb_bracket_end(struct cb_ctx *ctx, struct cb_tlb_siblings *s, struct cb_tlb_watch *w, int ret);

/* The tlb_cow_* scenarios' prepare step (lib/cow.h): the siblings planned in the parent before
 * fork, running in the writing process around its measured writes (a cb_tlb_bracket). */
extern const struct cb_cow_prep cb_cow_prep_tlb;
/* The tlb_zap_* scenarios: map and populate the region, measure op (cb_measure_op) inside a
 * cb_tlb_bracket, unmap. */
int cb_tlb_zap_run(struct cb_ctx *ctx, cb_op_fn op);

#endif
