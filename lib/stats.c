#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmpstats.h"
#include "stats.h"

static int cb_stats_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Callers must not have their arrays reordered, so sorting happens on a copy.  NaN is refused
 * because it has no place in the order and would leave qsort's result undefined. */
static int cb_stats_sorted_copy(const double *v, size_t n, double **out)
{
	double *s;

	if (!n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (isnan(v[i]))
			return -EINVAL;
	s = malloc(n * sizeof(*s));
	if (!s)
		return -ENOMEM;
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cb_stats_cmp);
	*out = s;
	return 0;
}

/* R-7 (numpy's default): rank h = (n - 1) * p, interpolate between floor(h) and the next one. */
static double cb_stats_interp(const double *s, size_t n, double pct)
{
	double h, frac;
	size_t lo;

	if (!(pct > 0))
		pct = 0;
	if (pct > 100)
		pct = 100;
	h = (double)(n - 1) * pct / 100.0;
	lo = (size_t)h;
	if (lo >= n - 1)
		return s[n - 1];
	frac = h - (double)lo;
	/* Skipping the product when frac is 0 keeps exact ranks exact even next to an infinity. */
	return frac ? s[lo] + frac * (s[lo + 1] - s[lo]) : s[lo];
}

int cb_stats_compute(const double *v, size_t n, struct cb_stats *out)
{
	double *s, sum = 0, sq = 0;
	int err;

	err = cb_stats_sorted_copy(v, n, &s);
	if (err)
		return err;
	/* Two passes: subtracting the mean before squaring avoids the cancellation of sum(x^2) - n*mean^2
	 * on large, nearly equal timings. */
	for (size_t i = 0; i < n; i++)
		sum += s[i];
	out->n = n;
	out->mean = sum / (double)n;
	for (size_t i = 0; i < n; i++)
		sq += (s[i] - out->mean) * (s[i] - out->mean);
	out->stddev = n < 2 ? 0 : sqrt(sq / (double)(n - 1));
	out->median = cb_stats_interp(s, n, 50);
	out->min = s[0];
	out->max = s[n - 1];
	free(s);
	return 0;
}

/* NaN also when v holds a NaN or the copy cannot be allocated: there is no errno channel here. */
double cb_stats_percentile(const double *v, size_t n, double pct)
{
	double *s, r;

	if (cb_stats_sorted_copy(v, n, &s))
		return NAN;
	r = cb_stats_interp(s, n, pct);
	free(s);
	return r;
}

double cb_stats_ci_rel(const double *v, size_t n)
{
	struct cb_stats st;

	if (n < 2 || cb_stats_compute(v, n, &st) || !(st.mean > 0))
		return NAN;
	return cb_t_quantile(0.975, (double)(n - 1)) * st.stddev / sqrt((double)n) / st.mean;
}

enum cb_repeat_stop cb_repeat_stop(const double *v, size_t n, double target_ci, int max_repeat, double spent_s,
				   double max_time, double *ci)
{
	double c = cb_stats_ci_rel(v, n);

	if (ci)
		*ci = c;
	if (n >= CB_REPEAT_MIN && c <= target_ci)
		return CB_REPEAT_TARGET_CI;
	if (max_repeat > 0 && n >= (size_t)max_repeat)
		return CB_REPEAT_MAX_REPEAT;
	if (spent_s >= max_time)
		return CB_REPEAT_MAX_TIME;
	return CB_REPEAT_MORE;
}

const char *cb_repeat_stop_name(enum cb_repeat_stop stop)
{
	switch (stop) {
	case CB_REPEAT_TARGET_CI: return "target_ci";
	case CB_REPEAT_MAX_REPEAT: return "max_repeat";
	case CB_REPEAT_MAX_TIME: return "max_time";
	default: return NULL;
	}
}
