/* First-touch write faults by --threads N threads (default 1) while one more thread, on a CPU of
 * its own, maps and unmaps an unrelated VMA in a loop: every mmap and munmap takes mmap_lock for
 * writing. With per-VMA locks (6.4) an anonymous fault takes only its VMA's lock and goes on; a
 * kernel without them takes mmap_lock for reading in every fault and waits for the writer. The
 * record counts, per fault, the faults that took mmap_lock (the kernel's mmap_lock tracepoints,
 * per task): the outcome, exact, whatever the timing. */
#include <errno.h>
#include <stdatomic.h>
#include <sys/mman.h>

#include "cb.h"
#include "scenario.h"

#define TAG 0xc0a7e4d10c4ed00dull

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* The mapper's VMA goes into a hole between two PROT_NONE guards: it can never merge with, or
 * be placed next to, the faulting region, whose VMA the mapper therefore never locks. The hole
 * is opened when the loops start: until then a worker's own mappings (its fault sampler's
 * ring) could land in it; during the loops nothing but the mapper maps. */
struct mapper {
	char *guard;                /* the reservation: guard, hole, guard */
	size_t len;                 /* of the hole */
	int err;                    /* errno of a failed map (the hole was taken) */
};

static uint64_t mapper_loop(struct cb_ctx *ctx, const atomic_int *stop, void *arg)
{
	struct mapper *m = arg;
	char *hole = m->guard + m->len;
	uint64_t ops = 0;

	(void)ctx;
	if (munmap(hole, m->len)) {
		m->err = errno;
		return 0;
	}
	/* Never touched: an unmap with no pages sends no TLB flush to the faulting CPUs. */
	while (!atomic_load_explicit(stop, memory_order_relaxed)) {
		void *p = mmap(hole, m->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			       -1, 0);

		if (p != hole) {
			/* Once the loops have ended a worker may map again, into the hole too. */
			if (!atomic_load(stop))
				m->err = p == MAP_FAILED ? errno : EEXIST;
			if (p != MAP_FAILED)
				munmap(p, m->len);
			break;
		}
		munmap(p, m->len);
		ops++;
	}
	return ops;
}

static int contention_part(struct cb_ctx *ctx, struct cb_region *r, void *arg)
{
	(void)arg;
	return cb_measure_first_touch(ctx, r, TAG, "faulting thread");
}

static int contention_run(struct cb_ctx *ctx)
{
	struct mapper m = { .len = 16 * cb_page_size };
	size_t first;
	struct cb_region r;
	int ret;

	ret = cb_region_map(ctx, &r);
	if (ret || ctx->res->status)
		goto unmap;
	/* The precondition: the region's VMA has its anon_vma before the loop. Setting it up in a
	 * VMA's first fault takes mmap_lock on kernels that otherwise fault under the VMA's lock
	 * (6.7-6.12 try it), once per VMA, raced by N threads: write one folio and drop it. */
	first = ctx->bk.folio_size > cb_page_size ? ctx->bk.folio_size : cb_page_size;
	*(volatile char *)r.addr = 1;
	if (madvise(r.addr, first, MADV_DONTNEED)) {
		ret = cb_ctx_error(ctx, "madvise(MADV_DONTNEED)", -errno);
		goto unmap;
	}
	m.guard = mmap(NULL, 3 * m.len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m.guard == MAP_FAILED) {
		ret = cb_ctx_error(ctx, "mmap (mapper's reservation)", -errno);
		goto unmap;
	}
	ret = cb_workers_run(ctx, &r, contention_part, mapper_loop, &m);
	if (!ret && m.err)
		ret = cb_ctx_error(ctx, "mmap/munmap (mapper, its hole)", -m.err);
	/* The guards only: whatever took the hole after the loops is not the mapper's. */
	munmap(m.guard, m.len);
	munmap(m.guard + 2 * m.len, m.len);
unmap:
	cb_region_unmap(&r);
	return ret;
}

static const struct cb_scenario fault_mmap_contention = {
	.name = "fault_mmap_contention",
	.description = "first-touch faults by --threads N threads while another maps and unmaps an unrelated VMA",
	.op = "first write to one never-touched page while mmap_lock is taken for writing in a loop",
	.invalid_if = "a page was present before its first write; fewer CPUs than faulting threads + 1",
	.backings = "base thp mthp",
	.deterministic = true, /* which faults take mmap_lock is the kernel's decision */
	.needs = CB_NEED_PRIV,
	.run = contention_run,
	.workers = CB_WORKERS_THREADS,
	.workers_default = 1,
	.workers_background = true,
};
CB_SCENARIO(fault_mmap_contention)
