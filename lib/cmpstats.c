#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmpstats.h"
#include "stats.h"

/* A bound only: for df <= CMP_DF_ASYMPTOTIC the fraction converges within ~60 terms. */
#define CMP_CF_MAX_ITER 1000
#define CMP_CF_TINY 1e-300
#define CMP_EXACT_MAX 20

/* lgamma(x) minus its Stirling approximation, for x >= 10: the series is what keeps
 * lbeta(a, b) exact to ~1e-15 when a is large, where lgamma(a + b) - lgamma(a) would cancel. */
static double cmp_lgamma_corr(double x)
{
	double r = 1 / (x * x);

	return (1.0 / 12 + r * (-1.0 / 360 + r * (1.0 / 1260 + r * (-1.0 / 1680 +
		r * (1.0 / 1188 + r * (-691.0 / 360360 + r * (1.0 / 156))))))) / x;
}

/* log B(a, b), accurate also when one argument is huge (large df). */
static double cmp_lbeta(double a, double b)
{
	double p = fmin(a, b), q = fmax(a, b), s = p + q;
	const double ln_sqrt_2pi = 0.918938533204672741780329736406;

	if (p >= 10)
		return -0.5 * log(q) + ln_sqrt_2pi + cmp_lgamma_corr(p) + cmp_lgamma_corr(q) -
		       cmp_lgamma_corr(s) + (p - 0.5) * log(p / s) + q * log1p(-p / s);
	if (q >= 10)
		return lgamma(p) + cmp_lgamma_corr(q) - cmp_lgamma_corr(s) + p - p * log(s) +
		       (q - 0.5) * log1p(-p / s);
	return lgamma(p) + lgamma(q) - lgamma(s);
}

/* Lentz's evaluation of the continued fraction for I_x(a, b) (Numerical Recipes' betacf). With x
 * near 1 and a large (large df) the first denominator 1 - (a + b) x / (a + 1) cancels to a few
 * digits: it is then formed from y = 1 - x. */
static double cmp_betacf(double a, double b, double x, double y)
{
	double c = 1, h, num, del;
	double d = x < 0.5 ? 1 - (a + b) * x / (a + 1) : (1 - b + (a + b) * y) / (a + 1);

	if (fabs(d) < CMP_CF_TINY)
		d = CMP_CF_TINY;
	d = 1 / d;
	h = d;
	for (int m = 1; m <= CMP_CF_MAX_ITER; m++) {
		/* Even step. */
		num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
		d = 1 + num * d;
		c = 1 + num / c;
		if (fabs(d) < CMP_CF_TINY)
			d = CMP_CF_TINY;
		if (fabs(c) < CMP_CF_TINY)
			c = CMP_CF_TINY;
		d = 1 / d;
		h *= d * c;
		/* Odd step. */
		num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
		d = 1 + num * d;
		c = 1 + num / c;
		if (fabs(d) < CMP_CF_TINY)
			d = CMP_CF_TINY;
		if (fabs(c) < CMP_CF_TINY)
			c = CMP_CF_TINY;
		d = 1 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1) < 1e-16)
			break;
	}
	return h;
}

/* Regularized incomplete beta I_x(a, b). y = 1 - x and both logarithms come from the caller,
 * who can form them without cancellation near x = 1 (t^2 / (df + t^2)) or underflow near
 * x = 0 (df / t^2 at t = 1e200). */
static double cmp_ibeta(double a, double b, double x, double y, double lx, double ly)
{
	double front;

	if (isinf(lx))
		return 0;
	if (isinf(ly))
		return 1;
	front = exp(a * lx + b * ly - cmp_lbeta(a, b));
	/* The fraction converges fast only on the side of the mode it is evaluated on. */
	if (x < (a + 1) / (a + b + 2))
		return front * cmp_betacf(a, b, x, y) / a;
	return 1 - front * cmp_betacf(b, a, y, x) / b;
}

/* Above this df the continued fraction loses digits (its terms approach -1 and cancel: 5e-11
 * relative at df = 1e6, 1e-5 at 1e12), while the expansion in 1/df below only gets better. */
#define CMP_DF_ASYMPTOTIC 1e5

