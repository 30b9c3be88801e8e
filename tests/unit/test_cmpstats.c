/*
 * Reference values, and where they come from:
 *  [closed] closed forms of the t CDF for df = 1, 2, 3 (evaluated here with libm);
 *  [table]  printed t tables / R's documented output (qt, t.test, wilcox.test examples);
 *  [py]     python3 with the standard library only, independent of this code: t tails by Simpson
 *           integration of the t density (math.fsum; normalising constant from math.lgamma, or for
 *           even df from exact big-integer binomials), t quantiles by Newton on that integral,
 *           Welch / ratio statistics from fractions.Fraction moments, Mann-Whitney p-values by
 *           enumerating every split with itertools.combinations or by the recurrence
 *           f(i, j, k) = f(i-1, j, k-j) + f(i, j-1, k), the normal approximation from its formula.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "cmpstats.h"
#include "unit.h"

#define REL(x, ref, tol) CB_CHECK_NEAR((x) / (ref), 1, tol)

/* [closed] df = 3: 1/2 + (u / (1 + u^2) + atan(u)) / pi with u = t / sqrt(3); the lower tail
 * is written with atan(1/u) = pi/2 - atan(u) so that it does not cancel. */
static double t3_cdf(double t)
{
	double u = fabs(t) / sqrt(3);

	if (t < 0)
		return (atan(1 / u) - u / (1 + u * u)) / M_PI;
	return 0.5 + (u / (1 + u * u) + atan(u)) / M_PI;
}

/* [closed] df = 1: tan(pi (p - 1/2)), as -cot(pi p) or cot(pi (1 - p)) to stay off the pole. */
static double t1_quantile(double p)
{
	return p < 0.5 ? -1 / tan(M_PI * p) : 1 / tan(M_PI * (1 - p));
}

CB_TEST(cmpstats_t_cdf_closed_forms)
{
	const double ts[] = { -50, -3, -0.5, 0, 0.25, 1, 2, 7.5, 40 };

	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		double t = ts[i];

		/* [closed] df = 1 is Cauchy, df = 2 and 3 have elementary CDFs. */
		REL(cb_t_cdf(t, 1), t < 0 ? atan(-1 / t) / M_PI : 0.5 + atan(t) / M_PI, 1e-12);
		REL(cb_t_cdf(t, 2), t < 0 ? 1 / (sqrt(2 + t * t) * (sqrt(2 + t * t) - t)) :
					    0.5 + t / (2 * sqrt(2 + t * t)), 1e-12);
		REL(cb_t_cdf(t, 3), t3_cdf(t), 1e-12);
	}
}

CB_TEST(cmpstats_t_cdf_far_tails)
{
	double t = 1e4, s = sqrt(2 + t * t);

	/* [closed] Tails written without cancellation: P(T < -t) = atan(1/t) / pi for df = 1 and
	 * 1 / (s (s + t)) with s = sqrt(2 + t^2) for df = 2. Relative accuracy must survive where
	 * 1 - cdf would be all rounding. */
	REL(cb_t_cdf(-1e6, 1), atan(1e-6) / M_PI, 1e-12);
	REL(cb_t_cdf(-1e200, 1), 1e-200 / M_PI, 1e-12);
	REL(cb_t_cdf(-t, 2), 1 / (s * (s + t)), 1e-12);
	/* [py] df = 1e4 (continued fraction) and 1e6 (large-df expansion), even df: exact constant. */
	REL(cb_t_cdf(-5, 1e4), 2.9151633068313745e-07, 1e-10);
	REL(cb_t_cdf(-8, 1e4), 6.910604364532805e-16, 1e-10);
	REL(cb_t_cdf(-1.96, 1e6), 0.024998033792634308, 1e-10);
	REL(cb_t_cdf(-8, 1e6), 6.227531716601101e-16, 1e-10);
	/* [py] Far tails, where the expansion's 1/df^4 term and the fraction's last digits show. */
	REL(cb_t_cdf(-20, 1e5), 4.1117469553272145e-89, 1e-10);
	REL(cb_t_cdf(-36, 2e4), 2.3849378436677087e-275, 1e-10);
	REL(cb_t_cdf(-36, 2e5), 3.3942266862560928e-283, 1e-10);
	/* The normal limit: Phi(-1.96) in terms of erfc. */
	REL(cb_t_cdf(-1.96, INFINITY), 0.5 * erfc(1.96 / M_SQRT2), 1e-14);
	CB_CHECK(cb_t_cdf(INFINITY, 4) == 1);
	CB_CHECK(cb_t_cdf(-INFINITY, 4) == 0);
	CB_CHECK(cb_t_cdf(0, 4.5) == 0.5);
}

