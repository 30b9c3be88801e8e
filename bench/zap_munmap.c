/* munmap of a populated region: freeing its folios (batched per large folio) and the TLB flush. */
#include "scenario.h"

#define TAG 0x2a902a9000000000ull

static int zap_munmap_op(struct cb_ctx *ctx, struct cb_region *r, void *arg)
{
	(void)arg;
	return cb_region_munmap(ctx, r);
}

static int zap_munmap_run(struct cb_ctx *ctx)
{
	return cb_measure_populated_op(ctx, TAG, zap_munmap_op, NULL);
}

static const struct cb_scenario zap_munmap = {
	.name = "zap_munmap",
	.description = "munmap() of a populated region",
	.op = "one munmap() of the whole region (ns_per_page = its time / pages)",
	.invalid_if = "the backing was not obtained after populating",
	.backings = "base thp thp_pte mthp",
	.needs = CB_NEED_PRIV,
	.run = zap_munmap_run,
};
CB_SCENARIO(zap_munmap)
