/* `cowbench compare`'s model: the comparison of result sets with a baseline, built once as a JSON
 * object (cb_compare_build) that every output format renders (render_*.c), so they cannot
 * disagree. The environment side (differences, emulated timings) is in cmpenv.c. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb.h"
#include "cmpcommon.h"
#include "cmpenv.h"
#include "cmpstats.h"
#include "compare.h"
#include "record.h"
#include "stats.h"

#define CMP_ALPHA      0.05

/* Measured figures, compared statistically; extra_timed.* are appended per instance. */
static const struct {
	const char *name, *unit, *better;
} cmp_stat_metrics[] = {
	{ "ns_per_page", "ns", "lower" },
	{ "latency_ns.p50", "ns", "lower" },
	{ "latency_ns.p99", "ns", "lower" },
};

/* Outcomes the kernel decides deterministically: compared exactly. decimals < 0: a string.
 * Per-page ratios are compared at two decimals, as the summary shows them: a stray allocation
 * by another task (2050 instead of 2048 page allocations) is not a behaviour change. */
static const struct {
	const char *name;
	int decimals;
} cmp_exact_metrics[] = {
	{ "cow.copy", 0 },
	{ "cow.reuse", 0 },
	{ "cow.nofault", 0 },
	{ "faults.per_page", 2 },
	{ "page_allocs_per_page", 2 },
	{ "tlb_flush.per_fault", 2 },
	{ "vmstat_delta.thp_split_pmd", 0 },
	{ "folio_pages_by_size_after", -1 },
};

/* The worst status over an instance's records, with that record's reason. */
static void cmp_instance_status(json_object **recs, size_t nrecs, json_object *status, json_object *reason)
{
	json_object *worst = NULL;

	for (size_t i = 0; i < nrecs; i++)
		if (!worst || cb_status_rank(cb_jstr(recs[i], "status")) > cb_status_rank(cb_jstr(worst, "status")))
			worst = recs[i];
	json_object_array_add(status, worst ? json_object_new_string(cb_jstr(worst, "status") ?: "?") : NULL);
	json_object_array_add(reason,
			      worst && cb_jstr(worst, "reason") ? json_object_new_string(cb_jstr(worst, "reason")) : NULL);
}

static json_object *cmp_summary(const double *v, size_t n)
{
	struct cb_stats st;
	json_object *o;

	if (!n || cb_stats_compute(v, n, &st))
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "n", json_object_new_int((int)n));
	json_object_object_add(o, "median", cb_num_json(st.median));
	json_object_object_add(o, "mean", cb_num_json(st.mean));
	/* One repetition has no spread: null, not 0. */
	json_object_object_add(o, "stddev", n > 1 ? cb_num_json(st.stddev) : NULL);
	json_object_object_add(o, "min", cb_num_json(st.min));
	json_object_object_add(o, "max", cb_num_json(st.max));
	return o;
}

static json_object *cmp_vs(const double *a, size_t na, const double *b, size_t nb, bool lower_better)
{
	struct cb_welch w = { .p = NAN };
	struct cb_mwu u = { .p = NAN };
	struct cb_ratio r = { NAN, NAN, NAN };
	const char *verdict = "not significant";
	json_object *o;

	if (!na || !nb)
		return NULL;
	if (cb_welch_test(a, na, b, nb, &w))
		w.p = NAN;
	if (cb_mann_whitney(a, na, b, nb, &u))
		u.p = NAN;
	if (cb_ratio_ci(a, na, b, nb, 0.95, &r))
		r.ratio = r.lo = r.hi = NAN;
	if (na < 2 || nb < 2)
		verdict = "too few samples";
	else if (w.p < CMP_ALPHA && (r.lo > 1 || r.hi < 1))
		verdict = (r.ratio > 1) == lower_better ? "regression" : "improvement";
	o = json_object_new_object();
	json_object_object_add(o, "ratio", cb_num_json(r.ratio));
	json_object_object_add(o, "ci_lo", cb_num_json(r.lo));
	json_object_object_add(o, "ci_hi", cb_num_json(r.hi));
	json_object_object_add(o, "p_welch", cb_num_json(w.p));
	json_object_object_add(o, "p_mannwhitney", cb_num_json(u.p));
	json_object_object_add(o, "verdict", json_object_new_string(verdict));
	return o;
}

/* Times and rates of time: what emulation changes. */
static bool cmp_is_timing(const char *unit)
{
	static const char *const units[] = { "ns", "us", "µs", "ms", "s" };

	for (size_t i = 0; i < CB_ARRAY_SIZE(units); i++)
		if (strcmp(unit, units[i]) == 0)
			return true;
	return strstr(unit, "/s") != NULL;
}

/* A comparison with the baseline, or only the note that emulated and hardware times were not
 * compared; NULL when a side has no value. */
