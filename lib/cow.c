/* The one place where COW scenarios map, fill, fork, synchronise, measure and verify (see cow.h). */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "cb.h"
#include "cow.h"
#include "pagemap.h"
#include "scenario_int.h"
#include "timer.h"

/* swap_fork's second write, by the parent after the child exited. */
#define CB_COW_PARENT_TAG 0x5f0fd00000000000ull

static const struct cb_cow_scenario *cb_cow_scenario_of(const struct cb_scenario *s)
{
	/* s is the first member of the declaration that registered it (CB_COW_SCENARIO). */
	return (const struct cb_cow_scenario *)s;
}

/* The measured writes of cs->tag, with the mapcount pre-check (cb_measure_writes skips the
 * pass when a page is not mapped c->mapcount times) and the prepare step's hooks around them,
 * then the writer reads its own data back. */
static int cb_cow_measure(struct cb_cow *c, const char *who)
{
	const struct cb_cow_prep *prep = c->cs->prep;
	struct cb_ctx *ctx = c->ctx;
	int ret;

	ctx->expect_mapcount = c->mapcount;
	if (prep && prep->before_writes) {
		ret = prep->before_writes(c);
		if (ret || ctx->res->status != CB_OK)
			return ret;
	}
	ret = cb_measure_writes(ctx, &c->r, c->cs->tag);
	if (prep && prep->after_writes)
		ret = prep->after_writes(c, ret);
	if (ret || ctx->res->status != CB_OK)
		return ret;
	ret = cb_region_verify(ctx, &c->r, c->cs->tag, false, who);
	if (!ret && c->cs->copies_extra && ctx->pass == CB_PASS_COUNTING)
		cb_ctx_extra(ctx, c->cs->copies_extra, (double)ctx->res->cow.copy);
	return ret;
}

/* What a process reads at its end, when it still maps the region and the pass is still good. */
static int cb_cow_verify(struct cb_cow *c, uint64_t tag, const char *who)
{
	if (!c->r.addr || c->ctx->res->status != CB_OK)
		return 0;
	return cb_region_verify(c->ctx, &c->r, tag, false, who);
}

/* Map and fill the region for the backing; with fill_on_other_cpu the first touch happens on
 * the other CPU and nothing drains its per-CPU LRU batch afterwards (the refcount blip). */
static int cb_cow_fill(struct cb_cow *c)
{
	struct cb_ctx *ctx = c->ctx;
	int ret;

	if (c->cs->prep && c->cs->prep->fill_data_only) {
		ret = cb_region_map(ctx, &c->r);
		if (!ret && ctx->res->status == CB_OK)
			cb_region_fill_data(&c->r, CB_COW_OLD);
		return ret;
	}
	if (!c->cs->fill_on_other_cpu)
		return cb_region_setup(ctx, &c->r, CB_COW_OLD);
	ret = cb_region_map(ctx, &c->r);
	if (ret || ctx->res->status != CB_OK)
		return ret;
	ret = cb_cpu_pin(ctx, ctx->other_cpu);
	if (ret)
		return ret;
	ret = cb_region_fill(ctx, &c->r, CB_COW_OLD);
	if (!ret)
		ret = cb_cpu_pin(ctx, ctx->cpu);
	return ret;
}