CB_TEST(cmpstats_t_cdf_continuous_in_df)
{
	/* Large df switch from the continued fraction to an asymptotic expansion: no visible seam. */
	REL(cb_t_cdf(-3, 99999.999), cb_t_cdf(-3, 100000.001), 1e-10);
	REL(cb_t_quantile(0.999, 99999.999), cb_t_quantile(0.999, 100000.001), 1e-10);
}

CB_TEST(cmpstats_t_quantile_table)
{
	/* [table] qt(0.975, 10), qt(0.975, 1) = tan(0.475 pi), qnorm(0.975). */
	CB_CHECK_NEAR(cb_t_quantile(0.975, 10), 2.228138851986, 1e-12);
	REL(cb_t_quantile(0.975, 1), 12.7062047361747, 1e-13);
	REL(cb_t_quantile(0.975, 1), tan(0.475 * M_PI), 1e-13);
	REL(cb_t_quantile(0.975, INFINITY), 1.959963984540054, 1e-14);
	/* [py] */
	REL(cb_t_quantile(0.975, 30), 2.0422724563012276, 1e-12);
	REL(cb_t_quantile(0.995, 5), 4.0321429835552305, 1e-12);
	REL(cb_t_quantile(0.95, 10), 1.8124611228116922, 1e-12);
	REL(cb_t_quantile(0.975, 17.776473516167), 2.102817241569905, 1e-12);
	REL(cb_t_quantile(0.975, 1e6), 1.959966356814097, 1e-12);
	/* Symmetry. */
	CB_CHECK(cb_t_quantile(0.025, 10) == -cb_t_quantile(0.975, 10));
}

CB_TEST(cmpstats_t_quantile_closed_forms)
{
	const double ps[] = { 1e-10, 0.001, 0.1, 0.3, 0.7, 0.95, 0.999999 };

	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		double p = ps[i];

		/* [closed] Inverses of the df = 1 and df = 2 CDFs. */
		REL(cb_t_quantile(p, 1), t1_quantile(p), 1e-12);
		REL(cb_t_quantile(p, 2), (2 * p - 1) / sqrt(2 * p * (1 - p)), 1e-12);
	}
	/* Deep tails: -cot(pi p) ~ -1 / (pi p) for df = 1. */
	REL(cb_t_quantile(1e-12, 1), t1_quantile(1e-12), 1e-12);
	REL(cb_t_quantile(1e-300, 1), -1 / (M_PI * 1e-300), 1e-12);
}

CB_TEST(cmpstats_t_quantile_roundtrip)
{
	const double ps[] = { 1e-20, 1e-8, 0.001, 0.025, 0.2, 0.49, 0.6, 0.975, 0.999999 };
	const double dfs[] = { 0.3, 1.5, 3, 7.3, 17.776, 250.5, 99999, 3e5, 1e9 };

	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++)
		for (size_t j = 0; j < sizeof(dfs) / sizeof(dfs[0]); j++)
			REL(cb_t_cdf(cb_t_quantile(ps[i], dfs[j]), dfs[j]), ps[i], 1e-10);
}

CB_TEST(cmpstats_t_invalid)
{
	CB_CHECK(cb_t_quantile(0.5, 3) == 0);
	CB_CHECK(isinf(cb_t_quantile(0, 3)) && cb_t_quantile(0, 3) < 0);
	CB_CHECK(isinf(cb_t_quantile(1, 3)) && cb_t_quantile(1, 3) > 0);
	CB_CHECK(isnan(cb_t_quantile(1.5, 3)));
	CB_CHECK(isnan(cb_t_quantile(-0.1, 3)));
	CB_CHECK(isnan(cb_t_quantile(NAN, 3)));
	CB_CHECK(isnan(cb_t_quantile(0.9, 0)));
	CB_CHECK(isnan(cb_t_cdf(1, -2)));
	CB_CHECK(isnan(cb_t_cdf(NAN, 2)));
	CB_CHECK(isnan(cb_t_cdf(1, NAN)));
}

