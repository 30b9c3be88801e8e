/* The scenario registry and the API a bench/ file uses. A scenario is one file in bench/ named
 * like its id; it fills a struct cb_scenario and registers it with CB_SCENARIO(). */
#ifndef CB_SCENARIO_H
#define CB_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "backing.h"
#include "hist.h"
#include "interfere.h"
#include "pagemap.h"
#include "perf.h"
#include "vmstat.h"
#include "workers.h"

struct cb_ctx;
struct cb_opts;
struct cb_hyperfine;
struct cb_page_log;

/* What a scenario needs from the machine; unmet needs make the instance `skip` with the reason. */
#define CB_NEED_PRIV (1u << 0)       /* PFNs, kpageflags, tracepoints: root / CAP_SYS_ADMIN */
#define CB_NEED_TWO_CPUS (1u << 1)
#define CB_NEED_SWAP (1u << 2)       /* swap set up for the instance (zram by default) */

struct cb_scenario {
	const char *name;           /* equals the file name in bench/ */
	const char *description;
	const char *op;             /* what one op is */
	const char *invalid_if;     /* what makes a result invalid (and turns it into skip/fail) */
	const char *backings;       /* space-separated: base thp thp_pte thp_single_pte mthp (= every mthp_<size>) */
	unsigned needs;             /* CB_NEED_* */
	bool deterministic;         /* outcomes (COW counts, faults, folios) are the kernel's exact decision: compare compares them exactly */
	bool bandwidth;             /* its ns_per_page times a transfer (swap-in, swap-out): records give gib_per_s too */
	int (*run)(struct cb_ctx *ctx); /* one pass: returns 0 or -errno (after cb_ctx_error) */
	/* CB_WORKERS_*: --threads / --processes it takes (run through cb_workers_run); with
	 * workers_default > 0 it always runs that many threads unless told otherwise; with
	 * workers_background one more thread, on a CPU of its own, runs beside them. */
	unsigned workers;
	int workers_default;
	bool workers_background;
	/* Instead of run, for a process-level phase timed from outside by hyperfine: called once
	 * per instance with the backing's settings in place; fills hf with o->repeat run times or
	 * marks ctx->res skip/fail/error with the reason. Returns 0 or -errno. */
	int (*external)(struct cb_ctx *ctx, const struct cb_opts *o, struct cb_hyperfine *hf);
};

void cb_scenario_register(const struct cb_scenario *s);
const struct cb_scenario *cb_scenario_find(const char *name);
/* Registered scenarios sorted by name; returns the count. */
size_t cb_scenario_all(const struct cb_scenario ***out);
bool cb_scenario_has_backing(const struct cb_scenario *s, const char *backing);

#define CB_SCENARIO(var)                                                                   \
	__attribute__((constructor)) static void cb_scenario_reg_##var(void)               \
	{                                                                                  \
		cb_scenario_register(&var);                                                \
	}

/* Variants that differ only in parameters: one file declares an array of structs whose first
 * member .s is the scenario (its run finds the parameters from ctx->scn) and registers them all.
 * Their ids are <file>_<variant>. */
#define CB_SCENARIO_TABLE(arr)                                                             \
	__attribute__((constructor)) static void cb_scenario_reg_##arr(void)               \
	{                                                                                  \
		for (size_t i = 0; i < sizeof(arr) / sizeof((arr)[0]); i++)               \
			cb_scenario_register(&(arr)[i].s);                                 \
	}

/* CB_PASS_UNTIMED: the write loop with the clock read only around it (ns_per_page); run
 * after a timing pass that timed writes per op. Scenarios treat it like a warm-up. */
enum cb_pass_kind { CB_PASS_WARMUP, CB_PASS_TIMING, CB_PASS_COUNTING, CB_PASS_UNTIMED };
/* CB_DISTURBED: the pass's preconditions were violated while it ran (a guard counter moved, a
 * sibling was off its CPU, samples were lost); its figures are kept for inspection, never for
 * statistics, and the runner repeats it (bounded). */
enum cb_status { CB_OK = 0, CB_SKIP, CB_FAIL, CB_ERROR, CB_DISTURBED };

#define CB_EXTRA_MAX 16