static json_object *cmp_vs_timed(const double *a, size_t na, const double *b, size_t nb, bool lower_better,
				 enum cb_timing t)
{
	json_object *o;

	if (t == CB_TIMING_SKIPPED) {
		if (!na || !nb)
			return NULL;
		o = json_object_new_object();
		json_object_object_add(o, "timing", json_object_new_string("emulated"));
		json_object_object_add(o, "compared", json_object_new_boolean(false));
		return o;
	}
	o = cmp_vs(a, na, b, nb, lower_better);
	if (o && t == CB_TIMING_EMULATED) {
		json_object_object_add(o, "timing", json_object_new_string("emulated"));
		json_object_object_add(o, "compared", json_object_new_boolean(true));
	}
	return o;
}

/* One statistical metric over every run; NULL when no run has a value. */
static json_object *cmp_stat_metric(struct cb_resultset *sets, int n, const char *key, const char *name,
				    const char *unit, const char *better, const enum cb_timing *timing)
{
	json_object *m, *runs = json_object_new_array(), *vs = json_object_new_array();
	double *base = NULL;
	size_t nbase = 0;
	bool any = false;

	for (int i = 0; i < n; i++) {
		double *v;
		size_t nv = cb_resultset_values(&sets[i], key, name, &v);

		any |= nv > 0;
		json_object_array_add(runs, cmp_summary(v, nv));
		json_object_array_add(vs, i ? cmp_vs_timed(base, nbase, v, nv, strcmp(better, "lower") == 0,
							   cmp_is_timing(unit) ? timing[i] : CB_TIMING_HW) :
					      NULL);
		if (i) {
			free(v);
		} else {
			base = v;
			nbase = nv;
		}
	}
	free(base);
	if (!any) {
		json_object_put(runs);
		json_object_put(vs);
		return NULL;
	}
	m = json_object_new_object();
	json_object_object_add(m, "name", json_object_new_string(name));
	json_object_object_add(m, "unit", json_object_new_string(unit));
	json_object_object_add(m, "better", json_object_new_string(better));
	json_object_object_add(m, "kind", json_object_new_string("stat"));
	json_object_object_add(m, "runs", runs);
	json_object_object_add(m, "vs_baseline", vs);
	return m;
}

/* folio_pages_by_size_after as "4K:512,2M:1024", smallest size first. */
static int cmp_folios_str(json_object *obj, char *buf, size_t len)
{
	struct cb_sized sz[32];
	size_t n, off = 0;

	if (!obj || !json_object_is_type(obj, json_type_object))
		return -ENOENT;
	n = cb_sizes_sorted(obj, sz, CB_ARRAY_SIZE(sz));
	snprintf(buf, len, "none");
	for (size_t i = 0; i < n && off < len; i++) {
		char name[24];

		cb_size_name(sz[i].kb, name, sizeof(name));
		off += (size_t)snprintf(buf + off, len - off, "%s%s:%s", i ? "," : "", name, sz[i].val ?: "?");
	}
	return 0;
}

/* An exact metric of one record as its JSON value and the text it is compared by. */
static json_object *cmp_exact_value(json_object *rec, size_t m, char *buf, size_t len)
{
	const char *name = cmp_exact_metrics[m].name;
	int dec = cmp_exact_metrics[m].decimals;
	double v;

	if (dec < 0)
		return cmp_folios_str(cb_jpath(rec, name), buf, len) ? NULL : json_object_new_string(buf);
	v = cb_record_num(rec, name);
	/* vmstat_delta lists only the counters that moved. */
	if (isnan(v) && strncmp(name, "vmstat_delta.", 13) == 0 &&
	    json_object_is_type(cb_jget(rec, "vmstat_delta"), json_type_object))
		v = 0;
	if (!isfinite(v))
		return NULL;
	snprintf(buf, len, "%.*f", dec, v);
	return dec ? json_object_new_double_s(v, buf) : json_object_new_int64((int64_t)v);
}

/* The value of the first ok repetition per run. Repetitions that disagree (cow_reuse_remote's
 * spurious copies) make the outcome nondeterministic in that run: a difference involving it is
 * noted in varied_in (per run, the metric names), not reported as a behaviour change. */