/* Cornish-Fisher expansion of the t quantile in terms of the normal one (Abramowitz & Stegun
 * 26.7.5), to 1/df^4: for df > 1e5 the terms shrink by ~z^2 / df each; the omitted ones cost
 * 1e-13 relative in tails down to 1e-89 (t = 20) and 3e-11 at 1e-280 (t = 36). */
static double cmp_t_from_z(double z, double df)
{
	double z2 = z * z;
	double g1 = (z2 + 1) * z / 4;
	double g2 = ((5 * z2 + 16) * z2 + 3) * z / 96;
	double g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384;
	double g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160;

	return z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df;
}

/* Inverse of cmp_t_from_z for t >= 0: Newton with the first-order slope, which is within
 * 1/df^2 of the true one, so each step gains ~10 digits. */
static double cmp_z_from_t(double t, double df)
{
	double z = t, f;

	for (int i = 0; i < 20; i++) {
		f = cmp_t_from_z(z, df) - t;
		z -= f / (1 + (3 * z * z + 1) / (4 * df));
		if (fabs(f) <= 1e-16 * t)
			break;
	}
	return z;
}

/* P(|T| > |t|) for Student's t with df degrees of freedom, computed as a tail so that tiny
 * p-values do not drown in 1 - cdf. */
static double cmp_t_2tail(double t, double df)
{
	double x, y, r, lr;

	if (isnan(t) || isnan(df) || !(df > 0))
		return NAN;
	t = fabs(t);
	if (df > CMP_DF_ASYMPTOTIC) {
		/* Beyond |t| = 50 the tail is below 1e-300 for these df, and the polynomial would
		 * overflow on the way there. */
		return t > 50 ? 0 : erfc(cmp_z_from_t(t, df) / M_SQRT2);
	}
	if (t < sqrt(df)) {
		x = df / (df + t * t);
		y = t * t / (df + t * t);
		return cmp_ibeta(df / 2, 0.5, x, y, log1p(-y), log(y));
	}
	/* x = r / (1 + r) with r = df / t^2, in logs: t * t overflows and r underflows long
	 * before the tail does (df = 1, t = 1e200 has a tail of 3e-201). */
	lr = log(df) - 2 * log(t);
	r = exp(lr);
	x = r / (1 + r);
	y = 1 / (1 + r);
	return cmp_ibeta(df / 2, 0.5, x, y, lr - log1p(r), -log1p(r));
}

double cb_t_cdf(double t, double df)
{
	double tail = 0.5 * cmp_t_2tail(t, df);

	return t > 0 ? 1 - tail : tail;
}

/* Density, for df <= CMP_DF_ASYMPTOTIC or the normal limit (df = inf). */
static double cmp_t_pdf(double t, double df)
{
	if (isinf(df))
		return exp(-0.5 * t * t) / sqrt(2 * M_PI);
	return exp(-cmp_lbeta(df / 2, 0.5) - 0.5 * log(df) - (df + 1) / 2 * log1p(t * t / df));
}

/* Solves P(T > t) = q for t > 0 (q < 0.5): Newton on log(tail) against log(t), where the tail
 * is nearly linear for any df, inside a bracket that falls back to bisection. Large df go
 * through the normal quantile and the Cornish-Fisher expansion. */
static double cmp_t_upper_quantile(double q, double df)
{
	double lo = 0, hi = 1, t, tail, next;

	if (df > CMP_DF_ASYMPTOTIC && !isinf(df))
		return cmp_t_from_z(cmp_t_upper_quantile(q, INFINITY), df);
	for (int i = 0; 0.5 * cmp_t_2tail(hi, df) > q; i++) {
		if (i > 1100)
			return INFINITY;
		lo = hi;
		hi *= 2;
	}
	t = hi;
	for (int i = 0; i < 200; i++) {
		tail = 0.5 * cmp_t_2tail(t, df);
		if (tail == q)
			return t;
		if (tail > q)
			lo = t;
		else
			hi = t;
		next = t * exp((log(tail) - log(q)) * tail / (cmp_t_pdf(t, df) * t));
		if (!(next > lo && next < hi))
			next = lo > 0 ? sqrt(lo) * sqrt(hi) : 0.5 * hi;
		if (fabs(next - t) <= 1e-15 * t || hi - lo <= 1e-15 * hi)
			return next;
		t = next;
	}
	return t;
}

