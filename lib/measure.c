/* The measured loops and ops: timing, untimed and counting passes of per-page writes, whole-region
 * ops, with the checks that decide whether a pass's figures can be trusted (mapcount pre-check,
 * vmstat guards, interference, the peer's pagemap). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cb.h"
#include "faultlat.h"
#include "interfere.h"
#include "numa_place.h"
#include "opts.h"
#include "scenario.h"
#include "scenario_int.h"
#include "timer.h"

int cb_measure_writes_verified(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag, int mapcount,
			       const char *who)
{
	int ret;

	ctx->expect_mapcount = mapcount;
	ret = cb_measure_writes(ctx, r, tag);
	if (!ret)
		ret = cb_region_verify(ctx, r, tag, false, who);
	return ret;
}

int cb_measure_first_touch(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag, const char *who)
{
	int ret;

	ctx->expect_mapcount = 0;
	ret = cb_measure_writes(ctx, r, tag);
	if (!ret)
		ret = cb_region_check(ctx, r);
	if (!ret)
		ret = cb_region_verify(ctx, r, tag, true, who);
	return ret;
}

static int cb_measure_precheck(struct cb_ctx *ctx, struct cb_region_snap *snap);

/* VMAs of this process overlapping the region (/proc/self/maps): merging or splitting changes
 * what fork and zap walk. */
static int cb_region_vmas(const struct cb_region *r)
{
	uintptr_t lo = (uintptr_t)r->addr, hi = lo + r->len;
	char line[512];
	int n = 0;
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;

		if (sscanf(line, "%lx-%lx", &s, &e) == 2 && s < hi && e > lo)
			n++;
	}
	fclose(f);
	return n;
}

/* Interference over the loop: recorded, and over the thresholds the pass is disturbed. */
static void cb_measure_interfere(struct cb_ctx *ctx, const struct cb_interfere *a, uint64_t loop_ns)
{
	struct cb_interfere b;
	char why[160];

	cb_interfere_snap(a->cpu_at, &b);
	cb_interfere_delta(a, &b, &ctx->res->interfere);
	ctx->res->interfere_read = true;
	if (cb_interfere_excessive(&ctx->res->interfere, loop_ns, why, sizeof(why)))
		cb_ctx_disturbed(ctx, "%s", why);
}

static void cb_measure_interfere_begin(struct cb_interfere *a)
{
	int cpu = sched_getcpu();

	cb_interfere_snap(cpu, a);
	a->cpu_at = cpu;
}

/* A guard counter that moved during the pass makes it disturbed, naming the counter. */
static void cb_measure_guard(struct cb_ctx *ctx, const struct cb_vmstat *delta)
{
	char why[96];

	if (cb_vmstat_guard(delta, why, sizeof(why)))
		cb_ctx_disturbed(ctx, "%s", why);
}

/* Faults this thread has taken (minor + major). Read right around a loop, so its count is the
 * loop's alone: the interference snapshots' file reads and the result pages' first writes fault
 * too. Returns false when getrusage failed. */
static bool cb_thread_faults(uint64_t *n)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru))
		return false;
	*n = (uint64_t)ru.ru_minflt + (uint64_t)ru.ru_majflt;
	return true;
}

static void cb_loop_faults(struct cb_pass_result *res, bool ok0, uint64_t f0)
{
	uint64_t f1;

	res->loop_faults_read = ok0 && cb_thread_faults(&f1) && f1 >= f0;
	res->loop_faults = res->loop_faults_read ? f1 - f0 : 0;
}

/* One measured op at page p: a write of tag ^ p to its first word, or a read of it (ctx->read_op).
 * Inlined with a constant `read` into each loop, so neither kind pays for the other's branch. */
static inline __attribute__((always_inline)) void cb_op_page(struct cb_region *r, size_t p, uint64_t tag, bool read)
{
	if (read)
		(void)*(volatile uint64_t *)cb_page_word(r, p, 0);
	else
		*(volatile uint64_t *)cb_page_word(r, p, 0) = tag ^ p;
}

