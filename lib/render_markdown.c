/* `cowbench compare --format markdown`: the comparison model as GitHub-flavoured markdown. */
#include <stdio.h>
#include <string.h>

#include "cmpcommon.h"
#include "render.h"

static void cmp_md_text(FILE *f, const char *s)
{
	cb_md_text(f, s);
}

/* A cell the renderer formatted itself ("**regression**", "1.10 [1.09, 1.11]"). */
static void cmp_md_raw(FILE *f, const char *s)
{
	fprintf(f, " %s |", s);
}

static void cmp_md_cell(FILE *f, const char *s)
{
	fputs(" ", f);
	cmp_md_text(f, s);
	fputs(" |", f);
}

static void cmp_md_significant(const struct cb_cmp_out *o, json_object *inst, json_object *m, int run, json_object *vs)
{
	char ratio[16], lo[16], hi[16], pw[16], pm[16], cell[64];

	fprintf(o->f, "|");
	cmp_md_cell(o->f, cb_jstr(inst, "key"));
	cmp_md_cell(o->f, cb_jstr(m, "name"));
	snprintf(cell, sizeof(cell), "%c", 'A' + run);
	cmp_md_raw(o->f, cell);
	{
		char rel[128], both[200];

		snprintf(cell, sizeof(cell), "%s [%s, %s]", cb_ratio_str(cb_jnum(vs, "ratio"), ratio, sizeof(ratio)),
			 cb_ratio_str(cb_jnum(vs, "ci_lo"), lo, sizeof(lo)),
			 cb_ratio_str(cb_jnum(vs, "ci_hi"), hi, sizeof(hi)));
		if (cb_cmp_relative_text(vs, rel, sizeof(rel))) {
			snprintf(both, sizeof(both), "%s (%s)", ratio, rel);
			cmp_md_cell(o->f, both);
		} else {
			cmp_md_raw(o->f, cell);
		}
	}
	cmp_md_raw(o->f, cb_p_str(cb_jnum(vs, "p"), pw, sizeof(pw)));
	cmp_md_raw(o->f, cb_p_str(cb_jnum(vs, "q"), pm, sizeof(pm)));
	cmp_md_cell(o->f, cb_test_name(vs));
	snprintf(cell, sizeof(cell), "**%s**%s%s%s", cb_jstr(vs, "verdict"), cb_jstr(vs, "timing") ? " (" : "",
		 cb_jstr(vs, "timing") ?: "", cb_jstr(vs, "timing") ? " times)" : "");
	cmp_md_raw(o->f, cell);
	fputc('\n', o->f);
}

static void cmp_md_not_ok(const struct cb_cmp_out *o, json_object *inst, int run, const char *status, const char *why)
{
	fprintf(o->f, "|");
	cmp_md_cell(o->f, cb_jstr(inst, "key"));
	fprintf(o->f, " %c |", 'A' + run);
	cmp_md_cell(o->f, status);
	cmp_md_cell(o->f, why ? why : "");
	fputc('\n', o->f);
}

