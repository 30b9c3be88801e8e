/* fork; the parent unmaps the region; the child writes. The child is then the only mapper and
 * holder of every page (mapcount 1, checked before the writes), exactly as the parent is in
 * cow_reuse: reuse expected, from the other side of the fork. */
#include "cow.h"

static const struct cb_cow_scenario cow_child_reuse = {
	.s = {
		.name = "cow_child_reuse",
		.description = "fork; the parent unmaps the region; the child writes (reuse expected)",
		.op = "the child's first write to one write-protected page its parent unmapped",
		.invalid_if = "pages still mapped more than once before the write (mapcount != 1)",
		.backings = "base thp thp_pte thp_single_pte mthp sys",
		.needs = CB_NEED_PRIV,
		.deterministic = true, /* tests assert its exact outcomes */
		.run = cb_cow_run,
	},
	.writer = CB_COW_CHILD_AFTER_UNMAP,
	.mapcount = 1,
	.tag = 0xc1e0c1e000000000ull,
};
CB_COW_SCENARIO(cow_child_reuse)