double cb_t_quantile(double p, double df)
{
	if (isnan(p) || isnan(df) || !(df > 0) || p < 0 || p > 1)
		return NAN;
	if (p == 0)
		return -INFINITY;
	if (p == 1)
		return INFINITY;
	if (p == 0.5)
		return 0;
	/* 1 - p is exact for p >= 0.5 (Sterbenz). */
	if (p < 0.5)
		return -cmp_t_upper_quantile(p, df);
	return cmp_t_upper_quantile(1 - p, df);
}

/* Mean and sample variance. A constant sample gets exactly its value and 0: summing and dividing
 * would leave rounding noise (0.1 * 3 / 3 != 0.1) that turns "no spread" into a huge t. */
int cb_moments(const double *v, size_t n, double *mean, double *var)
{
	double sum = 0, sq = 0;
	int constant = 1;

	for (size_t i = 0; i < n; i++) {
		if (!isfinite(v[i]))
			return -EINVAL;
		constant &= v[i] == v[0];
		sum += v[i];
	}
	if (!n || constant) {
		*mean = n ? v[0] : NAN;
		*var = n > 1 ? 0 : NAN;
		return 0;
	}
	*mean = sum / (double)n;
	for (size_t i = 0; i < n; i++)
		sq += (v[i] - *mean) * (v[i] - *mean);
	*var = n > 1 ? sq / (double)(n - 1) : NAN;
	return 0;
}

/* Welch–Satterthwaite df from the two variance terms, normalised by their sum so that tiny
 * variances do not underflow when squared. */
static double cmp_ws_df(double ta, size_t na, double tb, size_t nb)
{
	double wa = ta / (ta + tb), wb = tb / (ta + tb);

	return 1 / (wa * wa / (double)(na - 1) + wb * wb / (double)(nb - 1));
}

int cb_welch_test(const double *a, size_t na, const double *b, size_t nb, struct cb_welch *out)
{
	double ma, mb, va, vb, ta, tb, diff;

	if (!out || (na && !a) || (nb && !b))
		return -EINVAL;
	if (cb_moments(a, na, &ma, &va) || cb_moments(b, nb, &mb, &vb))
		return -EINVAL;
	out->t = out->df = out->p = NAN;
	if (na < 2 || nb < 2)
		return 0;
	ta = va / (double)na;
	tb = vb / (double)nb;
	diff = mb - ma;
	if (ta + tb == 0) {
		/* No spread at all: the samples either are the same constant or certainly differ.
		 * df stays NaN, Welch–Satterthwaite is 0 / 0. */
		out->t = diff == 0 ? 0 : copysign(INFINITY, diff);
		out->p = diff == 0 ? 1 : 0;
		return 0;
	}
	out->t = diff / sqrt(ta + tb);
	out->df = cmp_ws_df(ta, na, tb, nb);
	out->p = cmp_t_2tail(out->t, out->df);
	return 0;
}

struct cmp_obs {
	double v;
	int in_a;
};

static int cmp_obs_cmp(const void *x, const void *y)
{
	double a = ((const struct cmp_obs *)x)->v, b = ((const struct cmp_obs *)y)->v;

	return (a > b) - (a < b);
}

/* P(U <= u) without ties: U counts the (a, b) pairs with a > b, and its null distribution has
 * the coefficients of the Gaussian binomial [na + nb choose na]_q, built here as
 * prod_{i=1..na} (1 - q^(nb+i)) / (1 - q^i); every partial product is itself a Gaussian binomial,
 * so the coefficients stay non-negative integers (at most C(40, 20) < 2^53). */
