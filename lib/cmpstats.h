/* Statistics for comparing two samples (a baseline and another run). */
#ifndef CB_CMPSTATS_H
#define CB_CMPSTATS_H

#include <stdbool.h>
#include <stddef.h>

/* Mean and sample variance (NaN with fewer than 2 values; a constant sample exactly its value and
 * 0). -EINVAL on a value that is not finite. */
int cb_moments(const double *v, size_t n, double *mean, double *var);
/* Student's t distribution: CDF and quantile (df > 0, may be fractional). */
double cb_t_cdf(double t, double df);
double cb_t_quantile(double p, double df);

/* Welch's unequal-variance t-test, two-sided. p is NaN when undefined (n < 2 on a side, or both
 * variances 0 with different means: then p = 0; equal means with 0 variance: p = 1). */
struct cb_welch {
	double t, df, p;
};
int cb_welch_test(const double *a, size_t na, const double *b, size_t nb, struct cb_welch *out);

/* Mann-Whitney U (Wilcoxon rank-sum), two-sided: exact distribution without ties for small
 * samples (na, nb <= 20), else the normal approximation with tie and continuity correction.
 * u is U of sample a. p is NaN when a side is empty. */
struct cb_mwu {
	double u, p;
	int exact;
};
int cb_mann_whitney(const double *a, size_t na, const double *b, size_t nb, struct cb_mwu *out);

/* Ratio mean(b) / mean(a) with a confidence interval at `level` (e.g. 0.95), from the Welch
 * standard error of the log ratio (delta method); lo = hi = ratio when both variances are 0;
 * NaN bounds when n < 2 on a side. Returns -EINVAL when a mean is <= 0 or a side is empty. */
struct cb_ratio {
	double ratio, lo, hi;
};
int cb_ratio_ci(const double *a, size_t na, const double *b, size_t nb, double level, struct cb_ratio *out);

/* Mean and the 95 % confidence interval of the mean (Student's t); one value gives lo = hi = the
 * value, none NaN. */
double cb_mean_ci(const double *v, size_t n, double *lo, double *hi);

/* Values outside Tukey's fences [Q1 - 1.5 IQR, Q3 + 1.5 IQR] (quartiles as R's type 7); 0 when
 * n < 4, where fences say nothing. */
size_t cb_tukey_outliers(const double *v, size_t n);

/* Hodges-Lehmann estimate of the shift x - y (median of the pairwise differences) and its
 * confidence interval at level, as R's wilcox.test(x, y, conf.int = TRUE): exact order statistics
 * of the differences for nx, ny <= 20, else their normal approximation. */
int cb_hodges_lehmann(const double *x, size_t nx, const double *y, size_t ny, double level, double *est,
		      double *lo, double *hi);

/* The smallest two-sided p Mann-Whitney can give for na and nb (exact: 2 / C(na + nb, na)). */
double cb_mwu_min_p(size_t na, size_t nb);
/* Benjamini-Hochberg adjusted p-values (R's p.adjust(p, "BH")): q[i] for p[i]; p without NaN. */
int cb_bh_adjust(const double *p, size_t n, double *q);

/* One comparison of sample b with baseline a, as compare decides it. */
enum cb_cmp_result {
	CB_CMP_TESTED,
	CB_CMP_TOO_FEW,      /* n < 2 on a side */
	CB_CMP_NOT_TESTABLE, /* every value of both sides the same: nothing to test */
};
struct cb_cmp_test {
	enum cb_cmp_result result;
	const char *test;        /* which test: "t-log" (Welch's t on the logs) or "welch" (raw scale,
				  * where a value is not positive); NULL untested */
	double p;                /* the test's two-sided p */
	double p_welch, p_mw;    /* p_welch: the same as p; p_mw: Mann-Whitney's */
	double p_mw_min;         /* the smallest p the rank test can give at these sizes */
	double ratio, lo, hi;    /* b / a: the ratio of geometric means with its 95 % CI */
	double hl_ratio, hl_lo, hl_hi; /* exp of the Hodges-Lehmann shift of the logs, its 95 % CI */
	double mde;              /* relative minimum detectable effect, 80 % power, 5 % two-sided */
	double se_log;           /* standard error of log(ratio) (NaN where not on the log scale) */
	double df_log;           /* the degrees of freedom behind se_log (Welch-Satterthwaite):
				  * few repetitions, heavy tails */
	size_t outliers_a, outliers_b; /* Tukey-fence outliers on each side (shown, never a switch) */
};
/*
 * floor_sd: the metric's resolution; each side's standard deviation is taken as at least this
 * (identical repetitions at a bucket midpoint do not make a zero-width interval). One test, chosen
 * by what the data are and never by how they fall: Welch's t on the logs, with the ratio of
 * geometric means and its CI on the same scale; on the raw scale only where a value is not
 * positive. The rank test's p and the Hodges-Lehmann ratio are computed beside it: compare uses
 * them instead only where the sizes let the rank test reach the threshold one discovery needs
 * (cb_mwu_min_p), a choice made from n alone.
 */
int cb_compare_samples(const double *a, size_t na, const double *b, size_t nb, double floor_sd,
		       struct cb_cmp_test *out);

/* Runs paired by round (run i of a with run i of b): the paired t on the logs of the rounds'
 * ratios decides; where a value is not positive, cb_compare_samples's unpaired test. */
int cb_compare_paired(const double *a, const double *b, size_t n, double floor_sd, struct cb_cmp_test *out);
/*
 * The spread a comparison's tests share beyond their own errors, as Efron's empirical null
 * (Efron 2004) around a centre the caller has taken out: x[i] estimates (log ratios), se[i] their standard errors; returns
 * the tau >= 0 for which the robust standard deviation (1.4826 × median absolute value) of
 * x[i] / sqrt(se[i]^2 + tau^2) is 1, or 0 when it is at most 1 already. Robust while fewer than
 * half of the x[i] carry a real effect.
 */
double cb_empirical_tau(const double *x, const double *se, size_t n);
/* The tails of that null: the degrees of freedom (1 … 100, or 1e6 for normal) of a t scaled to a
 * robust sd of 1 that fit z[i] = x[i] / sqrt(se[i]^2 + tau^2) best (maximum likelihood). Runs on a
 * loaded machine differ now and then by far more than a normal tail allows. */
double cb_empirical_df(const double *x, const double *se, size_t n, double tau);
/*
 * Smyth's moderated variances (limma's squeezeVar, Smyth 2004): n tests of one kind, var[i] with
 * df[i] degrees of freedom, each shrunk toward a prior s0 with d0 degrees of freedom estimated
 * from all of them by the method of moments on log var: var_post = (d0 s0 + df var) / (d0 + df),
 * df_post = d0 + df. Three repetitions that agree by chance no longer make a tiny error, nor do
 * they leave a t with two degrees of freedom. Fewer than 3 usable tests: unchanged. d0 may be
 * INFINITY (every variance s0); d0_out and s0_out may be NULL.
 */
int cb_squeeze_var(const double *var, const double *df, size_t n, double *var_post, double *df_post, double *d0_out,
		   double *s0_out);
/* Two-sided p of z under that null, and its p-quantile (in units of z). */
double cb_empirical_p(double z, double df);
double cb_empirical_quantile(double p, double df);

#endif
