/* MADV_COLLAPSE of a base-page region into PMD THPs (khugepaged's synchronous path). */
#include "scenario.h"

#define TAG 0xc011a95e00000000ull

static int collapse_op(struct cb_ctx *ctx, struct cb_region *r, void *arg)
{
	(void)arg;
	return cb_region_collapse(ctx, r);
}

static int collapse_run(struct cb_ctx *ctx)
{
	struct cb_backing base = ctx->bk;
	struct cb_region r;
	char why[128];
	int ret;

	/* Collapse builds PMD THPs, so the base-page region must cover whole PMDs. */
	ret = cb_backing_parse("thp", &ctx->bk, why, sizeof(why));
	if (ret)
		return cb_ctx_skip(ctx, "%s", why);
	ctx->align = ctx->bk.align;
	ctx->bk = base;
	ret = cb_region_map(ctx, &r);
	if (!ret && !ctx->res->status)
		ret = cb_region_fill(ctx, &r, TAG);
	if (!ret && !ctx->res->status)
		ret = cb_region_thp_allow(ctx, &r);
	if (!ret && !ctx->res->status)
		ret = cb_measure_op(ctx, &r, 0, collapse_op, NULL);
	if (!ret && !ctx->res->status) {
		/* Verified: every page now in a PMD-mapped THP, the data intact. */
		cb_backing_parse("thp", &ctx->bk, why, sizeof(why));
		ret = cb_region_check(ctx, &r);
		ctx->bk = base;
		if (!ret && ctx->res->status == CB_SKIP)
			ctx->res->status = CB_FAIL;
	}
	if (!ret && !ctx->res->status)
		ret = cb_region_verify(ctx, &r, TAG, false, "after collapse");
	cb_region_unmap(&r);
	return ret;
}

static const struct cb_scenario collapse = {
	.name = "collapse",
	.description = "MADV_COLLAPSE of a populated base-page region into PMD THPs",
	.op = "one madvise(MADV_COLLAPSE) of the whole region (ns_per_page = its time / pages)",
	.invalid_if = "the region was not base pages before, or not PMD-mapped THP after (fail)",
	.backings = "base",
	.needs = CB_NEED_PRIV,
	.run = collapse_run,
};
CB_SCENARIO(collapse)
