/* Memory pressure: a workload in a memory cgroup limited below its working set. */
#ifndef CB_PRESSURE_H
#define CB_PRESSURE_H

#include <stdbool.h>

#include "scenario.h"

/*
 * One pass: a child in a new memory cgroup limited to percent % of the region fills the region
 * (pushing the rest to swap), then writes every page once, in order or in a fixed pseudo-random
 * order (the same on every kernel): the measured writes (major faults, swap-ins, reclaim), then
 * re-reads the set (extra_timed.reread_ns_per_page, extra.reread_major_faults). With cow, a
 * grandchild forked after the fill does the writes while the child keeps the pages: COW under
 * concurrent reclaim. Memcg stat deltas (major faults, refaults, scans, steals) and the zram
 * compression ratio go into the record's extras. Skips when no memory cgroup can be made.
 */
int cb_pressure_run(struct cb_ctx *ctx, int percent, bool random, bool cow);

/* A pressure variant: s.run = cb_pressure_scenario_run, registered with CB_SCENARIO_TABLE. */
struct cb_pressure_scenario {
	struct cb_scenario s;
	int percent;    /* the group's limit, % of the region */
	bool random;    /* writes in the fixed pseudo-random order */
	bool cow;       /* a process forked after the fill writes */
};
/* cb_pressure_run with the variant's parameters. */
int cb_pressure_scenario_run(struct cb_ctx *ctx);

#endif
