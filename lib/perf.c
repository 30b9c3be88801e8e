#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <perfmon/pfmlib_perf_event.h>

#include "cb.h"
#include "perf.h"

#define CB_READ_FORMAT \
	(PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING)
#define CB_TRACEFS_DEFAULT "/sys/kernel/tracing"

enum cb_counter_kind { CB_KIND_SW, CB_KIND_TP };

/* The software and tracepoint part of every set: group 0. */
static const struct cb_counter_spec {
	const char *name;
	enum cb_counter_kind kind;
	uint64_t config;            /* software event */
	const char *event;          /* tracepoint "sys:event" */
	int reason;                 /* tlb_flush reason filter, -1 for none */
} cb_counter_specs[] = {
	{ "page-faults", CB_KIND_SW, PERF_COUNT_SW_PAGE_FAULTS, NULL, -1 },
	{ "minor-faults", CB_KIND_SW, PERF_COUNT_SW_PAGE_FAULTS_MIN, NULL, -1 },
	{ "major-faults", CB_KIND_SW, PERF_COUNT_SW_PAGE_FAULTS_MAJ, NULL, -1 },
	{ "context-switches", CB_KIND_SW, PERF_COUNT_SW_CONTEXT_SWITCHES, NULL, -1 },
	{ "cpu-migrations", CB_KIND_SW, PERF_COUNT_SW_CPU_MIGRATIONS, NULL, -1 },
	{ "exceptions:page_fault_user", CB_KIND_TP, 0, "exceptions:page_fault_user", -1 },
	{ "kmem:mm_page_alloc", CB_KIND_TP, 0, "kmem:mm_page_alloc", -1 },
	{ "tlb:tlb_flush", CB_KIND_TP, 0, "tlb:tlb_flush", -1 },
	/* Reasons as in the tracepoint's format (enum tlb_flush_reason). */
	{ "tlb:tlb_flush/task_switch", CB_KIND_TP, 0, "tlb:tlb_flush", 0 },
	{ "tlb:tlb_flush/remote_shootdown", CB_KIND_TP, 0, "tlb:tlb_flush", 1 },
	{ "tlb:tlb_flush/local_shootdown", CB_KIND_TP, 0, "tlb:tlb_flush", 2 },
	{ "tlb:tlb_flush/local_mm_shootdown", CB_KIND_TP, 0, "tlb:tlb_flush", 3 },
	{ "tlb:tlb_flush/remote_send_ipi", CB_KIND_TP, 0, "tlb:tlb_flush", 4 },
	{ "tlb:tlb_flush/remote_wrong_cpu", CB_KIND_TP, 0, "tlb:tlb_flush", 5 },
	/* The measured task's own direct compaction and reclaim: they fire in the allocating task's
	 * context (kcompactd and kswapd have their own), so a per-task counter counts only the
	 * work its own allocations did; vmstat's compact_stall and allocstall count every task's. */
	{ "compaction:mm_compaction_begin", CB_KIND_TP, 0, "compaction:mm_compaction_begin", -1 },
	{ "vmscan:mm_vmscan_direct_reclaim_begin", CB_KIND_TP, 0, "vmscan:mm_vmscan_direct_reclaim_begin", -1 },
	{ "vmscan:mm_vmscan_memcg_reclaim_begin", CB_KIND_TP, 0, "vmscan:mm_vmscan_memcg_reclaim_begin", -1 },
};

_Static_assert(CB_ARRAY_SIZE(cb_counter_specs) + CB_HW_EVENTS_MAX <= CB_COUNTERS_MAX, "raise CB_COUNTERS_MAX");

/*
 * The default hardware set: a record name and the libpfm4 names to try, first that encodes
 * wins. The perf PMU's generic events (perf::) mean the same on every CPU model; the page-walk
 * events exist only in some PMUs' tables, so an optional entry none of whose names encodes is
 * left out rather than listed unsupported.
 */
