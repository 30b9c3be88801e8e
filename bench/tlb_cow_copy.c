/* cow_child with sibling threads of the writing child spinning on other CPUs: every copy
 * replaces a PTE the siblings' CPUs may have cached, so its flush becomes an IPI shootdown. */
#include "tlb.h"

static int tlb_cow_copy_run(struct cb_ctx *ctx)
{
	return cb_tlb_cow_run(ctx, true);
}

static const struct cb_scenario tlb_cow_copy = {
	.name = "tlb_cow_copy",
	.description = "fork; the child writes every page (copy) with --siblings threads of it spinning on other CPUs",
	.op = "the child's first write to one shared page, its sibling threads running",
	.invalid_if = "pages not mapped by both processes before the write (mapcount != 2); more siblings than other CPUs",
	.backings = "base thp thp_pte thp_single_pte mthp sys",
	.deterministic = true, /* tests assert its exact outcomes */
	.needs = CB_NEED_PRIV,
	.run = tlb_cow_copy_run,
};
CB_SCENARIO(tlb_cow_copy)
