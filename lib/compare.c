/* `cowbench compare`'s model: the comparison of result sets with a baseline, built once as a JSON
 * object (cb_compare_build) that every output format renders (render_*.c), so they cannot
 * disagree. The environment side (differences, emulated timings) is in cmpenv.c, every statistic
 * in cmpstats.c.
 *
 * A side is one result set, or several runs (boots) of one kernel: then, when every side has at
 * least two, each run is summarised by its mean and the runs are the samples, so boot-to-boot
 * variance is in the error. Every test of one comparison enters one Benjamini-Hochberg
 * adjustment; a verdict needs q < --fdr, a 95 % CI that excludes 1 and a difference of at least
 * --min-effect. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb.h"
#include "cmpcommon.h"
#include "cmpenv.h"
#include "cmpjudge.h"
#include "cmpstats.h"
#include "compare.h"
#include "hist.h"
#include "record.h"
#include "scenario.h"
#include "stats.h"

/* Measured figures, compared statistically; extra_timed.* are appended per instance. */
static const struct {
	const char *name, *unit, *better;
} cmp_stat_metrics[] = {
	{ "ns_per_page", "ns", "lower" },
	{ "latency_ns.p50", "ns", "lower" },
	{ "latency_ns.p99", "ns", "lower" },
	/* The ops that faulted only, where some did not: large folios' faults are hidden in
	 * latency_ns's upper tail. */
	{ "fault_latency_ns.p50", "ns", "lower" },
	{ "fault_latency_ns.p99", "ns", "lower" },
};

/* Outcomes the kernel decides, compared as integers where the scenario declares them
 * deterministic (see cmp_outcome_metric); decimals < 0: a string (a folio layout).
 * CMP_CLASS: a decision per page (COW classes, folio layout): a value every baseline repetition
 * agrees on that k of n repetitions of another side do not is a behaviour change.
 * CMP_COUNT: an event count a stray event can move by one (a fault retried, a flush by another
 * path): a change only where every repetition of the other side agrees on another value, else
 * compared as a distribution.
 * CMP_DIST: never exact under load (page allocations count IRQ-context ones; PMD splits are
 * system-wide): always a distribution. per_page: its resolution is one event in the pages. */
enum { CMP_CLASS, CMP_COUNT, CMP_DIST };

static const struct {
	const char *name;
	int decimals, kind;
	bool per_page;
} cmp_exact_metrics[] = {
	{ "cow.copy", 0, CMP_CLASS, false },
	{ "cow.reuse", 0, CMP_CLASS, false },
	{ "cow.nofault", 0, CMP_CLASS, false },
	{ "cow.folio_copy", 0, CMP_CLASS, false },
	{ "faults.total", 0, CMP_COUNT, false },
	/* Spurious faults at PMD-mapped THPs: counted by the CPU, not decided by the kernel. */
	{ "faults.spurious_pmd", 0, CMP_DIST, false },
	{ "page_allocs_per_page", 2, CMP_DIST, true },
	/* Each reason apart, never their sum: a local flush that also sends an IPI is one event of
	 * each reason. */
	{ "tlb_flush.by_reason.local_shootdown", 0, CMP_COUNT, false },
	{ "tlb_flush.by_reason.local_mm_shootdown", 0, CMP_COUNT, false },
	{ "tlb_flush.by_reason.remote_send_ipi", 0, CMP_COUNT, false },
	{ "vmstat_delta.thp_split_pmd", 0, CMP_DIST, false },
	{ "folio_pages_by_size_after", -1, CMP_CLASS, false },
	/* Swap-ins that read the device: one per folio brought back (zram), fewer than the faults
	 * where swap readahead filled the swap cache (a swap file). */
	{ "extra.read_major_faults", 0, CMP_COUNT, false },
	/* Concurrent faults: the faults that took mmap_lock (per-VMA locks: none but an anon_vma's
	 * set-up). */
	{ "mmap_lock.faults", 0, CMP_COUNT, false },
	/* The measured task's own direct compaction and reclaim runs: how often they happen also
	 * depends on the machine's free memory and fragmentation, not on the kernel alone. */
	{ "direct_compaction", 0, CMP_DIST, false },
	{ "direct_reclaim", 0, CMP_DIST, false },
	{ "memcg_reclaim", 0, CMP_DIST, false },
};

/* One side of the comparison: a result set, or several runs of one kernel. */
struct cmp_side {
	struct cb_resultset *sets;
	int n;
};

/* The timing tests' per-run samples, for the run levels (cmpjudge.c). */
struct cmp_runs_acc {
	struct cb_judge_runs *r;
	size_t n, cap;
};

struct cmp_ctx {
	const struct cmp_side *sides;
	int n;
	bool by_run; /* every side has >= 2 runs: a run's mean is one sample */
	bool paired; /* --paired: run i of a side with run i of the baseline (one round) */
	struct cmp_runs_acc *acc;
	const char **labels;
	const enum cb_timing *timing;
	json_object *warnings;
};

