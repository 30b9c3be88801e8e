#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <perfmon/pfmlib_perf_event.h>

#include "cb.h"
#include "perf.h"

#define CB_READ_FORMAT \
	(PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING)
#define CB_TRACEFS_DEFAULT "/sys/kernel/tracing"

enum cb_counter_kind { CB_KIND_SW, CB_KIND_TP, CB_KIND_HW };

static const struct cb_counter_spec {
	const char *name;
	enum cb_counter_kind kind;
	uint64_t config;            /* software event */
	const char *event;          /* tracepoint "sys:event" or libpfm4 name */
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
	/* The perf PMU's generic events: the same meaning on every CPU model. */
	{ "cycles", CB_KIND_HW, 0, "perf::CYCLES", -1 },
	{ "instructions", CB_KIND_HW, 0, "perf::INSTRUCTIONS", -1 },
	{ "dTLB-load-misses", CB_KIND_HW, 0, "perf::DTLB-LOAD-MISSES", -1 },
};

_Static_assert(CB_ARRAY_SIZE(cb_counter_specs) <= CB_COUNTERS_MAX, "raise CB_COUNTERS_MAX");

static int cb_counter_group(int i)
{
	return cb_counter_specs[i].kind == CB_KIND_HW;
}

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

/* Fills attr for spec s, or fills why and returns -errno. */
static int cb_counter_attr(const struct cb_counter_spec *s, bool priv, struct perf_event_attr *a,
			   char *why)
{
	pfm_perf_encode_arg_t arg;
	int id, ret;

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
			snprintf(why, CB_COUNTER_WHY, "no tlb:tlb_flush tracepoint on this kernel/arch");
			return id;
		}
		if (id < 0) {
			snprintf(why, CB_COUNTER_WHY, "tracefs %s id: %s", s->event, strerror(-id));
			return id;
		}
		a->type = PERF_TYPE_TRACEPOINT;
		a->config = (uint64_t)id;
		break;
	case CB_KIND_HW:
		ret = cb_pfm_init();
		if (ret == PFM_SUCCESS) {
			memset(&arg, 0, sizeof(arg));
			arg.attr = a;
			arg.size = sizeof(arg);
			ret = pfm_get_os_event_encoding(s->event, PFM_PLM3 | (priv ? PFM_PLM0 : 0),
							PFM_OS_PERF_EVENT_EXT, &arg);
		}
		if (ret != PFM_SUCCESS) {
			snprintf(why, CB_COUNTER_WHY, "libpfm4 %s: %s", s->event, pfm_strerror(ret));
			return -ENOENT;
		}
		break;
	}
	a->size = sizeof(*a);
	return 0;
}

/* Opens counter c as a member of the group led by *leader (it leads when there is none yet). */
static int cb_counter_open(const struct cb_counter_spec *s, struct cb_counter *c, bool priv,
			   pid_t pid, int cpu, bool inherit, int *leader)
{
	struct perf_event_attr attr;
	char filter[32];
	int err;

	err = cb_counter_attr(s, priv, &attr, c->why);
	if (err)
		return err;
	attr.disabled = *leader < 0;
	attr.inherit = inherit;
	attr.read_format = CB_READ_FORMAT;
	c->fd = syscall(__NR_perf_event_open, &attr, pid, cpu, *leader, PERF_FLAG_FD_CLOEXEC);
	if (c->fd < 0) {
		err = -errno;
		c->fd = -1;
		snprintf(c->why, sizeof(c->why), "perf_event_open: %s", strerror(-err));
		return err;
	}
	if (s->reason >= 0) {
		snprintf(filter, sizeof(filter), "reason == %d", s->reason);
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

int cb_counters_open(struct cb_counters *cs, pid_t pid, int cpu, bool inherit)
{
	bool priv = cb_is_privileged();
	int first_err = 0;

	memset(cs, 0, sizeof(*cs));
	cs->n = CB_ARRAY_SIZE(cb_counter_specs);
	cs->group_fd[0] = cs->group_fd[1] = -1;
	for (int i = 0; i < cs->n; i++) {
		struct cb_counter *c = &cs->c[i];
		int err;

		snprintf(c->name, sizeof(c->name), "%s", cb_counter_specs[i].name);
		c->fd = -1;
		err = cb_counter_open(&cb_counter_specs[i], c, priv, pid, cpu, inherit,
				      &cs->group_fd[cb_counter_group(i)]);
		if (err && !first_err)
			first_err = err;
	}
	return cs->group_fd[0] < 0 && cs->group_fd[1] < 0 ? first_err : 0;
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
		if (cb_counter_group(i) != g || cs->c[i].fd < 0)
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
	for (int g = 0; g < 2; g++) {
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
			if (cb_counter_group(i) != g || cs->c[i].fd < 0)
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
	for (int g = 0; g < 2; g++)
		if (cs->group_fd[g] >= 0 && ioctl(cs->group_fd[g], PERF_EVENT_IOC_DISABLE, 0))
			return -errno;
	return 0;
}

/* A group the PMU never scheduled has no count at all: its members must not read as 0. */
static void cb_group_drop(struct cb_counters *cs, int g, const char *why)
{
	for (int i = 0; i < cs->n; i++) {
		struct cb_counter *c = &cs->c[i];

		if (cb_counter_group(i) != g || c->fd < 0)
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
	for (int g = 0; g < 2; g++) {
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

			if (cb_counter_group(i) != g || c->fd < 0)
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
	cs->group_fd[0] = cs->group_fd[1] = -1;
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
