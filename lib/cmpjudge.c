/* The verdicts of a comparison (cb_cmp_judge).
 *
 * Two runs of one kernel differ on three levels: repetitions within a run, instances around the
 * run's common factor, and the common factor itself from run to run. The tests of one run per
 * side see only the first; the spread of the instances around their median (Efron's empirical
 * null, with its centre estimated and not assumed at 1) gives the second; the third needs several
 * runs per side, runs paired by round, or a calibration of the machine. So every timing test gets
 * a relative verdict (did this instance move beyond the shift all timings share?) and, where the
 * third level is known, an absolute one (did it move at all?); the shift itself is judged only
 * then. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb.h"
#include "cmpcommon.h"
#include "cmpjudge.h"
#include "cmpstats.h"
#include "stats.h"

#define JUDGE_SHIFT_MIN 5 /* timing tests a common shift is reported from */
#define JUDGE_NULL_MIN	20 /* tests the instances' spread around it is estimated from */
#define JUDGE_COUNT_MIN 10 /* count tests their own spread is estimated from */
#define JUDGE_Z975	1.959963984540054

bool cb_cmp_is_timing(const char *unit)
{
	static const char *const units[] = { "ns", "us", "µs", "ms", "s" };

	if (!unit)
		return false;
	for (size_t i = 0; i < CB_ARRAY_SIZE(units); i++)
		if (strcmp(unit, units[i]) == 0)
			return true;
	return strstr(unit, "/s") != NULL;
}

void cb_cmp_family(const char *backing, char *buf, size_t len)
{
	if (!backing)
		backing = "?";
	/* Every PTE-mapped THP behaves alike: copied and reused per 4 KiB page. */
	if (strncmp(backing, "thp_", 4) == 0 && strstr(backing, "pte"))
		snprintf(buf, len, "thp_pte");
	else
		snprintf(buf, len, "%s", backing);
}

/* One pending test of the comparison. */
struct jt {
	json_object *inst, *mo, *e;
	int side;
	bool timing, count; /* count: an outcome compared as a distribution */
	char group[64];     /* the metric's null: its name (extra_timed.* as one) */
	bool logscale;      /* x, se: its log ratio and that's standard error */
	double x, se, dfs;
	char family[40];
	/* The verdict that counts, and the relative one. */
	double p, s, df, lo, hi;
	const char *kind;
	bool has_rel;
	double p_rel, s_rel, df_rel, r_rel, df_null;
	double q, q_rel;
	bool unjudged;
};

/* The empirical null of one metric's timing tests (or of all of them pooled): its centre, the
 * instances' robust spread around it, and what that spread adds to each test's error. Metrics
 * drift apart: two runs here differed by 13 % in ns_per_page and 1 % in latency p50, and p99
 * scatters four times as much as p50. */
struct jnull {
	char name[64];
	size_t n;
	double delta, spread, tau, df_null, se_delta;
};

#define JUDGE_GROUPS 16

/* Per side: the common shift of its timing tests and the spreads around it. */
struct jside {
	size_t ncount;
	struct jnull all; /* every timing test pooled: the common shift */
	struct jnull g[JUDGE_GROUPS];
	size_t ng;
	double tau_count, df_count;
	/* The shift against 1, where run-level error exists. */
	bool judged;
	double s_abs, df_abs;
};

static int judge_double_order(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

static double judge_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), judge_double_order);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Welch-Satterthwaite degrees of freedom of a sum of two variances. */
static double judge_df_sum(double v1, double df1, double v2, double df2)
{
	double num = (v1 + v2) * (v1 + v2), den = 0;

	if (v1 > 0)
		den += v1 * v1 / (isfinite(df1) && df1 > 0 ? df1 : 1e9);
	if (v2 > 0)
		den += v2 * v2 / (isfinite(df2) && df2 > 0 ? df2 : 1e9);
	return den > 0 ? num / den : 1e9;
}

/* Two-sided p and the 97.5 % quantile of z under the heavier of two tails: the empirical null's
 * (a t of df_null, scaled to a robust sd of 1) and a t of the error's own degrees of freedom, where
 * a few repetitions count. */
