/* fork; the child vmsplices the shared pages into pipes and unmaps them; the parent writes. The
 * parent is the only mapper, but the pipes hold references: every write must copy, and the child
 * must still read the old data from the pipes. A reuse here is CVE-2020-29374: the child would
 * read what the parent wrote after fork. */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "cb.h"
#include "pin.h"
#include "scenario.h"

#define OLD 0x0c0c0c0c00000000ull
#define NEW 0x7a1e7a1e00000000ull

/* In the child: the pipes must return each page as it was at fork. Returns 0 or -errno. */
static int pin_vmsplice_check(struct cb_ctx *ctx, struct cb_pin_pipes *p, const uint64_t (*want)[2], size_t pages)
{
	size_t last = cb_page_size / 8 - 1, leaked = 0, other = 0, first_leak = 0, first_other = 0;
	uint64_t *page = malloc(cb_page_size);
	int ret = 0;

	if (!page)
		return cb_ctx_error(ctx, "malloc", -ENOMEM);
	for (size_t i = 0; i < pages; i++) {
		ret = cb_pin_pipes_read(p, page, cb_page_size);
		if (ret) {
			cb_ctx_error(ctx, "read(pipe)", ret);
			goto free_page;
		}
		if (page[0] == want[i][0] && page[last] == want[i][1])
			continue;
		if (page[0] == (NEW ^ i) && !leaked++)
			first_leak = i;
		else if (page[0] != (NEW ^ i) && !other++)
			first_other = i;
	}
	if (ctx->pass == CB_PASS_COUNTING)
		cb_ctx_extra(ctx, "leaked_pages", (double)leaked);
	if (leaked)
		cb_ctx_fail(ctx, "data leaked across fork: the child's pipe returned the parent's new data for %zu of %zu pages (first: page %zu)",
			    leaked, pages, first_leak);
	else if (other)
		cb_ctx_fail(ctx, "DATA MISMATCH: the child's pipe returned neither old nor new data for %zu of %zu pages (first: page %zu)",
			    other, pages, first_other);
free_page:
	free(page);
	return ret;
}

static int pin_vmsplice_child(struct cb_ctx *ctx, struct cb_region *r)
{
	size_t last = cb_page_size / 8 - 1;
	struct cb_pin_pipes p;
	uint64_t (*want)[2];
	int ret;

	/* What each page holds at fork: the pipes must give back exactly this. */
	want = calloc(r->pages, sizeof(*want));
	if (!want)
		return cb_ctx_error(ctx, "calloc", -ENOMEM);
	for (size_t i = 0; i < r->pages; i++) {
		want[i][0] = ((uint64_t *)(r->addr + i * r->stride))[0];
		want[i][1] = ((uint64_t *)(r->addr + i * r->stride))[last];
	}
	ret = cb_pin_vmsplice(&p, r->addr, r->len);
	if (ret == -EMFILE) {
		ret = cb_ctx_skip(ctx, "the region needs more pipes than RLIMIT_NOFILE allows (a pipe holds at most "
				  "fs.pipe-max-size without CAP_SYS_RESOURCE)");
		goto free_want;
	}
	if (ret) {
		cb_ctx_error(ctx, "vmsplice", ret);
		goto free_want;
	}
	if (munmap(r->addr, r->len)) {
		ret = cb_ctx_error(ctx, "munmap", -errno);
		goto close_pipes;
	}
	r->addr = NULL;
	ret = cb_child_ready(ctx);
	if (!ret)
		ret = cb_child_hold(ctx);
	if (!ret)
		ret = pin_vmsplice_check(ctx, &p, (const uint64_t (*)[2])want, r->pages);
close_pipes:
	cb_pin_pipes_close(&p);
free_want:
	free(want);
	return ret;
}

static int pin_vmsplice_run(struct cb_ctx *ctx)
{
	struct cb_region r;
	pid_t pid;
	int ret, cret;

	ret = cb_region_setup(ctx, &r, OLD);
	if (ret || ctx->res->status)
		goto unmap;
	pid = cb_child_fork(ctx);
	if (pid < 0) {
		ret = pid;
		goto unmap;
	}
	if (pid == 0)
		cb_child_exit(ctx, pin_vmsplice_child(ctx, &r));
	ret = cb_child_wait_ready(ctx);
	if (!ret) {
		/* The child no longer maps the pages: only the pipes' references are left. */
		ret = cb_measure_writes_verified(ctx, &r, NEW, 1, "parent after its writes");
		cb_child_release(ctx);
	}
	cret = cb_child_wait(ctx);
	if (!ret)
		ret = cret;
unmap:
	cb_region_unmap(&r);
	return ret;
}

static const struct cb_scenario pin_vmsplice = {
	.name = "pin_vmsplice",
	.description = "fork; the child vmsplices the pages into pipes and unmaps them; the parent writes "
		       "(copy expected: the pipes hold references); the child must read the old data",
	.op = "the parent's first write to a page only it maps but a pipe references",
	.invalid_if = "pages not mapped exactly once after the child's munmap; the pipes returning the new "
		      "data is `fail` (data leaked across fork)",
	.backings = "base thp thp_pte mthp",
	.needs = CB_NEED_PRIV,
	.run = pin_vmsplice_run,
};
CB_SCENARIO(pin_vmsplice)
