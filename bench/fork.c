/* fork() with the region mapped: the cost of copying page tables (and, for large folios, of
 * batching the rmap/refcount work per folio). The child exits at once. */
#include "scenario.h"
#include "timer.h"

#define TAG 0xf0f0f0f000000000ull

static int fork_op(struct cb_ctx *ctx, struct cb_region *r, void *arg)
{
	pid_t pid = cb_child_fork(ctx);

	(void)r;
	(void)arg;
	/* The child blocks until the parent's fork() has returned: a new task may preempt its
	 * parent at wake-up, and its exit (zapping the whole region) would land in the fork time. */
	if (pid == 0)
		cb_child_exit(ctx, cb_child_hold(ctx));
	return pid < 0 ? pid : 0;
}

static int fork_run(struct cb_ctx *ctx)
{
	struct cb_region r;
	uint64_t t0;
	int ret;

	ret = cb_region_setup(ctx, &r, TAG);
	if (ret || ctx->res->status)
		goto unmap;
	t0 = cb_clock_ns();
	/* The sync pipes and the stdio flush before the timed op: it times fork() alone. */
	ret = cb_child_prepare(ctx);
	if (ret)
		goto unmap;
	ret = cb_measure_op(ctx, &r, 0, fork_op, NULL);
	if (ret)
		goto unmap;
	ret = cb_child_release(ctx);
	if (!ret)
		ret = cb_child_wait(ctx);
	/* The process-level figure: fork, the child's exit and the parent's reaping of it. */
	if (!ret && ctx->pass == CB_PASS_TIMING)
		cb_ctx_extra(ctx, "fork_exit_wait_ns", (double)(cb_clock_ns() - t0));
	if (!ret)
		ret = cb_region_verify(ctx, &r, TAG, false, "parent after fork");
unmap:
	cb_region_unmap(&r);
	return ret;
}

static const struct cb_scenario fork_scn = {
	.name = "fork",
	.description = "fork() with the populated region mapped; the child exits once fork has returned",
	.op = "one fork() call in the parent (ns_per_page = its time / pages)",
	.invalid_if = "the backing was not obtained after populating",
	.backings = "base thp thp_pte mthp",
	.needs = CB_NEED_PRIV,
	.run = fork_run,
};
CB_SCENARIO(fork_scn)