static inline __attribute__((always_inline)) void cb_ops_ticked(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag,
								 uint64_t *ticks, bool read)
{
	ticks[0] = cb_timer_ticks();
	for (size_t i = 0; i < r->pages; i++) {
		cb_op_page(r, ctx->order ? ctx->order[i] : i, tag, read);
		ticks[i + 1] = cb_timer_ticks();
	}
}

static inline __attribute__((always_inline)) void cb_ops_plain(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag,
								bool read)
{
	for (size_t i = 0; i < r->pages; i++)
		cb_op_page(r, ctx->order ? ctx->order[i] : i, tag, read);
}

/* The timed loop: one timestamp per op, chained, each stored raw in the next slot of ticks (a
 * pre-faulted array written in order: one cache line per 8 ops); the histogram is built after the
 * loop. Binning in the loop (a division, a bucket that the fault's kernel path has evicted from
 * the cache) cost ~170 ns per first-touch fault here, against ~20 ns for the timer pair. The raw
 * ticks go to *ticks_out (the caller frees them) when it is not NULL. */
static int cb_loop_timed(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag, uint64_t **ticks_out)
{
	struct cb_hist *h = &ctx->res->hist;
	uint64_t *ticks = malloc((r->pages + 1) * sizeof(*ticks));
	uint64_t start, end, f0;
	bool ok0;

	if (!ticks)
		return cb_ctx_error(ctx, "malloc", -ENOMEM);
	/* Pre-fault it. Not memset(0): gcc folds malloc + memset(0) into calloc, whose large blocks
	 * are fresh mmap'd pages, and the loop then took one fault per 512 ops in its timed window
	 * (128 MiB regions; smaller ones as malloc's state decided). */
	for (size_t i = 0; i <= r->pages; i += cb_page_size / sizeof(*ticks))
		((volatile uint64_t *)ticks)[i] = 0;
	((volatile uint64_t *)ticks)[r->pages] = 0; /* the page of the last, when the stride passed it */
	(void)cb_clock_ns(); /* a fresh worker's first clock read faults in the vDSO's data page */
	cb_gate_begin(ctx);
	ok0 = cb_thread_faults(&f0);
	start = cb_clock_ns();
	if (ctx->read_op)
		cb_ops_ticked(ctx, r, tag, ticks, true);
	else
		cb_ops_ticked(ctx, r, tag, ticks, false);
	end = cb_clock_ns();
	cb_loop_faults(ctx->res, ok0, f0);
	cb_gate_end(ctx);
	ctx->res->loop_ns = end - start;
	/* The timing pass also logs each op's latency at its page, for the fault latency (which
	 * pages faulted only the counting pass knows). */
	if (ctx->pass == CB_PASS_TIMING && ctx->plog && r->pages <= ctx->plog->cap) {
		for (size_t i = 0; i < r->pages; i++) {
			uint64_t ns = cb_timer_ns(ticks[i + 1] - ticks[i]);

			cb_hist_add(h, ns);
			ctx->plog->op_ns[ctx->order ? ctx->order[i] : i] = ns;
		}
		ctx->res->op_ns_logged = true;
	} else {
		for (size_t i = 0; i < r->pages; i++)
			cb_hist_add(h, cb_timer_ns(ticks[i + 1] - ticks[i]));
	}
	if (ticks_out)
		*ticks_out = ticks;
	else
		free(ticks);
	return 0;
}

/* The untimed loop: the clock only around it. */
static void cb_loop_untimed(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag)
{
	uint64_t f0, start, end;
	bool ok0;

	(void)cb_clock_ns(); /* a fresh worker's first clock read faults in the vDSO's data page */
	cb_gate_begin(ctx);
	ok0 = cb_thread_faults(&f0);
	start = cb_clock_ns();
	if (ctx->read_op)
		cb_ops_plain(ctx, r, tag, true);
	else
		cb_ops_plain(ctx, r, tag, false);
	end = cb_clock_ns();
	cb_loop_faults(ctx->res, ok0, f0);
	cb_gate_end(ctx);
	ctx->res->loop_ns = end - start;
}

