#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cb.h"
#include "numa_place.h"
#include "opts.h"
#include "scenario.h"
#include "scenario_int.h"
#include "swap.h"
#include "sysfs.h"
#include "timer.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define CB_SCENARIOS_MAX 128
#define CB_FILL_BYTE 0x5a
#define CB_FILL_WORD 0x5a5a5a5a5a5a5a5aull

static const struct cb_scenario *registry[CB_SCENARIOS_MAX];
static size_t nregistry;

void cb_scenario_register(const struct cb_scenario *s)
{
	/* Runs from constructors, before main: a broken table is a build bug, so stop loudly. */
	if (nregistry == CB_SCENARIOS_MAX || !s->name || !(s->run || s->external) || !s->backings) {
		fprintf(stderr, "cowbench: cannot register scenario %s\n", s->name ? s->name : "(unnamed)");
		exit(2);
	}
	registry[nregistry++] = s;
}

static int cb_scenario_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct cb_scenario *const *)a)->name,
		      (*(const struct cb_scenario *const *)b)->name);
}

size_t cb_scenario_all(const struct cb_scenario ***out)
{
	qsort(registry, nregistry, sizeof(registry[0]), cb_scenario_cmp);
	*out = registry;
	return nregistry;
}

const struct cb_scenario *cb_scenario_find(const char *name)
{
	for (size_t i = 0; i < nregistry; i++)
		if (strcmp(registry[i]->name, name) == 0)
			return registry[i];
	return NULL;
}

