#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cb.h"
#include "overhead.h"
#include "scenario.h"
#include "stats.h"
#include "timer.h"

enum { CB_OH_UNTIMED, CB_OH_TIMED, CB_OH_COUNTED, CB_OH_CLASSIFY, CB_OH_KINDS };

static const struct cb_scenario cb_overhead_scn = {
	.name = "overhead", .backings = "base", .op = "first-touch write of one page",
};

/* ns per page of one round of kind k on a fresh region. */
static double cb_overhead_round(struct cb_ctx *ctx, int k)
{
	struct cb_region r;
	uint64_t t0, t1;
	double v = NAN;

	memset(ctx->res, 0, sizeof(*ctx->res));
	cb_hist_init(&ctx->res->hist);
	ctx->res->status = CB_OK;
	if (cb_region_map(ctx, &r))
		return NAN;
	switch (k) {
	case CB_OH_UNTIMED:
		t0 = cb_clock_ns();
		for (size_t i = 0; i < r.pages; i++)
			*(volatile uint64_t *)(r.addr + i * cb_page_size) = i;
		t1 = cb_clock_ns();
		v = (double)(t1 - t0) / (double)r.pages;
		break;
	case CB_OH_TIMED:
		ctx->pass = CB_PASS_TIMING;
		if (!cb_measure_writes(ctx, &r, 1))
			v = (double)ctx->res->loop_ns / (double)r.pages;
		break;
	case CB_OH_COUNTED:
		ctx->pass = CB_PASS_COUNTING;
		t0 = cb_clock_ns();
		if (!cb_measure_writes(ctx, &r, 1) && ctx->res->status == CB_OK)
			v = (double)(cb_clock_ns() - t0) / (double)r.pages;
		break;
	case CB_OH_CLASSIFY: {
		uint64_t *before = calloc(r.pages, 8), *after = calloc(r.pages, 8), *pfns = calloc(r.pages, 8);
		uint32_t *faults = calloc(r.pages, 4);
		struct cb_cow_counts cc;
		int pm = cb_pagemap_open();

		for (size_t i = 0; i < r.pages; i++)
			*(volatile uint64_t *)(r.addr + i * cb_page_size) = i;
		/* What a counting pass adds per page besides the counters: two pagemap reads, the
		 * mapcount check and the classification. */
		if (pm >= 0 && before && after && pfns && faults) {
			t0 = cb_clock_ns();
			cb_pagemap_read(pm, r.addr, r.pages, before);
			for (size_t i = 0; i < r.pages; i++)
				pfns[i] = before[i] & CB_PM_PFN_MASK;
			cb_kpage_read("/proc/kpagecount", pfns, r.pages, after);
			cb_pagemap_read(pm, r.addr, r.pages, after);
			cb_cow_classify(before, after, faults, r.pages, &cc);
			v = (double)(cb_clock_ns() - t0) / (double)r.pages;
		}
		if (pm >= 0)
			close(pm);
		free(before);
		free(after);
		free(pfns);
		free(faults);
		break;
	}
	}
	cb_region_unmap(&r);
	return v;
}

int cb_overhead_report(const struct cb_opts *o, FILE *out)
{
	static const char *const names[] = { "untimed loop", "timing pass", "counting pass", "classification" };
	struct cb_ctx ctx = { .scn = &cb_overhead_scn, .backing = "base", .size = o->size };
	double *v[CB_OH_KINDS];
	struct cb_stats st[CB_OH_KINDS];
	size_t n[CB_OH_KINDS] = { 0 };
	int ret = 0;

	ctx.pages = o->size / cb_page_size;
	/* The base backing resolved as for a run: cb_region_map aligns to its folio size. */
	if (cb_backing_parse("base", &ctx.bk, NULL, 0))
		return -EINVAL;
	ctx.cpu = o->cpu >= 0 ? o->cpu : sched_getcpu();
	ctx.res = mmap(NULL, sizeof(*ctx.res), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ctx.res == MAP_FAILED)
		return -errno;
	for (int k = 0; k < CB_OH_KINDS; k++)
		v[k] = calloc((size_t)o->repeat, sizeof(double));
	if (cb_cpu_pin(&ctx, ctx.cpu)) {
		ret = -EINVAL;
		goto free_values;
	}
	/* Warm the allocator: memory the host took back (free-page reporting) faults far slower. */
	cb_overhead_round(&ctx, CB_OH_UNTIMED);
	for (int rep = 0; rep < o->repeat; rep++)
		for (int k = 0; k < CB_OH_KINDS; k++) {
			double x = v[k] ? cb_overhead_round(&ctx, k) : NAN;

			if (!isnan(x))
				v[k][n[k]++] = x;
		}
	fprintf(out, "cowbench overhead: %zu pages of %zu bytes, %d rounds, CPU %d, timer %s (pair %.1f ns)\n",
		ctx.pages, cb_page_size, o->repeat, ctx.cpu, cb_timer.source_name, cb_timer.overhead_ns);
	fprintf(out, "%-16s %12s %10s %14s\n", "loop", "ns/page med", "± sd", "ratio/untimed");
	for (int k = 0; k < CB_OH_KINDS; k++) {
		if (!n[k] || cb_stats_compute(v[k], n[k], &st[k])) {
			fprintf(out, "%-16s %12s  (needs root: pagemap PFNs, counters)\n", names[k], "-");
			continue;
		}
		fprintf(out, "%-16s %12.1f %10.1f", names[k], st[k].median, st[k].stddev);
		if (k != CB_OH_CLASSIFY && n[CB_OH_UNTIMED])
			fprintf(out, " %14.3f", st[k].median / st[CB_OH_UNTIMED].median);
		fputc('\n', out);
	}
	if (n[CB_OH_UNTIMED] && n[CB_OH_TIMED])
		fprintf(out, "timed/untimed %.3f (target <= 1.02)\n",
			st[CB_OH_TIMED].median / st[CB_OH_UNTIMED].median);
free_values:
	for (int k = 0; k < CB_OH_KINDS; k++)
		free(v[k]);
	munmap(ctx.res, sizeof(*ctx.res));
	return ret;
}
