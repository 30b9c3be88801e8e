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

/* repeat = auto: why an instance stopped repeating. */
enum cb_repeat_stop {
	CB_REPEAT_MORE,             /* not yet: run another repetition */
	CB_REPEAT_TARGET_CI,        /* the mean's 95 % CI is within the target */
	CB_REPEAT_MAX_REPEAT,       /* max_repeat repetitions reached */
	CB_REPEAT_MAX_TIME,         /* the instance's visits took max_time seconds */
};

/* Fewest repetitions whose CI may stop an instance (two equal values are no evidence). */
#define CB_REPEAT_MIN 3

/* Half-width of the 95 % CI of the mean (Student's t) over the mean: 0.01 = ±1 %. NaN when
 * n < 2 or the mean is not positive. */
double cb_stats_ci_rel(const double *v, size_t n);
/* The stopping rule of repeat = auto after n repetitions v[0..n) that took spent_s seconds:
 * the target first (at n >= CB_REPEAT_MIN), then max_repeat, then max_time. *ci gets
 * cb_stats_ci_rel (NaN below 2). */
enum cb_repeat_stop cb_repeat_stop(const double *v, size_t n, double target_ci, int max_repeat, double spent_s,
				   double max_time, double *ci);
/* "target_ci", "max_repeat", "max_time" (NULL for CB_REPEAT_MORE). */
const char *cb_repeat_stop_name(enum cb_repeat_stop stop);

#endif
