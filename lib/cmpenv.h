/* The environment side of a comparison (cmpenv.c). */
#ifndef CB_CMPENV_H
#define CB_CMPENV_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "resultset.h"

/* How a timing of run i is compared with the baseline's. */
enum cb_timing {
	CB_TIMING_HW,	    /* neither side emulated */
	CB_TIMING_EMULATED, /* compared, but a side's times are emulated */
	CB_TIMING_SKIPPED,  /* one side emulated, the other not: not compared (no --timings) */
};

/* The env.json fields that differ, as [{ "field", "values": [per run] }]; NULL with the reason
 * in err when they differ in a way that needs force (another machine, other THP settings).
 * *forced_out tells whether force was needed; a warning says so. */
json_object *cb_env_diff(struct cb_resultset *sets, int n, bool force, bool *forced_out, json_object *warnings,
			 char *err, size_t errlen);
/* Which runs' timings are compared with the baseline's (timing[i]), with warnings that say so;
 * returns the value of "timings" (see compare.h). */
const char *cb_cmp_timings(struct cb_resultset *sets, int n, bool force, enum cb_timing *timing,
			   json_object *warnings);

#endif
