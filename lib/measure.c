/* The measured loops and ops: timing, untimed and counting passes of per-page writes, whole-region
 * ops, with the checks that decide whether a pass's figures can be trusted (mapcount pre-check,
 * vmstat guards, interference, the peer's pagemap). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cb.h"
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

static int cb_measure_precheck(struct cb_ctx *ctx, const uint64_t *raw, uint64_t *pfns, size_t n);

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
	char why[128];

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
static void cb_measure_guard(struct cb_ctx *ctx, const struct cb_vmstat *delta, bool op)
{
	char why[96];

	if (cb_vmstat_guard(delta, op, why, sizeof(why)))
		cb_ctx_disturbed(ctx, "%s", why);
}

/* The timed loop: one timestamp per op, chained: each interval holds one write plus the
 * previous op's histogram update (a few ns), which halves the timer's cost against a
 * start/stop pair. */
static void cb_loop_timed(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag)
{
	struct cb_hist *h = &ctx->res->hist;
	uint64_t start = cb_clock_ns();
	uint64_t prev = cb_timer_ticks();

	for (size_t i = 0; i < r->pages; i++) {
		size_t p = ctx->order ? ctx->order[i] : i;
		uint64_t now;

		*(volatile uint64_t *)cb_page_word(r, p, 0) = tag ^ p;
		now = cb_timer_ticks();
		cb_hist_add(h, cb_timer_ns(now - prev));
		prev = now;
	}
	ctx->res->loop_ns = cb_clock_ns() - start;
}

/* The untimed loop: the clock only around it. */
static void cb_loop_untimed(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag)
{
	uint64_t start = cb_clock_ns();

	for (size_t i = 0; i < r->pages; i++) {
		size_t p = ctx->order ? ctx->order[i] : i;

		*(volatile uint64_t *)cb_page_word(r, p, 0) = tag ^ p;
	}
	ctx->res->loop_ns = cb_clock_ns() - start;
}

/* Outcomes from the PFNs alone (no fault counts): copy = changed, reuse = kept. */
static void cb_classify_pfn(const uint64_t *before, const uint64_t *after, size_t n, struct cb_cow_counts *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		struct cb_pm_entry b, a;

		cb_pagemap_decode(before[i], &b);
		cb_pagemap_decode(after[i], &a);
		if (!a.present)
			out->lost++;
		else if (!b.present && b.swapped)
			out->swapin++;
		else if (!b.present)
			out->fresh++;
		else if (a.pfn == b.pfn)
			out->reuse++;
		else
			out->copy++;
	}
}

/*
 * Timing and untimed passes: pagemap and the mapcount pre-check before the loop and pagemap
 * after it, all outside the clock, so each pass's outcome is known and tied to its latencies.
 * Warm-up: the loop alone.
 */
static int cb_measure_timed(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag)
{
	struct cb_pass_result *res = ctx->res;
	uint64_t *before = NULL, *after = NULL, *pfns = NULL;
	struct cb_vmstat *vs = NULL;
	struct cb_interfere intf;
	int pm = -1, ret = 0;

	if (ctx->pass == CB_PASS_WARMUP) {
		cb_loop_timed(ctx, r, tag);
		return 0;
	}
	before = calloc(r->pages, sizeof(*before));
	after = calloc(r->pages, sizeof(*after));
	pfns = calloc(r->pages, sizeof(*pfns));
	if (!before || !after || !pfns) {
		ret = cb_ctx_error(ctx, "calloc", -ENOMEM);
		goto free_arrays;
	}
	pm = cb_pagemap_open();
	if (pm < 0) {
		ret = cb_ctx_error(ctx, "open(/proc/self/pagemap)", pm);
		goto free_arrays;
	}
	ret = cb_region_pagemap(pm, r, before);
	if (ret) {
		ret = cb_ctx_error(ctx, "pread(pagemap)", ret);
		goto close_pagemap;
	}
	ret = cb_measure_precheck(ctx, before, pfns, r->pages);
	if (ret || res->status != CB_OK)
		goto close_pagemap;
	vs = calloc(3, sizeof(*vs));
	if (!vs) {
		ret = cb_ctx_error(ctx, "calloc", -ENOMEM);
		goto close_pagemap;
	}
	cb_vmstat_snap(&vs[0]);
	cb_measure_interfere_begin(&intf);
	if (ctx->pass == CB_PASS_UNTIMED) {
		cb_loop_untimed(ctx, r, tag);
	} else {
		cb_loop_timed(ctx, r, tag);
		res->per_op_timed = true;
	}
	cb_measure_interfere(ctx, &intf, res->loop_ns);
	cb_vmstat_snap(&vs[1]);
	cb_vmstat_delta(&vs[0], &vs[1], &vs[2]);
	cb_measure_guard(ctx, &vs[2], false);
	ret = cb_region_pagemap(pm, r, after);
	if (ret) {
		ret = cb_ctx_error(ctx, "pread(pagemap)", ret);
		goto close_pagemap;
	}
	cb_classify_pfn(before, after, r->pages, &res->cow_pfn);
	res->pfn_classified = true;
close_pagemap:
	if (pm >= 0)
		close(pm);
free_arrays:
	free(vs);
	free(before);
	free(after);
	free(pfns);
	return ret;
}

