#include <errno.h>
#include <math.h>

#include "stats.h"
#include "unit.h"

CB_TEST(stats_known_values)
{
	/* {2,4,4,4,5,5,7,9}, deliberately unsorted: squared deviations sum to 32, so the
	 * sample stddev is sqrt(32 / 7). */
	const double v[] = { 5, 2, 9, 4, 4, 7, 4, 5 };
	const double orig[] = { 5, 2, 9, 4, 4, 7, 4, 5 };
	struct cb_stats s;

	CB_CHECK(cb_stats_compute(v, 8, &s) == 0);
	CB_CHECK_U64(s.n, 8);
	CB_CHECK_NEAR(s.mean, 5, 1e-12);
	CB_CHECK_NEAR(s.stddev, 2.1380899352993950, 1e-12);
	CB_CHECK_NEAR(s.median, 4.5, 1e-12);
	CB_CHECK(s.min == 2);
	CB_CHECK(s.max == 9);
	CB_CHECK(memcmp(v, orig, sizeof(v)) == 0);
}

CB_TEST(stats_single_value)
{
	const double v[] = { 3.5 };
	struct cb_stats s;

	CB_CHECK(cb_stats_compute(v, 1, &s) == 0);
	CB_CHECK_U64(s.n, 1);
	CB_CHECK(s.mean == 3.5);
	CB_CHECK(s.stddev == 0);
	CB_CHECK(s.median == 3.5);
	CB_CHECK(s.min == 3.5 && s.max == 3.5);
	CB_CHECK(cb_stats_percentile(v, 1, 0) == 3.5);
	CB_CHECK(cb_stats_percentile(v, 1, 37) == 3.5);
	CB_CHECK(cb_stats_percentile(v, 1, 100) == 3.5);
}

CB_TEST(stats_odd_median)
{
	const double v[] = { 30, -1, 2, 1e6, 7 };
	struct cb_stats s;

	CB_CHECK(cb_stats_compute(v, 5, &s) == 0);
	CB_CHECK(s.median == 7);
	CB_CHECK(s.min == -1);
	CB_CHECK(s.max == 1e6);
}

CB_TEST(stats_large_offset)
{
	/* Timings in the 1e12 range with a spread of a few units: the textbook
	 * sum(x^2) - n*mean^2 formula loses all digits here. */
	const double base = 1e12;
	const double v[] = { base + 2, base + 4, base + 4, base + 4, base + 5, base + 5, base + 7, base + 9 };
	struct cb_stats s;

	CB_CHECK(cb_stats_compute(v, 8, &s) == 0);
	CB_CHECK_NEAR(s.mean, base + 5, 1e-3);
	CB_CHECK_NEAR(s.stddev, 2.1380899352993950, 1e-6);
}

CB_TEST(stats_errors)
{
	const double v[] = { 1, NAN, 3 };
	struct cb_stats s;

	CB_CHECK(cb_stats_compute(v, 0, &s) == -EINVAL);
	CB_CHECK(cb_stats_compute(v, 3, &s) == -EINVAL);
	CB_CHECK(cb_stats_compute(v, 1, &s) == 0);	/* the NaN is past n */
	CB_CHECK(isnan(cb_stats_percentile(v, 0, 50)));
	CB_CHECK(isnan(cb_stats_percentile(v, 3, 50)));
}

CB_TEST(stats_percentile_r7)
{
	/* 1..10 shuffled; R-7 puts pct p at 0-based rank 9p/100: p25 -> 2.25, p75 -> 6.75. */
	const double v[] = { 7, 3, 10, 1, 5, 9, 2, 8, 4, 6 };
	const double orig[] = { 7, 3, 10, 1, 5, 9, 2, 8, 4, 6 };

	CB_CHECK_NEAR(cb_stats_percentile(v, 10, 25), 3.25, 1e-12);
	CB_CHECK_NEAR(cb_stats_percentile(v, 10, 75), 7.75, 1e-12);
	CB_CHECK_NEAR(cb_stats_percentile(v, 10, 50), 5.5, 1e-12);
	CB_CHECK_NEAR(cb_stats_percentile(v, 10, 90), 9.1, 1e-12);
	CB_CHECK(cb_stats_percentile(v, 10, 0) == 1);
	CB_CHECK(cb_stats_percentile(v, 10, 100) == 10);
	CB_CHECK(memcmp(v, orig, sizeof(v)) == 0);
	/* Two values: plain linear interpolation between them. */
	CB_CHECK_NEAR(cb_stats_percentile(v + 1, 2, 40), 3 + 0.4 * 7, 1e-12);
}

/* repeat = auto: t(0.975, 2) = 4.3027; {99, 100, 101}: sd 1, mean 100, CI ±4.3027/sqrt(3) % = 2.484 %. */
CB_TEST(repeat_stop_rule)
{
	double tight[] = { 99, 100, 101, 100, 100, 99.5, 100.5, 100, 100, 100 }, ci;
	double wild[] = { 100, 200, 50, 300 };

	CB_CHECK_NEAR(cb_stats_ci_rel(tight, 3), 4.302652729911275 / sqrt(3) / 100, 1e-9);
	CB_CHECK(isnan(cb_stats_ci_rel(tight, 1)));
	/* Two equal values never stop it, however tight. */
	CB_CHECK(cb_repeat_stop((double[]){ 5, 5 }, 2, 0.01, 30, 0, 60, &ci) == CB_REPEAT_MORE);
	CB_CHECK_NEAR(ci, 0, 1e-12);
	/* At n = 3 the CI is ±2.48 %: on for a 1 % target, stopped for a 3 % one. */
	CB_CHECK(cb_repeat_stop(tight, 3, 0.01, 30, 0, 60, &ci) == CB_REPEAT_MORE);
	CB_CHECK(cb_repeat_stop(tight, 3, 0.03, 30, 0, 60, &ci) == CB_REPEAT_TARGET_CI);
	CB_CHECK(cb_repeat_stop(tight, 10, 0.01, 30, 0, 60, &ci) == CB_REPEAT_TARGET_CI);
	CB_CHECK(ci < 0.01);
	/* The target wins when reached at the limit; otherwise the limit that was hit. */
	CB_CHECK(cb_repeat_stop(tight, 10, 0.01, 10, 99, 60, NULL) == CB_REPEAT_TARGET_CI);
	CB_CHECK(cb_repeat_stop(wild, 4, 0.01, 4, 0, 60, NULL) == CB_REPEAT_MAX_REPEAT);
	CB_CHECK(cb_repeat_stop(wild, 3, 0.01, 30, 60, 60, NULL) == CB_REPEAT_MAX_TIME);
	CB_CHECK(cb_repeat_stop(wild, 3, 0.01, 30, 59.9, 60, NULL) == CB_REPEAT_MORE);
	CB_CHECK(cb_repeat_stop(wild, 1, 0.01, 30, 61, 60, NULL) == CB_REPEAT_MAX_TIME);
	CB_CHECK(!cb_repeat_stop_name(CB_REPEAT_MORE));
	CB_CHECK(strcmp(cb_repeat_stop_name(CB_REPEAT_MAX_TIME), "max_time") == 0);
}