static const struct cb_hw_default {
	const char *name;
	const char *events[4];
	bool optional;
} cb_hw_defaults[] = {
	{ "cycles", { "perf::CYCLES" }, false },
	{ "instructions", { "perf::INSTRUCTIONS" }, false },
#if defined(__aarch64__)
	/* ARMv8 common events, else the generic cache events the arm PMU driver maps to them. */
	{ "dTLB-refills", { "L1D_TLB_REFILL", "perf::DTLB-LOAD-MISSES" }, false },
	{ "iTLB-refills", { "L1I_TLB_REFILL", "perf::ITLB-LOAD-MISSES" }, false },
	{ "dTLB-walks", { "DTLB_WALK" }, true },
	{ "iTLB-walks", { "ITLB_WALK" }, true },
#else
	{ "dTLB-load-misses", { "perf::DTLB-LOAD-MISSES" }, false },
	{ "iTLB-load-misses", { "perf::ITLB-LOAD-MISSES" }, false },
#if defined(__x86_64__)
	/* Intel names first, then AMD Zen's table walker / L2 ITLB miss events. */
	{ "dTLB-load-walks", { "DTLB_LOAD_MISSES:WALK_COMPLETED", "LS_TABLEWALKER" }, true },
	{ "dTLB-store-walks", { "DTLB_STORE_MISSES:WALK_COMPLETED" }, true },
	{ "iTLB-walks", { "ITLB_MISSES:WALK_COMPLETED", "BP_L1_TLB_MISS_L2_TLB_MISS", "BP_L1_TLB_MISS_L2_MISS" },
	  true },
#endif
#endif
};

_Static_assert(CB_ARRAY_SIZE(cb_hw_defaults) <= CB_HW_EVENTS_MAX, "raise CB_HW_EVENTS_MAX");

static char cb_tracefs_root[PATH_MAX];
static int cb_tracefs_state = 1;        /* 1: not looked for yet, 0: found, else -errno */

/*
 * Finds tracefs in this process's mount table rather than probing paths: touching
 * /sys/kernel/debug/tracing would automount tracefs in the machine's namespace.
 */
static int cb_tracefs_find(void)
{
	FILE *f;
	struct mntent *m;

	if (cb_tracefs_state <= 0)
		return cb_tracefs_state;
	f = setmntent("/proc/self/mounts", "re");
	if (f) {
		while ((m = getmntent(f))) {
			if (strcmp(m->mnt_type, "tracefs") == 0 &&
			    strlen(m->mnt_dir) < sizeof(cb_tracefs_root)) {
				strcpy(cb_tracefs_root, m->mnt_dir);
				cb_tracefs_state = 0;
				break;
			}
		}
		endmntent(f);
		if (cb_tracefs_state == 0)
			return 0;
	}
	/* Not mounted: mount it where only this process and its children see it. */
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tracefs", CB_TRACEFS_DEFAULT, "tracefs", 0, NULL)) {
		cb_tracefs_state = -errno;
		return cb_tracefs_state;
	}
	strcpy(cb_tracefs_root, CB_TRACEFS_DEFAULT);
	cb_tracefs_state = 0;
	return 0;
}

int cb_tracepoint_id(const char *sys_event)
{
	const char *colon = strchr(sys_event, ':');
	char path[PATH_MAX + 64], buf[32], *end;
	ssize_t len;
	long id;
	int fd, err;

	if (!colon || colon == sys_event || !colon[1] || strchr(sys_event, '/') ||
	    strchr(colon + 1, ':'))
		return -EINVAL;
	err = cb_tracefs_find();
	if (err)
		return err;
#if !defined(__x86_64__) && !defined(__i386__)
	/* Generic mm code defines it, so tracefs lists it, but only x86 fires it: it would count 0. */
	if (strcmp(sys_event, "tlb:tlb_flush") == 0)
		return -ENOENT;
#endif
	if (snprintf(path, sizeof(path), "%s/events/%.*s/%s/id", cb_tracefs_root,
		     (int)(colon - sys_event), sys_event, colon + 1) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, sizeof(buf) - 1);
	err = errno;
	close(fd);
	if (len < 0)
		return -err;
	buf[len] = '\0';
	id = strtol(buf, &end, 10);
	if (end == buf || (*end && *end != '\n') || id <= 0 || id > INT_MAX)
		return -EPROTO;
	return (int)id;
}