static bool cmp_ok(json_object *rec)
{
	const char *s = cb_jstr(rec, "status");

	return s && strcmp(s, "ok") == 0;
}

static bool cmp_disturbed(json_object *rec)
{
	const char *s = cb_jstr(rec, "status");

	return s && strcmp(s, "disturbed") == 0;
}

/* The records of an instance over a side's runs, in order (*out malloc'ed). */
static size_t cmp_side_records(const struct cmp_side *s, const char *key, json_object ***out)
{
	size_t total = 0, n = 0;

	for (int m = 0; m < s->n; m++)
		total += s->sets[m].nrecords;
	*out = calloc(total ? total : 1, sizeof(**out));
	if (!*out)
		return 0;
	for (int m = 0; m < s->n; m++) {
		json_object **recs;
		size_t k = cb_resultset_records(&s->sets[m], key, &recs);

		if (k)
			memcpy(*out + n, recs, k * sizeof(*recs));
		n += k;
		free(recs);
	}
	return n;
}

/* A record's value of a metric; vmstat_delta lists only the counters that moved. */
static double cmp_rec_value(json_object *rec, const char *name)
{
	double v = cb_record_num(rec, name);

	if (isnan(v) && strncmp(name, "vmstat_delta.", 13) == 0 &&
	    json_object_is_type(cb_jget(rec, "vmstat_delta"), json_type_object))
		v = 0;
	return isfinite(v) ? v : NAN;
}

/* hyperfine's figures describe the whole instance (one per run), not a repetition. */
static bool cmp_per_run(const char *name)
{
	return strncmp(name, "extra_timed.hyperfine_", 22) == 0;
}

/*
 * The samples of a side: its ok repetitions' values (all runs pooled), or with by_run each run's
 * mean. A figure per run counts once per run. Returns the count (*out malloc'ed).
 */
static size_t cmp_side_values(const struct cmp_ctx *c, int side, const char *key, const char *name, double **out)
{
	const struct cmp_side *s = &c->sides[side];
	size_t n = 0, cap = 16;

	*out = malloc(cap * sizeof(**out));
	if (!*out)
		return 0;
	for (int m = 0; m < s->n; m++) {
		json_object **recs;
		size_t k = cb_resultset_records(&s->sets[m], key, &recs), got = 0;
		double sum = 0;

		for (size_t r = 0; r < k; r++) {
			double v;

			if (!cmp_ok(recs[r]))
				continue;
			v = cmp_rec_value(recs[r], name);
			if (isnan(v))
				continue;
			if (c->by_run || cmp_per_run(name)) {
				sum += v;
				got++;
				if (cmp_per_run(name))
					break;
				continue;
			}
			if (n == cap) {
				double *more = realloc(*out, (cap *= 2) * sizeof(**out));

				if (!more)
					break;
				*out = more;
			}
			(*out)[n++] = v;
		}
		free(recs);
		if (got) {
			if (n == cap) {
				double *more = realloc(*out, (cap *= 2) * sizeof(**out));

				if (!more)
					break;
				*out = more;
			}
			(*out)[n++] = sum / (double)got;
		}
	}
	return n;
}

/* The worst status over an instance's records (disturbed ones aside), with that record's reason;
 * "disturbed" when every repetition was. */
static void cmp_instance_status(json_object **recs, size_t nrecs, json_object *status, json_object *reason,
				json_object *disturbed)
{
	json_object *worst = NULL;
	int nd = 0;

	for (size_t i = 0; i < nrecs; i++) {
		if (cmp_disturbed(recs[i])) {
			nd++;
			continue;
		}
		if (!worst || cb_status_rank(cb_jstr(recs[i], "status")) > cb_status_rank(cb_jstr(worst, "status")))
			worst = recs[i];
	}
	if (!worst && nd) {
		json_object_array_add(status, json_object_new_string("disturbed"));
		json_object_array_add(reason, json_object_new_string("every repetition was disturbed"));
	} else {
		json_object_array_add(status,
				      worst ? json_object_new_string(cb_jstr(worst, "status") ?: "?") : NULL);
		json_object_array_add(reason, worst && cb_jstr(worst, "reason") ?
						      json_object_new_string(cb_jstr(worst, "reason")) :
						      NULL);
	}
	json_object_array_add(disturbed, json_object_new_int(nd));
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
	/* One sample has no spread: null, not 0. */
	json_object_object_add(o, "stddev", n > 1 ? cb_num_json(st.stddev) : NULL);
	json_object_object_add(o, "min", cb_num_json(st.min));
	json_object_object_add(o, "max", cb_num_json(st.max));
	return o;
}

/* The comparison of one side with the baseline; its verdict is set once every test of the
 * comparison has its p (cmp_verdicts). */
