/* fork; the parent writes while the child is alive and keeps the pages: every write must copy. */
#include "scenario.h"

#define OLD 0x0c0c0c0c00000000ull
#define NEW 0x9a7e9a7e00000000ull

static int cow_parent_run(struct cb_ctx *ctx)
{
	struct cb_region r;
	pid_t pid;
	int ret, child_ret;

	ret = cb_region_setup(ctx, &r, OLD);
	if (ret || ctx->res->status)
		goto unmap;
	pid = cb_child_fork(ctx);
	if (pid < 0) {
		ret = pid;
		goto unmap;
	}
	if (pid == 0) {
		/* Hold the pages until the parent has written, then check they kept the old data. */
		ret = cb_child_hold(ctx);
		if (!ret)
			ret = cb_region_verify(ctx, &r, OLD, false, "child after the parent's writes");
		cb_child_exit(ctx, ret);
	}
	ret = cb_measure_writes_verified(ctx, &r, NEW, 2, "parent after its writes");
	cb_child_release(ctx);
	child_ret = cb_child_wait(ctx);
	if (!ret)
		ret = child_ret;
unmap:
	cb_region_unmap(&r);
	return ret;
}

static const struct cb_scenario cow_parent = {
	.name = "cow_parent",
	.description = "fork; the parent writes while the child is alive (copy expected)",
	.op = "the parent's first write to one shared page",
	.invalid_if = "pages not mapped by both processes before the write (mapcount != 2)",
	.backings = "base thp thp_pte thp_single_pte mthp sys",
	.needs = CB_NEED_PRIV,
	.run = cow_parent_run,
};
CB_SCENARIO(cow_parent)