static double judge_p(double z, double df_null, double df_err, double *q975)
{
	double p = cb_empirical_p(z, df_null), q = cb_empirical_quantile(0.975, df_null);

	if (isfinite(df_err) && df_err < 1e8) {
		p = fmax(p, 2 * cb_t_cdf(-fabs(z), df_err));
		q = fmax(q, cb_t_quantile(0.975, df_err));
	}
	if (q975)
		*q975 = q;
	return p;
}

/* Quantile of the same heavier tail at probability pr (for the detectable effect). */
static double judge_quantile(double pr, double df_null, double df_err)
{
	double q = cb_empirical_quantile(pr, df_null);

	if (isfinite(df_err) && df_err < 1e8)
		q = fmax(q, cb_t_quantile(pr, df_err));
	return q;
}

static struct jt *judge_collect(json_object *instances, size_t *n_out)
{
	size_t n = 0, cap = 64;
	struct jt *t = calloc(cap, sizeof(*t));

	*n_out = 0;
	for (size_t i = 0; t && i < cb_jlen(instances); i++) {
		json_object *inst = cb_jidx(instances, i), *metrics = cb_jget(inst, "metrics");

		for (size_t m = 0; m < cb_jlen(metrics); m++) {
			json_object *mo = cb_jidx(metrics, m), *vs = cb_jget(mo, "vs_baseline");

			for (size_t r = 1; r < cb_jlen(vs); r++) {
				json_object *e = cb_jidx(vs, r);
				struct jt *j;

				if (!e || strcmp(cb_jstr(e, "verdict") ?: "", "pending"))
					continue;
				if (n == cap) {
					struct jt *more = realloc(t, 2 * cap * sizeof(*t));

					if (!more) {
						free(t);
						return NULL;
					}
					t = more;
					cap *= 2;
				}
				j = &t[n++];
				memset(j, 0, sizeof(*j));
				j->inst = inst;
				j->mo = mo;
				j->e = e;
				j->side = (int)r;
				j->count = json_object_get_boolean(cb_jget(mo, "outcome"));
				j->timing = !j->count && cb_cmp_is_timing(cb_jstr(mo, "unit"));
				j->x = log(cb_jnum(e, "ratio"));
				j->se = cb_jnum(e, "se_log");
				j->dfs = cb_jnum(e, "df_log");
				j->logscale = isfinite(j->x) && j->se > 0;
				j->p = isnan(cb_jnum(e, "p")) ? 1 : cb_jnum(e, "p");
				j->lo = cb_jnum(e, "ci_lo");
				j->hi = cb_jnum(e, "ci_hi");
				j->s = j->se;
				j->df = j->dfs;
				j->kind = "within-run";
				cb_cmp_family(cb_jstr(inst, "backing"), j->family, sizeof(j->family));
				snprintf(j->group, sizeof(j->group), "%s",
					 strncmp(cb_jstr(mo, "name") ?: "", "extra_timed.", 12) == 0 ?
						 "extra_timed" :
						 cb_jstr(mo, "name") ?: "?");
			}
		}
	}
	*n_out = n;
	return t;
}

/* The level of each run: the median over the side's timing tests of the run's log mean minus the
 * test's mean over both sides' runs. Returns the runs found on each side (0: none). */
static int judge_levels(const struct cb_judge_in *in, int side, double *la, int *na, double *lb, int *nb)
{
	int ka = -1, kb = -1;
	size_t nt = 0;
	double *col;

	for (size_t k = 0; k < in->nruns; k++) {
		const struct cb_judge_runs *r = &in->runs[k];

		if (r->side != side)
			continue;
		if (ka < 0) {
			ka = r->na;
			kb = r->nb;
		}
		if (r->na == ka && r->nb == kb)
			nt++;
	}
	*na = *nb = 0;
	if (ka < 1 || kb < 1 || !nt)
		return 0;
	col = malloc(nt * sizeof(*col));
	if (!col)
		return 0;
	for (int run = 0; run < ka + kb; run++) {
		size_t c = 0;

		for (size_t k = 0; k < in->nruns; k++) {
			const struct cb_judge_runs *r = &in->runs[k];
			double ref = 0;

			if (r->side != side || r->na != ka || r->nb != kb)
				continue;
			for (int j = 0; j < ka; j++)
				ref += r->a[j];
			for (int j = 0; j < kb; j++)
				ref += r->b[j];
			ref /= ka + kb;
			col[c++] = (run < ka ? r->a[run] : r->b[run - ka]) - ref;
		}
		if (run < ka)
			la[run] = judge_median(col, c);
		else
			lb[run - ka] = judge_median(col, c);
	}
	free(col);
	*na = ka;
	*nb = kb;
	return 1;
}

