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

/* A guard that moved names itself and its delta; counters that are no guard never trip it. */
CB_TEST(vmstat_guard_names_counter)
{
	static struct cb_vmstat d;
	char why[96] = "";

	d.n = 0;
	put(&d, "pgfault", 1000);
	put(&d, "thp_fault_alloc", 4);
	CB_CHECK_U64(cb_vmstat_guard(&d, false, why, sizeof(why)), 0);
	put(&d, "pgmigrate_success", 3);
	CB_CHECK_U64(cb_vmstat_guard(&d, false, why, sizeof(why)), 1);
	CB_CHECK_STR(why, "pgmigrate_success 3");
	d.n = 0;
	put(&d, "numa_hint_faults", 2);
	CB_CHECK_U64(cb_vmstat_guard(&d, false, why, sizeof(why)), 1);
	CB_CHECK_STR(why, "numa_hint_faults 2");
	/* An op (MADV_COLLAPSE) collapses by itself: only NUMA hinting guards it. */
	d.n = 0;
	put(&d, "thp_collapse_alloc", 4);
	CB_CHECK_U64(cb_vmstat_guard(&d, true, why, sizeof(why)), 0);
	CB_CHECK_U64(cb_vmstat_guard(&d, false, why, sizeof(why)), 1);
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
