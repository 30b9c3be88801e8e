/* fork; the child writes every page while the parent keeps them: every write must copy. */
#include "scenario.h"

#define OLD 0x0c0c0c0c00000000ull
#define NEW 0xc41dc41d00000000ull

static int cow_child_run(struct cb_ctx *ctx)
{
	struct cb_region r;
	pid_t pid;
	int ret;

	ret = cb_region_setup(ctx, &r, OLD);
	if (ret || ctx->res->status)
		goto unmap;
	pid = cb_child_fork(ctx);
	if (pid < 0) {
		ret = pid;
		goto unmap;
	}
	if (pid == 0) {
		ret = cb_measure_writes_verified(ctx, &r, NEW, 2, "child after its writes");
		cb_child_exit(ctx, ret);
	}
	ret = cb_child_wait(ctx);
	if (!ret)
		ret = cb_region_verify(ctx, &r, OLD, false, "parent after the child's writes");
unmap:
	cb_region_unmap(&r);
	return ret;
}

static const struct cb_scenario cow_child = {
	.name = "cow_child",
	.description = "fork; the child writes every page while the parent keeps them (copy expected)",
	.op = "the child's first write to one shared page",
	.invalid_if = "pages not mapped by both processes before the write (mapcount != 2)",
	.backings = "base thp thp_pte thp_single_pte mthp sys",
	.needs = CB_NEED_PRIV,
	.run = cow_child_run,
};
CB_SCENARIO(cow_child)
