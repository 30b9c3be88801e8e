/* Memory pressure: the working set limited to 75 % in a memory cgroup, written in sequential order. */
#include "pressure.h"

static int pressure_seq_75_run(struct cb_ctx *ctx)
{
	return cb_pressure_run(ctx, 75, false, false);
}

static const struct cb_scenario pressure_seq_75 = {
	.name = "pressure_seq_75",
	.description = "a process in a memory cgroup limited to 75 % of its working set writes every page (sequential order)",
	.op = "one write to a page that may have been swapped out (major fault) or be resident",
	.invalid_if = "a page neither resident nor swapped before the writes; no memory cgroup (skip)",
	.backings = "base",
	.needs = CB_NEED_PRIV | CB_NEED_SWAP,
	.run = pressure_seq_75_run,
};
CB_SCENARIO(pressure_seq_75)
