/* Summary statistics over repetitions. */
#ifndef CB_STATS_H
#define CB_STATS_H

#include <stddef.h>

struct cb_stats {
	size_t n;
	double mean, stddev, median, min, max; /* stddev: sample (n-1); 0 when n < 2 */
};

/* Returns 0, or -EINVAL when n == 0 or a value is NaN. */
int cb_stats_compute(const double *v, size_t n, struct cb_stats *out);
/* Percentile with linear interpolation between closest ranks (pct in [0, 100]); NaN when n == 0.
 * Does not modify v. */
double cb_stats_percentile(const double *v, size_t n, double pct);

#endif