/*
 * A read loop over pages that were all swap entries before it (the pre-check): which of its ops
 * faulted, from the folios the pages are in after it. A swap-in fault maps one folio (a swap
 * cache readahead maps nothing), so every folio took at least one fault, at the first op that
 * touched it; where the loop's faults equal its folios, it took exactly that one, and those ops
 * are the faulting ones: their latencies are res->fault_hist. Otherwise it is withheld, why said.
 */
static int cb_measure_fault_ops(struct cb_ctx *ctx, struct cb_region *r, struct cb_region_snap *after,
				const uint64_t *ticks)
{
	struct cb_pass_result *res = ctx->res;
	unsigned char *first = calloc(r->pages, 1);
	size_t folios;
	int ret;

	if (!first)
		return cb_ctx_error(ctx, "calloc", -ENOMEM);
	ret = cb_region_snap_kpage(ctx, after, CB_SNAP_FLAGS);
	if (ret)
		goto free_first;
	folios = cb_folio_first_ops(after->pfn, after->flags, r->pages, ctx->order, first);
	if (folios == SIZE_MAX) {
		ret = cb_ctx_error(ctx, "malloc", -ENOMEM);
		goto free_first;
	}
	res->fault_folios = folios;
	if (!res->loop_faults_read) {
		snprintf(res->fault_hist_why, sizeof(res->fault_hist_why), "the loop's faults could not be read (getrusage)");
	} else if (res->loop_faults != folios) {
		snprintf(res->fault_hist_why, sizeof(res->fault_hist_why),
			 "the loop took %llu faults for %zu folios: which ops faulted is not known",
			 (unsigned long long)res->loop_faults, folios);
	} else {
		cb_hist_init(&res->fault_hist);
		for (size_t i = 0; i < r->pages; i++)
			if (first[i])
				cb_hist_add(&res->fault_hist, cb_timer_ns(ticks[i + 1] - ticks[i]));
		res->fault_hist_read = true;
	}
free_first:
	free(first);
	return ret;
}

/*
 * Timing and untimed passes: pagemap and the mapcount pre-check before the loop and pagemap
 * after it, all outside the clock, so each pass's outcome is known and tied to its latencies.
 * Warm-up: the loop alone.
 */
static int cb_measure_timed(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag)
{
	struct cb_pass_result *res = ctx->res;
	struct cb_region_snap before, after;
	struct cb_vmstat *vs = NULL;
	struct cb_interfere intf;
	uint64_t *ticks = NULL;
	int ret;

	if (ctx->pass == CB_PASS_WARMUP)
		return cb_loop_timed(ctx, r, tag, NULL);
	ret = cb_region_snapshot(ctx, r, &before);
	if (ret)
		return ret;
	ret = cb_measure_precheck(ctx, &before);
	if (ret || res->status != CB_OK)
		goto free_before;
	vs = calloc(3, sizeof(*vs));
	if (!vs) {
		ret = cb_ctx_error(ctx, "calloc", -ENOMEM);
		goto free_before;
	}
	cb_vmstat_snap(&vs[0]);
	cb_measure_interfere_begin(&intf);
	if (ctx->pass == CB_PASS_UNTIMED) {
		cb_loop_untimed(ctx, r, tag);
	} else {
		ret = cb_loop_timed(ctx, r, tag, ctx->read_op ? &ticks : NULL);
		if (ret)
			goto free_vmstat;
		res->per_op_timed = true;
	}
	cb_measure_interfere(ctx, &intf, res->loop_ns);
	cb_vmstat_snap(&vs[1]);
	cb_vmstat_delta(&vs[0], &vs[1], &vs[2]);
	cb_measure_guard(ctx, &vs[2]);
	ret = cb_region_snapshot(ctx, r, &after);
	if (ret)
		goto free_vmstat;
	/* No fault counts here: a changed PFN is a copy, a kept one a reuse (or no fault). */
	cb_cow_classify(before.raw, after.raw, NULL, r->pages, &res->cow_pfn);
	res->pfn_classified = true;
	if (ticks)
		ret = cb_measure_fault_ops(ctx, r, &after, ticks);
	cb_region_snap_free(&after);
free_vmstat:
	free(ticks);
	free(vs);
free_before:
	cb_region_snap_free(&before);
	return ret;
}

