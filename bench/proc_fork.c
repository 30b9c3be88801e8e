/* As proc_startup, plus a fork() of the populated process whose child exits at once and is
 * reaped before the parent exits: proc_fork − proc_startup is fork + exit + wait at process level. */
#include "proc.h"

static int proc_fork_external(struct cb_ctx *ctx, const struct cb_opts *o, struct cb_hyperfine *hf)
{
	return cb_proc_time(ctx, o, "fork", hf);
}

static const struct cb_scenario proc_fork = {
	.name = "proc_fork",
	.description = "a process that populates the region, forks a child that exits at once, waits, exits; "
		       "timed by hyperfine",
	.op = "one run of `cowbench proc --phase fork`: exec, populate + verify, fork + child exit + wait, exit "
	      "(ns_per_page = its wall time / pages)",
	.invalid_if = "the backing was not obtained (in the direct run or any hyperfine run); hyperfine missing",
	.backings = "base thp thp_pte mthp",
	.needs = CB_NEED_PRIV,
	.external = proc_fork_external,
};
CB_SCENARIO(proc_fork)
