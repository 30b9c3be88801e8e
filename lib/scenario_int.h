/* Shared by lib/scenario.c (regions, children) and lib/measure.c (the measured loops and ops);
 * not for bench/. */
#ifndef CB_SCENARIO_INT_H
#define CB_SCENARIO_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "scenario.h"

static inline uint64_t *cb_page_word(struct cb_region *r, size_t page, size_t word)
{
	return (uint64_t *)(r->addr + page * r->stride) + word;
}

/*
 * One look at the measured pages (lib/snapshot.c): raw pagemap entries and their PFNs (0: not
 * present, or not visible without CAP_SYS_ADMIN), and on request the /proc/kpagecount and
 * /proc/kpageflags words of those PFNs. Every function reports a failure once through
 * cb_ctx_error, naming the call, and returns it as -errno.
 */
struct cb_region_snap {
	size_t n;
	uint64_t *raw, *pfn;
	uint64_t *count, *flags;    /* filled by cb_region_snap_kpage only */
};
/* The pagemap of pid (0: this process) for r's measured pages, read now into new arrays
 * (cb_region_snap_free releases them, also after an error). */
int cb_region_snapshot_of(struct cb_ctx *ctx, struct cb_region *r, pid_t pid, struct cb_region_snap *s);
int cb_region_snapshot(struct cb_ctx *ctx, struct cb_region *r, struct cb_region_snap *s);
#define CB_SNAP_COUNT 1u
#define CB_SNAP_FLAGS 2u
/* Reads, now, the kpagecount and/or kpageflags words of the snapshot's PFNs. */
int cb_region_snap_kpage(struct cb_ctx *ctx, struct cb_region_snap *s, unsigned what);
/* kpageflags of the snapshot's PFNs and the folio sizes they form. */
int cb_region_snap_folios(struct cb_ctx *ctx, struct cb_region_snap *s, uint64_t by_order[CB_FOLIO_ORDERS]);
void cb_region_snap_free(struct cb_region_snap *s);

#endif
