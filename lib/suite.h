/* A suite's instances run in its config's order: interleaved rounds (the default) or
 * sequentially. */
#ifndef CB_SUITE_H
#define CB_SUITE_H

#include <stdio.h>

#include "config.h"
#include "progress.h"
#include "runner.h"

/* Runs every instance of cfg, a record per repetition to out, rows[i] the summary of instance
 * i, each printed to stderr as it ends. Returns the worst status (enum cb_status: fail over
 * error over ok/skip). */
int cb_suite_run(const struct cb_config *cfg, const char *run_id, FILE *out, struct cb_summary_row *rows,
		 struct cb_progress *progress);
const char *cb_order_name(enum cb_order order);

#endif
