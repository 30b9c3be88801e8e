/* MADV_DONTNEED of a populated region: the zap without the VMA teardown. */
#include "scenario.h"

#define TAG 0xd0d0d0d000000000ull

static int zap_dontneed_op(struct cb_ctx *ctx, struct cb_region *r, void *arg)
{
	(void)arg;
	return cb_region_dontneed(ctx, r);
}

static int zap_dontneed_run(struct cb_ctx *ctx)
{
	return cb_measure_populated_op(ctx, TAG, zap_dontneed_op, NULL);
}

static const struct cb_scenario zap_dontneed = {
	.name = "zap_dontneed",
	.description = "MADV_DONTNEED of a populated region",
	.op = "one madvise(MADV_DONTNEED) of the whole region (ns_per_page = its time / pages)",
	.invalid_if = "the backing was not obtained after populating",
	.backings = "base thp thp_pte mthp",
	.needs = CB_NEED_PRIV,
	.run = zap_dontneed_run,
};
CB_SCENARIO(zap_dontneed)
