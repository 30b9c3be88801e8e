/* Memory cgroups (v1 on the development machine, v2 where available) and swap descriptions.
 * Root only; the settings journal is the unit tests' private one (test_settings.c). */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "settings.h"
#include "swap.h"
#include "sysfs.h"
#include "unit.h"

static bool memcg_possible(void)
{
	return geteuid() == 0 && strstr(cb_settings_journal_path(), "/tmp/") != NULL;
}

static bool dir_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Whether task pid's cgroup (any hierarchy) ends with the group's directory name. */
static bool task_in(pid_t pid, const struct cb_memcg *m)
{
	char path[64], line[1024];
	const char *name = strrchr(m->path, '/');
	bool in = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strlen(line) > strlen(name) && strcmp(line + strlen(line) - strlen(name), name) == 0 &&
		    (m->version == 2 || strstr(line, "memory")))
			in = true;
	}
	if (f)
		fclose(f);
	return in;
}

/* Shared with the child that creates the group, so the parent learns its path. */
static struct cb_memcg *mmap_shared_memcg(void)
{
	void *p = mmap(NULL, sizeof(struct cb_memcg), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static uint64_t read_u64(const struct cb_memcg *m, const char *file)
{
	char path[600], val[64];

	snprintf(path, sizeof(path), "%s/%s", m->path, file);
	return cb_sysfs_read(path, val, sizeof(val)) > 0 ? strtoull(val, NULL, 10) : UINT64_MAX;
}

CB_TEST(swap_memcg_create_limit_enter_destroy)
{
	struct cb_memcg m;
	struct cb_vmstat vs;
	char why[256] = "";
	int mark, ret, pipefd[2];
	pid_t child;

	if (!memcg_possible()) {
		printf("skip unit/swap_memcg_create_limit_enter_destroy: needs root\n");
		return;
	}
	mark = cb_settings_push();
	ret = cb_memcg_create(&m, "unit", why, sizeof(why));
	CB_CHECK(ret == 0 || ret == -ENODEV);
	if (ret) {
		printf("skip unit/swap_memcg_create_limit_enter_destroy: %s\n", why);
		cb_settings_pop(mark);
		return;
	}
	CB_CHECK(dir_exists(m.path));
	CB_CHECK(m.version == 1 || m.version == 2);
	CB_CHECK_U64(cb_memcg_limit(&m, 64ull << 20, 48ull << 20, 32ull << 20), 0);
	if (m.version == 1) {
		CB_CHECK_U64(read_u64(&m, "memory.limit_in_bytes"), 64ull << 20);
		if (read_u64(&m, "memory.memsw.limit_in_bytes") != UINT64_MAX)
			CB_CHECK_U64(read_u64(&m, "memory.memsw.limit_in_bytes"), 96ull << 20);
		/* Raising the limit above the old memsw works (memsw opened first). */
		CB_CHECK_U64(cb_memcg_limit(&m, 128ull << 20, 0, 0), 0);
		CB_CHECK_U64(read_u64(&m, "memory.limit_in_bytes"), 128ull << 20);
	} else {
		CB_CHECK_U64(read_u64(&m, "memory.max"), 64ull << 20);
		CB_CHECK_U64(read_u64(&m, "memory.high"), 48ull << 20);
		CB_CHECK_U64(read_u64(&m, "memory.swap.max"), 32ull << 20);
	}
	/* A child enters and stays: destroy must move it out before rmdir. */
	CB_CHECK(pipe(pipefd) == 0);
	child = fork();
	if (child == 0) {
		char c;

		close(pipefd[1]);
		if (read(pipefd[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(pipefd[0]);
	CB_CHECK_U64(cb_memcg_enter(&m, child), 0);
	CB_CHECK(task_in(child, &m));
	CB_CHECK(!task_in(getpid(), &m));
	CB_CHECK_U64(cb_memcg_snap(&m, &vs), 0);
	CB_CHECK(vs.n > 0);
	CB_CHECK(strncmp(vs.e[0].name, "memcg.", 6) == 0);
	CB_CHECK_U64(cb_memcg_destroy(&m), 0);
	CB_CHECK(!dir_exists(m.path));
	CB_CHECK(!task_in(child, &m));
	close(pipefd[1]);
	waitpid(child, NULL, 0);
	CB_CHECK_U64(cb_settings_pop(mark), 0);
}

/* The caller itself in the group, the scope popped without destroy: the "!rmdir" undo cannot
 * remove a group that still has tasks; cb_memcg_destroy first, as the runner does. */
CB_TEST(swap_memcg_enter_self_destroy)
{
	struct cb_memcg m;
	char why[256];
	int mark;

	if (!memcg_possible()) {
		printf("skip unit/swap_memcg_enter_self_destroy: needs root\n");
		return;
	}
	mark = cb_settings_push();
	if (cb_memcg_create(&m, "self", why, sizeof(why))) {
		printf("skip unit/swap_memcg_enter_self_destroy: %s\n", why);
		cb_settings_pop(mark);
		return;
	}
	CB_CHECK_U64(cb_memcg_enter(&m, 0), 0);
	CB_CHECK(task_in(getpid(), &m));
	CB_CHECK(rmdir(m.path) != 0 && errno == EBUSY);
	CB_CHECK_U64(cb_memcg_destroy(&m), 0);
	CB_CHECK(!task_in(getpid(), &m));
	CB_CHECK(!dir_exists(m.path));
	CB_CHECK_U64(cb_settings_pop(mark), 0);
}

/* A process killed with its group alive: the journal (replayed by the next run) removes it. */
CB_TEST(swap_memcg_killed_removed_by_recover)
{
	struct cb_memcg *m = mmap_shared_memcg();
	int pipefd[2], restored = -1;
	pid_t child;
	char c;

	if (!memcg_possible() || !m) {
		printf("skip unit/swap_memcg_killed_removed_by_recover: needs root\n");
		return;
	}
	/* The child must own the journal (and its lock) as a run of its own would: close ours. */
	CB_CHECK_U64(cb_settings_restore(), 0);
	CB_CHECK(pipe(pipefd) == 0);
	child = fork();
	if (child == 0) {
		char why[256];

		close(pipefd[0]);
		/* The child's workload is in the group, the creator is not: the group is empty when
		 * the creator dies only once the workload died too (the kill takes both). */
		if (cb_memcg_create(m, "killed", why, sizeof(why)) == 0 && cb_memcg_enter(m, 0) == 0 &&
		    write(pipefd[1], "r", 1) == 1)
			pause();
		_exit(1);
	}
	close(pipefd[1]);
	if (read(pipefd[0], &c, 1) != 1) {
		CB_CHECK(!"the child did not create its group");
		waitpid(child, NULL, 0);
		return;
	}
	close(pipefd[0]);
	CB_CHECK(dir_exists(m->path));
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	/* Still there after the kill: the test can fail. */
	CB_CHECK(dir_exists(m->path));
	CB_CHECK_U64(cb_settings_recover(&restored), 0);
	CB_CHECK_U64(restored, 1);
	CB_CHECK(!dir_exists(m->path));
	rmdir(m->path);
	munmap(m, sizeof(*m));
}

CB_TEST(swap_describe_matches_proc_swaps)
{
	char buf[512], line[512];
	int n = 0;
	FILE *f = fopen("/proc/swaps", "r");

	while (f && fgets(line, sizeof(line), f))
		n += line[0] == '/';
	if (f)
		fclose(f);
	cb_swap_describe(buf, sizeof(buf));
	if (n == 0)
		CB_CHECK_STR(buf, "none");
	else
		CB_CHECK(strstr(buf, " prio ") != NULL);
}

CB_TEST(swap_setup_none_and_bad_kind)
{
	struct cb_swap_conf c = { .kind = "none" };
	char why[256];

	CB_CHECK_U64(cb_swap_setup(&c, why, sizeof(why)), (uint64_t)-ENOENT);
	CB_CHECK_STR(why, "swap = none");
	if (geteuid() == 0) {
		snprintf(c.kind, sizeof(c.kind), "floppy");
		CB_CHECK_U64(cb_swap_setup(&c, why, sizeof(why)), (uint64_t)-EINVAL);
		CB_CHECK(strstr(why, "unknown swap kind 'floppy'") != NULL);
	}
}

/* The swap state's counters are deltas by folio size; the settings are the later snapshot's. */
CB_TEST(swap_state_delta)
{
	struct cb_swap_state a = { .page_cluster = 1, .nsizes = 2 }, b = { .page_cluster = 3, .nsizes = 2 }, d;

	a.size[0].kb = 64;
	a.size[1].kb = 2048;
	b.size[0].kb = 2048;
	b.size[1].kb = 64;
	for (int k = 0; k < CB_SWAP_MTHP_STATS; k++) {
		a.size[0].v[k] = 10;
		a.size[1].v[k] = 5;
		b.size[0].v[k] = 5 + k;
		b.size[1].v[k] = 10 + 2 * k;
	}
	a.size[0].v[4] = -1;
	snprintf(b.zswap, sizeof(b.zswap), "N");
	cb_swap_state_delta(&a, &b, &d);
	CB_CHECK_U64(d.page_cluster, 3);
	CB_CHECK_STR(d.zswap, "N");
	CB_CHECK_U64(d.size[0].kb, 2048);
	CB_CHECK_U64(d.size[0].v[2], 2);
	CB_CHECK_U64(d.size[1].v[3], 6);
	/* A counter one snapshot lacks has no delta. */
	CB_CHECK(d.size[1].v[4] == -1);
	cb_swap_state_snap(&a);
	CB_CHECK(a.page_cluster >= 0 || access("/proc/sys/vm/page-cluster", R_OK) != 0);
}
