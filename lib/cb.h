/* Common definitions shared by lib/ and bench/. */
#ifndef CB_H
#define CB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CB_SCHEMA_VERSION 1

#ifndef CB_VERSION
#define CB_VERSION "unknown"
#endif

#define CB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Base page size, read once at start-up (4 KiB on x86_64, 4/16/64 KiB on arm64). */
extern size_t cb_page_size;

/* mkdir -p: creates path and its missing parents (0755). Returns 0 or -errno. */
int cb_mkdir_p(const char *path);

#include <sys/types.h>

/* fork() for a child that must not outlive its parent (pass workers, COW children): it gets
 * SIGKILL when the parent dies (PR_SET_PDEATHSIG), and ends at once if the parent died before
 * that was set. Returns as fork() does, -1 with errno on failure. */
pid_t cb_fork_tied(void);

/* True when the process may read PFNs, kpageflags and tracepoints. */
bool cb_is_privileged(void);

#endif
