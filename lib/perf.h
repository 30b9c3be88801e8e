/* perf_event_open counters: software events, tracepoints (tlb_flush split by reason), hardware
 * events by libpfm4 name. No perf binary. */
#ifndef CB_PERF_H
#define CB_PERF_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define CB_HW_EVENTS_MAX 24        /* hardware events per set (default set or --events) */
#define CB_COUNTERS_MAX (20 + CB_HW_EVENTS_MAX) /* the standard set, 3 added (cb_counters_add_tp), hardware */
#define CB_COUNTER_NAME 64
#define CB_COUNTER_WHY 128
/* Why tlb:tlb_flush is unsupported: generic mm code defines it, but only x86 emits it. */
#if defined(__x86_64__) || defined(__i386__)
#define CB_TLB_FLUSH_WHY "no tlb:tlb_flush tracepoint on this kernel"
#else
#define CB_TLB_FLUSH_WHY "tlb:tlb_flush is emitted on x86 only (other archs flush without it)"
#endif
#define CB_EVENT_MAX 256            /* one name of an event list (the whole --events fits) */

/*
 * Record names of the standard set, in this order:
 *   software:   page-faults minor-faults major-faults context-switches cpu-migrations
 *   tracepoint: exceptions:page_fault_user kmem:mm_page_alloc tlb:tlb_flush
 *               tlb:tlb_flush/task_switch /remote_shootdown /local_shootdown
 *               /local_mm_shootdown /remote_send_ipi /remote_wrong_cpu
 *               (one filtered counter per reason 0..5 of the tracepoint's format, so the
 *               per-reason counters add up to tlb:tlb_flush)
 *               compaction:mm_compaction_begin vmscan:mm_vmscan_direct_reclaim_begin
 *               vmscan:mm_vmscan_memcg_reclaim_begin (the task's own direct compaction runs,
 *               direct reclaims, and reclaims of its memory cgroup at its limit)
 *   hardware:   the architecture's default set, or the events given (--events), each by the
 *               name given; see cb_hw_defaults in perf.c:
 *               x86_64  cycles instructions dTLB-load-misses iTLB-load-misses, then the page-walk
 *                       events dTLB-load-walks dTLB-store-walks iTLB-walks where libpfm4 names
 *                       them for this CPU's PMU (dropped where it does not)
 *               arm64   cycles instructions dTLB-refills iTLB-refills, then dTLB-walks iTLB-walks
 *                       where named
 *               Each hardware event is its own group, so the kernel multiplexes them when the
 *               PMU has fewer counters than events; value is then scaled by
 *               time_enabled / time_running.
 */
struct cb_counter {
	char name[CB_COUNTER_NAME];
	bool supported;
	char why[CB_COUNTER_WHY];   /* errno text or reason when !supported */
	uint64_t value;             /* scaled by time_enabled / time_running when multiplexed */
	uint64_t time_enabled, time_running;
	int fd;                     /* -1 when !supported */
	int group;                  /* index into cb_counters.group_fd */
	/* Raw group read at enable: time_enabled/running keep counting across
	 * PERF_EVENT_IOC_RESET, so a read reports deltas from these. */
	uint64_t base_value, base_enabled, base_running;
};

struct cb_counters {
	int n;
	struct cb_counter c[CB_COUNTERS_MAX];
	int ngroups;
	/* Leaders, -1 if none: [0] software+tracepoint group, [1..] one per hardware event. */
	int group_fd[CB_COUNTERS_MAX];
};

/*
 * Opens the standard set for task pid (0 = caller) on cpu (-1 = any), disabled. With inherit,
 * children forked after the open are counted too. A counter that cannot open is marked
 * unsupported with the reason and never reads as 0; tracepoints are never opened with
 * exclude_kernel (that silently counts 0). Returns 0, or -errno if nothing at all could open.
 * The struct holds no pointers: it may be copied into shared memory after cb_counters_read().
 */