/* The sample variance of n values (n >= 2). */
static double judge_var(const double *v, int n)
{
	double m, var;

	return cb_moments(v, (size_t)n, &m, &var) ? NAN : var;
}

/* The shift's own error, from the runs, the rounds or the calibration. */
static void judge_shift_error(const struct cb_judge_in *in, int side, struct jside *sd)
{
	double la[CB_CMP_MAX_RUNS], lb[CB_CMP_MAX_RUNS];
	int na, nb;

	sd->judged = false;
	if (in->error == CB_RUNERR_DRIFT && in->drift) {
		/* Two runs' shifts differ by the difference of two draws. */
		double v = 2 * in->drift->shift_sd * in->drift->shift_sd;

		sd->s_abs = sqrt(v + sd->all.se_delta * sd->all.se_delta);
		sd->df_abs = in->drift->runs - 1;
		sd->judged = true;
		return;
	}
	if ((in->error != CB_RUNERR_RUNS && in->error != CB_RUNERR_ROUNDS) ||
	    !judge_levels(in, side, la, &na, lb, &nb))
		return;
	if (in->error == CB_RUNERR_ROUNDS && na == nb && na >= 2) {
		double d[CB_CMP_MAX_RUNS];

		for (int r = 0; r < na; r++)
			d[r] = lb[r] - la[r];
		sd->s_abs = sqrt(judge_var(d, na) / na);
		sd->df_abs = na - 1;
		sd->judged = sd->s_abs > 0;
	} else if (na >= 2 && nb >= 2) {
		double va = judge_var(la, na) / na, vb = judge_var(lb, nb) / nb;

		sd->s_abs = sqrt(va + vb);
		sd->df_abs = judge_df_sum(va, na - 1, vb, nb - 1);
		sd->judged = sd->s_abs > 0;
	}
}

/* The null of side `side`'s timing tests of group `group` (NULL: all of them). */
static void judge_null(const struct jt *t, size_t n, int side, const char *group, struct jnull *nu)
{
	double *x = malloc((n ? n : 1) * sizeof(*x)), *se = malloc((n ? n : 1) * sizeof(*se)), *d = NULL;
	size_t k = 0;

	nu->n = 0;
	nu->delta = nu->spread = nu->tau = nu->se_delta = 0;
	nu->df_null = 1e6;
	snprintf(nu->name, sizeof(nu->name), "%s", group ? group : "all");
	if (!x || !se)
		goto free_all;
	for (size_t i = 0; i < n; i++)
		if (t[i].side == side && t[i].timing && t[i].logscale && (!group || !strcmp(group, t[i].group)))
			x[k++] = t[i].x;
	nu->n = k;
	if (k < JUDGE_SHIFT_MIN)
		goto free_all;
	d = malloc(k * sizeof(*d));
	if (!d)
		goto free_all;
	memcpy(d, x, k * sizeof(*d));
	nu->delta = judge_median(d, k);
	for (size_t i = 0; i < k; i++)
		d[i] = fabs(x[i] - nu->delta);
	nu->spread = 1.482602218505602 * judge_median(d, k);
	/* The median's own error: sqrt(pi / 2) times the mean's. */
	nu->se_delta = 1.2533141373155 * nu->spread / sqrt((double)k);
	k = 0;
	for (size_t i = 0; i < n; i++)
		if (t[i].side == side && t[i].timing && t[i].logscale && (!group || !strcmp(group, t[i].group))) {
			x[k] = t[i].x - nu->delta;
			se[k++] = t[i].se;
		}
	if (k >= JUDGE_NULL_MIN) {
		nu->tau = cb_empirical_tau(x, se, k);
		nu->df_null = cb_empirical_df(x, se, k, nu->tau);
	}
free_all:
	free(d);
	free(x);
	free(se);
}

/* The null a test is judged against: its metric's where that has enough tests, else the pooled
 * one; NULL where neither has (a small comparison: its tests rest on the repetitions alone). */
