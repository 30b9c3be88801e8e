/* The result record: one JSON object per scenario instance and repetition (JSON Lines),
 * schema 1, documented in README.md. */
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
	double repeat_ci;           /* repeat = auto: CI half-width over the mean after this repetition */
	const char *repeat_stop;    /* repeat = auto: what stopped it at this repetition, NULL: not yet */
};

const char *cb_status_name(int status);
/*
 * Whether a repetition's ns_per_page is withheld: its untimed loop (t) took more faults than the
 * counting pass (c) saw decisions (faults.total), in a scenario whose faults are the kernel's
 * exact decision. The extra faults decided nothing: on a host that caches a 2 MiB mapping's
 * translations in 4 KiB pieces, the stores the CPU ran ahead of a write fault at a read-only
 * PMD-mapped THP cached read-only pieces that fault again once the PMD is writable, a number that
 * varies from pass to pass. Fills why when withheld.
 */
bool cb_record_untimed_withheld(const struct cb_pass_result *t, const struct cb_pass_result *c, bool deterministic,
				char *why, size_t len);
json_object *cb_record_build(const struct cb_record_in *in);
/* One line, flushed. Returns 0 or -errno. */
int cb_record_write(FILE *out, json_object *rec);

/* Reading records back (tests, summaries, later comparisons). */
double cb_record_num(json_object *rec, const char *path); /* "cow.copy" → value, NaN if absent */

#endif
