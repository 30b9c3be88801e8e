#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cb.h"
#include "lock.h"
#include "progress.h"
#include "record.h"
#include "scenario.h"

/*
 * Prior costs by scenario kind, timed with configs/quick.conf and 2M..64M instances on a 2-vCPU
 * KVM guest (kernel 6.18, 2026-11-30): seconds per page per pass, per pass (mapping, fork,
 * counters, classification set-up: ~65 ms whatever the size) and per instance (swap set-up).
 * Only a starting point: a suite rescales them by what it measures.
 */
struct cb_cost {
	const char *prefix;
	double per_page, per_pass, per_instance;
};

static const struct cb_cost cb_costs[] = {
	{ "proc_", 0.05e-6, 8e-3, 0.01 },     /* hyperfine: one process per repetition */
	{ "pressure_", 70e-6, 70e-3, 0 },     /* reclaim under a memcg limit */
	{ "swap", 19e-6, 70e-3, 0.05 },       /* zram set up and torn down per instance */
	{ "tlb_", 19e-6, 65e-3, 0 },          /* a remote shootdown per page */
	{ "pin_", 15e-6, 65e-3, 0 },
	{ "cow_", 6e-6, 65e-3, 0 },
	{ "collapse", 4.5e-6, 65e-3, 0 },
	{ "", 3e-6, 65e-3, 0 },               /* first touch, fork, zap */
};

static double cb_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double cb_progress_prior(const char *scenario, const struct cb_opts *o)
{
	const struct cb_scenario *s = cb_scenario_find(scenario);
	const struct cb_cost *c = &cb_costs[CB_ARRAY_SIZE(cb_costs) - 1];
	double pages = (double)o->size / (double)(cb_page_size ? cb_page_size : 4096), passes;

	for (size_t i = 0; i < CB_ARRAY_SIZE(cb_costs); i++)
		if (strncmp(scenario, cb_costs[i].prefix, strlen(cb_costs[i].prefix)) == 0) {
			c = &cb_costs[i];
			break;
		}
	/* hyperfine runs its own warm-up and no counting pass. */
	if (s && s->external)
		passes = (double)o->repeat + 1;
	else
		passes = (double)o->warmup + 2.0 * (double)o->repeat;
	return c->per_instance + passes * (c->per_pass + pages * c->per_page);
}

int cb_progress_init(struct cb_progress *p, FILE *f, const struct cb_config *cfg)
{
	const char *env = getenv("COWBENCH_PROGRESS"), *term = getenv("TERM");

	memset(p, 0, sizeof(*p));
	p->f = f;
	p->cfg = cfg;
	p->n = cfg->nruns;
	p->inst = calloc((size_t)(p->n ? p->n : 1), sizeof(*p->inst));
	if (!p->inst)
		return -ENOMEM;
	for (int i = 0; i < p->n; i++) {
		p->inst[i].scenario = cfg->runs[i].scenario;
		p->inst[i].prior_s = cb_progress_prior(cfg->runs[i].scenario, &cfg->runs[i].opts);
		p->inst[i].actual_s = -1;
	}
	p->machine = env && strcmp(env, "1") == 0;
	/* Machine lines must start at a line's beginning for the reader on the other side. */
	p->live = f && !p->machine && isatty(fileno(f)) && !(term && strcmp(term, "dumb") == 0);
	p->t0 = cb_now();
	return 0;
}

void cb_progress_free(struct cb_progress *p)
{
	free(p->inst);
	p->inst = NULL;
}

/* Ratio of measured to prior time over the ended-ok instances of scenario (NULL: all). */
static bool cb_progress_ratio(const struct cb_progress *p, const char *scenario, double *ratio)
{
	double actual = 0, prior = 0;

	for (int i = 0; i < p->n; i++) {
		const struct cb_progress_inst *in = &p->inst[i];

		if (!in->learn || (scenario && strcmp(in->scenario, scenario) != 0))
			continue;
		actual += in->actual_s;
		prior += in->prior_s;
	}
	if (prior <= 0)
		return false;
	*ratio = actual / prior;
	return true;
}

double cb_progress_estimate(const struct cb_progress *p, int i)
{
	const struct cb_progress_inst *in = &p->inst[i];
	double r;

	if (in->actual_s >= 0)
		return in->actual_s;
	if (cb_progress_ratio(p, in->scenario, &r) || cb_progress_ratio(p, NULL, &r))
		return in->prior_s * r;
	return in->prior_s;
}

