/* First-touch write faults on fresh anonymous memory; with --threads N or --processes N, N
 * workers fault their own parts of the region at once (will-it-scale's page_fault1 shape). */
#include "scenario.h"

#define TAG 0xfa017a11c0ffee00ull

static int fault_anon_part(struct cb_ctx *ctx, struct cb_region *r, void *arg)
{
	(void)arg;
	return cb_measure_first_touch(ctx, r, TAG, "writer");
}

static int fault_anon_run(struct cb_ctx *ctx)
{
	struct cb_region r;
	int ret;

	ret = cb_region_map(ctx, &r);
	if (ret || ctx->res->status)
		goto unmap;
	if (ctx->workers.n)
		ret = cb_workers_run(ctx, &r, fault_anon_part, NULL, NULL);
	else
		ret = fault_anon_part(ctx, &r, NULL);
unmap:
	cb_region_unmap(&r);
	return ret;
}

static const struct cb_scenario fault_anon = {
	.name = "fault_anon",
	.description = "first-touch write faults on fresh anonymous memory (--threads/--processes N: N at once)",
	.op = "first write to one never-touched page (one fault, one zeroed page)",
	.invalid_if = "a page was present before its first write; fewer CPUs than workers",
	.backings = "base thp mthp sys",
	.deterministic = true, /* tests assert its exact outcomes */
	.needs = CB_NEED_PRIV,
	.run = fault_anon_run,
	.workers = CB_WORKERS_THREADS | CB_WORKERS_PROCESSES,
};
CB_SCENARIO(fault_anon)
