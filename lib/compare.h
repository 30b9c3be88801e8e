/* `cowbench compare`: result sets against a baseline. */
#ifndef CB_COMPARE_H
#define CB_COMPARE_H

#include <json-c/json.h>

#include "resultset.h"

/* The whole subcommand: cowbench compare [--format F] [--out DIR] [--force] [--timings] BASE OTHER...
 * Returns the exit status (0, 1, 2 for usage and bad input). */
int cb_compare_main(int argc, char **argv);

/* Flags of cb_compare_build. */
#define CB_CMP_FORCE   1 /* --force: compare across machines or THP settings */
#define CB_CMP_TIMINGS 2 /* --timings: compare timings of emulated runs with hardware ones */

/*
 * The comparison as a JSON object (what --format json prints; the HTML report renders it).
 * A run under TCG emulation ("virtualized": "tcg" in env.json) has emulated times: its timings are
 * not compared with those of a non-emulated run unless CB_CMP_TIMINGS; its deterministic outcomes
 * are. "timings": "hardware" (no run emulated), "emulated" (every run emulated: compared, but
 * emulated times), "not compared" (emulated and non-emulated runs: their timings not compared
 * with each other), "forced" (the same, compared anyway: CB_CMP_TIMINGS).
 * Shape (schema 1):
 * { "schema": 1, "baseline": label, "forced": bool, "timings": str, "warnings": [str],
 *   "runs": [ { "label", "dir", "run_id", "kernel_release", "virtualized": "tcg"|"kvm"|null,
 *               "emulated": bool, "vm": { "qemu", "arch", "kernel_source" } | null } ],
 *   "env_diff": [ { "field": "kernel.release", "values": [v_run0, v_run1, ...] } ],
 *   "instances": [ { "key", "scenario", "backing", "size_h",
 *       "status": [str per run, null where absent], "reason": [str|null per run],
 *       "metrics": [
 *         { "name": "ns_per_page", "unit": "ns", "better": "lower"|"higher", "kind": "stat",
 *           "runs": [ { "n", "median", "mean", "stddev", "min", "max" } | null ],
 *           "vs_baseline": [ null, { "ratio", "ci_lo", "ci_hi", "p_welch", "p_mannwhitney",
 *                                    "verdict": "regression"|"improvement"|"not significant"|"too few samples" }
 *                                  | { "timing": "emulated", "compared": false } ] },
 *             (a timing compared where a side is emulated also has "timing": "emulated", "compared": true)
 *         { "name": "cow.copy", "kind": "exact", "values": [v per run | null], "changed": bool } ],
 *       "behaviour_changes": [ "cow_child/thp/8M: cow.copy 2048 → 0" ] } ] }
 * The labels carry the virtualization: "6.12.57+deb13-amd64 (TCG emulation)", "… (KVM guest)".
 */
json_object *cb_compare_build(struct cb_resultset *sets, int n, unsigned flags, char *err, size_t errlen);

#endif
