/* Fault latency as a distribution of its own: the timing pass's per-op latencies of the ops whose
 * page faulted, the pages known from the counting pass's address samples. Both passes run in
 * fresh workers, so the two are joined only where the timing pass took as many faults as the
 * counting pass saw: in a deterministic scenario the same pages fault then. */
#ifndef CB_FAULTLAT_H
#define CB_FAULTLAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hist.h"

struct cb_pass_result;

/* Per-page figures that outlive a pass worker (MAP_SHARED, mapped by the launcher before it
 * forks): the timing pass's latency of the write at each page, the counting pass's faults at it.
 * Indexed by page, not by op: the order of the writes may be a permutation. */
struct cb_page_log {
	size_t cap;                 /* pages each array holds */
	uint64_t *op_ns;
	uint32_t *faults;
};

int cb_page_log_map(struct cb_page_log *pl, size_t pages);
void cb_page_log_unmap(struct cb_page_log *pl);

/* Percentiles reported for n faulting ops: p50 and the max always, p90 from 10, p99 from 100
 * (with fewer, the "p99" of 4 faults is their max under another name). */
#define CB_FAULT_P90_MIN 10
#define CB_FAULT_P99_MIN 100

/* Adds to faulted the latency of every op whose page took a fault; returns how many. */
uint64_t cb_fault_split(const uint64_t *op_ns, const uint32_t *faults, size_t pages, struct cb_hist *faulted);

/*
 * The fault latency of one repetition from its timing pass t and counting pass c (either NULL:
 * not run) and the page log they filled: true with faulted filled, or false with why set. It is
 * left out, with the reason, where every op faulted (latency_ns is then the faults' distribution
 * already) or none did, and withheld where the two passes cannot be joined.
 */
bool cb_fault_latency(const struct cb_pass_result *t, const struct cb_pass_result *c, const struct cb_page_log *pl,
		      struct cb_hist *faulted, char *why, size_t len);

#endif