CB_TEST(cmpstats_welch_sleep)
{
	/* R: t.test(extra ~ group, data = sleep) prints t = -1.8608, df = 17.776, p-value = 0.07939
	 * (group 1 minus group 2; here b - a, so t is positive). [py] for the full digits. */
	const double a[] = { 0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0 };
	const double b[] = { 1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4 };
	struct cb_welch w;

	CB_CHECK(cb_welch_test(a, 10, b, 10, &w) == 0);
	CB_CHECK_NEAR(w.t, 1.8608, 0.00005);
	CB_CHECK_NEAR(w.df, 17.776, 0.0005);
	CB_CHECK_NEAR(w.p, 0.07939, 0.000005);
	REL(w.t, 1.860813467486853, 1e-12);
	REL(w.df, 17.77647351617849, 1e-12);
	REL(w.p, 0.07939414018735903, 1e-10);
	/* Swapping the samples only flips the sign. */
	CB_CHECK(cb_welch_test(b, 10, a, 10, &w) == 0);
	REL(w.t, -1.860813467486853, 1e-12);
	REL(w.p, 0.07939414018735903, 1e-10);
}

CB_TEST(cmpstats_welch_unequal_sizes)
{
	/* [py] means 2.5 and 6, variances 5/3 and 10: t = 3.5 / sqrt(29/12), fractional df. */
	const double a[] = { 1, 2, 3, 4 };
	const double b[] = { 2, 4, 6, 8, 10 };
	struct cb_welch w;

	CB_CHECK(cb_welch_test(a, 4, b, 5, &w) == 0);
	REL(w.t, 3.5 / sqrt(29.0 / 12), 1e-14);
	REL(w.t, 2.2514363231593695, 1e-14);
	REL(w.df, 5.5207877461706785, 1e-12);
	REL(w.p, 0.06913359319239275, 1e-10);
}

CB_TEST(cmpstats_welch_edge_cases)
{
	const double one[] = { 3 };
	const double two[] = { 1, 5 };
	const double c3[] = { 0.1, 0.1, 0.1 };
	const double c7[] = { 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1 };
	const double c2[] = { 0.2, 0.2 };
	const double five[] = { 5, 5, 5, 5, 5 };
	const double ramp[] = { 1, 2, 3, 4 };
	const double bad[] = { 1, NAN };
	const double inf[] = { 1, INFINITY };
	struct cb_welch w;
	double u;

	/* n = 1: no variance estimate, nothing to test. */
	CB_CHECK(cb_welch_test(one, 1, two, 2, &w) == 0);
	CB_CHECK(isnan(w.t) && isnan(w.df) && isnan(w.p));
	CB_CHECK(cb_welch_test(two, 2, one, 1, &w) == 0);
	CB_CHECK(isnan(w.p));
	CB_CHECK(cb_welch_test(NULL, 0, two, 2, &w) == 0);
	CB_CHECK(isnan(w.p));
	/* Identical constant samples of different lengths: 0.1 * 7 / 7 is not 0.1 in floating
	 * point, which must not turn into a spread and a tiny p. */
	CB_CHECK(cb_welch_test(c3, 3, c7, 7, &w) == 0);
	CB_CHECK(w.t == 0 && w.p == 1);
	/* Two different constants: certainly different. */
	CB_CHECK(cb_welch_test(c3, 3, c2, 2, &w) == 0);
	CB_CHECK(isinf(w.t) && w.t > 0 && w.p == 0);
	CB_CHECK(cb_welch_test(c2, 2, c3, 3, &w) == 0);
	CB_CHECK(isinf(w.t) && w.t < 0 && w.p == 0);
	/* One constant side: Welch–Satterthwaite reduces to the other side's n - 1 = 3, and
	 * t = (2.5 - 5) / sqrt((5/3) / 4) = -sqrt(15). [closed] df = 3 two-sided tail. */
	CB_CHECK(cb_welch_test(five, 5, ramp, 4, &w) == 0);
	REL(w.t, -sqrt(15), 1e-14);
	REL(w.df, 3, 1e-14);
	u = sqrt(5);
	REL(w.p, 1 - 2 / M_PI * (u / (1 + u * u) + atan(u)), 1e-11);
	/* Values that are not numbers are refused. */
	CB_CHECK(cb_welch_test(bad, 2, two, 2, &w) == -EINVAL);
	CB_CHECK(cb_welch_test(two, 2, inf, 2, &w) == -EINVAL);
	CB_CHECK(cb_welch_test(two, 2, two, 2, NULL) == -EINVAL);
}

