#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cb.h"
#include "pressure.h"
#include "swap.h"
#include "sysfs.h"
#include "timer.h"

#define OLD 0x9e559e5500000000ull
#define NEW 0x9e55e11100000000ull

/* Fisher-Yates with a fixed-seed xorshift: the same order on every run and kernel. */
static size_t *cb_pressure_order(size_t n)
{
	size_t *order = malloc(n * sizeof(*order));
	uint64_t x = 0x2545f4914f6cdd1dull;

	if (!order)
		return NULL;
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	for (size_t i = n - 1; i > 0; i--) {
		size_t j, t;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		j = (size_t)(x % (i + 1));
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	return order;
}

/* orig_data_size / compr_data_size of the zram device swapped on, 0 when none. */
static double cb_zram_ratio(void)
{
	char line[512], dev[64], path[128], buf[256];
	unsigned long long orig, compr;
	double ratio = 0;
	FILE *f = fopen("/proc/swaps", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "/dev/%63s", dev) != 1 || strncmp(dev, "zram", 4) != 0)
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/mm_stat", dev);
		if (cb_sysfs_read(path, buf, sizeof(buf)) > 0 && sscanf(buf, "%llu %llu", &orig, &compr) == 2 &&
		    compr)
			ratio = (double)orig / (double)compr;
		break;
	}
	fclose(f);
	return ratio;
}

static void cb_pressure_extras(struct cb_ctx *ctx, const struct cb_vmstat *d)
{
	/* v1 and v2 names for the same things; the first present wins. */
	static const char *const want[][2] = {
		{ "memcg.pgmajfault", "pgmajfault" },
		{ "memcg.workingset_refault_anon", "workingset_refault_anon" },
		{ "memcg.pgscan", "pgscan" },
		{ "memcg.pgsteal", "pgsteal" },
		{ "memcg.failcnt", "failcnt" },
		{ "memcg.pressure.some.total_us", "psi_some_us" },
	};

	for (size_t i = 0; i < CB_ARRAY_SIZE(want); i++)
		for (int k = 0; k < d->n; k++)
			if (strcmp(d->e[k].name, want[i][0]) == 0)
				cb_ctx_extra(ctx, want[i][1], (double)d->e[k].v);
}

/* Re-reads every page in the measured order after the writes: its time per page (timing pass)
 * and the major faults it took (counting pass). */
static void cb_pressure_reread(struct cb_ctx *ctx, struct cb_region *r)
{
	struct rusage ru0, ru1;
	uint64_t t0, sum = 0;

	getrusage(RUSAGE_SELF, &ru0);
	t0 = cb_clock_ns();
	for (size_t i = 0; i < r->pages; i++) {
		size_t p = ctx->order ? ctx->order[i] : i;

		sum += *(volatile uint64_t *)(r->addr + p * r->stride);
	}
	if (ctx->pass == CB_PASS_TIMING)
		cb_ctx_extra(ctx, "reread_ns_per_page", (double)(cb_clock_ns() - t0) / (double)r->pages);
	getrusage(RUSAGE_SELF, &ru1);
	if (ctx->pass == CB_PASS_COUNTING)
		cb_ctx_extra(ctx, "reread_major_faults", (double)(ru1.ru_majflt - ru0.ru_majflt));
	(void)sum;
}

/* The writer: the child itself, or (cow) a grandchild forked after the fill, writing pages it
 * shares with the child while reclaim runs in the same group. */
