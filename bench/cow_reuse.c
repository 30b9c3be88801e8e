/* fork; the child exits; the parent writes: every page is exclusive again and must be reused
 * (the refcount rule). Touching and writing on one CPU keeps per-CPU LRU batches drained. */
#include "scenario.h"

#define OLD 0x0c0c0c0c00000000ull
#define NEW 0x4e5e4e5e00000000ull

static int cow_reuse_run(struct cb_ctx *ctx)
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
	if (pid == 0)
		cb_child_exit(ctx, 0);
	ret = cb_child_wait(ctx);
	if (ret)
		goto unmap;
	ret = cb_measure_writes_verified(ctx, &r, NEW, 1, "parent after its writes");
unmap:
	cb_region_unmap(&r);
	return ret;
}

static const struct cb_scenario cow_reuse = {
	.name = "cow_reuse",
	.description = "fork; the child exits; the parent writes (reuse expected)",
	.op = "the parent's first write to one write-protected page nobody else maps",
	.invalid_if = "pages still mapped more than once before the write (mapcount != 1)",
	.backings = "base thp thp_pte thp_single_pte mthp sys",
	.needs = CB_NEED_PRIV,
	.run = cow_reuse_run,
};
CB_SCENARIO(cow_reuse)
