/* compare --calibrate and --drift: the run-to-run drift of one machine, measured once from several
 * runs of one kernel and used where a comparison has one run per side. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb.h"
#include "cmpcommon.h"
#include "cmpjudge.h"
#include "cmpstats.h"
#include "compare.h"
#include "stats.h"

/* What a drift file is valid for: the machine and its settings, never the kernel. A native
 * calibration says nothing of TCG runs, nor the reverse. */
static const char *const drift_fields[] = { "hostname", "cpu.model", "cpu.online", "memory.total_kb",
					    "virtualized", "thp.enabled", "thp.defrag", "thp.mthp" };

static int drift_order(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

static double drift_sd(const double *v, int n)
{
	double m, var;

	return cb_moments(v, (size_t)n, &m, &var) ? NAN : sqrt(var);
}

/* A timing metric's run means, one per run, as logs; false unless every run has a positive one. */
static bool drift_logs(json_object *mo, int n, double *out)
{
	json_object *runs = cb_jget(mo, "runs");

	if (strcmp(cb_jstr(mo, "kind") ?: "", "stat") || json_object_get_boolean(cb_jget(mo, "outcome")) ||
	    !cb_cmp_is_timing(cb_jstr(mo, "unit")) || (int)cb_jlen(runs) != n)
		return false;
	for (int j = 0; j < n; j++) {
		double m = cb_jnum(cb_jidx(runs, (size_t)j), "mean");

		if (!(m > 0))
			return false;
		out[j] = log(m);
	}
	return true;
}

json_object *cb_drift_build(const struct cb_resultset *sets, int n, char *err, size_t errlen)
{
	int side_of[CB_CMP_MAX_RUNS];
	struct cb_cmp_opts opts = { .fdr = CB_CMP_FDR, .min_effect = CB_CMP_MIN_EFFECT };
	json_object *cmp, *inst, *out = NULL, *tests, *fp;
	double *lv = NULL, *col = NULL, level[CB_CMP_MAX_RUNS];
	size_t nt = 0, cap = 0;

	if (n < CB_DRIFT_MIN_RUNS || n > CB_CMP_MAX_RUNS) {
		snprintf(err, errlen, "--calibrate needs %d to %d runs of one kernel on this machine, not %d",
			 CB_DRIFT_MIN_RUNS, CB_CMP_MAX_RUNS, n);
		return NULL;
	}
	for (int i = 0; i < n; i++)
		side_of[i] = i;
	/* The comparison of every run with the first: its checks (one machine, one THP setting) and
	 * each run's mean of every timing, as every comparison computes them. */
	cmp = cb_compare_build_sides((struct cb_resultset *)sets, n, side_of, &opts, err, errlen);
	if (!cmp)
		return NULL;
	for (int i = 1; i < n; i++)
		if (!cb_jstr_eq(cb_jpath(sets[0].env, "kernel.release"), cb_jpath(sets[i].env, "kernel.release"))) {
			snprintf(err, errlen, "--calibrate: %s and %s are of different kernels: calibrate with runs of one",
				 sets[0].dir, sets[i].dir);
			goto put_cmp;
		}
	inst = cb_jget(cmp, "instances");
	tests = json_object_new_object();
	/* Every timing test's logs, one row of n per test. */
	for (size_t i = 0; i < cb_jlen(inst); i++) {
		json_object *metrics = cb_jget(cb_jidx(inst, i), "metrics");

		for (size_t m = 0; m < cb_jlen(metrics); m++) {
			char key[CB_KEY_MAX + 100];

			if (nt == cap) {
				double *more = realloc(lv, (cap = cap ? 2 * cap : 64) * (size_t)n * sizeof(*lv));

				if (!more)
					goto put_tests;
				lv = more;
			}
			if (!drift_logs(cb_jidx(metrics, m), n, lv + nt * (size_t)n))
				continue;
			snprintf(key, sizeof(key), "%s %s", cb_jstr(cb_jidx(inst, i), "key") ?: "?",
				 cb_jstr(cb_jidx(metrics, m), "name") ?: "?");
			json_object_object_add(tests, key, cb_num_json(drift_sd(lv + nt * (size_t)n, n)));
			nt++;
		}
	}
	if (nt < 5) {
		snprintf(err, errlen, "--calibrate: %zu timing tests common to every run: too few for a run's shift", nt);
		goto put_tests;
	}
	col = malloc(nt * sizeof(*col));
	if (!col)
		goto put_tests;
	/* A run's shift: the median over the tests of its log mean less the test's mean over runs. */
	for (int j = 0; j < n; j++) {
		for (size_t t = 0; t < nt; t++) {
			double ref = 0;

			for (int k = 0; k < n; k++)
				ref += lv[t * (size_t)n + (size_t)k];
			col[t] = lv[t * (size_t)n + (size_t)j] - ref / n;
		}
		qsort(col, nt, sizeof(*col), drift_order);
		level[j] = nt % 2 ? col[nt / 2] : (col[nt / 2 - 1] + col[nt / 2]) / 2;
	}
	out = json_object_new_object();
	json_object_object_add(out, "cowbench_drift", json_object_new_int(1));
	json_object_object_add(out, "runs", json_object_new_int(n));
	json_object_object_add(out, "kernel_release", json_object_get(cb_jpath(sets[0].env, "kernel.release")));
	{
		json_object *dirs = json_object_new_array(), *levels = json_object_new_array();

		for (int j = 0; j < n; j++) {
			json_object_array_add(dirs, json_object_new_string(sets[j].dir));
			json_object_array_add(levels, cb_num_json(level[j]));
		}
		json_object_object_add(out, "result_sets", dirs);
		json_object_object_add(out, "run_shifts", levels);
	}
	json_object_object_add(out, "shift_sd", cb_num_json(drift_sd(level, n)));
	fp = json_object_new_object();
	for (size_t f = 0; f < CB_ARRAY_SIZE(drift_fields); f++)
		json_object_object_add(fp, drift_fields[f], json_object_get(cb_jpath(sets[0].env, drift_fields[f])));
	json_object_object_add(out, "fingerprint", fp);
	json_object_object_add(out, "tests", tests);
	tests = NULL;
put_tests:
	json_object_put(tests);
	if (!out && !err[0])
		snprintf(err, errlen, "out of memory");
put_cmp:
	json_object_put(cmp);
	free(lv);
	free(col);
	return out;
}

int cb_drift_load(const char *path, const struct cb_resultset *sets, int n, struct cb_drift *out, char *err,
		  size_t errlen)
{
	json_object *root = json_object_from_file(path), *fp;

	memset(out, 0, sizeof(*out));
	if (!root || !json_object_is_type(root, json_type_object) || !cb_jget(root, "cowbench_drift")) {
		snprintf(err, errlen, "--drift %s: not a drift file (compare --calibrate writes one)", path);
		json_object_put(root);
		return -EINVAL;
	}
	out->root = root;
	out->runs = (int)cb_jnum(root, "runs");
	out->shift_sd = cb_jnum(root, "shift_sd");
	out->tests = cb_jget(root, "tests");
	fp = out->fingerprint = cb_jget(root, "fingerprint");
	if (out->runs < CB_DRIFT_MIN_RUNS || !(out->shift_sd >= 0) || !fp ||
	    !json_object_is_type(out->tests, json_type_object)) {
		snprintf(err, errlen, "--drift %s: incomplete (runs, shift_sd, tests, fingerprint)", path);
		cb_drift_free(out);
		return -EINVAL;
	}
	for (int i = 0; i < n; i++)
		for (size_t f = 0; f < CB_ARRAY_SIZE(drift_fields); f++) {
			json_object *want = cb_jget(fp, drift_fields[f]), *have = cb_jpath(sets[i].env, drift_fields[f]);

			if (cb_jstr_eq(want, have))
				continue;
			snprintf(err, errlen,
				 "--drift %s was calibrated where %s is %.200s; %s has %.200s: a drift file holds for one"
				 " machine and its settings only (calibrate again there)",
				 path, drift_fields[f], want ? json_object_to_json_string(want) : "absent", sets[i].dir,
				 have ? json_object_to_json_string(have) : "absent");
			cb_drift_free(out);
			return -EINVAL;
		}
	return 0;
}

void cb_drift_free(struct cb_drift *d)
{
	json_object_put(d->root);
	memset(d, 0, sizeof(*d));
}