int cb_counters_open(struct cb_counters *cs, pid_t pid, int cpu, bool inherit);
/*
 * The same with the hardware part given as a comma-separated list of libpfm4 event names
 * (generic "cycles", "perf::DTLB-LOAD-MISSES" or PMU-specific "DTLB_LOAD_MISSES:WALK_COMPLETED"),
 * each recorded under the name given; NULL or "" = the architecture's default set. A name
 * libpfm4 does not know is unsupported "unknown event NAME (libpfm4)"; one it encodes but the
 * kernel cannot open is unsupported with perf_event_open's error. Neither fails the open.
 */
int cb_counters_open_events(struct cb_counters *cs, pid_t pid, int cpu, bool inherit, const char *events);
/* Adds tracepoint sys_event ("mmap_lock:mmap_lock_released") to the software+tracepoint group
 * of an open set, before cb_counters_enable; recorded under its own name. Returns 0, or -errno
 * with the counter marked unsupported and why. */
int cb_counters_add_tp(struct cb_counters *cs, const char *sys_event, pid_t pid, int cpu, bool inherit);
/* Splits a comma-separated event list into names[0..max): empty items and repeats dropped,
 * order kept. Returns the number of distinct names in the list (more than max when they did
 * not all fit; only max are stored). */
int cb_events_parse(const char *list, char (*names)[CB_EVENT_MAX], int max);
int cb_counters_enable(struct cb_counters *cs);   /* resets to 0, then enables */
int cb_counters_disable(struct cb_counters *cs);
int cb_counters_read(struct cb_counters *cs);     /* fills value/time_* of supported counters */
void cb_counters_close(struct cb_counters *cs);
/* NULL when the name is not in the set. */
const struct cb_counter *cb_counters_find(const struct cb_counters *cs, const char *name);

/* A lone software page-fault counter for the calling thread, enabled, for per-page fault counts
 * in the counting pass. Returns fd or -errno. */
int cb_faultctr_open(void);
/* Current count, or UINT64_MAX on error. */
uint64_t cb_faultctr_read(int fd);

/*
 * Per-page fault counts without a syscall in the measured loop: every user-mode page fault of
 * the calling thread (software page-faults with exclude_kernel, the faults
 * exceptions:page_fault_user sees) is sampled with its address (PERF_SAMPLE_ADDR, period 1) into
 * an mmap ring buffer sized for the expected number, then binned after the loop.
 */
struct cb_faultsamp {
	int fd;
	void *ring;                 /* metadata page + data pages */
	size_t data_len;            /* bytes of the data area (a power of two) */
};
/* Opens the sampler, disabled, with room for at least `events` samples. Returns 0 or -errno
 * (-EPERM/-ENOMEM: the ring could not be locked; the caller falls back). */
int cb_faultsamp_open(struct cb_faultsamp *fs, size_t events);
int cb_faultsamp_enable(struct cb_faultsamp *fs);
int cb_faultsamp_disable(struct cb_faultsamp *fs);
/* Bins the samples: faults[i] += faults at an address in page i of [addr + i * stride, + page
 * size) for i < pages; every other fault counts in *outside. *lost gets the samples the kernel
 * could not store (PERF_RECORD_LOST): non-zero means the counts are incomplete. */
void cb_faultsamp_bin(struct cb_faultsamp *fs, const char *addr, size_t stride, size_t pages, uint32_t *faults,
		      uint64_t *outside, uint64_t *lost);
/* One sample's address binned as cb_faultsamp_bin bins each. */
void cb_fault_addr_bin(uintptr_t a, const char *addr, size_t stride, size_t pages, uint32_t *faults,
		       uint64_t *outside);
void cb_faultsamp_close(struct cb_faultsamp *fs);

/* Tracepoint id from tracefs ("tlb:tlb_flush"), or -errno. Mounts tracefs in a private mount
 * namespace when it is not mounted, so the machine's mounts are never changed. The first call
 * must come before the process starts threads (unshare(CLONE_NEWNS) fails with EINVAL then). */
int cb_tracepoint_id(const char *sys_event);

#endif