static json_object *cmp_exact_metric(struct cb_resultset *sets, int n, const char *key, size_t m, const char *labels[],
				     json_object *changes, char varied_in[][256])
{
	const char *name = cmp_exact_metrics[m].name;
	json_object *o, *values = json_object_new_array(), *varied = json_object_new_array();
	char shown[CB_CMP_MAX_RUNS][256];
	bool any = false, changed = false, var_run[CB_CMP_MAX_RUNS];

	for (int i = 0; i < n; i++) {
		json_object **recs, *first = NULL;
		size_t nrecs = cb_resultset_records(&sets[i], key, &recs);
		bool var = false, seen = false;

		shown[i][0] = '\0';
		for (size_t r = 0; r < nrecs; r++) {
			char buf[256];
			json_object *v;

			if (cb_status_rank(cb_jstr(recs[r], "status")) != 0)
				continue;
			v = cmp_exact_value(recs[r], m, buf, sizeof(buf));
			if (!seen) {
				seen = true;
				first = v;
				snprintf(shown[i], sizeof(shown[i]), "%s", v ? buf : "");
				continue;
			}
			var |= strcmp(shown[i], v ? buf : "") != 0;
			json_object_put(v);
		}
		free(recs);
		any |= first != NULL;
		json_object_array_add(values, first);
		json_object_array_add(varied, json_object_new_boolean(var));
		var_run[i] = var;
		if (var) {
			size_t l = strlen(varied_in[i]);

			snprintf(varied_in[i] + l, 256 - l, "%s%s", l ? ", " : "", name);
		}
	}
	for (int i = 1; i < n; i++) {
		char c[768];

		if (!shown[0][0] || !shown[i][0] || strcmp(shown[0], shown[i]) == 0 || var_run[0] || var_run[i])
			continue;
		changed = true;
		snprintf(c, sizeof(c), "%s: %s %s → %s%s%s%s", key, name, shown[0], shown[i], n > 2 ? " (" : "",
			 n > 2 ? labels[i] : "", n > 2 ? ")" : "");
		json_object_array_add(changes, json_object_new_string(c));
	}
	if (!any) {
		json_object_put(values);
		json_object_put(varied);
		return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "kind", json_object_new_string("exact"));
	json_object_object_add(o, "values", values);
	json_object_object_add(o, "changed", json_object_new_boolean(changed));
	json_object_object_add(o, "varied", varied);
	return o;
}

/* Numeric extra_timed keys over the instance's ok records of every run, in order of appearance. */
static size_t cmp_extra_timed(struct cb_resultset *sets, int n, const char *key, char names[][96], size_t max)
{
	size_t count = 0;

	for (int i = 0; i < n; i++) {
		json_object **recs;
		size_t nrecs = cb_resultset_records(&sets[i], key, &recs);

		for (size_t r = 0; r < nrecs; r++) {
			json_object *et = cb_jget(recs[r], "extra_timed");

			if (cb_status_rank(cb_jstr(recs[r], "status")) != 0 || !json_object_is_type(et, json_type_object))
				continue;
			json_object_object_foreach (et, k, v) {
				char full[96];
				bool seen = false;

				if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
					continue;
				snprintf(full, sizeof(full), "extra_timed.%.80s", k);
				for (size_t j = 0; j < count && !seen; j++)
					seen = strcmp(names[j], full) == 0;
				if (!seen && count < max)
					memcpy(names[count++], full, sizeof(full));
			}
		}
		free(recs);
	}
	return count;
}

static json_object *cmp_instance(struct cb_resultset *sets, int n, const char *key, const char *labels[],
				 const enum cb_timing *timing, json_object *warnings)
{
	json_object *o = json_object_new_object(), *status = json_object_new_array(), *reason = json_object_new_array(),
		    *metrics = json_object_new_array(), *changes = json_object_new_array(), *any = NULL;
	char extra[16][96], varied_in[CB_CMP_MAX_RUNS][256] = { { 0 } };
	size_t nextra;

	for (int i = 0; i < n; i++) {
		json_object **recs;
		size_t nrecs = cb_resultset_records(&sets[i], key, &recs);

		if (nrecs && !any)
			any = recs[0];
		cmp_instance_status(recs, nrecs, status, reason);
		free(recs);
	}
	json_object_object_add(o, "key", json_object_new_string(key));
	json_object_object_add(o, "scenario", json_object_new_string(cb_jstr(any, "scenario") ?: "?"));
	json_object_object_add(o, "backing", json_object_new_string(cb_jstr(any, "backing") ?: "?"));
	json_object_object_add(o, "size_h", json_object_new_string(cb_jstr(any, "size_h") ?: "?"));
	json_object_object_add(o, "status", status);
	json_object_object_add(o, "reason", reason);
	for (size_t m = 0; m < CB_ARRAY_SIZE(cmp_stat_metrics); m++) {
		json_object *mo = cmp_stat_metric(sets, n, key, cmp_stat_metrics[m].name, cmp_stat_metrics[m].unit,
						  cmp_stat_metrics[m].better, timing);
		if (mo)
			json_object_array_add(metrics, mo);
	}
	nextra = cmp_extra_timed(sets, n, key, extra, CB_ARRAY_SIZE(extra));
	for (size_t m = 0; m < nextra; m++) {
		json_object *mo = cmp_stat_metric(sets, n, key, extra[m], "ns", "lower", timing);

		if (mo)
			json_object_array_add(metrics, mo);
	}
	for (size_t m = 0; m < CB_ARRAY_SIZE(cmp_exact_metrics); m++) {
		json_object *mo = cmp_exact_metric(sets, n, key, m, labels, changes, varied_in);

		if (mo)
			json_object_array_add(metrics, mo);
	}
	for (int i = 0; i < n; i++) {
		char w[768];

		if (!varied_in[i][0])
			continue;
		snprintf(w, sizeof(w),
			 "%s: repetitions disagree on %.255s in %.127s (the first ok one is shown; not compared)", key,
			 varied_in[i], labels[i]);
		json_object_array_add(warnings, json_object_new_string(w));
	}
	json_object_object_add(o, "metrics", metrics);
	json_object_object_add(o, "behaviour_changes", changes);
	return o;
}

