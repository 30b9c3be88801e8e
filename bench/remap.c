/* Remapping PMD-mapped THPs by PTEs: what the thp_pte backing's set-up does, timed as an op.
 * Write-protecting one subpage of each THP makes the kernel split the PMD mapping into a page
 * table of 512 PTEs (__split_huge_pmd); the folio stays whole. Then the subpage is made writable
 * again. vmstat_delta.thp_split_pmd counts the splits; folio_pages_by_size_after shows the folios
 * whole. */
#include <errno.h>
#include <sys/mman.h>

#include "cb.h"
#include "scenario.h"

#define TAG 0x7e3a97e3a9000000ull

static int remap_op(struct cb_ctx *ctx, struct cb_region *r, void *arg)
{
	size_t step = ctx->bk.folio_size;

	(void)arg;
	for (size_t off = 0; off < r->len; off += step) {
		if (mprotect(r->addr + off, cb_page_size, PROT_READ) ||
		    mprotect(r->addr + off, cb_page_size, PROT_READ | PROT_WRITE))
			return cb_ctx_error(ctx, "mprotect", -errno);
	}
	return 0;
}

static int remap_run(struct cb_ctx *ctx)
{
	struct cb_region r;
	int ret;

	ret = cb_region_setup(ctx, &r, TAG);
	if (ret || ctx->res->status)
		goto unmap;
	ret = cb_measure_op(ctx, &r, 0, remap_op, NULL);
	/* The data survived the remapping. */
	if (!ret && !ctx->res->status)
		ret = cb_region_verify(ctx, &r, TAG, false, "after the PTE remap");
unmap:
	cb_region_unmap(&r);
	return ret;
}

static const struct cb_scenario remap = {
	.name = "remap",
	.description = "PMD-mapped THPs remapped by PTEs: mprotect(PROT_READ) of one subpage per THP splits "
		       "its PMD (the folio stays whole), then the subpage is made writable again",
	.op = "two mprotect() calls per THP over the region (ns_per_page = their time / pages)",
	.invalid_if = "the region was not PMD-mapped THPs after populating",
	.backings = "thp",
	.needs = CB_NEED_PRIV,
	.run = remap_run,
};
CB_SCENARIO(remap)
