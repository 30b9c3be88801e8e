/* munmap of a populated region while sibling threads keep the mm live on other CPUs. */
#include "tlb.h"

static int tlb_zap_munmap_op(struct cb_ctx *ctx, struct cb_region *r, void *arg)
{
	(void)arg;
	return cb_region_munmap(ctx, r);
}

static int tlb_zap_munmap_run(struct cb_ctx *ctx)
{
	return cb_tlb_zap_run(ctx, tlb_zap_munmap_op);
}

static const struct cb_scenario tlb_zap_munmap = {
	.name = "tlb_zap_munmap",
	.description = "munmap() of a populated region with --siblings threads spinning on other CPUs",
	.op = "one munmap() of the whole region, sibling threads running (ns_per_page = its time / pages)",
	.invalid_if = "the backing was not obtained after populating; more siblings than other CPUs",
	.backings = "base thp thp_pte mthp",
	.needs = CB_NEED_PRIV,
	.run = tlb_zap_munmap_run,
};
CB_SCENARIO(tlb_zap_munmap)
