#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cb.h"
#include "pagemap.h"
#include "perf.h"
#include "unit.h"

#define KPF(bit) (UINT64_C(1) << (bit))
#define HEAD KPF(CB_KPF_COMPOUND_HEAD)
#define TAIL KPF(CB_KPF_COMPOUND_TAIL)

CB_TEST(pagemap_decode_present)
{
	struct cb_pm_entry e;

	cb_pagemap_decode(CB_PM_PRESENT | 0x12345, &e);
	CB_CHECK(e.present);
	CB_CHECK_U64(e.pfn, 0x12345);
	CB_CHECK(!e.swapped && !e.exclusive && !e.file && !e.soft_dirty);

	/* The PFN field is bits 0-54: the highest PFN survives, the flags above it do not leak in. */
	cb_pagemap_decode(CB_PM_PRESENT | CB_PM_EXCLUSIVE | CB_PM_SOFT_DIRTY | CB_PM_PFN_MASK, &e);
	CB_CHECK(e.present && e.exclusive && e.soft_dirty);
	CB_CHECK(!e.swapped && !e.file);
	CB_CHECK_U64(e.pfn, (UINT64_C(1) << 55) - 1);

	cb_pagemap_decode(CB_PM_PRESENT | (UINT64_C(1) << 56) | 7, &e);
	CB_CHECK(e.exclusive);
	CB_CHECK(!e.soft_dirty);
	CB_CHECK_U64(e.pfn, 7);

	cb_pagemap_decode(CB_PM_PRESENT | (UINT64_C(1) << 55) | 7, &e);
	CB_CHECK(e.soft_dirty);
	CB_CHECK(!e.exclusive);
	CB_CHECK_U64(e.pfn, 7);

	cb_pagemap_decode(CB_PM_PRESENT | CB_PM_FILE | 9, &e);
	CB_CHECK(e.file && e.present);
	CB_CHECK_U64(e.pfn, 9);

	/* Present without CAP_SYS_ADMIN: flags valid, PFN zero. */
	cb_pagemap_decode(CB_PM_PRESENT | CB_PM_EXCLUSIVE, &e);
	CB_CHECK(e.present && e.exclusive);
	CB_CHECK_U64(e.pfn, 0);
}

CB_TEST(pagemap_decode_absent_and_swapped)
{
	struct cb_pm_entry e;

	cb_pagemap_decode(0, &e);
	CB_CHECK(!e.present && !e.swapped && !e.exclusive && !e.file && !e.soft_dirty);
	CB_CHECK_U64(e.pfn, 0);

	/* Swap type 3, offset 0x777 in the low bits: not a PFN. */
	cb_pagemap_decode(CB_PM_SWAPPED | CB_PM_EXCLUSIVE | (0x777 << 5) | 3, &e);
	CB_CHECK(e.swapped);
	CB_CHECK(e.exclusive);
	CB_CHECK(!e.present);
	CB_CHECK_U64(e.pfn, 0);

	/* Soft-dirty alone (a cleared-but-tracked absent page). */
	cb_pagemap_decode(CB_PM_SOFT_DIRTY, &e);
	CB_CHECK(e.soft_dirty && !e.present);
	CB_CHECK_U64(e.pfn, 0);
}