double cb_progress_eta(const struct cb_progress *p, int i, double in_instance)
{
	double left = 0;

	if (i >= p->n)
		return 0;
	/* Every instance not ended (in an interleaved suite those started before i too): what its estimate
	 * leaves, never less than nothing. */
	for (int k = 0; k < p->n; k++)
		if (p->inst[k].actual_s < 0 && (k >= i || p->inst[k].started))
			left += fmax(0, cb_progress_estimate(p, k) - p->inst[k].spent_s - (k == i ? in_instance : 0));
	return left;
}

void cb_progress_fmt(double seconds, char *buf, size_t len)
{
	long s;

	if (!isfinite(seconds) || seconds < 0) {
		snprintf(buf, len, "-:--");
		return;
	}
	s = lround(seconds);
	snprintf(buf, len, "%ld:%02ld", s / 60, s % 60);
}

double cb_progress_elapsed(const struct cb_progress *p)
{
	return cb_now() - p->t0;
}

void cb_progress_clear(struct cb_progress *p)
{
	if (p->f && p->line_open) {
		fputs("\r\033[K", p->f);
		p->line_open = false;
	}
}

/* The human line of an instance's first visit (rep 0: no "rep" part) or a later one, after the
 * machine line the caller printed; open on a TTY until the next line clears it. */
static void cb_progress_line(struct cb_progress *p, int i, int rep, double now)
{
	const struct cb_opts *o = &p->cfg->runs[i].opts;
	char size[16], el[16], eta[16], reps[32] = "", line[256];

	cb_size_format(o->size, size, sizeof(size));
	cb_progress_fmt(now - p->t0, el, sizeof(el));
	cb_progress_fmt(cb_progress_eta(p, i, 0), eta, sizeof(eta));
	if (rep)
		snprintf(reps, sizeof(reps), " rep %d/%d", rep, o->repeat);
	snprintf(line, sizeof(line), "[%d/%d] %s/%s/%s%s ... elapsed %s, ETA %s", i + 1, p->n, p->inst[i].scenario,
		 o->backing, size, reps, el, eta);
	/* A run waiting for the machine lock names where this one is. */
	cb_lock_progress(line);
	cb_progress_clear(p);
	fprintf(p->f, "%s%s", line, p->live ? "" : "\n");
	p->line_open = p->live;
	fflush(p->f);
}

void cb_progress_start_at(struct cb_progress *p, int i, double now)
{
	const struct cb_opts *o = &p->cfg->runs[i].opts;

	p->t_start = now;
	p->inst[i].started = true;
	if (!p->f)
		return;
	if (p->machine)
		fprintf(p->f, "cowbench-progress start %d %d %s %s %zu %d\n", i + 1, p->n, p->inst[i].scenario,
			o->backing, o->size, o->repeat);
	cb_progress_line(p, i, 0, now);
}

void cb_progress_end_at(struct cb_progress *p, int i, int status, double now)
{
	p->inst[i].actual_s = p->inst[i].spent_s + fmax(0, now - p->t_start);
	p->inst[i].learn = status == CB_OK;
	if (!p->f)
		return;
	cb_progress_clear(p);
	if (p->machine)
		fprintf(p->f, "cowbench-progress end %d %d %s\n", i + 1, p->n, cb_status_name(status));
	fflush(p->f);
}

void cb_progress_visit_at(struct cb_progress *p, int i, int rep, double now)
{
	p->t_start = now;
	if (!p->f)
		return;
	if (p->machine)
		fprintf(p->f, "cowbench-progress rep %d %d %d %d\n", i + 1, p->n, rep, p->cfg->runs[i].opts.repeat);
	cb_progress_line(p, i, rep, now);
}

void cb_progress_pause_at(struct cb_progress *p, int i, double now)
{
	p->inst[i].spent_s += fmax(0, now - p->t_start);
}

void cb_progress_visit(struct cb_progress *p, int i, int rep)
{
	cb_progress_visit_at(p, i, rep, cb_now());
}

void cb_progress_pause(struct cb_progress *p, int i)
{
	cb_progress_pause_at(p, i, cb_now());
}

void cb_progress_start(struct cb_progress *p, int i)
{
	cb_progress_start_at(p, i, cb_now());
}

void cb_progress_end(struct cb_progress *p, int i, int status)
{
	cb_progress_end_at(p, i, status, cb_now());
}
