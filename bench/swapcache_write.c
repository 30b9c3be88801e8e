/* A page in the swap cache but not mapped (paged out, then MADV_WILLNEED) is written: the write
 * fault finds it in the swap cache; with an exclusive swap entry the kernel maps that very page
 * writable (0 allocations per page), otherwise it copies it (1). Classified `swapin`. */
#include "scenario.h"

#define OLD 0x5c5c000000000000ull
#define NEW 0x5c5ce00000000000ull

static int swapcache_write_run(struct cb_ctx *ctx)
{
	struct cb_region r;
	int ret;

	ret = cb_region_setup(ctx, &r, OLD);
	if (ret || ctx->res->status)
		goto unmap;
	ret = cb_measure_writes_verified(ctx, &r, NEW, CB_EXPECT_SWAPPED, "writer of swap-cache pages");
unmap:
	cb_region_unmap(&r);
	return ret;
}

static const struct cb_scenario swapcache_write = {
	.name = "swapcache_write",
	.description = "paged out, read into the swap cache unmapped (MADV_WILLNEED), then written",
	.op = "the first write to a page that is in the swap cache and not mapped (a swap-in write fault)",
	.invalid_if = "pages not all swap entries in the swap cache (mincore) before the write",
	.backings = "swapcache",
	.deterministic = true, /* tests assert its exact outcomes */
	.needs = CB_NEED_PRIV | CB_NEED_SWAP,
	.run = swapcache_write_run,
};
CB_SCENARIO(swapcache_write)