/* The child's side; its return value is reported to the parent's cb_child_wait. */
static int cb_cow_child(struct cb_cow *c)
{
	const struct cb_cow_prep *prep = c->cs->prep;
	struct cb_ctx *ctx = c->ctx;
	int ret = 0;

	if (prep && prep->child)
		ret = prep->child(c);
	if (ret || ctx->res->status != CB_OK)
		return ret;
	switch (c->cs->writer) {
	case CB_COW_CHILD:
		return cb_cow_measure(c, "child after its writes");
	case CB_COW_CHILD_AFTER_UNMAP:
		/* Released once the parent's munmap returned: the child is the only mapper left. */
		ret = cb_child_hold(ctx);
		return ret ? ret : cb_cow_measure(c, "child after its writes");
	case CB_COW_PARENT:
		/* Blocked, not runnable, while the parent writes; keeps the pages until it is done. */
		ret = cb_child_ready(ctx);
		if (!ret)
			ret = cb_child_hold(ctx);
		if (!ret)
			ret = cb_cow_verify(c, c->child_sees, "child after the parent's writes");
		if (!ret && ctx->res->status == CB_OK && prep && prep->child_check)
			ret = prep->child_check(c);
		return ret;
	case CB_COW_PARENT_AFTER_EXIT:
		/* Its reading and its exit (the zap of its copy of the page tables) off the measured
		 * CPU: there they took the time slice the parent's loop then missed (a preemption
		 * inside the loop, "off CPU", under load). Not with fill_on_other_cpu: exit_mmap
		 * drains the LRU batch of the CPU it runs on, the very batch that scenario keeps. */
		if (ctx->other_cpu >= 0 && !c->cs->fill_on_other_cpu) {
			ret = cb_cpu_pin(ctx, ctx->other_cpu);
			if (ret)
				return ret;
		}
		return cb_cow_verify(c, c->child_sees, "child before it exits");
	case CB_COW_ALONE:
		break;
	}
	return cb_ctx_error(ctx, "cow writer", -EINVAL);
}

/* The parent's side after fork: returns with the child reaped. */
static int cb_cow_parent(struct cb_cow *c)
{
	struct cb_ctx *ctx = c->ctx;
	int ret, child_ret;

	switch (c->cs->writer) {
	case CB_COW_CHILD:
		ret = cb_child_wait(ctx);
		return ret ? ret : cb_cow_verify(c, c->parent_sees, "parent after the child's writes");
	case CB_COW_CHILD_AFTER_UNMAP:
		/* munmap drops the parent's mappings and references before it returns. */
		ret = cb_region_munmap(ctx, &c->r);
		if (!ret)
			ret = cb_child_release(ctx);
		child_ret = cb_child_wait(ctx);
		return ret ? ret : child_ret;
	case CB_COW_PARENT:
		ret = cb_child_wait_ready(ctx);
		if (ret == -EPIPE)
			return cb_child_wait(ctx); /* the child ended first: its verdict says why */
		if (!ret) {
			ret = cb_cow_measure(c, "parent after its writes");
			cb_child_release(ctx);
		}
		child_ret = cb_child_wait(ctx);
		return ret ? ret : child_ret;
	case CB_COW_PARENT_AFTER_EXIT:
		ret = cb_child_wait(ctx);
		if (ret || ctx->res->status != CB_OK)
			return ret;
		return cb_cow_measure(c, "parent after its writes");
	case CB_COW_ALONE:
		break;
	}
	return cb_ctx_error(ctx, "cow writer", -EINVAL);
}

