#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <mntent.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cb.h"
#include "perf.h"
#include "unit.h"

#define TOUCH_PAGES 256

static const char *const perf_set_names[] = {
	"page-faults", "minor-faults", "major-faults", "context-switches", "cpu-migrations",
	"exceptions:page_fault_user", "kmem:mm_page_alloc", "tlb:tlb_flush",
	"tlb:tlb_flush/task_switch", "tlb:tlb_flush/remote_shootdown",
	"tlb:tlb_flush/local_shootdown", "tlb:tlb_flush/local_mm_shootdown",
	"tlb:tlb_flush/remote_send_ipi", "tlb:tlb_flush/remote_wrong_cpu",
	"compaction:mm_compaction_begin", "vmscan:mm_vmscan_direct_reclaim_begin",
	"vmscan:mm_vmscan_memcg_reclaim_begin",
	/* The default hardware set's entries every machine of the architecture lists. */
	"cycles", "instructions",
#if defined(__aarch64__)
	"dTLB-refills", "iTLB-refills",
#else
	"dTLB-load-misses", "iTLB-load-misses",
#endif
};
/* Listed after those only where libpfm4 names them for this CPU's PMU. */
static const char *const perf_optional_names[] = {
#if defined(__aarch64__)
	"dTLB-walks", "iTLB-walks",
#elif defined(__x86_64__)
	"dTLB-load-walks", "dTLB-store-walks", "iTLB-walks",
#endif
	NULL,
};
#define PERF_FIRST_TP 5
#define PERF_TLB_TOTAL 7
#define PERF_TLB_END 14      /* after the last tlb:tlb_flush/<reason> */
#define PERF_FIRST_HW 17