static int cmp_mwu_exact_cdf(size_t na, size_t nb, size_t u, double *out)
{
	size_t len = na * nb + na + 1, k;
	int64_t *c;
	double below = 0, total = 0;

	c = calloc(len, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c[0] = 1;
	for (size_t i = 1; i <= na; i++) {
		for (k = len - 1; k >= nb + i; k--)
			c[k] -= c[k - nb - i];
		for (k = i; k < len; k++)
			c[k] += c[k - i];
	}
	for (k = 0; k <= na * nb; k++) {
		total += (double)c[k];
		if (k <= u)
			below += (double)c[k];
	}
	free(c);
	*out = below / total;
	return 0;
}

int cb_mann_whitney(const double *a, size_t na, const double *b, size_t nb, struct cb_mwu *out)
{
	size_t n = na + nb, i, j;
	struct cmp_obs *obs;
	double ra = 0, ties = 0, mu, var, z, cdf;
	int err;

	if (!out || (na && !a) || (nb && !b))
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (isnan(i < na ? a[i] : b[i - na]))
			return -EINVAL;
	out->u = 0;
	out->p = NAN;
	out->exact = 0;
	if (!na || !nb)
		return 0;
	obs = malloc(n * sizeof(*obs));
	if (!obs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		obs[i].v = i < na ? a[i] : b[i - na];
		obs[i].in_a = i < na;
	}
	qsort(obs, n, sizeof(*obs), cmp_obs_cmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && obs[j].v == obs[i].v; j++)
			;
		/* Positions i..j-1 share the average of the 1-based ranks i+1..j. */
		for (size_t k = i; k < j; k++)
			if (obs[k].in_a)
				ra += (double)(i + 1 + j) / 2;
		ties += (double)(j - i) * (double)(j - i) * (double)(j - i) - (double)(j - i);
	}
	free(obs);
	out->u = ra - (double)na * (double)(na + 1) / 2;
	mu = (double)na * (double)nb / 2;
	if (!ties && na <= CMP_EXACT_MAX && nb <= CMP_EXACT_MAX) {
		/* The null distribution is symmetric about mu: double the tail nearer to u. */
		err = cmp_mwu_exact_cdf(na, nb, (size_t)fmin(out->u, 2 * mu - out->u), &cdf);
		if (err)
			return err;
		out->p = fmin(1, 2 * cdf);
		out->exact = 1;
		return 0;
	}
	var = mu / 6 * ((double)(n + 1) - ties / ((double)n * (double)(n - 1)));
	if (!(var > 0)) {
		/* Every value equal: nothing tells the samples apart. */
		out->p = 1;
		return 0;
	}
	z = out->u - mu;
	z = (z - copysign(fmin(0.5, fabs(z)), z)) / sqrt(var);
	out->p = erfc(fabs(z) / M_SQRT2);
	return 0;
}

int cb_ratio_ci(const double *a, size_t na, const double *b, size_t nb, double level,
		struct cb_ratio *out)
{
	double ma, mb, va, vb, ta, tb, se, tq;

	if (!out || !na || !nb || !a || !b || !(level > 0 && level < 1))
		return -EINVAL;
	if (cb_moments(a, na, &ma, &va) || cb_moments(b, nb, &mb, &vb))
		return -EINVAL;
	if (!(ma > 0 && mb > 0))
		return -EINVAL;
	out->ratio = mb / ma;
	out->lo = out->hi = NAN;
	if (na < 2 || nb < 2)
		return 0;
	/* Delta method: var(log m) ~ var(m) / m^2. */
	ta = va / ((double)na * ma * ma);
	tb = vb / ((double)nb * mb * mb);
	if (ta + tb == 0) {
		out->lo = out->hi = out->ratio;
		return 0;
	}
	se = sqrt(ta + tb);
	tq = cb_t_quantile((1 + level) / 2, cmp_ws_df(ta, na, tb, nb));
	out->lo = out->ratio * exp(-tq * se);
	out->hi = out->ratio * exp(tq * se);
	return 0;
}

double cb_mean_ci(const double *v, size_t n, double *lo, double *hi)
{
	double sum = 0, ss = 0, mean, half = 0;

	if (!n) {
		*lo = *hi = NAN;
		return NAN;
	}
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	mean = sum / (double)n;
	if (n > 1) {
		for (size_t i = 0; i < n; i++)
			ss += (v[i] - mean) * (v[i] - mean);
		half = cb_t_quantile(0.975, (double)(n - 1)) * sqrt(ss / (double)(n - 1)) / sqrt((double)n);
	}
	*lo = mean - half;
	*hi = mean + half;
	return mean;
}

/* ---- what compare decides with ---- */

