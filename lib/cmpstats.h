/* Statistics for comparing two samples (a baseline and another run). */
#ifndef CB_CMPSTATS_H
#define CB_CMPSTATS_H

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

#endif