CB_TEST(cmpstats_mwu_exact_small)
{
	const double a[] = { 1, 2, 3 };
	const double b[] = { 4, 5, 6 };
	const double x[] = { 7 };
	const double y[] = { 8 };
	struct cb_mwu m;

	/* Complete separation of 3 + 3: 2 of the C(6,3) = 20 splits are as extreme. */
	CB_CHECK(cb_mann_whitney(a, 3, b, 3, &m) == 0);
	CB_CHECK(m.u == 0 && m.exact == 1);
	REL(m.p, 0.1, 1e-14);
	CB_CHECK(cb_mann_whitney(b, 3, a, 3, &m) == 0);
	CB_CHECK(m.u == 9 && m.exact == 1);
	REL(m.p, 0.1, 1e-14);
	/* One against one: both orders are equally likely, the two-sided p is 1. */
	CB_CHECK(cb_mann_whitney(x, 1, y, 1, &m) == 0);
	CB_CHECK(m.u == 0 && m.exact == 1 && m.p == 1);
}

CB_TEST(cmpstats_mwu_exact_r_example)
{
	/* R's wilcox.test documentation (Hollander & Wolfe): wilcox.test(x, y, alternative = "g")
	 * prints W = 35, p-value = 0.1272. Two-sided is twice that: [py] enumeration of all
	 * C(15,5) = 3003 splits gives 764/3003. */
	const double x[] = { 0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46 };
	const double y[] = { 1.15, 0.88, 0.90, 0.74, 1.21 };
	struct cb_mwu m;

	CB_CHECK(cb_mann_whitney(x, 10, y, 5, &m) == 0);
	CB_CHECK(m.u == 35 && m.exact == 1);
	CB_CHECK_NEAR(m.p / 2, 0.1272, 0.00005);
	REL(m.p, 764.0 / 3003, 1e-14);
}

CB_TEST(cmpstats_mwu_exact_larger)
{
	double a[20], b[20];
	const double a12[] = { 3.1, 7.4, 0.2, 9.9, 5.5, 6.1, 8.8, 1.7, 4.4, 2.9, 10.5, 11.2 };
	const double b9[] = { 6.6, 12.3, 9.1, 13.7, 8.2, 14.9, 7.9, 10.1, 15.5 };
	struct cb_mwu m;

	/* [py] enumeration of the C(21,9) splits and the recurrence agree: 3/323. */
	CB_CHECK(cb_mann_whitney(a12, 12, b9, 9, &m) == 0);
	CB_CHECK(m.u == 18 && m.exact == 1);
	REL(m.p, 3.0 / 323, 1e-13);
	/* 20 + 20, the largest exact case: complete separation is 2 / C(40,20). */
	for (int i = 0; i < 20; i++) {
		a[i] = i;
		b[i] = 20 + i;
	}
	CB_CHECK(cb_mann_whitney(a, 20, b, 20, &m) == 0);
	CB_CHECK(m.u == 0 && m.exact == 1);
	REL(m.p, 2 / 137846528820.0, 1e-13);
	/* Interleaved odd/even 1..40: U = 190 of 400; [py] recurrence: 3060986274/3829070245. */
	for (int i = 0; i < 20; i++) {
		a[i] = 2 * i + 1;
		b[i] = 2 * i + 2;
	}
	CB_CHECK(cb_mann_whitney(a, 20, b, 20, &m) == 0);
	CB_CHECK(m.u == 190 && m.exact == 1);
	REL(m.p, 3060986274.0 / 3829070245.0, 1e-13);
	CB_CHECK(cb_mann_whitney(b, 20, a, 20, &m) == 0);
	CB_CHECK(m.u == 210);
	REL(m.p, 3060986274.0 / 3829070245.0, 1e-13);
}

CB_TEST(cmpstats_mwu_normal_ties_r)
{
	/* R: wilcox.test(x, y) on these prints "W = 51.5, p-value = 0.5966" and, against y2,
	 * "W = 0, p-value = 0.001364" (ties: normal approximation with continuity correction).
	 * [py] for the full digits. */
	const double x[] = { 1, 5, 9, 24, 56, 21, 3, 7, 21, 4 };
	const double y[] = { 12, 15, 5, 9, 9, 14, 56, 22, 3, 7, 32, 5 };
	const double y2[] = { 1233, 4356, 987, 39999, 1111, 200000 };
	struct cb_mwu m;

	CB_CHECK(cb_mann_whitney(x, 10, y, 12, &m) == 0);
	CB_CHECK(m.u == 51.5 && m.exact == 0);
	CB_CHECK_NEAR(m.p, 0.5966, 0.00005);
	REL(m.p, 0.5965969026279817, 1e-12);
	CB_CHECK(cb_mann_whitney(x, 10, y2, 6, &m) == 0);
	CB_CHECK(m.u == 0 && m.exact == 0);
	CB_CHECK_NEAR(m.p, 0.001364, 0.0000005);
	REL(m.p, 0.0013643929543816092, 1e-12);
}

