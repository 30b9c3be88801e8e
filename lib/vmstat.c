#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sysfs.h"
#include "vmstat.h"

#define CB_THP_DIR "/sys/kernel/mm/transparent_hugepage"

static void cb_vmstat_put(struct cb_vmstat *s, const char *name, int64_t v)
{
	if (s->n == CB_VMSTAT_MAX)
		return;
	snprintf(s->e[s->n].name, CB_VMSTAT_NAME, "%s", name);
	s->e[s->n].v = v;
	s->n++;
}

static void cb_vmstat_mthp(struct cb_vmstat *s)
{
	DIR *d = opendir(CB_THP_DIR);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[512], name[CB_VMSTAT_NAME], buf[64];
		const char *size;
		DIR *sd;
		struct dirent *se;

		if (strncmp(de->d_name, "hugepages-", 10) != 0)
			continue;
		size = de->d_name + 10;
		snprintf(path, sizeof(path), CB_THP_DIR "/%s/stats", de->d_name);
		sd = opendir(path);
		if (!sd)
			continue;
		while ((se = readdir(sd))) {
			char file[1024];

			if (se->d_name[0] == '.')
				continue;
			snprintf(file, sizeof(file), "%s/%s", path, se->d_name);
			if (cb_sysfs_read(file, buf, sizeof(buf)) < 0)
				continue;
			snprintf(name, sizeof(name), "mthp.%.16s.%.32s", size, se->d_name);
			cb_vmstat_put(s, name, strtoll(buf, NULL, 10));
		}
		closedir(sd);
	}
	closedir(d);
}

int cb_vmstat_snap(struct cb_vmstat *s)
{
	char name[CB_VMSTAT_NAME];
	long long v;
	FILE *f = fopen("/proc/vmstat", "re");

	s->n = 0;
	if (!f)
		return -errno;
	while (fscanf(f, "%55s %lld", name, &v) == 2)
		cb_vmstat_put(s, name, v);
	fclose(f);
	cb_vmstat_mthp(s);
	return 0;
}

int64_t cb_vmstat_get(const struct cb_vmstat *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->e[i].name, name) == 0)
			return s->e[i].v;
	return 0;
}

void cb_vmstat_delta(const struct cb_vmstat *a, const struct cb_vmstat *b, struct cb_vmstat *d)
{
	d->n = 0;
	for (int i = 0; i < b->n; i++) {
		/* Both snapshots come from the same files in the same order: try the same index first. */
		int j = i < a->n && strcmp(a->e[i].name, b->e[i].name) == 0 ? i : -1;

		for (int k = 0; j < 0 && k < a->n; k++)
			if (strcmp(a->e[k].name, b->e[i].name) == 0)
				j = k;
		if (j >= 0 && b->e[i].v != a->e[j].v)
			cb_vmstat_put(d, b->e[i].name, b->e[i].v - a->e[j].v);
	}
}

int cb_vmstat_guard(const struct cb_vmstat *delta, char *why, size_t len)
{
	/* NUMA hinting unmaps the measured task's pages and migrates them on its own faults: the
	 * writes would take faults, or copies, that are not COW decisions. System-wide compaction,
	 * migration and collapse counters are no guard: they move with any process's work
	 * (another process's direct compaction, a neighbour's faults) and with the measured
	 * task's own direct compaction, which is a figure (direct_compaction). Background work is
	 * guarded by its threads' CPU time (lib/interfere.c), and the measured pages moving under
	 * the writes by their PFNs (cow.moved, cow.migrated). */
	static const char *const guards[] = { "numa_hint_faults", "numa_pages_migrated" };

	for (size_t g = 0; g < sizeof(guards) / sizeof(guards[0]); g++) {
		int64_t v = cb_vmstat_get(delta, guards[g]);

		if (v > 0) {
			snprintf(why, len, "%s %lld", guards[g], (long long)v);
			return 1;
		}
	}
	return 0;
}
