#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "progress.h"
#include "scenario.h"
#include "unit.h"

/* The unit binary links lib/ without bench/: two scenarios of its own kind. */
static int prog_run(struct cb_ctx *ctx)
{
	(void)ctx;
	return 0;
}

static const struct cb_scenario prog_a = {
	.name = "prog_a", .description = "progress tests", .op = "nothing", .invalid_if = "never",
	.backings = "base", .run = prog_run,
};
static const struct cb_scenario prog_b = {
	.name = "prog_b", .description = "progress tests", .op = "nothing", .invalid_if = "never",
	.backings = "base", .run = prog_run,
};
CB_SCENARIO(prog_a)
CB_SCENARIO(prog_b)

static const char conf[] = "size = 2M\nrepeat = 2\nwarmup = 0\n"
			   "run = prog_a\nrun = prog_a --size 4M\nrun = prog_b\nrun = prog_b --repeat 4\n";

CB_TEST(progress_prior_scales_with_size_and_passes)
{
	struct cb_opts o;
	double small, big, more;

	cb_opts_defaults(&o);
	o.size = 2u << 20;
	o.repeat = 2;
	o.warmup = 0;
	small = cb_progress_prior("prog_a", &o);
	o.size = 4u << 20;
	big = cb_progress_prior("prog_a", &o);
	o.repeat = 4;
	more = cb_progress_prior("prog_a", &o);
	CB_CHECK(small > 0);
	CB_CHECK(big > small);
	/* Twice the repetitions: twice the passes (a timing and a counting pass each). */
	CB_CHECK_NEAR(more, 2 * big, 1e-9);
}

CB_TEST(progress_learns_per_scenario_then_overall)
{
	struct cb_config cfg;
	struct cb_progress p;
	char err[256];
	double pa1, pb0, eta0;

	if (cb_config_parse_text("p.conf", conf, &cfg, err, sizeof(err))) {
		cb_test_fail(__FILE__, __LINE__, "%s", err);
		return;
	}
	CB_CHECK(cb_progress_init(&p, NULL, &cfg) == 0);
	CB_CHECK_U64(p.n, 4);
	pa1 = p.inst[1].prior_s;
	pb0 = p.inst[2].prior_s;
	eta0 = cb_progress_eta(&p, 0, 0);
	CB_CHECK_NEAR(eta0, p.inst[0].prior_s + pa1 + pb0 + p.inst[3].prior_s, 1e-9);
	/* Nothing learned yet: the estimate is the prior. */
	CB_CHECK_NEAR(cb_progress_estimate(&p, 1), pa1, 1e-12);

	/* prog_a's first instance takes three times its prior: its second is scaled by 3, and
	 * prog_b (not seen yet) by the overall ratio, also 3. */
	p.t0 = 100;
	cb_progress_start_at(&p, 0, 100);
	cb_progress_end_at(&p, 0, CB_OK, 100 + 3 * p.inst[0].prior_s);
	CB_CHECK_NEAR(cb_progress_estimate(&p, 0), 3 * p.inst[0].prior_s, 1e-9);
	CB_CHECK_NEAR(cb_progress_estimate(&p, 1), 3 * pa1, 1e-9);
	CB_CHECK_NEAR(cb_progress_estimate(&p, 2), 3 * pb0, 1e-9);
	/* The running instance's share shrinks with its time, never below zero. */
	CB_CHECK_NEAR(cb_progress_eta(&p, 1, 0) - cb_progress_eta(&p, 1, pa1), pa1, 1e-9);
	CB_CHECK_NEAR(cb_progress_eta(&p, 3, 1e9), 0, 1e-12);
	CB_CHECK_NEAR(cb_progress_eta(&p, 4, 0), 0, 1e-12);

	/* prog_a's second ok instance at its prior: the ratio is over both (actual/prior sums). */
	cb_progress_start_at(&p, 1, 200);
	cb_progress_end_at(&p, 1, CB_OK, 200 + pa1);
	/* prog_b's first, at half its prior: its own ratio now rules prog_b's second. */
	cb_progress_start_at(&p, 2, 300);
	cb_progress_end_at(&p, 2, CB_OK, 300 + pb0 / 2);
	CB_CHECK_NEAR(cb_progress_estimate(&p, 3), p.inst[3].prior_s / 2, 1e-9);
	cb_progress_free(&p);
	cb_config_free(&cfg);
}

CB_TEST(progress_skips_teach_nothing)
{
	struct cb_config cfg;
	struct cb_progress p;
	char err[256];

	if (cb_config_parse_text("p.conf", conf, &cfg, err, sizeof(err))) {
		cb_test_fail(__FILE__, __LINE__, "%s", err);
		return;
	}
	CB_CHECK(cb_progress_init(&p, NULL, &cfg) == 0);
	/* A skip ends at once: it must not make the same scenario's other backings look free. */
	cb_progress_start_at(&p, 0, 10);
	cb_progress_end_at(&p, 0, CB_SKIP, 10.0001);
	CB_CHECK_NEAR(cb_progress_estimate(&p, 1), p.inst[1].prior_s, 1e-12);
	CB_CHECK_NEAR(cb_progress_estimate(&p, 0), 0.0001, 1e-6);
	cb_progress_free(&p);
	cb_config_free(&cfg);
}

CB_TEST(progress_time_format)
{
	char b[16];

	cb_progress_fmt(0, b, sizeof(b));
	CB_CHECK_STR(b, "0:00");
	cb_progress_fmt(59.6, b, sizeof(b));
	CB_CHECK_STR(b, "1:00");
	cb_progress_fmt(3725, b, sizeof(b));
	CB_CHECK_STR(b, "62:05");
	cb_progress_fmt(-1, b, sizeof(b));
	CB_CHECK_STR(b, "-:--");
	cb_progress_fmt(NAN, b, sizeof(b));
	CB_CHECK_STR(b, "-:--");
}

/* The lines a suite prints at an instance's first and later visits, machine lines first. */
CB_TEST(progress_lines_start_and_visit)
{
	struct cb_config cfg;
	struct cb_progress p;
	char err[256], *buf = NULL, *eta;
	size_t len = 0;
	FILE *f;

	if (cb_config_parse_text("p.conf", conf, &cfg, err, sizeof(err))) {
		cb_test_fail(__FILE__, __LINE__, "%s", err);
		return;
	}
	f = open_memstream(&buf, &len);
	CB_CHECK(f != NULL);
	if (!f)
		goto free_cfg;
	CB_CHECK(cb_progress_init(&p, f, &cfg) == 0);
	p.live = false;
	p.machine = true;
	p.t0 = 0;
	cb_progress_start_at(&p, 1, 61);
	cb_progress_visit_at(&p, 3, 3, 125);
	fclose(f);
	/* The ETAs depend on the priors: cut each line there. */
	for (char *l = buf; l && (eta = strstr(l, ", ETA ")); l = strchr(eta, '\n'))
		memmove(eta, strchr(eta, '\n'), strlen(strchr(eta, '\n')) + 1);
	CB_CHECK_STR(buf, "cowbench-progress start 2 4 prog_a base 4194304 2\n"
			  "[2/4] prog_a/base/4M ... elapsed 1:01\n"
			  "cowbench-progress rep 4 4 3 4\n"
			  "[4/4] prog_b/base/2M rep 3/4 ... elapsed 2:05\n");
	cb_progress_free(&p);
	free(buf);
free_cfg:
	cb_config_free(&cfg);
}
