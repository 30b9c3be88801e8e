/* The exit of a process holding a populated region of its own: the zap at exit_mmap(). */
#include <errno.h>

#include "scenario.h"

#define TAG 0xe1e1e1e100000000ull

static int zap_exit_op(struct cb_ctx *ctx, struct cb_region *r, void *arg)
{
	int ret = cb_child_release(ctx);

	(void)r;
	(void)arg;
	return ret ? ret : cb_child_wait(ctx);
}

static int zap_exit_run(struct cb_ctx *ctx)
{
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
			ret = cb_region_fill(ctx, &r, TAG);
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

static const struct cb_scenario zap_exit = {
	.name = "zap_exit",
	.description = "exit of a child holding its own populated region",
	.op = "release the child, its exit, the parent's waitpid (ns_per_page = that time / pages)",
	.invalid_if = "the backing was not obtained after populating (in the child)",
	.backings = "base thp thp_pte mthp",
	.needs = CB_NEED_PRIV,
	.run = zap_exit_run,
};
CB_SCENARIO(zap_exit)
