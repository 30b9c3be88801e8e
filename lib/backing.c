#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backing.h"
#include "cb.h"
#include "opts.h"
#include "settings.h"
#include "sysfs.h"

#define CB_THP_DIR "/sys/kernel/mm/transparent_hugepage"

size_t cb_thp_pmd_size(void)
{
	char buf[64];

	if (cb_sysfs_read(CB_THP_DIR "/hpage_pmd_size", buf, sizeof(buf)) < 0)
		return 0;
	return (size_t)strtoull(buf, NULL, 10);
}

/* mTHP sizes (bytes) with an enabled file, ascending. */
static int cb_mthp_sizes(size_t *sizes, int max)
{
	DIR *d = opendir(CB_THP_DIR);
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		char path[512];
		unsigned long kb;

		if (sscanf(de->d_name, "hugepages-%lukB", &kb) != 1)
			continue;
		snprintf(path, sizeof(path), CB_THP_DIR "/%s/enabled", de->d_name);
		if (access(path, F_OK) == 0)
			sizes[n++] = (size_t)kb * 1024;
	}
	closedir(d);
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && sizes[j - 1] > sizes[j]; j--) {
			size_t t = sizes[j];

			sizes[j] = sizes[j - 1];
			sizes[j - 1] = t;
		}
	return n;
}

bool cb_backing_name_ok(const char *name)
{
	size_t bytes;

	if (!strcmp(name, "swapped") || !strcmp(name, "swapcache"))
		return true;
	if (!strncmp(name, "swapped_", 8)) {
		name += 8;
		if (strcmp(name, "thp") && strncmp(name, "mthp_", 5))
			return false;
	}

	if (!strcmp(name, "base") || !strcmp(name, "thp") || !strcmp(name, "thp_pte") ||
	    !strcmp(name, "thp_single_pte") || !strcmp(name, "sys"))
		return true;
	return strncmp(name, "mthp_", 5) == 0 && cb_size_parse(name + 5, &bytes) == 0 &&
	       (bytes & (bytes - 1)) == 0 && bytes > cb_page_size;
}

int cb_backing_parse(const char *name, struct cb_backing *b, char *why, size_t len)
{
	size_t pmd = cb_thp_pmd_size(), sizes[32];
	int n;

	if (!cb_backing_name_ok(name))
		return -EINVAL;
	memset(b, 0, sizeof(*b));
	snprintf(b->name, sizeof(b->name), "%s", name);
	/* The swap backings are a folio backing (base, thp, mthp_<size>) paged out afterwards. */
	if (!strcmp(name, "swapped") || !strcmp(name, "swapcache")) {
		b->swap = !strcmp(name, "swapped") ? CB_SWAP_OUT : CB_SWAP_CACHE;
		name = "base";
	} else if (!strncmp(name, "swapped_", 8)) {
		b->swap = CB_SWAP_OUT;
		name += 8;
	}
	b->folio_size = b->align = cb_page_size;
	if (!strcmp(name, "base"))
		return 0;
	if (!strcmp(name, "sys")) {
		/* Aligned so that a PMD THP can happen if the machine's settings allow one. */
		b->kind = CB_BK_SYS;
		if (pmd)
			b->align = pmd;
		return 0;
	}
	if (strncmp(name, "mthp_", 5) != 0) {
		if (!pmd) {
			snprintf(why, len, "no THP in this kernel (%s/hpage_pmd_size missing)", CB_THP_DIR);
			return -ENOENT;
		}
		b->kind = !strcmp(name, "thp") ? CB_BK_THP : !strcmp(name, "thp_pte") ? CB_BK_THP_PTE
										 : CB_BK_THP_SINGLE_PTE;
		b->folio_size = b->align = pmd;
		return 0;
	}
	b->kind = CB_BK_MTHP;
	cb_size_parse(name + 5, &b->folio_size);
	b->align = b->folio_size;
	n = cb_mthp_sizes(sizes, 32);
	if (!n) {
		snprintf(why, len, "no multi-size THP in this kernel");
		return -ENOENT;
	}
	for (int i = 0; i < n; i++)
		if (sizes[i] == b->folio_size && sizes[i] != pmd)
			return 0;
	snprintf(why, len, "this kernel offers no %s multi-size THP (no %s/hugepages-%zukB/enabled)",
		 name + 5, CB_THP_DIR, b->folio_size / 1024);
	return -ENOENT;
}

int cb_backing_all(char (*names)[32], int max)
{
	static const char *const fixed[] = { "base", "thp", "thp_pte", "thp_single_pte" };
	size_t pmd = cb_thp_pmd_size(), sizes[32];
	int n = 0, k = cb_mthp_sizes(sizes, 32);

	for (size_t i = 0; i < CB_ARRAY_SIZE(fixed) && n < max; i++)
		if (i == 0 || pmd)
			snprintf(names[n++], 32, "%s", fixed[i]);
	for (int i = 0; i < k && n < max; i++) {
		char sz[16];

		if (sizes[i] >= pmd)
			continue;
		cb_size_format(sizes[i], sz, sizeof(sz));
		snprintf(names[n++], 32, "mthp_%s", sz);
	}
	return n;
}

static int cb_backing_set(const char *path, const char *value, char *why, size_t len)
{
	int ret = cb_settings_set(path, value);

	if (ret)
		snprintf(why, len, "%s = %s: %s", path, value, strerror(-ret));
	return ret;
}

int cb_backing_settings(const struct cb_backing *b, char *why, size_t len)
{
	size_t pmd = cb_thp_pmd_size(), sizes[32];
	int n, ret;

	if (b->kind == CB_BK_BASE || b->kind == CB_BK_SYS)
		return 0;
	if (b->kind != CB_BK_MTHP) {
		char cur[64], sel[32];

		/* MADV_HUGEPAGE regions get PMD THP in madvise and always mode alike. */
		if (cb_sysfs_read(CB_THP_DIR "/enabled", cur, sizeof(cur)) >= 0 &&
		    cb_sysfs_selected(cur, sel, sizeof(sel)) >= 0 && strcmp(sel, "never") == 0) {
			ret = cb_backing_set(CB_THP_DIR "/enabled", "madvise", why, len);
			if (ret)
				return ret;
		}
	}
	n = cb_mthp_sizes(sizes, 32);
	for (int i = 0; i < n; i++) {
		char path[256];
		const char *want = "never";

		snprintf(path, sizeof(path), CB_THP_DIR "/hugepages-%zukB/enabled", sizes[i] / 1024);
		if (b->kind == CB_BK_MTHP && sizes[i] == b->folio_size)
			want = "always";
		else if (b->kind != CB_BK_MTHP && sizes[i] == pmd)
			want = "inherit";
		ret = cb_backing_set(path, want, why, len);
		if (ret)
			return ret;
	}
	return 0;
}
