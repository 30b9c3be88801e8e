/* COW under memory pressure: fork inside a memory cgroup limited to 50 % of the working set; the
 * new process writes every page while the other keeps them and reclaim runs in the same group. */
#include "pressure.h"

static int pressure_cow_run(struct cb_ctx *ctx)
{
	return cb_pressure_run(ctx, 50, false, true);
}

static const struct cb_scenario pressure_cow = {
	.name = "pressure_cow",
	.description = "fork in a memory cgroup limited to 50 % of the working set; the child writes every page "
		       "(copy or swap-in) while its parent keeps them and reclaim runs concurrently",
	.op = "the child's first write to a page shared with its parent, resident or swapped out",
	.invalid_if = "a page neither resident nor swapped before the writes; no memory cgroup (skip)",
	.backings = "base",
	.needs = CB_NEED_PRIV | CB_NEED_SWAP,
	.run = pressure_cow_run,
};
CB_SCENARIO(pressure_cow)