/* Checks the pages are mapped as the scenario intends before the writes (kpagecount is the
 * mapcount). Returns 0 and sets skip when they are not. */
static int cb_measure_precheck(struct cb_ctx *ctx, const uint64_t *raw, uint64_t *pfns, size_t n)
{
	struct cb_pass_result *res = ctx->res;
	uint64_t *words = calloc(n, sizeof(*words));
	size_t bad = 0, zero_pfn = 0;
	int ret;

	if (!words)
		return cb_ctx_error(ctx, "calloc", -ENOMEM);
	for (size_t i = 0; i < n; i++) {
		struct cb_pm_entry e;

		cb_pagemap_decode(raw[i], &e);
		pfns[i] = e.pfn;
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
	if (zero_pfn) {
		ret = cb_ctx_skip(ctx, "pagemap shows no PFNs (needs CAP_SYS_ADMIN): cannot classify COW");
		goto free_words;
	}
	if (ctx->expect_mapcount == CB_EXPECT_EXCLUSIVE) {
		if (bad)
			cb_ctx_skip(ctx, "%zu of %zu pages neither resident nor swapped before the write", bad, n);
		ret = 0;
		goto free_words;
	}
	if (ctx->expect_mapcount == CB_EXPECT_SWAPPED) {
		if (bad)
			cb_ctx_skip(ctx, "%zu of %zu pages not swapped out before the write", bad, n);
		ret = 0;
		goto free_words;
	}
	if (ctx->expect_mapcount == 0) {
		if (bad)
			cb_ctx_skip(ctx, "%zu of %zu pages already present before the first touch", bad, n);
		ret = 0;
		goto free_words;
	}
	ret = cb_kpage_read("/proc/kpagecount", pfns, n, words);
	if (ret) {
		ret = cb_ctx_error(ctx, "read(/proc/kpagecount)", ret);
		goto free_words;
	}
	for (size_t i = 0; i < n; i++)
		bad += pfns[i] && words[i] != (uint64_t)ctx->expect_mapcount;
	if (bad) {
		cb_ctx_skip(ctx, "%zu of %zu pages not mapped %d time(s) before the write (not shared as intended)",
			    bad, n, ctx->expect_mapcount);
		goto free_words;
	}
	ret = cb_kpage_read("/proc/kpageflags", pfns, n, words);
	if (ret) {
		ret = cb_ctx_error(ctx, "read(/proc/kpageflags)", ret);
		goto free_words;
	}
	cb_folio_runs(pfns, words, n, res->folio_pages_by_order);
free_words:
	free(words);
	return ret;
}

/* The counting pass's loop: nothing but the writes (their faults are sampled, not read). */
static void cb_write_plain(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag)
{
	for (size_t i = 0; i < r->pages; i++) {
		size_t p = ctx->order ? ctx->order[i] : i;

		*(volatile uint64_t *)cb_page_word(r, p, 0) = tag ^ p;
	}
}

/* Fallback where the sample ring cannot be locked (unprivileged, RLIMIT_MEMLOCK): each write
 * bracketed by reads of a lone page-fault counter. Faults of the reads themselves land in
 * the page they bracket: the record says which method counted. */
static void cb_write_faults(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag, int fc, uint32_t *faults)
{
	for (size_t i = 0; i < r->pages; i++) {
		size_t p = ctx->order ? ctx->order[i] : i;
		uint64_t f0 = cb_faultctr_read(fc);

		*(volatile uint64_t *)cb_page_word(r, p, 0) = tag ^ p;
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
static int cb_measure_peer(struct cb_ctx *ctx, struct cb_region *r, const uint64_t *before,
			   const uint64_t *after, const uint32_t *faults)
{
	struct cb_pass_result *res = ctx->res;
	uint64_t *peer = calloc(r->pages, sizeof(*peer)), *b = calloc(r->pages, sizeof(*b));
	uint64_t *a = calloc(r->pages, sizeof(*a));
	uint32_t *f = calloc(r->pages, sizeof(*f));
	size_t n = 0;
	char path[64];
	int fd, ret;

	if (!peer || !b || !a || !f) {
		ret = cb_ctx_error(ctx, "calloc", -ENOMEM);
		goto free_arrays;
	}
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)ctx->peer);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = cb_ctx_error(ctx, "open(/proc/PEER/pagemap)", -errno);
		goto free_arrays;
	}
	ret = cb_region_pagemap(fd, r, peer);
	close(fd);
	if (ret) {
		ret = cb_ctx_error(ctx, "pread(/proc/PEER/pagemap)", ret);
		goto free_arrays;
	}
	for (size_t i = 0; i < r->pages; i++) {
		struct cb_pm_entry eb, ep;

		cb_pagemap_decode(before[i], &eb);
		cb_pagemap_decode(peer[i], &ep);
		if (!eb.present || !ep.present || !eb.pfn || ep.pfn != eb.pfn)
			continue;
		b[n] = before[i];
		a[n] = after[i];
		f[n++] = faults[i];
	}
	cb_cow_classify(b, a, f, n, &res->peer_shared);
	res->peer_checked = true;
free_arrays:
	free(peer);
	free(b);
	free(a);
	free(f);
	return ret;
}

