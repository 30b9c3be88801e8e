/* fork; the child write()s the shared region to an O_DIRECT file. Direct I/O pins the source
 * pages (FOLL_PIN, read-only): a pin on a page shared with another process must not stay
 * shared, so GUP takes an *unshare* fault (FAULT_FLAG_UNSHARE) and gives the child its own copy
 * without any write. Seen as the child's PFNs changing across the write(). The child's own
 * writes afterwards find exclusive pages and must reuse them. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "cb.h"
#include "pin.h"
#include "scenario.h"
#include "timer.h"

#define OLD 0x0c0c0c0c00000000ull
#define NEW 0x0d10d10d00000000ull

/* The O_DIRECT write, with the PFNs around it: returns the pages it unshared, or -errno. */
static long pin_odirect_write(struct cb_ctx *ctx, struct cb_region *r, int fd)
{
	uint64_t *before, *after, *mapcount, t0, t1;
	size_t n = r->pages, shared = 0;
	long ret;

	before = calloc(n, sizeof(*before));
	after = calloc(n, sizeof(*after));
	mapcount = calloc(n, sizeof(*mapcount));
	if (!before || !after || !mapcount) {
		ret = cb_ctx_error(ctx, "calloc", -ENOMEM);
		goto free_arrays;
	}
	ret = cb_pin_pfns(r->addr, r->stride, n, before);
	if (ret) {
		ret = cb_ctx_error(ctx, "pread(pagemap)", (int)ret);
		goto free_arrays;
	}
	ret = cb_kpage_read("/proc/kpagecount", before, n, mapcount);
	if (ret) {
		ret = cb_ctx_error(ctx, "read(/proc/kpagecount)", (int)ret);
		goto free_arrays;
	}
	for (size_t i = 0; i < n; i++)
		shared += mapcount[i] == 2;
	if (shared != n) {
		ret = cb_ctx_skip(ctx, "%zu of %zu pages not mapped twice before the O_DIRECT write (not shared as intended)",
				  n - shared, n);
		goto free_arrays;
	}
	t0 = cb_timer_ticks();
	ret = cb_pin_direct_write(fd, r->addr, r->len);
	t1 = cb_timer_ticks();
	if (ret) {
		ret = cb_ctx_error(ctx, "write(O_DIRECT)", (int)ret);
		goto free_arrays;
	}
	if (ctx->pass == CB_PASS_TIMING)
		cb_ctx_extra(ctx, "odirect_write_ns", (double)cb_timer_ns(t1 - t0));
	ret = cb_pin_pfns(r->addr, r->stride, n, after);
	if (ret) {
		ret = cb_ctx_error(ctx, "pread(pagemap)", (int)ret);
		goto free_arrays;
	}
	ret = (long)cb_pin_pfns_changed(before, after, n);
free_arrays:
	free(before);
	free(after);
	free(mapcount);
	return ret;
}

static int pin_odirect_child(struct cb_ctx *ctx, struct cb_region *r, int fd)
{
	long unshared, differ;
	size_t first = 0;
	int ret;

	unshared = pin_odirect_write(ctx, r, fd);
	if (unshared < 0 || ctx->res->status)
		return unshared < 0 ? (int)unshared : 0;
	if (ctx->pass == CB_PASS_COUNTING)
		cb_ctx_extra(ctx, "unshared_pages", (double)unshared);
	differ = cb_pin_file_cmp(fd, r->addr, r->len, &first);
	if (differ < 0)
		return cb_ctx_error(ctx, "pread", (int)differ);
	if (differ)
		return cb_ctx_fail(ctx, "DATA MISMATCH: the O_DIRECT file differs from the child's buffer in %ld pages (first: page %zu)",
				   differ, first);
	/* All or nothing: a partly unshared region has no single expected outcome for the writes. */
	if (unshared && (size_t)unshared != r->pages)
		return cb_ctx_skip(ctx, "the O_DIRECT write unshared %ld of %zu pages: writes not classified",
				   unshared, r->pages);
	ctx->expect_mapcount = unshared ? 1 : 2;
	ret = cb_measure_writes(ctx, r, NEW);
	if (ret || ctx->res->status)
		return ret;
	return cb_region_verify(ctx, r, NEW, false, "child after its writes");
}

static int pin_odirect_run(struct cb_ctx *ctx)
{
	struct cb_region r;
	char why[512];
	pid_t pid;
	int ret, fd;

	ret = cb_region_map(ctx, &r);
	if (ret || ctx->res->status)
		goto unmap;
	fd = cb_pin_direct_open(r.len, why, sizeof(why));
	if (fd < 0) {
		ret = why[0] ? cb_ctx_skip(ctx, "no file for O_DIRECT: %s", why) : cb_ctx_error(ctx, "open(O_DIRECT)", fd);
		goto unmap;
	}
	ret = cb_region_fill(ctx, &r, OLD);
	if (ret || ctx->res->status)
		goto close_file;
	pid = cb_child_fork(ctx);
	if (pid < 0) {
		ret = pid;
		goto close_file;
	}
	if (pid == 0)
		cb_child_exit(ctx, pin_odirect_child(ctx, &r, fd));
	ret = cb_child_wait(ctx);
	if (!ret && !ctx->res->status)
		ret = cb_region_verify(ctx, &r, OLD, false, "parent after the child's writes");
close_file:
	close(fd);
unmap:
	cb_region_unmap(&r);
	return ret;
}

static const struct cb_scenario pin_odirect = {
	.name = "pin_odirect",
	.description = "fork; the child write()s the shared pages to an O_DIRECT file (read-only pin: unshare "
		       "expected, extra.unshared_pages), then writes them (reuse expected)",
	.op = "the child's first write to a page the O_DIRECT write() unshared",
	.invalid_if = "pages not mapped twice before the write(); no non-tmpfs file system with O_DIRECT in "
		      "/var/tmp or the current directory; a partly unshared region",
	.backings = "base thp thp_pte mthp",
	.needs = CB_NEED_PRIV,
	.run = pin_odirect_run,
};
CB_SCENARIO(pin_odirect)
