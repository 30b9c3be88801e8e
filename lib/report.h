/* Plots (gnuplot fed TSV) and the self-contained HTML report. */
#ifndef CB_REPORT_H
#define CB_REPORT_H

#include <json-c/json.h>

#include "resultset.h"

/* Writes the plot TSVs for the result sets into dir and renders every plot kind with the
 * gnuplot scripts in plots/ as PNG and SVG. Returns 0 or -errno (-ENOENT: no gnuplot). */
int cb_plot_all(const struct cb_resultset *sets, int n, const char *dir, char *err, size_t errlen);

/* `cowbench plot [--out DIR] RESULT_DIR...`; returns the exit status. */
int cb_plot_main(int argc, char **argv);

/* Writes dir/report.html: the comparison tables (cmp from cb_compare_build), the plots as
 * inline SVG and the environment of every run. Returns 0 or -errno. */
int cb_report_html(json_object *cmp, const struct cb_resultset *sets, int n, const char *dir, char *err,
		   size_t errlen);

#endif