/* Checks the pages are mapped as the scenario intends before the writes (kpagecount is the
 * mapcount) and notes their folio sizes. Returns 0 and sets skip when they are not. */
static int cb_measure_precheck(struct cb_ctx *ctx, struct cb_region_snap *snap)
{
	struct cb_pass_result *res = ctx->res;
	size_t bad = 0, zero_pfn = 0, n = snap->n;
	int ret;

	for (size_t i = 0; i < n; i++) {
		struct cb_pm_entry e;

		cb_pagemap_decode(snap->raw[i], &e);
		zero_pfn += e.present && !e.pfn;
		if (ctx->expect_mapcount == 0 && e.present)
			bad++;
		if (ctx->expect_mapcount == CB_EXPECT_SWAPPED && !e.swapped)
			bad++;
		if (ctx->expect_mapcount == CB_EXPECT_EXCLUSIVE && !e.present && !e.swapped)
			bad++;
		if (ctx->expect_mapcount > 0 && !e.present)
			bad++;
	}
	if (zero_pfn)
		return cb_ctx_skip(ctx, "pagemap shows no PFNs (needs CAP_SYS_ADMIN): cannot classify COW");
	if (ctx->expect_mapcount == CB_EXPECT_EXCLUSIVE) {
		if (bad)
			cb_ctx_skip(ctx, "%zu of %zu pages neither resident nor swapped before the write", bad, n);
		return 0;
	}
	if (ctx->expect_mapcount == CB_EXPECT_SWAPPED) {
		if (bad)
			cb_ctx_skip(ctx, "%zu of %zu pages not swapped out before the write", bad, n);
		return 0;
	}
	if (ctx->expect_mapcount == 0) {
		if (bad)
			cb_ctx_skip(ctx, "%zu of %zu pages already present before the first touch", bad, n);
		return 0;
	}
	ret = cb_region_snap_kpage(ctx, snap, CB_SNAP_COUNT);
	if (ret)
		return ret;
	for (size_t i = 0; i < n; i++)
		bad += snap->pfn[i] && snap->count[i] != (uint64_t)ctx->expect_mapcount;
	if (bad)
		return cb_ctx_skip(ctx, "%zu of %zu pages not mapped %d time(s) before the write (not shared as intended)",
				   bad, n, ctx->expect_mapcount);
	return cb_region_snap_folios(ctx, snap, res->folio_pages_by_order);
}

/* The counting pass's loop: nothing but the writes (their faults are sampled, not read). */
static void cb_write_plain(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag)
{
	if (ctx->read_op)
		cb_ops_plain(ctx, r, tag, true);
	else
		cb_ops_plain(ctx, r, tag, false);
}

/* Fallback where the sample ring cannot be locked (unprivileged, RLIMIT_MEMLOCK): each write
 * bracketed by reads of a lone page-fault counter. Faults of the reads themselves land in
 * the page they bracket: the record says which method counted. */
static void cb_write_faults(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag, int fc, uint32_t *faults)
{
	for (size_t i = 0; i < r->pages; i++) {
		size_t p = ctx->order ? ctx->order[i] : i;
		uint64_t f0 = cb_faultctr_read(fc);

		cb_op_page(r, p, tag, ctx->read_op);
		faults[p] = (uint32_t)(cb_faultctr_read(fc) - f0);
	}
}

/* Optional counters around the loop (NULL: none), enabled innermost. */
struct cb_count_ctl {
	struct cb_counters *counters;
	struct cb_vmstat *vs;       /* [0] before, [1] after */
};

/*
 * The counted write loop: per-page faults by address (faults outside the measured pages in
 * *outside), no syscall inside the loop. Counter enable/disable/read failures are errors; a
 * lost sample makes the pass `disturbed`. Returns 0 or -errno via cb_ctx_error.
 */
