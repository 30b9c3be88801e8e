/* Suite progress: "[i/N] scenario/backing/size ... elapsed M:SS, ETA M:SS" on stderr (a live
 * line on a TTY), COWBENCH_PROGRESS=1 machine lines for the VM runner's watchdog, and the
 * per-instance time estimates behind the ETA and `suite --dry-run`. */
#ifndef CB_PROGRESS_H
#define CB_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"

struct cb_progress_inst {
	const char *scenario;       /* points into the config */
	double prior_s;             /* estimate before the suite ran anything */
	double actual_s;            /* measured, once ended (< 0 before) */
	bool started;
	double spent_s;             /* time in its visits before the current one (interleaved suites) */
	bool learn;                 /* ended ok: its actual/prior ratio scales its scenario's others */
};

struct cb_progress {
	FILE *f;
	const struct cb_config *cfg;
	struct cb_progress_inst *inst;
	int n;
	bool live;                  /* rewrite one line in place (a TTY, no machine lines) */
	bool machine;               /* COWBENCH_PROGRESS=1 */
	bool line_open;             /* a live line is on screen without its newline */
	double t0, t_start;         /* suite start, current instance start (monotonic seconds) */
};

/* Prior estimate of one instance in seconds: passes (warm-up + a timing and a counting pass
 * per repetition, or one process per repetition for hyperfine's) times a per-page cost of the
 * scenario's kind, plus the instance's fixed costs (swap set-up, hyperfine's start). */
double cb_progress_prior(const char *scenario, const struct cb_opts *o);
/* f = NULL: estimates only (dry run). Reads COWBENCH_PROGRESS and isatty(f). Returns 0 or -ENOMEM. */
int cb_progress_init(struct cb_progress *p, FILE *f, const struct cb_config *cfg);
/* Instance i (0-based) starts / ended with status (enum cb_status). */
void cb_progress_start(struct cb_progress *p, int i);
void cb_progress_end(struct cb_progress *p, int i, int status);
/* Interleaved suites: instance i is visited again for repetition rep (a line "[i/N] ... rep
 * r/R ..." and with COWBENCH_PROGRESS=1 "cowbench-progress rep I N REP REPEAT"); pause after
 * every visit that did not end the instance. */
void cb_progress_visit(struct cb_progress *p, int i, int rep);
void cb_progress_pause(struct cb_progress *p, int i);
/* Seconds since cb_progress_init. */
double cb_progress_elapsed(const struct cb_progress *p);
/* Before a summary row is printed: takes a live line off the screen. */
void cb_progress_clear(struct cb_progress *p);
void cb_progress_free(struct cb_progress *p);

/* The clock-free core, for tests: the same with explicit times in seconds. */
void cb_progress_start_at(struct cb_progress *p, int i, double now);
void cb_progress_end_at(struct cb_progress *p, int i, int status, double now);
void cb_progress_visit_at(struct cb_progress *p, int i, int rep, double now);
void cb_progress_pause_at(struct cb_progress *p, int i, double now);
/* Current estimate of instance i: its actual time once ended, else its prior scaled by what
 * the suite learned (its scenario's ended-ok instances, else every ended-ok instance). */
double cb_progress_estimate(const struct cb_progress *p, int i);
/* Seconds left when instance i has run for `in_instance` seconds in its current visit (i == n:
 * 0): what every instance not ended still needs beyond the time it spent. */
double cb_progress_eta(const struct cb_progress *p, int i, double in_instance);
/* "M:SS" (minutes unbounded), "-:--" for a negative or non-finite value. */
void cb_progress_fmt(double seconds, char *buf, size_t len);

#endif
