/* MADV_POPULATE_WRITE of a fresh region: populating through GUP, not through user faults (perf
 * fault events do not count these; vmstat and mTHP stats do). */
#include "scenario.h"

static int populate_write_op(struct cb_ctx *ctx, struct cb_region *r, void *arg)
{
	(void)arg;
	return cb_region_populate(ctx, r);
}

static int populate_write_run(struct cb_ctx *ctx)
{
	struct cb_region r;
	int ret;

	ret = cb_region_map(ctx, &r);
	if (!ret && !ctx->res->status)
		ret = cb_measure_op(ctx, &r, 0, populate_write_op, NULL);
	if (!ret && !ctx->res->status)
		ret = cb_region_check(ctx, &r);
	cb_region_unmap(&r);
	return ret;
}

static const struct cb_scenario populate_write = {
	.name = "populate_write",
	.description = "MADV_POPULATE_WRITE of a fresh region",
	.op = "one madvise(MADV_POPULATE_WRITE) of the whole region (ns_per_page = its time / pages)",
	.invalid_if = "the backing was not obtained after populating",
	.backings = "base thp mthp",
	.needs = CB_NEED_PRIV,
	.run = populate_write_run,
};
CB_SCENARIO(populate_write)
