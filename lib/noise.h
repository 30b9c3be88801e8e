/* What on this machine makes timings noisy, as pyperf's `system show` reports it: each check
 * says what it found and how to fix it. Reads only; changes nothing. */
#ifndef CB_NOISE_H
#define CB_NOISE_H

#include <stdio.h>

#include <json-c/json.h>

/* { "cpu": N, "warnings": [ { "check", "found", "fix" } ], "ok": [ { "check", "found" } ] }
 * for the measured CPU; samples /proc/stat and /proc/vmstat over ~200 ms. NULL out of memory. */
json_object *cb_noise_check(int cpu); /* cpu < 0: the highest allowed CPU, as the runner picks */
/* The warnings as a block of lines ("" when none): "noise: governor: ... (fix: ...)". */
void cb_noise_print(FILE *f, json_object *noise, const char *prefix);

#endif