void cb_render_markdown(const struct cb_cmp_out *o, json_object *cmp)
{
	json_object *runs = cb_jget(cmp, "runs"), *warn = cb_jget(cmp, "warnings"), *diff = cb_jget(cmp, "env_diff"),
		    *inst = cb_jget(cmp, "instances");
	int n = (int)cb_jlen(runs);
	FILE *f = o->f;
	char skipped[128], fdr[16], eff[16];
	size_t count;

	cb_num_fmt(cb_jnum(cmp, "fdr"), fdr, sizeof(fdr));
	cb_num_fmt(100 * cb_jnum(cmp, "min_effect"), eff, sizeof(eff));
	fprintf(f, "# cowbench compare\n\n");
	for (int i = 1; i < n; i++) {
		char line[1200];

		if (!cb_cmp_shift_line(cmp, (size_t)i, line, sizeof(line)))
			continue;
		fputs("**Common shift.** ", f);
		cmp_md_text(f, line);
		fputs(".\n\n", f);
	}
	if (*cb_cmp_timings_note(cmp))
		fprintf(f, "Timings: %s.\n\n", cb_cmp_timings_note(cmp));
	fprintf(f, "| run | kernel | result dir | run id |\n|---|---|---|---|\n");
	for (int i = 0; i < n; i++) {
		json_object *r = cb_jidx(runs, (size_t)i);

		fprintf(f, "| %c%s |", 'A' + i, i ? "" : " (baseline)");
		cmp_md_cell(f, cb_jstr(r, "label"));
		cmp_md_cell(f, cb_jstr(r, "dir"));
		cmp_md_cell(f, cb_jstr(r, "run_id") ?: "?");
		fputc('\n', f);
		for (size_t m = 1; m < cb_jlen(cb_jget(r, "members")); m++) {
			json_object *mo = cb_jidx(cb_jget(r, "members"), m);

			fprintf(f, "| | |");
			cmp_md_cell(f, cb_jstr(mo, "dir"));
			cmp_md_cell(f, cb_jstr(mo, "run_id") ?: "?");
			fputc('\n', f);
		}
	}
	for (size_t i = 0; i < cb_jlen(cb_jget(cmp, "notes")); i++)
		fprintf(f, "\nNote: %s.\n", json_object_get_string(cb_jidx(cb_jget(cmp, "notes"), i)));
	cb_noise_lines(o, cmp, true);
	if (cb_jlen(warn)) {
		fprintf(f, "\n## Warnings\n\n");
		for (size_t i = 0; i < cb_jlen(warn); i++)
		{
			fputs("- ", f);
			cmp_md_text(f, json_object_get_string(cb_jidx(warn, i)));
			fputc('\n', f);
		}
	}
	fprintf(f, "\n## Environment differences\n\n");
	if (!cb_jlen(diff))
		fprintf(f, "(none)\n");
	else {
		fprintf(f, "| field |");
		for (int i = 0; i < n; i++)
			fprintf(f, " %c |", 'A' + i);
		fprintf(f, "\n|---|");
		for (int i = 0; i < n; i++)
			fprintf(f, "---|");
		fputc('\n', f);
	}
	for (size_t d = 0; d < cb_jlen(diff); d++) {
		json_object *vals = cb_jget(cb_jidx(diff, d), "values");

		fprintf(f, "|");
		cmp_md_cell(f, cb_jstr(cb_jidx(diff, d), "field"));
		for (int i = 0; i < n; i++) {
			json_object *v = cb_jidx(vals, (size_t)i);

			cmp_md_cell(f, v ? json_object_get_string(v) : "(none)");
		}
		fputc('\n', f);
	}
	fprintf(f, "\n## Behaviour changes\n\nOutcomes of deterministic scenarios that every repetition agreed on, compared"
		   " exactly.\n\n");
	cb_cmp_changes(o, cmp, true);
	fprintf(f,
		"\n## Significant differences\n\nBenjamini-Hochberg q < %s over all %.0f tests, the 95 %% CI of the ratio"
		" (mean / mean of A, or the Hodges-Lehmann shift where Mann-Whitney decided) excludes 1, and a"
		" difference of at least %s %%.\n\n| instance | metric | run | ratio [95 %% CI] | p | q | test |"
		" verdict |\n|---|---|---|---|---|---|---|---|\n", fdr, cb_jnum(cmp, "tests"), eff);
	count = cb_cmp_each_significant(cmp, cmp_md_significant, o);
	if (!count)
		fprintf(f, "| (none) | | | | | | | |\n");
	if (cb_cmp_skipped_runs(cmp, skipped, sizeof(skipped)))
		fprintf(f, "\nTimings of %s not compared with A's: TCG emulation against hardware (`--timings`"
			   " compares them).\n", skipped);
	fprintf(f, "\n## Instances not ok or not in every result set\n\n| instance | run | status | reason |\n"
		   "|---|---|---|---|\n");
	count = cb_cmp_each_not_ok(cmp, cmp_md_not_ok, o);
	if (!count)
		fprintf(f, "| (none) | | | |\n");
	fprintf(f, "\n## Per instance\n\nTimes in ns, lower is better; ratio = mean / mean of A%s.\n",
		skipped[0] ? "; emulated: not compared (a run under TCG emulation against a hardware run)" : "");
	for (size_t i = 0; i < cb_jlen(inst); i++) {
		json_object *in = cb_jidx(inst, i), *metrics = cb_jget(in, "metrics");
		bool header = false;

		fputs("\n### ", f);
		cmp_md_text(f, cb_jstr(in, "key"));
		fputs("\n\n", f);
		for (size_t m = 0; m < cb_jlen(metrics); m++) {
			json_object *mo = cb_jidx(metrics, m);

			if (strcmp(cb_jstr(mo, "kind") ?: "", "stat") != 0)
				continue;
			if (!header)
				fprintf(f, "| metric | run | n | median | mean ± σ | min … max | ratio [95 %% CI] |"
					   " p | q | test | verdict |\n"
					   "|---|---|---|---|---|---|---|---|---|---|---|\n");
			header = true;
			for (int r = 0; r < n; r++) {
				json_object *st = cb_jidx(cb_jget(mo, "runs"), (size_t)r),
					    *vs = cb_jidx(cb_jget(mo, "vs_baseline"), (size_t)r);
				char a[16], b[16], c[16], cell[96];

				fprintf(f, "|");
				cmp_md_cell(f, r ? "" : cb_jstr(mo, "name"));
				fprintf(f, " %c |", 'A' + r);
				if (!st) {
					json_object *s = cb_jidx(cb_jget(in, "status"), (size_t)r);

					fprintf(f, " 0 | %s | | | | | | | |\n",
						s ? json_object_get_string(s) : "missing");
					continue;
				}
				fprintf(f, " %.0f | %s |", cb_jnum(st, "n"), cb_num_short(cb_jnum(st, "median"), a, sizeof(a)));
				fprintf(f, " %s ± %s |", cb_num_short(cb_jnum(st, "mean"), a, sizeof(a)),
					cb_num_short(cb_jnum(st, "stddev"), b, sizeof(b)));
				fprintf(f, " %s … %s |", cb_num_short(cb_jnum(st, "min"), a, sizeof(a)),
					cb_num_short(cb_jnum(st, "max"), b, sizeof(b)));
				if (!vs || cb_vs_skipped(vs)) {
					fprintf(f, vs ? " emulated | | | | not compared |\n" : " | | | | |\n");
					continue;
				}
				snprintf(cell, sizeof(cell), "%s [%s, %s]",
					 cb_ratio_str(cb_jnum(vs, "ratio"), a, sizeof(a)),
					 cb_ratio_str(cb_jnum(vs, "ci_lo"), b, sizeof(b)),
					 cb_ratio_str(cb_jnum(vs, "ci_hi"), c, sizeof(c)));
				cmp_md_raw(f, cell);
				cmp_md_raw(f, cb_p_str(cb_jnum(vs, "p"), a, sizeof(a)));
				cmp_md_raw(f, cb_p_str(cb_jnum(vs, "q"), a, sizeof(a)));
				cmp_md_cell(f, cb_test_name(vs));
				cmp_md_cell(f, cb_jstr(vs, "verdict"));
				fputc('\n', f);
			}
		}
		header = false;
		for (size_t m = 0; m < cb_jlen(metrics); m++) {
			json_object *mo = cb_jidx(metrics, m), *vals = cb_jget(mo, "values");

			if (strcmp(cb_jstr(mo, "kind") ?: "", "exact") != 0)
				continue;
			if (!header) {
				fprintf(f, "\n| outcome |");
				for (int r = 0; r < n; r++)
					fprintf(f, " %c |", 'A' + r);
				fprintf(f, " changed |\n|---|");
				for (int r = 0; r <= n; r++)
					fprintf(f, "---|");
				fputc('\n', f);
			}
			header = true;
			fprintf(f, "|");
			cmp_md_cell(f, cb_jstr(mo, "name"));
			for (int r = 0; r < n; r++) {
				json_object *v = cb_jidx(vals, (size_t)r);

				cmp_md_cell(f, v ? json_object_get_string(v) : "-");
			}
			cmp_md_raw(f, json_object_get_boolean(cb_jget(mo, "changed")) ? "**yes**" : "no");
			fputc('\n', f);
		}
		if (!cb_jlen(metrics))
			fprintf(f, "No figures in any result set.\n");
	}
}

