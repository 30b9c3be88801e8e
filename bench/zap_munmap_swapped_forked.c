/* munmap of a swapped-out region whose swap entries a forked child shares: MADV_PAGEOUT, fork,
 * then the parent's munmap drops its reference on every swap entry (the swap-entry side of zap
 * batching: free_swap_and_cache_nr() for a large folio's entries since 6.9). The child holds the
 * entries until the op is over, so none is freed to the swap device. */
#include <errno.h>

#include "scenario.h"

#define TAG 0x2a95f0f000000000ull

static int zap_swapped_forked_op(struct cb_ctx *ctx, struct cb_region *r, void *arg)
{
	(void)arg;
	return cb_region_munmap(ctx, r);
}

static int zap_swapped_forked_run(struct cb_ctx *ctx)
{
	struct cb_region r;
	pid_t pid;
	int ret, child_ret;

	/* Mapped, filled, verified, paged out and checked swapped (the swapped* backings). */
	ret = cb_region_setup(ctx, &r, TAG);
	if (ret || ctx->res->status)
		goto unmap;
	pid = cb_child_fork(ctx);
	if (pid < 0) {
		ret = pid;
		goto unmap;
	}
	if (pid == 0) {
		ret = cb_child_ready(ctx);
		cb_child_exit(ctx, ret ? ret : cb_child_hold(ctx));
	}
	ret = cb_child_wait_ready(ctx);
	if (ret) {
		child_ret = cb_child_wait(ctx);
		ret = ret == -EPIPE ? child_ret : ret;
		goto unmap;
	}
	ret = cb_measure_op(ctx, &r, 0, zap_swapped_forked_op, NULL);
	child_ret = cb_child_release(ctx);
	if (!child_ret)
		child_ret = cb_child_wait(ctx);
	if (!ret)
		ret = child_ret;
unmap:
	cb_region_unmap(&r);
	return ret;
}

static const struct cb_scenario zap_munmap_swapped_forked = {
	.name = "zap_munmap_swapped_forked",
	.description = "MADV_PAGEOUT, fork, then munmap() in the parent of the swapped region whose swap "
		       "entries the child shares",
	.op = "one munmap() of the whole swapped, shared region (ns_per_page = its time / pages)",
	.invalid_if = "pages not all swapped out after MADV_PAGEOUT",
	.backings = "swapped swapped_thp swapped_mthp",
	.needs = CB_NEED_PRIV | CB_NEED_SWAP,
	.run = zap_swapped_forked_run,
};
CB_SCENARIO(zap_munmap_swapped_forked)