bool cb_scenario_has_backing(const struct cb_scenario *s, const char *backing)
{
	/* The token "mthp" stands for every mthp_<size> the kernel offers, "swapped_mthp" for
	 * every swapped_mthp_<size>. */
	const char *want = strncmp(backing, "mthp_", 5) == 0 ? "mthp" :
			   strncmp(backing, "swapped_mthp_", 13) == 0 ? "swapped_mthp" : backing;
	size_t len = strlen(want);

	for (const char *p = s->backings; (p = strstr(p, want)); p += len)
		if ((p == s->backings || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\0'))
			return true;
	return false;
}

static void cb_ctx_set(struct cb_ctx *ctx, int status, const char *fmt, va_list ap)
{
	/* The first verdict stands: later ones are usually consequences of it. */
	if (ctx->res->status != CB_OK)
		return;
	ctx->res->status = status;
	vsnprintf(ctx->res->reason, sizeof(ctx->res->reason), fmt, ap);
}

int cb_ctx_error(struct cb_ctx *ctx, const char *call, int err)
{
	if (ctx->res->status == CB_OK) {
		ctx->res->status = CB_ERROR;
		snprintf(ctx->res->reason, sizeof(ctx->res->reason), "%s: %s", call, strerror(-err));
	}
	return err;
}

int cb_ctx_skip(struct cb_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cb_ctx_set(ctx, CB_SKIP, fmt, ap);
	va_end(ap);
	return 0;
}

int cb_ctx_disturbed(struct cb_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cb_ctx_set(ctx, CB_DISTURBED, fmt, ap);
	va_end(ap);
	return 0;
}

int cb_ctx_fail(struct cb_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cb_ctx_set(ctx, CB_FAIL, fmt, ap);
	va_end(ap);
	return 0;
}

void cb_ctx_extra(struct cb_ctx *ctx, const char *name, double value)
{
	struct cb_pass_result *res = ctx->res;

	if (ctx->pass == CB_PASS_WARMUP || res->nextra == CB_EXTRA_MAX)
		return;
	snprintf(res->extra[res->nextra].name, sizeof(res->extra[0].name), "%s", name);
	res->extra[res->nextra].value = value;
	res->extra[res->nextra].why[0] = '\0';
	res->nextra++;
}

void cb_ctx_extra_unsupported(struct cb_ctx *ctx, const char *name, const char *why)
{
	struct cb_pass_result *res = ctx->res;

	if (ctx->pass == CB_PASS_WARMUP || res->nextra == CB_EXTRA_MAX)
		return;
	cb_ctx_extra(ctx, name, 0);
	snprintf(res->extra[res->nextra - 1].why, sizeof(res->extra[0].why), "%s", why);
}

int cb_region_map(struct cb_ctx *ctx, struct cb_region *r)
{
	const struct cb_backing *bk = &ctx->bk;
	size_t align = ctx->align > bk->align ? ctx->align : bk->align, len = ctx->size;
	char *raw, *addr;
	int advice, err;

	memset(r, 0, sizeof(*r));
	if (len % align) {
		char sz[16];

		cb_size_format(align, sz, sizeof(sz));
		return cb_ctx_skip(ctx, "size is not a whole number of %s folios (backing %s)", sz, bk->name);
	}
	r->vs_map = malloc(sizeof(*r->vs_map));
	if (!r->vs_map)
		return cb_ctx_error(ctx, "malloc", -ENOMEM);
	cb_vmstat_snap(r->vs_map);
	/* Over-map and trim so the region starts on a folio boundary: only then can the kernel
	 * place folios of exactly that size in it. */
	raw = mmap(NULL, len + align, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED) {
		err = -errno;
		goto free_vmstat;
	}
	addr = (char *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
	if (addr > raw)
		munmap(raw, (size_t)(addr - raw));
	munmap(addr + len, (size_t)(raw + align - addr));
	r->addr = addr;
	r->len = len;
	r->stride = cb_page_size;
	r->pages = len / cb_page_size;
	/* base: keep THP and every mTHP size away; thp*: ask for PMD THP; mthp: the per-size
	 * "always" setting alone decides. */
	advice = bk->kind == CB_BK_BASE ? MADV_NOHUGEPAGE :
		 bk->kind == CB_BK_MTHP || bk->kind == CB_BK_SYS ? -1 : MADV_HUGEPAGE;
	if (advice >= 0 && madvise(r->addr, r->len, advice)) {
		err = -errno;
		cb_region_unmap(r);
		return cb_ctx_error(ctx, "madvise", err);
	}
	return 0;
free_vmstat:
	free(r->vs_map);
	r->vs_map = NULL;
	return cb_ctx_error(ctx, "mmap", err);
}

void cb_region_unmap(struct cb_region *r)
{
	if (r->addr)
		munmap(r->addr, r->len);
	r->addr = NULL;
	free(r->vs_map);
	r->vs_map = NULL;
}


/* thp_pte: write-protecting one subpage splits the PMD mapping into PTEs; the folio stays
 * whole. thp_single_pte: then drop all but the first subpage's PTE (cow.c's SINGLE_PTE case). */
static int cb_region_shape(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag)
{
	size_t step = ctx->bk.folio_size;

	if (ctx->bk.kind != CB_BK_THP_PTE && ctx->bk.kind != CB_BK_THP_SINGLE_PTE)
		return 0;
	for (size_t off = 0; off < r->len; off += step) {
		if (mprotect(r->addr + off, cb_page_size, PROT_READ) ||
		    mprotect(r->addr + off, cb_page_size, PROT_READ | PROT_WRITE))
			return cb_ctx_error(ctx, "mprotect", -errno);
		if (ctx->bk.kind == CB_BK_THP_SINGLE_PTE &&
		    madvise(r->addr + off + cb_page_size, step - cb_page_size, MADV_DONTNEED))
			return cb_ctx_error(ctx, "madvise(MADV_DONTNEED)", -errno);
	}
	/* khugepaged would collapse these PTE-mapped ranges back into PMD THPs (a lone PTE per PMD is
	 * within max_ptes_none): a write then finds a fresh, writable THP. Keep it away. */
	if (madvise(r->addr, r->len, MADV_NOHUGEPAGE))
		return cb_ctx_error(ctx, "madvise(MADV_NOHUGEPAGE)", -errno);
	if (ctx->bk.kind == CB_BK_THP_SINGLE_PTE) {
		r->stride = step;
		r->pages = r->len / step;
		/* Measured page i is now the first subpage of THP i: tag it as page i. */
		for (size_t i = 0; i < r->pages; i++)
			*cb_page_word(r, i, 0) = tag ^ i;
	}
	return 0;
}

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif


/* A per-size mTHP stat (hugepages-<size>kB/stats/<stat>), -1 when the kernel has none. */
static long long cb_mthp_stat(size_t folio_size, const char *stat)
{
	char path[256], buf[32];

	snprintf(path, sizeof(path), "/sys/kernel/mm/transparent_hugepage/hugepages-%zukB/stats/%s",
		 folio_size / 1024, stat);
	if (cb_sysfs_read(path, buf, sizeof(buf)) < 0)
		return -1;
	return strtoll(buf, NULL, 10);
}

/* SwapFree from /proc/meminfo (KiB), -1 if unreadable: why a pageout could not swap. */
static long long cb_swap_free_kb(void)
{
	char line[128];
	long long kb = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SwapFree: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Counts the measured pages whose PTE holds a swap entry, and of those the ones mincore()
 * reports resident: for a swap entry, mincore looks the entry up in the swap cache. */
static int cb_region_swap_count(struct cb_ctx *ctx, struct cb_region *r, size_t *swapped, size_t *cached)
{
	unsigned char *vec = calloc(r->len / cb_page_size, 1);
	struct cb_region_snap snap;
	int ret;

	*swapped = *cached = 0;
	if (!vec)
		return cb_ctx_error(ctx, "calloc", -ENOMEM);
	ret = cb_region_snapshot(ctx, r, &snap);
	if (ret)
		goto free_vec;
	if (mincore(r->addr, r->len, vec)) {
		ret = cb_ctx_error(ctx, "mincore", -errno);
		goto free_snap;
	}
	for (size_t i = 0; i < r->pages; i++) {
		bool sw = (snap.raw[i] & CB_PM_SWAPPED) && !(snap.raw[i] & CB_PM_PRESENT);

		*swapped += sw;
		*cached += sw && (vec[i * r->stride / cb_page_size] & 1);
	}
free_snap:
	cb_region_snap_free(&snap);
free_vec:
	free(vec);
	return ret;
}

/*
 * The swap backings: MADV_PAGEOUT of the verified region (pages mapped once only: the kernel
 * skips shared folios), verified with the pagemap swapped bit on every page. swapcache then
 * reads them back unmapped (MADV_WILLNEED goes through the swap cache even on zram, whose fault
 * path would bypass it), verified with mincore() (no PFN is visible for an unmapped page, so
 * KPF_SWAPCACHE cannot be read). Large folios: the size's swpout / swpout_fallback deltas. Every
 * swap backing starts with no page in the swap cache (mincore), on zram and on a swap file alike.
 */
static int cb_region_swapout(struct cb_ctx *ctx, struct cb_region *r)
{
	size_t fs = ctx->bk.folio_size, swapped = 0, cached = 0;
	long long out0 = -1, fb0 = -1;
	int ret;

	if (fs > cb_page_size) {
		out0 = cb_mthp_stat(fs, "swpout");
		fb0 = cb_mthp_stat(fs, "swpout_fallback");
	}
	/* A page still in a per-CPU LRU batch cannot be isolated for reclaim: retry a few times. */
	for (int try = 0; try < 3; try++) {
		if (madvise(r->addr, r->len, MADV_PAGEOUT))
			return cb_ctx_error(ctx, "madvise(MADV_PAGEOUT)", -errno);
		ret = cb_region_swap_count(ctx, r, &swapped, &cached);
		if (ret)
			return ret;
		if (swapped == r->pages)
			break;
	}
	if (ctx->pass == CB_PASS_COUNTING && out0 >= 0) {
		cb_ctx_extra(ctx, "swpout", (double)(cb_mthp_stat(fs, "swpout") - out0));
		cb_ctx_extra(ctx, "swpout_fallback", (double)(cb_mthp_stat(fs, "swpout_fallback") - fb0));
	}
	if (swapped != r->pages)
		return cb_ctx_skip(ctx, "%s: %zu of %zu pages swapped out after MADV_PAGEOUT (SwapFree %lld KiB)",
				   ctx->bk.name, swapped, r->pages, cb_swap_free_kb());
	/* Written asynchronously (a swap file; zram writes synchronously and keeps none), the folios
	 * stay in the swap cache, clean and unmapped, until reclaim takes them: a read would find
	 * them there, with no I/O. Read back, they are mapped clean, and a second MADV_PAGEOUT frees
	 * them without writing; one still under writeback stays mapped, so it is tried again. */
	for (int try = 0; (cached || swapped != r->pages) && try < 100; try++) {
		if (try)
			usleep(2000);
		for (size_t i = 0; i < r->pages; i++)
			(void)*(volatile uint64_t *)cb_page_word(r, i, 0);
		if (madvise(r->addr, r->len, MADV_PAGEOUT))
			return cb_ctx_error(ctx, "madvise(MADV_PAGEOUT)", -errno);
		ret = cb_region_swap_count(ctx, r, &swapped, &cached);
		if (ret)
			return ret;
	}
	if (swapped != r->pages || cached)
		return cb_ctx_skip(ctx, "%s: after paging out again, %zu of %zu pages swap entries, %zu of them still in "
				   "the swap cache (mincore)", ctx->bk.name, swapped, r->pages, cached);
	if (ctx->bk.swap != CB_SWAP_CACHE)
		return 0;
	if (madvise(r->addr, r->len, MADV_WILLNEED))
		return cb_ctx_error(ctx, "madvise(MADV_WILLNEED)", -errno);
	ret = cb_region_swap_count(ctx, r, &swapped, &cached);
	if (ret)
		return ret;
	if (swapped != r->pages || cached != r->pages)
		return cb_ctx_skip(ctx, "swapcache: after MADV_WILLNEED %zu of %zu pages still swap entries, %zu of them "
				   "in the swap cache (mincore)", swapped, r->pages, cached);
	return 0;
}

/* The swap-out op: MADV_PAGEOUT, then the wait for its writes to complete on the device. */
struct cb_pageout {
	struct cb_swap_wb wb;
	long long pswpout0;
	unsigned long long want;    /* sectors the pageout wrote */
	uint64_t wait_ns;           /* from MADV_PAGEOUT's return to the last write's completion */
	int err;
};

static int cb_pageout_op(struct cb_ctx *ctx, struct cb_region *r, void *arg)
{
	struct cb_pageout *po = arg;
	uint64_t t;

	if (madvise(r->addr, r->len, MADV_PAGEOUT))
		return cb_ctx_error(ctx, "madvise(MADV_PAGEOUT)", -errno);
	t = cb_timer_ticks();
	/* The region's own size first: a synchronous device (zram) is done already, one read. */
	po->want = r->len / 512;
	po->err = cb_swap_wb_wait(&po->wb, po->want, 0);
	if (po->err == -ETIMEDOUT) {
		/* Not done yet, or not every page went: what went is what pswpout counted. */
		long long out = cb_swap_pswpout();

		if (out >= po->pswpout0)
			po->want = (unsigned long long)(out - po->pswpout0) * (cb_page_size / 512);
		po->err = cb_swap_wb_wait(&po->wb, po->want, 30000);
	}
	po->wait_ns = cb_timer_ns(cb_timer_ticks() - t);
	return 0;
}

int cb_measure_pageout(struct cb_ctx *ctx, struct cb_region *r)
{
	size_t fs = ctx->bk.folio_size, swapped = 0, cached = 0;
	long long out0 = -1, fb0 = -1;
	struct cb_pageout po = { .err = 0 };
	unsigned long long at_stop;
	char why[160];
	int ret;

	ret = cb_swap_wb_open(&po.wb, why, sizeof(why));
	if (ret)
		return ret == -EOPNOTSUPP || ret == -EBUSY || ret == -ENOENT ? cb_ctx_skip(ctx, "%s", why) :
									    cb_ctx_error(ctx, why, ret);
	if (fs > cb_page_size) {
		out0 = cb_mthp_stat(fs, "swpout");
		fb0 = cb_mthp_stat(fs, "swpout_fallback");
	}
	po.pswpout0 = cb_swap_pswpout();
	ret = cb_measure_op(ctx, r, 0, cb_pageout_op, &po);
	if (ret || ctx->res->status != CB_OK)
		goto close_wb;
	if (po.err) {
		ret = cb_ctx_error(ctx, po.err == -ETIMEDOUT ? "waiting for the swap-out writes (30 s)" :
							       "reading the swap device's stat", po.err);
		goto close_wb;
	}
	at_stop = po.wb.sectors - po.wb.sectors0;
	ret = cb_swap_wb_read(&po.wb);
	if (ret) {
		ret = cb_ctx_error(ctx, "reading the swap device's stat", ret);
		goto close_wb;
	}
	ret = cb_region_swap_count(ctx, r, &swapped, &cached);
	if (ret)
		goto close_wb;
	if (ctx->pass == CB_PASS_COUNTING) {
		if (out0 >= 0) {
			cb_ctx_extra(ctx, "swpout", (double)(cb_mthp_stat(fs, "swpout") - out0));
			cb_ctx_extra(ctx, "swpout_fallback", (double)(cb_mthp_stat(fs, "swpout_fallback") - fb0));
		}
		cb_ctx_extra(ctx, "swapped_pages", (double)swapped);
		cb_ctx_extra(ctx, "swapcache_after", (double)cached);
		cb_ctx_extra(ctx, "writeback_polls", (double)po.wb.polls);
	} else if (ctx->pass == CB_PASS_TIMING) {
		cb_ctx_extra(ctx, "writeback_wait_ns", (double)po.wait_ns);
	}
	/* Pages left mapped (a reference held elsewhere, a per-CPU batch) were not swapped out: the
	 * op did less than it is timed as. Another writer to the device ends the wait early. */
	if (swapped != r->pages)
		cb_ctx_disturbed(ctx, "%zu of %zu pages swapped out by MADV_PAGEOUT", swapped, r->pages);
	else if (at_stop != r->len / 512 || po.wb.sectors - po.wb.sectors0 != r->len / 512)
		cb_ctx_disturbed(ctx, "device %s completed %llu write sectors by the end of the wait and %llu by the check, "
				 "where the pageout wrote %zu: another writer's I/O", po.wb.dev, at_stop,
				 po.wb.sectors - po.wb.sectors0, r->len / 512);
close_wb:
	cb_swap_wb_close(&po.wb);
	return ret;
}

void cb_region_fill_data(struct cb_region *r, uint64_t tag)
{
	for (size_t i = 0; i < r->pages; i++) {
		/* Non-zero data: zero-filled pages take shortcuts (zero page, swap skips them). */
		memset(r->addr + i * r->stride, CB_FILL_BYTE, cb_page_size);
		*cb_page_word(r, i, 0) = tag ^ i;
	}
}

int cb_region_fill(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag)
{
	int ret;

	cb_region_fill_data(r, tag);
	ret = cb_region_shape(ctx, r, tag);
	if (ret)
		return ret;
	ret = cb_region_check(ctx, r);
	if (ret || ctx->res->status != CB_OK || ctx->bk.swap == CB_SWAP_NONE)
		return ret;
	return cb_region_swapout(ctx, r);
}

int cb_region_setup(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag)
{
	int ret = cb_region_map(ctx, r);

	/* A skip at map time leaves no region to fill. */
	if (ret || ctx->res->status != CB_OK)
		return ret;
	return cb_region_fill(ctx, r, tag);
}

static void cb_folio_describe(const uint64_t by_order[CB_FOLIO_ORDERS], char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int k = 0; k < CB_FOLIO_ORDERS && off < len; k++) {
		char sz[16];

		if (!by_order[k])
			continue;
		cb_size_format(cb_page_size << k, sz, sizeof(sz));
		off += (size_t)snprintf(buf + off, len - off, "%s%s: %llu pages", off ? ", " : "", sz,
					(unsigned long long)by_order[k]);
	}
}

/* Fallback and split counters since the region was mapped, for a skip reason. */
static void cb_fallbacks_describe(struct cb_region *r, char *buf, size_t len)
{
	struct cb_vmstat *now = malloc(sizeof(*now)), *d = malloc(sizeof(*d));
	size_t off = 0;

	buf[0] = '\0';
	if (now && d && r->vs_map && !cb_vmstat_snap(now)) {
		cb_vmstat_delta(r->vs_map, now, d);
		for (int i = 0; i < d->n && off < len; i++)
			if (strstr(d->e[i].name, "fallback") || strstr(d->e[i].name, "split"))
				off += (size_t)snprintf(buf + off, len - off, " %s +%lld", d->e[i].name,
							(long long)d->e[i].v);
	}
	if (!off)
		snprintf(buf, len, " none counted");
	free(now);
	free(d);
}

int cb_region_check(struct cb_ctx *ctx, struct cb_region *r)
{
	const struct cb_backing *bk = &ctx->bk;
	int order = 0, ret;
	uint64_t by_order[CB_FOLIO_ORDERS];
	struct cb_region_snap snap;
	size_t missing = 0, heads = 0;
	char got[256], fb[256];
	long huge_kb;

	while ((cb_page_size << order) < bk->folio_size)
		order++;
	ret = cb_region_snapshot(ctx, r, &snap);
	if (ret)
		return ret;
	for (size_t i = 0; i < r->pages; i++)
		missing += !(snap.raw[i] & CB_PM_PRESENT);
	if (missing) {
		ret = cb_ctx_skip(ctx, "%zu of %zu pages not present after populating", missing, r->pages);
		goto free_snap;
	}
	ret = cb_region_snap_folios(ctx, &snap, by_order);
	if (ret)
		goto free_snap;
	cb_folio_describe(by_order, got, sizeof(got));
	/* sys asks for nothing: the folio sizes it got are the result (recorded by the passes). */
	if (bk->kind == CB_BK_SYS)
		goto free_snap;
	if (bk->kind == CB_BK_THP_SINGLE_PTE) {
		/* One PTE per THP: each measured page must be a THP's head (its first subpage). */
		for (size_t i = 0; i < r->pages; i++)
			heads += (snap.flags[i] >> CB_KPF_COMPOUND_HEAD) & 1 && (snap.flags[i] >> CB_KPF_THP) & 1;
		if (heads != r->pages) {
			cb_fallbacks_describe(r, fb, sizeof(fb));
			ret = cb_ctx_skip(ctx, "thp_single_pte: %zu of %zu pages are not a THP's first subpage; fallbacks:%s",
					  r->pages - heads, r->pages, fb);
			goto free_snap;
		}
	} else if (by_order[order] != r->pages) {
		char want[16];

		cb_size_format(bk->folio_size, want, sizeof(want));
		cb_fallbacks_describe(r, fb, sizeof(fb));
		ret = cb_ctx_skip(ctx, "backing %s wanted every page in a %s folio, got %s; fallbacks:%s", bk->name,
				  want, got, fb);
		goto free_snap;
	}
	if (bk->kind == CB_BK_BASE || bk->kind == CB_BK_MTHP)
		goto free_snap;
	huge_kb = cb_smaps_anon_huge_kb(r->addr, r->len);
	if (bk->kind == CB_BK_THP && huge_kb * 1024 != (long)r->len)
		ret = cb_ctx_skip(ctx, "thp: only %ld of %zu KiB PMD-mapped (smaps AnonHugePages)", huge_kb, r->len / 1024);
	else if (bk->kind != CB_BK_THP && huge_kb != 0)
		ret = cb_ctx_skip(ctx, "%s: %ld KiB still PMD-mapped", bk->name, huge_kb);
free_snap:
	cb_region_snap_free(&snap);
	return ret;
}

int cb_region_verify(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag, bool zero_fill, const char *who)
{
	size_t last = cb_page_size / 8 - 1;
	uint64_t want_last = zero_fill ? 0 : CB_FILL_WORD;

	for (size_t i = 0; i < r->pages; i++) {
		uint64_t first = *cb_page_word(r, i, 0), tail = *cb_page_word(r, i, last);

		if (first != (tag ^ i))
			return cb_ctx_fail(ctx, "DATA MISMATCH: %s reads 0x%llx at page %zu word 0, want 0x%llx",
					   who, (unsigned long long)first, i, (unsigned long long)(tag ^ i));
		if (tail != want_last)
			return cb_ctx_fail(ctx, "DATA MISMATCH: %s reads 0x%llx at page %zu last word, want 0x%llx",
					   who, (unsigned long long)tail, i, (unsigned long long)want_last);
	}
	return 0;
}

int cb_region_munmap(struct cb_ctx *ctx, struct cb_region *r)
{
	if (munmap(r->addr, r->len))
		return cb_ctx_error(ctx, "munmap", -errno);
	r->addr = NULL;
	return 0;
}

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

static int cb_region_madvise(struct cb_ctx *ctx, struct cb_region *r, int advice, const char *call)
{
	if (madvise(r->addr, r->len, advice))
		return cb_ctx_error(ctx, call, -errno);
	return 0;
}

int cb_region_dontneed(struct cb_ctx *ctx, struct cb_region *r)
{
	return cb_region_madvise(ctx, r, MADV_DONTNEED, "madvise(MADV_DONTNEED)");
}

int cb_region_populate(struct cb_ctx *ctx, struct cb_region *r)
{
	return cb_region_madvise(ctx, r, MADV_POPULATE_WRITE, "madvise(MADV_POPULATE_WRITE)");
}

int cb_region_collapse(struct cb_ctx *ctx, struct cb_region *r)
{
	return cb_region_madvise(ctx, r, MADV_COLLAPSE, "madvise(MADV_COLLAPSE)");
}

int cb_region_thp_allow(struct cb_ctx *ctx, struct cb_region *r)
{
	return cb_region_madvise(ctx, r, MADV_HUGEPAGE, "madvise(MADV_HUGEPAGE)");
}

int cb_measure_populated_op(struct cb_ctx *ctx, uint64_t tag, cb_op_fn op, void *arg)
{
	struct cb_region r;
	int ret;

	ret = cb_region_setup(ctx, &r, tag);
	if (!ret && !ctx->res->status)
		ret = cb_measure_op(ctx, &r, 0, op, arg);
	cb_region_unmap(&r);
	return ret;
}

int cb_cpu_pin(struct cb_ctx *ctx, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return cb_ctx_error(ctx, "sched_setaffinity", -errno);
	return 0;
}

int cb_child_prepare(struct cb_ctx *ctx)
{
	if (pipe2(ctx->sync_down, O_CLOEXEC))
		return cb_ctx_error(ctx, "pipe2", -errno);
	if (pipe2(ctx->sync_up, O_CLOEXEC)) {
		int err = -errno;

		close(ctx->sync_down[0]);
		close(ctx->sync_down[1]);
		return cb_ctx_error(ctx, "pipe2", err);
	}
	fflush(NULL);
	ctx->sync_prepared = true;
	return 0;
}

pid_t cb_child_fork(struct cb_ctx *ctx)
{
	pid_t pid;

	if (!ctx->sync_prepared) {
		int ret = cb_child_prepare(ctx);

		if (ret)
			return ret;
	}
	ctx->sync_prepared = false;
	pid = cb_fork_tied();
	if (pid < 0) {
		int err = -errno;

		for (int i = 0; i < 2; i++) {
			close(ctx->sync_down[i]);
			close(ctx->sync_up[i]);
		}
		return cb_ctx_error(ctx, "fork", err);
	}
	if (pid == 0) {
		close(ctx->sync_down[1]);
		close(ctx->sync_up[0]);
		/* MAP_SHARED result pages are not copied at fork: fault them in now, not in the
		 * child's timed loop (its histogram). */
		madvise(ctx->res, (sizeof(*ctx->res) + cb_page_size - 1) / cb_page_size * cb_page_size,
			MADV_POPULATE_WRITE);
		return 0;
	}
	close(ctx->sync_down[0]);
	close(ctx->sync_up[1]);
	ctx->child = pid;
	return pid;
}

void cb_child_exit(struct cb_ctx *ctx, int ret)
{
	close(ctx->sync_down[0]);
	close(ctx->sync_up[1]);
	_exit(ret < 0 ? (-ret & 0x7f) : 0);
}

/* One byte over a sync pipe; a read returns -EPIPE at EOF (the other side is gone). */
static int cb_sync_write(struct cb_ctx *ctx, int fd)
{
	char c = 1;

	if (write(fd, &c, 1) != 1)
		return cb_ctx_error(ctx, "write(sync)", -errno);
	return 0;
}

static int cb_sync_read(struct cb_ctx *ctx, int fd)
{
	char c;
	ssize_t r;

	do
		r = read(fd, &c, 1);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return cb_ctx_error(ctx, "read(sync)", -errno);
	return r == 0 ? -EPIPE : 0;
}

int cb_child_hold(struct cb_ctx *ctx)
{
	int ret = cb_sync_read(ctx, ctx->sync_down[0]);

	/* EOF: the parent is gone (killed); nothing left to wait for. */
	return ret == -EPIPE ? cb_ctx_error(ctx, "read(sync)", ret) : ret;
}

int cb_child_ready(struct cb_ctx *ctx)
{
	return cb_sync_write(ctx, ctx->sync_up[1]);
}

int cb_child_wait_ready(struct cb_ctx *ctx)
{
	return cb_sync_read(ctx, ctx->sync_up[0]);
}

int cb_child_release(struct cb_ctx *ctx)
{
	return cb_sync_write(ctx, ctx->sync_down[1]);
}

int cb_child_wait(struct cb_ctx *ctx)
{
	int status;
	pid_t pid = ctx->child;

	close(ctx->sync_down[1]);
	close(ctx->sync_up[0]);
	ctx->child = 0;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return cb_ctx_error(ctx, "waitpid", -errno);
	if (WIFSIGNALED(status)) {
		if (ctx->res->status == CB_OK) {
			ctx->res->status = CB_ERROR;
			snprintf(ctx->res->reason, sizeof(ctx->res->reason), "child killed by signal %d (%s)",
				 WTERMSIG(status), strsignal(WTERMSIG(status)));
		}
		return -EINTR;
	}
	return WEXITSTATUS(status) ? -WEXITSTATUS(status) : 0;
}
