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
#define CB_CMP_PAIRED  4 /* --paired: the sides' runs are rounds, run i of each side in round i */

#define CB_CMP_FDR        0.05 /* --fdr: Benjamini-Hochberg false discovery rate */
#define CB_CMP_MIN_EFFECT 0.02 /* --min-effect: a smaller difference is not significant */

struct cb_drift;

struct cb_cmp_opts {
	unsigned flags; /* CB_CMP_* */
	double fdr;
	double min_effect;
	const struct cb_drift *drift; /* --drift FILE: run-level error of one run per side */
};

/*
 * The comparison as a JSON object (what --format json prints; every other format renders it).
 * Side i is made of the result sets j with side_of[j] == i (consecutive; side 0 the baseline).
 * When every side has two runs or more, each run's repetitions are summarised by their mean and
 * the runs are the samples ("unit": "run"); otherwise the repetitions are ("unit": "repetition"),
 * and a note says that boot-to-boot variance is not in the error.
 *
 * A run under TCG emulation ("virtualized": "tcg" in env.json) has emulated times: its timings are
 * not compared with those of a non-emulated run unless CB_CMP_TIMINGS; its outcomes are.
 * "timings": "hardware" (no run emulated), "emulated" (every run emulated: compared, but
 * emulated times), "not compared" (emulated and non-emulated runs: their timings not compared
 * with each other), "forced" (the same, compared anyway: CB_CMP_TIMINGS).
 *
 * Statistics: per metric and side the samples' summary; against the baseline Welch's t-test on
 * variances floored at the metric's "resolution" (a percentile's histogram bucket, the timer's
 * resolution, one event), with the ratio of means and its 95 % CI, or, when a side has outliers
 * (Tukey fences), Mann-Whitney with the Hodges-Lehmann shift (of the logs, as a ratio) and its
 * CI: "test" says which decided, "p" is its p-value, "q" the Benjamini-Hochberg adjusted one over
 * all "tests" of the comparison. "mde": the relative difference this n and spread detect with
 * 80 % power. Verdict: "regression"/"improvement" ("changed" for an outcome, which has no
 * better side) when q < fdr, the CI excludes 1 and the ratio is at least 1 + min_effect or at most
 * 1 / (1 + min_effect); "not significant"; "too few samples" (n < 2 on a side); "not testable"
 * (every sample of both sides identical).
 * Outcomes (COW counts, faults and allocations per page, TLB flushes per fault, folio layout) are
 * compared exactly only where the scenario declares them deterministic (struct cb_scenario) and
 * every ok repetition of every side agreed: a difference is a behaviour change. Otherwise a
 * number is compared as a distribution (a "stat" metric with "outcome": true, "better": "none")
 * and a folio layout is shown with "compared": false.
 * Repetitions marked "disturbed" are left out of every statistic and counted per side.
 *
 * Shape (schema 2):
 * { "schema": 2, "baseline": label, "forced": bool, "timings": str, "fdr", "min_effect",
 *   "unit": "run"|"repetition", "tests": N, "warnings": [str], "notes": [str],
 *   "runs": [ { "label", "dir", "run_id", "kernel_release", "virtualized": "tcg"|"kvm"|null,
 *               "emulated": bool, "vm": {...} | null,
 *               "members": [ { "dir", "run_id", "noise": env.json's noise section | null } ] } ],
 *   "env_diff": [ { "field": "kernel.release", "values": [v_side0, v_side1, ...] } ],
 *   "instances": [ { "key", "scenario", "backing", "size_h", "deterministic": bool,
 *       "status": [str per side, null where absent], "reason": [str|null], "disturbed": [count],
 *       "metrics": [
 *         { "name": "ns_per_page", "unit": "ns", "better": "lower"|"higher"|"none", "kind": "stat",
 *           "outcome": true (outcomes only), "resolution": r,
 *           "runs": [ { "n", "median", "mean", "stddev", "min", "max" } | null ],
 *           "vs_baseline": [ null, { "ratio", "ci_lo", "ci_hi", "test", "p", "q", "p_welch",
 *                                    "p_mannwhitney", "mde", "outliers": [n_base, n_side], "verdict" }
 *                                  | { "timing": "emulated", "compared": false } ] },
 *             (a timing compared where a side is emulated also has "timing": "emulated", "compared": true)
 *         { "name": "cow.copy", "kind": "exact", "compared": bool, "values": [v per side | null],
 *           "changed": bool, "varied": [bool per side] } ],
 *       "behaviour_changes": [ "cow_child/thp/8M: cow.copy 2048 → 0" ] } ] }
 * The labels carry the virtualization: "6.12.57+deb13-amd64 (TCG emulation)", "… (KVM guest)";
 * a side of several runs "6.18.0 (3 runs)".
 */
json_object *cb_compare_build_sides(struct cb_resultset *sets, int nsets, const int *side_of,
				    const struct cb_cmp_opts *opts, char *err, size_t errlen);
/* One side per result set, default fdr and min_effect. */
json_object *cb_compare_build(struct cb_resultset *sets, int n, unsigned flags, char *err, size_t errlen);

#endif
