/* cow_reuse with sibling threads of the writing parent spinning on other CPUs: a reuse only
 * makes the PTE writable, which needs no flush, so the siblings should receive nothing. */
#include "tlb.h"

static const struct cb_cow_scenario tlb_cow_reuse = {
	.s = {
		.name = "tlb_cow_reuse",
		.description = "fork; the child exits; the parent writes (reuse) with --siblings threads spinning on other CPUs",
		.op = "the parent's first write to one write-protected page nobody else maps, its sibling threads running",
		.invalid_if = "pages still mapped more than once before the write (mapcount != 1); more siblings than other CPUs",
		.backings = "base thp thp_pte thp_single_pte mthp sys",
		.deterministic = true, /* tests assert its exact outcomes */
		.needs = CB_NEED_PRIV,
		.run = cb_cow_run,
	},
	.writer = CB_COW_PARENT_AFTER_EXIT,
	.mapcount = 1,
	.tag = 0x71b071b000000000ull,
	.prep = &cb_cow_prep_tlb,
};
CB_COW_SCENARIO(tlb_cow_reuse)
