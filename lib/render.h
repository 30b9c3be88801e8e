/* The renderers of the comparison model (cb_compare_build's object) and the plot machinery the
 * HTML report shares with `cowbench plot`. Each renderer writes o->f and reads only the model. */
#ifndef CB_RENDER_H
#define CB_RENDER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "cmpcommon.h"
#include "resultset.h"

void cb_render_text(const struct cb_cmp_out *o, json_object *cmp);     /* render_text.c */
void cb_render_markdown(const struct cb_cmp_out *o, json_object *cmp); /* render_markdown.c */
void cb_render_sv(const struct cb_cmp_out *o, json_object *cmp, char sep); /* render_sv.c: ',' or '\t' */
void cb_render_json(const struct cb_cmp_out *o, json_object *cmp);     /* render_json.c */
/* render_html.c: cb_report_html in report.h. */

/* One rendered plot: dir/<base>.{tsv,svg,png}. */
struct cb_plot {
	char kind[12];
	char base[200];
	char title[200];
	char scenario[48];
};

struct cb_plot_list {
	struct cb_plot *v;
	size_t n;
};

/* plot.c: writes every plot's TSV into dir and renders it (pl: what was rendered, malloc'ed).
 * Labels the runs as cb_run_labels does (on a copy). -ENOENT: no gnuplot or no scripts. */
int cb_plots_render(const struct cb_resultset *sets, int n, const char *dir, struct cb_plot_list *pl, char *err,
		    size_t errlen);

/* gnuplot.c */
/* The plots/ directory: $COWBENCH_PLOTS, else next to the binary (build/../plots), else ./plots. */
void cb_plots_dir(char buf[PATH_MAX]);
bool cb_in_path(const char *prog);
/* Every plot as SVG and PNG, a few gnuplot processes at a time; the first failure is reported. */
int cb_gnuplot_all(const struct cb_plot_list *pl, const char *pdir, const char *dir, char *err, size_t errlen);

#endif
