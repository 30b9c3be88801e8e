#include <errno.h>
#include <stdlib.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <numa.h>
#include <numaif.h>

#include "numa_place.h"
#include "unit.h"

#define NUMA_PAGES 64

static size_t numa_page(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* The node the calling task runs on, pinned to the first CPU it may use. */
static int numa_pin_first(int *cpu)
{
	cpu_set_t set, one;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -errno;
	for (*cpu = 0; *cpu < CPU_SETSIZE && !CPU_ISSET(*cpu, &set); (*cpu)++)
		;
	CPU_ZERO(&one);
	CPU_SET(*cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		return -errno;
	return cb_numa_cpu_node(*cpu);
}

static void numa_unpin(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	for (int i = 0; i < CPU_SETSIZE; i++)
		CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int numa_mode_now(void)
{
	int mode = -1;
	unsigned long mask[CB_NUMA_MASK_LONGS];

	if (get_mempolicy(&mode, mask, CB_NUMA_NODES_MAX + 1, NULL, 0))
		return -errno;
	return mode;
}

CB_TEST(numa_apply_none_changes_nothing)
{
	struct cb_numa_policy saved;
	char why[128] = "";
	int before = numa_mode_now();

	CB_CHECK_U64(cb_numa_apply("", 0, &saved, why, sizeof(why)), 0);
	CB_CHECK(!saved.saved);
	CB_CHECK_STR(why, "");
	CB_CHECK_U64(numa_mode_now(), before);
	CB_CHECK_U64(cb_numa_restore(&saved), 0);
	CB_CHECK_U64(cb_numa_apply("sideways", 0, &saved, why, sizeof(why)), -EINVAL);
	CB_CHECK_U64(numa_mode_now(), before);
}

CB_TEST(numa_remote_needs_two_nodes)
{
	struct cb_numa_policy saved;
	char why[128] = "", want[128];
	int before = numa_mode_now(), ret;

	if (numa_available() < 0)
		return;
	ret = cb_numa_apply("remote", 0, &saved, why, sizeof(why));
	if (numa_num_configured_nodes() >= 2) {
		/* Bound to a node that is not CPU 0's. */
		CB_CHECK_U64(ret, 0);
		CB_CHECK(saved.mem_node >= 0 && saved.mem_node != cb_numa_cpu_node(0));
		CB_CHECK_U64(numa_mode_now(), MPOL_BIND);
		CB_CHECK_U64(cb_numa_restore(&saved), 0);
	} else {
		snprintf(want, sizeof(want), "needs two NUMA nodes (this machine has %d)", numa_num_configured_nodes());
		CB_CHECK_U64(ret, 1);
		CB_CHECK_STR(why, want);
		CB_CHECK(!saved.saved);
	}
	CB_CHECK_U64(numa_mode_now(), before);
}

/* local binds to the CPU's node, interleave interleaves; both put the old policy back, and
 * every page touched meanwhile is where the policy says. */
CB_TEST(numa_local_and_interleave_place_pages)
{
	static const struct {
		const char *mode;
		int mpol;
	} cases[] = { { "local", MPOL_BIND }, { "interleave", MPOL_INTERLEAVE } };
	int before = numa_mode_now(), cpu = 0, node;

	if (numa_available() < 0)
		return;
	node = numa_pin_first(&cpu);
	CB_CHECK(node >= 0);
	for (size_t k = 0; k < 2 && node >= 0; k++) {
		struct cb_numa_policy saved;
		struct cb_numa_pages *np = calloc(1, sizeof(*np));
		char why[128] = "";
		char *p;
		uint64_t on_nodes = 0;

		CB_CHECK_U64(cb_numa_apply(cases[k].mode, cpu, &saved, why, sizeof(why)), 0);
		CB_CHECK(saved.saved);
		CB_CHECK_U64(numa_mode_now(), cases[k].mpol);
		CB_CHECK_U64(saved.mem_node, k == 0 ? node : -1);
		p = mmap(NULL, NUMA_PAGES * numa_page(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CB_CHECK(p != MAP_FAILED && np);
		if (p != MAP_FAILED && np) {
			memset(p, 1, NUMA_PAGES * numa_page());
			CB_CHECK_U64(cb_numa_pages_query(p, numa_page(), NUMA_PAGES, np), 0);
			if (k == 0 || numa_num_configured_nodes() == 1)
				CB_CHECK_U64(np->by_node[node], NUMA_PAGES);
			for (int n = 0; n < CB_NUMA_NODES_MAX; n++)
				on_nodes += np->by_node[n];
			CB_CHECK_U64(on_nodes, NUMA_PAGES);
			CB_CHECK_U64(np->absent, 0);
			CB_CHECK_U64(np->task_node, node);
			munmap(p, NUMA_PAGES * numa_page());
		}
		free(np);
		CB_CHECK_U64(cb_numa_restore(&saved), 0);
		CB_CHECK_U64(numa_mode_now(), before);
	}
	numa_unpin();
}

/* Pages never touched have no node; a stride picks one page in every `stride`. */
CB_TEST(numa_pages_query_absent_and_stride)
{
	struct cb_numa_pages *np = calloc(1, sizeof(*np));
	size_t len = 2 * NUMA_PAGES * numa_page();
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t on_nodes = 0;

	CB_CHECK(np && p != MAP_FAILED);
	if (!np || p == MAP_FAILED)
		goto free_np;
	/* Base pages only: while another test on the machine sets an mTHP size to `always`, one
	 * touch would populate its untouched neighbours too (absent 4-32 of 64 seen). */
	CB_CHECK_U64(madvise(p, len, MADV_NOHUGEPAGE), 0);
	CB_CHECK_U64(cb_numa_pages_query(p, numa_page(), 2 * NUMA_PAGES, np), 0);
	CB_CHECK(np->noted);
	CB_CHECK_U64(np->absent, 2 * NUMA_PAGES);
	/* Touch the even pages only, then ask for those: all present. */
	for (size_t i = 0; i < 2 * NUMA_PAGES; i += 2)
		p[i * numa_page()] = 1;
	CB_CHECK_U64(cb_numa_pages_query(p, 2 * numa_page(), NUMA_PAGES, np), 0);
	CB_CHECK_U64(np->absent, 0);
	for (int n = 0; n < CB_NUMA_NODES_MAX; n++)
		on_nodes += np->by_node[n];
	CB_CHECK_U64(on_nodes, NUMA_PAGES);
	CB_CHECK_U64(cb_numa_pages_query(p + numa_page(), 2 * numa_page(), NUMA_PAGES, np), 0);
	CB_CHECK_U64(np->absent, NUMA_PAGES);
	munmap(p, len);
free_np:
	free(np);
}

/* The counting-pass hook: nowhere without a sink; into shared memory from a forked child. */
CB_TEST(numa_pages_note_reaches_sink_from_child)
{
	struct cb_numa_pages *sink = mmap(NULL, sizeof(*sink), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char *p = mmap(NULL, NUMA_PAGES * numa_page(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t on_nodes = 0;
	int status;
	pid_t pid;

	CB_CHECK(sink != MAP_FAILED && p != MAP_FAILED);
	if (sink == MAP_FAILED || p == MAP_FAILED)
		return;
	cb_numa_pages_sink(NULL);
	cb_numa_pages_note(p, numa_page(), NUMA_PAGES);
	CB_CHECK(!sink->noted);
	cb_numa_pages_sink(sink);
	pid = fork();
	if (pid == 0) {
		memset(p, 1, NUMA_PAGES * numa_page());
		cb_numa_pages_note(p, numa_page(), NUMA_PAGES);
		_exit(0);
	}
	CB_CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status));
	cb_numa_pages_sink(NULL);
	CB_CHECK(sink->noted);
	CB_CHECK_U64(sink->err, 0);
	for (int n = 0; n < CB_NUMA_NODES_MAX; n++)
		on_nodes += sink->by_node[n];
	CB_CHECK_U64(on_nodes, NUMA_PAGES);
	munmap(p, NUMA_PAGES * numa_page());
	munmap(sink, sizeof(*sink));
}
