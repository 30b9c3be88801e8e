#include <errno.h>
#include <string.h>

#include "unit.h"
#include "interfere.h"
#include "vmstat.h"

static void put(struct cb_vmstat *s, const char *name, int64_t v)
{
	snprintf(s->e[s->n].name, CB_VMSTAT_NAME, "%s", name);
	s->e[s->n++].v = v;
}

/* NUMA hinting guards a pass and names itself; system-wide compaction, migration and collapse
 * counters move with any process's work (and the measured task's own direct compaction, a
 * figure) and never trip it. */
CB_TEST(vmstat_guard_names_counter)
{
	static struct cb_vmstat d;
	char why[96] = "";

	d.n = 0;
	put(&d, "pgfault", 1000);
	put(&d, "thp_fault_alloc", 4);
	put(&d, "compact_stall", 2);
	put(&d, "compact_isolated", 300);
	put(&d, "pgmigrate_success", 3);
	put(&d, "thp_collapse_alloc", 4);
	put(&d, "allocstall_normal", 1);
	CB_CHECK_U64(cb_vmstat_guard(&d, why, sizeof(why)), 0);
	put(&d, "numa_hint_faults", 2);
	CB_CHECK_U64(cb_vmstat_guard(&d, why, sizeof(why)), 1);
	CB_CHECK_STR(why, "numa_hint_faults 2");
	d.n = 0;
	put(&d, "numa_pages_migrated", 5);
	CB_CHECK_U64(cb_vmstat_guard(&d, why, sizeof(why)), 1);
	CB_CHECK_STR(why, "numa_pages_migrated 5");
}

static void kwork_put(struct cb_kwork *k, const char *comm, uint64_t ns)
{
	snprintf(k->t[k->n].comm, sizeof(k->t[0].comm), "%s", comm);
	k->t[k->n].ns = ns;
	k->t[k->n++].ok = true;
}

/* A background kernel thread's CPU time over the loop disturbs it from 1 ms on, naming each such
 * thread and its ms; a thread unread in either snapshot counts nothing. */
CB_TEST(kwork_threshold_names_threads)
{
	static const struct {
		const char *comm;
		uint64_t before, after;
	} threads[] = { { "kcompactd0", 5000000, 5999999 }, { "kswapd0", 100, 100 }, { "khugepaged", 7000000, 7000000 } };
	struct cb_kwork a = { .read = true }, b = { .read = true }, d;
	char why[160] = "";

	for (size_t i = 0; i < sizeof(threads) / sizeof(threads[0]); i++) {
		kwork_put(&a, threads[i].comm, threads[i].before);
		kwork_put(&b, threads[i].comm, threads[i].after);
	}
	cb_kwork_delta(&a, &b, &d);
	CB_CHECK(d.read);
	CB_CHECK_U64(d.t[0].ns, 999999);
	CB_CHECK(!cb_kwork_excessive(&d, 20000000, why, sizeof(why)));
	b.t[0].ns = 6000000;
	b.t[2].ns = 10250000;
	cb_kwork_delta(&a, &b, &d);
	CB_CHECK(cb_kwork_excessive(&d, 16400000, why, sizeof(why)));
	CB_CHECK_STR(why, "background kernel work: kcompactd0 ran 1.0 ms, khugepaged ran 3.2 ms around the 16.4 ms loop");
	/* The same through the interference check, ahead of the task's own figures. */
	{
		struct cb_interfere i = { .kwork = d, .migrations_ok = true, .migrations = 1 };

		CB_CHECK(cb_interfere_excessive(&i, 16400000, why, sizeof(why)));
		CB_CHECK(strncmp(why, "background kernel work: kcompactd0", 34) == 0);
	}
	/* The same milliseconds over a 6 s loop (a TCG guest's): under 1 % of it, no disturbance. */
	CB_CHECK(!cb_kwork_excessive(&d, 6151500000ull, why, sizeof(why)));
	b.t[2].ok = false;
	b.t[0].ns = 5000000;
	cb_kwork_delta(&a, &b, &d);
	CB_CHECK(!d.t[2].ok);
	CB_CHECK(!cb_kwork_excessive(&d, 16400000, why, sizeof(why)));
	/* A thread list that changed between the snapshots is no delta. */
	b.n = 2;
	cb_kwork_delta(&a, &b, &d);
	CB_CHECK(!d.read);
}

