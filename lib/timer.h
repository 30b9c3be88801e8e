/* Cycle-accurate timestamps for per-op latency. */
#ifndef CB_TIMER_H
#define CB_TIMER_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

enum cb_timer_source { CB_TIMER_CLOCK = 0, CB_TIMER_TSC, CB_TIMER_CNTVCT };

struct cb_timer_info {
	enum cb_timer_source source;
	const char *source_name;    /* "tsc", "cntvct_el0", "clock_monotonic" */
	bool tsc_constant, tsc_nonstop; /* x86 cpuinfo flags */
	double ticks_per_ns;        /* from CNTFRQ_EL0 (arm64), else calibrated against CLOCK_MONOTONIC_RAW */
	const char *calibrated_by;  /* "cntfrq_el0", "clock_monotonic_raw", or NULL (clock source) */
	double overhead_ns;         /* median cost of one start/stop pair */
	char why_fallback[96];      /* set when source is CB_TIMER_CLOCK */
};

extern struct cb_timer_info cb_timer;

/* Detects the best invariant counter, calibrates it and measures its own cost. */
int cb_timer_init(void);

static inline uint64_t cb_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Raw ticks; the fences keep the measured access from moving across the read. */
static inline uint64_t cb_timer_ticks(void)
{
#if defined(__x86_64__)
	if (cb_timer.source == CB_TIMER_TSC) {
		uint32_t lo, hi;

		__asm__ __volatile__("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi)::"memory");
		return ((uint64_t)hi << 32) | lo;
	}
#elif defined(__aarch64__)
	if (cb_timer.source == CB_TIMER_CNTVCT) {
		uint64_t v;

		__asm__ __volatile__("isb; mrs %0, cntvct_el0; isb" : "=r"(v)::"memory");
		return v;
	}
#endif
	return cb_clock_ns();
}

static inline uint64_t cb_timer_ns(uint64_t ticks)
{
	return (uint64_t)((double)ticks / cb_timer.ticks_per_ns + 0.5);
}

#endif
