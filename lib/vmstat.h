/* /proc/vmstat and per-size mTHP stats/ counters, snapshotted around a pass. */
#ifndef CB_VMSTAT_H
#define CB_VMSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CB_VMSTAT_MAX 512
#define CB_VMSTAT_NAME 56

struct cb_vmstat {
	int n;
	struct {
		char name[CB_VMSTAT_NAME];   /* "pgfault", or "mthp.64kB.anon_fault_alloc" */
		int64_t v;
	} e[CB_VMSTAT_MAX];
};

/* Returns 0 or -errno (a missing mTHP directory is not an error). */
int cb_vmstat_snap(struct cb_vmstat *s);
/* d = b - a for every name in both, keeping only non-zero deltas. */
void cb_vmstat_delta(const struct cb_vmstat *a, const struct cb_vmstat *b, struct cb_vmstat *d);
/* Value of name in s, or 0 when absent. */
int64_t cb_vmstat_get(const struct cb_vmstat *s, const char *name);

/* The guards of a pass: NUMA hinting (numa_hint_faults, numa_pages_migrated) moved while the
 * measured task ran. Returns 1 and names the first that moved in why ("numa_hint_faults 3"),
 * else 0. */
int cb_vmstat_guard(const struct cb_vmstat *delta, char *why, size_t len);

#endif