/* One pass's results. Lives in MAP_SHARED memory so a forked child can fill it. */
struct cb_pass_result {
	int status;                 /* enum cb_status */
	char reason[256];
	bool measured;              /* the measured loop or op ran */
	bool fifo;                  /* the worker ran at SCHED_FIFO (else SCHED_OTHER) */
	bool classified;            /* COW outcomes were classified (write loops only) */
	uint64_t pages;
	uint64_t loop_ns;           /* wall time of the measured loop */
	struct cb_hist hist;        /* per-op latency, timing pass only */
	bool per_op_timed;          /* timing pass: a per-page write loop was timed per op */
	bool op_ns_logged;          /* timing pass: each op's latency is in ctx->plog->op_ns */
	bool faults_logged;         /* counting pass: each page's faults are in ctx->plog->faults */
	/* Timing/untimed pass: the outcome from pagemap around the loop (outside the clock), with
	 * no fault counts: copy = PFN changed, reuse = PFN kept (a reuse or no fault at all). */
	bool pfn_classified;
	struct cb_cow_counts cow_pfn;
	/* Filled by the runner in the timing pass's copy: the untimed pass of the repetition. */
	bool untimed;
	uint64_t untimed_loop_ns;
	bool untimed_pfn_classified;
	struct cb_cow_counts untimed_cow_pfn;
	bool untimed_faults_read;
	uint64_t untimed_faults;    /* the untimed pass's loop_faults */
	/* Timing and untimed passes' write loops: faults the loop took (getrusage around it) */
	bool loop_faults_read;
	uint64_t loop_faults;
	/* counting pass */
	struct cb_cow_counts cow;
	uint64_t faults_total;      /* faults at the measured pages */
	uint64_t faults_outside;    /* faults anywhere else (stack, result pages) during the loop */
	uint64_t faults_spurious_pmd; /* at PMD-mapped THPs after their first: not in faults_total */
	bool faults_sampled;        /* per-page faults from address samples (else counter reads) */
	int vmas;                   /* counting pass: VMAs overlapping the region (0: not looked) */
	bool interfere_read;        /* interference over the measured loop or op (before/after) */
	struct cb_interfere interfere;
	uint64_t pages_by_faults[4]; /* pages that took 0, 1, 2, 3+ faults */
	uint64_t folio_pages_by_order[CB_FOLIO_ORDERS]; /* before the measured loop or op */
	uint64_t folio_pages_by_order_after[CB_FOLIO_ORDERS];
	/* ctx->peer set: pages verified shared for the whole loop, and what their writes did */
	bool peer_checked;
	struct cb_cow_counts peer_shared;
	/* Timing pass of a read loop over swapped pages (cb_measure_reads): the latencies of the ops
	 * that faulted (the swap-ins), where they are known; else why not. */
	bool fault_hist_read;
	uint64_t fault_folios;      /* folios the pages came back in: one fault each at least */
	char fault_hist_why[160];
	struct cb_hist fault_hist;
	struct cb_counters counters;
	struct cb_vmstat vmstat_delta;
	struct cb_workers_res workers; /* concurrent passes (cb_workers_run): per worker */
	int nextra;
	struct {
		char name[32];
		double value;
		char why[96];       /* set: the figure is unsupported here, this is why */
	} extra[CB_EXTRA_MAX];      /* counting pass: "extra"; timing pass: "extra_timed" */
};

#define CB_EXPECT_SWAPPED (-1)
/* Every page either resident or a swap entry, this process's only (memory pressure). */
#define CB_EXPECT_EXCLUSIVE (-2)

/* What a scenario sees of the instance it runs in. */
struct cb_ctx {
	const struct cb_scenario *scn;
	const struct cb_opts *opts; /* the instance's options (numa, events, siblings, ...) */
	const char *backing;
	struct cb_backing bk;       /* resolved backing */
	size_t size;                /* bytes */
	size_t pages;
	int cpu;                    /* the CPU everything is pinned to */
	int other_cpu;              /* another allowed CPU, or -1 */
	enum cb_pass_kind pass;
	/* Mapcount every page must have right before the measured writes (0: not present yet);
	 * otherwise the pages were not shared as the scenario intended and the pass is `skip`. */
	/* The order of the measured writes: a permutation of [0, pages), or NULL for 0, 1, 2, ... */
	const size_t *order;
	int expect_mapcount;        /* CB_EXPECT_SWAPPED: every page a swap entry (swap backings) */
	struct cb_pass_result *res; /* shared with forked children */
	/* Per-page latencies and faults, shared too (lib/faultlat.h); NULL: not logged. */
	const struct cb_page_log *plog;
	/* private to lib: child synchronisation */
	int sync_down[2], sync_up[2];
	size_t align;               /* region alignment a scenario needs beyond its backing's, or 0 */
	pid_t child;
	/* The process the measured pages are shared with (it must not touch them during the
	 * writes), or 0. The counting pass then reads its pagemap after the loop: a page it still
	 * maps at the PFN the writer saw before was shared for the whole loop (cow_verified). */
	pid_t peer;
	bool sync_prepared;         /* cb_child_prepare ran: cb_child_fork is only the fork */
	bool read_op;               /* the measured op reads the first word (cb_measure_reads) */
	struct cb_workers_plan workers; /* concurrent instances: where their workers run */
	/* private to lib: inside cb_workers_run, this worker's gate and index; the counting pass
	 * also counts the mmap_lock tracepoints */
	struct cb_gate *gate;
	int worker;
	bool count_mmap_lock;
};

