/* A whole process's life with a populated region, timed from outside by hyperfine: exec, start-up,
 * mapping and populating the region (verified for the backing), exit (the region's teardown). */
#include "proc.h"

static int proc_startup_external(struct cb_ctx *ctx, const struct cb_opts *o, struct cb_hyperfine *hf)
{
	return cb_proc_time(ctx, o, "startup", hf);
}

static const struct cb_scenario proc_startup = {
	.name = "proc_startup",
	.description = "a process that populates the region and exits, timed by hyperfine",
	.op = "one run of `cowbench proc --phase startup`: exec, populate + verify, exit (ns_per_page = its "
	      "wall time / pages)",
	.invalid_if = "the backing was not obtained (in the direct run or any hyperfine run); hyperfine missing",
	.backings = "base thp thp_pte mthp",
	.needs = CB_NEED_PRIV,
	.external = proc_startup_external,
};
CB_SCENARIO(proc_startup)
