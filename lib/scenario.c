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
#include "scenario.h"
#include "timer.h"

#define CB_SCENARIOS_MAX 128
#define CB_FILL_BYTE 0x5a
#define CB_FILL_WORD 0x5a5a5a5a5a5a5a5aull

static const struct cb_scenario *registry[CB_SCENARIOS_MAX];
static size_t nregistry;

void cb_scenario_register(const struct cb_scenario *s)
{
	/* Runs from constructors, before main: a broken table is a build bug, so stop loudly. */
	if (nregistry == CB_SCENARIOS_MAX || !s->name || !s->run || !s->backings) {
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
	size_t len = strlen(backing);

	for (const char *p = s->backings; (p = strstr(p, backing)); p += len)
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

	if (ctx->pass != CB_PASS_COUNTING || res->nextra == CB_EXTRA_MAX)
		return;
	snprintf(res->extra[res->nextra].name, sizeof(res->extra[0].name), "%s", name);
	res->extra[res->nextra].value = value;
	res->nextra++;
}

int cb_region_map(struct cb_ctx *ctx, struct cb_region *r)
{
	r->len = ctx->size;
	r->pages = ctx->size / cb_page_size;
	r->addr = mmap(NULL, r->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r->addr == MAP_FAILED) {
		r->addr = NULL;
		return cb_ctx_error(ctx, "mmap", -errno);
	}
	if (strcmp(ctx->backing, "base") == 0) {
		/* Keeps THP and every mTHP size away whatever the machine's THP mode. */
		if (madvise(r->addr, r->len, MADV_NOHUGEPAGE)) {
			int err = -errno;

			cb_region_unmap(r);
			return cb_ctx_error(ctx, "madvise(MADV_NOHUGEPAGE)", err);
		}
		return 0;
	}
	cb_region_unmap(r);
	return cb_ctx_error(ctx, "backing", -EINVAL);
}

void cb_region_unmap(struct cb_region *r)
{
	if (r->addr)
		munmap(r->addr, r->len);
	r->addr = NULL;
}

static inline uint64_t *cb_page_word(struct cb_region *r, size_t page, size_t word)
{
	return (uint64_t *)(r->addr + page * cb_page_size) + word;
}

int cb_region_fill(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag)
{
	(void)ctx;
	for (size_t i = 0; i < r->pages; i++) {
		/* Non-zero data: zero-filled pages take shortcuts (zero page, swap skips them). */
		memset(r->addr + i * cb_page_size, CB_FILL_BYTE, cb_page_size);
		*cb_page_word(r, i, 0) = tag ^ i;
	}
	return 0;
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

static int cb_measure_timed(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag)
{
	struct cb_hist *h = &ctx->res->hist;
	uint64_t start = cb_clock_ns();
	uint64_t prev = cb_timer_ticks();

	/* One timestamp per op, chained: each interval holds one write plus the previous op's
	 * histogram update (a few ns), which halves the timer's cost against a start/stop pair. */
	for (size_t i = 0; i < r->pages; i++) {
		uint64_t now;

		*(volatile uint64_t *)cb_page_word(r, i, 0) = tag ^ i;
		now = cb_timer_ticks();
		cb_hist_add(h, cb_timer_ns(now - prev));
		prev = now;
	}
	ctx->res->loop_ns = cb_clock_ns() - start;
	return 0;
}

/* Checks the pages are mapped as the scenario intends before the writes (kpagecount is the
 * mapcount). Returns 0 and sets skip when they are not. */
static int cb_measure_precheck(struct cb_ctx *ctx, const uint64_t *raw, uint64_t *pfns, size_t n)
{
	struct cb_pass_result *res = ctx->res;
	uint64_t *words = calloc(n, sizeof(*words));
	size_t bad = 0, zero_pfn = 0;
	int ret;

	if (!words)
		return cb_ctx_error(ctx, "calloc", -ENOMEM);
	for (size_t i = 0; i < n; i++) {
		struct cb_pm_entry e;

		cb_pagemap_decode(raw[i], &e);
		pfns[i] = e.pfn;
		zero_pfn += e.present && !e.pfn;
		if (ctx->expect_mapcount == 0 && e.present)
			bad++;
		if (ctx->expect_mapcount > 0 && !e.present)
			bad++;
	}
	if (zero_pfn) {
		ret = cb_ctx_skip(ctx, "pagemap shows no PFNs (needs CAP_SYS_ADMIN): cannot classify COW");
		goto free_words;
	}
	if (ctx->expect_mapcount == 0) {
		if (bad)
			cb_ctx_skip(ctx, "%zu of %zu pages already present before the first touch", bad, n);
		ret = 0;
		goto free_words;
	}
	ret = cb_kpage_read("/proc/kpagecount", pfns, n, words);
	if (ret) {
		ret = cb_ctx_error(ctx, "read(/proc/kpagecount)", ret);
		goto free_words;
	}
	for (size_t i = 0; i < n; i++)
		bad += pfns[i] && words[i] != (uint64_t)ctx->expect_mapcount;
	if (bad) {
		cb_ctx_skip(ctx, "%zu of %zu pages not mapped %d time(s) before the write (not shared as intended)",
			    bad, n, ctx->expect_mapcount);
		goto free_words;
	}
	ret = cb_kpage_read("/proc/kpageflags", pfns, n, words);
	if (ret) {
		ret = cb_ctx_error(ctx, "read(/proc/kpageflags)", ret);
		goto free_words;
	}
	cb_folio_runs(pfns, words, n, res->folio_pages_by_order);
free_words:
	free(words);
	return ret;
}

static int cb_measure_counted(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag)
{
	struct cb_pass_result *res = ctx->res;
	size_t n = r->pages;
	uint64_t *before, *after, *pfns;
	uint32_t *faults;
	struct cb_vmstat *vs;
	int pm, fc, ret;

	before = calloc(n, sizeof(*before));
	after = calloc(n, sizeof(*after));
	pfns = calloc(n, sizeof(*pfns));
	faults = calloc(n, sizeof(*faults));
	vs = calloc(2, sizeof(*vs));
	if (!before || !after || !pfns || !faults || !vs) {
		ret = cb_ctx_error(ctx, "calloc", -ENOMEM);
		goto free_arrays;
	}
	/* Opened here, in the writing process: an fd from before fork reads the parent's tables. */
	pm = cb_pagemap_open();
	if (pm < 0) {
		ret = cb_ctx_error(ctx, "open(/proc/self/pagemap)", pm);
		goto free_arrays;
	}
	ret = cb_pagemap_read(pm, r->addr, n, before);
	if (ret) {
		ret = cb_ctx_error(ctx, "pread(pagemap)", ret);
		goto close_pagemap;
	}
	ret = cb_measure_precheck(ctx, before, pfns, n);
	if (ret || res->status != CB_OK)
		goto close_pagemap;
	fc = cb_faultctr_open();
	if (fc < 0) {
		ret = cb_ctx_error(ctx, "perf_event_open(page-faults)", fc);
		goto close_pagemap;
	}
	ret = cb_counters_open(&res->counters, 0, -1, false);
	if (ret) {
		ret = cb_ctx_error(ctx, "perf_event_open", ret);
		goto close_faultctr;
	}
	cb_vmstat_snap(&vs[0]);
	cb_counters_enable(&res->counters);
	for (size_t i = 0; i < n; i++) {
		uint64_t f0 = cb_faultctr_read(fc);

		*(volatile uint64_t *)cb_page_word(r, i, 0) = tag ^ i;
		faults[i] = (uint32_t)(cb_faultctr_read(fc) - f0);
	}
	cb_counters_disable(&res->counters);
	cb_counters_read(&res->counters);
	cb_vmstat_snap(&vs[1]);
	cb_vmstat_delta(&vs[0], &vs[1], &res->vmstat_delta);
	ret = cb_pagemap_read(pm, r->addr, n, after);
	if (ret) {
		ret = cb_ctx_error(ctx, "pread(pagemap)", ret);
		goto close_counters;
	}
	for (size_t i = 0; i < n; i++) {
		res->faults_total += faults[i];
		res->pages_by_faults[faults[i] < 3 ? faults[i] : 3]++;
	}
	cb_cow_classify(before, after, faults, n, &res->cow);
close_counters:
	cb_counters_close(&res->counters);
close_faultctr:
	close(fc);
close_pagemap:
	close(pm);
free_arrays:
	free(before);
	free(after);
	free(pfns);
	free(faults);
	free(vs);
	return ret;
}

int cb_measure_writes(struct cb_ctx *ctx, struct cb_region *r, uint64_t tag)
{
	ctx->res->measured = true;
	ctx->res->pages = r->pages;
	if (ctx->pass == CB_PASS_COUNTING)
		return cb_measure_counted(ctx, r, tag);
	return cb_measure_timed(ctx, r, tag);
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

pid_t cb_child_fork(struct cb_ctx *ctx)
{
	pid_t pid;

	if (pipe2(ctx->sync_down, O_CLOEXEC))
		return cb_ctx_error(ctx, "pipe2", -errno);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(ctx->sync_down[0]);
		close(ctx->sync_down[1]);
		return cb_ctx_error(ctx, "fork", err);
	}
	if (pid == 0) {
		close(ctx->sync_down[1]);
		return 0;
	}
	close(ctx->sync_down[0]);
	ctx->child = pid;
	return pid;
}

void cb_child_exit(struct cb_ctx *ctx, int ret)
{
	close(ctx->sync_down[0]);
	_exit(ret < 0 ? (-ret & 0x7f) : 0);
}

int cb_child_hold(struct cb_ctx *ctx)
{
	char c;
	ssize_t r;

	do
		r = read(ctx->sync_down[0], &c, 1);
	while (r < 0 && errno == EINTR);
	/* EOF: the parent is gone (killed); nothing left to wait for. */
	if (r <= 0)
		return cb_ctx_error(ctx, "read(sync)", r < 0 ? -errno : -EPIPE);
	return 0;
}

int cb_child_release(struct cb_ctx *ctx)
{
	char c = 1;

	if (write(ctx->sync_down[1], &c, 1) != 1)
		return cb_ctx_error(ctx, "write(sync)", -errno);
	return 0;
}

int cb_child_wait(struct cb_ctx *ctx)
{
	int status;
	pid_t pid = ctx->child;

	close(ctx->sync_down[1]);
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