static const struct jnull *judge_null_of(const struct jside *sd, const struct jt *j)
{
	for (size_t g = 0; g < sd->ng; g++)
		if (!strcmp(sd->g[g].name, j->group) && sd->g[g].n >= JUDGE_NULL_MIN)
			return &sd->g[g];
	return sd->all.n >= JUDGE_NULL_MIN ? &sd->all : NULL;
}

/* Moderates the errors of side `side`'s log-scale tests of one kind (a timing metric's, or the
 * counts'): a few repetitions that agree by chance borrow the error of all (cb_squeeze_var), with
 * the degrees of freedom that borrowing gives. */
static void judge_squeeze(struct jt *t, size_t n, int side, const char *group, bool count)
{
	double *v = calloc(n ? n : 1, sizeof(*v)), *d = calloc(n ? n : 1, sizeof(*d));
	double *vp = malloc((n ? n : 1) * sizeof(*vp)), *dp = malloc((n ? n : 1) * sizeof(*dp));
	size_t k = 0;

	if (!v || !d || !vp || !dp)
		goto free_all;
	for (size_t i = 0; i < n; i++)
		if (t[i].side == side && t[i].logscale && (count ? t[i].count : t[i].timing && !strcmp(t[i].group, group))) {
			v[k] = t[i].se * t[i].se;
			d[k++] = t[i].dfs > 0 ? t[i].dfs : 1e6;
		}
	/* A prior from a handful of tests would be noise of its own. */
	if (k < JUDGE_COUNT_MIN || cb_squeeze_var(v, d, k, vp, dp, NULL, NULL))
		goto free_all;
	/* Raised, never lowered: a test whose repetitions scatter more than the others' keeps its own
	 * error and its heavy tails (an instance noisier than the rest is noisy, and shrinking it
	 * toward them made a false regression of a 3-repetition instance at 111 vs 170 ns/page). */
	k = 0;
	for (size_t i = 0; i < n; i++)
		if (t[i].side == side && t[i].logscale && (count ? t[i].count : t[i].timing && !strcmp(t[i].group, group))) {
			if (vp[k] > v[k]) {
				t[i].se = sqrt(vp[k]);
				t[i].dfs = dp[k];
			}
			k++;
		}
free_all:
	free(v);
	free(d);
	free(vp);
	free(dp);
}

/* The common shift of side `side`, each metric's null, and the counts' own spread. */
static void judge_side(struct jt *t, size_t n, int side, const struct cb_judge_in *in, struct jside *sd)
{
	double *x = malloc((n ? n : 1) * sizeof(*x)), *se = malloc((n ? n : 1) * sizeof(*se));
	size_t kc = 0;

	memset(sd, 0, sizeof(*sd));
	sd->all.df_null = sd->df_count = 1e6;
	if (!x || !se)
		goto free_all;
	for (size_t i = 0; i < n; i++) {
		bool seen = false;

		if (t[i].side != side || !t[i].timing || !t[i].logscale)
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = t[j].side == side && t[j].timing && t[j].logscale && !strcmp(t[j].group, t[i].group);
		if (!seen)
			judge_squeeze(t, n, side, t[i].group, false);
	}
	judge_squeeze(t, n, side, NULL, true);
	judge_null(t, n, side, NULL, &sd->all);
	for (size_t i = 0; i < n; i++) {
		bool seen = false;

		if (t[i].side != side || !t[i].timing || !t[i].logscale)
			continue;
		for (size_t g = 0; g < sd->ng && !seen; g++)
			seen = !strcmp(sd->g[g].name, t[i].group);
		if (!seen && sd->ng < JUDGE_GROUPS)
			judge_null(t, n, side, t[i].group, &sd->g[sd->ng++]);
	}
	/* Counts compared as distributions share no speed with the timings: a spread of their own,
	 * around no change. */
	for (size_t i = 0; i < n; i++) {
		sd->ncount += t[i].side == side && t[i].count;
		if (t[i].side == side && t[i].count && t[i].logscale) {
			x[kc] = t[i].x;
			se[kc++] = t[i].se;
		}
	}
	if (sd->ncount >= JUDGE_COUNT_MIN && kc >= 2) {
		sd->tau_count = cb_empirical_tau(x, se, kc);
		sd->df_count = cb_empirical_df(x, se, kc, sd->tau_count);
	}
	judge_shift_error(in, side, sd);
free_all:
	free(x);
	free(se);
}

