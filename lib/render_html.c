/* The self-contained HTML report: the comparison model's tables, the plots as inline SVG and
 * the environment of every run. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cb.h"
#include "cmpcommon.h"
#include "forest.h"
#include "render.h"
#include "report.h"

static void cb_html_esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static void cb_fmt_num(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "–");
	else if (fabs(v) >= 1e15 || (v != 0 && fabs(v) < 1e-3))
		snprintf(buf, len, "%.3g", v);
	else if (fabs(v) >= 100 || v == floor(v))
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.3g", v);
}

/* A JSON value from the data as text: strings as they are, numbers formatted, the rest as JSON. */
static void cb_html_value(FILE *f, json_object *v)
{
	char num[64];

	if (!v) {
		fputs("<span class=\"none\">–</span>", f);
	} else if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)) {
		cb_fmt_num(num, sizeof(num), json_object_get_double(v));
		fputs(num, f);
	} else if (json_object_is_type(v, json_type_string)) {
		cb_html_esc(f, json_object_get_string(v));
	} else {
		cb_html_esc(f, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
								       JSON_C_TO_STRING_NOSLASHESCAPE));
	}
}

static void cb_html_num(FILE *f, json_object *o, const char *key)
{
	char num[64];

	cb_fmt_num(num, sizeof(num), cb_jnum(o, key));
	fputs(num, f);
}

static void cb_html_anchor(FILE *f, const char *key)
{
	char clean[CB_KEY_MAX];

	cb_sanitize(clean, sizeof(clean), key ?: "");
	fprintf(f, "i-%s", clean);
}

static const char cb_css[] =
	"body{font-family:sans-serif;margin:1.5em;color:#222;max-width:1400px}"
	"h1{font-size:1.5em}h2{font-size:1.25em;border-bottom:1px solid #ccc;margin-top:2em}h3{font-size:1.05em}"
	"table{border-collapse:collapse;margin:.5em 0 1em}th,td{border:1px solid #ccc;padding:.2em .5em;"
	"text-align:right;vertical-align:top}th{background:#f0f0f0}td.l,th.l{text-align:left}"
	".sub{color:#666;font-size:.85em;display:block}.none{color:#999}"
	".regression{background:#f8d0d0;font-weight:bold}.improvement{background:#d4f0d4;font-weight:bold}"
	".notsig{color:#666}.few{color:#999;font-style:italic}"
	"tr.changed td,td.changed{background:#fff3c0;font-weight:bold}"
	".badge{background:#e0a000;color:#fff;padding:0 .4em;border-radius:3px;font-size:.8em;margin-left:.5em}"
	".behaviour li{background:#fff3c0;margin:.2em 0}"
	".warn{background:#ffe8c0;padding:.4em;border-left:4px solid #e0a000}.skip{color:#8a5a00}"
	"figure{margin:1em 0}figure svg{max-width:100%;height:auto;border:1px solid #eee}"
	"pre{background:#f7f7f7;padding:.5em;overflow-x:auto;font-size:.85em}";

