#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "stats.h"
#include "timer.h"

struct cb_timer_info cb_timer = {
	.source = CB_TIMER_CLOCK,
	.source_name = "clock_monotonic",
	.ticks_per_ns = 1.0,
};

#if defined(__x86_64__)
static void cb_timer_cpuinfo_flags(bool *constant, bool *nonstop)
{
	char line[4096];
	FILE *f = fopen("/proc/cpuinfo", "re");

	*constant = *nonstop = false;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		*constant = strstr(line, " constant_tsc") != NULL;
		*nonstop = strstr(line, " nonstop_tsc") != NULL;
		break;
	}
	fclose(f);
}
#endif

static uint64_t cb_clock_raw_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Ratio of counter ticks to CLOCK_MONOTONIC_RAW (never slewed by NTP, unlike CLOCK_MONOTONIC)
 * over ~20 ms, median of 5 to shrug off preemption. */
static double cb_timer_calibrate(void)
{
	double r[5];

#if defined(__aarch64__)
	/* The generic timer states its own frequency. */
	{
		uint64_t frq;

		__asm__ __volatile__("mrs %0, cntfrq_el0" : "=r"(frq));
		if (frq) {
			cb_timer.calibrated_by = "cntfrq_el0";
			return (double)frq / 1e9;
		}
	}
#endif
	cb_timer.calibrated_by = "clock_monotonic_raw";
	for (int i = 0; i < 5; i++) {
		uint64_t n0 = cb_clock_raw_ns(), t0 = cb_timer_ticks(), n1, t1;

		do
			n1 = cb_clock_raw_ns();
		while (n1 - n0 < 4000000);
		t1 = cb_timer_ticks();
		r[i] = (double)(t1 - t0) / (double)(n1 - n0);
	}
	return cb_stats_percentile(r, 5, 50);
}

/* The cost of one start/stop pair as a measured op sees it: recorded with every run. */
static double cb_timer_self_cost(void)
{
	double v[1000];

	for (int i = 0; i < 1000; i++) {
		uint64_t t0 = cb_timer_ticks();
		uint64_t t1 = cb_timer_ticks();

		v[i] = (double)(t1 - t0) / cb_timer.ticks_per_ns;
	}
	return cb_stats_percentile(v, 1000, 50);
}

int cb_timer_init(void)
{
#if defined(__x86_64__)
	cb_timer_cpuinfo_flags(&cb_timer.tsc_constant, &cb_timer.tsc_nonstop);
	if (cb_timer.tsc_constant && cb_timer.tsc_nonstop) {
		cb_timer.source = CB_TIMER_TSC;
		cb_timer.source_name = "tsc";
	} else {
		snprintf(cb_timer.why_fallback, sizeof(cb_timer.why_fallback),
			 "TSC not invariant (constant_tsc %s, nonstop_tsc %s)",
			 cb_timer.tsc_constant ? "yes" : "no", cb_timer.tsc_nonstop ? "yes" : "no");
	}
#elif defined(__aarch64__)
	/* The generic timer's virtual count is architecturally monotonic and constant-rate. */
	cb_timer.source = CB_TIMER_CNTVCT;
	cb_timer.source_name = "cntvct_el0";
#else
	snprintf(cb_timer.why_fallback, sizeof(cb_timer.why_fallback), "no cycle counter support for this arch");
#endif
	cb_timer.ticks_per_ns = 1.0;
	if (cb_timer.source != CB_TIMER_CLOCK) {
		cb_timer.ticks_per_ns = cb_timer_calibrate();
		if (!(cb_timer.ticks_per_ns > 0.01)) {
			snprintf(cb_timer.why_fallback, sizeof(cb_timer.why_fallback),
				 "%s calibration failed", cb_timer.source_name);
			cb_timer.source = CB_TIMER_CLOCK;
			cb_timer.source_name = "clock_monotonic";
			cb_timer.ticks_per_ns = 1.0;
		}
	}
	cb_timer.overhead_ns = cb_timer_self_cost();
	return 0;
}
