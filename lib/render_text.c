/* `cowbench compare --format text`: the comparison model as a table that fits an email. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cmpcommon.h"
#include "render.h"

static const char *cmp_colour(const struct cb_cmp_out *o, const char *verdict)
{
	if (!o->colour || !verdict)
		return "";
	if (strcmp(verdict, "regression") == 0)
		return "\033[31m";
	if (strcmp(verdict, "improvement") == 0)
		return "\033[32m";
	if (strcmp(verdict, "changed") == 0)
		return "\033[33m";
	return "";
}

static const char *cmp_reset(const struct cb_cmp_out *o, const char *verdict)
{
	return *cmp_colour(o, verdict) ? "\033[0m" : "";
}


static void cmp_text_stat_row(const struct cb_cmp_out *o, int run, json_object *st, json_object *vs, const char *status,
			      const char *reason)
{
	char med[16], mean[16], sd[16], min[16], max[16], ratio[16], lo[16], hi[16], p[16], q[16], line[256];
	const char *verdict = cb_jstr(vs, "verdict");
	size_t off;

	if (!st) {
		snprintf(line, sizeof(line), "    %c   0  (%s%s%s)", 'A' + run, status ? status : "missing",
			 reason ? ": " : "", reason ? reason : "");
		if (strlen(line) > CB_CMP_WIDTH)
			strcpy(line + CB_CMP_WIDTH - 4, "…)");
		fprintf(o->f, "%s\n", line);
		return;
	}
	off = (size_t)snprintf(
		line, sizeof(line), "    %c %3.0f %7s %7s ± %-7s %7s … %-7s", 'A' + run, cb_jnum(st, "n"),
		cb_num_short(cb_jnum(st, "median"), med, sizeof(med)), cb_num_short(cb_jnum(st, "mean"), mean, sizeof(mean)),
		cb_num_short(cb_jnum(st, "stddev"), sd, sizeof(sd)),
		cb_num_short(cb_jnum(st, "min"), min, sizeof(min)), cb_num_short(cb_jnum(st, "max"), max, sizeof(max)));
	if (!vs || cb_vs_skipped(vs)) {
		while (off && line[off - 1] == ' ')
			line[--off] = '\0';
		fprintf(o->f, "%s%s\n", line, vs ? "  emulated: not compared" : "");
		return;
	}
	fprintf(o->f, "%s  %6s [%6s, %6s]  %6s  %6s  %c%s%c%s\n", line,
		cb_ratio_str(cb_jnum(vs, "ratio"), ratio, sizeof(ratio)),
		cb_ratio_str(cb_jnum(vs, "ci_lo"), lo, sizeof(lo)), cb_ratio_str(cb_jnum(vs, "ci_hi"), hi, sizeof(hi)),
		cb_p_str(cb_jnum(vs, "p"), p, sizeof(p)), cb_p_str(cb_jnum(vs, "q"), q, sizeof(q)), cb_test_code(vs),
		cmp_colour(o, verdict), cb_verdict_mark(verdict), cmp_reset(o, verdict));
}

static void cmp_text_exact(const struct cb_cmp_out *o, json_object *m, int n)
{
	json_object *values = cb_jget(m, "values"), *varied = cb_jget(m, "varied");
	char line[1024];
	bool any_varied = false;
	size_t off;

	for (size_t r = 0; r < cb_jlen(varied); r++)
		any_varied |= json_object_get_boolean(cb_jidx(varied, r));

	off = (size_t)snprintf(line, sizeof(line), "%s:", cb_jstr(m, "name"));
	for (int i = 0; i < n && off < sizeof(line); i++) {
		json_object *v = cb_jidx(values, (size_t)i);

		off += (size_t)snprintf(line + off, sizeof(line) - off, "%s %c %s%s", i ? "," : "", 'A' + i,
					v ? json_object_get_string(v) : "-",
					json_object_get_boolean(cb_jidx(varied, (size_t)i)) ? " (varied)" : "");
	}
	if (off < sizeof(line) && json_object_get_boolean(cb_jget(m, "changed")))
		snprintf(line + off, sizeof(line) - off, "  CHANGED");
	else if (off < sizeof(line) && !json_object_get_boolean(cb_jget(m, "compared")))
		snprintf(line + off, sizeof(line) - off, "  (not compared: %s)",
			 any_varied ? "the repetitions disagree" : "the scenario's outcomes are not deterministic");
	cb_text_wrap(o->f, 2, 6, line);
}

static void cmp_text_significant(const struct cb_cmp_out *o, json_object *inst, json_object *m, int run, json_object *vs)
{
	char ratio[16], lo[16], hi[16], p[16], q[16], line[512];
	const char *verdict = cb_jstr(vs, "verdict");

	char rel[128];

	if (cb_cmp_relative_text(vs, rel, sizeof(rel)))
		snprintf(line, sizeof(line), "%s %s: %c/A %s, %s, p %s, q %s (%s): %s relative to the shift",
			 cb_jstr(inst, "key"), cb_jstr(m, "name"), 'A' + run,
			 cb_ratio_str(cb_jnum(vs, "ratio"), ratio, sizeof(ratio)), rel,
			 cb_p_str(cb_jnum(vs, "p"), p, sizeof(p)), cb_p_str(cb_jnum(vs, "q"), q, sizeof(q)),
			 cb_test_name(vs), verdict);
	else
		snprintf(line, sizeof(line), "%s %s: %c/A %s [%s, %s], p %s, q %s (%s): %s", cb_jstr(inst, "key"),
			 cb_jstr(m, "name"), 'A' + run, cb_ratio_str(cb_jnum(vs, "ratio"), ratio, sizeof(ratio)),
			 cb_ratio_str(cb_jnum(vs, "ci_lo"), lo, sizeof(lo)),
			 cb_ratio_str(cb_jnum(vs, "ci_hi"), hi, sizeof(hi)), cb_p_str(cb_jnum(vs, "p"), p, sizeof(p)),
			 cb_p_str(cb_jnum(vs, "q"), q, sizeof(q)), cb_test_name(vs), verdict);
	if (cb_jstr(vs, "timing"))
		snprintf(line + strlen(line), sizeof(line) - strlen(line), " (%s times)", cb_jstr(vs, "timing"));
	fputs(cmp_colour(o, verdict), o->f);
	cb_text_wrap(o->f, 2, 6, line);
	fputs(cmp_reset(o, verdict), o->f);
}

/* Disturbed repetitions: left out of the statistics, counted. */
static void cmp_text_disturbed(const struct cb_cmp_out *o, json_object *in)
{
	json_object *d = cb_jget(in, "disturbed");
	char line[256];
	size_t off = 0;

	for (size_t r = 0; r < cb_jlen(d); r++) {
		int k = json_object_get_int(cb_jidx(d, r));

		if (k && off < sizeof(line))
			off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%c %d", off ? ", " : "", 'A' + (int)r, k);
	}
	if (off)
		fprintf(o->f, "  disturbed repetitions left out: %s\n", line);
}