static int cmp_double_order(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/* R's quantile type 7 of a sorted sample. */
static double cmp_q7(const double *s, size_t n, double p)
{
	double h = (double)(n - 1) * p;
	size_t lo = (size_t)floor(h);

	return lo + 1 < n ? s[lo] + (h - (double)lo) * (s[lo + 1] - s[lo]) : s[n - 1];
}

size_t cb_tukey_outliers(const double *v, size_t n)
{
	double *s, q1, q3, iqr;
	size_t out = 0;

	if (n < 4)
		return 0;
	s = malloc(n * sizeof(*s));
	if (!s)
		return 0;
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double_order);
	q1 = cmp_q7(s, n, 0.25);
	q3 = cmp_q7(s, n, 0.75);
	iqr = q3 - q1;
	for (size_t i = 0; i < n; i++)
		out += s[i] < q1 - 1.5 * iqr || s[i] > q3 + 1.5 * iqr;
	free(s);
	return out;
}

/* P(U <= u) of the Mann-Whitney null distribution, u < 0 giving 0. */
static int cmp_mwu_cdf_at(size_t na, size_t nb, long u, double *out)
{
	if (u < 0) {
		*out = 0;
		return 0;
	}
	return cmp_mwu_exact_cdf(na, nb, (size_t)u, out);
}

int cb_hodges_lehmann(const double *x, size_t nx, const double *y, size_t ny, double level, double *est,
		      double *lo, double *hi)
{
	size_t m = nx * ny, k = 0, qu;
	double *d;

	if (!nx || !ny || !x || !y || !(level > 0 && level < 1))
		return -EINVAL;
	d = malloc(m * sizeof(*d));
	if (!d)
		return -ENOMEM;
	for (size_t i = 0; i < nx; i++)
		for (size_t j = 0; j < ny; j++)
			d[k++] = x[i] - y[j];
	qsort(d, m, sizeof(*d), cmp_double_order);
	*est = m % 2 ? d[m / 2] : (d[m / 2 - 1] + d[m / 2]) / 2;
	if (nx <= CMP_EXACT_MAX && ny <= CMP_EXACT_MAX) {
		/* As R's wilcox.test(conf.int = TRUE): qu = qwilcox(alpha / 2) (at least 1), the interval
		 * [d(qu), d(m - qu + 1)] of the sorted differences (1-based). */
		double alpha = 1 - level, c = 0;

		for (qu = 0; qu <= m; qu++) {
			if (cmp_mwu_cdf_at(nx, ny, (long)qu, &c)) {
				free(d);
				return -ENOMEM;
			}
			if (c >= alpha / 2)
				break;
		}
		if (qu == 0)
			qu = 1;
	} else {
		/* The normal approximation of the same order statistic (Hollander & Wolfe). */
		double z = -cb_t_quantile((1 - level) / 2, 1e9);
		double c = (double)m / 2 - z * sqrt((double)m * (double)(nx + ny + 1) / 12);

		qu = c < 1 ? 1 : (size_t)llround(c);
	}
	if (qu > m)
		qu = m;
	*lo = d[qu - 1];
	*hi = d[m - qu];
	free(d);
	return 0;
}

