/* Page state from /proc/self/pagemap, /proc/kpageflags and /proc/kpagecount, and the COW
 * classifier built on them. */
#ifndef CB_PAGEMAP_H
#define CB_PAGEMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CB_PM_PFN_MASK ((1ull << 55) - 1)
#define CB_PM_SOFT_DIRTY (1ull << 55)
#define CB_PM_EXCLUSIVE (1ull << 56)
#define CB_PM_FILE (1ull << 61)
#define CB_PM_SWAPPED (1ull << 62)
#define CB_PM_PRESENT (1ull << 63)

/* /proc/kpageflags bits (include/uapi/linux/kernel-page-flags.h) */
#define CB_KPF_LRU 5
#define CB_KPF_SLAB 7
#define CB_KPF_BUDDY 10
#define CB_KPF_ANON 12
#define CB_KPF_SWAPCACHE 13
#define CB_KPF_SWAPBACKED 14
#define CB_KPF_COMPOUND_HEAD 15
#define CB_KPF_COMPOUND_TAIL 16
#define CB_KPF_THP 22
#define CB_KPF_ZERO_PAGE 24

struct cb_pm_entry {
	uint64_t pfn;               /* 0 when present but the reader lacks CAP_SYS_ADMIN */
	bool present, swapped, exclusive, file, soft_dirty;
};

void cb_pagemap_decode(uint64_t raw, struct cb_pm_entry *e);

/* Opens /proc/self/pagemap. Open it in the process to inspect, after fork: an fd opened before
 * fork keeps reading the parent's page tables. Returns fd or -errno. */
int cb_pagemap_open(void);
/* Raw entries for pages [addr, addr + pages * page size), in batches. Returns 0 or -errno. */
int cb_pagemap_read(int fd, const void *addr, size_t pages, uint64_t *raw);
/* 8-byte words of /proc/kpageflags or /proc/kpagecount for each pfn (0 for pfn 0), batching runs
 * of consecutive pfns into one read. Returns 0 or -errno. */
int cb_kpage_read(const char *file, const uint64_t *pfns, size_t n, uint64_t *out);

struct cb_cow_counts {
	uint64_t copy;      /* faulted, new PFN */
	uint64_t reuse;     /* faulted, same PFN */
	uint64_t nofault;   /* no fault, same PFN: already writable */
	uint64_t moved;     /* no fault, PFN changed: moved by something other than the write */
	uint64_t migrated;  /* faulted, PFN changed, yet the old page is free and mapped by nobody,
			     * where the other process should still map it: migrated, not copied */
	uint64_t fresh;     /* not present before (no swap entry): a first touch, not a COW */
	uint64_t swapin;    /* a swap entry before, present after: the write fault swapped it in (the
			     * swap-cache page reused or a page read from swap: see allocations) */
	uint64_t lost;      /* not present after the write: cannot be classified */
	uint64_t folio_copy; /* copied with its whole large folio by one fault at one of its pages
			      * (cb_cow_classify_snap); the faulting page included */
	uint64_t folio_copy_folios; /* the folios those pages were in */
};

/* Classifies each page from its pagemap entries before and after the write loop and the
 * number of faults taken while writing it (faults NULL: not counted, so a kept PFN is a reuse and
 * a changed one a copy; no nofault or moved). */
void cb_cow_classify(const uint64_t *before, const uint64_t *after, const uint32_t *faults, size_t n,
		     struct cb_cow_counts *out);
/* What the counting pass knows of the measured pages around its loop, where another process
 * mapped every page before the writes. */