static int cb_write_counted(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag, uint32_t *faults,
			    uint64_t *outside, const struct cb_count_ctl *ctl)
{
	struct cb_faultsamp fs;
	struct cb_interfere intf;
	uint64_t lost = 0, t0;
	int ret, fc = -1;

	memset(faults, 0, r->pages * sizeof(*faults));
	*outside = 0;
	ret = cb_faultsamp_open(&fs, 3 * r->pages);
	if (ret) {
		fc = cb_faultctr_open();
		if (fc < 0)
			return cb_ctx_error(ctx, "perf_event_open(page-faults)", fc);
		ctx->res->faults_sampled = false;
	} else {
		ctx->res->faults_sampled = true;
	}
	if (ctl && ctl->vs)
		cb_vmstat_snap(&ctl->vs[0]);
	cb_measure_interfere_begin(&intf);
	cb_gate_begin(ctx);
	t0 = cb_clock_ns();
	if (fc < 0 && (ret = cb_faultsamp_enable(&fs))) {
		ret = cb_ctx_error(ctx, "ioctl(PERF_EVENT_IOC_ENABLE, fault sampler)", ret);
		goto close_sampler;
	}
	if (ctl && ctl->counters && (ret = cb_counters_enable(ctl->counters))) {
		ret = cb_ctx_error(ctx, "ioctl(PERF_EVENT_IOC_ENABLE)", ret);
		goto close_sampler;
	}
	if (fc < 0)
		cb_write_plain(ctx, r, tag);
	else
		cb_write_faults(ctx, r, tag, fc, faults);
	if (ctl && ctl->counters && (ret = cb_counters_disable(ctl->counters))) {
		ret = cb_ctx_error(ctx, "ioctl(PERF_EVENT_IOC_DISABLE)", ret);
		goto close_sampler;
	}
	if (fc < 0 && (ret = cb_faultsamp_disable(&fs))) {
		ret = cb_ctx_error(ctx, "ioctl(PERF_EVENT_IOC_DISABLE, fault sampler)", ret);
		goto close_sampler;
	}
	cb_gate_end(ctx);
	if (ctl)
		cb_measure_interfere(ctx, &intf, cb_clock_ns() - t0);
	if (ctl && ctl->vs)
		cb_vmstat_snap(&ctl->vs[1]);
	if (ctl && ctl->counters && (ret = cb_counters_read(ctl->counters))) {
		ret = cb_ctx_error(ctx, "read(perf counters)", ret);
		goto close_sampler;
	}
	if (fc < 0) {
		cb_faultsamp_bin(&fs, r->addr, r->stride, r->pages, faults, outside, &lost);
		if (lost)
			cb_ctx_disturbed(ctx, "fault sampler lost %llu samples", (unsigned long long)lost);
	}
close_sampler:
	cb_gate_end(ctx); /* once only: a no-op where the loop's end passed it */
	if (fc >= 0)
		close(fc);
	else
		cb_faultsamp_close(&fs);
	return ret;
}

int cb_region_write_faults(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag, uint32_t *faults)
{
	uint64_t outside;

	return cb_write_counted(ctx, r, tag, faults, &outside, NULL);
}

/* The peer's view after the loop: pages it still maps at the PFN the writer saw before the
 * loop were shared for the whole of it (the peer did not run them: no refault); their outcomes
 * are the ones an exact assertion may rest on. */
static int cb_measure_peer(struct cb_ctx *ctx, struct cb_region *r, const struct cb_region_snap *before,
			   const struct cb_region_snap *after, const uint32_t *faults)
{
	struct cb_pass_result *res = ctx->res;
	uint64_t *b = calloc(r->pages, sizeof(*b)), *a = calloc(r->pages, sizeof(*a));
	uint32_t *f = calloc(r->pages, sizeof(*f));
	struct cb_region_snap peer;
	size_t n = 0;
	int ret;

	if (!b || !a || !f) {
		ret = cb_ctx_error(ctx, "calloc", -ENOMEM);
		goto free_arrays;
	}
	ret = cb_region_snapshot_of(ctx, r, ctx->peer, &peer);
	if (ret)
		goto free_arrays;
	for (size_t i = 0; i < r->pages; i++) {
		if (!before->pfn[i] || peer.pfn[i] != before->pfn[i])
			continue;
		b[n] = before->raw[i];
		a[n] = after->raw[i];
		f[n++] = faults[i];
	}
	cb_cow_classify(b, a, f, n, &res->peer_shared);
	res->peer_checked = true;
	cb_region_snap_free(&peer);
free_arrays:
	free(b);
	free(a);
	free(f);
	return ret;
}

