/* The swap-out itself, timed: one MADV_PAGEOUT of a populated region, until the swap device has
 * completed its writes (a swap file returns with some in flight; zram writes synchronously).
 * Large folios are written whole where the kernel can (mTHP swap-out without splitting: 6.10):
 * extra.swpout / swpout_fallback say which. */
#include "scenario.h"

#define TAG 0x50a7000000000000ull

static int swapout_run(struct cb_ctx *ctx)
{
	struct cb_region r;
	int ret;

	ret = cb_region_setup(ctx, &r, TAG);
	if (!ret && !ctx->res->status)
		ret = cb_measure_pageout(ctx, &r);
	if (!ret && !ctx->res->status)
		ret = cb_region_verify(ctx, &r, TAG, false, "the pages read back after swap-out");
	cb_region_unmap(&r);
	return ret;
}

static const struct cb_scenario swapout = {
	.name = "swapout",
	.description = "MADV_PAGEOUT of a populated region, timed until the swap device completed its writes",
	.op = "one madvise(MADV_PAGEOUT) of the whole region and the wait for its writes (ns_per_page = that time / pages)",
	.invalid_if = "a page not a swap entry afterwards, the device completing other sectors than the region's, zswap on",
	.backings = "base thp mthp",
	.deterministic = true, /* tests assert its exact outcomes */
	.bandwidth = true,
	.needs = CB_NEED_PRIV | CB_NEED_SWAP,
	.run = swapout_run,
};
CB_SCENARIO(swapout)
