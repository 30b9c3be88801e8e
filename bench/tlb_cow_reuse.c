/* cow_reuse with sibling threads of the writing parent spinning on other CPUs: a reuse only
 * makes the PTE writable, which needs no flush, so the siblings should receive nothing. */
#include "tlb.h"

static int tlb_cow_reuse_run(struct cb_ctx *ctx)
{
	return cb_tlb_cow_run(ctx, false);
}

static const struct cb_scenario tlb_cow_reuse = {
	.name = "tlb_cow_reuse",
	.description = "fork; the child exits; the parent writes (reuse) with --siblings threads spinning on other CPUs",
	.op = "the parent's first write to one write-protected page nobody else maps, its sibling threads running",
	.invalid_if = "pages still mapped more than once before the write (mapcount != 1); more siblings than other CPUs",
	.backings = "base thp thp_pte thp_single_pte mthp sys",
	.deterministic = true, /* tests assert its exact outcomes */
	.needs = CB_NEED_PRIV,
	.run = tlb_cow_reuse_run,
};
CB_SCENARIO(tlb_cow_reuse)
