/* The forest plot of a comparison (forest.c, plots/forest.gp). */
#ifndef CB_FOREST_H
#define CB_FOREST_H

#include <json-c/json.h>

#include "render.h"

/* Writes dir/forest-N.tsv for every side after the baseline that has timings and renders them
 * (SVG and PNG); pl: what was rendered (malloc'ed). -ENOENT: no gnuplot. */
int cb_forest_render(json_object *cmp, const char *dir, struct cb_plot_list *pl, char *err, size_t errlen);

#endif