/* A test's run-to-run error from the calibration: its own drift, else the shift's and the
 * instances' spread. */
static double judge_drift_sd(const struct cb_judge_in *in, const struct jt *j, const struct jside *sd)
{
	char key[CB_KEY_MAX + 100];
	json_object *v;

	snprintf(key, sizeof(key), "%s %s", cb_jstr(j->inst, "key") ?: "?", cb_jstr(j->mo, "name") ?: "?");
	v = cb_jget(in->drift->tests, key);
	if (v && (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
		return json_object_get_double(v);
	return sqrt(in->drift->shift_sd * in->drift->shift_sd + sd->all.spread * sd->all.spread);
}

/* Each test's relative and counting p, error and interval. */
static void judge_test(struct jt *j, const struct jside *sd, const struct cb_judge_in *in, double alpha1)
{
	const struct jnull *nu = judge_null_of(sd, j);
	double q975;

	if (j->timing && j->logscale && nu) {
		double r = j->x - nu->delta, v = j->se * j->se + nu->tau * nu->tau + nu->se_delta * nu->se_delta;

		j->has_rel = true;
		j->r_rel = r;
		j->s_rel = sqrt(v);
		j->df_null = nu->df_null;
		j->df_rel = judge_df_sum(j->se * j->se, j->dfs, nu->tau * nu->tau + nu->se_delta * nu->se_delta,
					 nu->df_null < 1e6 ? nu->df_null : 1e9);
		j->p_rel = judge_p(r / j->s_rel, nu->df_null, j->df_rel, NULL);
	}
	if (j->timing && j->logscale && in->error == CB_RUNERR_DRIFT) {
		double dsd = judge_drift_sd(in, j, sd), v2 = 2 * dsd * dsd;

		j->s = sqrt(j->se * j->se + v2);
		j->df = judge_df_sum(j->se * j->se, j->dfs, v2, in->drift->runs - 1);
		j->p = judge_p(j->x / j->s, 1e6, j->df, &q975);
		j->lo = exp(j->x - q975 * j->s);
		j->hi = exp(j->x + q975 * j->s);
		j->kind = "absolute";
	} else if (j->timing && (in->error == CB_RUNERR_RUNS || in->error == CB_RUNERR_ROUNDS)) {
		/* The samples are runs: their test already holds the run-to-run error. Where the sizes
		 * let the rank test reach one discovery's threshold, it decides instead (chosen by n). */
		if (in->error == CB_RUNERR_RUNS && cb_jnum(j->e, "p_mannwhitney_min") <= alpha1 &&
		    isfinite(cb_jnum(j->e, "hl_ratio")) && isfinite(cb_jnum(j->e, "p_mannwhitney"))) {
			j->p = cb_jnum(j->e, "p_mannwhitney");
			j->x = log(cb_jnum(j->e, "hl_ratio"));
			j->lo = cb_jnum(j->e, "hl_lo");
			j->hi = cb_jnum(j->e, "hl_hi");
			j->s = (log(j->hi) - log(j->lo)) / (2 * JUDGE_Z975);
			json_object_object_add(j->e, "test", json_object_new_string("mann-whitney"));
			json_object_object_add(j->e, "ratio", cb_num_json(exp(j->x)));
		}
		j->kind = "absolute";
	} else if (j->timing && j->has_rel) {
		/* One run per side, no calibration: judged against the shift only. */
		double q;

		j->p = j->p_rel;
		j->s = j->s_rel;
		j->df = j->df_rel;
		q = judge_quantile(0.975, j->df_null, j->df_rel);
		j->lo = exp(j->x - q * j->s);
		j->hi = exp(j->x + q * j->s);
		j->kind = "relative";
	} else if (j->count && in->error != CB_RUNERR_RUNS && in->error != CB_RUNERR_ROUNDS) {
		if (sd->ncount < JUDGE_COUNT_MIN) {
			j->unjudged = true;
		} else if (j->logscale) {
			double v2 = sd->tau_count * sd->tau_count;

			j->s = sqrt(j->se * j->se + v2);
			j->df = judge_df_sum(j->se * j->se, j->dfs, v2, sd->df_count < 1e6 ? sd->df_count : 1e9);
			j->p = judge_p(j->x / j->s, sd->df_count, j->df, &q975);
			j->lo = exp(j->x - q975 * j->s);
			j->hi = exp(j->x + q975 * j->s);
		}
		j->kind = "count";
	}
}

static const char *judge_verdict(double q, double fdr, double lo, double hi, double r, double min_effect,
				 const char *better)
{
	/* 1/(1 + e) .. 1 + e: a difference below --min-effect either way. */
	if (!(q < fdr && (lo > 1 || hi < 1) && (r >= 1 + min_effect || r <= 1 / (1 + min_effect))))
		return "not significant";
	if (strcmp(better, "none") == 0)
		return "changed";
	return (r > 1) == (strcmp(better, "lower") == 0) ? "regression" : "improvement";
}

/* The detectable difference at the threshold one discovery of the family needs, 80 % power. */
static double judge_mde(double s, double df_null, double df, double alpha1)
{
	if (!(s > 0))
		return NAN;
	return exp((judge_quantile(1 - alpha1 / 2, df_null, df) + judge_quantile(0.8, df_null, df)) * s) - 1;
}

static void judge_write(struct jt *j, const struct jside *sd, const struct cb_judge_in *in, double alpha1)
{
	const char *better = cb_jstr(j->mo, "better") ?: "lower";
	const char *verdict;
	double r = exp(j->x);

	if (!j->logscale)
		r = cb_jnum(j->e, "ratio");
	json_object_object_add(j->e, "p_within", cb_num_json(cb_jnum(j->e, "p")));
	json_object_object_add(j->e, "p", cb_num_json(j->p));
	json_object_object_add(j->e, "q", cb_num_json(j->q));
	json_object_object_add(j->e, "ci_lo", cb_num_json(j->lo));
	json_object_object_add(j->e, "ci_hi", cb_num_json(j->hi));
	json_object_object_add(j->e, "verdict_kind", json_object_new_string(j->kind));
	json_object_object_add(j->e, "df", isfinite(j->df) && j->df < 1e8 ? cb_num_json(j->df) : NULL);
	if (j->logscale)
		json_object_object_add(j->e, "mde",
				       cb_num_json(judge_mde(j->s, j->count ? sd->df_count :
								 j->timing && !strcmp(j->kind, "relative") ? j->df_null : 1e6,
							     j->df, alpha1)));
	if (j->unjudged)
		verdict = "not judged";
	else
		verdict = judge_verdict(j->q, in->fdr, j->lo, j->hi, r, in->min_effect, better);
	json_object_object_add(j->e, "verdict", json_object_new_string(verdict));
	if (j->has_rel) {
		json_object *rel = json_object_new_object();
		double q = judge_quantile(0.975, j->df_null, j->df_rel), rr = exp(j->r_rel);
		double lo = exp(j->r_rel - q * j->s_rel), hi = exp(j->r_rel + q * j->s_rel);

		json_object_object_add(rel, "ratio", cb_num_json(rr));
		json_object_object_add(rel, "ci_lo", cb_num_json(lo));
		json_object_object_add(rel, "ci_hi", cb_num_json(hi));
		json_object_object_add(rel, "p", cb_num_json(j->p_rel));
		json_object_object_add(rel, "q", cb_num_json(j->q_rel));
		json_object_object_add(rel, "mde", cb_num_json(judge_mde(j->s_rel, j->df_null, j->df_rel, alpha1)));
		json_object_object_add(rel, "verdict", json_object_new_string(judge_verdict(
								j->q_rel, in->fdr, lo, hi, rr, in->min_effect, better)));
		json_object_object_add(j->e, "relative", rel);
	}
}

/* The shift's JSON, its families and its verdict. */
static json_object *judge_shift_json(const struct jt *t, size_t n, int side, const struct jside *sd,
				     const struct cb_judge_in *in)
{
	static const char *const err_names[] = { "none", "runs", "rounds", "drift" };
	json_object *o, *fam = json_object_new_array();
	const char *verdict = "not significant";
	double r = exp(sd->all.delta), lo = NAN, hi = NAN;
	char seen[64][40];
	size_t nseen = 0;

	if (sd->all.n < JUDGE_SHIFT_MIN) {
		json_object_put(fam);
		return NULL;
	}
	if (sd->judged) {
		double q = cb_t_quantile(0.975, sd->df_abs), p = 2 * cb_t_cdf(-fabs(sd->all.delta) / sd->s_abs, sd->df_abs);

		lo = exp(sd->all.delta - q * sd->s_abs);
		hi = exp(sd->all.delta + q * sd->s_abs);
		verdict = judge_verdict(p, in->fdr, lo, hi, r, in->min_effect, "lower");
	} else if (r >= 1 + in->min_effect || r <= 1 / (1 + in->min_effect)) {
		verdict = "cannot judge";
	}
	for (size_t i = 0; i < n; i++) {
		const struct jt *a = &t[i];
		double *x;
		size_t k = 0;
		bool dup = false;
		json_object *f;

		if (a->side != side || !a->timing || !a->logscale)
			continue;
		for (size_t s = 0; s < nseen && !dup; s++)
			dup = strcmp(seen[s], a->family) == 0;
		if (dup || nseen == CB_ARRAY_SIZE(seen))
			continue;
		snprintf(seen[nseen++], sizeof(seen[0]), "%s", a->family);
		x = malloc(n * sizeof(*x));
		if (!x)
			break;
		for (size_t b = 0; b < n; b++)
			if (t[b].side == side && t[b].timing && t[b].logscale && !strcmp(t[b].family, a->family))
				x[k++] = t[b].x;
		f = json_object_new_object();
		json_object_object_add(f, "family", json_object_new_string(a->family));
		json_object_object_add(f, "ratio", cb_num_json(exp(judge_median(x, k))));
		{
			double med = judge_median(x, k);

			for (size_t b = 0; b < k; b++)
				x[b] = fabs(x[b] - med);
			json_object_object_add(f, "spread", cb_num_json(1.482602218505602 * judge_median(x, k)));
		}
		json_object_object_add(f, "n", json_object_new_int((int)k));
		json_object_array_add(fam, f);
		free(x);
	}
	o = json_object_new_object();
	json_object_object_add(o, "ratio", cb_num_json(r));
	json_object_object_add(o, "spread", cb_num_json(sd->all.spread));
	json_object_object_add(o, "tau", cb_num_json(sd->all.tau));
	json_object_object_add(o, "null_df", sd->all.df_null < 1e6 ? cb_num_json(sd->all.df_null) : NULL);
	json_object_object_add(o, "n", json_object_new_int((int)sd->all.n));
	json_object_object_add(o, "ci_lo", cb_num_json(lo));
	json_object_object_add(o, "ci_hi", cb_num_json(hi));
	json_object_object_add(o, "error", json_object_new_string(sd->judged ? err_names[in->error] : "none"));
	json_object_object_add(o, "verdict", json_object_new_string(verdict));
	json_object_object_add(o, "families", fam);
	{
		json_object *mets = json_object_new_array();

		for (size_t g = 0; g < sd->ng; g++) {
			json_object *mo = json_object_new_object();

			json_object_object_add(mo, "metric", json_object_new_string(sd->g[g].name));
			json_object_object_add(mo, "ratio", sd->g[g].n >= JUDGE_SHIFT_MIN ? cb_num_json(exp(sd->g[g].delta)) : NULL);
			json_object_object_add(mo, "spread", sd->g[g].n >= JUDGE_SHIFT_MIN ? cb_num_json(sd->g[g].spread) : NULL);
			json_object_object_add(mo, "tau", cb_num_json(sd->g[g].tau));
			json_object_object_add(mo, "null_df", sd->g[g].df_null < 1e6 ? cb_num_json(sd->g[g].df_null) : NULL);
			json_object_object_add(mo, "n", json_object_new_int((int)sd->g[g].n));
			json_object_object_add(mo, "own_null", json_object_new_boolean(sd->g[g].n >= JUDGE_NULL_MIN));
			json_object_array_add(mets, mo);
		}
		json_object_object_add(o, "metrics", mets);
	}
	return o;
}

static void judge_note(json_object *cmp, const struct jside *sd, const struct cb_judge_in *in, int side,
		       const char *label)
{
	json_object *notes = cb_jget(cmp, "notes");
	char note[600];

	if (!notes)
		return;
	if (sd->all.n < JUDGE_SHIFT_MIN) {
		snprintf(note, sizeof(note),
			 "%s: too few timing tests (%zu, fewer than %d) for a common shift: timing verdicts rest on the"
			 " repetitions alone",
			 label, sd->all.n, JUDGE_SHIFT_MIN);
	} else if (!sd->judged) {
		snprintf(note, sizeof(note),
			 "%s: one run per side and no drift file: a shift that every timing shares cannot be told from"
			 " run-to-run drift (give several runs per side, interleaved rounds, or --drift FILE)%s",
			 label, sd->all.n >= JUDGE_NULL_MIN ? "; timing verdicts are relative to the common shift" : "");
	} else {
		snprintf(note, sizeof(note), "%s: the common shift is judged against 1 with run-level error from %s", label,
			 in->error == CB_RUNERR_DRIFT ? "the drift file" :
			 in->error == CB_RUNERR_ROUNDS ? "the rounds' ratios" : "the runs' shifts");
	}
	(void)side;
	json_object_array_add(notes, json_object_new_string(note));
	if (sd->all.n >= JUDGE_SHIFT_MIN && sd->all.n < JUDGE_NULL_MIN) {
		snprintf(note, sizeof(note),
			 "%s: too few timing tests (%zu, fewer than %d) to estimate the instances' spread around the"
			 " shift: timing verdicts rest on the repetitions alone",
			 label, sd->all.n, JUDGE_NULL_MIN);
		json_object_array_add(notes, json_object_new_string(note));
	}
	if (sd->ncount && sd->ncount < JUDGE_COUNT_MIN && in->error != CB_RUNERR_RUNS && in->error != CB_RUNERR_ROUNDS) {
		snprintf(note, sizeof(note),
			 "%s: %zu counts compared as distributions, fewer than %d: too few to estimate their run-to-run"
			 " spread, so they are not judged",
			 label, sd->ncount, JUDGE_COUNT_MIN);
		json_object_array_add(notes, json_object_new_string(note));
	}
}

size_t cb_cmp_judge(json_object *cmp, json_object *instances, const struct cb_judge_in *in)
{
	size_t n = 0, m = 0;
	struct jt *t = judge_collect(instances, &n);
	struct jside *sides = calloc((size_t)in->nsides, sizeof(*sides));
	json_object *shift = json_object_new_array(), *runs = cb_jget(cmp, "runs");
	double *p = NULL, *q = NULL, alpha1;

	if (!t || !sides)
		goto free_all;
	m = n;
	alpha1 = in->fdr / (double)(n ? n : 1);
	json_object_array_add(shift, NULL);
	for (int s = 1; s < in->nsides; s++) {
		judge_side(t, n, s, in, &sides[s]);
		judge_note(cmp, &sides[s], in, s, cb_jstr(cb_jidx(runs, (size_t)s), "label") ?: "?");
	}
	for (size_t i = 0; i < n; i++)
		judge_test(&t[i], &sides[t[i].side], in, alpha1);
	p = malloc((n ? n : 1) * sizeof(*p));
	q = malloc((n ? n : 1) * sizeof(*q));
	if (!p || !q)
		goto free_all;
	for (size_t i = 0; i < n; i++)
		p[i] = isfinite(t[i].p) ? t[i].p : 1;
	if (cb_bh_adjust(p, n, q))
		goto free_all;
	for (size_t i = 0; i < n; i++)
		t[i].q = q[i];
	/* The relative verdicts: one family of the same tests, each timing by its relative p. */
	for (size_t i = 0; i < n; i++)
		p[i] = t[i].has_rel ? t[i].p_rel : isfinite(t[i].p) ? t[i].p : 1;
	if (cb_bh_adjust(p, n, q))
		goto free_all;
	for (size_t i = 0; i < n; i++) {
		t[i].q_rel = q[i];
		judge_write(&t[i], &sides[t[i].side], in, alpha1);
	}
	for (int s = 1; s < in->nsides; s++)
		json_object_array_add(shift, judge_shift_json(t, n, s, &sides[s], in));
free_all:
	/* Out of memory: no verdict rather than a wrong one. */
	for (size_t i = 0; t && i < n; i++)
		if (!strcmp(cb_jstr(t[i].e, "verdict") ?: "", "pending"))
			json_object_object_add(t[i].e, "verdict", json_object_new_string("not significant"));
	json_object_object_add(cmp, "shift", shift);
	free(t);
	free(sides);
	free(p);
	free(q);
	return m;
}
