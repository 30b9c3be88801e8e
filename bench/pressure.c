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

static const struct cb_pressure_scenario pressure[] = {
	PRESSURE("seq_25", 25, false, "sequential order"),
	PRESSURE("seq_50", 50, false, "sequential order"),
	PRESSURE("seq_75", 75, false, "sequential order"),
	PRESSURE("rand_50", 50, true, "a fixed pseudo-random order"),
	{
		.cow = {
			.s = {
				.name = "pressure_cow",
				.description = "fork in a memory cgroup limited to 50 % of the working set; the child writes "
					       "every page (copy or swap-in) while its parent keeps them and reclaim runs "
					       "concurrently",
				.op = "the child's first write to a page shared with its parent, resident or swapped out",
				.invalid_if = INVALID,
				.backings = "base",
				.needs = CB_NEED_PRIV | CB_NEED_SWAP,
				.run = cb_cow_run,
			},
			.writer = CB_COW_CHILD,
			.mapcount = CB_EXPECT_EXCLUSIVE,
			.tag = NEW,
			.prep = &cb_cow_prep_pressure,
		},
		.percent = 50,
	},
};
CB_COW_SCENARIO_TABLE(pressure)