int cb_bh_adjust(const double *p, size_t n, double *q)
{
	size_t *idx;
	double run = 1;

	if (!n)
		return 0;
	idx = malloc(n * sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	/* Insertion sort by p: stable, and n is a few hundred. */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && p[idx[j - 1]] > p[idx[j]]; j--) {
			size_t t = idx[j];

			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
	for (size_t r = n; r > 0; r--) {
		double v = p[idx[r - 1]] * (double)n / (double)r;

		run = fmin(run, v);
		q[idx[r - 1]] = run;
	}
	free(idx);
	return 0;
}

/* Mean and variance with the variance floored at floor^2 (n >= 2). */
static int cmp_floored(const double *v, size_t n, double floor_sd, double *mean, double *var)
{
	if (cb_moments(v, n, mean, var))
		return -EINVAL;
	if (n > 1 && *var < floor_sd * floor_sd)
		*var = floor_sd * floor_sd;
	return 0;
}

/* The smallest two-sided p the rank test can give for these sizes: every b above every a, 2 of
 * C(na + nb, na) orders (the normal approximation's beyond CMP_EXACT_MAX: as small as wanted). */
double cb_mwu_min_p(size_t na, size_t nb)
{
	double c = 1;

	if (!na || !nb)
		return 1;
	if (na > CMP_EXACT_MAX || nb > CMP_EXACT_MAX)
		return 0;
	for (size_t i = 1; i <= na; i++)
		c = c * (double)(nb + i) / (double)i;
	return fmin(1, 2 / c);
}

/* Logs of a positive sample into out; false when a value is not positive. */
static bool cmp_logs(const double *v, size_t n, double *out)
{
	for (size_t i = 0; i < n; i++) {
		if (!(v[i] > 0))
			return false;
		out[i] = log(v[i]);
	}
	return true;
}

int cb_compare_samples(const double *a, size_t na, const double *b, size_t nb, double floor_sd,
		       struct cb_cmp_test *out)
{
	double ma, mb, va, vb, ta, tb, se, df, tq, *la = NULL, *lb = NULL;
	bool same = true, positive;
	struct cb_mwu u;
	int ret = 0;

	if (!out || !na || !nb || !a || !b || !(floor_sd >= 0))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->test = NULL;
	out->p = out->p_welch = out->p_mw = out->ratio = out->lo = out->hi = out->mde = out->se_log = NAN;
	out->df_log = out->hl_ratio = out->hl_lo = out->hl_hi = NAN;
	out->p_mw_min = cb_mwu_min_p(na, nb);
	if (cmp_floored(a, na, floor_sd, &ma, &va) || cmp_floored(b, nb, floor_sd, &mb, &vb))
		return -EINVAL;
	out->ratio = ma > 0 && mb >= 0 ? mb / ma : NAN;
	if (na < 2 || nb < 2) {
		out->result = CB_CMP_TOO_FEW;
		return 0;
	}
	for (size_t i = 0; i < na + nb; i++)
		same &= (i < na ? a[i] : b[i - na]) == a[0];
	if (same) {
		out->result = CB_CMP_NOT_TESTABLE;
		return 0;
	}
	out->outliers_a = cb_tukey_outliers(a, na);
	out->outliers_b = cb_tukey_outliers(b, nb);
	la = malloc(na * sizeof(*la));
	lb = malloc(nb * sizeof(*lb));
	if (!la || !lb) {
		ret = -ENOMEM;
		goto free_logs;
	}
	positive = cmp_logs(a, na, la) && cmp_logs(b, nb, lb);
	if (cb_mann_whitney(b, nb, a, na, &u) == 0)
		out->p_mw = u.p;
	if (positive) {
		/* Every figure here is a time or a count, whose effects multiply: the t test, its p and
		 * its interval all on the log scale, the resolution floored there as a relative one. */
		double fa = floor_sd / ma, fb = floor_sd / mb, est, lo, hi;

		if (cmp_floored(la, na, fa, &ma, &va) || cmp_floored(lb, nb, fb, &mb, &vb)) {
			ret = -EINVAL;
			goto free_logs;
		}
		if (cb_hodges_lehmann(lb, nb, la, na, 0.95, &est, &lo, &hi) == 0) {
			out->hl_ratio = exp(est);
			out->hl_lo = exp(lo);
			out->hl_hi = exp(hi);
		}
	}
	ta = va / (double)na;
	tb = vb / (double)nb;
	se = sqrt(ta + tb);
	if (!(se > 0)) {
		/* A floor of 0 and no spread on either side: nothing bounds the error. */
		out->result = CB_CMP_NOT_TESTABLE;
		goto free_logs;
	}
	df = cmp_ws_df(ta, na, tb, nb);
	out->p_welch = cmp_t_2tail((mb - ma) / se, df);
	tq = cb_t_quantile(0.975, df);
	if (positive) {
		out->ratio = exp(mb - ma);
		out->se_log = se;
		out->df_log = df;
		out->lo = exp(mb - ma - tq * se);
		out->hi = exp(mb - ma + tq * se);
		/* What this n and spread detect at 80 % power, two-sided 5 %; compare redoes it at the
		 * threshold one discovery of its whole family needs. */
		out->mde = exp((tq + cb_t_quantile(0.8, df)) * se) - 1;
	} else if (ma > 0) {
		out->lo = (mb - tq * se) / ma;
		out->hi = (mb + tq * se) / ma;
		out->mde = (tq + cb_t_quantile(0.8, df)) * se / ma;
	}
	out->test = positive ? "t-log" : "welch";
	out->p = out->p_welch;
	out->result = CB_CMP_TESTED;
free_logs:
	free(la);
	free(lb);
	return ret;
}

int cb_compare_paired(const double *a, const double *b, size_t n, double floor_sd, struct cb_cmp_test *out)
{
	double *d, m, v, se, tq, fl;
	int ret = 0;

	if (!out || !n || !a || !b || !(floor_sd >= 0))
		return -EINVAL;
	ret = cb_compare_samples(a, n, b, n, floor_sd, out);
	if (ret || out->result != CB_CMP_TESTED || n < 2 || strcmp(out->test, "t-log"))
		return ret;
	d = malloc(n * sizeof(*d));
	if (!d)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		d[i] = log(b[i]) - log(a[i]);
	ret = cb_moments(d, n, &m, &v);
	free(d);
	if (ret)
		return ret;
	/* The resolution as a relative floor on one round's ratio. */
	fl = floor_sd / fmin(a[0], b[0]);
	if (v < fl * fl)
		v = fl * fl;
	se = sqrt(v / (double)n);
	if (!(se > 0)) {
		out->result = CB_CMP_NOT_TESTABLE;
		return 0;
	}
	tq = cb_t_quantile(0.975, (double)(n - 1));
	out->test = "paired-t-log";
	out->ratio = exp(m);
	out->se_log = se;
	out->df_log = (double)(n - 1);
	out->p = out->p_welch = cmp_t_2tail(m / se, (double)(n - 1));
	out->lo = exp(m - tq * se);
	out->hi = exp(m + tq * se);
	out->mde = exp((tq + cb_t_quantile(0.8, (double)(n - 1))) * se) - 1;
	return 0;
}

/* 1.4826 × median |x / sqrt(se^2 + tau^2)|: the standard deviation of a normal sample, robustly. */
static double cmp_robust_sd(const double *x, const double *se, size_t n, double tau, double *z)
{
	for (size_t i = 0; i < n; i++)
		z[i] = fabs(x[i]) / sqrt(se[i] * se[i] + tau * tau);
	qsort(z, n, sizeof(*z), cmp_double_order);
	return 1.482602218505602 * (n % 2 ? z[n / 2] : (z[n / 2 - 1] + z[n / 2]) / 2);
}

double cb_empirical_tau(const double *x, const double *se, size_t n)
{
	double lo = 0, hi = 1, *z;

	if (n < 2)
		return 0;
	z = malloc(n * sizeof(*z));
	if (!z)
		return 0;
	/* The robust sd falls as tau grows: bisect for 1. */
	if (!(cmp_robust_sd(x, se, n, 0, z) > 1)) {
		free(z);
		return 0;
	}
	while (cmp_robust_sd(x, se, n, hi, z) > 1 && hi < 1e6)
		hi *= 2;
	for (int it = 0; it < 100; it++) {
		double mid = (lo + hi) / 2;

		if (cmp_robust_sd(x, se, n, mid, z) > 1)
			lo = mid;
		else
			hi = mid;
	}
	free(z);
	return (lo + hi) / 2;
}

/* The null's shape: a t with df degrees of freedom scaled to a robust sd of 1. */
static double cmp_null_scale(double df)
{
	return df >= 1e6 ? 1 : 1 / (1.482602218505602 * cb_t_quantile(0.75, df));
}

double cb_empirical_df(const double *x, const double *se, size_t n, double tau)
{
	static const double grid[] = { 3, 4, 5, 6, 8, 10, 15, 20, 30, 50, 100, 1e6 };
	double best = 1e6, best_d = INFINITY, *z, q90;

	if (n < 2)
		return 1e6;
	z = malloc(n * sizeof(*z));
	if (!z)
		return 1e6;
	/* The 90th percentile of |z| against the robust sd: a t's tails, read where fewer than a tenth
	 * of real differences cannot move it (a likelihood over all z would fit them as tails). */
	q90 = cmp_robust_sd(x, se, n, tau, z);
	q90 = cb_stats_percentile(z, n, 90) / (q90 > 0 ? q90 / 1.482602218505602 / 0.6744897501960817 : 1);
	free(z);
	for (size_t g = 0; g < sizeof(grid) / sizeof(grid[0]); g++) {
		double df = grid[g], want = cb_empirical_quantile(0.95, df), d = fabs(log(q90 / want));

		if (d < best_d) {
			best_d = d;
			best = df;
		}
	}
	return best;
}

double cb_empirical_p(double z, double df)
{
	double t = fabs(z) / cmp_null_scale(df);

	return df >= 1e6 ? erfc(t / M_SQRT2) : 2 * (1 - cb_t_cdf(t, df));
}

double cb_empirical_quantile(double p, double df)
{
	return df >= 1e6 ? cb_t_quantile(p, 1e9) : cb_t_quantile(p, df) * cmp_null_scale(df);
}

/* digamma and trigamma: the recurrence up to x >= 6, then their asymptotic series. */
static double cmp_digamma(double x)
{
	double r = 0, f;

	while (x < 6) {
		r -= 1 / x;
		x += 1;
	}
	f = 1 / (x * x);
	return r + log(x) - 0.5 / x - f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f / 132))));
}

