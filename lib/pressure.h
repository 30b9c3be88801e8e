/* Memory pressure: a workload in a memory cgroup limited below its working set. */
#ifndef CB_PRESSURE_H
#define CB_PRESSURE_H

#include <stdbool.h>

#include "cow.h"

/*
 * The pressure_* scenarios are COW scenarios (lib/cow.h) with this prepare step: the pass's
 * worker enters a new memory cgroup limited to percent % of the region before mapping it, fills
 * it (pushing the rest to swap) and writes every page once, in order or in a fixed pseudo-random
 * order (the same on every kernel): the measured writes (major faults, swap-ins, reclaim), then
 * re-reads the set (extra_timed.reread_ns_per_page, extra.reread_major_faults). With writer
 * CB_COW_CHILD a child forked after the fill does the writes while the worker keeps the pages:
 * COW under concurrent reclaim. Memcg stat deltas (major faults, refaults, scans, steals) and
 * the zram compression ratio go into the record's extras. Skips when no memory cgroup can be
 * made.
 */
extern const struct cb_cow_prep cb_cow_prep_pressure;

/* A pressure variant, registered with CB_COW_SCENARIO_TABLE. */
struct cb_pressure_scenario {
	struct cb_cow_scenario cow;  /* first: cb_cow_run and the hooks find the rest from it */
	int percent;                 /* the group's limit, % of the region */
	bool random;                 /* writes in the fixed pseudo-random order */
};

#endif