CB_TEST(cmpstats_mwu_normal_large)
{
	/* 21 values on one side: past the exact limit even without ties. U = 19 (the values 3..21
	 * exceed 2.5), mean 31.5; [py] normal approximation with continuity correction. */
	double a[21];
	const double b[] = { 2.5, 30, 40 };
	struct cb_mwu m;

	for (int i = 0; i < 21; i++)
		a[i] = i + 1;
	CB_CHECK(cb_mann_whitney(a, 21, b, 3, &m) == 0);
	CB_CHECK(m.u == 19 && m.exact == 0);
	REL(m.p, 0.29489398381808707, 1e-12);
}

CB_TEST(cmpstats_mwu_edge_cases)
{
	const double a[] = { 1, 2, 3 };
	const double c3[] = { 5, 5, 5 };
	const double c2[] = { 5, 5 };
	const double bad[] = { 1, NAN };
	struct cb_mwu m;

	/* Identical samples tie pairwise, so the normal approximation is used; U sits exactly on
	 * its mean 4.5 and the two-sided p is 1. */
	CB_CHECK(cb_mann_whitney(a, 3, a, 3, &m) == 0);
	CB_CHECK(m.u == 4.5 && m.exact == 0 && m.p == 1);
	/* All values equal: the tie-corrected variance is 0; nothing separates the samples, p = 1
	 * (the plain formula would give 0 / 0). */
	CB_CHECK(cb_mann_whitney(c3, 3, c2, 2, &m) == 0);
	CB_CHECK(m.u == 3 && m.exact == 0 && m.p == 1);
	/* An empty side. */
	CB_CHECK(cb_mann_whitney(a, 3, NULL, 0, &m) == 0);
	CB_CHECK(isnan(m.p) && m.exact == 0);
	CB_CHECK(cb_mann_whitney(NULL, 0, a, 3, &m) == 0);
	CB_CHECK(isnan(m.p));
	CB_CHECK(cb_mann_whitney(bad, 2, a, 3, &m) == -EINVAL);
	CB_CHECK(cb_mann_whitney(a, 3, a, 3, NULL) == -EINVAL);
}

CB_TEST(cmpstats_ratio_ci_reference)
{
	/* [py] ratio of means, delta-method SE of the log ratio, Welch–Satterthwaite df on the
	 * log-scale terms, t quantile by Newton on the integrated density. */
	const double a[] = { 10.1, 9.8, 10.3, 9.9 };
	const double b[] = { 12.0, 12.6, 11.7, 12.2, 12.9, 11.8 };
	const double c[] = { 100, 102, 98, 101, 99 };
	const double d[] = { 110, 108, 112, 111, 109 };
	struct cb_ratio r, s;

	CB_CHECK(cb_ratio_ci(a, 4, b, 6, 0.95, &r) == 0);
	REL(r.ratio, 1.2169576059850373, 1e-14);
	REL(r.lo, 1.1641792181861472, 1e-10);
	REL(r.hi, 1.2721287166354744, 1e-10);
	CB_CHECK(cb_ratio_ci(c, 5, d, 5, 0.90, &r) == 0);
	REL(r.ratio, 1.1, 1e-14);
	REL(r.lo, 1.080602776151173, 1e-10);
	REL(r.hi, 1.1197454112691683, 1e-10);
	/* On the log scale the interval is symmetric: swapping the samples inverts it. */
	CB_CHECK(cb_ratio_ci(b, 6, a, 4, 0.95, &s) == 0);
	CB_CHECK(cb_ratio_ci(a, 4, b, 6, 0.95, &r) == 0);
	REL(s.ratio, 1 / r.ratio, 1e-14);
	REL(s.lo, 1 / r.hi, 1e-13);
	REL(s.hi, 1 / r.lo, 1e-13);
	/* A wider level gives a wider interval around the same ratio. */
	CB_CHECK(cb_ratio_ci(a, 4, b, 6, 0.99, &s) == 0);
	CB_CHECK(s.lo < r.lo && s.hi > r.hi && s.ratio == r.ratio);
}