CB_TEST(pagemap_cow_classify)
{
	const uint64_t P = CB_PM_PRESENT;
	/* copy, copy (3 faults), reuse, nofault, fresh, lost, lost (never present), fresh (2 faults),
	 * reuse (the exclusive bit appears) */
	const uint64_t before[] = { P | 100, P | 101, P | 102, P | 103, 0, P | 105, 0, 0, P | 108 };
	const uint64_t after[] = { P | 200, P | 201, P | 102, P | 103, P | 204, 0, 0, P | 207,
				   P | CB_PM_EXCLUSIVE | 108 };
	const uint32_t faults[] = { 1, 3, 1, 0, 1, 1, 0, 2, 1 };
	struct cb_cow_counts c;

	memset(&c, 0xff, sizeof(c));
	cb_cow_classify(before, after, faults, 9, &c);
	CB_CHECK_U64(c.copy, 2);
	CB_CHECK_U64(c.reuse, 2);
	CB_CHECK_U64(c.nofault, 1);
	CB_CHECK_U64(c.fresh, 2);
	CB_CHECK_U64(c.lost, 2);
	CB_CHECK_U64(c.copy + c.reuse + c.nofault + c.fresh + c.lost, 9);

	/* A page that takes no fault keeps its PFN, and is not a reuse however it looks. */
	cb_cow_classify(before + 3, after + 3, faults + 3, 1, &c);
	CB_CHECK_U64(c.nofault, 1);
	CB_CHECK_U64(c.reuse + c.copy + c.fresh + c.lost, 0);

	cb_cow_classify(before, after, faults, 0, &c);
	CB_CHECK_U64(c.copy + c.reuse + c.nofault + c.fresh + c.lost, 0);

	/* No fault at the page, but another PFN: moved (migration, compaction), never nofault. */
	{
		const uint64_t b1[] = { P | 300 }, a1[] = { P | 301 };
		const uint32_t f1[] = { 0 };

		cb_cow_classify(b1, a1, f1, 1, &c);
		CB_CHECK_U64(c.moved, 1);
		CB_CHECK_U64(c.nofault + c.copy + c.reuse, 0);
	}
}

/* Another process mapped every page: a changed PFN whose old page is now free and mapped by
 * nobody is `migrated`; one the other process still maps is a copy (fabricated kpagecount and
 * kpageflags words of the old PFNs, read after the loop). */
CB_TEST(pagemap_cow_classify_migrated)
{
	const uint64_t P = CB_PM_PRESENT, BUDDY = 1ull << CB_KPF_BUDDY;
	const uint64_t ANON = 1ull << CB_KPF_ANON, LRU = 1ull << CB_KPF_LRU;
	/* copy (old still mapped), migrated (old in buddy), migrated (old on a per-CPU list: no
	 * flags), copy (old unmapped but still in the swap cache), reuse, moved (no fault) */
	const uint64_t before[] = { P | 100, P | 101, P | 102, P | 103, P | 104, P | 105 };
	const uint64_t after[] = { P | 200, P | 201, P | 202, P | 203, P | 104, P | 205 };
	const uint32_t faults[] = { 1, 1, 1, 1, 1, 0 };
	const uint64_t count[] = { 1, 0, 0, 0, 1, 0 };
	const uint64_t flags[] = { ANON | LRU, BUDDY, 0, ANON | (1ull << CB_KPF_SWAPCACHE), ANON | LRU, BUDDY };
	const struct cb_cow_snap snap = { .n = 6, .before = before, .after = after, .faults = faults,
					  .old_count = count, .old_flags = flags };
	struct cb_cow_counts c;

	cb_cow_classify_snap(&snap, &c);
	CB_CHECK_U64(c.copy, 2);
	CB_CHECK_U64(c.migrated, 2);
	CB_CHECK_U64(c.reuse, 1);
	CB_CHECK_U64(c.moved, 1);
	/* Without the old pages' state (no other process): every changed PFN stays a copy. */
	cb_cow_classify(before, after, faults, 6, &c);
	CB_CHECK_U64(c.copy, 4);
	CB_CHECK_U64(c.migrated, 0);
	/* No fault counts (timing pass): kept = reuse, changed = copy, nothing moved. */
	cb_cow_classify(before, after, NULL, 6, &c);
	CB_CHECK_U64(c.copy, 5);
	CB_CHECK_U64(c.reuse, 1);
	CB_CHECK_U64(c.moved + c.nofault, 0);
	/* Still mapped somewhere, or owned (anon, LRU, slab): never free. */
	CB_CHECK(cb_kpage_freed(0, BUDDY));
	CB_CHECK(cb_kpage_freed(0, 0));
	CB_CHECK(!cb_kpage_freed(1, BUDDY));
	CB_CHECK(!cb_kpage_freed(0, ANON));
	CB_CHECK(!cb_kpage_freed(0, 1ull << CB_KPF_SLAB));
}