static int cb_pfm_init(void)
{
	static bool done;
	static int ret;

	if (!done) {
		ret = pfm_initialize();
		done = true;
	}
	return ret;
}

/* Fills attr for software/tracepoint spec s, or fills why and returns -errno. */
static int cb_counter_attr(const struct cb_counter_spec *s, bool priv, struct perf_event_attr *a,
			   char *why)
{
	int id;

	memset(a, 0, sizeof(*a));
	switch (s->kind) {
	case CB_KIND_SW:
		a->type = PERF_TYPE_SOFTWARE;
		a->config = s->config;
		/* Unprivileged, only user-mode counting is allowed; faults still count there. */
		a->exclude_kernel = !priv;
		a->exclude_hv = 1;
		break;
	case CB_KIND_TP:
		/* Tracepoints fire in the kernel: with exclude_kernel they open but count 0. */
		if (!priv) {
			snprintf(why, CB_COUNTER_WHY, "needs root or CAP_PERFMON");
			return -EACCES;
		}
		id = cb_tracepoint_id(s->event);
		if (id == -ENOENT && strcmp(s->event, "tlb:tlb_flush") == 0) {
			snprintf(why, CB_COUNTER_WHY, CB_TLB_FLUSH_WHY);
			return id;
		}
		if (id < 0) {
			snprintf(why, CB_COUNTER_WHY, "tracefs %s id: %s", s->event, strerror(-id));
			return id;
		}
		a->type = PERF_TYPE_TRACEPOINT;
		a->config = (uint64_t)id;
		break;
	}
	a->size = sizeof(*a);
	return 0;
}

/*
 * Encodes libpfm4 event name into attr (user and, when privileged, kernel mode unless the name
 * says otherwise), naming the PMU it was encoded for in pmu. Returns 0, or -ENOENT with why.
 */
static int cb_hw_encode(const char *name, bool priv, struct perf_event_attr *a, char *pmu, size_t pmulen,
			char *why)
{
	pfm_perf_encode_arg_t arg;
	pfm_event_info_t einfo;
	pfm_pmu_info_t pinfo;
	int ret;

	memset(a, 0, sizeof(*a));
	pmu[0] = '\0';
	ret = cb_pfm_init();
	if (ret == PFM_SUCCESS) {
		memset(&arg, 0, sizeof(arg));
		arg.attr = a;
		arg.size = sizeof(arg);
		ret = pfm_get_os_event_encoding(name, PFM_PLM3 | (priv ? PFM_PLM0 : 0), PFM_OS_PERF_EVENT_EXT, &arg);
	}
	if (ret == PFM_ERR_NOTFOUND) {
		snprintf(why, CB_COUNTER_WHY, "unknown event %s (libpfm4)", name);
		return -ENOENT;
	}
	if (ret != PFM_SUCCESS) {
		snprintf(why, CB_COUNTER_WHY, "libpfm4 %s: %s", name, pfm_strerror(ret));
		return -ENOENT;
	}
	memset(&einfo, 0, sizeof(einfo));
	einfo.size = sizeof(einfo);
	memset(&pinfo, 0, sizeof(pinfo));
	pinfo.size = sizeof(pinfo);
	if (pfm_get_event_info(arg.idx, PFM_OS_NONE, &einfo) == PFM_SUCCESS &&
	    pfm_get_pmu_info(einfo.pmu, &pinfo) == PFM_SUCCESS && pinfo.name)
		snprintf(pmu, pmulen, "%s", pinfo.name);
	a->size = sizeof(*a);
	return 0;
}

/* Opens counter c with attr as a member of the group led by *leader (it leads when there is
 * none yet); reason >= 0 adds a tlb_flush reason filter. */
