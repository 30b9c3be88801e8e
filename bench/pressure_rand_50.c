/* Memory pressure: the working set limited to 50 % in a memory cgroup, written in a fixed pseudo-random order. */
#include "pressure.h"

static int pressure_rand_50_run(struct cb_ctx *ctx)
{
	return cb_pressure_run(ctx, 50, true, false);
}

static const struct cb_scenario pressure_rand_50 = {
	.name = "pressure_rand_50",
	.description = "a process in a memory cgroup limited to 50 % of its working set writes every page (a fixed pseudo-random order)",
	.op = "one write to a page that may have been swapped out (major fault) or be resident",
	.invalid_if = "a page neither resident nor swapped before the writes; no memory cgroup (skip)",
	.backings = "base",
	.needs = CB_NEED_PRIV | CB_NEED_SWAP,
	.run = pressure_rand_50_run,
};
CB_SCENARIO(pressure_rand_50)
