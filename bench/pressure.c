/* Memory pressure: a process in a memory cgroup limited below its working set writes every page
 * once (lib/pressure.c, a COW prepare step). The variants differ in the limit, the order of the
 * writes, and whether a process forked after the fill writes pages its parent keeps (COW under
 * concurrent reclaim). */
#include "pressure.h"

#define OP "one write to a page that may have been swapped out (major fault) or be resident"
#define INVALID "a page neither resident nor swapped before the writes; no memory cgroup (skip)"
#define NEW 0x9e55e11100000000ull

#define PRESSURE(id, pct, rnd, order)                                                      \
	{                                                                                  \
		.cow = {                                                                   \
			.s = {                                                             \
				.name = "pressure_" id,                                    \
				.description = "a process in a memory cgroup limited to " #pct \
					       " % of its working set writes every page (" order ")", \
				.op = OP,                                                  \
				.invalid_if = INVALID,                                     \
				.backings = "base",                                        \
				.needs = CB_NEED_PRIV | CB_NEED_SWAP,                      \
				.run = cb_cow_run,                                         \
			},                                                                 \
			.writer = CB_COW_ALONE,                                            \
			/* resident or a swap entry: under a limit either may hold */      \
			.mapcount = CB_EXPECT_EXCLUSIVE,                                   \
			.tag = NEW,                                                        \
			.prep = &cb_cow_prep_pressure,                                     \
		},                                                                         \
		.percent = pct, .random = rnd,                                             \
	}

/* fork after the fill; the child writes every page while its parent keeps them. */
#define PRESSURE_COW(id, pct, when)                                                        \
	{                                                                                  \
		.cow = {                                                                   \
			.s = {                                                             \
				.name = "pressure_cow" id,                                 \
				.description = "fork in a memory cgroup limited to " #pct       \
					       " % of the working set; the child writes every page " \
					       "(copy or swap-in) while its parent keeps them; " when, \
				.op = "the child's first write to a page shared with its parent, " \
				      "resident or swapped out",                           \
				.invalid_if = INVALID,                                     \
				.backings = "base",                                        \
				.needs = CB_NEED_PRIV | CB_NEED_SWAP,                      \
				.run = cb_cow_run,                                         \
			},                                                                 \
			.writer = CB_COW_CHILD,                                            \
			.mapcount = CB_EXPECT_EXCLUSIVE,                                   \
			.tag = NEW,                                                        \
			.prep = &cb_cow_prep_pressure,                                     \
		},                                                                         \
		.percent = pct,                                                            \
	}

static const struct cb_pressure_scenario pressure[] = {
	PRESSURE("seq_25", 25, false, "sequential order"),
	PRESSURE("seq_50", 50, false, "sequential order"),
	PRESSURE("seq_75", 75, false, "sequential order"),
	PRESSURE("rand_50", 50, true, "a fixed pseudo-random order"),
	PRESSURE_COW("", 50, "reclaim runs concurrently from the start"),
	/* Parent and child together need twice the region: at 190 % reclaim starts near the end of
	 * the writes, so most pages are still shared with the parent when the child writes them
	 * (the cow_verified pages an exact assertion rests on; at 50 % reclaim leaves none). */
	PRESSURE_COW("_190", 190, "reclaim starts once the child's copies pass 90 % of the region"),
};
CB_COW_SCENARIO_TABLE(pressure)