static int cb_counter_start(struct cb_counter *c, struct perf_event_attr *attr, int reason, pid_t pid, int cpu,
			    bool inherit, int *leader)
{
	char filter[32];
	int err;

	attr->disabled = *leader < 0;
	attr->inherit = inherit;
	attr->read_format = CB_READ_FORMAT;
	c->fd = syscall(__NR_perf_event_open, attr, pid, cpu, *leader, PERF_FLAG_FD_CLOEXEC);
	if (c->fd < 0) {
		err = -errno;
		c->fd = -1;
		snprintf(c->why, sizeof(c->why), "perf_event_open: %s", strerror(-err));
		return err;
	}
	if (reason >= 0) {
		snprintf(filter, sizeof(filter), "reason == %d", reason);
		if (ioctl(c->fd, PERF_EVENT_IOC_SET_FILTER, filter)) {
			err = -errno;
			snprintf(c->why, sizeof(c->why), "filter \"%s\": %s", filter, strerror(-err));
			/* Not a leader yet, so closing it leaves the group as it was. */
			close(c->fd);
			c->fd = -1;
			return err;
		}
	}
	c->supported = true;
	if (*leader < 0)
		*leader = c->fd;
	return 0;
}

/* A new counter named name in a group of its own; NULL when the set is full. */
static struct cb_counter *cb_counters_add(struct cb_counters *cs, const char *name)
{
	struct cb_counter *c;

	if (cs->n == CB_COUNTERS_MAX)
		return NULL;
	c = &cs->c[cs->n++];
	snprintf(c->name, sizeof(c->name), "%.*s", (int)sizeof(c->name) - 1, name);
	c->fd = -1;
	c->group = cs->ngroups++;
	cs->group_fd[c->group] = -1;
	return c;
}

/* Opens hardware counter c for libpfm4 event name. Returns 0 or -errno (reason in c->why). */
static int cb_hw_open(struct cb_counter *c, const char *event, bool priv, pid_t pid, int cpu, bool inherit,
		      int *leader)
{
	struct perf_event_attr attr;
	char pmu[64];
	int err;

	err = cb_hw_encode(event, priv, &attr, pmu, sizeof(pmu), c->why);
	if (err)
		return err;
	err = cb_counter_start(c, &attr, -1, pid, cpu, inherit, leader);
	/* libpfm4 picks the PMU from CPUID: a VM may hide it from the kernel (ENOENT). */
	if (err && pmu[0] && strcmp(pmu, "perf") != 0) {
		size_t len = strlen(c->why);

		snprintf(c->why + len, sizeof(c->why) - len, " (libpfm4 encoded it for PMU %s)", pmu);
	}
	return err;
}

int cb_events_parse(const char *list, char (*names)[CB_EVENT_MAX], int max)
{
	int n = 0, stored = 0;

	while (list && *list) {
		size_t len = strcspn(list, ",");
		bool dup = false;

		for (int i = 0; i < stored && !dup; i++)
			dup = strlen(names[i]) == len && strncmp(names[i], list, len) == 0;
		/* Past max only the count matters; a repeat there may be counted twice. */
		if (len && len < CB_EVENT_MAX && !dup) {
			if (stored < max)
				snprintf(names[stored++], CB_EVENT_MAX, "%.*s", (int)len, list);
			n++;
		}
		list += len + (list[len] == ',');
	}
	return n;
}

/* The hardware part of the set: the events listed, each in its own group. */
static void cb_hw_open_listed(struct cb_counters *cs, const char *events, bool priv, pid_t pid, int cpu,
			      bool inherit)
{
	char names[CB_HW_EVENTS_MAX][CB_EVENT_MAX];
	int n = cb_events_parse(events, names, CB_HW_EVENTS_MAX);

	for (int i = 0; i < n && i < CB_HW_EVENTS_MAX; i++) {
		struct cb_counter *c = cb_counters_add(cs, names[i]);

		if (!c)
			return;
		if (i == CB_HW_EVENTS_MAX - 1 && n > CB_HW_EVENTS_MAX)
			snprintf(c->why, sizeof(c->why), "%d events given, at most %d counted: this and later ones not",
				 n, CB_HW_EVENTS_MAX);
		else if (strlen(names[i]) >= sizeof(c->name))
			snprintf(c->why, sizeof(c->why), "event name longer than %zu characters", sizeof(c->name) - 1);
		else
			cb_hw_open(c, names[i], priv, pid, cpu, inherit, &cs->group_fd[c->group]);
	}
}

