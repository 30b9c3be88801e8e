/* As cow_reuse, but the pages were first touched on another CPU and nothing drains that CPU's
 * per-CPU LRU batch: a page still in it carries an extra, transient reference, so the kernel's
 * refcount check copies it although nobody else maps it (the "refcount blip"). */
#include "scenario.h"

#define OLD 0x0c0c0c0c00000000ull
#define NEW 0x7e307e3000000000ull

static int cow_reuse_remote_run(struct cb_ctx *ctx)
{
	struct cb_region r;
	pid_t pid;
	int ret;

	ret = cb_region_map(ctx, &r);
	if (ret || ctx->res->status)
		goto unmap;
	ret = cb_cpu_pin(ctx, ctx->other_cpu);
	if (ret)
		goto unmap;
	ret = cb_region_fill(ctx, &r, OLD);
	if (!ret)
		ret = cb_cpu_pin(ctx, ctx->cpu);
	if (ret)
		goto unmap;
	pid = cb_child_fork(ctx);
	if (pid < 0) {
		ret = pid;
		goto unmap;
	}
	if (pid == 0)
		cb_child_exit(ctx, 0);
	ret = cb_child_wait(ctx);
	if (ret)
		goto unmap;
	ret = cb_measure_writes_verified(ctx, &r, NEW, 1, "parent after its writes");
	if (!ret && ctx->pass == CB_PASS_COUNTING)
		cb_ctx_extra(ctx, "spurious_copy", (double)ctx->res->cow.copy);
unmap:
	cb_region_unmap(&r);
	return ret;
}

static const struct cb_scenario cow_reuse_remote = {
	.name = "cow_reuse_remote",
	.description = "as cow_reuse, pages first touched on another CPU, no drain: spurious copies",
	.op = "the parent's first write to one exclusive page last touched on another CPU",
	.invalid_if = "pages still mapped more than once before the write (mapcount != 1)",
	.backings = "base thp thp_pte thp_single_pte mthp sys",
	.needs = CB_NEED_PRIV | CB_NEED_TWO_CPUS,
	.run = cow_reuse_remote_run,
};
CB_SCENARIO(cow_reuse_remote)
