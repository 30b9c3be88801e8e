/* The per-run environment record (env.json). */
#ifndef CB_ENV_H
#define CB_ENV_H

#include <json-c/json.h>

/* Collects kernel, cmdline, kernel config subset, THP/mTHP settings, swap, cgroup version, CPU,
 * NUMA topology, timer facts (from cb_timer, so call cb_timer_init first), background mm
 * daemons (DAMON, khugepaged, KSM), virtualization, cowbench revision and compiler.
 * Returns a new object (caller puts it) or NULL on allocation failure. */
json_object *cb_env_collect(void);

#endif
