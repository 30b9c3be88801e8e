/* fork; the child exits; the parent writes: every page is exclusive again and must be reused
 * (the refcount rule). Touching and writing on one CPU keeps per-CPU LRU batches drained. */
#include "cow.h"

static const struct cb_cow_scenario cow_reuse = {
	.s = {
		.name = "cow_reuse",
		.description = "fork; the child exits; the parent writes (reuse expected)",
		.op = "the parent's first write to one write-protected page nobody else maps",
		.invalid_if = "pages still mapped more than once before the write (mapcount != 1)",
		.backings = "base thp thp_pte thp_single_pte mthp sys",
		.deterministic = true, /* tests assert its exact outcomes */
		.needs = CB_NEED_PRIV,
		.run = cb_cow_run,
	},
	.writer = CB_COW_PARENT_AFTER_EXIT,
	.mapcount = 1,
	.tag = 0x4e5e4e5e00000000ull,
};
CB_COW_SCENARIO(cow_reuse)
