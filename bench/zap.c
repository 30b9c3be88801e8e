/* Zapping a populated region, by kind: munmap() (freeing its folios, batched per large folio,
 * and the TLB flush), MADV_DONTNEED (the zap without the VMA teardown), the exit of a process
 * holding it (exit_mmap()), and munmap() of a swapped-out region whose swap entries a forked
 * child shares (the swap-entry side of zap batching: free_swap_and_cache_nr() since 6.9). */
#include <errno.h>

#include "scenario.h"

/* A zap kind: op on the populated region in this process, or (op NULL) s.run on its own. */
struct zap_kind {
	struct cb_scenario s;
	cb_op_fn op;
	uint64_t tag;
};

static int zap_munmap_op(struct cb_ctx *ctx, struct cb_region *r, void *arg)
{
	(void)arg;
	return cb_region_munmap(ctx, r);
}

static int zap_dontneed_op(struct cb_ctx *ctx, struct cb_region *r, void *arg)
{
	(void)arg;
	return cb_region_dontneed(ctx, r);
}

static int zap_run(struct cb_ctx *ctx)
{
	/* s is the first member of the kind that registered it (CB_SCENARIO_TABLE). */
	const struct zap_kind *k = (const struct zap_kind *)ctx->scn;

	return cb_measure_populated_op(ctx, k->tag, k->op, NULL);
}

static int zap_exit_op(struct cb_ctx *ctx, struct cb_region *r, void *arg)
{
	int ret = cb_child_release(ctx);

	(void)r;
	(void)arg;
	return ret ? ret : cb_child_wait(ctx);
}

static int zap_exit_run(struct cb_ctx *ctx)
{
	const struct zap_kind *k = (const struct zap_kind *)ctx->scn;
	/* The region lives in the child only: the parent's view has no address. */
	struct cb_region none = { .pages = ctx->pages };
	pid_t pid;
	int ret;

	pid = cb_child_fork(ctx);
	if (pid < 0)
		return pid;
	if (pid == 0) {
		struct cb_region r;

		ret = cb_region_map(ctx, &r);
		if (!ret && !ctx->res->status)
			ret = cb_region_fill(ctx, &r, k->tag);
		if (!ret && !ctx->res->status)
			ret = cb_child_ready(ctx);
		if (!ret && !ctx->res->status)
			ret = cb_child_hold(ctx);
		/* Exits holding the region: the exit is the measured zap. */
		cb_child_exit(ctx, ret);
	}
	ret = cb_child_wait_ready(ctx);
	if (ret) {
		int child_ret = cb_child_wait(ctx);

		return ret == -EPIPE ? child_ret : ret;
	}
	return cb_measure_op(ctx, &none, pid, zap_exit_op, NULL);
}

/* MADV_PAGEOUT (the swapped* backings), fork, then the parent's munmap drops its reference on
 * every swap entry. The child holds the entries until the op is over, so none is freed. */
static int zap_swapped_forked_run(struct cb_ctx *ctx)
{
	const struct zap_kind *k = (const struct zap_kind *)ctx->scn;
	struct cb_region r;
	pid_t pid;
	int ret, child_ret;

	/* Mapped, filled, verified, paged out and checked swapped. */
	ret = cb_region_setup(ctx, &r, k->tag);
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
	ret = cb_measure_op(ctx, &r, 0, zap_munmap_op, NULL);
	child_ret = cb_child_release(ctx);
	if (!child_ret)
		child_ret = cb_child_wait(ctx);
	if (!ret)
		ret = child_ret;
unmap:
	cb_region_unmap(&r);
	return ret;
}

#define ZAP_BACKINGS "base thp thp_pte mthp"

static const struct zap_kind zap[] = {
	{
		.s = {
			.name = "zap_munmap",
			.description = "munmap() of a populated region",
			.op = "one munmap() of the whole region (ns_per_page = its time / pages)",
			.invalid_if = "the backing was not obtained after populating",
			.backings = ZAP_BACKINGS,
			.needs = CB_NEED_PRIV,
			.run = zap_run,
		},
		.op = zap_munmap_op,
		.tag = 0x2a902a9000000000ull,
	},
	{
		.s = {
			.name = "zap_dontneed",
			.description = "MADV_DONTNEED of a populated region",
			.op = "one madvise(MADV_DONTNEED) of the whole region (ns_per_page = its time / pages)",
			.invalid_if = "the backing was not obtained after populating",
			.backings = ZAP_BACKINGS,
			.needs = CB_NEED_PRIV,
			.run = zap_run,
		},
		.op = zap_dontneed_op,
		.tag = 0xd0d0d0d000000000ull,
	},
	{
		.s = {
			.name = "zap_exit",
			.description = "exit of a child holding its own populated region",
			.op = "release the child, its exit, the parent's waitpid (ns_per_page = that time / pages)",
			.invalid_if = "the backing was not obtained after populating (in the child)",
			.backings = ZAP_BACKINGS,
			.needs = CB_NEED_PRIV,
			.run = zap_exit_run,
		},
		.tag = 0xe1e1e1e100000000ull,
	},
	{
		.s = {
			.name = "zap_munmap_swapped_forked",
			.description = "MADV_PAGEOUT, fork, then munmap() in the parent of the swapped region whose "
				       "swap entries the child shares",
			.op = "one munmap() of the whole swapped, shared region (ns_per_page = its time / pages)",
			.invalid_if = "pages not all swapped out after MADV_PAGEOUT",
			.backings = "swapped swapped_thp swapped_mthp",
			.needs = CB_NEED_PRIV | CB_NEED_SWAP,
			.run = zap_swapped_forked_run,
		},
		.tag = 0x2a95f0f000000000ull,
	},
};
CB_SCENARIO_TABLE(zap)
