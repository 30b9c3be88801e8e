/* The running kernel's build options: a scenario the kernel was built without the means for is
 * a skip that names the option ("kernel built without CONFIG_IO_URING"), not an error halfway. */
#ifndef CB_KCONFIG_H
#define CB_KCONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct cb_scenario;
struct cb_opts;

/* Where the config was read from (/proc/config.gz, /boot/config-<release>, or
 * $COWBENCH_KCONFIG for tests); NULL when none is readable. Read once per process. */
const char *cb_kconfig_source(void);
/* 1 with the value ("y", "m", a string) when the option (without CONFIG_) is set; 0 when the
 * config says it is not set or does not list it; -ENOENT when no config is readable. */
int cb_kconfig_get(const char *opt, char *val, size_t len);
/* The options an instance needs (pagemap, perf, THP, swap, zram, memcg, io_uring, NUMA,
 * tracepoints), by scenario, backing name and options. Returns how many were written. */
int cb_kconfig_needs(const struct cb_scenario *s, const char *backing, const struct cb_opts *o,
		     const char **opts, int max);
/* True, with a skip reason naming the first missing option, when the config is readable and
 * lacks one the instance needs. Without a readable config: false (nothing is guessed). */
bool cb_kconfig_lacks(const struct cb_scenario *s, const char *backing, const struct cb_opts *o,
		      char *reason, size_t len);
/* Forgets the loaded config (tests point $COWBENCH_KCONFIG elsewhere). */
void cb_kconfig_reset(void);

#endif
