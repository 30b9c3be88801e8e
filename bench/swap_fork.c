/* MADV_PAGEOUT, then fork: the swap entries are shared. The child reads every page (swapped in
 * through the swap cache, mapped read-only) and writes it: copy expected, since the parent still
 * holds the swap entry (the record's cow). After the child exits, the parent reads and writes:
 * its swap entry is its own again, so reuse is expected and the swap-cache page is freed
 * (extra.parent_*: per page, faults while writing and the PFN after the read against the one
 * after the write, as the COW classifier does). */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "scenario.h"

#define OLD 0x5f0f000000000000ull
#define NEW 0x5f0fc00000000000ull
#define PARENT 0x5f0fd00000000000ull

/* Reads the first word of every page; the number of wrong values. */
static size_t swap_fork_read(struct cb_region *r, uint64_t tag)
{
	size_t bad = 0;

	for (size_t i = 0; i < r->pages; i++)
		bad += *(volatile uint64_t *)(r->addr + i * r->stride) != (tag ^ i);
	return bad;
}

static int swap_fork_child(struct cb_ctx *ctx, struct cb_region *r)
{
	size_t bad = swap_fork_read(r, OLD);

	if (bad)
		return cb_ctx_fail(ctx, "DATA MISMATCH: the child read %zu wrong pages back from swap", bad);
	return cb_measure_writes_verified(ctx, r, NEW, 1, "child after its writes");
}

/* The parent's read and write after the child is gone: PFNs after the read against PFNs after
 * the write (same PFN: reused), the write faults, and how many written pages are still in the
 * swap cache (KPF_SWAPCACHE). */
static int swap_fork_parent(struct cb_ctx *ctx, struct cb_region *r)
{
	uint64_t *pm0 = calloc(r->pages, 8), *pm1 = calloc(r->pages, 8), *flags = calloc(r->pages, 8);
	uint32_t *faults = calloc(r->pages, sizeof(*faults));
	struct cb_cow_counts cc;
	size_t cached = 0, bad;
	int pm = -1, ret;

	if (!pm0 || !pm1 || !flags || !faults) {
		ret = cb_ctx_error(ctx, "calloc", -ENOMEM);
		goto free_arrays;
	}
	bad = swap_fork_read(r, OLD);
	if (bad) {
		ret = cb_ctx_fail(ctx, "DATA MISMATCH: the parent read %zu wrong pages back from swap", bad);
		goto free_arrays;
	}
	pm = cb_pagemap_open();
	if (pm < 0) {
		ret = cb_ctx_error(ctx, "open(/proc/self/pagemap)", pm);
		goto free_arrays;
	}
	ret = cb_pagemap_read(pm, r->addr, r->pages, pm0);
	if (ret) {
		ret = cb_ctx_error(ctx, "pread(pagemap)", ret);
		goto close_pagemap;
	}
	ret = cb_region_write_faults(ctx, r, PARENT, faults);
	if (ret)
		goto close_pagemap;
	ret = cb_pagemap_read(pm, r->addr, r->pages, pm1);
	if (ret) {
		ret = cb_ctx_error(ctx, "pread(pagemap)", ret);
		goto close_pagemap;
	}
	cb_cow_classify(pm0, pm1, faults, r->pages, &cc);
	for (size_t i = 0; i < r->pages; i++) {
		struct cb_pm_entry a;

		cb_pagemap_decode(pm1[i], &a);
		pm1[i] = a.pfn;
	}
	ret = cb_kpage_read("/proc/kpageflags", pm1, r->pages, flags);
	if (ret) {
		ret = cb_ctx_error(ctx, "read(/proc/kpageflags)", ret);
		goto close_pagemap;
	}
	for (size_t i = 0; i < r->pages; i++)
		cached += (flags[i] >> CB_KPF_SWAPCACHE) & 1;
	if (ctx->pass == CB_PASS_COUNTING) {
		cb_ctx_extra(ctx, "parent_reuse", (double)cc.reuse);
		cb_ctx_extra(ctx, "parent_copy", (double)cc.copy);
		cb_ctx_extra(ctx, "parent_nofault", (double)cc.nofault);
		cb_ctx_extra(ctx, "parent_swapcache_after", (double)cached);
	}
	ret = cb_region_verify(ctx, r, PARENT, false, "parent after its writes");
close_pagemap:
	close(pm);
free_arrays:
	free(pm0);
	free(pm1);
	free(flags);
	free(faults);
	return ret;
}

static int swap_fork_run(struct cb_ctx *ctx)
{
	struct cb_region r;
	pid_t pid;
	int ret;

	ret = cb_region_setup(ctx, &r, OLD);
	if (ret || ctx->res->status)
		goto unmap;
	pid = cb_child_fork(ctx);
	if (pid < 0) {
		ret = pid;
		goto unmap;
	}
	if (pid == 0)
		cb_child_exit(ctx, swap_fork_child(ctx, &r));
	ret = cb_child_wait(ctx);
	if (!ret && ctx->res->status == CB_OK)
		ret = swap_fork_parent(ctx, &r);
unmap:
	cb_region_unmap(&r);
	return ret;
}

static const struct cb_scenario swap_fork = {
	.name = "swap_fork",
	.description = "MADV_PAGEOUT, fork; the child reads and writes (copy expected); after it exits the parent "
		       "reads and writes (extra.parent_*: reuse expected, swap-cache page freed)",
	.op = "the child's first write to a page it swapped in while the parent holds the swap entry",
	.invalid_if = "pages not all swapped out after MADV_PAGEOUT, or not mapped once in the child before the write",
	.backings = "swapped swapped_thp swapped_mthp",
	.needs = CB_NEED_PRIV | CB_NEED_SWAP,
	.run = swap_fork_run,
};
CB_SCENARIO(swap_fork)