/* KiB of the region PMD-mapped (smaps AnonHugePages) where that is all of it, its pages 4 KiB apart
 * from a PMD-aligned start; else 0. */
static long cb_region_pmd_mapped_kb(const struct cb_region *r)
{
	size_t pmd = cb_thp_pmd_size();
	long kb;

	if (!pmd || r->stride != cb_page_size || (uintptr_t)r->addr % pmd || r->len % pmd)
		return 0;
	kb = cb_smaps_anon_huge_kb(r->addr, r->len);
	return kb > 0 && (size_t)kb * 1024 == r->len ? kb : 0;
}

static int cb_measure_counted(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag)
{
	struct cb_pass_result *res = ctx->res;
	struct cb_region_snap before, after;
	uint32_t *faults, *folio_before, *folio_after;
	struct cb_vmstat *vs;
	long huge_kb;
	int ret;

	faults = calloc(r->pages, sizeof(*faults));
	folio_before = calloc(r->pages, sizeof(*folio_before));
	folio_after = calloc(r->pages, sizeof(*folio_after));
	vs = calloc(2, sizeof(*vs));
	if (!faults || !folio_before || !folio_after || !vs) {
		ret = cb_ctx_error(ctx, "calloc", -ENOMEM);
		goto free_arrays;
	}
	ret = cb_region_snapshot(ctx, r, &before);
	if (ret)
		goto free_arrays;
	ret = cb_measure_precheck(ctx, &before);
	if (ret || res->status != CB_OK)
		goto free_before;
	/* The folios as they are before the loop (the pre-check read their flags): a whole-folio
	 * copy is told by these boundaries, which the old pages' flags after it no longer show. */
	if (ctx->expect_mapcount >= 2)
		cb_folio_bounds(before.pfn, before.flags, r->pages, folio_before);
	huge_kb = cb_region_pmd_mapped_kb(r);
	/* --events replaces the default hardware set (issue 5). */
	ret = cb_counters_open_events(&res->counters, 0, -1, false, ctx->opts ? ctx->opts->events : NULL);
	if (ret) {
		ret = cb_ctx_error(ctx, "perf_event_open", ret);
		goto free_before;
	}
	/* Concurrent faults: which of this task's faults took mmap_lock (an unsupported counter
	 * says why in the record). */
	for (size_t i = 0; ctx->count_mmap_lock && i < CB_ARRAY_SIZE(cb_mmap_lock_events); i++)
		cb_counters_add_tp(&res->counters, cb_mmap_lock_events[i], 0, -1, false);
	{
		struct cb_count_ctl ctl = { .counters = &res->counters, .vs = vs };

		ret = cb_write_counted(ctx, r, tag, faults, &res->faults_outside, &ctl);
	}
	if (ret)
		goto close_counters;
	cb_vmstat_delta(&vs[0], &vs[1], &res->vmstat_delta);
	cb_measure_guard(ctx, &res->vmstat_delta);
	res->vmas = cb_region_vmas(r);
	/* Issue 5 (NUMA): the node of every written page, for the record; outside the counters.
	 * Concurrent workers' parts: cb_workers_run notes the whole region. */
	if (!ctx->gate)
		cb_numa_pages_note(r->addr, r->stride, r->pages);
	ret = cb_region_snapshot(ctx, r, &after);
	if (ret)
		goto close_counters;
	ret = cb_region_snap_folios(ctx, &after, res->folio_pages_by_order_after);
	if (ret)
		goto free_after;
	/* Every page PMD-mapped before and after: a PMD's later faults are spurious (see
	 * cb_faults_drop_spurious_pmd), counted apart, not as its pages' outcomes. */
	if (huge_kb > 0 && huge_kb == cb_region_pmd_mapped_kb(r)) {
		ret = cb_faults_drop_spurious_pmd(before.pfn, after.pfn, faults, ctx->order, r->pages,
						  cb_thp_pmd_size() / r->stride, &res->faults_spurious_pmd);
		if (ret) {
			ret = cb_ctx_error(ctx, "calloc", ret);
			goto free_after;
		}
	}
	for (size_t i = 0; i < r->pages; i++) {
		res->faults_total += faults[i];
		res->pages_by_faults[faults[i] < 3 ? faults[i] : 3]++;
	}
	if (ctx->plog && r->pages <= ctx->plog->cap) {
		memcpy(ctx->plog->faults, faults, r->pages * sizeof(*faults));
		res->faults_logged = true;
	}
	if (ctx->expect_mapcount >= 2) {
		/* Another process mapped every page: a copy leaves it the old page. Where the old
		 * page is free now, the write's PFN change was a migration; where a large folio's
		 * pages all changed after one fault and the old ones are still mapped, the kernel
		 * copied the whole folio (cb_cow_classify_snap). */
		struct cb_cow_snap cs = { .n = r->pages, .before = before.raw, .after = after.raw, .faults = faults,
					  .old_count = before.count, .old_flags = before.flags,
					  .folio_before = folio_before, .folio_after = folio_after };

		cb_folio_bounds(after.pfn, after.flags, r->pages, folio_after);
		ret = cb_region_snap_kpage(ctx, &before, CB_SNAP_COUNT | CB_SNAP_FLAGS);
		if (ret)
			goto free_after;
		cb_cow_classify_snap(&cs, &res->cow);
	} else {
		cb_cow_classify(before.raw, after.raw, faults, r->pages, &res->cow);
	}
	res->classified = true;
	if (res->cow.moved)
		cb_ctx_disturbed(ctx, "%llu page(s) moved without a fault at them (PFN changed)",
				 (unsigned long long)res->cow.moved);
	else if (res->cow.migrated)
		cb_ctx_disturbed(ctx, "%llu page(s) migrated (new PFN; the old page free, the other process no longer maps it)",
				 (unsigned long long)res->cow.migrated);
	if (ctx->peer > 0)
		ret = cb_measure_peer(ctx, r, &before, &after, faults);
free_after:
	cb_region_snap_free(&after);
close_counters:
	cb_counters_close(&res->counters);
free_before:
	cb_region_snap_free(&before);
free_arrays:
	free(faults);
	free(folio_before);
	free(folio_after);
	free(vs);
	return ret;
}

