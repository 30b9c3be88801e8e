/* fork; the parent writes while the child is alive and keeps the pages: every write must copy;
 * the child must still read the old data afterwards. */
#include "cow.h"

static const struct cb_cow_scenario cow_parent = {
	.s = {
		.name = "cow_parent",
		.description = "fork; the parent writes while the child is alive (copy expected)",
		.op = "the parent's first write to one shared page",
		.invalid_if = "pages not mapped by both processes before the write (mapcount != 2)",
		.backings = "base thp thp_pte thp_single_pte mthp sys",
		.deterministic = true, /* tests assert its exact outcomes */
		.needs = CB_NEED_PRIV,
		.run = cb_cow_run,
	},
	.writer = CB_COW_PARENT,
	.mapcount = 2,
	.tag = 0x9a7e9a7e00000000ull,
};
CB_COW_SCENARIO(cow_parent)
