/* Swap the suite sets up itself (zram, swap file) or finds (existing), and memory cgroups
 * (v2 preferred, v1 where that is what the machine has). Every change goes through the settings
 * journal (cb_settings_set / cb_settings_undo) so that it is undone like the THP settings. */
#ifndef CB_SWAP_H
#define CB_SWAP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "vmstat.h"

struct cb_swap_conf {
	char kind[16];              /* "zram" (default), "swapfile", "existing", "none" */
	size_t size;                /* bytes; 0 = default (zram: 2 GiB or the region size x 2) */
	char comp[32];              /* zram comp_algorithm, "" = the device's default */
	char path[256];             /* swapfile path, "" = /var/tmp/cowbench.swap */
	int priority;               /* swapon priority, default 32767 (before any other swap) */
	char area[256];             /* out: the area it turned on ("" for existing and none) */
};

/* Makes swap available as c asks, inside the caller's settings scope (undone on pop). Returns 0,
 * or -errno with a one-line reason in why (no zram module, not root, no swap in the kernel, a
 * file system that cannot hold a swap file, not enough disk...). */
int cb_swap_setup(struct cb_swap_conf *c, char *why, size_t len);
/* What swap is active, for records: e.g. "zram /dev/zram0 2G lz4 prio 32767" or "none". */
void cb_swap_describe(char *buf, size_t len);
/* The active swap areas' names, space-separated in /proc/swaps order ("" = none). Compared before
 * and after a repetition: another process's swapon spreads pages onto its area (equal priorities
 * take turns), its swapoff brings them back in. */
void cb_swap_areas(char *buf, size_t len);
/*
 * Whether another process's swapon or swapoff can have moved an instance's pages, checked at the
 * end of every repetition against the last check: the list of areas, and an open /proc/swaps,
 * which the kernel polls readable (POLLPRI) once a swapon or swapoff has ended since the last
 * poll (so an area that came and went within a repetition is seen). A swapoff takes its area off
 * the list when it starts and brings the pages on it back in until it ends: from the check that
 * saw the area go until one that sees an end, every repetition counts as changed (its pages may
 * have gone to the dying area and come back while the list stayed the same).
 */
struct cb_swap_guard {
	int fd;                     /* /proc/swaps, polled; -1 when it cannot be opened */
	char own[256];              /* the instance's own area ("" = any: swap = existing) */
	bool pending;               /* an area left the list; the end of its swapoff not seen yet */
	char areas[96];             /* the list at the last check (cb_swap_areas) */
};
void cb_swap_guard_open(struct cb_swap_guard *g, const char *own);
/* 1 (and why) when an area came, went or may still be going since the last check, or another
 * area than own, at own's priority or above, takes pages too (equal priorities take turns:
 * another cowbench's zram, whose swapoff brings them back), else 0. */
int cb_swap_guard_check(struct cb_swap_guard *g, char *why, size_t len);
void cb_swap_guard_close(struct cb_swap_guard *g);

/*
 * The settings that decide how pages go to swap and come back, and the per-size mTHP counters of
 * swap-in, swap-out and their fallbacks, for the record of every repetition of an instance that
 * uses swap: snapshotted before its first pass and after its last, the counters as deltas.
 */
#define CB_SWAP_MTHP_SIZES 16
#define CB_SWAP_MTHP_STATS 5
extern const char *const cb_swap_mthp_stat_names[CB_SWAP_MTHP_STATS];
struct cb_swap_state {
	char zswap[8];              /* zswap's "enabled" parameter (Y/N); "" without zswap */
	int page_cluster;           /* vm.page-cluster: swap readahead of up to 2^N pages; -1 unread */
	char thp_defrag[24];        /* the selected word of transparent_hugepage/defrag; "" unread */
	int nsizes;
	struct {
		size_t kb;
		long long v[CB_SWAP_MTHP_STATS]; /* -1: this kernel has no such counter */
	} size[CB_SWAP_MTHP_SIZES];
};
void cb_swap_state_snap(struct cb_swap_state *s);
/* d: b's settings, and b's counters less a's (-1 where either lacks one). */
void cb_swap_state_delta(const struct cb_swap_state *a, const struct cb_swap_state *b, struct cb_swap_state *d);

/*
 * Waiting for swap-out writeback: MADV_PAGEOUT returns once the writes are submitted, and on a
 * swap file (not on zram, which writes synchronously) some are still in flight. The device's
 * completed write sectors (/sys/dev/block/MAJ:MIN/stat) are read before, and the wait ends once
 * they have grown by what the pageout wrote. The device is the one behind the highest-priority
 * area, which takes new pages.
 */
struct cb_swap_wb {
	int fd;                     /* the device's stat file */
	char dev[32];               /* "MAJ:MIN" */
	unsigned long long sectors0; /* completed write sectors before the op */
	unsigned long long sectors; /* at the last read */
	unsigned long long polls;   /* reads of the stat file by the last wait */
};
/* Opens the device's stat and reads sectors0. Returns 0, or -errno with the reason in why (no
 * swap, two areas at the top priority, zswap on: the pages would go to its pool, not the device). */
int cb_swap_wb_open(struct cb_swap_wb *w, char *why, size_t len);
/* Waits until the device completed want sectors more than sectors0 (polls 20 us apart, at most
 * timeout_ms). Returns 0, -ETIMEDOUT, or -errno of a read. */
int cb_swap_wb_wait(struct cb_swap_wb *w, unsigned long long want, unsigned timeout_ms);
/* Pages written to swap devices so far (/proc/vmstat pswpout), -1 when unreadable. */
long long cb_swap_pswpout(void);
/* Reads the completed write sectors now into w->sectors. */
int cb_swap_wb_read(struct cb_swap_wb *w);
void cb_swap_wb_close(struct cb_swap_wb *w);

struct cb_memcg {
	int version;                /* 1 or 2 */
	char path[512];             /* the group's directory */
};

/* Creates a child memory cgroup of this process's own group (undone with the scope: tasks moved
 * back, directory removed). Returns 0 or -errno with the reason. */
int cb_memcg_create(struct cb_memcg *m, const char *name, char *why, size_t len);
/* Limits: max (v2 memory.max / v1 memory.limit_in_bytes), high (v2 only; 0 = unset), swap_max
 * (v2 memory.swap.max / v1 memory.memsw.limit_in_bytes = max + swap_max; SIZE_MAX = unlimited). */
int cb_memcg_limit(struct cb_memcg *m, size_t max, size_t high, size_t swap_max);
/* Moves task pid (0 = caller) into the group. */
int cb_memcg_enter(struct cb_memcg *m, pid_t pid);
/* memory.stat, memory.events (v2) / memory.failcnt (v1), memory.pressure (v2 some/full avg10 and
 * total) as "memcg.<name>" entries, for deltas with cb_vmstat_delta. */
int cb_memcg_snap(struct cb_memcg *m, struct cb_vmstat *out);
/* Moves the caller back to its original group and removes the group now. */
int cb_memcg_destroy(struct cb_memcg *m);

#endif
