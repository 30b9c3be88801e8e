/* The swap-in itself, timed: every page of a swapped-out region read back, one read per page in
 * order. The ops that fault are the swap-ins (one per folio the kernel brings back: 4 KiB pages,
 * or whole mTHP where the device reads synchronously and zswap is off, 6.12+); the others find
 * their page mapped already. On a swap file the faults go through the swap cache, whose readahead
 * (vm.page-cluster) turns some of them into minor faults: extra.read_major_faults says how many
 * read the device. */
#include "scenario.h"

#define TAG 0x5a1e000000000000ull

static int swapin_read_run(struct cb_ctx *ctx)
{
	struct cb_region r;
	int ret;

	ret = cb_region_setup(ctx, &r, TAG);
	if (ret || ctx->res->status)
		goto unmap;
	ret = cb_measure_reads(ctx, &r, TAG, "reader after swap-in");
	if (ret || ctx->res->status || ctx->pass != CB_PASS_COUNTING)
		goto unmap;
	{
		const struct cb_counter *maj = cb_counters_find(&ctx->res->counters, "major-faults"),
					*min = cb_counters_find(&ctx->res->counters, "minor-faults");

		if (maj && maj->supported && min && min->supported) {
			cb_ctx_extra(ctx, "read_major_faults", (double)maj->value);
			cb_ctx_extra(ctx, "read_minor_faults", (double)min->value);
		} else {
			cb_ctx_extra_unsupported(ctx, "read_major_faults", "major-faults counter not opened");
			cb_ctx_extra_unsupported(ctx, "read_minor_faults", "minor-faults counter not opened");
		}
	}
unmap:
	cb_region_unmap(&r);
	return ret;
}

static const struct cb_scenario swapin_read = {
	.name = "swapin_read",
	.description = "MADV_PAGEOUT (no page left in the swap cache), then every page read back: the swap-in, timed",
	.op = "the first read of a page after swap-out (a swap-in fault where its folio is not back yet)",
	.invalid_if = "pages not all swap entries out of the swap cache before the reads, or their data changed",
	.backings = "swapped swapped_thp swapped_mthp",
	.deterministic = true, /* tests assert its exact outcomes */
	.bandwidth = true,
	.needs = CB_NEED_PRIV | CB_NEED_SWAP,
	.run = swapin_read_run,
};
CB_SCENARIO(swapin_read)