int cb_cow_run(struct cb_ctx *ctx)
{
	const struct cb_cow_scenario *cs = cb_cow_scenario_of(ctx->scn);
	const struct cb_cow_prep *prep = cs->prep;
	bool child_writes = cs->writer == CB_COW_CHILD || cs->writer == CB_COW_CHILD_AFTER_UNMAP;
	struct cb_cow c = {
		.ctx = ctx,
		.cs = cs,
		.mapcount = cs->mapcount,
		.child_sees = child_writes ? cs->tag : CB_COW_OLD,
		.parent_sees = child_writes ? CB_COW_OLD : cs->tag,
	};
	uint64_t t0, t1;
	pid_t pid;
	int ret, tret;

	if (prep && prep->state_size) {
		c.state = calloc(1, prep->state_size);
		if (!c.state)
			return cb_ctx_error(ctx, "calloc", -ENOMEM);
	}
	if (prep && prep->setup) {
		ret = prep->setup(&c);
		if (ret || ctx->res->status != CB_OK)
			goto teardown;
	}
	ret = cb_cow_fill(&c);
	if (ret || ctx->res->status != CB_OK)
		goto unmap;
	if (prep && prep->before_fork) {
		ret = prep->before_fork(&c);
		if (ret || ctx->res->status != CB_OK)
			goto release;
	}
	if (cs->writer == CB_COW_ALONE) {
		ret = cb_cow_measure(&c, "writer after its writes");
		goto after;
	}
	/* The time includes cb_child_fork's two pipe2() calls (a few µs). */
	t0 = cb_timer_ticks();
	pid = cb_child_fork(ctx);
	t1 = cb_timer_ticks();
	if (pid < 0) {
		ret = pid;
		goto release;
	}
	if (pid == 0) {
		c.in_child = true;
		cb_child_exit(ctx, cb_cow_child(&c));
	}
	if (prep && prep->time_fork && ctx->pass == CB_PASS_TIMING)
		cb_ctx_extra(ctx, "fork_ns", (double)cb_timer_ns(t1 - t0));
	ret = cb_cow_parent(&c);
after:
	if (!ret && ctx->res->status == CB_OK && prep && prep->after)
		ret = prep->after(&c);
release:
	if (prep && prep->release)
		prep->release(&c);
unmap:
	cb_region_unmap(&c.r);
teardown:
	if (prep && prep->teardown) {
		tret = prep->teardown(&c);
		if (!ret)
			ret = tret;
	}
	free(c.state);
	return ret;
}

/* swapin: each process reads its pages back from swap (major faults, through the swap cache
 * while the entry is shared) before it writes. */
static int cb_cow_swapin_child(struct cb_cow *c)
{
	return cb_region_verify(c->ctx, &c->r, CB_COW_OLD, false, "child reading back from swap");
}

/* After the child exited, the parent has read its pages back (cb_cow_parent's verify): its
 * swap entries are its own again. Its write is classified as the measured loop's would be
 * (same PFN after the write as after the read: reused), and the written pages still in the swap
 * cache are counted (KPF_SWAPCACHE). */
static int cb_cow_swapin_after(struct cb_cow *c)
{
	struct cb_ctx *ctx = c->ctx;
	struct cb_region *r = &c->r;
	uint32_t *faults = calloc(r->pages, sizeof(*faults));
	struct cb_region_snap read, written;
	struct cb_cow_counts cc;
	size_t cached = 0;
	int ret;

	if (!faults)
		return cb_ctx_error(ctx, "calloc", -ENOMEM);
	ret = cb_region_snapshot(ctx, r, &read);
	if (ret)
		goto free_faults;
	ret = cb_region_write_faults(ctx, r, CB_COW_PARENT_TAG, faults);
	if (ret)
		goto free_read;
	ret = cb_region_snapshot(ctx, r, &written);
	if (ret)
		goto free_read;
	cb_cow_classify(read.raw, written.raw, faults, r->pages, &cc);
	ret = cb_region_snap_kpage(ctx, &written, CB_SNAP_FLAGS);
	if (ret)
		goto free_written;
	for (size_t i = 0; i < r->pages; i++)
		cached += (written.flags[i] >> CB_KPF_SWAPCACHE) & 1;
	if (ctx->pass == CB_PASS_COUNTING) {
		cb_ctx_extra(ctx, "parent_reuse", (double)cc.reuse);
		cb_ctx_extra(ctx, "parent_copy", (double)cc.copy);
		cb_ctx_extra(ctx, "parent_nofault", (double)cc.nofault);
		cb_ctx_extra(ctx, "parent_swapcache_after", (double)cached);
	}
	ret = cb_region_verify(ctx, r, CB_COW_PARENT_TAG, false, "parent after its writes");
free_written:
	cb_region_snap_free(&written);
free_read:
	cb_region_snap_free(&read);
free_faults:
	free(faults);
	return ret;
}

const struct cb_cow_prep cb_cow_prep_swapin = {
	.name = "swapin",
	.child = cb_cow_swapin_child,
	.after = cb_cow_swapin_after,
};
