/* fork; the child vmsplices the shared pages into pipes and unmaps them; the parent writes. The
 * parent is the only mapper, but the pipes hold references: every write must copy, and the child
 * must still read the old data from the pipes. A reuse here is CVE-2020-29374: the child would
 * read what the parent wrote after fork. */
#include "cow.h"

static const struct cb_cow_scenario pin_vmsplice = {
	.s = {
		.name = "pin_vmsplice",
		.description = "fork; the child vmsplices the pages into pipes and unmaps them; the parent writes "
			       "(copy expected: the pipes hold references); the child must read the old data",
		.op = "the parent's first write to a page only it maps but a pipe references",
		.invalid_if = "pages not mapped exactly once after the child's munmap; the pipes returning the new "
			      "data is `fail` (data leaked across fork)",
		.backings = "base thp thp_pte mthp",
		.deterministic = true, /* tests assert its exact outcomes */
		.needs = CB_NEED_PRIV,
		.run = cb_cow_run,
	},
	.writer = CB_COW_PARENT,
	.mapcount = 1,
	.tag = 0x7a1e7a1e00000000ull,
	.prep = &cb_cow_prep_vmsplice,
};
CB_COW_SCENARIO(pin_vmsplice)