static void cb_html_runs(FILE *f, json_object *cmp)
{
	json_object *runs = cb_jget(cmp, "runs");

	fputs("<table class=\"runs\"><tr><th class=\"l\">run</th><th class=\"l\">kernel</th>"
	      "<th class=\"l\">run id</th><th class=\"l\">result directory</th></tr>\n",
	      f);
	for (size_t r = 0; r < cb_jlen(runs); r++) {
		json_object *run = cb_jidx(runs, r);

		fputs("<tr><td class=\"l\">", f);
		cb_html_esc(f, cb_jstr(run, "label"));
		fputs(r ? "" : " <b>(baseline)</b>", f);
		fputs("</td><td class=\"l\">", f);
		cb_html_esc(f, cb_jstr(run, "kernel_release"));
		fputs("</td><td class=\"l\">", f);
		cb_html_esc(f, cb_jstr(run, "run_id"));
		fputs("</td><td class=\"l\">", f);
		cb_html_esc(f, cb_jstr(run, "dir"));
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

/* The run labels as table header cells. */
static void cb_html_run_heads(FILE *f, json_object *runs, size_t from)
{
	for (size_t r = from; r < cb_jlen(runs); r++) {
		fputs("<th>", f);
		cb_html_esc(f, cb_jstr(cb_jidx(runs, r), "label"));
		fputs("</th>", f);
	}
}

static void cb_html_env_diff(FILE *f, json_object *cmp)
{
	json_object *diff = cb_jget(cmp, "env_diff"), *runs = cb_jget(cmp, "runs");

	fputs("<h2 id=\"envdiff\">Environment differences</h2>\n", f);
	if (!cb_jlen(diff)) {
		fputs("<p>None of the recorded settings differ.</p>\n", f);
		return;
	}
	fputs("<table class=\"envdiff\"><tr><th class=\"l\">field</th>", f);
	cb_html_run_heads(f, runs, 0);
	fputs("</tr>\n", f);
	for (size_t i = 0; i < cb_jlen(diff); i++) {
		json_object *d = cb_jidx(diff, i), *vals = cb_jget(d, "values");

		fputs("<tr><td class=\"l\">", f);
		cb_html_esc(f, cb_jstr(d, "field"));
		fputs("</td>", f);
		for (size_t r = 0; r < cb_jlen(vals); r++) {
			fputs("<td class=\"l\">", f);
			cb_html_value(f, cb_jidx(vals, r));
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void cb_html_behaviour(FILE *f, json_object *insts)
{
	size_t count = 0;

	fputs("<h2 id=\"behaviour\">Behaviour changes</h2>\n", f);
	for (size_t i = 0; i < cb_jlen(insts); i++) {
		json_object *in = cb_jidx(insts, i), *bc = cb_jget(in, "behaviour_changes");

		for (size_t k = 0; k < cb_jlen(bc); k++) {
			fputs(count++ ? "" : "<ul class=\"behaviour\">\n", f);
			fputs("<li><a href=\"#", f);
			cb_html_anchor(f, cb_jstr(in, "key"));
			fputs("\">", f);
			cb_html_esc(f, json_object_get_string(cb_jidx(bc, k)));
			fputs("</a></li>\n", f);
		}
	}
	fputs(count ? "</ul>\n" : "<p>No deterministic outcome (copy / reuse / nofault, faults, folio sizes, TLB"
				  " flushes) changed.</p>\n",
	      f);
}

static const char *cb_verdict_class(const char *v)
{
	if (!v)
		return "few";
	if (!strcmp(v, "regression"))
		return "regression";
	if (!strcmp(v, "improvement"))
		return "improvement";
	if (!strcmp(v, "changed"))
		return "regression";
	if (!strcmp(v, "not significant"))
		return "notsig";
	return "few";
}

/* A timing of a run under TCG emulation against a hardware one: compare did not compare it. */
static bool cb_html_not_compared(json_object *vs)
{
	json_object *c = cb_jget(vs, "compared");

	return c && !json_object_get_boolean(c);
}

/* The headline metric of an instance: ns_per_page, else its first compared statistic. */
static json_object *cb_html_headline(json_object *in)
{
	json_object *metrics = cb_jget(in, "metrics"), *first = NULL;

	for (size_t i = 0; i < cb_jlen(metrics); i++) {
		json_object *m = cb_jidx(metrics, i);

		if (strcmp(cb_jstr(m, "kind") ?: "", "stat"))
			continue;
		if (!strcmp(cb_jstr(m, "name") ?: "", "ns_per_page"))
			return m;
		first = first ?: m;
	}
	return first;
}

/* One row per instance: its headline ratio and verdict per run, and whether an outcome changed. */
static void cb_html_summary(FILE *f, json_object *insts, json_object *runs)
{
	fputs("<h2 id=\"summary\">Summary</h2>\n<table class=\"summary\"><tr><th class=\"l\">instance</th>"
	      "<th class=\"l\">metric</th>",
	      f);
	for (size_t r = 1; r < cb_jlen(runs); r++) {
		fputs("<th>", f);
		cb_html_esc(f, cb_jstr(cb_jidx(runs, r), "label"));
		fputs(" / baseline [95 % CI]</th><th class=\"l\">verdict</th>", f);
	}
	fputs("<th class=\"l\">outcomes</th></tr>\n", f);
	for (size_t i = 0; i < cb_jlen(insts); i++) {
		json_object *in = cb_jidx(insts, i), *m = cb_html_headline(in), *vs = cb_jget(m, "vs_baseline"),
			    *status = cb_jget(in, "status");
		size_t changes = cb_jlen(cb_jget(in, "behaviour_changes"));

		fputs("<tr><td class=\"l\"><a href=\"#", f);
		cb_html_anchor(f, cb_jstr(in, "key"));
		fputs("\">", f);
		cb_html_esc(f, cb_jstr(in, "key"));
		fputs("</a></td><td class=\"l\">", f);
		cb_html_esc(f, cb_jstr(m, "name") ?: "–");
		fputs("</td>", f);
		for (size_t r = 1; r < cb_jlen(runs); r++) {
			json_object *v = cb_jidx(vs, r), *st = cb_jidx(status, r), *st0 = cb_jidx(status, 0);
			const char *verdict = cb_jstr(v, "verdict"), *s0 = st0 ? json_object_get_string(st0) : "absent",
				   *s1 = st ? json_object_get_string(st) : "absent";

			if (!v) {
				/* No ratio: say which side did not run or was not ok. */
				fputs("<td>–</td><td class=\"l skip\">", f);
				cb_html_esc(f, strcmp(s0, "ok") ? s0 : strcmp(s1, "ok") ? s1 : "–");
				fputs(strcmp(s0, "ok") ? " in baseline</td>" : "</td>", f);
				continue;
			}
			if (cb_html_not_compared(v)) {
				fputs("<td>emulated</td><td class=\"l few\">not compared</td>", f);
				continue;
			}
			fprintf(f, "<td>%.3f", cb_jnum(v, "ratio"));
			if (!isnan(cb_jnum(v, "ci_lo")) && !isnan(cb_jnum(v, "ci_hi")))
				fprintf(f, " [%.3f, %.3f]", cb_jnum(v, "ci_lo"), cb_jnum(v, "ci_hi"));
			fprintf(f, "</td><td class=\"l %s\">", cb_verdict_class(verdict));
			cb_html_esc(f, verdict ?: "–");
			if (verdict && strcmp(verdict, "not significant") && !strcmp(cb_jstr(v, "verdict_kind") ?: "", "relative"))
				fputs(" (relative to the shift)", f);
			fputs("</td>", f);
		}
		if (changes)
			fprintf(f, "<td class=\"l changed\">%zu behaviour change%s</td></tr>\n", changes,
				changes == 1 ? "" : "s");
		else
			fputs("<td class=\"l\">same</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void cb_html_stat_row(FILE *f, json_object *m, size_t nruns)
{
	json_object *runs = cb_jget(m, "runs"), *vs = cb_jget(m, "vs_baseline");
	char num[64];

	for (size_t r = 0; r < nruns; r++) {
		json_object *s = cb_jidx(runs, r);

		if (!s) {
			fputs("<td><span class=\"none\">–</span></td>", f);
			continue;
		}
		fputs("<td>", f);
		cb_html_num(f, s, "median");
		fputs("<span class=\"sub\">", f);
		cb_html_num(f, s, "mean");
		fputs(" ± ", f);
		cb_html_num(f, s, "stddev");
		fputs(", ", f);
		cb_html_num(f, s, "min");
		fputs(" … ", f);
		cb_html_num(f, s, "max");
		fputs(", n = ", f);
		cb_html_num(f, s, "n");
		fputs("</span></td>", f);
	}
	for (size_t r = 1; r < nruns; r++) {
		json_object *v = cb_jidx(vs, r);
		const char *verdict = cb_jstr(v, "verdict");

		if (!v) {
			fputs("<td><span class=\"none\">–</span></td><td></td><td></td><td></td><td></td>", f);
			continue;
		}
		if (cb_html_not_compared(v)) {
			fputs("<td>emulated</td><td></td><td></td><td></td><td class=\"l few\">not compared</td>", f);
			continue;
		}
		snprintf(num, sizeof(num), "%.3f", cb_jnum(v, "ratio"));
		fprintf(f, "<td>%s", isnan(cb_jnum(v, "ratio")) ? "–" : num);
		if (!isnan(cb_jnum(v, "ci_lo")) && !isnan(cb_jnum(v, "ci_hi")))
			fprintf(f, " <span class=\"sub\">[%.3f, %.3f]</span>", cb_jnum(v, "ci_lo"),
				cb_jnum(v, "ci_hi"));
		fputs("</td><td>", f);
		cb_html_num(f, v, "p");
		fputs("</td><td>", f);
		cb_html_num(f, v, "q");
		fputs("</td><td class=\"l\">", f);
		cb_html_esc(f, cb_test_name(v));
		if (!isnan(cb_jnum(v, "mde")))
			fprintf(f, "<span class=\"sub\">detects ±%.1f %%</span>", 100 * cb_jnum(v, "mde"));
		fprintf(f, "</td><td class=\"l %s\">", cb_verdict_class(verdict));
		cb_html_esc(f, verdict ?: "–");
		if (verdict && strcmp(verdict, "not significant") && !strcmp(cb_jstr(v, "verdict_kind") ?: "", "relative"))
			fputs(" (relative to the shift)", f);
		fputs("</td>", f);
	}
}

static void cb_html_metric_head(FILE *f, json_object *runs, bool exact)
{
	fputs(exact ? "<table class=\"exact\"><tr><th class=\"l\">outcome (compared exactly)</th>" :
		      "<table class=\"stat\"><tr><th class=\"l\">metric</th>",
	      f);
	cb_html_run_heads(f, runs, 0);
	for (size_t r = 1; !exact && r < cb_jlen(runs); r++) {
		fputs("<th>ratio ", f);
		cb_html_esc(f, cb_jstr(cb_jidx(runs, r), "label"));
		fputs(" / baseline [95 % CI]</th><th>p</th><th>q (Benjamini-Hochberg)</th><th class=\"l\">test</th>"
		      "<th class=\"l\">verdict</th>",
		      f);
	}
	fputs("</tr>\n", f);
}

static void cb_html_instance(FILE *f, json_object *in, json_object *runs)
{
	json_object *metrics = cb_jget(in, "metrics"), *status = cb_jget(in, "status"),
		    *reason = cb_jget(in, "reason");
	size_t nruns = cb_jlen(runs);
	bool not_ok = false;
	int table = 0; /* open table: 1 stat, 2 exact */

	fputs("<h3 id=\"", f);
	cb_html_anchor(f, cb_jstr(in, "key"));
	fputs("\">", f);
	cb_html_esc(f, cb_jstr(in, "key"));
	if (cb_jlen(cb_jget(in, "behaviour_changes")))
		fputs("<span class=\"badge\">behaviour change</span>", f);
	fputs("</h3>\n", f);
	for (size_t r = 0; r < cb_jlen(status); r++)
		not_ok |= !cb_jidx(status, r) || strcmp(json_object_get_string(cb_jidx(status, r)), "ok");
	if (not_ok) {
		fputs("<table class=\"status\"><tr><th class=\"l\">status</th>", f);
		cb_html_run_heads(f, runs, 0);
		fputs("</tr><tr><td class=\"l\">status, reason</td>", f);
		for (size_t r = 0; r < nruns; r++) {
			json_object *st = cb_jidx(status, r);

			fputs("<td class=\"l skip\">", f);
			cb_html_esc(f, st ? json_object_get_string(st) : "absent");
			if (cb_jidx(reason, r)) {
				fputs(": ", f);
				cb_html_esc(f, json_object_get_string(cb_jidx(reason, r)));
			}
			fputs("</td>", f);
		}
		fputs("</tr></table>\n", f);
	}
	for (size_t i = 0; i < cb_jlen(metrics); i++) {
		json_object *m = cb_jidx(metrics, i);
		const char *kind = cb_jstr(m, "kind") ?: "", *unit = cb_jstr(m, "unit");
		int exact = !strcmp(kind, "exact") ? 2 : 1;

		if (exact != table) {
			fputs(table ? "</table>\n" : "", f);
			cb_html_metric_head(f, runs, exact == 2);
			table = exact;
		}
		fprintf(f, "<tr%s><td class=\"l\">",
			exact == 2 && json_object_get_boolean(cb_jget(m, "changed")) ? " class=\"changed\"" : "");
		cb_html_esc(f, cb_jstr(m, "name"));
		if (unit && *unit) {
			fputs(" (", f);
			cb_html_esc(f, unit);
			fputs(")", f);
		}
		if (exact == 1 && cb_jstr(m, "better")) {
			fputs("<span class=\"sub\">", f);
			cb_html_esc(f, cb_jstr(m, "better"));
			fputs(" is better</span>", f);
		}
		fputs("</td>", f);
		if (exact == 2) {
			for (size_t r = 0; r < nruns; r++) {
				fputs("<td>", f);
				cb_html_value(f, cb_jidx(cb_jget(m, "values"), r));
				fputs("</td>", f);
			}
		} else {
			cb_html_stat_row(f, m, nruns);
		}
		fputs("</tr>\n", f);
	}
	if (table)
		fputs("</table>\n", f);
}

static int cb_file_read(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "re");
	long size;
	int ret = 0;

	*buf = NULL;
	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		ret = -EIO;
		goto close_file;
	}
	*buf = malloc((size_t)size + 1);
	if (!*buf) {
		ret = -ENOMEM;
		goto close_file;
	}
	*len = fread(*buf, 1, (size_t)size, f);
	(*buf)[*len] = '\0';
	if (*len != (size_t)size) {
		free(*buf);
		*buf = NULL;
		ret = -EIO;
	}
close_file:
	fclose(f);
	return ret;
}

/* Inlines an SVG without its XML prolog. Every plot defines the same ids (gpPt0, gnuplot_canvas…):
 * they are prefixed per plot so that one page holding many stays valid. */
static int cb_html_svg(FILE *f, const char *path, int idx)
{
	static const char *const refs[] = { "id='", "id=\"", "href='#", "href=\"#", "url(#" };
	char *svg, *p;
	size_t len;
	int ret = cb_file_read(path, &svg, &len);

	if (ret)
		return ret;
	p = strstr(svg, "<svg");
	if (!p) {
		free(svg);
		return -EINVAL;
	}
	while (*p) {
		size_t k;

		for (k = 0; k < CB_ARRAY_SIZE(refs); k++)
			if (!strncmp(p, refs[k], strlen(refs[k])))
				break;
		if (k < CB_ARRAY_SIZE(refs)) {
			fprintf(f, "%sp%d-", refs[k], idx);
			p += strlen(refs[k]);
		} else {
			fputc(*p++, f);
		}
	}
	fputc('\n', f);
	free(svg);
	return 0;
}

static const char *cb_kind_heading(const char *kind)
{
	if (!strcmp(kind, "bars"))
		return "Time per page per scenario";
	if (!strcmp(kind, "folio"))
		return "Time per page against folio size";
	if (!strcmp(kind, "latency"))
		return "Latency distributions";
	return "COW outcomes";
}

static int cb_html_plots(FILE *f, const struct cb_plot_list *pl, const char *dir, const char *note)
{
	char path[PATH_MAX];
	int ret = 0;

	fputs("<h2 id=\"plots\">Plots</h2>\n", f);
	if (note) {
		fputs("<p class=\"warn\">No plots: ", f);
		cb_html_esc(f, note);
		fputs("</p>\n", f);
		return 0;
	}
	for (size_t p = 0; p < pl->n && !ret; p++) {
		const struct cb_plot *pt = &pl->v[p], *prev = p ? &pl->v[p - 1] : NULL, *next = pt + 1;
		/* One latency plot per instance: folded per scenario, or they bury everything else. */
		bool fold = !strcmp(pt->kind, "latency");
		size_t more = 0;

		if (!prev || strcmp(pt->kind, prev->kind))
			fprintf(f, "<h3>%s</h3>\n", cb_kind_heading(pt->kind));
		if (fold && (!prev || strcmp(prev->kind, "latency") || strcmp(prev->scenario, pt->scenario))) {
			while (p + more < pl->n && !strcmp(pl->v[p + more].kind, "latency") &&
			       !strcmp(pl->v[p + more].scenario, pt->scenario))
				more++;
			fputs("<details class=\"latency\"><summary>", f);
			cb_html_esc(f, pt->scenario);
			fprintf(f, ": %zu latency plot%s, one per backing</summary>\n", more, more == 1 ? "" : "s");
		}
		fprintf(f, "<figure class=\"plot %s\">\n", pt->kind);
		snprintf(path, sizeof(path), "%s/%s.svg", dir, pt->base);
		ret = cb_html_svg(f, path, (int)p);
		fputs("<figcaption>", f);
		cb_html_esc(f, pt->title);
		/* The files sit next to the report: links, not resources the page loads. */
		fputs(" — <a href=\"", f);
		cb_html_esc(f, pt->base);
		fputs(".png\">PNG</a>, <a href=\"", f);
		cb_html_esc(f, pt->base);
		fputs(".tsv\">data</a></figcaption>\n</figure>\n", f);
		if (fold && (p + 1 == pl->n || strcmp(next->kind, "latency") || strcmp(next->scenario, pt->scenario)))
			fputs("</details>\n", f);
	}
	return ret;
}

static void cb_html_envs(FILE *f, const struct cb_resultset *sets, int n)
{
	fputs("<h2 id=\"environment\">Environment of every run</h2>\n", f);
	for (int s = 0; s < n; s++) {
		fputs("<details><summary>", f);
		cb_html_esc(f, sets[s].label);
		fputs(" — ", f);
		cb_html_esc(f, sets[s].dir);
		fputs("/env.json</summary>\n<pre>", f);
		cb_html_esc(f, json_object_to_json_string_ext(sets[s].env, JSON_C_TO_STRING_PRETTY |
									    JSON_C_TO_STRING_SPACED |
									    JSON_C_TO_STRING_NOSLASHESCAPE));
		fputs("</pre></details>\n", f);
	}
}

/* The forest plots, right after the common shift: the whole comparison at a glance. */
static int cb_html_forest(FILE *f, const struct cb_plot_list *fp, const char *dir, const char *note)
{
	char path[PATH_MAX];
	int ret = 0;

	if (note && note[0]) {
		fputs("<p class=\"warn\">No forest plot: ", f);
		cb_html_esc(f, note);
		fputs("</p>\n", f);
		return 0;
	}
	for (size_t p = 0; p < fp->n && !ret; p++) {
		fputs("<figure class=\"plot forest\" id=\"forest\">\n", f);
		snprintf(path, sizeof(path), "%s/%s.svg", dir, fp->v[p].base);
		ret = cb_html_svg(f, path, 1000 + (int)p);
		fputs("<figcaption>", f);
		cb_html_esc(f, fp->v[p].title);
		fputs(" — <a href=\"", f);
		cb_html_esc(f, fp->v[p].base);
		fputs(".png\">PNG</a>, <a href=\"", f);
		cb_html_esc(f, fp->v[p].base);
		fputs(".tsv\">data</a></figcaption>\n</figure>\n", f);
	}
	return ret;
}

static int cb_html_write(FILE *f, json_object *cmp, const struct cb_resultset *sets, int n,
			 const struct cb_plot_list *pl, const char *dir, const char *note,
			 const struct cb_plot_list *fp, const char *fnote)
{
	json_object *runs = cb_jget(cmp, "runs"), *insts = cb_jget(cmp, "instances"),
		    *warnings = cb_jget(cmp, "warnings");

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>cowbench: ", f);
	for (size_t r = 0; r < cb_jlen(runs); r++) {
		fputs(r ? (r == 1 ? " vs " : ", ") : "", f);
		cb_html_esc(f, cb_jstr(cb_jidx(runs, r), "label"));
	}
	fprintf(f, "</title>\n<style>%s</style></head><body>\n<h1>cowbench: kernel comparison</h1>\n", cb_css);
	/* The shift every timing shares, before anything else. */
	for (size_t r = 1; r < cb_jlen(runs); r++) {
		char line[1200];

		if (!cb_cmp_shift_line(cmp, r, line, sizeof(line)))
			continue;
		fputs("<p class=\"shift\"><b>Common shift.</b> ", f);
		cb_html_esc(f, line);
		fputs(".</p>\n", f);
	}
	if (cb_html_forest(f, fp, dir, fnote))
		return -EIO;
	fputs("<p>Baseline: <b>", f);
	cb_html_esc(f, cb_jstr(cmp, "baseline"));
	fputs("</b>. Ratios are run / baseline; a verdict is a regression or an improvement only when it is"
	      " significant, knowing whether lower or higher is better for the metric.</p>\n",
	      f);
	cb_html_runs(f, cmp);
	if (json_object_get_boolean(cb_jget(cmp, "forced")))
		fputs("<p class=\"warn\">Compared with --force: the runs differ in machine or settings (see the"
		      " environment differences).</p>\n",
		      f);
	for (size_t i = 0; i < cb_jlen(warnings); i++) {
		fputs("<p class=\"warn\">", f);
		cb_html_esc(f, json_object_get_string(cb_jidx(warnings, i)));
		fputs("</p>\n", f);
	}
	for (size_t i = 0; i < cb_jlen(cb_jget(cmp, "notes")); i++) {
		fputs("<p class=\"note\">", f);
		cb_html_esc(f, json_object_get_string(cb_jidx(cb_jget(cmp, "notes"), i)));
		fputs(".</p>\n", f);
	}
	for (size_t r = 0; r < cb_jlen(runs); r++) {
		char list[512];

		if (!cb_noise_summary(cmp, r, list, sizeof(list)))
			continue;
		fputs("<p class=\"warn\">Noise sources when ", f);
		cb_html_esc(f, cb_jstr(cb_jidx(runs, r), "label"));
		fputs(" ran (cowbench env --check): ", f);
		cb_html_esc(f, list);
		fputs(".</p>\n", f);
	}
	{
		char q[16], e[16];

		cb_num_fmt(cb_jnum(cmp, "fdr"), q, sizeof(q));
		cb_num_fmt(100 * cb_jnum(cmp, "min_effect"), e, sizeof(e));
		fprintf(f, "<p>A verdict needs the Benjamini-Hochberg q below %s over all %.0f tests, a 95 %% CI that"
			   " excludes 1 and a difference of at least %s %%; Welch's t on the logs decides (paired by"
			   " round with --paired; Mann-Whitney only where the sizes let it reach one discovery's"
			   " threshold). A relative verdict compares an instance with the common shift; an"
			   " absolute one with 1, where run-level error is known.</p>\n",
			q, cb_jnum(cmp, "tests"), e);
	}
	fputs("<p>Contents: <a href=\"#summary\">summary</a>, <a href=\"#behaviour\">behaviour changes</a>,"
	      " <a href=\"#envdiff\">environment differences</a>, <a href=\"#plots\">plots</a>,"
	      " <a href=\"#instances\">results per instance</a>, <a href=\"#environment\">environment of every"
	      " run</a>.</p>\n",
	      f);
	cb_html_summary(f, insts, runs);
	cb_html_behaviour(f, insts);
	cb_html_env_diff(f, cmp);
	if (cb_html_plots(f, pl, dir, note))
		return -EIO;
	fputs("<h2 id=\"instances\">Results per instance</h2>\n<p>Cells: median, then mean ± standard deviation,"
	      " min … max and the number of repetitions.</p>\n",
	      f);
	for (size_t i = 0; i < cb_jlen(insts); i++)
		cb_html_instance(f, cb_jidx(insts, i), runs);
	cb_html_envs(f, sets, n);
	fputs("</body></html>\n", f);
	return ferror(f) ? -EIO : 0;
}

int cb_report_html(json_object *cmp, const struct cb_resultset *sets, int n, const char *dir, char *err,
		   size_t errlen)
{
	char path[PATH_MAX], tmp[PATH_MAX], note[512] = "", fnote[512] = "";
	struct cb_plot_list pl, fp = { 0 };
	FILE *f;
	int ret, fret;

	if (mkdir(dir, 0755) && errno != EEXIST) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return ret;
	}
	ret = cb_plots_render(sets, n, dir, &pl, note, sizeof(note));
	/* Without gnuplot the tables still make a report; the page says why it has no plots. */
	if (ret && ret != -ENOENT) {
		snprintf(err, errlen, "%s", note);
		goto free_plots;
	}
	fret = cb_forest_render(cmp, dir, &fp, fnote, sizeof(fnote));
	if (fret && fret != -ENOENT) {
		snprintf(err, errlen, "%s", fnote);
		ret = fret;
		goto free_plots;
	}
	snprintf(path, sizeof(path), "%s/report.html", dir);
	snprintf(tmp, sizeof(tmp), "%s/.report.html.tmp", dir);
	f = fopen(tmp, "we");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto free_plots;
	}
	ret = cb_html_write(f, cmp, sets, n, &pl, dir, ret ? note : NULL, &fp, fnote);
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		unlink(tmp);
	} else if (note[0]) {
		snprintf(err, errlen, "report written without plots: %s", note);
	}
free_plots:
	free(pl.v);
	free(fp.v);
	return ret;
}