static int cb_pressure_write(struct cb_ctx *ctx, struct cb_memcg *m, struct cb_region *r, bool cow)
{
	struct cb_vmstat *vs = calloc(3, sizeof(*vs));
	pid_t pid = 0;
	int ret;

	if (!vs)
		return cb_ctx_error(ctx, "calloc", -ENOMEM);
	if (cow) {
		pid = cb_child_fork(ctx);
		if (pid < 0) {
			ret = pid;
			goto free_vmstat;
		}
		if (pid > 0) {
			/* The child keeps the pages (resident or as swap entries) until the writer is done. */
			ret = cb_child_wait(ctx);
			if (!ret)
				ret = cb_region_verify(ctx, r, OLD, false, "parent of the COW writer");
			goto free_vmstat;
		}
	}
	/* Its parent keeps the pages and does not touch them: the counting pass verifies which
	 * stayed shared through the writes (reclaim may take the parent's mapping meanwhile). */
	if (cow)
		ctx->peer = getppid();
	cb_memcg_snap(m, &vs[0]);
	/* Resident or a swap entry: under a limit either may hold for any page. */
	ctx->expect_mapcount = CB_EXPECT_EXCLUSIVE;
	ret = cb_measure_writes(ctx, r, NEW);
	cb_memcg_snap(m, &vs[1]);
	if (!ret && ctx->pass == CB_PASS_COUNTING) {
		cb_vmstat_delta(&vs[0], &vs[1], &vs[2]);
		cb_pressure_extras(ctx, &vs[2]);
		cb_ctx_extra(ctx, "zram_compression_ratio", cb_zram_ratio());
	}
	if (!ret)
		cb_pressure_reread(ctx, r);
	if (!ret)
		ret = cb_region_verify(ctx, r, NEW, false, cow ? "COW writer under pressure" : "writer under pressure");
free_vmstat:
	free(vs);
	if (cow && pid == 0)
		cb_child_exit(ctx, ret);
	return ret;
}

static int cb_pressure_child(struct cb_ctx *ctx, struct cb_memcg *m, bool cow)
{
	struct cb_region r;
	int ret;

	ret = cb_memcg_enter(m, 0);
	if (ret)
		return cb_ctx_error(ctx, "cgroup.procs", ret);
	ret = cb_region_map(ctx, &r);
	if (ret || ctx->res->status)
		return ret;
	cb_region_fill_data(&r, OLD);
	ret = cb_pressure_write(ctx, m, &r, cow);
	cb_region_unmap(&r);
	return ret;
}

int cb_pressure_run(struct cb_ctx *ctx, int percent, bool random, bool cow)
{
	struct cb_memcg m;
	size_t *order = NULL;
	char why[256];
	pid_t pid;
	int ret, cret;

	ret = cb_memcg_create(&m, "pressure", why, sizeof(why));
	if (ret)
		return cb_ctx_skip(ctx, "no memory cgroup: %s", why);
	ret = cb_memcg_limit(&m, ctx->size / 100 * (size_t)percent, 0, SIZE_MAX);
	if (ret) {
		ret = cb_ctx_error(ctx, "memory cgroup limit", ret);
		goto destroy;
	}
	if (random) {
		order = cb_pressure_order(ctx->pages);
		if (!order) {
			ret = cb_ctx_error(ctx, "malloc", -ENOMEM);
			goto destroy;
		}
		ctx->order = order;
	}
	if (ctx->pass == CB_PASS_COUNTING)
		cb_ctx_extra(ctx, "limit_percent", percent);
	/* The workload runs in the group, the runner not: it must be able to remove the group. */
	pid = cb_child_fork(ctx);
	if (pid < 0) {
		ret = pid;
		goto free_order;
	}
	if (pid == 0)
		cb_child_exit(ctx, cb_pressure_child(ctx, &m, cow));
	cret = cb_child_wait(ctx);
	if (!ret)
		ret = cret;
free_order:
	ctx->order = NULL;
	free(order);
destroy:
	cret = cb_memcg_destroy(&m);
	if (!ret && cret)
		ret = cb_ctx_error(ctx, "rmdir(memory cgroup)", cret);
	return ret;
}

int cb_pressure_scenario_run(struct cb_ctx *ctx)
{
	/* s is the first member of the variant that registered it (CB_SCENARIO_TABLE). */
	const struct cb_pressure_scenario *ps = (const struct cb_pressure_scenario *)ctx->scn;

	return cb_pressure_run(ctx, ps->percent, ps->random, ps->cow);
}