/* The words come from the kpage files by PFN: a fabricated kpageflags file (8 bytes per PFN)
 * read for scattered and consecutive PFNs, as the counting pass reads the old pages. */
/*
 * Whole-folio copies, from the counting pass's snapshots: PFNs and kpageflags before the loop
 * (folio boundaries) and after it, the fault addresses the sampler saw, and kpagecount and
 * kpageflags of the old PFNs read after the loop (the other process maps every page before).
 * Folios of 4 pages at a fabricated address:
 *   A  0-3   all new PFNs in a new 4-page folio, one fault (page 0), old still mapped: folio_copy
 *   B  4-7   all new PFNs, no fault, old freed (migration): moved
 *   C  8-11  a fault at every page, each a new base page, old still mapped: copy (per page)
 *   D 12-15  all new PFNs, one fault (page 13), old freed (migrated under the write): page 13
 *            migrated, the others moved
 *   E 16-19, F 20-23  collapsed into one new 8-page folio, one fault (page 16), old still
 *            mapped: the new folio reaches past each old one, so page 16 copy, the others moved
 *   G 24-27  all new PFNs in base pages, one fault (page 25), old still mapped (a PMD-mapped THP
 *            copied into base pages, as before 5.8): folio_copy
 *   page 28  a base page copied: copy, not a folio
 */
CB_TEST(pagemap_cow_folio_copy)
{
	enum { N = 29 };
	const uint64_t P = CB_PM_PRESENT, ANON = KPF(CB_KPF_ANON) | KPF(CB_KPF_LRU), BUDDY = KPF(CB_KPF_BUDDY);
	const uint64_t old_pfn[N / 4] = { 1000, 1100, 1200, 1300, 1400, 1500, 1600 };
	char *const lo = (char *)0x7f1200000000ull;
	const size_t fault_pages[] = { 0, 8, 9, 10, 11, 13, 16, 25, 28 };
	uint64_t before[N], after[N], pfn_b[N], pfn_a[N], flags_b[N], flags_a[N], count[N], oflags[N];
	uint32_t faults[N] = { 0 }, fb[N], fa[N];
	uint64_t outside = 0;
	struct cb_cow_counts c;
	struct cb_cow_snap snap = { .n = N, .before = before, .after = after, .faults = faults,
				    .old_count = count, .old_flags = oflags, .folio_before = fb, .folio_after = fa };

	for (size_t i = 0; i < N; i++) {
		size_t f = i / 4, k = i % 4;

		/* Before: seven 4-page folios, then a base page. */
		pfn_b[i] = i < 28 ? old_pfn[f] + k : 1700;
		flags_b[i] = ANON | (i == 28 ? 0 : k ? TAIL : HEAD);
		/* After: new 4-page folios (A, B, D), base pages (C, G, page 28), one 8-page folio (E+F). */
		if (f == 0 || f == 1 || f == 3) {
			pfn_a[i] = 2000 + 100 * f + k;
			flags_a[i] = ANON | (k ? TAIL : HEAD);
		} else if (f == 4 || f == 5) {
			pfn_a[i] = 5000 + (i - 16);
			flags_a[i] = ANON | (i == 16 ? HEAD : TAIL);
		} else {
			pfn_a[i] = 6000 + 10 * i;
			flags_a[i] = ANON;
		}
		/* The old pages: still mapped by the other process, except B's and D's (freed). */
		count[i] = f == 1 || f == 3 ? 0 : 1;
		oflags[i] = f == 1 || f == 3 ? (k ? 0 : BUDDY) : ANON;
		before[i] = P | pfn_b[i];
		after[i] = P | pfn_a[i];
	}
	/* The sampler's addresses: one inside each faulting page, one on the stack. */
	for (size_t j = 0; j < CB_ARRAY_SIZE(fault_pages); j++)
		cb_fault_addr_bin((uintptr_t)(lo + fault_pages[j] * cb_page_size + 8 * j), lo, cb_page_size, N, faults,
				  &outside);
	cb_fault_addr_bin((uintptr_t)lo - 64, lo, cb_page_size, N, faults, &outside);
	CB_CHECK_U64(outside, 1);
	CB_CHECK_U64(faults[0] + faults[1] + faults[13] + faults[25], 3);

	cb_folio_bounds(pfn_b, flags_b, N, fb);
	cb_folio_bounds(pfn_a, flags_a, N, fa);
	CB_CHECK_U64(fb[0], 4);
	CB_CHECK_U64(fb[1], 0);
	CB_CHECK_U64(fb[28], 1);
	CB_CHECK_U64(fa[16], 8);
	CB_CHECK_U64(fa[20], 0);
	CB_CHECK_U64(fa[24], 1);

	cb_cow_classify_snap(&snap, &c);
	CB_CHECK_U64(c.folio_copy, 8);
	CB_CHECK_U64(c.folio_copy_folios, 2);
	CB_CHECK_U64(c.moved, 4 + 3 + 3 + 4);
	CB_CHECK_U64(c.migrated, 1);
	CB_CHECK_U64(c.copy, 4 + 1 + 1);
	CB_CHECK_U64(c.reuse + c.nofault + c.fresh + c.swapin + c.lost, 0);

	/* Without the folio boundaries: A and G are one copy and three pages moved each, as they
	 * were before whole-folio copies were told apart (and the repetition was disturbed). */
	snap.folio_before = NULL;
	cb_cow_classify_snap(&snap, &c);
	CB_CHECK_U64(c.folio_copy, 0);
	CB_CHECK_U64(c.copy, 6 + 2);
	CB_CHECK_U64(c.moved, 14 + 6);

	/* A's old folio freed too (migrated along, under the fault): no whole-folio copy. */
	snap.folio_before = fb;
	for (size_t i = 0; i < 4; i++) {
		count[i] = 0;
		oflags[i] = i ? 0 : BUDDY;
	}
	cb_cow_classify_snap(&snap, &c);
	CB_CHECK_U64(c.folio_copy, 4);
	CB_CHECK_U64(c.migrated, 2);
	CB_CHECK_U64(c.moved, 14 + 3);

	/* Two faults in G (a copy per page would fault at each): not one whole-folio copy. */
	faults[24] = 1;
	cb_cow_classify_snap(&snap, &c);
	CB_CHECK_U64(c.folio_copy, 0);
	CB_CHECK_U64(c.copy, 6 + 2);
}