CB_TEST(cmpstats_ratio_ci_edge_cases)
{
	const double one[] = { 4 };
	const double two[] = { 7, 9 };
	const double c3[] = { 2, 2, 2 };
	const double c2[] = { 3, 3 };
	const double neg[] = { -1, 1 };
	const double bad[] = { 1, NAN };
	struct cb_ratio r;

	/* n = 1: the ratio exists, its interval does not. */
	CB_CHECK(cb_ratio_ci(one, 1, two, 2, 0.95, &r) == 0);
	CB_CHECK(r.ratio == 2 && isnan(r.lo) && isnan(r.hi));
	/* No spread on either side: the ratio is known exactly. */
	CB_CHECK(cb_ratio_ci(c3, 3, c2, 2, 0.95, &r) == 0);
	CB_CHECK(r.ratio == 1.5 && r.lo == 1.5 && r.hi == 1.5);
	/* Means <= 0, empty sides, levels outside (0, 1), NaN: refused. */
	CB_CHECK(cb_ratio_ci(neg, 2, two, 2, 0.95, &r) == -EINVAL);
	CB_CHECK(cb_ratio_ci(two, 2, neg, 2, 0.95, &r) == -EINVAL);
	CB_CHECK(cb_ratio_ci(NULL, 0, two, 2, 0.95, &r) == -EINVAL);
	CB_CHECK(cb_ratio_ci(two, 2, NULL, 0, 0.95, &r) == -EINVAL);
	CB_CHECK(cb_ratio_ci(two, 2, two, 2, 1, &r) == -EINVAL);
	CB_CHECK(cb_ratio_ci(two, 2, two, 2, 0, &r) == -EINVAL);
	CB_CHECK(cb_ratio_ci(bad, 2, two, 2, 0.95, &r) == -EINVAL);
}

/* [published] Benjamini & Hochberg (1995), section 4: 15 p-values of a clinical trial; at q = 0.05
 * the procedure rejects the four smallest. Adjusted values [hand]: q(i) = min over j >= i of
 * p(j) * 15 / j, e.g. q(4) = 0.0095 * 15 / 4, q(5) = 0.0201 * 3 (0.0603 < q(7) = 0.0298 * 15 / 7). */
CB_TEST(cmpstats_bh_published)
{
	const double p[] = { 0.0201, 0.0001, 0.0004, 0.0019, 0.0095, 0.0278, 0.0298, 0.0344,
			     0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.0000 };
	double q[15];
	int rejected = 0;

	CB_CHECK(cb_bh_adjust(p, 15, q) == 0);
	for (int i = 0; i < 15; i++)
		rejected += q[i] <= 0.05;
	CB_CHECK(rejected == 4);
	CB_CHECK_NEAR(q[1], 0.0015, 1e-12);    /* min(0.0001 * 15, later) = 0.0015 */
	CB_CHECK_NEAR(q[4], 0.035625, 1e-12);
	CB_CHECK_NEAR(q[0], 0.0603, 1e-12);
	CB_CHECK_NEAR(q[5], 0.0298 * 15 / 7, 1e-12); /* p(6) * 15 / 6 = 0.0695 is above q(7) */
	CB_CHECK_NEAR(q[14], 1, 1e-12);
}

/* [hand] a = 1..5, b = a + 10: the 25 differences b - a are 10 + (j - i), i.e. 6 (once), 7 (twice),
 * ..., 10 (five times), ..., 14 (once). Median 10. For m = n = 5 the two-sided 5 % critical value
 * of U is 2 (P(U <= 2) = 0.0159, P(U <= 3) = 0.0278), so R's qwilcox(0.025, 5, 5) = 3 and the 95 %
 * interval is [d(3), d(23)] = [7, 13]. */
CB_TEST(cmpstats_hodges_lehmann_hand)
{
	const double a[] = { 3, 1, 5, 2, 4 };
	const double b[] = { 11, 12, 13, 14, 15 };
	double est, lo, hi;

	CB_CHECK(cb_hodges_lehmann(b, 5, a, 5, 0.95, &est, &lo, &hi) == 0);
	CB_CHECK(est == 10 && lo == 7 && hi == 13);
	/* Three against three: qwilcox(0.025, 3, 3) = 0, taken as 1: the whole range [d(1), d(9)]. */
	CB_CHECK(cb_hodges_lehmann(b, 3, a, 3, 0.95, &est, &lo, &hi) == 0);
	CB_CHECK(est == 9 && lo == 6 && hi == 12); /* 6 7 8 8 9 10 10 11 12 */
	CB_CHECK(cb_hodges_lehmann(b, 0, a, 3, 0.95, &est, &lo, &hi) == -EINVAL);
}

/* [hand] quartiles of type 7 of 1..8 and 100: Q1 = 3, Q3 = 7, IQR 4, fences [-3, 13]. */
CB_TEST(cmpstats_tukey_hand)
{
	const double v[] = { 1, 2, 3, 4, 5, 6, 7, 8, 100 };
	const double w[] = { 10, 10, 10, 10, 13 };

	CB_CHECK(cb_tukey_outliers(v, 9) == 1);
	CB_CHECK(cb_tukey_outliers(v, 8) == 0);
	CB_CHECK(cb_tukey_outliers(v, 3) == 0); /* too few for fences */
	CB_CHECK(cb_tukey_outliers(w, 5) == 1); /* IQR 0: anything off the constant is outside */
}

