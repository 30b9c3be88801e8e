/* MADV_PAGEOUT of a filled region onto the swap the instance set up, verified page by page: a
 * probe that the swap provisioning works end to end (set up, used, taken down). */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pagemap.h"
#include "scenario.h"

#define SWAP_PROBE_TAG 0x5ab0c0de

static int swap_probe_pageout(struct cb_ctx *ctx, struct cb_region *r, void *arg)
{
	(void)arg;
	return madvise(r->addr, r->len, MADV_PAGEOUT) ? cb_ctx_error(ctx, "madvise(MADV_PAGEOUT)", -errno) : 0;
}

/* Every page must be a swap entry now: anything else means the op did not do what it is timed as. */
static int swap_probe_check(struct cb_ctx *ctx, struct cb_region *r)
{
	uint64_t *raw = calloc(r->pages, sizeof(*raw));
	size_t swapped = 0;
	int fd, ret;

	if (!raw)
		return cb_ctx_error(ctx, "calloc", -ENOMEM);
	fd = cb_pagemap_open();
	if (fd < 0) {
		ret = cb_ctx_error(ctx, "open pagemap", fd);
		goto free_raw;
	}
	ret = cb_pagemap_read(fd, r->addr, r->pages, raw);
	close(fd);
	if (ret) {
		ret = cb_ctx_error(ctx, "read pagemap", ret);
		goto free_raw;
	}
	for (size_t i = 0; i < r->pages; i++)
		swapped += (raw[i] & CB_PM_SWAPPED) && !(raw[i] & CB_PM_PRESENT);
	if (ctx->pass == CB_PASS_COUNTING)
		cb_ctx_extra(ctx, "swapped_pages", (double)swapped);
	if (swapped != r->pages)
		cb_ctx_fail(ctx, "%zu of %zu pages swapped after MADV_PAGEOUT", swapped, r->pages);
free_raw:
	free(raw);
	return ret;
}

static int swap_probe_run(struct cb_ctx *ctx)
{
	struct cb_region r;
	int ret;

	ret = cb_region_setup(ctx, &r, SWAP_PROBE_TAG);
	if (!ret && !ctx->res->status)
		ret = cb_measure_op(ctx, &r, 0, swap_probe_pageout, NULL);
	if (!ret && !ctx->res->status)
		ret = swap_probe_check(ctx, &r);
	if (!ret && !ctx->res->status)
		ret = cb_region_verify(ctx, &r, SWAP_PROBE_TAG, false, "the swapped-in pages");
	cb_region_unmap(&r);
	return ret;
}

static const struct cb_scenario swap_probe = {
	.name = "swap_probe",
	.description = "MADV_PAGEOUT of a filled region onto the instance's swap, verified swapped and read back",
	.op = "one madvise(MADV_PAGEOUT) of the whole region (ns_per_page = its time / pages)",
	.invalid_if = "a page not a swap entry after the pageout, or its data changed after swap-in",
	.backings = "base",
	.needs = CB_NEED_PRIV | CB_NEED_SWAP,
	.run = swap_probe_run,
};
CB_SCENARIO(swap_probe)