CB_TEST(pagemap_kpage_read_fabricated)
{
	char path[] = "/tmp/cb_kpageflags_XXXXXX";
	uint64_t words[64], pfns[] = { 3, 4, 5, 0, 40 }, out[5];
	int fd = mkstemp(path);

	CB_CHECK(fd >= 0);
	if (fd < 0)
		return;
	for (size_t i = 0; i < 64; i++)
		words[i] = i == 40 ? 1ull << CB_KPF_BUDDY : (1ull << CB_KPF_ANON) | i;
	CB_CHECK(write(fd, words, sizeof(words)) == (ssize_t)sizeof(words));
	close(fd);
	CB_CHECK_U64(cb_kpage_read(path, pfns, 5, out), 0);
	CB_CHECK_U64(out[0], (1ull << CB_KPF_ANON) | 3);
	CB_CHECK_U64(out[2], (1ull << CB_KPF_ANON) | 5);
	CB_CHECK_U64(out[3], 0);
	CB_CHECK(cb_kpage_freed(0, out[4]));
	CB_CHECK(!cb_kpage_freed(0, out[1]));
	unlink(path);
}

CB_TEST(pagemap_cow_classify_swapin)
{
	const uint64_t P = CB_PM_PRESENT, S = CB_PM_SWAPPED;
	/* swapped then written (swap-in), swapped and still swapped (lost), not present without a
	 * swap entry (fresh), present (read back from swap before the write) then nofault */
	const uint64_t before[] = { S | 0x1234, S | 0x1235, 0, P | 103 };
	const uint64_t after[] = { P | 200, S | 0x1235, P | 202, P | 103 };
	const uint32_t faults[] = { 1, 1, 1, 0 };
	struct cb_cow_counts c;

	cb_cow_classify(before, after, faults, 4, &c);
	CB_CHECK_U64(c.swapin, 1);
	CB_CHECK_U64(c.lost, 1);
	CB_CHECK_U64(c.fresh, 1);
	CB_CHECK_U64(c.nofault, 1);
	CB_CHECK_U64(c.copy + c.reuse, 0);
}