/* CPU time from schedstat (ns), else stat's utime + stime in ticks; a comm with spaces and
 * parentheses does not shift stat's fields. */
CB_TEST(kwork_parse_cpu_time)
{
	uint64_t ns = 0;

	CB_CHECK_U64(cb_kwork_parse_ns("11934566 462404451 739\n", NULL, 100, &ns), 0);
	CB_CHECK_U64(ns, 11934566);
	CB_CHECK_U64(cb_kwork_parse_ns(NULL, "38 (k (x) y) S 2 0 0 0 -1 2129984 0 0 0 0 3 4 0 0 20 0 1 0 5 0 0\n", 100,
				       &ns), 0);
	CB_CHECK_U64(ns, 70000000);
	CB_CHECK(cb_kwork_parse_ns(NULL, "38 (kswapd0) S 2", 100, &ns) == -EINVAL);
	CB_CHECK(cb_kwork_parse_ns("x", NULL, 100, &ns) == -EINVAL);
}

/* The threads of this machine are found by comm among kthreadd's children, and read. */
CB_TEST(kwork_snap_finds_threads)
{
	struct cb_kwork s;
	char comm[32];
	FILE *f = fopen("/proc/2/comm", "re");
	bool kthreadd = f && fgets(comm, sizeof(comm), f) && !strncmp(comm, "kthreadd", 8), kswapd = false;

	if (f)
		fclose(f);
	cb_kwork_snap(&s);
	CB_CHECK(s.read);
	if (!kthreadd) {
		printf("skip unit/kwork_snap_finds_threads: no kthreadd at pid 2 (a container)\n");
		return;
	}
	/* kswapd runs on every kernel with memory (one per node). */
	for (int i = 0; i < s.n; i++) {
		CB_CHECK(s.t[i].ok);
		kswapd |= !strcmp(s.t[i].comm, "kswapd0");
	}
	CB_CHECK(kswapd);
}

/* The pinned CPU's column of /proc/interrupts, found by name (CPU1 is the second column here),
 * rows with fewer columns (ERR, MIS) counted only as far as they go. */
CB_TEST(interrupts_column_sum_by_cpu)
{
	static const char text[] = "           CPU0       CPU1       \n"
				   "  0:         10          1   IO-APIC   2-edge      timer\n"
				   "LOC:       1000       2000   Local timer interrupts\n"
				   "TLB:          5          7   TLB shootdowns\n"
				   "ERR:          3\n";
	uint64_t sum = 0;

	CB_CHECK_U64(cb_interrupts_column_sum(text, 1, &sum), 0);
	CB_CHECK_U64(sum, 2008);
	CB_CHECK_U64(cb_interrupts_column_sum(text, 0, &sum), 0);
	CB_CHECK_U64(sum, 1018);
	CB_CHECK(cb_interrupts_column_sum(text, 2, &sum) == -ENOENT);
}

/* Thresholds: any migration; off CPU over 20 % of the loop; interrupts over 100 + 5 per ms. */
CB_TEST(interfere_thresholds)
{
	struct cb_interfere d = { .csw_ok = true, .migrations_ok = true, .irqs_ok = true, .run_delay_ok = true };
	char why[128];

	d.csw = 3;
	d.run_delay_ns = 1000000;
	CB_CHECK(!cb_interfere_excessive(&d, 5000000, why, sizeof(why)));
	d.run_delay_ns = 1000001;
	CB_CHECK(cb_interfere_excessive(&d, 5000000, why, sizeof(why)));
	CB_CHECK(strstr(why, "off CPU 20 % of 5.0 ms (3 preemptions)") != NULL);
	d.run_delay_ns = 0;
	d.migrations = 1;
	CB_CHECK(cb_interfere_excessive(&d, 5000000, why, sizeof(why)));
	d.migrations = 0;
	d.irqs = 200;
	CB_CHECK(cb_interfere_excessive(&d, 10000000, why, sizeof(why)));
}
