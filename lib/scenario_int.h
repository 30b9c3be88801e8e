/* Shared by lib/scenario.c (regions, children) and lib/measure.c (the measured loops and ops);
 * not for bench/. */
#ifndef CB_SCENARIO_INT_H
#define CB_SCENARIO_INT_H

#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

static inline uint64_t *cb_page_word(struct cb_region *r, size_t page, size_t word)
{
	return (uint64_t *)(r->addr + page * r->stride) + word;
}

/* Raw pagemap entries of the region's measured pages. Returns 0 or -errno. */
int cb_region_pagemap(int pm, struct cb_region *r, uint64_t *raw);
/* Folio sizes of the region from raw pagemap entries (pfns, flags: scratch of r->pages). */
int cb_region_folios(struct cb_region *r, const uint64_t *raw, uint64_t *pfns, uint64_t *flags,
		     uint64_t by_order[CB_FOLIO_ORDERS]);

#endif