CB_TEST(pagemap_folio_runs)
{
	uint64_t pfns[40], flags[40], by[CB_FOLIO_ORDERS];
	size_t n = 0;

	/* 4 tails without their head: a run of their own. */
	for (int i = 0; i < 4; i++, n++) {
		pfns[n] = 500 + (uint64_t)i;
		flags[n] = TAIL;
	}
	/* A 16-page compound folio. */
	for (int i = 0; i < 16; i++, n++) {
		pfns[n] = 1024 + (uint64_t)i;
		flags[n] = i ? TAIL : HEAD;
	}
	/* A lone base page at the next PFN: not part of the folio. */
	pfns[n] = 1040;
	flags[n++] = KPF(CB_KPF_ANON) | KPF(CB_KPF_LRU);
	/* A head and a tail, then a tail at a non-consecutive PFN that starts a new run, with its
	 * neighbour: 2 + 2. */
	pfns[n] = 2048;
	flags[n++] = HEAD;
	pfns[n] = 2049;
	flags[n++] = TAIL;
	pfns[n] = 2051;
	flags[n++] = TAIL;
	pfns[n] = 2052;
	flags[n++] = TAIL;
	/* Two heads back to back: two runs of 1. */
	pfns[n] = 4096;
	flags[n++] = HEAD;
	pfns[n] = 4097;
	flags[n++] = HEAD;
	/* Two base pages at consecutive PFNs stay separate. */
	pfns[n] = 8000;
	flags[n++] = 0;
	pfns[n] = 8001;
	flags[n++] = 0;
	/* Not present: counted nowhere. */
	pfns[n] = 0;
	flags[n++] = 0;

	memset(by, 0xff, sizeof(by));
	cb_folio_runs(pfns, flags, n, by);
	CB_CHECK_U64(n, 30);
	CB_CHECK_U64(by[0], 1 + 2 + 2);
	CB_CHECK_U64(by[1], 2 + 2);
	CB_CHECK_U64(by[2], 4);
	CB_CHECK_U64(by[3], 0);
	CB_CHECK_U64(by[4], 16);
	for (int k = 5; k < CB_FOLIO_ORDERS; k++)
		CB_CHECK_U64(by[k], 0);

	/* The 16-page folio cut short by the end of the range. */
	cb_folio_runs(pfns + 4, flags + 4, 8, by);
	CB_CHECK_U64(by[3], 8);
	CB_CHECK_U64(by[4], 0);
	cb_folio_runs(pfns, flags, 0, by);
	CB_CHECK_U64(by[0] + by[2] + by[4], 0);
}

