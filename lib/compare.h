/* `cowbench compare`: result sets against a baseline. */
#ifndef CB_COMPARE_H
#define CB_COMPARE_H

#include <json-c/json.h>

#include "resultset.h"

/* The whole subcommand: cowbench compare [--format F] [--out DIR] [--force] BASE OTHER...
 * Returns the exit status (0, 1, 2 for usage and bad input). */
int cb_compare_main(int argc, char **argv);

/*
 * The comparison as a JSON object (what --format json prints; the HTML report renders it).
 * Shape (schema 1):
 * { "schema": 1, "baseline": label, "forced": bool, "warnings": [str],
 *   "runs": [ { "label", "dir", "run_id", "kernel_release" } ],
 *   "env_diff": [ { "field": "kernel.release", "values": [v_run0, v_run1, ...] } ],
 *   "instances": [ { "key", "scenario", "backing", "size_h",
 *       "status": [str per run, null where absent], "reason": [str|null per run],
 *       "metrics": [
 *         { "name": "ns_per_page", "unit": "ns", "better": "lower"|"higher", "kind": "stat",
 *           "runs": [ { "n", "median", "mean", "stddev", "min", "max" } | null ],
 *           "vs_baseline": [ null, { "ratio", "ci_lo", "ci_hi", "p_welch", "p_mannwhitney",
 *                                    "verdict": "regression"|"improvement"|"not significant"|"too few samples" } ] },
 *         { "name": "cow.copy", "kind": "exact", "values": [v per run | null], "changed": bool } ],
 *       "behaviour_changes": [ "cow_child/thp/8M: cow.copy 2048 → 0" ] } ] }
 */
json_object *cb_compare_build(struct cb_resultset *sets, int n, int force, char *err, size_t errlen);

#endif
