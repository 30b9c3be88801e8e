/* Backings: named ways to set up a scenario's region (the kernel's cow.c run_with_* model).
 * Each is verified after it is populated; what the kernel did not give is a skip, never a figure. */
#ifndef CB_BACKING_H
#define CB_BACKING_H

#include <stdbool.h>
#include <stddef.h>

enum cb_backing_kind { CB_BK_BASE, CB_BK_THP, CB_BK_THP_PTE, CB_BK_THP_SINGLE_PTE, CB_BK_MTHP, CB_BK_SYS };

struct cb_backing {
	char name[32];
	enum cb_backing_kind kind;
	size_t folio_size;          /* the folio size every page must end up in */
	size_t align;               /* region alignment (= folio size for large folios) */
	int swap;                   /* CB_SWAP_*: paged out after it is populated and verified */
};

/* swapped: base pages paged out (MADV_PAGEOUT); swapped_thp / swapped_mthp_<size>: the large
 * folios of thp / mthp_<size> paged out (whole where the kernel can); swapcache: swapped, then
 * read back into the swap cache unmapped (MADV_WILLNEED). Not in "all" (they need swap). */
enum { CB_SWAP_NONE, CB_SWAP_OUT, CB_SWAP_CACHE };

/* base | thp | thp_pte | thp_single_pte | mthp_<size> (e.g. mthp_64K) | sys | swapped | swapcache |
 * swapped_thp | swapped_mthp_<size>; "all" is not a
 * backing. sys: no madvise and no settings, PMD-aligned: whatever the machine's THP settings
 * give a plain mapping (the folio sizes are recorded, not required). "all" leaves sys out. */
bool cb_backing_name_ok(const char *name);
/* Resolves a name on this kernel. Returns 0; -EINVAL for a bad name; -ENOENT with the reason in
 * why when the kernel lacks it ("no multi-size THP in this kernel"). */
int cb_backing_parse(const char *name, struct cb_backing *b, char *why, size_t len);
/* Every backing this kernel offers, in a stable order: base, thp, thp_pte, thp_single_pte, then
 * mthp_<size> for each hugepages-<size>kB below the PMD size. Returns the count. */
int cb_backing_all(char (*names)[32], int max);
/* PMD THP size from sysfs (hpage_pmd_size), 0 without THP. */
size_t cb_thp_pmd_size(void);
/*
 * Writes the THP settings the backing needs, through cb_settings_set (the caller pushes and pops
 * a scope around it): thp*: top-level enabled madvise unless always, the PMD size inherit and every
 * other mTHP size never; mthp_<size>: that size always, every other size never. base: nothing.
 * Returns 0 or -errno with the failing file in why.
 */
int cb_backing_settings(const struct cb_backing *b, char *why, size_t len);

#endif
