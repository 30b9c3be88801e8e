#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cb.h"
#include "pagemap.h"

#define CB_PM_BATCH 4096

void cb_pagemap_decode(uint64_t raw, struct cb_pm_entry *e)
{
	e->present = raw & CB_PM_PRESENT;
	e->swapped = raw & CB_PM_SWAPPED;
	e->exclusive = raw & CB_PM_EXCLUSIVE;
	e->file = raw & CB_PM_FILE;
	e->soft_dirty = raw & CB_PM_SOFT_DIRTY;
	/* For swapped entries the low bits are type/offset, not a PFN. */
	e->pfn = e->present ? raw & CB_PM_PFN_MASK : 0;
}

int cb_pagemap_open(void)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int cb_pread_full(int fd, void *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pread(fd, (char *)buf + done, len - done, off + (off_t)done);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EIO;
		done += (size_t)r;
	}
	return 0;
}

int cb_pagemap_read(int fd, const void *addr, size_t pages, uint64_t *raw)
{
	off_t off = (off_t)((uintptr_t)addr / cb_page_size) * 8;

	for (size_t i = 0; i < pages; i += CB_PM_BATCH) {
		size_t n = pages - i < CB_PM_BATCH ? pages - i : CB_PM_BATCH;
		int ret = cb_pread_full(fd, raw + i, n * 8, off + (off_t)i * 8);

		if (ret)
			return ret;
	}
	return 0;
}

int cb_kpage_read(const char *file, const uint64_t *pfns, size_t n, uint64_t *out)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	for (size_t i = 0; i < n;) {
		size_t run = 1;

		if (!pfns[i]) {
			out[i++] = 0;
			continue;
		}
		while (i + run < n && run < CB_PM_BATCH && pfns[i + run] == pfns[i] + run)
			run++;
		ret = cb_pread_full(fd, out + i, run * 8, (off_t)pfns[i] * 8);
		if (ret)
			goto close_fd;
		i += run;
	}
close_fd:
	close(fd);
	return ret;
}

bool cb_kpage_freed(uint64_t count, uint64_t flags)
{
	/* Only a free block's first page is PageBuddy; a page on a per-CPU free list, or inside a
	 * larger free block, has no flag at all: freeing clears them, and its mapping (anon). */
	const uint64_t owned = (1ull << CB_KPF_ANON) | (1ull << CB_KPF_LRU) | (1ull << CB_KPF_SLAB) |
			       (1ull << CB_KPF_SWAPCACHE) | (1ull << CB_KPF_COMPOUND_TAIL);

	return count == 0 && ((flags & (1ull << CB_KPF_BUDDY)) || !(flags & owned));
}

/* Whether the folio run of len pages at page f was copied whole by one fault (cb_cow_classify_snap). */
static bool cb_folio_copied_whole(const struct cb_cow_snap *s, size_t f, size_t len)
{
	size_t faulted = 0;

	if (len < 2 || !s->folio_before || !s->folio_after || !s->faults || !s->old_count)
		return false;
	for (size_t i = f; i < f + len; i++) {
		struct cb_pm_entry b, a;

		cb_pagemap_decode(s->before[i], &b);
		cb_pagemap_decode(s->after[i], &a);
		if (!b.present || !a.present || !b.pfn || a.pfn == b.pfn || !s->old_count[i])
			return false;
		faulted += s->faults[i] != 0;
	}
	if (faulted != 1)
		return false;
	/* The new folios start at or after f and end by f + len. */
	for (size_t i = f; i < f + len; i += s->folio_after[i])
		if (!s->folio_after[i] || i + s->folio_after[i] > f + len)
			return false;
	return true;
}

void cb_cow_classify_snap(const struct cb_cow_snap *s, struct cb_cow_counts *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < s->n; i++) {
		struct cb_pm_entry b, a;

		if (s->folio_before && s->folio_before[i] && cb_folio_copied_whole(s, i, s->folio_before[i])) {
			out->folio_copy += s->folio_before[i];
			out->folio_copy_folios++;
			i += s->folio_before[i] - 1;
			continue;
		}
		cb_pagemap_decode(s->before[i], &b);
		cb_pagemap_decode(s->after[i], &a);
		if (!a.present)
			out->lost++;
		else if (!b.present && b.swapped)
			out->swapin++;
		else if (!b.present)
			out->fresh++;
		else if (s->faults && !s->faults[i] && a.pfn != b.pfn)
			/* No fault at this page, yet another page: something else (migration,
			 * compaction, khugepaged, reclaim and refault elsewhere) moved it. */
			out->moved++;
		else if (s->faults && !s->faults[i])
			out->nofault++;
		else if (a.pfn == b.pfn)
			out->reuse++;
		else if (s->old_count && s->old_flags && cb_kpage_freed(s->old_count[i], s->old_flags[i]))
			/* A copy leaves the old page to the other process; here nobody maps it and it
			 * is free: it was migrated away (and the write reused or copied the new one). */
			out->migrated++;
		else
			out->copy++;
	}
}

void cb_cow_classify(const uint64_t *before, const uint64_t *after, const uint32_t *faults, size_t n,
		     struct cb_cow_counts *out)
{
	const struct cb_cow_snap s = { .n = n, .before = before, .after = after, .faults = faults };

	cb_cow_classify_snap(&s, out);
}

