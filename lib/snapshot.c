/* One look at the measured pages of a region: the one place that allocates the arrays, opens a
 * pagemap, reads it and reports a failure (once, with the call) for every pass and check. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cb.h"
#include "scenario_int.h"

/* Raw pagemap entries of the measured pages: in one batched read where they are contiguous,
 * else one entry per page (thp_single_pte: one page per THP). */
static int cb_region_pagemap(int pm, struct cb_region *r, uint64_t *raw)
{
	if (r->stride == cb_page_size)
		return cb_pagemap_read(pm, r->addr, r->pages, raw);
	for (size_t i = 0; i < r->pages; i++) {
		int ret = cb_pagemap_read(pm, r->addr + i * r->stride, 1, raw + i);

		if (ret)
			return ret;
	}
	return 0;
}

int cb_region_snapshot_of(struct cb_ctx *ctx, struct cb_region *r, pid_t pid, struct cb_region_snap *s)
{
	char path[64];
	int pm, ret;

	s->n = r->pages;
	s->raw = calloc(r->pages, sizeof(*s->raw));
	s->pfn = calloc(r->pages, sizeof(*s->pfn));
	s->count = calloc(r->pages, sizeof(*s->count));
	s->flags = calloc(r->pages, sizeof(*s->flags));
	if (!s->raw || !s->pfn || !s->count || !s->flags) {
		ret = cb_ctx_error(ctx, "calloc", -ENOMEM);
		goto free_snap;
	}
	/* Opened now, in the process that asks: an fd from before a fork reads the parent's tables. */
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	pm = pid ? open(path, O_RDONLY | O_CLOEXEC) : cb_pagemap_open();
	if (pid && pm < 0)
		pm = -errno;
	if (pm < 0) {
		ret = cb_ctx_error(ctx, pid ? "open(/proc/PEER/pagemap)" : "open(/proc/self/pagemap)", pm);
		goto free_snap;
	}
	ret = cb_region_pagemap(pm, r, s->raw);
	close(pm);
	if (ret) {
		ret = cb_ctx_error(ctx, pid ? "pread(/proc/PEER/pagemap)" : "pread(pagemap)", ret);
		goto free_snap;
	}
	for (size_t i = 0; i < r->pages; i++) {
		struct cb_pm_entry e;

		cb_pagemap_decode(s->raw[i], &e);
		s->pfn[i] = e.pfn;
	}
	return 0;
free_snap:
	cb_region_snap_free(s);
	return ret;
}

int cb_region_snapshot(struct cb_ctx *ctx, struct cb_region *r, struct cb_region_snap *s)
{
	return cb_region_snapshot_of(ctx, r, 0, s);
}

int cb_region_snap_kpage(struct cb_ctx *ctx, struct cb_region_snap *s, unsigned what)
{
	int ret;

	if (what & CB_SNAP_COUNT) {
		ret = cb_kpage_read("/proc/kpagecount", s->pfn, s->n, s->count);
		if (ret)
			return cb_ctx_error(ctx, "read(/proc/kpagecount)", ret);
	}
	if (what & CB_SNAP_FLAGS) {
		ret = cb_kpage_read("/proc/kpageflags", s->pfn, s->n, s->flags);
		if (ret)
			return cb_ctx_error(ctx, "read(/proc/kpageflags)", ret);
	}
	return 0;
}

int cb_region_snap_folios(struct cb_ctx *ctx, struct cb_region_snap *s, uint64_t by_order[CB_FOLIO_ORDERS])
{
	int ret = cb_region_snap_kpage(ctx, s, CB_SNAP_FLAGS);

	if (!ret)
		cb_folio_runs(s->pfn, s->flags, s->n, by_order);
	return ret;
}

void cb_region_snap_free(struct cb_region_snap *s)
{
	free(s->raw);
	free(s->pfn);
	free(s->count);
	free(s->flags);
	s->raw = s->pfn = s->count = s->flags = NULL;
}