static json_object *cmp_vs(const double *a, size_t na, const double *b, size_t nb, double floor_sd, bool paired)
{
	struct cb_cmp_test t;
	json_object *o, *out;
	int ret;

	if (!na || !nb)
		return NULL;
	ret = paired && na == nb ? cb_compare_paired(a, b, na, floor_sd, &t) : cb_compare_samples(a, na, b, nb, floor_sd, &t);
	if (ret)
		t.result = CB_CMP_TOO_FEW, t.test = NULL, t.ratio = t.lo = t.hi = t.p = t.p_welch = t.p_mw =
								   t.mde = t.se_log = t.df_log = NAN;
	o = json_object_new_object();
	json_object_object_add(o, "ratio", cb_num_json(t.ratio));
	json_object_object_add(o, "ci_lo", cb_num_json(t.lo));
	json_object_object_add(o, "ci_hi", cb_num_json(t.hi));
	json_object_object_add(o, "test", t.test ? json_object_new_string(t.test) : NULL);
	json_object_object_add(o, "p", cb_num_json(t.p));
	json_object_object_add(o, "q", NULL);
	json_object_object_add(o, "p_welch", cb_num_json(t.p_welch));
	json_object_object_add(o, "p_mannwhitney", cb_num_json(t.p_mw));
	json_object_object_add(o, "p_mannwhitney_min", cb_num_json(t.p_mw_min));
	json_object_object_add(o, "hl_ratio", cb_num_json(t.hl_ratio));
	json_object_object_add(o, "hl_lo", cb_num_json(t.hl_lo));
	json_object_object_add(o, "hl_hi", cb_num_json(t.hl_hi));
	json_object_object_add(o, "mde", cb_num_json(t.mde));
	json_object_object_add(o, "se_log", cb_num_json(t.se_log));
	json_object_object_add(o, "df_log", cb_num_json(t.df_log));
	out = json_object_new_array();
	json_object_array_add(out, json_object_new_int((int)t.outliers_a));
	json_object_array_add(out, json_object_new_int((int)t.outliers_b));
	json_object_object_add(o, "outliers", out);
	json_object_object_add(o, "verdict", json_object_new_string(t.result == CB_CMP_TOO_FEW	     ? "too few samples" :
								    t.result == CB_CMP_NOT_TESTABLE ? "not testable" :
												      "pending"));
	return o;
}

/* A comparison with the baseline, or only the note that emulated and hardware times were not
 * compared; NULL when a side has no value. */
static json_object *cmp_vs_timed(const double *a, size_t na, const double *b, size_t nb, double floor_sd,
				 enum cb_timing t, bool paired)
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
	o = cmp_vs(a, na, b, nb, floor_sd, paired);
	if (o && t == CB_TIMING_EMULATED) {
		json_object_object_add(o, "timing", json_object_new_string("emulated"));
		json_object_object_add(o, "compared", json_object_new_boolean(true));
	}
	return o;
}

/* The first ok record's figure of an instance on the baseline side (or any side). */
static double cmp_first_num(const struct cmp_ctx *c, const char *key, const char *name)
{
	for (int s = 0; s < c->n; s++) {
		json_object **recs;
		size_t k = cmp_side_records(&c->sides[s], key, &recs);
		double v = NAN;

		for (size_t r = 0; r < k && isnan(v); r++)
			if (cmp_ok(recs[r]))
				v = cmp_rec_value(recs[r], name);
		free(recs);
		if (!isnan(v))
			return v;
	}
	return NAN;
}

/* The timer's resolution in ns (env.json: timer.ticks_per_ns), at least 1 ns. */
static double cmp_timer_ns(const struct cmp_ctx *c)
{
	double tpn = cb_jnum(cb_jget(c->sides[0].sets[0].env, "timer"), "ticks_per_ns");

	return tpn > 0 && 1 / tpn > 1 ? 1 / tpn : 1;
}

/*
 * The smallest difference a metric can show, which its standard deviation is never taken below:
 * a percentile is a histogram bucket's midpoint (the bucket's width at the baseline's median), a
 * time per page the timer's resolution over the pages, an outcome one event (per page: over the
 * pages).
 */
static double cmp_resolution(const struct cmp_ctx *c, const char *key, const char *name, const double *base,
			     size_t nbase, bool per_page)
{
	double pages = cmp_first_num(c, key, "pages");

	if (!(pages > 0))
		pages = 1;
	if (strncmp(name, "latency_ns.p", 12) == 0 || strncmp(name, "fault_latency_ns.p", 18) == 0) {
		double med = nbase ? cb_stats_percentile(base, nbase, 50) : cmp_first_num(c, key, name);
		int i;

		if (!(med >= 0))
			return 1;
		i = cb_hist_bucket_of((uint64_t)llround(med));
		return (double)(cb_hist_bucket_high(i) - cb_hist_bucket_low(i) + 1);
	}
	if (strcmp(name, "ns_per_page") == 0)
		return cmp_timer_ns(c) / pages;
	if (strncmp(name, "extra_timed.", 12) == 0)
		return cmp_timer_ns(c);
	return per_page ? 1 / pages : 1;
}