struct cb_cow_snap {
	size_t n;
	const uint64_t *before, *after;   /* raw pagemap entries before and after the loop */
	const uint32_t *faults;           /* faults per page (from their addresses), spurious ones dropped */
	/* /proc/kpagecount and /proc/kpageflags of each page's PFN from before, read after the loop */
	const uint64_t *old_count, *old_flags;
	/* Folio runs (cb_folio_bounds) of the PFNs before the loop, read before it, and of the PFNs
	 * after it; NULL: no whole-folio copies looked for. */
	const uint32_t *folio_before, *folio_after;
};
/*
 * The same, with the old pages' state. A changed PFN whose old page is now free (cb_kpage_freed)
 * is `migrated`, not a copy: a COW copy leaves the old page mapped in the other process.
 * A whole-folio copy: a large folio (two pages or more, its run as read before the loop) every
 * page of which has a new PFN after a fault at exactly one of its pages, each old page still
 * mapped (kpagecount), the new pages in folios that stay inside the old folio's pages (the same
 * size, or smaller: THP before 5.8 copied a PMD-mapped THP into base pages). Its pages are
 * `folio_copy`, not `moved`: the kernel copied them in that fault. Migration frees the old pages
 * (every mapping moves along), and a khugepaged collapse makes a folio that reaches past the old
 * one: both stay `moved`/`migrated`.
 */
void cb_cow_classify_snap(const struct cb_cow_snap *s, struct cb_cow_counts *out);
/*
 * Spurious faults at PMD-mapped THPs. A write fault that reuses a write-protected PMD-mapped THP
 * makes its whole PMD writable, yet writes to its other 4 KiB pieces may fault again: stores the
 * CPU executed speculatively past the faulting one cached read-only translations of those pieces,
 * and the fault drops only the entry of its own address (a 2 MiB mapping is cached in 4 KiB
 * pieces where a hypervisor backs it with 4 KiB pages). The kernel finds the PMD writable and
 * decides nothing. So where every page's folio is PMD-mapped before and after the loop at the
 * same PFN (the caller checks smaps; a split cannot be undone without a new folio), each PMD's
 * first fault in loop order (order NULL: 0..n-1) is its decision and the later ones are dropped
 * from faults and counted in *spurious. pmd_pages: pages per PMD, n a multiple of it, page 0
 * PMD-aligned. pfn_*: PFNs as cb_region_snapshot decodes them (0: not present). A PMD whose
 * PFNs changed, or with a page not present, is left alone.
 * Returns 0 or -ENOMEM.
 */
int cb_faults_drop_spurious_pmd(const uint64_t *pfn_before, const uint64_t *pfn_after, uint32_t *faults,
				const size_t *order, size_t n, size_t pmd_pages, uint64_t *spurious);
/* A page mapped by nobody (kpagecount 0) and owned by nobody: in the buddy allocator (KPF_BUDDY,
 * on a free block's first page only) or without any owner's flag (a per-CPU free list, the
 * inside of a larger free block). */
bool cb_kpage_freed(uint64_t count, uint64_t flags);

/* AnonHugePages (PMD-mapped THP, KiB) of this process's VMAs overlapping [addr, addr + len),
 * from /proc/self/smaps; -errno on error. mTHP is not counted there. */
long cb_smaps_anon_huge_kb(const void *addr, size_t len);

/* Folio sizes seen in a virtually contiguous range: pages_by_size[k] counts pages whose folio
 * run inside the range (a compound head followed by tails at consecutive PFNs, or a lone page)
 * has 2^k pages. A tail without its head in the range starts a run of its own. Pages with
 * pfn 0 (not present) are not counted. */
#define CB_FOLIO_ORDERS 20
void cb_folio_runs(const uint64_t *pfns, const uint64_t *kflags, size_t n,
		   uint64_t pages_by_order[CB_FOLIO_ORDERS]);
/* The folios of cb_folio_runs, by the loop order of ops over the n pages (order: a permutation of
 * [0, n), or NULL for 0, 1, ...): first_op[i] = 1 for loop op i when it is the first to touch its
 * folio, else 0. Pages without a PFN are in no folio. Returns the number of folios touched, or
 * SIZE_MAX when out of memory. */
size_t cb_folio_first_ops(const uint64_t *pfns, const uint64_t *kflags, size_t n, const size_t *order,
			  unsigned char *first_op);

/* The same runs, page by page: len[i] is the number of pages of the run that starts at page i, 0
 * for a page inside a run; a page not present is a run of 1. */
void cb_folio_bounds(const uint64_t *pfns, const uint64_t *kflags, size_t n, uint32_t *len);

#endif