static int cb_measure_counted(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag)
{
	struct cb_pass_result *res = ctx->res;
	size_t n = r->pages;
	uint64_t *before, *after, *pfns, *flags;
	uint32_t *faults;
	struct cb_vmstat *vs;
	int pm, ret;

	flags = calloc(n, sizeof(*flags));
	before = calloc(n, sizeof(*before));
	after = calloc(n, sizeof(*after));
	pfns = calloc(n, sizeof(*pfns));
	faults = calloc(n, sizeof(*faults));
	vs = calloc(2, sizeof(*vs));
	if (!before || !after || !pfns || !flags || !faults || !vs) {
		ret = cb_ctx_error(ctx, "calloc", -ENOMEM);
		goto free_arrays;
	}
	/* Opened here, in the writing process: an fd from before fork reads the parent's tables. */
	pm = cb_pagemap_open();
	if (pm < 0) {
		ret = cb_ctx_error(ctx, "open(/proc/self/pagemap)", pm);
		goto free_arrays;
	}
	ret = cb_region_pagemap(pm, r, before);
	if (ret) {
		ret = cb_ctx_error(ctx, "pread(pagemap)", ret);
		goto close_pagemap;
	}
	ret = cb_measure_precheck(ctx, before, pfns, n);
	if (ret || res->status != CB_OK)
		goto close_pagemap;
	/* --events replaces the default hardware set (issue 5). */
	ret = cb_counters_open_events(&res->counters, 0, -1, false, ctx->opts ? ctx->opts->events : NULL);
	if (ret) {
		ret = cb_ctx_error(ctx, "perf_event_open", ret);
		goto close_pagemap;
	}
	{
		struct cb_count_ctl ctl = { .counters = &res->counters, .vs = vs };

		ret = cb_write_counted(ctx, r, tag, faults, &res->faults_outside, &ctl);
	}
	if (ret)
		goto close_counters;
	cb_vmstat_delta(&vs[0], &vs[1], &res->vmstat_delta);
	cb_measure_guard(ctx, &res->vmstat_delta, false);
	res->vmas = cb_region_vmas(r);
	/* Issue 5 (NUMA): the node of every written page, for the record; outside the counters. */
	cb_numa_pages_note(r->addr, r->stride, r->pages);
	ret = cb_region_pagemap(pm, r, after);
	if (ret) {
		ret = cb_ctx_error(ctx, "pread(pagemap)", ret);
		goto close_counters;
	}
	/* pfns doubles as scratch for the flags: the folio sizes after the writes. */
	ret = cb_region_folios(r, after, pfns, flags, res->folio_pages_by_order_after);
	if (ret) {
		ret = cb_ctx_error(ctx, "read(/proc/kpageflags)", ret);
		goto close_counters;
	}
	for (size_t i = 0; i < n; i++) {
		res->faults_total += faults[i];
		res->pages_by_faults[faults[i] < 3 ? faults[i] : 3]++;
	}
	cb_cow_classify(before, after, faults, n, &res->cow);
	res->classified = true;
	if (res->cow.moved)
		cb_ctx_disturbed(ctx, "%llu page(s) moved without a fault at them (PFN changed)",
				 (unsigned long long)res->cow.moved);
	if (ctx->peer > 0)
		ret = cb_measure_peer(ctx, r, before, after, faults);
close_counters:
	cb_counters_close(&res->counters);
close_pagemap:
	close(pm);
free_arrays:
	free(flags);
	free(before);
	free(after);
	free(pfns);
	free(faults);
	free(vs);
	return ret;
}