/* The pre-check outside the counting pass (which does its own around its snapshots): a warm-up
 * or timing pass whose pages were not mapped as the scenario intends would time something else. */
static int cb_measure_checked(struct cb_ctx *ctx, struct cb_region *r)
{
	struct cb_region_snap snap;
	int ret = cb_region_snapshot(ctx, r, &snap);

	if (ret)
		return ret;
	ret = cb_measure_precheck(ctx, &snap);
	cb_region_snap_free(&snap);
	return ret;
}

int cb_measure_reads(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag, const char *who)
{
	int ret;

	ctx->expect_mapcount = CB_EXPECT_SWAPPED;
	ctx->read_op = true;
	ret = cb_measure_writes(ctx, r, tag);
	ctx->read_op = false;
	if (!ret)
		ret = cb_region_verify(ctx, r, tag, false, who);
	return ret;
}

int cb_measure_writes(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag)
{
	int ret;

	ctx->res->measured = true;
	ctx->res->pages = r->pages;
	if (ctx->pass == CB_PASS_COUNTING)
		return cb_measure_counted(ctx, r, tag);
	/* Timing and untimed passes pre-check inside cb_measure_timed (with their snapshots). */
	if (ctx->pass == CB_PASS_WARMUP) {
		ret = cb_measure_checked(ctx, r);
		if (ret || ctx->res->status != CB_OK)
			return ret;
	}
	return cb_measure_timed(ctx, r, tag);
}

