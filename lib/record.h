/* The result record: one JSON object per scenario instance and repetition (JSON Lines),
 * schema 1, documented in README.md. */
#ifndef CB_RECORD_H
#define CB_RECORD_H

#include <stdio.h>

#include <json-c/json.h>

#include "numa_place.h"
#include "opts.h"
#include "scenario.h"

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
	double repeat_ci;           /* repeat = auto: CI half-width over the mean after this repetition */
	const char *repeat_stop;    /* repeat = auto: what stopped it at this repetition, NULL: not yet */
};

const char *cb_status_name(int status);
json_object *cb_record_build(const struct cb_record_in *in);
/* One line, flushed. Returns 0 or -errno. */
int cb_record_write(FILE *out, json_object *rec);

/* Reading records back (tests, summaries, later comparisons). */
double cb_record_num(json_object *rec, const char *path); /* "cow.copy" → value, NaN if absent */

#endif
