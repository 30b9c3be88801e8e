#include <stdlib.h>

#include "cb.h"
#include "record.h"
#include "scenario.h"
#include "suite.h"

const char *cb_order_name(enum cb_order order)
{
	return order == CB_ORDER_SEQUENTIAL ? "sequential" : "interleaved";
}

static void cb_suite_worst(int *worst, int st)
{
	if (st == CB_FAIL || (st == CB_ERROR && *worst != CB_FAIL))
		*worst = st;
}

/*
 * Interleaved: round r runs repetition r of every instance that has one left, in config order,
 * each visit with its own warm-up passes. A slow period of the machine (another VM, a build on
 * the other CPU, memory bandwidth taken) then lands in one repetition of several instances, in
 * their variance, instead of shifting every repetition of one instance, a difference between two
 * runs that no within-run error covers.
 */
static int cb_suite_interleaved(const struct cb_config *cfg, const char *run_id, FILE *out,
				struct cb_summary_row *rows, struct cb_progress *progress)
{
	struct cb_instance **in = calloc((size_t)cfg->nruns, sizeof(*in));
	bool *ended = calloc((size_t)cfg->nruns, sizeof(*ended));
	int worst = CB_OK, left = cfg->nruns;

	if (!in || !ended) {
		free(in);
		free(ended);
		return CB_ERROR;
	}
	for (int round = 1; left > 0; round++) {
		for (int i = 0; i < cfg->nruns; i++) {
			const struct cb_opts *o = &cfg->runs[i].opts;
			int st;

			if (ended[i])
				continue;
			if (round == 1) {
				cb_progress_start(progress, i);
				in[i] = cb_instance_open(cb_scenario_find(cfg->runs[i].scenario), o, run_id, out, &rows[i]);
			} else {
				cb_progress_visit(progress, i, rows[i].n + 1);
			}
			/* The last instance left runs the rest of its repetitions in one visit, as `run`
			 * does: taking its THP settings and swap down and up again between them would
			 * interleave it with nothing, and make another process's swap area come and go. */
			if (in[i])
				cb_instance_visit(in[i], left == 1 ? o->repeat : 1);
			if (in[i] && !cb_instance_done(in[i])) {
				cb_progress_pause(progress, i);
				continue;
			}
			st = cb_instance_close(in[i], &rows[i]);
			in[i] = NULL;
			ended[i] = true;
			left--;
			cb_progress_end(progress, i, st);
			cb_summary_print(stderr, &rows[i]);
			cb_suite_worst(&worst, st);
		}
	}
	free(in);
	free(ended);
	return worst;
}

int cb_suite_run(const struct cb_config *cfg, const char *run_id, FILE *out, struct cb_summary_row *rows,
		 struct cb_progress *progress)
{
	int worst = CB_OK;

	if (cfg->order == CB_ORDER_INTERLEAVED)
		return cb_suite_interleaved(cfg, run_id, out, rows, progress);
	for (int i = 0; i < cfg->nruns; i++) {
		int st;

		cb_progress_start(progress, i);
		st = cb_instance_run(cb_scenario_find(cfg->runs[i].scenario), &cfg->runs[i].opts, run_id, out, &rows[i]);
		cb_progress_end(progress, i, st);
		cb_summary_print(stderr, &rows[i]);
		cb_suite_worst(&worst, st);
	}
	return worst;
}
