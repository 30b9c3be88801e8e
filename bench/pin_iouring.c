/* The region registered as io_uring fixed buffers (a long-term FOLL_PIN on every page), then
 * fork. A pinned exclusive page cannot be shared with the child (the pin's user would lose sight
 * of later writes), so fork copies it for the child eagerly and the parent keeps it writable:
 * fork is slower, and neither side takes a COW fault afterwards. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "cb.h"
#include "pin.h"
#include "scenario.h"
#include "timer.h"

#define OLD 0x0c0c0c0c00000000ull
#define NEW 0x10be10be00000000ull
#define CHILD 0xc1d0c1d000000000ull

/* In the child: the pages it got at fork (copies where the PFN differs from the parent's) and
 * the faults its own writes take. Returns 0 or -errno. */
static int pin_iouring_child(struct cb_ctx *ctx, struct cb_region *r, const uint64_t *parent_pfns)
{
	uint64_t *pfns = calloc(r->pages, sizeof(*pfns)), faults = 0;
	uint32_t *page_faults = calloc(r->pages, sizeof(*page_faults));
	int ret;

	if (!pfns || !page_faults) {
		ret = cb_ctx_error(ctx, "calloc", -ENOMEM);
		goto free_pfns;
	}
	ret = cb_pin_pfns(r->addr, r->stride, r->pages, pfns);
	if (ret) {
		cb_ctx_error(ctx, "pread(pagemap)", ret);
		goto free_pfns;
	}
	if (ctx->pass == CB_PASS_COUNTING)
		cb_ctx_extra(ctx, "eager_copied_pages", (double)cb_pin_pfns_changed(parent_pfns, pfns, r->pages));
	ret = cb_region_verify(ctx, r, OLD, false, "child after fork");
	if (ret || ctx->res->status)
		goto free_pfns;
	ret = cb_region_write_faults(ctx, r, CHILD, page_faults);
	if (ret)
		goto free_pfns;
	for (size_t i = 0; i < r->pages; i++)
		faults += page_faults[i];
	if (ctx->pass == CB_PASS_COUNTING)
		cb_ctx_extra(ctx, "child_write_faults", (double)faults);
	ret = cb_region_verify(ctx, r, CHILD, false, "child after its writes");
	if (ret || ctx->res->status)
		goto free_pfns;
	/* Alive while the parent writes, so nothing the child maps is freed under it. */
	ret = cb_child_ready(ctx);
	if (!ret)
		ret = cb_child_hold(ctx);
free_pfns:
	free(pfns);
	free(page_faults);
	return ret;
}

static int pin_iouring_run(struct cb_ctx *ctx)
{
	struct cb_pin_uring u;
	struct cb_region r;
	uint64_t *pfns = NULL, t0, t1;
	char why[256];
	pid_t pid;
	int ret, cret;

	ret = cb_region_setup(ctx, &r, OLD);
	if (ret || ctx->res->status)
		goto unmap;
	ret = cb_pin_uring_register(&u, r.addr, r.len, why, sizeof(why));
	if (ret) {
		ret = why[0] ? cb_ctx_skip(ctx, "%s", why) : cb_ctx_error(ctx, "io_uring_register_buffers", ret);
		goto unmap;
	}
	pfns = calloc(r.pages, sizeof(*pfns));
	if (!pfns) {
		ret = cb_ctx_error(ctx, "calloc", -ENOMEM);
		goto release_uring;
	}
	ret = cb_pin_pfns(r.addr, r.stride, r.pages, pfns);
	if (ret) {
		cb_ctx_error(ctx, "pread(pagemap)", ret);
		goto release_uring;
	}
	/* The time includes cb_child_fork's two pipe2() calls (a few µs). */
	t0 = cb_timer_ticks();
	pid = cb_child_fork(ctx);
	t1 = cb_timer_ticks();
	if (pid < 0) {
		ret = pid;
		goto release_uring;
	}
	if (pid == 0)
		cb_child_exit(ctx, pin_iouring_child(ctx, &r, pfns));
	if (ctx->pass == CB_PASS_TIMING)
		cb_ctx_extra(ctx, "fork_ns", (double)cb_timer_ns(t1 - t0));
	ret = cb_child_wait_ready(ctx);
	if (!ret) {
		/* Copied for the child at fork: the parent's pinned pages are its own, still writable. */
		ret = cb_measure_writes_verified(ctx, &r, NEW, 1, "parent after its writes");
		cb_child_release(ctx);
	}
	cret = cb_child_wait(ctx);
	if (!ret)
		ret = cret;
release_uring:
	free(pfns);
	cb_pin_uring_release(&u);
unmap:
	cb_region_unmap(&r);
	return ret;
}

static const struct cb_scenario pin_iouring = {
	.name = "pin_iouring",
	.description = "the region registered as io_uring fixed buffers, then fork (extra_timed.fork_ns: eager copy "
		       "of pinned pages, extra.eager_copied_pages); the parent writes (nofault expected), the "
		       "child writes (extra.child_write_faults)",
	.op = "the parent's first write to a pinned page after fork",
	.invalid_if = "io_uring unavailable or disabled (skip); pages mapped more than once before the parent's writes",
	.backings = "base thp thp_pte mthp swapped",
	.needs = CB_NEED_PRIV,
	.run = pin_iouring_run,
};
CB_SCENARIO(pin_iouring)
