/* Memory pressure: the working set limited to 25 % in a memory cgroup, written in sequential order. */
#include "pressure.h"

static int pressure_seq_25_run(struct cb_ctx *ctx)
{
	return cb_pressure_run(ctx, 25, false, false);
}

static const struct cb_scenario pressure_seq_25 = {
	.name = "pressure_seq_25",
	.description = "a process in a memory cgroup limited to 25 % of its working set writes every page (sequential order)",
	.op = "one write to a page that may have been swapped out (major fault) or be resident",
	.invalid_if = "a page neither resident nor swapped before the writes; no memory cgroup (skip)",
	.backings = "base",
	.needs = CB_NEED_PRIV | CB_NEED_SWAP,
	.run = pressure_seq_25_run,
};
CB_SCENARIO(pressure_seq_25)
