/* `cowbench compare --format csv|tsv`: one row per instance × metric × run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb.h"
#include "cmpcommon.h"
#include "render.h"

/* A cell a spreadsheet would evaluate ("=cmd", "+1+1", "-2+3", "@SUM(...)", or after a tab or
 * a carriage return) unless it is a plain number: quoting does not stop it. */
static bool cmp_sv_formula(const char *s)
{
	char *end;
	double v;

	if (!strchr("=+-@\t\r", s[0]) || !s[0])
		return false;
	v = strtod(s, &end);
	return !(end != s && !*end && isfinite(v));
}

static void cmp_sv_cell(FILE *f, char sep, const char *s, bool last)
{
	bool formula;

	s = s ?: "";
	/* OWASP's rule: a leading apostrophe makes the cell text (inside the quotes). */
	formula = cmp_sv_formula(s);
	if (sep == ',' && strpbrk(s, ",\"\n\r")) {
		fputs(formula ? "\"'" : "\"", f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		if (formula)
			fputc('\'', f);
		for (; *s; s++)
			fputc(sep == '\t' && (*s == '\t' || *s == '\n' || *s == '\r') ? ' ' : *s, f);
	}
	fputc(last ? '\n' : sep, f);
}

/* A JSON scalar as the text it was built from ("" for null). */
static const char *cmp_sv_val(json_object *v)
{
	if (!v)
		return "";
	if (json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v) ? "yes" : "no";
	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : json_object_to_json_string(v);
}

static const char *const cmp_sv_columns[] = {
	"instance", "scenario", "backing", "size_h", "metric", "kind", "unit", "better", "run", "label", "status",
	"reason", "disturbed", "n", "median", "mean", "stddev", "min", "max", "value", "ratio", "ci_lo", "ci_hi",
	"test", "p", "q", "p_welch", "p_mannwhitney", "mde", "verdict", "changed", "verdict_kind",
	"relative_ratio", "relative_verdict",
};


void cb_render_sv(const struct cb_cmp_out *o, json_object *cmp, char sep)
{
	json_object *runs = cb_jget(cmp, "runs"), *inst = cb_jget(cmp, "instances");
	const size_t ncol = CB_ARRAY_SIZE(cmp_sv_columns);
	size_t n = cb_jlen(runs);

	for (size_t c = 0; c < ncol; c++)
		cmp_sv_cell(o->f, sep, cmp_sv_columns[c], c + 1 == ncol);
	for (size_t i = 0; i < cb_jlen(inst); i++) {
		json_object *in = cb_jidx(inst, i), *metrics = cb_jget(in, "metrics");
		size_t nm = cb_jlen(metrics);

		/* An instance without figures anywhere still gets its rows, for the statuses. */
		for (size_t m = 0; m < (nm ? nm : 1); m++) {
			json_object *mo = cb_jidx(metrics, m);
			bool exact = mo && strcmp(cb_jstr(mo, "kind") ?: "", "exact") == 0;

			for (size_t r = 0; r < n; r++) {
				json_object *st = cb_jidx(cb_jget(mo, "runs"), r), *vs = cb_jidx(cb_jget(mo, "vs_baseline"), r),
					    *val = cb_jidx(cb_jget(mo, "values"), r), *status = cb_jidx(cb_jget(in, "status"), r);
				json_object *base = cb_jidx(cb_jget(mo, "values"), 0);
				const char *changed = "";
				char letter[2] = { (char)('A' + r), '\0' };

				/* Per run: does its exact value differ from the baseline's? */
				if (exact && r && base && val)
					changed = strcmp(cmp_sv_val(val), cmp_sv_val(base)) ? "yes" : "no";
				const char *cells[] = {
					cb_jstr(in, "key"),
					cb_jstr(in, "scenario"),
					cb_jstr(in, "backing"),
					cb_jstr(in, "size_h"),
					cb_jstr(mo, "name"),
					cb_jstr(mo, "kind"),
					cb_jstr(mo, "unit"),
					cb_jstr(mo, "better"),
					letter,
					cb_jstr(cb_jidx(runs, r), "label"),
					status ? json_object_get_string(status) : "missing",
					cmp_sv_val(cb_jidx(cb_jget(in, "reason"), r)),
					cmp_sv_val(cb_jidx(cb_jget(in, "disturbed"), r)),
					cmp_sv_val(cb_jget(st, "n")),
					cmp_sv_val(cb_jget(st, "median")),
					cmp_sv_val(cb_jget(st, "mean")),
					cmp_sv_val(cb_jget(st, "stddev")),
					cmp_sv_val(cb_jget(st, "min")),
					cmp_sv_val(cb_jget(st, "max")),
					cmp_sv_val(val),
					cmp_sv_val(cb_jget(vs, "ratio")),
					cmp_sv_val(cb_jget(vs, "ci_lo")),
					cmp_sv_val(cb_jget(vs, "ci_hi")),
					cmp_sv_val(cb_jget(vs, "test")),
					cmp_sv_val(cb_jget(vs, "p")),
					cmp_sv_val(cb_jget(vs, "q")),
					cmp_sv_val(cb_jget(vs, "p_welch")),
					cmp_sv_val(cb_jget(vs, "p_mannwhitney")),
					cmp_sv_val(cb_jget(vs, "mde")),
					cb_vs_skipped(vs) ? "emulated" : cb_jstr(vs, "verdict"),
					changed,
					cb_jstr(vs, "verdict_kind"),
					cmp_sv_val(cb_jpath(vs, "relative.ratio")),
					cb_jstr(cb_jget(vs, "relative"), "verdict"),
				};

				_Static_assert(CB_ARRAY_SIZE(cells) == CB_ARRAY_SIZE(cmp_sv_columns),
					       "one cell per column");
				for (size_t c = 0; c < ncol; c++)
					cmp_sv_cell(o->f, sep, cells[c], c + 1 == ncol);
			}
		}
	}
}