/* The architecture's default hardware set: the first name of each entry that encodes. */
static void cb_hw_open_defaults(struct cb_counters *cs, bool priv, pid_t pid, int cpu, bool inherit)
{
	for (size_t i = 0; i < CB_ARRAY_SIZE(cb_hw_defaults); i++) {
		const struct cb_hw_default *d = &cb_hw_defaults[i];
		struct perf_event_attr attr;
		char pmu[64], why[CB_COUNTER_WHY];
		const char *event = d->events[0];
		struct cb_counter *c;

		for (int k = 0; k < 4 && d->events[k]; k++) {
			if (cb_hw_encode(d->events[k], priv, &attr, pmu, sizeof(pmu), why) == 0) {
				event = d->events[k];
				break;
			}
			if (d->optional && (k == 3 || !d->events[k + 1]))
				event = NULL;
		}
		if (!event)
			continue;
		c = cb_counters_add(cs, d->name);
		if (c)
			cb_hw_open(c, event, priv, pid, cpu, inherit, &cs->group_fd[c->group]);
	}
}

int cb_counters_open_events(struct cb_counters *cs, pid_t pid, int cpu, bool inherit, const char *events)
{
	bool priv = cb_is_privileged();
	int first_err = 0, opened = 0;

	memset(cs, 0, sizeof(*cs));
	for (int g = 0; g < CB_COUNTERS_MAX; g++)
		cs->group_fd[g] = -1;
	cs->ngroups = 1;
	for (size_t i = 0; i < CB_ARRAY_SIZE(cb_counter_specs); i++) {
		const struct cb_counter_spec *s = &cb_counter_specs[i];
		struct cb_counter *c = &cs->c[cs->n++];
		struct perf_event_attr attr;
		int err;

		snprintf(c->name, sizeof(c->name), "%s", s->name);
		c->fd = -1;
		c->group = 0;
		err = cb_counter_attr(s, priv, &attr, c->why);
		if (!err)
			err = cb_counter_start(c, &attr, s->reason, pid, cpu, inherit, &cs->group_fd[0]);
		if (err && !first_err)
			first_err = err;
	}
	if (events && *events)
		cb_hw_open_listed(cs, events, priv, pid, cpu, inherit);
	else
		cb_hw_open_defaults(cs, priv, pid, cpu, inherit);
	for (int g = 0; g < cs->ngroups; g++)
		opened += cs->group_fd[g] >= 0;
	return opened ? 0 : first_err ? first_err : -ENOENT;
}

int cb_counters_add_tp(struct cb_counters *cs, const char *sys_event, pid_t pid, int cpu, bool inherit)
{
	const struct cb_counter_spec spec = { sys_event, CB_KIND_TP, 0, sys_event, -1 };
	struct perf_event_attr attr;
	struct cb_counter *c;
	int err;

	if (cs->n == CB_COUNTERS_MAX)
		return -ENOSPC;
	c = &cs->c[cs->n++];
	snprintf(c->name, sizeof(c->name), "%s", sys_event);
	c->fd = -1;
	c->group = 0;
	err = cb_counter_attr(&spec, cb_is_privileged(), &attr, c->why);
	if (!err)
		err = cb_counter_start(c, &attr, -1, pid, cpu, inherit, &cs->group_fd[0]);
	return err;
}

int cb_counters_open(struct cb_counters *cs, pid_t pid, int cpu, bool inherit)
{
	return cb_counters_open_events(cs, pid, cpu, inherit, NULL);
}

/* Raw counts of group g's members: they joined the group in counter order. */
static int cb_group_read(struct cb_counters *cs, int g, uint64_t *raw, uint64_t *enabled,
			 uint64_t *running)
{
	uint64_t buf[3 + CB_COUNTERS_MAX], k = 0;
	ssize_t len = read(cs->group_fd[g], buf, sizeof(buf));

	if (len < 0)
		return -errno;
	if (len < 3 * 8 || buf[0] > CB_COUNTERS_MAX || (size_t)len < (3 + buf[0]) * 8)
		return -EIO;
	for (int i = 0; i < cs->n; i++) {
		if (cs->c[i].group != g || cs->c[i].fd < 0)
			continue;
		if (k == buf[0])
			return -EIO;
		raw[i] = buf[3 + k++];
	}
	if (k != buf[0])
		return -EIO;
	*enabled = buf[1];
	*running = buf[2];
	return 0;
}