/* Keeps a timing test's per-run logs for the levels of each run (positive samples only). */
static void cmp_runs_add(const struct cmp_ctx *c, int side, json_object *e, const double *a, size_t na,
			 const double *b, size_t nb)
{
	struct cmp_runs_acc *acc = c->acc;
	struct cb_judge_runs *r;

	if (!acc || !e || na > CB_CMP_MAX_RUNS || nb > CB_CMP_MAX_RUNS || !na || !nb)
		return;
	for (size_t i = 0; i < na + nb; i++)
		if (!((i < na ? a[i] : b[i - na]) > 0))
			return;
	if (acc->n == acc->cap) {
		size_t cap = acc->cap ? 2 * acc->cap : 64;
		struct cb_judge_runs *more = realloc(acc->r, cap * sizeof(*more));

		if (!more)
			return;
		acc->r = more;
		acc->cap = cap;
	}
	r = &acc->r[acc->n++];
	r->e = e;
	r->side = side;
	r->na = (int)na;
	r->nb = (int)nb;
	for (size_t i = 0; i < na; i++)
		r->a[i] = log(a[i]);
	for (size_t i = 0; i < nb; i++)
		r->b[i] = log(b[i]);
}

/* One statistical metric over every side; NULL when no side has a value. */
static json_object *cmp_stat_metric(const struct cmp_ctx *c, const char *key, const char *name, const char *unit,
				    const char *better, bool outcome, bool per_page)
{
	json_object *m, *runs = json_object_new_array(), *vs = json_object_new_array();
	double *base = NULL, res;
	size_t nbase = 0;
	bool any = false;

	nbase = cmp_side_values(c, 0, key, name, &base);
	res = cmp_resolution(c, key, name, base, nbase, per_page);
	for (int i = 0; i < c->n; i++) {
		double *v = base;
		size_t nv = nbase;

		if (i)
			nv = cmp_side_values(c, i, key, name, &v);
		any |= nv > 0;
		json_object_array_add(runs, cmp_summary(v, nv));
		json_object_array_add(vs, i ? cmp_vs_timed(base, nbase, v, nv, res,
							   cb_cmp_is_timing(unit) ? c->timing[i] : CB_TIMING_HW,
							   c->paired && nbase == (size_t)c->sides[0].n &&
								   nv == (size_t)c->sides[i].n) :
					      NULL);
		if (i && c->by_run && !outcome && cb_cmp_is_timing(unit))
			cmp_runs_add(c, i, json_object_array_get_idx(vs, (size_t)i), base, nbase, v, nv);
		if (i)
			free(v);
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
	if (outcome)
		json_object_object_add(m, "outcome", json_object_new_boolean(true));
	json_object_object_add(m, "resolution", cb_num_json(res));
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
	v = cmp_rec_value(rec, name);
	if (isnan(v))
		return NULL;
	snprintf(buf, len, "%.*f", dec, v);
	return dec ? json_object_new_double_s(v, buf) : json_object_new_int64((int64_t)v);
}

/* Whether the scenario declares its outcomes deterministic (struct cb_scenario). */
static bool cmp_deterministic(const char *scenario)
{
	const struct cb_scenario *s = scenario ? cb_scenario_find(scenario) : NULL;

	return s && s->deterministic;
}

#define CMP_REPS_MAX 64 /* repetitions of one side an exact comparison looks at */

/* One side's values of an exact metric over its ok repetitions, as text ("" where absent). */
struct cmp_shown {
	char v[CMP_REPS_MAX][128];
	size_t n;
	json_object *first;
};

static void cmp_exact_side(const struct cmp_ctx *c, int side, const char *key, size_t m, struct cmp_shown *sh)
{
	json_object **recs;
	size_t nrecs = cmp_side_records(&c->sides[side], key, &recs);

	sh->n = 0;
	sh->first = NULL;
	for (size_t r = 0; r < nrecs && sh->n < CMP_REPS_MAX; r++) {
		char buf[sizeof(sh->v[0])];
		json_object *v;

		if (!cmp_ok(recs[r]))
			continue;
		v = cmp_exact_value(recs[r], m, buf, sizeof(buf));
		snprintf(sh->v[sh->n], sizeof(sh->v[0]), "%s", v ? buf : "");
		if (!sh->n)
			sh->first = v;
		else
			json_object_put(v);
		sh->n++;
	}
	free(recs);
}

/* Whether every repetition of a side agrees (an empty side does). */
static bool cmp_shown_agree(const struct cmp_shown *sh)
{
	for (size_t r = 1; r < sh->n; r++)
		if (strcmp(sh->v[r], sh->v[0]))
			return false;
	return true;
}

/*
 * An outcome, by its kind (cmp_exact_metrics). Where the scenario is not deterministic, or the
 * baseline's repetitions disagree, or a count varies within a side, a number is compared as a
 * distribution and a folio layout is shown but not compared.
 */
static json_object *cmp_outcome_metric(const struct cmp_ctx *c, const char *key, const char *scenario, size_t m,
				       json_object *changes)
{
	const char *name = cmp_exact_metrics[m].name;
	int kind = cmp_exact_metrics[m].kind;
	json_object *o, *values = json_object_new_array(), *varied = json_object_new_array();
	struct cmp_shown *sh = calloc((size_t)c->n, sizeof(*sh));
	bool any = false, changed = false, any_varied = false, det = cmp_deterministic(scenario), exact;

	if (!sh) {
		json_object_put(values);
		json_object_put(varied);
		return NULL;
	}
	for (int i = 0; i < c->n; i++) {
		bool var;

		cmp_exact_side(c, i, key, m, &sh[i]);
		var = !cmp_shown_agree(&sh[i]);
		any |= sh[i].first != NULL;
		json_object_array_add(values, sh[i].first);
		json_object_array_add(varied, json_object_new_boolean(var));
		any_varied |= var;
	}
	exact = det && kind != CMP_DIST && sh[0].n && sh[0].v[0][0] && cmp_shown_agree(&sh[0]) &&
		(kind == CMP_CLASS || !any_varied);
	if (!any || (!exact && cmp_exact_metrics[m].decimals >= 0)) {
		json_object_put(values);
		json_object_put(varied);
		free(sh);
		if (!any)
			return NULL;
		return cmp_stat_metric(c, key, name, "", "none", true, cmp_exact_metrics[m].per_page);
	}
	for (int i = 1; i < c->n && exact; i++) {
		char ch[768], suffix[96] = "";
		size_t k = 0, first_diff = 0;

		for (size_t r = 0; r < sh[i].n; r++)
			if (sh[i].v[r][0] && strcmp(sh[i].v[r], sh[0].v[0]) && !k++)
				first_diff = r;
		if (!k)
			continue;
		changed = true;
		if (k < sh[i].n || !cmp_shown_agree(&sh[i]))
			snprintf(suffix, sizeof(suffix), " in %zu of %zu repetitions", k, sh[i].n);
		snprintf(ch, sizeof(ch), "%s: %s %s → %s%s%s%s%s", key, name, sh[0].v[0], sh[i].v[first_diff], suffix,
			 c->n > 2 ? " (" : "", c->n > 2 ? c->labels[i] : "", c->n > 2 ? ")" : "");
		json_object_array_add(changes, json_object_new_string(ch));
	}
	free(sh);
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "kind", json_object_new_string("exact"));
	json_object_object_add(o, "compared", json_object_new_boolean(exact));
	json_object_object_add(o, "values", values);
	json_object_object_add(o, "changed", json_object_new_boolean(changed));
	json_object_object_add(o, "varied", varied);
	return o;
}