static void *map_nohuge(size_t pages)
{
	void *p = mmap(NULL, pages * cb_page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/* Keeps THP and mTHP from populating untouched neighbours. */
	if (madvise(p, pages * cb_page_size, MADV_NOHUGEPAGE)) {
		munmap(p, pages * cb_page_size);
		return NULL;
	}
	return p;
}

CB_TEST(pagemap_read_real)
{
	enum { N = 16, TOUCHED = 8 };
	uint64_t raw[N], pfns[N], words[N];
	volatile char *p = map_nohuge(N);
	bool priv = cb_is_privileged();
	struct cb_pm_entry e[N];
	int fd;

	CB_CHECK(p != NULL);
	if (!p)
		return;
	for (int i = 0; i < TOUCHED; i++)
		p[(size_t)i * cb_page_size] = 1;
	/* A read fault maps the zero page, or (pvm_no_zero_page=1 kernels) a page of its own. */
	(void)p[(size_t)TOUCHED * cb_page_size];
	(void)p[(size_t)(TOUCHED + 1) * cb_page_size];
	fd = cb_pagemap_open();
	CB_CHECK(fd >= 0);
	if (fd < 0)
		goto unmap;
	memset(raw, 0xff, sizeof(raw));
	CB_CHECK(cb_pagemap_read(fd, (const void *)p, N, raw) == 0);
	for (int i = 0; i < N; i++) {
		cb_pagemap_decode(raw[i], &e[i]);
		pfns[i] = e[i].pfn;
	}
	for (int i = 0; i < TOUCHED; i++) {
		CB_CHECK(e[i].present);
		CB_CHECK(!e[i].swapped && !e[i].file);
		CB_CHECK(e[i].exclusive);
		if (priv)
			CB_CHECK(e[i].pfn != 0);
		else
			CB_CHECK_U64(e[i].pfn, 0);
		for (int j = 0; j < i && priv; j++)
			CB_CHECK(e[i].pfn != e[j].pfn);
	}
	CB_CHECK(e[TOUCHED].present && e[TOUCHED + 1].present);
	/* Not present; soft-dirty may be set here from the VMA's own flag. */
	for (int i = TOUCHED + 2; i < N; i++)
		CB_CHECK(!e[i].present && !e[i].swapped && !e[i].pfn);
	if (priv) {
		CB_CHECK(e[TOUCHED].pfn != 0 && e[TOUCHED + 1].pfn != 0);
		memset(words, 0xff, sizeof(words));
		CB_CHECK(cb_kpage_read("/proc/kpageflags", pfns, N, words) == 0);
		for (int i = 0; i < TOUCHED; i++) {
			CB_CHECK(words[i] & KPF(CB_KPF_ANON));
			CB_CHECK(!(words[i] & (HEAD | TAIL | KPF(CB_KPF_ZERO_PAGE))));
		}
		for (int i = TOUCHED + 2; i < N; i++)
			CB_CHECK_U64(words[i], 0);	/* pfn 0: not read */
		CB_CHECK(cb_kpage_read("/proc/kpagecount", pfns, TOUCHED, words) == 0);
		for (int i = 0; i < TOUCHED; i++)
			CB_CHECK_U64(words[i], 1);
	}
	/* Once unmapped the same range reads as not present (a hole, not an error). */
	munmap((void *)p, N * cb_page_size);
	memset(raw, 0xff, sizeof(raw));
	CB_CHECK(cb_pagemap_read(fd, (const void *)p, N, raw) == 0);
	for (int i = 0; i < N; i++)
		CB_CHECK(!(raw[i] & CB_PM_PRESENT));
	close(fd);
	return;
unmap:
	munmap((void *)p, N * cb_page_size);
}

CB_TEST(pagemap_read_batches)
{
	/* Past one 4096-entry batch: entries must land at the right index across the boundary. */
	enum { N = 4100 };
	static const size_t touch[] = { 0, 4095, 4096, 4099 };
	static uint64_t raw[N];
	char *p = map_nohuge(N);
	size_t present = 0;
	int fd;

	CB_CHECK(p != NULL);
	if (!p)
		return;
	for (size_t i = 0; i < CB_ARRAY_SIZE(touch); i++)
		p[touch[i] * cb_page_size] = 1;
	fd = cb_pagemap_open();
	CB_CHECK(fd >= 0);
	if (fd >= 0) {
		CB_CHECK(cb_pagemap_read(fd, p, N, raw) == 0);
		for (size_t i = 0; i < N; i++)
			present += !!(raw[i] & CB_PM_PRESENT);
		CB_CHECK_U64(present, CB_ARRAY_SIZE(touch));
		for (size_t i = 0; i < CB_ARRAY_SIZE(touch); i++)
			CB_CHECK(raw[touch[i]] & CB_PM_PRESENT);
		/* A range starting mid-way reads from its own offset. */
		CB_CHECK(cb_pagemap_read(fd, p + 4095 * cb_page_size, 2, raw) == 0);
		CB_CHECK((raw[0] & CB_PM_PRESENT) && (raw[1] & CB_PM_PRESENT));
		CB_CHECK(cb_pagemap_read(fd, p + 4097 * cb_page_size, 2, raw) == 0);
		CB_CHECK(!(raw[0] & CB_PM_PRESENT) && !(raw[1] & CB_PM_PRESENT));
		close(fd);
	}
	munmap(p, N * cb_page_size);
	CB_CHECK(cb_pagemap_read(-1, p, 1, raw) < 0);
}

/* Two PMDs of 4 pages each, written in loop order 5,4,6,7,0,1,2,3: in each, the first fault in
 * loop order is the decision and the later ones are spurious (stale read-only TLB entries of the
 * PMD's pieces); a PMD whose PFNs changed (split and copied) keeps all its faults. */
CB_TEST(pagemap_faults_drop_spurious_pmd)
{
	const uint64_t before[] = { 100, 101, 102, 103, 200, 201, 202, 203 };
	uint64_t after[8];
	const size_t order[] = { 5, 4, 6, 7, 0, 1, 2, 3 };
	uint32_t faults[] = { 1, 0, 2, 1, 1, 1, 0, 1 };
	uint64_t spurious = 99;

	memcpy(after, before, sizeof(after));
	CB_CHECK(cb_faults_drop_spurious_pmd(before, after, faults, order, 8, 4, &spurious) == 0);
	/* PMD 0: page 0 decided, pages 2 (2 faults) and 3 spurious; PMD 1: page 5 first in loop
	 * order (page 4 comes after it), 4 and 7 spurious. */
	CB_CHECK_U64(spurious, 5);
	{
		const uint32_t want[] = { 1, 0, 0, 0, 0, 1, 0, 0 };

		for (int i = 0; i < 8; i++)
			CB_CHECK_U64(faults[i], want[i]);
	}

	/* PMD 1 copied (new PFNs): its faults stay; without order, loop order is 0..n-1. */
	{
		uint32_t f[] = { 0, 1, 1, 0, 1, 1, 1, 1 };

		after[4] = 300, after[5] = 301, after[6] = 302, after[7] = 303;
		CB_CHECK(cb_faults_drop_spurious_pmd(before, after, f, NULL, 8, 4, &spurious) == 0);
		CB_CHECK_U64(spurious, 1);
		CB_CHECK_U64(f[1] + f[2], 1);
		CB_CHECK_U64(f[4] + f[5] + f[6] + f[7], 4);
	}
	/* A page not present after: that PMD is left alone too. */
	{
		uint32_t f[] = { 1, 1, 1, 1, 0, 0, 0, 0 };

		after[3] = 0;
		CB_CHECK(cb_faults_drop_spurious_pmd(before, after, f, NULL, 8, 4, &spurious) == 0);
		CB_CHECK_U64(spurious, 0);
		CB_CHECK_U64(f[0] + f[1] + f[2] + f[3], 4);
	}
}

/* The faulting ops of a read loop over swapped pages: the first op at each folio the pages came
 * back in, in loop order (a 4-page folio, two base pages, a page without a PFN). */
CB_TEST(folio_first_ops)
{
	uint64_t pfns[7] = { 100, 101, 102, 103, 500, 0, 700 }, flags[7] = { HEAD, TAIL, TAIL, TAIL, 0, 0, 0 };
	const size_t backwards[7] = { 6, 5, 4, 3, 2, 1, 0 };
	unsigned char first[7];

	CB_CHECK_U64(cb_folio_first_ops(pfns, flags, 7, NULL, first), 3);
	CB_CHECK(first[0] && !first[1] && !first[2] && !first[3] && first[4] && !first[5] && first[6]);
	/* Read backwards: the folio is first touched at its last page (op 3 reads page 3). */
	CB_CHECK_U64(cb_folio_first_ops(pfns, flags, 7, backwards, first), 3);
	CB_CHECK(first[0] && !first[1] && first[2] && first[3] && !first[4] && !first[5] && !first[6]);
}