/*
 * Only leaders are toggled; siblings stay enabled from the open, so the leader's state gates the
 * whole group. Disabling and re-enabling a group with PERF_IOC_FLAG_GROUP leaves tracepoint
 * siblings of a software leader (and the reverse) counting nothing or part after the second
 * enable on 6.18, while a lone leader toggle counts every event.
 */
int cb_counters_enable(struct cb_counters *cs)
{
	for (int g = 0; g < cs->ngroups; g++) {
		uint64_t raw[CB_COUNTERS_MAX], enabled, running;
		int fd = cs->group_fd[g], err;

		if (fd < 0)
			continue;
		if (ioctl(fd, PERF_EVENT_IOC_DISABLE, 0) ||
		    ioctl(fd, PERF_EVENT_IOC_RESET, PERF_IOC_FLAG_GROUP))
			return -errno;
		err = cb_group_read(cs, g, raw, &enabled, &running);
		if (err)
			return err;
		for (int i = 0; i < cs->n; i++) {
			if (cs->c[i].group != g || cs->c[i].fd < 0)
				continue;
			cs->c[i].base_value = raw[i];
			cs->c[i].base_enabled = enabled;
			cs->c[i].base_running = running;
		}
		if (ioctl(fd, PERF_EVENT_IOC_ENABLE, 0))
			return -errno;
	}
	return 0;
}

int cb_counters_disable(struct cb_counters *cs)
{
	for (int g = 0; g < cs->ngroups; g++)
		if (cs->group_fd[g] >= 0 && ioctl(cs->group_fd[g], PERF_EVENT_IOC_DISABLE, 0))
			return -errno;
	return 0;
}

/* A group the PMU never scheduled has no count at all: its members must not read as 0. */
static void cb_group_drop(struct cb_counters *cs, int g, const char *why)
{
	for (int i = 0; i < cs->n; i++) {
		struct cb_counter *c = &cs->c[i];

		if (c->group != g || c->fd < 0)
			continue;
		close(c->fd);
		c->fd = -1;
		c->supported = false;
		c->value = 0;
		snprintf(c->why, sizeof(c->why), "%s", why);
	}
	cs->group_fd[g] = -1;
}

int cb_counters_read(struct cb_counters *cs)
{
	for (int g = 0; g < cs->ngroups; g++) {
		uint64_t raw[CB_COUNTERS_MAX], enabled, running;
		bool never_ran = false;
		int err;

		if (cs->group_fd[g] < 0)
			continue;
		err = cb_group_read(cs, g, raw, &enabled, &running);
		if (err)
			return err;
		for (int i = 0; i < cs->n; i++) {
			struct cb_counter *c = &cs->c[i];
			unsigned __int128 v;

			if (c->group != g || c->fd < 0)
				continue;
			c->time_enabled = enabled - c->base_enabled;
			c->time_running = running - c->base_running;
			never_ran = c->time_enabled > 0 && c->time_running == 0;
			v = raw[i] - c->base_value;
			if (c->time_running < c->time_enabled && c->time_running > 0)
				v = v * c->time_enabled / c->time_running;
			c->value = v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
		}
		/* The group is scheduled as a whole, so one member tells for all. */
		if (never_ran)
			cb_group_drop(cs, g, "never scheduled (time_running 0)");
	}
	return 0;
}

void cb_counters_close(struct cb_counters *cs)
{
	for (int i = 0; i < cs->n; i++) {
		if (cs->c[i].fd >= 0)
			close(cs->c[i].fd);
		cs->c[i].fd = -1;
	}
	for (int g = 0; g < cs->ngroups; g++)
		cs->group_fd[g] = -1;
}

const struct cb_counter *cb_counters_find(const struct cb_counters *cs, const char *name)
{
	for (int i = 0; i < cs->n; i++)
		if (strcmp(cs->c[i].name, name) == 0)
			return &cs->c[i];
	return NULL;
}

