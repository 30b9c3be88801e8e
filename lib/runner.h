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
	bool ns_timed;              /* ns_per_page from the timing pass (cb_record_ns_timed) */
	bool classified;            /* the last repetition classified pages (a write loop) */
	uint64_t spurious_min, spurious_max; /* faults.spurious_pmd over the repetitions */
	uint64_t folio_copy, folio_copy_folios; /* last repetition: pages copied with their whole folio */
	double p50, p99;            /* medians over repetitions */
	double fault_p50;           /* median of fault_latency_ns.p50 where reported; NaN: nowhere */
	uint64_t copy, reuse, nofault, first_touch; /* last repetition */
	bool cow_varied;            /* outcome counts differed between repetitions */
	double faults_per_page, allocs_per_page; /* NaN when unsupported */
	double tlb_per_fault;       /* local flushes (local_shootdown + local_mm_shootdown) per fault */
	double ipi_per_fault;       /* remote_send_ipi events per fault */
	char repeat_stop[16];       /* repeat = auto: "target_ci", "max_repeat", "max_time"; "" otherwise */
	double repeat_ci;           /* repeat = auto: the 95 % CI half-width of the mean over the mean */
	char workers[320];          /* concurrent instances: placement, rate, mmap_lock (last repetition) */
};

/* Runs every repetition of one instance, writing a record per repetition to out (skip/fail/
 * error: one record with the reason). Returns the instance's status (enum cb_status). */
int cb_instance_run(const struct cb_scenario *s, const struct cb_opts *o, const char *run_id, FILE *out,
		    struct cb_summary_row *row);
/*
 * The same in steps, for a suite that interleaves its instances: open checks what the instance
 * needs (a skip is decided here) and keeps its samples; each visit applies the instance's
 * settings (backing, swap, NUMA policy), runs its warm-up passes and up to `reps` more
 * repetitions, and takes the settings down again; close fills the row and writes the verdict
 * record of an instance that did not end ok. open returns NULL only without memory (close
 * accepts that and fills an error row).
 */
struct cb_instance;
struct cb_instance *cb_instance_open(const struct cb_scenario *s, const struct cb_opts *o, const char *run_id,
				     FILE *out, struct cb_summary_row *row);
int cb_instance_visit(struct cb_instance *in, int reps);
/* The measured CPU: want (>= 0, must be allowed), else the highest CPU this process may run on
 * (CPU 0 is where the machine's housekeeping runs); other: the lowest allowed one besides it, or
 * -1. Returns 0 or -errno. */
int cb_cpus_pick(int want, int *cpu, int *other);
/* No repetition left to run: all recorded, or it stopped (skip, fail, error). */
bool cb_instance_done(const struct cb_instance *in);
int cb_instance_close(struct cb_instance *in, struct cb_summary_row *row);
void cb_summary_header(FILE *f);
void cb_summary_print(FILE *f, const struct cb_summary_row *row);

#endif