/* Numeric extra_timed keys over the instance's ok records of every side, in order of appearance. */
static size_t cmp_extra_timed(const struct cmp_ctx *c, const char *key, char names[][96], size_t max)
{
	size_t count = 0;

	for (int i = 0; i < c->n; i++) {
		json_object **recs;
		size_t nrecs = cmp_side_records(&c->sides[i], key, &recs);

		for (size_t r = 0; r < nrecs; r++) {
			json_object *et = cb_jget(recs[r], "extra_timed");

			if (!cmp_ok(recs[r]) || !json_object_is_type(et, json_type_object))
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

/* Where only some writes fault, the op latency's percentiles below the faulting share are writes
 * that ran no kernel code (the CPU's store and the timer): fault_anon/mthp_64K's p50 is 30 ns in
 * one run and 130 ns in the next on one kernel. fault_latency_ns judges the faults; those
 * percentiles are left out. */
static bool cmp_latency_among_nofault(json_object *rec, const char *metric)
{
	double ops = cb_jnum(rec, "ops"), faulted = cb_jnum(cb_jget(rec, "fault_latency_ns"), "ops"), pct;

	if (strncmp(metric, "latency_ns.p", 12) != 0 || !(ops > 0) || !(faulted >= 0))
		return false;
	pct = atof(metric + 12);
	return faulted / ops < 1 - pct / 100;
}

static json_object *cmp_instance(const struct cmp_ctx *c, const char *key)
{
	json_object *o = json_object_new_object(), *status = json_object_new_array(), *reason = json_object_new_array(),
		    *disturbed = json_object_new_array(), *metrics = json_object_new_array(),
		    *changes = json_object_new_array(), *any = NULL;
	char extra[16][96];
	size_t nextra;

	for (int i = 0; i < c->n; i++) {
		json_object **recs;
		size_t nrecs = cmp_side_records(&c->sides[i], key, &recs);

		for (size_t r = 0; r < nrecs && (!any || !cmp_ok(any)); r++)
			if (!any || cmp_ok(recs[r]))
				any = recs[r];
		cmp_instance_status(recs, nrecs, status, reason, disturbed);
		free(recs);
	}
	json_object_object_add(o, "key", json_object_new_string(key));
	json_object_object_add(o, "scenario", json_object_new_string(cb_jstr(any, "scenario") ?: "?"));
	json_object_object_add(o, "backing", json_object_new_string(cb_jstr(any, "backing") ?: "?"));
	json_object_object_add(o, "size_h", json_object_new_string(cb_jstr(any, "size_h") ?: "?"));
	json_object_object_add(o, "deterministic", json_object_new_boolean(cmp_deterministic(cb_jstr(any, "scenario"))));
	json_object_object_add(o, "status", status);
	json_object_object_add(o, "reason", reason);
	json_object_object_add(o, "disturbed", disturbed);
	for (size_t m = 0; m < CB_ARRAY_SIZE(cmp_stat_metrics); m++) {
		json_object *mo;

		/* A repetition of one op: its percentiles are its time per page again, one number
		 * that would count thrice in the family. */
		if (m && cb_jnum(any, "ops") == 1 && strncmp(cmp_stat_metrics[m].name, "latency_ns.", 11) == 0)
			continue;
		if (cmp_latency_among_nofault(any, cmp_stat_metrics[m].name))
			continue;
		mo = cmp_stat_metric(c, key, cmp_stat_metrics[m].name, cmp_stat_metrics[m].unit,
						  cmp_stat_metrics[m].better, false, false);
		if (mo)
			json_object_array_add(metrics, mo);
	}
	nextra = cmp_extra_timed(c, key, extra, CB_ARRAY_SIZE(extra));
	for (size_t m = 0; m < nextra; m++) {
		json_object *mo = cmp_stat_metric(c, key, extra[m], "ns", "lower", false, false);

		if (mo)
			json_object_array_add(metrics, mo);
	}
	for (size_t m = 0; m < CB_ARRAY_SIZE(cmp_exact_metrics); m++) {
		json_object *mo = cmp_outcome_metric(c, key, cb_jstr(any, "scenario"), m, changes);

		if (mo)
			json_object_array_add(metrics, mo);
	}
	json_object_object_add(o, "metrics", metrics);
	json_object_object_add(o, "behaviour_changes", changes);
	return o;
}

/* Whether any run of a side has the instance (through the sets' indexes). */
static bool cmp_side_has(const struct cmp_side *s, const char *key)
{
	for (int m = 0; m < s->n; m++)
		if (cb_resultset_has(&s->sets[m], key))
			return true;
	return false;
}

json_object *cb_compare_build_sides(struct cb_resultset *sets, int nsets, const int *side_of,
				    const struct cb_cmp_opts *opts, char *err, size_t errlen)
{
	char(*keys[CB_CMP_MAX_RUNS])[CB_KEY_MAX] = { 0 };
	size_t nkeys[CB_CMP_MAX_RUNS] = { 0 };
	const char *labels[CB_CMP_MAX_RUNS], *timings;
	enum cb_timing timing[CB_CMP_MAX_RUNS];
	struct cmp_side sides[CB_CMP_MAX_RUNS];
	struct cb_resultset reps[CB_CMP_MAX_RUNS];
	struct cmp_runs_acc acc = { 0 };
	struct cmp_ctx c = { .sides = sides, .labels = labels, .timing = timing, .acc = &acc };
	json_object *cmp = NULL, *warnings, *runs, *diff, *instances, *notes;
	bool forced = false, multi = false;
	int i, n = 0;

	for (i = 0; i < nsets; i++)
		if (side_of[i] + 1 > n)
			n = side_of[i] + 1;
	if (n < 2 || n > CB_CMP_MAX_RUNS) {
		snprintf(err, errlen, "compare needs a baseline and 1 to %d other result sets", CB_CMP_MAX_RUNS - 1);
		return NULL;
	}
	/* A side's runs are consecutive in sets. */
	for (i = 0; i < n; i++)
		sides[i].n = 0;
	for (i = 0; i < nsets; i++) {
		if (i && side_of[i] != side_of[i - 1] && side_of[i] != side_of[i - 1] + 1) {
			snprintf(err, errlen, "the runs of a side must be given together");
			return NULL;
		}
		if (!sides[side_of[i]].n++)
			sides[side_of[i]].sets = &sets[i];
	}
	c.n = n;
	c.by_run = true;
	for (i = 0; i < n; i++) {
		if (!sides[i].n) {
			snprintf(err, errlen, "side %d has no result set", i + 1);
			return NULL;
		}
		c.by_run &= sides[i].n >= 2;
		multi |= sides[i].n >= 2;
	}
	c.paired = opts->flags & CB_CMP_PAIRED;
	for (i = 1; c.paired && i < n; i++)
		if (sides[i].n != sides[0].n || sides[0].n < 2) {
			snprintf(err, errlen, "--paired needs the same number of runs (two or more) on every side, in round order");
			return NULL;
		}
	cb_run_labels(sets, nsets);
	/* A side of several runs is named for its kernel and how many runs it has. */
	for (i = 0; i < n; i++) {
		reps[i] = sides[i].sets[0];
		if (sides[i].n > 1) {
			char l[sizeof(reps[i].label)];
			const char *rel = cb_jstr(cb_jget(reps[i].env, "kernel"), "release") ?: "unknown kernel";
			const char *virt = cb_env_virt(reps[i].env);

			snprintf(l, sizeof(l), "%.70s%s (%d runs)", rel,
				 !virt ? "" : strcmp(virt, "tcg") == 0 ? " (TCG emulation)" :
					      strcmp(virt, "kvm") == 0 ? " (KVM guest)" : " (virtual machine)",
				 sides[i].n);
			for (int j = 0; j < i; j++)
				if (strcmp(reps[j].label, l) == 0)
					snprintf(l + strnlen(l, 100), sizeof(l) - strnlen(l, 100), " #%d", i + 1);
			memcpy(reps[i].label, l, sizeof(l));
		}
		labels[i] = reps[i].label;
		nkeys[i] = 0;
		for (int m = 0; m < sides[i].n; m++) {
			char(*k)[CB_KEY_MAX];
			size_t nk = cb_resultset_keys(&sides[i].sets[m], &k);

			if (!k) {
				snprintf(err, errlen, "out of memory");
				goto free_keys;
			}
			for (size_t j = 0; j < nk; j++) {
				struct cmp_side earlier = { sides[i].sets, m };

				if (cmp_side_has(&earlier, k[j]))
					continue;
				void *more = realloc(keys[i], (nkeys[i] + 1) * CB_KEY_MAX);

				if (!more) {
					free(k);
					snprintf(err, errlen, "out of memory");
					goto free_keys;
				}
				keys[i] = more;
				memcpy(keys[i][nkeys[i]++], k[j], CB_KEY_MAX);
			}
			free(k);
		}
	}
	for (i = 1; i < n; i++) {
		bool common = false;

		for (size_t k = 0; k < nkeys[i] && !common; k++)
			common = cmp_side_has(&sides[0], keys[i][k]);
		if (!common) {
			snprintf(err, errlen,
				 "%s/results.jsonl: no instance in common with the baseline %s/results.jsonl",
				 reps[i].dir, reps[0].dir);
			goto free_keys;
		}
	}
	warnings = json_object_new_array();
	/* The runs of one side should be one kernel on one machine. */
	for (i = 0; i < n; i++)
		for (int m = 1; m < sides[i].n; m++) {
			json_object *a = cb_jpath(sides[i].sets[0].env, "kernel.release"),
				    *b = cb_jpath(sides[i].sets[m].env, "kernel.release");

			if (!cb_jstr_eq(a, b)) {
				char w[1400];

				snprintf(w, sizeof(w), "the runs of %.200s are of different kernels: %.300s is %.100s, %.300s is %.100s", labels[i],
					 sides[i].sets[0].dir, a ? json_object_get_string(a) : "unknown",
					 sides[i].sets[m].dir, b ? json_object_get_string(b) : "unknown");
				json_object_array_add(warnings, json_object_new_string(w));
			}
		}
	diff = cb_env_diff(reps, n, opts->flags & CB_CMP_FORCE, &forced, warnings, err, errlen);
	if (!diff) {
		json_object_put(warnings);
		goto free_keys;
	}
	timings = cb_cmp_timings(reps, n, opts->flags & CB_CMP_TIMINGS, timing, warnings);
	c.warnings = warnings;
	cmp = json_object_new_object();
	json_object_object_add(cmp, "schema", json_object_new_int(2));
	json_object_object_add(cmp, "baseline", json_object_new_string(labels[0]));
	/* The common shift first (filled in by cb_cmp_judge): it is what a reader needs before any row. */
	json_object_object_add(cmp, "shift", NULL);
	json_object_object_add(cmp, "forced", json_object_new_boolean(forced));
	json_object_object_add(cmp, "timings", json_object_new_string(timings));
	json_object_object_add(cmp, "fdr", cb_num_json(opts->fdr));
	json_object_object_add(cmp, "min_effect", cb_num_json(opts->min_effect));
	json_object_object_add(cmp, "unit", json_object_new_string(c.paired ? "round" : c.by_run ? "run" : "repetition"));
	json_object_object_add(cmp, "warnings", warnings);
	notes = json_object_new_array();
	if (!c.by_run)
		json_object_array_add(notes, json_object_new_string(
			multi ? "not every side has several runs: repetitions are the samples, pooled over a side's runs,"
				" and boot-to-boot variance is not in the error" :
				"one run per side: repetitions are the samples, so boot-to-boot variance is not in the"
				" error (give several runs per side: compare A1 A2 A3 -- B1 B2 B3)"));
	else if (c.paired)
		json_object_array_add(notes, json_object_new_string(
			"runs paired by round: each round's ratio of run means is one sample, so the drift a round"
			" shares cancels and boot-to-boot variance is in the error"));
	else
		json_object_array_add(notes, json_object_new_string(
			"several runs per side: each run is summarised by its mean and the runs are the samples,"
			" so boot-to-boot variance is in the error"));
	json_object_object_add(cmp, "notes", notes);
	runs = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *r = json_object_new_object(), *rel = cb_jpath(reps[i].env, "kernel.release"),
			    *members = json_object_new_array();
		const char *id = cb_jstr(reps[i].env, "run_id");

		json_object_object_add(r, "label", json_object_new_string(labels[i]));
		json_object_object_add(r, "dir", json_object_new_string(reps[i].dir));
		json_object_object_add(r, "run_id", id ? json_object_new_string(id) : NULL);
		json_object_object_add(r, "kernel_release",
				       rel ? json_object_new_string(json_object_get_string(rel)) : NULL);
		json_object_object_add(r, "virtualized", cb_env_virt(reps[i].env) ?
								 json_object_new_string(cb_env_virt(reps[i].env)) :
								 NULL);
		json_object_object_add(r, "emulated", json_object_new_boolean(cb_env_emulated(reps[i].env)));
		json_object_object_add(r, "vm",
				       cb_env_virt(reps[i].env) ? json_object_get(cb_jget(reps[i].env, "vm")) : NULL);
		for (int m = 0; m < sides[i].n; m++) {
			json_object *mo = json_object_new_object();
			const char *mid = cb_jstr(sides[i].sets[m].env, "run_id");

			json_object_object_add(mo, "dir", json_object_new_string(sides[i].sets[m].dir));
			json_object_object_add(mo, "run_id", mid ? json_object_new_string(mid) : NULL);
			json_object_object_add(mo, "noise", json_object_get(cb_jget(sides[i].sets[m].env, "noise")));
			json_object_array_add(members, mo);
		}
		json_object_object_add(r, "members", members);
		json_object_array_add(runs, r);
	}
	json_object_object_add(cmp, "runs", runs);
	json_object_object_add(cmp, "env_diff", diff);
	instances = json_object_new_array();
	/* The baseline's instances in its order, then those only other sides have. */
	for (i = 0; i < n; i++)
		for (size_t k = 0; k < nkeys[i]; k++) {
			bool earlier = false;

			for (int j = 0; j < i && !earlier; j++)
				earlier = cmp_side_has(&sides[j], keys[i][k]);
			if (!earlier)
				json_object_array_add(instances, cmp_instance(&c, keys[i][k]));
		}
	{
		struct cb_judge_in jin = { .nsides = n, .fdr = opts->fdr, .min_effect = opts->min_effect,
					   .error = CB_RUNERR_NONE, .runs = acc.r, .nruns = acc.n };

		if (opts->drift && !c.by_run) {
			jin.error = CB_RUNERR_DRIFT;
			jin.drift = opts->drift;
		} else if (c.by_run) {
			jin.error = c.paired ? CB_RUNERR_ROUNDS : CB_RUNERR_RUNS;
		}
		json_object_object_add(cmp, "tests", json_object_new_int((int)cb_cmp_judge(cmp, instances, &jin)));
	}
	json_object_object_add(cmp, "instances", instances);
	/* Keep the side labels where the renderers and the HTML report's plots find them. */
	for (i = 0; i < n; i++)
		if (sides[i].n == 1)
			memcpy(sides[i].sets[0].label, reps[i].label, sizeof(reps[i].label));
free_keys:
	for (i = 0; i < n; i++)
		free(keys[i]);
	free(acc.r);
	return cmp;
}

json_object *cb_compare_build(struct cb_resultset *sets, int n, unsigned flags, char *err, size_t errlen)
{
	struct cb_cmp_opts opts = { .flags = flags, .fdr = CB_CMP_FDR, .min_effect = CB_CMP_MIN_EFFECT };
	int side_of[CB_CMP_MAX_RUNS];

	if (n < 2 || n > CB_CMP_MAX_RUNS) {
		snprintf(err, errlen, "compare needs a baseline and 1 to %d other result sets", CB_CMP_MAX_RUNS - 1);
		return NULL;
	}
	for (int i = 0; i < n; i++)
		side_of[i] = i;
	return cb_compare_build_sides(sets, n, side_of, &opts, err, errlen);
}
