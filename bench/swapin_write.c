/* MADV_PAGEOUT, read every page back (major faults, timed), then write: an exclusive swap entry
 * comes back mapped writable, so the measured writes take no fault (nofault). */
#include <errno.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "scenario.h"
#include "timer.h"

#define OLD 0x5a17000000000000ull
#define NEW 0x5a17e00000000000ull

/* Reads the first word of every page: timing pass: each read's latency into extra_timed;
 * counting pass: the faults taken. A wrong value is a fail. */
static int swapin_read_back(struct cb_ctx *ctx, struct cb_region *r)
{
	struct cb_hist *h = malloc(sizeof(*h));
	struct rusage ru0, ru1;
	uint64_t t0, prev;
	size_t bad = 0;

	if (!h)
		return cb_ctx_error(ctx, "malloc", -ENOMEM);
	cb_hist_init(h);
	getrusage(RUSAGE_SELF, &ru0);
	t0 = cb_clock_ns();
	prev = cb_timer_ticks();
	for (size_t i = 0; i < r->pages; i++) {
		uint64_t v = *(volatile uint64_t *)(r->addr + i * r->stride), now = cb_timer_ticks();

		cb_hist_add(h, cb_timer_ns(now - prev));
		prev = now;
		if (v != (OLD ^ i) && !bad++)
			cb_ctx_fail(ctx, "DATA MISMATCH: read back 0x%llx from swap at page %zu, want 0x%llx",
				    (unsigned long long)v, i, (unsigned long long)(OLD ^ i));
	}
	getrusage(RUSAGE_SELF, &ru1);
	if (ctx->pass == CB_PASS_TIMING) {
		cb_ctx_extra(ctx, "read_ns", (double)(cb_clock_ns() - t0));
		cb_ctx_extra(ctx, "read_p50_ns", (double)cb_hist_percentile(h, 50));
		cb_ctx_extra(ctx, "read_p99_ns", (double)cb_hist_percentile(h, 99));
	} else if (ctx->pass == CB_PASS_COUNTING) {
		cb_ctx_extra(ctx, "read_major_faults", (double)(ru1.ru_majflt - ru0.ru_majflt));
		cb_ctx_extra(ctx, "read_minor_faults", (double)(ru1.ru_minflt - ru0.ru_minflt));
	}
	free(h);
	return 0;
}

static int swapin_write_run(struct cb_ctx *ctx)
{
	struct cb_region r;
	int ret;

	ret = cb_region_setup(ctx, &r, OLD);
	if (ret || ctx->res->status)
		goto unmap;
	ret = swapin_read_back(ctx, &r);
	if (ret || ctx->res->status)
		goto unmap;
	ret = cb_measure_writes_verified(ctx, &r, NEW, 1, "writer after swap-in");
unmap:
	cb_region_unmap(&r);
	return ret;
}

static const struct cb_scenario swapin_write = {
	.name = "swapin_write",
	.description = "MADV_PAGEOUT, read every page back (major faults: extra read_*), then write each page",
	.op = "the first write to a page swapped in by a read (exclusive swap entry: nofault expected)",
	.invalid_if = "pages not all swapped out after MADV_PAGEOUT, or not mapped once before the write",
	.backings = "swapped swapped_thp swapped_mthp",
	.deterministic = true, /* tests assert its exact outcomes */
	.needs = CB_NEED_PRIV | CB_NEED_SWAP,
	.run = swapin_write_run,
};
CB_SCENARIO(swapin_write)
