/* The verdicts of a comparison: the common shift of the timings, each test relative to it and,
 * where run-level error is known, against 1. */
#ifndef CB_CMPJUDGE_H
#define CB_CMPJUDGE_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "cmpcommon.h"

/* Where the error of a run's common shift comes from. */
enum cb_run_error {
	CB_RUNERR_NONE,   /* one run per side: the shift cannot be told from run drift */
	CB_RUNERR_RUNS,   /* several runs per side: each run's shift is a sample */
	CB_RUNERR_ROUNDS, /* runs paired by round (interleaved boots): each round's ratio a sample */
	CB_RUNERR_DRIFT,  /* a calibration of this machine (compare --calibrate) */
};

/* A calibration: the run-to-run drift of one machine's common shift and of each test. */
struct cb_drift {
	int runs;        /* calibration runs (>= CB_DRIFT_MIN_RUNS) */
	double shift_sd; /* sd of a run's common shift, log scale */
	json_object *tests; /* { "KEY metric": sd of the test's run mean, log scale } */
	json_object *fingerprint;
	json_object *root; /* owns the above */
};
#define CB_DRIFT_MIN_RUNS 5

/* A timing test's per-run samples (log of each run's mean), for the run levels of RUNS and
 * ROUNDS: the baseline's runs in a[], side `side`'s in b[] (paired: b[r] with a[r]). */
struct cb_judge_runs {
	json_object *e; /* the vs_baseline entry */
	int side;
	int na, nb;
	double a[CB_CMP_MAX_RUNS], b[CB_CMP_MAX_RUNS];
};

struct cb_judge_in {
	int nsides;
	double fdr, min_effect;
	enum cb_run_error error;
	const struct cb_drift *drift;      /* with CB_RUNERR_DRIFT */
	const struct cb_judge_runs *runs;  /* with CB_RUNERR_RUNS / ROUNDS */
	size_t nruns;
};

/*
 * Every verdict of the comparison, written into the model: per side the common shift
 * ("shift": [null, {...}] as compare.h describes), per test its relative verdict and the verdict
 * that counts, q over one Benjamini-Hochberg family, the detectable effect at the threshold one
 * discovery of that family needs; notes appended. Returns the number of tests.
 */
size_t cb_cmp_judge(json_object *cmp, json_object *instances, const struct cb_judge_in *in);

/* Whether a metric's unit is a time or a rate of time. */
bool cb_cmp_is_timing(const char *unit);
/* An instance's backing family: base, thp, thp_pte (every PTE-mapped THP), mthp_64K, ... */
void cb_cmp_family(const char *backing, char *buf, size_t len);

/* compare --calibrate: the drift of n >= CB_DRIFT_MIN_RUNS result sets of one kernel, as the file's
 * JSON; NULL with err. */
json_object *cb_drift_build(const struct cb_resultset *sets, int n, char *err, size_t errlen);
/* Loads a drift file and checks it against every result set's machine; -errno / -EINVAL with err. */
int cb_drift_load(const char *path, const struct cb_resultset *sets, int n, struct cb_drift *out, char *err,
		  size_t errlen);
void cb_drift_free(struct cb_drift *d);

#endif
