/* mprotect(PROT_READ) of a populated, writable region while sibling threads keep the mm live on
 * other CPUs: write permission goes away, so every CPU's cached entries must be flushed. */
#include <errno.h>
#include <sys/mman.h>

#include "tlb.h"

static int tlb_zap_mprotect_op(struct cb_ctx *ctx, struct cb_region *r, void *arg)
{
	(void)arg;
	if (mprotect(r->addr, r->len, PROT_READ))
		return cb_ctx_error(ctx, "mprotect", -errno);
	return 0;
}

static int tlb_zap_mprotect_run(struct cb_ctx *ctx)
{
	return cb_tlb_zap_run(ctx, tlb_zap_mprotect_op);
}

static const struct cb_scenario tlb_zap_mprotect = {
	.name = "tlb_zap_mprotect",
	.description = "mprotect(PROT_READ) of a populated region with --siblings threads spinning on other CPUs",
	.op = "one mprotect(PROT_READ) of the whole region, sibling threads running (ns_per_page = its time / pages)",
	.invalid_if = "the backing was not obtained after populating; more siblings than other CPUs",
	.backings = "base thp thp_pte mthp",
	.needs = CB_NEED_PRIV,
	.run = tlb_zap_mprotect_run,
};
CB_SCENARIO(tlb_zap_mprotect)