int cb_faultctr_open(void)
{
	struct perf_event_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_PAGE_FAULTS;
	attr.exclude_kernel = !cb_is_privileged();
	attr.exclude_hv = 1;
	fd = syscall(__NR_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

uint64_t cb_faultctr_read(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return UINT64_MAX;
	return v;
}

int cb_faultsamp_open(struct cb_faultsamp *fs, size_t events)
{
	struct perf_event_attr attr;
	/* A sample is its header and the address: 16 bytes; room for twice the estimate. */
	size_t want = 2 * (events + 256) * 16, data = (size_t)sysconf(_SC_PAGESIZE);

	while (data < want)
		data <<= 1;
	memset(fs, 0, sizeof(*fs));
	fs->fd = -1;
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_PAGE_FAULTS;
	attr.sample_period = 1;
	attr.sample_type = PERF_SAMPLE_ADDR;
	attr.disabled = 1;
	/* User-mode faults only: a kernel access to a user address (copy_to_user) is no write of
	 * the loop's. */
	attr.exclude_kernel = 1;
	attr.exclude_hv = 1;
	/* Never woken: the ring is read once, after the loop. */
	attr.wakeup_events = 0;
	attr.watermark = 1;
	attr.wakeup_watermark = (uint32_t)data;
	fs->fd = (int)syscall(__NR_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fs->fd < 0)
		return -errno;
	fs->ring = mmap(NULL, data + (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE, MAP_SHARED, fs->fd, 0);
	if (fs->ring == MAP_FAILED) {
		int err = -errno;

		fs->ring = NULL;
		close(fs->fd);
		fs->fd = -1;
		return err;
	}
	fs->data_len = data;
	return 0;
}

int cb_faultsamp_enable(struct cb_faultsamp *fs)
{
	return ioctl(fs->fd, PERF_EVENT_IOC_ENABLE, 0) ? -errno : 0;
}

int cb_faultsamp_disable(struct cb_faultsamp *fs)
{
	return ioctl(fs->fd, PERF_EVENT_IOC_DISABLE, 0) ? -errno : 0;
}

void cb_fault_addr_bin(uintptr_t a, const char *addr, size_t stride, size_t pages, uint32_t *faults,
		       uint64_t *outside)
{
	uintptr_t lo = (uintptr_t)addr;

	if (a >= lo && a - lo < stride * pages && (a - lo) % stride < cb_page_size)
		faults[(a - lo) / stride]++;
	else
		(*outside)++;
}

void cb_faultsamp_bin(struct cb_faultsamp *fs, const char *addr, size_t stride, size_t pages, uint32_t *faults,
		      uint64_t *outside, uint64_t *lost)
{
	struct perf_event_mmap_page *meta = fs->ring;
	const unsigned char *data = (const unsigned char *)fs->ring + sysconf(_SC_PAGESIZE);
	uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE), tail = meta->data_tail;

	*outside = 0;
	*lost = 0;
	while (tail < head) {
		struct perf_event_header h;
		uint64_t words[2];
		size_t off = tail & (fs->data_len - 1);

		/* Records may wrap around the end of the data area: copy them out bytewise. */
		for (size_t k = 0; k < sizeof(h); k++)
			((unsigned char *)&h)[k] = data[(off + k) & (fs->data_len - 1)];
		if (h.size < sizeof(h))
			break;
		for (size_t k = 0; k < sizeof(words) && sizeof(h) + k < h.size; k++)
			((unsigned char *)words)[k] = data[(off + sizeof(h) + k) & (fs->data_len - 1)];
		if (h.type == PERF_RECORD_SAMPLE)
			cb_fault_addr_bin((uintptr_t)words[0], addr, stride, pages, faults, outside);
		else if (h.type == PERF_RECORD_LOST)
			*lost += words[1];
		tail += h.size;
	}
	__atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
}

void cb_faultsamp_close(struct cb_faultsamp *fs)
{
	if (fs->ring)
		munmap(fs->ring, fs->data_len + (size_t)sysconf(_SC_PAGESIZE));
	if (fs->fd >= 0)
		close(fs->fd);
	fs->ring = NULL;
	fs->fd = -1;
}
