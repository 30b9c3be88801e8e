/* Statistics for comparing two samples (a baseline and another run). */
#ifndef CB_CMPSTATS_H
#define CB_CMPSTATS_H

#include <stdbool.h>
#include <stddef.h>

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
	const char *test;        /* which test decided: "welch" or "mann-whitney" (NULL untested) */
	double p;                /* the deciding test's two-sided p */
	double p_welch, p_mw;
	double ratio, lo, hi;    /* b / a: the ratio of means (Welch) or exp of the Hodges-Lehmann
			          * shift of the logs (Mann-Whitney), with its 95 % CI */
	double mde;              /* relative minimum detectable effect, 80 % power, 5 % two-sided */
	double se_log;           /* standard error of log(ratio) (NaN where not on the log scale) */
	double df_log;           /* the degrees of freedom behind se_log (Welch-Satterthwaite; the
				  * rank test: na + nb - 2): few repetitions, heavy tails */
	size_t outliers_a, outliers_b; /* Tukey-fence outliers on each side */
};
/*
 * floor_sd: the metric's resolution; each side's standard deviation is taken as at least this
 * (identical repetitions at a bucket midpoint do not make a zero-width interval). Welch's t-test
 * decides, with the ratio of means and its CI on the log scale (delta method); when either side
 * has outliers (Tukey fences), Mann-Whitney decides with the Hodges-Lehmann shift of the logs.
 */
int cb_compare_samples(const double *a, size_t na, const double *b, size_t nb, double floor_sd,
		       struct cb_cmp_test *out);

/*
 * The spread a comparison's tests share beyond their own errors, as Efron's empirical null
 * (Efron 2004) without a shift: x[i] estimates (log ratios), se[i] their standard errors; returns
 * the tau >= 0 for which the robust standard deviation (1.4826 × median absolute value) of
 * x[i] / sqrt(se[i]^2 + tau^2) is 1, or 0 when it is at most 1 already. Robust while fewer than
 * half of the x[i] carry a real effect.
 */
double cb_empirical_tau(const double *x, const double *se, size_t n);
/* The tails of that null: the degrees of freedom (1 … 100, or 1e6 for normal) of a t scaled to a
 * robust sd of 1 that fit z[i] = x[i] / sqrt(se[i]^2 + tau^2) best (maximum likelihood). Runs on a
 * loaded machine differ now and then by far more than a normal tail allows. */
double cb_empirical_df(const double *x, const double *se, size_t n, double tau);
/* Two-sided p of z under that null, and its p-quantile (in units of z). */
double cb_empirical_p(double z, double df);
double cb_empirical_quantile(double p, double df);

#endif