static size_t perf_page(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* Fresh anonymous pages, one fault each: no THP or mTHP folio may cover several. */
static char *perf_map_fresh(size_t pages)
{
	char *p = mmap(NULL, pages * perf_page(), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (madvise(p, pages * perf_page(), MADV_NOHUGEPAGE)) {
		munmap(p, pages * perf_page());
		return NULL;
	}
	return p;
}

static void perf_touch(char *p, size_t pages)
{
	for (size_t i = 0; i < pages; i++)
		((volatile char *)p)[i * perf_page()] = 1;
}

static uint64_t perf_val(const struct cb_counters *cs, const char *name)
{
	const struct cb_counter *c = cb_counters_find(cs, name);

	return c && c->supported ? c->value : UINT64_MAX;
}

/*
 * Counts first touches of `pages` fresh pages. A first round on one throw-away page faults in
 * the code and stack the measured round runs on, so the measured round sees only its own.
 */
static int perf_count_touch(struct cb_counters *cs, size_t pages)
{
	for (int round = 0; round < 2; round++) {
		size_t n = round ? pages : 1;
		char *p = perf_map_fresh(n);
		int err;

		if (!p)
			return -errno;
		err = cb_counters_enable(cs);
		perf_touch(p, n);
		if (!err)
			err = cb_counters_disable(cs);
		if (!err)
			err = cb_counters_read(cs);
		munmap(p, n * perf_page());
		if (err)
			return err;
	}
	return 0;
}

/* Checks what holds for any open set: supported <=> fd, a reason for each unsupported one,
 * software and tracepoints in group 0, each hardware event in a group of its own. */
static void perf_check_invariants(const struct cb_counters *cs)
{
	size_t fixed = CB_ARRAY_SIZE(perf_set_names), opt = 0;

	CB_CHECK(cs->n >= (int)fixed);
	for (int i = 0; i < cs->n; i++) {
		const struct cb_counter *c = &cs->c[i];

		if (i < (int)fixed) {
			CB_CHECK_STR(c->name, perf_set_names[i]);
		} else {
			/* Optional ones keep their table order. */
			while (perf_optional_names[opt] && strcmp(perf_optional_names[opt], c->name) != 0)
				opt++;
			CB_CHECK(perf_optional_names[opt] != NULL);
		}
		CB_CHECK(c->supported == (c->fd >= 0));
		CB_CHECK(c->supported || c->why[0] != '\0');
		CB_CHECK_U64(c->group, i < PERF_FIRST_HW ? 0 : i - PERF_FIRST_HW + 1);
		if (c->supported && i >= PERF_FIRST_HW)
			CB_CHECK(cs->group_fd[c->group] == c->fd);
	}
	CB_CHECK_U64(cs->ngroups, cs->n - PERF_FIRST_HW + 1);
}

/* Tracepoints unprivileged: never opened (exclude_kernel would silently count 0). */
static void perf_check_tp_refused(const struct cb_counters *cs)
{
	for (int i = PERF_FIRST_TP; i < PERF_FIRST_HW; i++) {
		CB_CHECK(!cs->c[i].supported);
		CB_CHECK_STR(cs->c[i].why, "needs root or CAP_PERFMON");
	}
}

CB_TEST(perf_set_order_and_support)
{
	struct cb_counters cs;
	bool priv = cb_is_privileged();

	CB_CHECK_U64(cb_counters_open(&cs, 0, -1, false), 0);
	perf_check_invariants(&cs);
	for (int i = 0; i < PERF_FIRST_TP; i++)
		CB_CHECK(cs.c[i].supported);
	/* The first counter that opened leads the software+tracepoint group. */
	CB_CHECK(cs.group_fd[0] == cs.c[0].fd);
	if (priv) {
		for (int i = PERF_FIRST_TP; i < PERF_FIRST_HW; i++) {
#if !defined(__x86_64__) && !defined(__i386__)
			if (strncmp(cs.c[i].name, "tlb:", 4) == 0) {
				CB_CHECK_STR(cs.c[i].why, CB_TLB_FLUSH_WHY);
				continue;
			}
#endif
			CB_CHECK(cs.c[i].supported);
		}
	} else {
		perf_check_tp_refused(&cs);
	}
	CB_CHECK(cb_counters_find(&cs, "cycles") == &cs.c[PERF_FIRST_HW]);
	CB_CHECK(cb_counters_find(&cs, "no-such-counter") == NULL);
	cb_counters_close(&cs);
}

CB_TEST(perf_first_touch_exact)
{
	struct cb_counters cs;
	uint64_t touch_ns;

	CB_CHECK_U64(cb_counters_open(&cs, 0, -1, false), 0);
	CB_CHECK_U64(perf_count_touch(&cs, TOUCH_PAGES), 0);
	/* Software events count user-mode faults with or without privilege. */
	CB_CHECK_U64(perf_val(&cs, "page-faults"), TOUCH_PAGES);
	CB_CHECK_U64(perf_val(&cs, "minor-faults"), TOUCH_PAGES);
	CB_CHECK_U64(perf_val(&cs, "major-faults"), 0);
	if (cb_is_privileged()) {
		CB_CHECK_U64(perf_val(&cs, "exceptions:page_fault_user"), TOUCH_PAGES);
		/* One page each, plus page tables and whatever the kernel allocates on the way. */
		CB_CHECK(perf_val(&cs, "kmem:mm_page_alloc") >= TOUCH_PAGES);
		CB_CHECK(perf_val(&cs, "kmem:mm_page_alloc") < 2 * TOUCH_PAGES);
	} else {
		perf_check_tp_refused(&cs);
	}
	/* Every enable starts from 0, the times too: an empty period counts nothing and lasts
	 * less than the 256 faults did. */
	touch_ns = cs.c[0].time_enabled;
	CB_CHECK_U64(cb_counters_enable(&cs), 0);
	CB_CHECK_U64(cb_counters_disable(&cs), 0);
	CB_CHECK_U64(cb_counters_read(&cs), 0);
	CB_CHECK_U64(perf_val(&cs, "page-faults"), 0);
	CB_CHECK(cs.c[0].time_enabled < touch_ns);
	CB_CHECK_U64(cs.c[0].time_running, cs.c[0].time_enabled);
	cb_counters_close(&cs);
}

CB_TEST(perf_faultctr_one_per_page)
{
	char *p = perf_map_fresh(TOUCH_PAGES);
	int fd = cb_faultctr_open(), bad = 0;
	uint64_t before, start;

	CB_CHECK(p != NULL);
	CB_CHECK(fd >= 0);
	if (!p || fd < 0)
		goto unmap;
	start = before = cb_faultctr_read(fd);
	CB_CHECK(before != UINT64_MAX);
	for (size_t i = 0; i < TOUCH_PAGES; i++) {
		uint64_t after;

		perf_touch(p + i * perf_page(), 1);
		after = cb_faultctr_read(fd);
		bad += after - before != 1;
		before = after;
	}
	CB_CHECK_U64(bad, 0);
	CB_CHECK_U64(before - start, TOUCH_PAGES);
	/* Touched again: no faults at all. */
	perf_touch(p, TOUCH_PAGES);
	CB_CHECK_U64(cb_faultctr_read(fd), before);
	close(fd);
unmap:
	if (p)
		munmap(p, TOUCH_PAGES * perf_page());
	CB_CHECK_U64(cb_faultctr_read(-1), UINT64_MAX);
}

/* A hardware counter is either counting or says why not: a supported 0 would be a lie. */
CB_TEST(perf_hw_counts_or_reason)
{
	struct cb_counters cs;
	int hw = 0;

	CB_CHECK_U64(cb_counters_open(&cs, 0, -1, false), 0);
	CB_CHECK_U64(perf_count_touch(&cs, TOUCH_PAGES), 0);
	for (int i = PERF_FIRST_HW; i < cs.n; i++) {
		const struct cb_counter *c = &cs.c[i];

		if (c->supported) {
			hw++;
			CB_CHECK(c->value > 0);
			CB_CHECK(c->time_running > 0);
		} else {
			CB_CHECK(c->fd == -1);
			CB_CHECK(c->why[0] != '\0');
		}
	}
	for (int g = 1; g < cs.ngroups; g++)
		hw -= cs.group_fd[g] >= 0;
	CB_CHECK_U64(hw, 0);
	cb_counters_close(&cs);
}

/* The per-reason counters partition tlb:tlb_flush: each filter passes only its reason. */
CB_TEST(perf_tlb_reasons_add_up)
{
	struct cb_counters cs;
	uint64_t sum = 0, total;
	char *p;

	CB_CHECK_U64(cb_counters_open(&cs, 0, -1, false), 0);
	if (!cb_is_privileged()) {
		perf_check_tp_refused(&cs);
		goto close;
	}
#if !defined(__x86_64__) && !defined(__i386__)
	for (int i = PERF_TLB_TOTAL; i < PERF_TLB_END; i++)
		CB_CHECK_STR(cs.c[i].why, CB_TLB_FLUSH_WHY);
	goto close;
#endif
	p = perf_map_fresh(TOUCH_PAGES);
	CB_CHECK(p != NULL);
	if (!p)
		goto close;
	perf_touch(p, TOUCH_PAGES);
	CB_CHECK_U64(cb_counters_enable(&cs), 0);
	/* Both take present PTEs away from a live mm: each must flush. */
	mprotect(p, TOUCH_PAGES * perf_page(), PROT_READ);
	munmap(p, TOUCH_PAGES * perf_page());
	CB_CHECK_U64(cb_counters_disable(&cs), 0);
	CB_CHECK_U64(cb_counters_read(&cs), 0);
	for (int i = PERF_TLB_TOTAL + 1; i < PERF_TLB_END; i++) {
		CB_CHECK(cs.c[i].supported);
		sum += cs.c[i].value;
	}
	total = perf_val(&cs, "tlb:tlb_flush");
	CB_CHECK(total >= 2 && total != UINT64_MAX);
	CB_CHECK_U64(sum, total);
close:
	cb_counters_close(&cs);
}

/* Faults a forked child takes on `pages` fresh pages, counted with counters opened as given. */
static int perf_fork_touch(struct cb_counters *cs, bool inherit, size_t pages)
{
	char *p = perf_map_fresh(pages);
	int err, status;
	pid_t pid;

	if (!p)
		return -errno;
	err = cb_counters_open(cs, 0, -1, inherit);
	if (!err)
		err = cb_counters_enable(cs);
	if (err)
		goto unmap;
	pid = fork();
	if (pid == 0) {
		perf_touch(p, pages);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		err = -ECHILD;
	if (!err)
		err = cb_counters_disable(cs);
	if (!err)
		err = cb_counters_read(cs);
unmap:
	munmap(p, pages * perf_page());
	return err;
}

CB_TEST(perf_inherit_counts_child)
{
	struct cb_counters cs;
	char *p;

	CB_CHECK_U64(perf_fork_touch(&cs, true, TOUCH_PAGES), 0);
	/* The child's first touches plus a few COW faults of both on stack and data. */
	CB_CHECK(perf_val(&cs, "page-faults") >= TOUCH_PAGES);
	CB_CHECK(perf_val(&cs, "page-faults") < TOUCH_PAGES + 100);
	CB_CHECK(perf_val(&cs, "minor-faults") >= TOUCH_PAGES);
	if (cb_is_privileged())
		CB_CHECK(perf_val(&cs, "exceptions:page_fault_user") >= TOUCH_PAGES);
	/* The next period must not carry the exited child's counts. */
	p = perf_map_fresh(16);
	CB_CHECK(p != NULL);
	if (p) {
		CB_CHECK_U64(cb_counters_enable(&cs), 0);
		perf_touch(p, 16);
		CB_CHECK_U64(cb_counters_disable(&cs), 0);
		CB_CHECK_U64(cb_counters_read(&cs), 0);
		CB_CHECK_U64(perf_val(&cs, "page-faults"), 16);
		if (cb_is_privileged())
			CB_CHECK_U64(perf_val(&cs, "exceptions:page_fault_user"), 16);
		munmap(p, 16 * perf_page());
	}
	cb_counters_close(&cs);
}

CB_TEST(perf_no_inherit_ignores_child)
{
	struct cb_counters cs;

	CB_CHECK_U64(perf_fork_touch(&cs, false, TOUCH_PAGES), 0);
	/* Only the parent's own few COW faults after fork(). */
	CB_CHECK(perf_val(&cs, "page-faults") < TOUCH_PAGES / 4);
	cb_counters_close(&cs);
}

/* As a user without privilege (a child that drops root): user-mode faults still count exactly
 * and tracepoints say why they are off. The struct is copied back through shared memory. */
CB_TEST(perf_unprivileged_child)
{
	struct shared {
		struct cb_counters cs;
		int open_ret, count_ret;
		bool priv;
	} *sh;
	int status;
	pid_t pid;

	if (!cb_is_privileged() || geteuid() != 0)
		return;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CB_CHECK(sh != MAP_FAILED);
	if (sh == MAP_FAILED)
		return;
	pid = fork();
	if (pid == 0) {
		struct cb_counters cs;

		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(1);
		sh->priv = cb_is_privileged();
		sh->open_ret = cb_counters_open(&cs, 0, -1, false);
		sh->count_ret = perf_count_touch(&cs, TOUCH_PAGES);
		sh->cs = cs;
		cb_counters_close(&cs);
		_exit(0);
	}
	CB_CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CB_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CB_CHECK(!sh->priv);
	CB_CHECK_U64(sh->open_ret, 0);
	CB_CHECK_U64(sh->count_ret, 0);
	perf_check_invariants(&sh->cs);
	perf_check_tp_refused(&sh->cs);
	CB_CHECK_U64(perf_val(&sh->cs, "page-faults"), TOUCH_PAGES);
	CB_CHECK_U64(perf_val(&sh->cs, "minor-faults"), TOUCH_PAGES);
	munmap(sh, sizeof(*sh));
}

CB_TEST(perf_open_fails_whole)
{
	struct cb_counters cs;
	pid_t gone = fork();

	if (gone == 0)
		_exit(0);
	CB_CHECK(gone > 0 && waitpid(gone, NULL, 0) == gone);
	/* A reaped pid: every counter fails, with its reason, and nothing stays open. */
	CB_CHECK_U64(cb_counters_open(&cs, gone, -1, false), -ESRCH);
	perf_check_invariants(&cs);
	for (int i = 0; i < cs.n; i++)
		CB_CHECK(!cs.c[i].supported);
	CB_CHECK(cs.group_fd[0] == -1 && cs.group_fd[1] == -1);
	cb_counters_close(&cs);
}

CB_TEST(perf_close_releases_fds)
{
	struct cb_counters cs;
	int fds[CB_COUNTERS_MAX], open_fds = 0;

	CB_CHECK_U64(cb_counters_open(&cs, 0, -1, false), 0);
	for (int i = 0; i < cs.n; i++)
		fds[i] = cs.c[i].fd;
	cb_counters_close(&cs);
	for (int i = 0; i < cs.n; i++) {
		CB_CHECK(cs.c[i].fd == -1);
		open_fds += fds[i] >= 0 && fcntl(fds[i], F_GETFD) != -1;
	}
	CB_CHECK_U64(open_fds, 0);
	CB_CHECK(cs.group_fd[0] == -1 && cs.group_fd[1] == -1);
}

/* tracefs mounts in pid 1's namespace, taken before any test could mount one. */
static int perf_init_tracefs = -1;

static int perf_count_tracefs(const char *mounts, char *dir, size_t dirlen)
{
	FILE *f = setmntent(mounts, "re");
	struct mntent *m;
	int n = 0;

	if (!f)
		return -1;
	while ((m = getmntent(f))) {
		if (strcmp(m->mnt_type, "tracefs") != 0)
			continue;
		if (!n++ && dir)
			snprintf(dir, dirlen, "%s", m->mnt_dir);
	}
	endmntent(f);
	return n;
}

__attribute__((constructor(101))) static void perf_note_init_tracefs(void)
{
	perf_init_tracefs = perf_count_tracefs("/proc/1/mounts", NULL, 0);
}

CB_TEST(perf_tracepoint_id_private_mount)
{
	char dir[PATH_MAX], path[PATH_MAX + 64], buf[32] = "";
	int id, fd;

	CB_CHECK_U64(cb_tracepoint_id("kmem"), -EINVAL);
	CB_CHECK_U64(cb_tracepoint_id("kmem:"), -EINVAL);
	CB_CHECK_U64(cb_tracepoint_id("../x:y"), -EINVAL);
	if (!cb_is_privileged())
		return;
	id = cb_tracepoint_id("kmem:mm_page_alloc");
	CB_CHECK(id > 0);
	CB_CHECK_U64(cb_tracepoint_id("kmem:no_such_event"), -ENOENT);
	/* The id is the one tracefs shows this process. */
	CB_CHECK(perf_count_tracefs("/proc/self/mounts", dir, sizeof(dir)) >= 1);
	snprintf(path, sizeof(path), "%s/events/kmem/mm_page_alloc/id", dir);
	fd = open(path, O_RDONLY);
	CB_CHECK(fd >= 0);
	if (fd >= 0) {
		CB_CHECK(read(fd, buf, sizeof(buf) - 1) > 0);
		close(fd);
	}
	CB_CHECK_U64(atoi(buf), id);
	/* The machine's namespace gained no mount. */
	CB_CHECK(perf_init_tracefs >= 0);
	CB_CHECK_U64(perf_count_tracefs("/proc/1/mounts", NULL, 0), perf_init_tracefs);
}

CB_TEST(perf_events_parse_list)
{
	char names[3][CB_EVENT_MAX];

	CB_CHECK_U64(cb_events_parse(NULL, names, 3), 0);
	CB_CHECK_U64(cb_events_parse("", names, 3), 0);
	CB_CHECK_U64(cb_events_parse(",,", names, 3), 0);
	/* Empty items and repeats go; order stays. */
	CB_CHECK_U64(cb_events_parse("cycles,,DTLB_LOAD_MISSES:WALK_COMPLETED,cycles,", names, 3), 2);
	CB_CHECK_STR(names[0], "cycles");
	CB_CHECK_STR(names[1], "DTLB_LOAD_MISSES:WALK_COMPLETED");
	/* More than fit: the count says so, the first max are kept. */
	CB_CHECK_U64(cb_events_parse("a,b,c,d,e", names, 3), 5);
	CB_CHECK_STR(names[0], "a");
	CB_CHECK_STR(names[2], "c");
	CB_CHECK_U64(cb_events_parse("perf::CYCLES:u", names, 3), 1);
	CB_CHECK_STR(names[0], "perf::CYCLES:u");
}

/* --events: each name recorded as given, its own group; an unknown one says so and the rest of
 * the set still counts. */
CB_TEST(perf_events_listed)
{
	struct cb_counters cs;
	const struct cb_counter *bogus, *cyc;

	CB_CHECK_U64(cb_counters_open_events(&cs, 0, -1, false, "bogus_xyz,cycles,bogus_xyz"), 0);
	CB_CHECK_U64(cs.n, PERF_FIRST_HW + 2);
	CB_CHECK_U64(cs.ngroups, 3);
	bogus = cb_counters_find(&cs, "bogus_xyz");
	cyc = cb_counters_find(&cs, "cycles");
	CB_CHECK(bogus == &cs.c[PERF_FIRST_HW] && cyc == &cs.c[PERF_FIRST_HW + 1]);
	CB_CHECK(cb_counters_find(&cs, "instructions") == NULL);
	if (bogus && cyc) {
		CB_CHECK(!bogus->supported && bogus->fd == -1);
		CB_CHECK_STR(bogus->why, "unknown event bogus_xyz (libpfm4)");
		CB_CHECK(cyc->supported || strncmp(cyc->why, "perf_event_open: ", 17) == 0);
		CB_CHECK(bogus->group != cyc->group);
	}
	CB_CHECK_U64(perf_count_touch(&cs, TOUCH_PAGES), 0);
	CB_CHECK_U64(perf_val(&cs, "page-faults"), TOUCH_PAGES);
	if (cyc && cyc->supported)
		CB_CHECK(cyc->value > 0 && cyc->time_running > 0);
	cb_counters_close(&cs);
}

/* More events than counters: the last slot says what was left out; an overlong name is refused
 * rather than truncated into another event's name. */
CB_TEST(perf_events_limits)
{
	struct cb_counters cs;
	char list[CB_EVENT_MAX] = "", why[CB_COUNTER_WHY];
	size_t off = 0;

	for (int i = 0; i < CB_HW_EVENTS_MAX + 6; i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%sx%d", i ? "," : "", i);
	CB_CHECK_U64(cb_counters_open_events(&cs, 0, -1, false, list), 0);
	CB_CHECK_U64(cs.n, PERF_FIRST_HW + CB_HW_EVENTS_MAX);
	CB_CHECK_STR(cs.c[PERF_FIRST_HW].why, "unknown event x0 (libpfm4)");
	snprintf(why, sizeof(why), "%d events given, at most %d counted: this and later ones not",
		 CB_HW_EVENTS_MAX + 6, CB_HW_EVENTS_MAX);
	CB_CHECK_STR(cs.c[cs.n - 1].why, why);
	cb_counters_close(&cs);

	memset(list, 'A', 70);
	list[70] = '\0';
	CB_CHECK_U64(cb_counters_open_events(&cs, 0, -1, false, list), 0);
	CB_CHECK_U64(cs.n, PERF_FIRST_HW + 1);
	CB_CHECK_U64(strlen(cs.c[PERF_FIRST_HW].name), CB_COUNTER_NAME - 1);
	CB_CHECK_STR(cs.c[PERF_FIRST_HW].why, "event name longer than 63 characters");
	cb_counters_close(&cs);
}

/* Faults sampled by address: each page of the region once, a page outside it apart, a page
 * between strided pages apart too; nothing lost. */
CB_TEST(faultsamp_bins_by_address)
{
	size_t ps = (size_t)getpagesize(), n = 64;
	char *p = mmap(NULL, (2 * n + 1) * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint32_t *faults = calloc(n, sizeof(*faults));
	struct cb_faultsamp fs;
	uint64_t outside = 0, lost = 0, sum = 0, ones = 0;
	int ret;

	CB_CHECK(p != MAP_FAILED && faults);
	if (p == MAP_FAILED || !faults)
		goto free_faults;
	/* One fault per page whatever THP/mTHP setting another run left in place. */
	madvise(p, (2 * n + 1) * ps, MADV_NOHUGEPAGE);
	/* Measured pages: every second page of the first 2n; page 1 (between two) and the last
	 * page are outside. */
	ret = cb_faultsamp_open(&fs, n);
	CB_CHECK_U64(ret, 0);
	if (ret)
		goto unmap;
	CB_CHECK_U64(cb_faultsamp_enable(&fs), 0);
	for (size_t i = 0; i < n; i++)
		*(volatile char *)(p + 2 * i * ps) = 1;
	*(volatile char *)(p + ps) = 1;
	*(volatile char *)(p + 2 * n * ps) = 1;
	CB_CHECK_U64(cb_faultsamp_disable(&fs), 0);
	cb_faultsamp_bin(&fs, p, 2 * ps, n, faults, &outside, &lost);
	for (size_t i = 0; i < n; i++) {
		sum += faults[i];
		ones += faults[i] == 1;
	}
	CB_CHECK_U64(ones, n);
	CB_CHECK_U64(sum, n);
	/* At least the two pages outside; the loop's own stack may add more. */
	CB_CHECK(outside >= 2);
	CB_CHECK_U64(lost, 0);
	cb_faultsamp_close(&fs);
unmap:
	munmap(p, (2 * n + 1) * ps);
free_faults:
	free(faults);
}

static int perf_compact_memory(void)
{
	int fd = open("/proc/sys/vm/compact_memory", O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, "1", 1) != 1)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * The task's own compaction counts in its compaction:mm_compaction_begin counter, another task's
 * does not. Writing /proc/sys/vm/compact_memory compacts every zone in the writer's context: the
 * path a direct compaction takes (compact_zone), forced on a machine whose free memory never
 * makes an allocation compact. It moves other processes' pages: run only under the shared lock,
 * by tests/integration/guards.sh (COWBENCH_TEST_COMPACT=1).
 */
CB_TEST(perf_counts_own_compaction)
{
	struct cb_counters cs;
	const struct cb_counter *k;
	int status = -1;
	pid_t child;

	if (!getenv("COWBENCH_TEST_COMPACT")) {
		cb_test_skip("compacts the whole machine: run by tests/integration/guards.sh under the lock");
		return;
	}
	if (!cb_is_privileged() || access("/proc/sys/vm/compact_memory", W_OK)) {
		cb_test_skip("needs root and /proc/sys/vm/compact_memory (CONFIG_COMPACTION)");
		return;
	}
	CB_CHECK_U64(cb_counters_open(&cs, 0, -1, false), 0);
	k = cb_counters_find(&cs, "compaction:mm_compaction_begin");
	if (!k || !k->supported) {
		cb_test_skip("compaction:mm_compaction_begin: %s", k ? k->why : "not in the set");
		goto close;
	}
	/* A child's compaction (counters without inherit): another task's work, not counted. */
	CB_CHECK_U64(cb_counters_enable(&cs), 0);
	child = fork();
	if (child == 0)
		_exit(perf_compact_memory() ? 1 : 0);
	CB_CHECK(child > 0 && waitpid(child, &status, 0) == child);
	CB_CHECK_U64(cb_counters_disable(&cs), 0);
	CB_CHECK_U64(cb_counters_read(&cs), 0);
	CB_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CB_CHECK_U64(perf_val(&cs, "compaction:mm_compaction_begin"), 0);
	/* Its own: at least one compact_zone per populated zone. */
	CB_CHECK_U64(cb_counters_enable(&cs), 0);
	CB_CHECK_U64(perf_compact_memory(), 0);
	CB_CHECK_U64(cb_counters_disable(&cs), 0);
	CB_CHECK_U64(cb_counters_read(&cs), 0);
	CB_CHECK(perf_val(&cs, "compaction:mm_compaction_begin") >= 1);
close:
	cb_counters_close(&cs);
}