/* What each comparison of the headline metric could have detected. */
static void cmp_text_mde(const struct cb_cmp_out *o, json_object *m)
{
	json_object *vs = cb_jget(m, "vs_baseline");
	char line[256];
	size_t off = 0;

	for (size_t r = 1; r < cb_jlen(vs); r++) {
		double mde = cb_jnum(cb_jidx(vs, r), "mde");

		if (!isnan(mde) && off < sizeof(line))
			off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%c ±%.1f%%", off ? ", " : "",
						'A' + (int)r, 100 * mde);
	}
	if (off)
		fprintf(o->f, "      detectable (80%% power, one discovery's threshold): %s\n", line);
}

static void cmp_text_not_ok(const struct cb_cmp_out *o, json_object *inst, int run, const char *status, const char *why)
{
	char line[1024];

	snprintf(line, sizeof(line), "%s  %c: %s%s%s", cb_jstr(inst, "key"), 'A' + run, status, why ? ": " : "",
		 why ? why : "");
	cb_text_wrap(o->f, 2, 6, line);
}

void cb_render_text(const struct cb_cmp_out *o, json_object *cmp)
{
	json_object *runs = cb_jget(cmp, "runs"), *warn = cb_jget(cmp, "warnings"), *diff = cb_jget(cmp, "env_diff"),
		    *inst = cb_jget(cmp, "instances");
	int n = (int)cb_jlen(runs);
	FILE *f = o->f;
	char skipped[128];
	size_t count;

	fprintf(f, "cowbench compare: %d result sets, baseline A%s%s\n", n, *cb_cmp_timings_note(cmp) ? "; " : "",
		cb_cmp_timings_note(cmp));
	/* The shift every timing shares comes first: a kernel that is slower everywhere must not
	 * read as a list of "not significant" instances. */
	for (int i = 1; i < n; i++) {
		char line[1200];

		if (cb_cmp_shift_line(cmp, (size_t)i, line, sizeof(line)))
			cb_text_wrap(f, 0, 2, line);
	}
	for (int i = 0; i < n; i++) {
		json_object *r = cb_jidx(runs, (size_t)i);
		char line[1024];

		const char *dir = cb_jstr(r, "dir") ?: "?", *id = cb_jstr(r, "run_id"), *slash = strrchr(dir, '/');

		/* A run directory is usually named for its run id: no need to say it twice. */
		if (!id || strcmp(slash ? slash + 1 : dir, id) == 0)
			snprintf(line, sizeof(line), "%c  %s  %s%s", 'A' + i, cb_jstr(r, "label"), dir,
				 i ? "" : "  (baseline)");
		else
			snprintf(line, sizeof(line), "%c  %s  %s (run %s)%s", 'A' + i, cb_jstr(r, "label"), dir, id,
				 i ? "" : "  (baseline)");
		cb_text_wrap(f, 2, 7, line);
		for (size_t m = 1; m < cb_jlen(cb_jget(r, "members")); m++) {
			json_object *mo = cb_jidx(cb_jget(r, "members"), m);

			snprintf(line, sizeof(line), "%s%s%s%s", cb_jstr(mo, "dir") ?: "?", cb_jstr(mo, "run_id") ? " (run " : "",
				 cb_jstr(mo, "run_id") ?: "", cb_jstr(mo, "run_id") ? ")" : "");
			cb_text_wrap(f, 5, 7, line);
		}
	}
	for (size_t i = 0; i < cb_jlen(cb_jget(cmp, "notes")); i++) {
		char line[600];

		snprintf(line, sizeof(line), "Note: %s.", json_object_get_string(cb_jidx(cb_jget(cmp, "notes"), i)));
		cb_text_wrap(f, 0, 2, line);
	}
	cb_noise_lines(o, cmp, false);
	if (cb_jlen(warn)) {
		fprintf(f, "\nWarnings:\n");
		for (size_t i = 0; i < cb_jlen(warn); i++)
			cb_text_wrap(f, 2, 4, json_object_get_string(cb_jidx(warn, i)));
	}
	fprintf(f, "\nEnvironment differences:\n");
	if (!cb_jlen(diff))
		fprintf(f, "  (none)\n");
	for (size_t d = 0; d < cb_jlen(diff); d++) {
		json_object *vals = cb_jget(cb_jidx(diff, d), "values");

		fprintf(f, "  %s\n", cb_jstr(cb_jidx(diff, d), "field"));
		for (int i = 0; i < n; i++) {
			json_object *v = cb_jidx(vals, (size_t)i);
			char line[4200];

			snprintf(line, sizeof(line), "%c  %s", 'A' + i, v ? json_object_get_string(v) : "(none)");
			cb_text_wrap(f, 4, 7, line);
		}
	}
	fprintf(f, "\nBehaviour changes (outcomes of deterministic scenarios, every repetition agreeing, compared\n"
		   "exactly):\n");
	cb_cmp_changes(o, cmp, false);
	{
		char line[300], q[16], e[16];

		cb_num_fmt(cb_jnum(cmp, "fdr"), q, sizeof(q));
		cb_num_fmt(100 * cb_jnum(cmp, "min_effect"), e, sizeof(e));
		snprintf(line, sizeof(line),
			 "Significant differences (Benjamini-Hochberg q < %s over all %.0f tests, the 95%% CI of the"
			 " ratio excludes 1, and a difference of at least %s%%):",
			 q, cb_jnum(cmp, "tests"), e);
		fputc('\n', f);
		cb_text_wrap(f, 0, 0, line);
	}
	count = cb_cmp_each_significant(cmp, cmp_text_significant, o);
	/* "(none)" would read as "no regression" where the timings were not compared. */
	if (!cb_cmp_skipped_runs(cmp, skipped, sizeof(skipped)) && !count)
		fprintf(f, "  (none)\n");
	if (skipped[0]) {
		char line[300];

		snprintf(line, sizeof(line),
			 "timings of %s not compared with A's: TCG emulation against hardware (--timings compares"
			 " them)",
			 skipped);
		cb_text_wrap(f, 2, 4, line);
	}
	fprintf(f, "\nInstances not ok or not in every result set:\n");
	count = cb_cmp_each_not_ok(cmp, cmp_text_not_ok, o);
	if (!count)
		fprintf(f, "  (none)\n");
	fprintf(f, "\nPer instance: n %s, median, mean ± standard deviation, min … max (ns; k = 10^3,\n"
		   "M = 10^6); ratio = geometric mean / that of A with its 95%% CI (U: the Hodges-Lehmann\n"
		   "shift); p of the test that decided (T Welch's t on the logs, P paired by round, W Welch's\n"
		   "t where a value is 0, U Mann-Whitney where the sizes let it reach one discovery's threshold;\n"
		   "lower case: relative to the common shift), q its Benjamini-Hochberg adjusted value. Lower\n"
		   "is better. Mark: + regression, - improvement, * outcome changed, ~ not significant,\n"
		   "? too few samples (n < 2), = not testable (identical samples). Detectable: the difference\n"
		   "this n and spread detect with 80%% power at the threshold one discovery needs.\n",
		strcmp(cb_jstr(cmp, "unit") ?: "", "run") ? "repetitions" : "runs (each a run's mean)");
	if (skipped[0])
		fprintf(f, "emulated: not compared (a run under TCG emulation against a hardware run).\n");
	fputc('\n', f);
	/* σ takes two bytes for one column. */
	fprintf(f, "    %c %3s %7s %7s ± %-8s %7s … %-7s  %6s %-15s  %6s  %6s  %s\n", ' ', "n", "median", "mean", "σ",
		"min", "max", "ratio", "[95% CI]", "p", "q", "mark");
	for (size_t i = 0; i < cb_jlen(inst); i++) {
		json_object *in = cb_jidx(inst, i), *metrics = cb_jget(in, "metrics");

		fprintf(f, "\n%s\n", cb_jstr(in, "key"));
		cmp_text_disturbed(o, in);
		if (!cb_jlen(metrics))
			fprintf(f, "  no figures in any result set\n");
		for (size_t m = 0; m < cb_jlen(metrics); m++) {
			json_object *mo = cb_jidx(metrics, m);

			if (strcmp(cb_jstr(mo, "kind") ?: "", "stat") != 0)
				continue;
			fprintf(f, "  %s (%s)\n", cb_jstr(mo, "name"),
				json_object_get_boolean(cb_jget(mo, "outcome")) ? "outcome, as a distribution" : cb_jstr(mo, "unit"));
			for (int r = 0; r < n; r++) {
				json_object *st = cb_jidx(cb_jget(in, "status"), (size_t)r),
					    *why = cb_jidx(cb_jget(in, "reason"), (size_t)r);

				cmp_text_stat_row(o, r, cb_jidx(cb_jget(mo, "runs"), (size_t)r),
						  cb_jidx(cb_jget(mo, "vs_baseline"), (size_t)r),
						  st ? json_object_get_string(st) : NULL,
						  why ? json_object_get_string(why) : NULL);
			}
			if (strcmp(cb_jstr(mo, "name") ?: "", "ns_per_page") == 0)
				cmp_text_mde(o, mo);
		}
		for (size_t m = 0; m < cb_jlen(metrics); m++)
			if (strcmp(cb_jstr(cb_jidx(metrics, m), "kind") ?: "", "exact") == 0)
				cmp_text_exact(o, cb_jidx(metrics, m), n);
	}
}