/* Folio sizes of the region as it is now, for the op's before/after picture. */
static int cb_measure_op_folios(struct cb_ctx *ctx, struct cb_region *r, uint64_t by_order[CB_FOLIO_ORDERS])
{
	struct cb_region_snap snap;
	int ret;

	if (!r->addr)
		return 0;
	ret = cb_region_snapshot(ctx, r, &snap);
	if (ret)
		return ret;
	ret = cb_region_snap_folios(ctx, &snap, by_order);
	cb_region_snap_free(&snap);
	return ret;
}

int cb_measure_op(struct cb_ctx *ctx, struct cb_region *r, pid_t target, cb_op_fn op, void *arg)
{
	struct cb_pass_result *res = ctx->res;
	struct cb_vmstat *vs;
	struct cb_kwork kw[2];
	char why[160];
	uint64_t t0, t1;
	int ret, cerr;

	res->measured = true;
	res->pages = r->pages;
	if (ctx->pass != CB_PASS_COUNTING) {
		struct cb_interfere intf;

		if (ctx->pass == CB_PASS_TIMING)
			cb_measure_interfere_begin(&intf);
		t0 = cb_timer_ticks();
		ret = op(ctx, r, arg);
		t1 = cb_timer_ticks();
		res->loop_ns = cb_timer_ns(t1 - t0);
		cb_hist_add(&res->hist, res->loop_ns);
		if (ctx->pass == CB_PASS_TIMING)
			cb_measure_interfere(ctx, &intf, res->loop_ns);
		return ret;
	}
	vs = calloc(2, sizeof(*vs));
	if (!vs)
		return cb_ctx_error(ctx, "calloc", -ENOMEM);
	ret = cb_measure_op_folios(ctx, r, res->folio_pages_by_order);
	if (ret)
		goto free_vmstat;
	if (r->addr)
		res->vmas = cb_region_vmas(r);
	/* Issue 5 (NUMA): the node of every page the op works on (before it: a zap leaves none). */
	cb_numa_pages_note(r->addr, r->stride, r->pages);
	/* --events replaces the default hardware set (issue 5). */
	ret = cb_counters_open_events(&res->counters, target, -1, false, ctx->opts ? ctx->opts->events : NULL);
	if (ret) {
		ret = cb_ctx_error(ctx, "perf_event_open", ret);
		goto free_vmstat;
	}
	cb_vmstat_snap(&vs[0]);
	cb_kwork_snap(&kw[0]);
	t0 = cb_clock_ns();
	ret = cb_counters_enable(&res->counters);
	if (ret) {
		ret = cb_ctx_error(ctx, "ioctl(PERF_EVENT_IOC_ENABLE)", ret);
		cb_counters_close(&res->counters);
		goto free_vmstat;
	}
	ret = op(ctx, r, arg);
	cerr = cb_counters_disable(&res->counters);
	if (!cerr)
		cerr = cb_counters_read(&res->counters);
	if (cerr && !ret)
		ret = cb_ctx_error(ctx, "perf counters (disable/read)", cerr);
	t1 = cb_clock_ns();
	cb_kwork_snap(&kw[1]);
	cb_vmstat_snap(&vs[1]);
	cb_vmstat_delta(&vs[0], &vs[1], &res->vmstat_delta);
	cb_measure_guard(ctx, &res->vmstat_delta);
	/* Background kernel work over the op: the one interference check of this untimed pass. */
	cb_kwork_delta(&kw[0], &kw[1], &res->interfere.kwork);
	if (cb_kwork_excessive(&res->interfere.kwork, t1 - t0, why, sizeof(why)))
		cb_ctx_disturbed(ctx, "%s", why);
	cb_counters_close(&res->counters);
	if (!ret)
		ret = cb_measure_op_folios(ctx, r, res->folio_pages_by_order_after);
free_vmstat:
	free(vs);
	return ret;
}

