/* The result record: one JSON object per scenario instance and repetition (JSON Lines),
 * schema 1, documented in docs/records.md. */
#ifndef CB_RECORD_H
#define CB_RECORD_H

#include <stdio.h>

#include <json-c/json.h>

#include "numa_place.h"
#include "opts.h"
#include "scenario.h"
#include "swap.h"

struct cb_record_in {
	const char *run_id;
	const struct cb_scenario *scn;
	const struct cb_opts *opts;
	int cpu;
	int rep;                    /* 1-based */
	int status;                 /* enum cb_status */
	const char *reason;
	const struct cb_pass_result *timing, *counting; /* NULL when the pass did not run */
	const char *source;         /* who timed it: NULL = cowbench's passes, "hyperfine" (no counting pass) */
	const struct cb_numa_pages *numa; /* the counting pass's page nodes, NULL or !noted: none */
	const char *swap;           /* cb_swap_describe during the instance; NULL: "none" */
	const char *numa_balancing; /* kernel.numa_balancing during the instance; NULL: not offered */
	const struct cb_swap_state *swap_state; /* instances that use swap: around this repetition; else NULL */
	/* The latencies of the ops that faulted (lib/faultlat.h), or NULL and why not. */
	const struct cb_hist *fault_hist;
	const char *fault_withheld;
	double repeat_ci;           /* repeat = auto: CI half-width over the mean after this repetition */
	const char *repeat_stop;    /* repeat = auto: what stopped it at this repetition, NULL: not yet */
	bool ns_timed;              /* ns_per_page from the timing pass even where an untimed pass ran
				     * (cb_record_ns_timed), the same for every repetition of an instance */
};

const char *cb_status_name(int status);
/*
 * Whether an instance's ns_per_page comes from its timing pass rather than its untimed one,
 * decided once from its backing before the repetitions, so that no instance mixes the two. Where
 * the backing maps PMD-size THPs (thp, swapped_thp, sys), an untimed write loop takes spurious
 * faults: on a host that caches a 2 MiB mapping's translations in 4 KiB pieces, the stores the
 * CPU ran ahead of a write fault at a read-only PMD-mapped THP cached read-only pieces that fault
 * again once the PMD is writable, a number that the CPU decides, not the kernel, and that varies
 * from pass to pass. The timing pass takes none (its timer reads serialize the loop); its figure
 * includes one timer read per page (ns_per_page_timer_ns).
 */
bool cb_record_ns_timed(const struct cb_backing *bk);
/* Whether the timing and untimed passes' PFN outcomes match the counting pass's classification
 * (true where either side was not classified: nothing to disagree). */
bool cb_record_passes_agree(const struct cb_pass_result *t, const struct cb_pass_result *c);
/* A repetition's ns_per_page from the loop the instance takes it from (t: the timing pass's result
 * with the untimed pass's filled in). */
double cb_record_ns_per_page(const struct cb_pass_result *t, bool ns_timed);
json_object *cb_record_build(const struct cb_record_in *in);
/* One line, flushed. Returns 0 or -errno. */
int cb_record_write(FILE *out, json_object *rec);

/* Reading records back (tests, summaries, later comparisons). */
double cb_record_num(json_object *rec, const char *path); /* "cow.copy" → value, NaN if absent */

#endif