/* The pre-check outside the counting pass (which does its own around its snapshots): a warm-up
 * or timing pass whose pages were not mapped as the scenario intends would time something else. */
static int cb_measure_checked(struct cb_ctx *ctx, struct cb_region *r)
{
	uint64_t *raw = calloc(r->pages, sizeof(*raw)), *pfns = calloc(r->pages, sizeof(*pfns));
	int pm, ret;

	if (!raw || !pfns) {
		ret = cb_ctx_error(ctx, "calloc", -ENOMEM);
		goto free_arrays;
	}
	pm = cb_pagemap_open();
	if (pm < 0) {
		ret = cb_ctx_error(ctx, "open(/proc/self/pagemap)", pm);
		goto free_arrays;
	}
	ret = cb_region_pagemap(pm, r, raw);
	close(pm);
	if (ret)
		ret = cb_ctx_error(ctx, "pread(pagemap)", ret);
	else
		ret = cb_measure_precheck(ctx, raw, pfns, r->pages);
free_arrays:
	free(raw);
	free(pfns);
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
static void cb_measure_op_folios(struct cb_ctx *ctx, struct cb_region *r, uint64_t by_order[CB_FOLIO_ORDERS])
{
	uint64_t *raw, *pfns, *flags;
	int pm;

	if (!r->addr)
		return;
	raw = calloc(r->pages, 8);
	pfns = calloc(r->pages, 8);
	flags = calloc(r->pages, 8);
	pm = cb_pagemap_open();
	if (raw && pfns && flags && pm >= 0 && !cb_region_pagemap(pm, r, raw) &&
	    cb_region_folios(r, raw, pfns, flags, by_order))
		cb_ctx_error(ctx, "read(/proc/kpageflags)", -EIO);
	if (pm >= 0)
		close(pm);
	free(raw);
	free(pfns);
	free(flags);
}

int cb_measure_op(struct cb_ctx *ctx, struct cb_region *r, pid_t target, cb_op_fn op, void *arg)
{
	struct cb_pass_result *res = ctx->res;
	struct cb_vmstat *vs;
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
	cb_measure_op_folios(ctx, r, res->folio_pages_by_order);
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
	cb_vmstat_snap(&vs[1]);
	cb_vmstat_delta(&vs[0], &vs[1], &res->vmstat_delta);
	cb_measure_guard(ctx, &res->vmstat_delta, true);
	cb_counters_close(&res->counters);
	if (!ret)
		cb_measure_op_folios(ctx, r, res->folio_pages_by_order_after);
free_vmstat:
	free(vs);
	return ret;
}

