/* First-touch write faults on fresh anonymous memory. */
#include "scenario.h"

#define TAG 0xfa017a11c0ffee00ull

static int fault_anon_run(struct cb_ctx *ctx)
{
	struct cb_region r;
	int ret;

	ret = cb_region_map(ctx, &r);
	if (ret || ctx->res->status)
		goto unmap;
	ctx->expect_mapcount = 0;
	ret = cb_measure_writes(ctx, &r, TAG);
	/* The first touch is what populates the backing: check it got the folios it asked for. */
	if (!ret)
		ret = cb_region_check(ctx, &r);
	if (!ret)
		ret = cb_region_verify(ctx, &r, TAG, true, "writer");
unmap:
	cb_region_unmap(&r);
	return ret;
}

static const struct cb_scenario fault_anon = {
	.name = "fault_anon",
	.description = "first-touch write faults on fresh anonymous memory",
	.op = "first write to one never-touched page (one fault, one zeroed page)",
	.invalid_if = "a page was present before its first write",
	.backings = "base thp mthp sys",
	.deterministic = true, /* tests assert its exact outcomes */
	.needs = CB_NEED_PRIV,
	.run = fault_anon_run,
};
CB_SCENARIO(fault_anon)
