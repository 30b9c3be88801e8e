/* cow_child with sibling threads of the writing child spinning on other CPUs: every copy
 * replaces a PTE the siblings' CPUs may have cached, so its flush becomes an IPI shootdown. */
#include "tlb.h"

static const struct cb_cow_scenario tlb_cow_copy = {
	.s = {
		.name = "tlb_cow_copy",
		.description = "fork; the child writes every page (copy) with --siblings threads of it spinning on other CPUs",
		.op = "the child's first write to one shared page, its sibling threads running",
		.invalid_if = "pages not mapped by both processes before the write (mapcount != 2); more siblings than other CPUs",
		.backings = "base thp thp_pte thp_single_pte mthp sys",
		.deterministic = true, /* tests assert its exact outcomes */
		.needs = CB_NEED_PRIV,
		.run = cb_cow_run,
	},
	.writer = CB_COW_CHILD,
	.mapcount = 2,
	.tag = 0x71b071b000000000ull,
	.prep = &cb_cow_prep_tlb,
};
CB_COW_SCENARIO(tlb_cow_copy)
