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

/* A pass's memory cgroup, its stat around the writes and the order of the writes. */
struct cb_pressure_state {
	struct cb_memcg m;
	size_t *order;
	struct cb_vmstat vs[3];
};

static const struct cb_pressure_scenario *cb_pressure_of(const struct cb_cow *c)
{
	/* cs is the first member of the variant that registered it (CB_COW_SCENARIO_TABLE). */
	return (const struct cb_pressure_scenario *)c->cs;
}

/* Before the region exists: a memory cgroup limited to percent % of it, entered by this process
 * (the pass's worker, so the runner stays outside and the group can be removed). The region,
 * and with cow the writer forked after the fill, are then charged to it. */
static int cb_pressure_setup(struct cb_cow *c)
{
	const struct cb_pressure_scenario *ps = cb_pressure_of(c);
	struct cb_pressure_state *st = c->state;
	struct cb_ctx *ctx = c->ctx;
	char why[256];
	int ret;

	ret = cb_memcg_create(&st->m, "pressure", why, sizeof(why));
	if (ret)
		return cb_ctx_skip(ctx, "no memory cgroup: %s", why);
	ret = cb_memcg_limit(&st->m, ctx->size / 100 * (size_t)ps->percent, 0, SIZE_MAX);
	if (ret)
		return cb_ctx_error(ctx, "memory cgroup limit", ret);
	if (ps->random) {
		st->order = cb_pressure_order(ctx->pages);
		if (!st->order)
			return cb_ctx_error(ctx, "malloc", -ENOMEM);
		ctx->order = st->order;
	}
	if (ctx->pass == CB_PASS_COUNTING)
		cb_ctx_extra(ctx, "limit_percent", ps->percent);
	ret = cb_memcg_enter(&st->m, 0);
	return ret ? cb_ctx_error(ctx, "cgroup.procs", ret) : 0;
}

/* The group's stat before the writes. A COW writer's parent keeps the pages and does not touch
 * them: the counting pass verifies which stayed shared through the writes (reclaim may take the
 * parent's mapping meanwhile). */
static int cb_pressure_before_writes(struct cb_cow *c)
{
	struct cb_pressure_state *st = c->state;

	if (c->in_child)
		c->ctx->peer = getppid();
	cb_memcg_snap(&st->m, &st->vs[0]);
	return 0;
}

/* The group's deltas and the zram ratio, then the re-read of the set. */
static int cb_pressure_after_writes(struct cb_cow *c, int ret)
{
	struct cb_pressure_state *st = c->state;
	struct cb_ctx *ctx = c->ctx;

	cb_memcg_snap(&st->m, &st->vs[1]);
	if (ret)
		return ret;
	if (ctx->pass == CB_PASS_COUNTING) {
		cb_vmstat_delta(&st->vs[0], &st->vs[1], &st->vs[2]);
		cb_pressure_extras(ctx, &st->vs[2]);
		cb_ctx_extra(ctx, "zram_compression_ratio", cb_zram_ratio());
	}
	cb_pressure_reread(ctx, &c->r);
	return 0;
}

/* The region is gone: leave the group (cb_memcg_destroy moves its tasks back) and remove it. */
static int cb_pressure_teardown(struct cb_cow *c)
{
	struct cb_pressure_state *st = c->state;
	int ret;

	c->ctx->order = NULL;
	free(st->order);
	st->order = NULL;
	ret = cb_memcg_destroy(&st->m);
	return ret ? cb_ctx_error(c->ctx, "rmdir(memory cgroup)", ret) : 0;
}

const struct cb_cow_prep cb_cow_prep_pressure = {
	.name = "memory cgroup",
	.state_size = sizeof(struct cb_pressure_state),
	/* Under the limit the fill already pushes pages out: no check that all are present. */
	.fill_data_only = true,
	.setup = cb_pressure_setup,
	.before_writes = cb_pressure_before_writes,
	.after_writes = cb_pressure_after_writes,
	.teardown = cb_pressure_teardown,
};
