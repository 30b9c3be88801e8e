/* The cost the measurement itself adds, reported by `cowbench overhead`. */
#ifndef CB_OVERHEAD_H
#define CB_OVERHEAD_H

#include <stdio.h>

#include "opts.h"

/* First-touch loops over fresh regions of o->size: untimed, timed per op (the timing pass) and
 * counted (the counting pass incl. classification), o->repeat rounds each, interleaved; plus
 * the classification alone. Prints a table to out. Returns 0 or -errno. */
int cb_overhead_report(const struct cb_opts *o, FILE *out);

#endif
