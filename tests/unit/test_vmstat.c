#include <string.h>

#include "unit.h"
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
	CB_CHECK_U64(cb_vmstat_guard(&d, why, sizeof(why)), 0);
	put(&d, "pgmigrate_success", 3);
	CB_CHECK_U64(cb_vmstat_guard(&d, why, sizeof(why)), 1);
	CB_CHECK_STR(why, "pgmigrate_success 3");
	d.n = 0;
	put(&d, "numa_hint_faults", 2);
	CB_CHECK_U64(cb_vmstat_guard(&d, why, sizeof(why)), 1);
	CB_CHECK_STR(why, "numa_hint_faults 2");
}