static double cmp_trigamma(double x)
{
	double r = 0, f;

	while (x < 6) {
		r += 1 / (x * x);
		x += 1;
	}
	f = 1 / (x * x);
	return r + 1 / x + f / 2 + f / x * (1.0 / 6 - f * (1.0 / 30 - f * (1.0 / 42 - f / 30)));
}

/* The x with trigamma(x) = y (Newton's method from Smyth's limma, trigammaInverse). */
static double cmp_trigamma_inverse(double y)
{
	double x;

	if (y > 1e7)
		return 1 / sqrt(y);
	if (y < 1e-6)
		return 1 / y;
	x = 0.5 + 1 / y;
	/* Newton on trigamma(x) = y, its derivative (tetragamma) taken numerically. */
	for (int it = 0; it < 50; it++) {
		double h = 1e-6 * x, tri = cmp_trigamma(x), d = (cmp_trigamma(x + h) - cmp_trigamma(x - h)) / (2 * h);
		double step = (tri - y) / d;

		x -= step;
		if (x <= 0)
			x = 1e-8;
		if (fabs(step) < 1e-10 * x)
			break;
	}
	return x;
}

int cb_squeeze_var(const double *var, const double *df, size_t n, double *var_post, double *df_post, double *d0_out,
		   double *s0_out)
{
	double mean = 0, v = 0, tri = 0, d0 = INFINITY, s0;
	size_t k = 0;

	if (!var || !df || !var_post || !df_post)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (var[i] > 0 && df[i] > 0 && isfinite(var[i]) && isfinite(df[i])) {
			mean += log(var[i]) - cmp_digamma(df[i] / 2) + log(df[i] / 2);
			tri += cmp_trigamma(df[i] / 2);
			k++;
		}
	if (k < 3) {
		for (size_t i = 0; i < n; i++) {
			var_post[i] = var[i];
			df_post[i] = df[i];
		}
		return 0;
	}
	mean /= (double)k;
	tri /= (double)k;
	for (size_t i = 0; i < n; i++)
		if (var[i] > 0 && df[i] > 0 && isfinite(var[i]) && isfinite(df[i])) {
			double e = log(var[i]) - cmp_digamma(df[i] / 2) + log(df[i] / 2);

			v += (e - mean) * (e - mean);
		}
	v = v / (double)(k - 1) - tri;
	if (v > 0) {
		d0 = 2 * cmp_trigamma_inverse(v);
		s0 = exp(mean + cmp_digamma(d0 / 2) - log(d0 / 2));
	} else {
		s0 = exp(mean);
	}
	for (size_t i = 0; i < n; i++) {
		if (!(var[i] > 0 && df[i] > 0 && isfinite(var[i]) && isfinite(df[i]))) {
			var_post[i] = var[i];
			df_post[i] = df[i];
		} else if (isinf(d0)) {
			var_post[i] = s0;
			df_post[i] = 1e6;
		} else {
			var_post[i] = (d0 * s0 + df[i] * var[i]) / (d0 + df[i]);
			df_post[i] = d0 + df[i];
		}
	}
	if (d0_out)
		*d0_out = d0;
	if (s0_out)
		*s0_out = s0;
	return 0;
}
