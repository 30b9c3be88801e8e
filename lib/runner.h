/* Runs scenario instances: warm-up, then per repetition a timing pass (timer only) and a
 * counting pass (counters + page classification); never latency from the counting pass. */
#ifndef CB_RUNNER_H
#define CB_RUNNER_H

#include <stdio.h>

#include "opts.h"
#include "scenario.h"
#include "stats.h"

/* Tries of one repetition before the instance gives up as skip ("disturbed in all N tries"). */
#define CB_DISTURBED_TRIES 4

struct cb_summary_row {
	char scenario[64], backing[32], size_h[16];
	int status;
	char reason[256];
	int n;                      /* repetitions recorded (disturbed ones not counted) */
	int disturbed;              /* repetitions recorded disturbed (and tried again) */
	struct cb_stats ns_per_page;
	double p50, p99;            /* medians over repetitions */
	uint64_t copy, reuse, nofault, first_touch; /* last repetition */
	bool cow_varied;            /* outcome counts differed between repetitions */
	double faults_per_page, allocs_per_page; /* NaN when unsupported */
	double tlb_per_fault;       /* local flushes (local_shootdown + local_mm_shootdown) per fault */
	double ipi_per_fault;       /* remote_send_ipi events per fault */
};

/* Runs every repetition of one instance, writing a record per repetition to out (skip/fail/
 * error: one record with the reason). Returns the instance's status (enum cb_status). */
int cb_instance_run(const struct cb_scenario *s, const struct cb_opts *o, const char *run_id, FILE *out,
		    struct cb_summary_row *row);
void cb_summary_header(FILE *f);
void cb_summary_print(FILE *f, const struct cb_summary_row *row);

#endif