/* [py] a = 5 × 10, b = 5 × 12, resolution 1: on the log scale the standard deviations are
 * floored at 1/10 and 1/12, so t = log 1.2 / 0.0582142 = 3.13191 with df 7.74805: p = 0.0145492,
 * CI [1.048453, 1.373452], minimum detectable effect 0.205441 (numerical integration of the t
 * density). Identical samples: not testable. */
CB_TEST(cmpstats_compare_floor)
{
	const double a[] = { 10, 10, 10, 10, 10 };
	const double b[] = { 12, 12, 12, 12, 12 };
	struct cb_cmp_test t;

	CB_CHECK(cb_compare_samples(a, 5, b, 5, 1, &t) == 0);
	CB_CHECK(t.result == CB_CMP_TESTED && t.test && !strcmp(t.test, "t-log"));
	REL(t.p, 0.0145491932016, 1e-6);
	REL(t.df_log, 7.74804789172306, 1e-9);
	REL(t.ratio, 1.2, 1e-12);
	REL(t.lo, 1.048453063177, 1e-6);
	REL(t.hi, 1.373452041464, 1e-6);
	REL(t.mde, 0.205441420875, 1e-5);
	CB_CHECK(cb_compare_samples(a, 5, a, 5, 1, &t) == 0);
	CB_CHECK(t.result == CB_CMP_NOT_TESTABLE && !t.test);
	CB_CHECK(cb_compare_samples(a, 1, b, 5, 1, &t) == 0);
	CB_CHECK(t.result == CB_CMP_TOO_FEW);
	/* No floor and no spread: nothing bounds the error either. */
	CB_CHECK(cb_compare_samples(a, 5, b, 5, 0, &t) == 0);
	CB_CHECK(t.result == CB_CMP_NOT_TESTABLE);
}

/* An outlier no longer switches tests (which test decides is fixed by n before the data are
 * seen): the t on the logs decides, while the rank test's p (5 against 5 completely separated:
 * 2 / C(10, 5) = 0.0079365, also the smallest it can give) and the Hodges-Lehmann shift of the
 * logs are computed beside it. */
CB_TEST(cmpstats_compare_outlier_mwu)
{
	const double a[] = { 100, 101, 102, 103, 30 };
	const double b[] = { 110, 111, 112, 113, 114 };
	struct cb_cmp_test t;

	CB_CHECK(cb_compare_samples(a, 5, b, 5, 0, &t) == 0);
	CB_CHECK(t.result == CB_CMP_TESTED && t.outliers_a == 1 && t.outliers_b == 0);
	CB_CHECK(t.test && !strcmp(t.test, "t-log"));
	REL(t.p_mw, 2.0 / 252, 1e-9);
	REL(t.p_mw_min, 2.0 / 252, 1e-12);
	CB_CHECK(t.hl_ratio > 1.06 && t.hl_ratio < 1.12 && t.hl_lo < t.hl_ratio && t.hl_hi > t.hl_ratio);
	CB_CHECK(t.p > 0.05); /* the outlier hides the shift from the t test */
}

/* [hand] The rank test's floor: 2 / C(na + nb, na); 3 + 3: 0.1, 10 + 10: 1.0825e-5. */
CB_TEST(cmpstats_mwu_min_p)
{
	REL(cb_mwu_min_p(3, 3), 0.1, 1e-12);
	REL(cb_mwu_min_p(5, 5), 2.0 / 252, 1e-12);
	REL(cb_mwu_min_p(10, 10), 2.0 / 184756, 1e-12);
	CB_CHECK(cb_mwu_min_p(0, 4) == 1);
}

/* [hand] Rounds: b = a × (1.10, 1.12, 1.08, 1.10) round by round, whatever each round's level:
 * the paired t sees the ratios alone, mean log 0.0952275 with sd 0.0148473 over 4 rounds
 * (t 12.8276, df 3); the unpaired test drowns in the rounds' drift. */