/* The region a scenario works on, set up for ctx->backing. The measured pages are pages
 * [0, pages) at addr + i * stride (stride > page size for thp_single_pte: one page per THP). */
struct cb_region {
	char *addr;
	size_t len, pages, stride;
	struct cb_vmstat *vs_map;   /* vmstat at map time: fallback counts for a skip reason */
};

/* Records a failed call ("mmap", -errno) once as the pass's error and returns err. */
int cb_ctx_error(struct cb_ctx *ctx, const char *call, int err);
/* Marks the pass skip/fail with a reason; returns 0 so a scenario can return it directly. */
int cb_ctx_skip(struct cb_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cb_ctx_fail(struct cb_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Marks the pass disturbed ("numa_hint_faults 3", "sibling not on CPU 1"): see CB_DISTURBED. */
int cb_ctx_disturbed(struct cb_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Adds a scenario-specific figure to the record: from the counting pass under "extra", from the
 * timing pass (times only!) under "extra_timed"; ignored in warm-up. */
void cb_ctx_extra(struct cb_ctx *ctx, const char *name, double value);
/* The same figure recorded as {"unsupported": why}: absent would read as "not asked for". */
void cb_ctx_extra_unsupported(struct cb_ctx *ctx, const char *name, const char *why);

/* Maps the region for ctx->bk: aligned to the folio size, madvised as the backing needs. A size
 * that is not a whole number of folios is a skip. */
int cb_region_map(struct cb_ctx *ctx, struct cb_region *r);
void cb_region_unmap(struct cb_region *r);
/* Writes every byte of every page (non-zero pattern; first word = tag ^ page index), untimed;
 * then turns it into the backing (PTE-maps THPs for thp_pte, keeps one PTE per THP for
 * thp_single_pte) and verifies it with cb_region_check. */
int cb_region_fill(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag);
/* cb_region_map then cb_region_fill: returns 0 or -errno; the pass may also have become skip
 * (backing not obtained), which callers check in ctx->res->status before going on. */
int cb_region_setup(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag);
/* Only the data part of cb_region_fill: no shaping, no check (pages may be swapped out at once
 * under a memory limit). */
void cb_region_fill_data(struct cb_region *r, uint64_t tag);
/* Verifies the backing is what was asked for: every measured page present, in folios of the
 * backing's size (kpageflags), PMD-mapped or not (smaps AnonHugePages). Otherwise skip, naming
 * the folio sizes obtained and the fallback counters. */
int cb_region_check(struct cb_ctx *ctx, struct cb_region *r);
/* Checks every page's first word is tag ^ index and its last word is the fill pattern (or 0
 * when zero_fill: the page was never filled). A mismatch is `fail` naming who saw it. */
int cb_region_verify(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag, bool zero_fill, const char *who);

/*
 * The measured op: one write of (tag ^ index) to the first word of every page, in order.
 * Timing pass: per-op latency into the histogram and the loop's wall time. Counting pass:
 * perf counters around the loop, pagemap before/after, per-page fault counts, COW
 * classification, vmstat deltas. Runs in the calling process (call it in the child where
 * the child writes). Returns 0 or -errno; may set skip (pages not shared as expected).
 */
int cb_measure_writes(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag);
/* The measured step of most COW scenarios: expect_mapcount = mapcount, cb_measure_writes, then
 * cb_region_verify that every page holds tag (who names the writer in a mismatch). */
int cb_measure_writes_verified(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag, int mapcount,
			       const char *who);
/* The first touch of never-touched pages (expect_mapcount 0), cb_measure_writes, then the
 * folios the backing asked for (cb_region_check: the first touch is what populates it) and the
 * data (cb_region_verify, zero-filled behind the tag). */
int cb_measure_first_touch(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag, const char *who);

/*
 * The measured op as a read of the first word of every page, each a swap entry before it
 * (pre-check CB_EXPECT_SWAPPED): the swap-in, measured like cb_measure_writes (the timing pass
 * also gives the latencies of the ops that faulted: fault_hist), then cb_region_verify that every
 * page still holds tag (who names the reader in a mismatch).
 */
int cb_measure_reads(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag, const char *who);

/*
 * A measured operation on the region as a whole (fork, munmap, MADV_DONTNEED, a process exit,
 * MADV_COLLAPSE, MADV_POPULATE_WRITE): timing pass: its wall time; counting pass: the counters
 * of task target (0: the caller) around it, vmstat deltas, folio sizes before and after (while
 * the region is mapped). No COW classification. op returns 0 or -errno.
 */
typedef int (*cb_op_fn)(struct cb_ctx *ctx, struct cb_region *r, void *arg);
int cb_measure_op(struct cb_ctx *ctx, struct cb_region *r, pid_t target, cb_op_fn op, void *arg);
/*
 * The swap-out of the populated region as a measured op (cb_measure_op): MADV_PAGEOUT, then the
 * wait until the swap device completed its writes (struct cb_swap_wb). Afterwards every page must
 * be a swap entry and the device must have completed exactly the region's sectors, else the pass
 * is disturbed. Extras: the size's swpout / swpout_fallback (large folios: written whole or split),
 * swapped_pages, swapcache_after (pages left in the swap cache: mincore), writeback_polls;
 * extra_timed.writeback_wait_ns. A skip where zswap is on or the top priority is shared.
 */
int cb_measure_pageout(struct cb_ctx *ctx, struct cb_region *r);
/* Region operations for op scenarios: each returns 0 or -errno via cb_ctx_error. */
int cb_region_munmap(struct cb_ctx *ctx, struct cb_region *r);
int cb_region_dontneed(struct cb_ctx *ctx, struct cb_region *r);
int cb_region_populate(struct cb_ctx *ctx, struct cb_region *r);
int cb_region_collapse(struct cb_ctx *ctx, struct cb_region *r);
/* The whole of a simple op scenario: map and populate the region for the backing (verified),
 * measure op on it, unmap. */
int cb_measure_populated_op(struct cb_ctx *ctx, uint64_t tag, cb_op_fn op, void *arg);
/* Lifts the base backing's MADV_NOHUGEPAGE (MADV_HUGEPAGE), so the region may become THP. */
int cb_region_thp_allow(struct cb_ctx *ctx, struct cb_region *r);

/* Writes tag ^ page to the first word of every measured page (in ctx->order, if set), storing in
 * faults[page] the page faults that write took, untimed: for scenarios that need a second
 * classified write outside the record's measured loop. Returns 0 or -errno via cb_ctx_error. */
int cb_region_write_faults(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag, uint32_t *faults);

/* Pins the calling task to cpu. */
int cb_cpu_pin(struct cb_ctx *ctx, int cpu);

/* The sync channel and stdio flush of the next cb_child_fork, done ahead so that a timed fork
 * times fork() alone. Returns 0 or -errno. */
int cb_child_prepare(struct cb_ctx *ctx);
/* fork() with a sync channel: returns 0 in the child, the pid in the parent, -errno on error. */
pid_t cb_child_fork(struct cb_ctx *ctx);
/* In the child: ends it, reporting ret (0 or -errno) to cb_child_wait. Never returns. */
void cb_child_exit(struct cb_ctx *ctx, int ret) __attribute__((noreturn));
/* In the child: blocks until the parent calls cb_child_release (or dies). */
int cb_child_hold(struct cb_ctx *ctx);
/* In the child: tells the parent it is ready (cb_child_wait_ready). */
int cb_child_ready(struct cb_ctx *ctx);
/* In the parent: waits for cb_child_ready; -EPIPE when the child ended first. */
int cb_child_wait_ready(struct cb_ctx *ctx);
/* In the parent: lets a held child go on. */
int cb_child_release(struct cb_ctx *ctx);
/* In the parent: reaps the child; returns its ret, or -ECHILD-style errors. */
int cb_child_wait(struct cb_ctx *ctx);

#endif
