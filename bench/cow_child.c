/* fork; the child writes every page while the parent keeps them: every write must copy. */
#include "cow.h"

static const struct cb_cow_scenario cow_child = {
	.s = {
		.name = "cow_child",
		.description = "fork; the child writes every page while the parent keeps them (copy expected)",
		.op = "the child's first write to one shared page",
		.invalid_if = "pages not mapped by both processes before the write (mapcount != 2)",
		.backings = "base thp thp_pte thp_single_pte mthp sys",
		.deterministic = true, /* tests assert its exact outcomes */
		.needs = CB_NEED_PRIV,
		.run = cb_cow_run,
	},
	.writer = CB_COW_CHILD,
	.mapcount = 2,
	.tag = 0xc41dc41d00000000ull,
};
CB_COW_SCENARIO(cow_child)
