/* Interference with a measured loop: what else had the measured task's CPU meanwhile. Read
 * only before and after the loop. */
#ifndef CB_INTERFERE_H
#define CB_INTERFERE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cb_interfere {
	uint64_t csw;               /* involuntary context switches of this thread (preempted) */
	uint64_t vcsw;              /* voluntary ones: it blocked (swap-in I/O, reclaim): recorded,
				     * never interference, part of what is measured */
	uint64_t migrations;        /* se.nr_migrations of this thread */
	uint64_t run_delay_ns;      /* time it waited on a runqueue (schedstat): preempted, off CPU */
	bool run_delay_ok;
	uint64_t irqs;              /* interrupts on the pinned CPU (/proc/interrupts column) */
	bool csw_ok, migrations_ok, irqs_ok;
	int cpu_at;                 /* the CPU the interrupts were read for */
};

/* Snapshot for the calling thread and CPU cpu. */
void cb_interfere_snap(int cpu, struct cb_interfere *s);
/* d = b - a (fields valid only where both were read). */
void cb_interfere_delta(const struct cb_interfere *a, const struct cb_interfere *b, struct cb_interfere *d);
/* Sum of column `col` (0-based CPU column) over /proc/interrupts rows; parsing only. Returns
 * 0 or -errno (-ENOENT: no such column). */
int cb_interrupts_column_sum(const char *text, int cpu, uint64_t *sum);
/*
 * Whether the interference over a loop of loop_ns is too much to trust it: any migration; off
 * its CPU (waiting on the runqueue after a preemption) more than 20 % of the loop; more
 * interrupts on the CPU than 100 + 5 per ms (a 250-1000 Hz tick and the IPIs a loop itself
 * causes stay below). Fills why ("off CPU 31 % of 23.1 ms (7 preemptions)").
 */
bool cb_interfere_excessive(const struct cb_interfere *d, uint64_t loop_ns, char *why, size_t len);

#endif