CB_TEST(cmpstats_compare_paired)
{
	const double a[] = { 100, 130, 90, 115 };
	const double b[] = { 110, 145.6, 97.2, 126.5 };
	struct cb_cmp_test t, u;
	double d[4], m = 0, sd = 0;

	for (int i = 0; i < 4; i++) {
		d[i] = log(b[i] / a[i]);
		m += d[i] / 4;
	}
	for (int i = 0; i < 4; i++)
		sd += (d[i] - m) * (d[i] - m) / 3;
	sd = sqrt(sd);
	CB_CHECK(cb_compare_paired(a, b, 4, 0, &t) == 0);
	CB_CHECK(t.test && !strcmp(t.test, "paired-t-log"));
	REL(t.ratio, exp(m), 1e-12);
	REL(t.se_log, sd / 2, 1e-9);
	CB_CHECK(t.df_log == 3);
	CB_CHECK(t.p < 0.002 && t.lo > 1.05 && t.hi < 1.15);
	CB_CHECK(cb_compare_samples(a, 4, b, 4, 0, &u) == 0);
	CB_CHECK(u.p > 0.2);
}

/* [hand] Efron's empirical null, scale only: with no own error the spread is the robust sd,
 * 1.4826 × median |x| = 1.4826 × 2; errors that already explain the scatter add nothing. */
CB_TEST(cmpstats_empirical_tau_hand)
{
	const double x[] = { -2, -1, 1, 2, 3 }, zero[] = { 0, 0, 0, 0, 0 };
	const double small[] = { 0.1, -0.1, 0.2 }, one[] = { 1, 1, 1 };

	CB_CHECK_NEAR(cb_empirical_tau(x, zero, 5), 1.482602218505602 * 2, 1e-9);
	CB_CHECK(cb_empirical_tau(small, one, 3) == 0);
	CB_CHECK(cb_empirical_tau(x, zero, 1) == 0);
}

/* The null's tails, fitted: 400 normal quantiles give a normal (or near: df >= 30), 400
 * quantiles of t with 2 df a t with at most 3; p under the normal null is erfc(|z| / sqrt 2). */
CB_TEST(cmpstats_empirical_df_fit)
{
	double xn[400], xt[400], se[400] = { 0 }, tn, tt;

	for (int i = 0; i < 400; i++) {
		xn[i] = cb_t_quantile((i + 0.5) / 400, 1e9);
		xt[i] = cb_t_quantile((i + 0.5) / 400, 2);
	}
	tn = cb_empirical_tau(xn, se, 400);
	tt = cb_empirical_tau(xt, se, 400);
	CB_CHECK_NEAR(tn, 1, 0.02);
	CB_CHECK(cb_empirical_df(xn, se, 400, tn) >= 30);
	CB_CHECK(cb_empirical_df(xt, se, 400, tt) <= 3);
	CB_CHECK_NEAR(cb_empirical_p(1.959963984540054, 1e6), 0.05, 1e-9);
	CB_CHECK_NEAR(cb_empirical_quantile(0.975, 1e6), 1.959963984540054, 1e-6);
	/* Heavier tails: the same z is less surprising. */
	CB_CHECK(cb_empirical_p(4, 5) > cb_empirical_p(4, 1e6));
}

/* [py: mpmath] limma's squeezeVar by its formulas: variances that scatter more than their degrees
 * of freedom allow get a finite prior (d0 0.770764, s0 0.00398137); ones that do not are all set to
 * their common value (exp of the mean of log var - digamma(df/2) + log(df/2): 0.0229917). */
CB_TEST(cmpstats_squeeze_var)
{
	const double var[] = { 0.0001, 0.02, 0.5, 0.04, 0.015, 0.3, 0.001 }, df[] = { 2, 2, 4, 3, 2, 5, 10 };
	const double want[] = { 0.0011797098832, 0.0155439810574, 0.419863329373, 0.032637605966,
				0.011934867697,	 0.260462704098,  0.00121334918188 };
	const double cvar[] = { 0.01, 0.02, 0.005, 0.04, 0.015 }, cdf[] = { 2, 2, 4, 3, 2 };
	double post[7], dpost[7], d0, s0;

	CB_CHECK(cb_squeeze_var(var, df, 7, post, dpost, &d0, &s0) == 0);
	REL(d0, 0.770763620191, 1e-6);
	REL(s0, 0.00398137268854, 1e-6);
	for (int i = 0; i < 7; i++) {
		REL(post[i], want[i], 1e-6);
		REL(dpost[i], d0 + df[i], 1e-9);
	}
	CB_CHECK(cb_squeeze_var(cvar, cdf, 5, post, dpost, &d0, &s0) == 0);
	CB_CHECK(isinf(d0));
	for (int i = 0; i < 5; i++)
		REL(post[i], 0.0229917161048626, 1e-6);
}