int cb_faults_drop_spurious_pmd(const uint64_t *pfn_before, const uint64_t *pfn_after, uint32_t *faults,
				const size_t *order, size_t n, size_t pmd_pages, uint64_t *spurious)
{
	size_t blocks = pmd_pages ? n / pmd_pages : 0;
	/* Per PMD: 1 = same PFNs before and after, 2 = its first fault seen. */
	unsigned char *state;

	*spurious = 0;
	if (!blocks)
		return 0;
	state = calloc(blocks, 1);
	if (!state)
		return -ENOMEM;
	for (size_t b = 0; b < blocks; b++) {
		state[b] = 1;
		for (size_t i = b * pmd_pages; i < (b + 1) * pmd_pages && state[b]; i++)
			if (!pfn_before[i] || pfn_before[i] != pfn_after[i])
				state[b] = 0;
	}
	for (size_t i = 0; i < n; i++) {
		size_t p = order ? order[i] : i, b = p / pmd_pages;

		if (b >= blocks || !state[b] || !faults[p])
			continue;
		if (state[b] == 1) {
			state[b] = 2;
		} else {
			*spurious += faults[p];
			faults[p] = 0;
		}
	}
	free(state);
	return 0;
}

static int cb_order_of(uint64_t pages)
{
	int k = 0;

	while (k + 1 < CB_FOLIO_ORDERS && (1ull << (k + 1)) <= pages)
		k++;
	return k;
}

/* Pages of the folio run that starts at page i: a compound page followed by tails at consecutive
 * PFNs, or a lone page. */
static size_t cb_folio_run(const uint64_t *pfns, const uint64_t *kflags, size_t n, size_t i)
{
	size_t run = 1;

	if (pfns[i] && (kflags[i] & ((1ull << CB_KPF_COMPOUND_HEAD) | (1ull << CB_KPF_COMPOUND_TAIL))))
		while (i + run < n && pfns[i + run] == pfns[i] + run &&
		       (kflags[i + run] & (1ull << CB_KPF_COMPOUND_TAIL)))
			run++;
	return run;
}

void cb_folio_runs(const uint64_t *pfns, const uint64_t *kflags, size_t n,
		   uint64_t pages_by_order[CB_FOLIO_ORDERS])
{
	memset(pages_by_order, 0, sizeof(uint64_t) * CB_FOLIO_ORDERS);
	for (size_t i = 0; i < n;) {
		size_t run = cb_folio_run(pfns, kflags, n, i);

		/* Not present (or no PFN visible): in no folio at all. */
		if (pfns[i])
			pages_by_order[cb_order_of(run)] += run;
		i += run;
	}
}

void cb_folio_bounds(const uint64_t *pfns, const uint64_t *kflags, size_t n, uint32_t *len)
{
	for (size_t i = 0; i < n;) {
		size_t run = cb_folio_run(pfns, kflags, n, i);

		len[i] = (uint32_t)run;
		for (size_t k = 1; k < run; k++)
			len[i + k] = 0;
		i += run;
	}
}

/* The length of the folio run starting at page i, as cb_folio_runs sees it (0: no PFN). */
static size_t cb_folio_run_at(const uint64_t *pfns, const uint64_t *kflags, size_t n, size_t i)
{
	size_t run = 1;

	if (!pfns[i])
		return 0;
	if (kflags[i] & ((1ull << CB_KPF_COMPOUND_HEAD) | (1ull << CB_KPF_COMPOUND_TAIL)))
		while (i + run < n && pfns[i + run] == pfns[i] + run && (kflags[i + run] & (1ull << CB_KPF_COMPOUND_TAIL)))
			run++;
	return run;
}

size_t cb_folio_first_ops(const uint64_t *pfns, const uint64_t *kflags, size_t n, const size_t *order,
			  unsigned char *first_op)
{
	size_t *folio = malloc(n * sizeof(*folio)), folios = 0;
	unsigned char *seen = calloc(n ? n : 1, 1);

	memset(first_op, 0, n);
	if (!folio || !seen) {
		folios = SIZE_MAX;
		goto free_arrays;
	}
	for (size_t i = 0; i < n;) {
		size_t run = cb_folio_run_at(pfns, kflags, n, i);

		if (!run) {
			folio[i++] = SIZE_MAX;
			continue;
		}
		for (size_t k = 0; k < run; k++)
			folio[i + k] = folios;
		folios++;
		i += run;
	}
	for (size_t i = 0; i < n; i++) {
		size_t f = folio[order ? order[i] : i];

		if (f != SIZE_MAX && !seen[f]) {
			seen[f] = 1;
			first_op[i] = 1;
		}
	}
free_arrays:
	free(folio);
	free(seen);
	return folios;
}

long cb_smaps_anon_huge_kb(const void *addr, size_t len)
{
	uintptr_t lo = (uintptr_t)addr, hi = lo + len, start = 0, end = 0;
	char line[512];
	long total = 0, kb;
	FILE *f = fopen("/proc/self/smaps", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;

		/* A VMA header line starts with "start-end perms"; its fields follow. */
		if (sscanf(line, "%lx-%lx ", &s, &e) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			start = s;
			end = e;
			continue;
		}
		if (start < hi && end > lo && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			total += kb;
	}
	fclose(f);
	return total;
}