json_object *cb_compare_build(struct cb_resultset *sets, int n, unsigned flags, char *err, size_t errlen)
{
	char(*keys[CB_CMP_MAX_RUNS])[CB_KEY_MAX] = { 0 };
	size_t nkeys[CB_CMP_MAX_RUNS] = { 0 };
	const char *labels[CB_CMP_MAX_RUNS], *timings;
	enum cb_timing timing[CB_CMP_MAX_RUNS];
	json_object *cmp = NULL, *warnings, *runs, *diff, *instances;
	bool forced = false;
	int i;

	if (n < 2 || n > CB_CMP_MAX_RUNS) {
		snprintf(err, errlen, "compare needs a baseline and 1 to %d other result sets", CB_CMP_MAX_RUNS - 1);
		return NULL;
	}
	cb_run_labels(sets, n);
	for (i = 0; i < n; i++) {
		labels[i] = sets[i].label;
		nkeys[i] = cb_resultset_keys(&sets[i], &keys[i]);
		if (!keys[i]) {
			snprintf(err, errlen, "out of memory");
			goto free_keys;
		}
	}
	for (i = 1; i < n; i++) {
		bool common = false;

		for (size_t k = 0; k < nkeys[i] && !common; k++)
			common = cb_resultset_has(&sets[0], keys[i][k]);
		if (!common) {
			snprintf(err, errlen,
				 "%s/results.jsonl: no instance in common with the baseline %s/results.jsonl",
				 sets[i].dir, sets[0].dir);
			goto free_keys;
		}
	}
	warnings = json_object_new_array();
	diff = cb_env_diff(sets, n, flags & CB_CMP_FORCE, &forced, warnings, err, errlen);
	if (!diff) {
		json_object_put(warnings);
		goto free_keys;
	}
	timings = cb_cmp_timings(sets, n, flags & CB_CMP_TIMINGS, timing, warnings);
	cmp = json_object_new_object();
	json_object_object_add(cmp, "schema", json_object_new_int(1));
	json_object_object_add(cmp, "baseline", json_object_new_string(sets[0].label));
	json_object_object_add(cmp, "forced", json_object_new_boolean(forced));
	json_object_object_add(cmp, "timings", json_object_new_string(timings));
	json_object_object_add(cmp, "warnings", warnings);
	runs = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *r = json_object_new_object(), *rel = cb_jpath(sets[i].env, "kernel.release");
		const char *id = cb_jstr(sets[i].env, "run_id");

		json_object_object_add(r, "label", json_object_new_string(sets[i].label));
		json_object_object_add(r, "dir", json_object_new_string(sets[i].dir));
		json_object_object_add(r, "run_id", id ? json_object_new_string(id) : NULL);
		json_object_object_add(r, "kernel_release",
				       rel ? json_object_new_string(json_object_get_string(rel)) : NULL);
		json_object_object_add(r, "virtualized",
				       cb_env_virt(sets[i].env) ? json_object_new_string(cb_env_virt(sets[i].env)) : NULL);
		json_object_object_add(r, "emulated", json_object_new_boolean(cb_env_emulated(sets[i].env)));
		json_object_object_add(r, "vm", cb_env_virt(sets[i].env) ? json_object_get(cb_jget(sets[i].env, "vm")) : NULL);
		json_object_array_add(runs, r);
	}
	json_object_object_add(cmp, "runs", runs);
	json_object_object_add(cmp, "env_diff", diff);
	instances = json_object_new_array();
	/* The baseline's instances in its order, then those only other runs have. */
	for (i = 0; i < n; i++)
		for (size_t k = 0; k < nkeys[i]; k++) {
			bool earlier = false;

			for (int j = 0; j < i && !earlier; j++)
				earlier = cb_resultset_has(&sets[j], keys[i][k]);
			if (!earlier)
				json_object_array_add(instances, cmp_instance(sets, n, keys[i][k], labels, timing, warnings));
		}
	json_object_object_add(cmp, "instances", instances);
free_keys:
	for (i = 0; i < n; i++)
		free(keys[i]);
	return cmp;
}

