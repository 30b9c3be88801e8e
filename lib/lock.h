/* One measurement per machine: every command that measures or changes kernel settings holds an
 * exclusive flock on one lock file while it runs. A second run waits its turn (or, asked not to,
 * gives up) and names the holder: pid, command, since when, and where it is (a status file the
 * holder keeps next to the lock). */
#ifndef CB_LOCK_H
#define CB_LOCK_H

#include <stdbool.h>
#include <stddef.h>

/* $COWBENCH_LOCK, else /run/cowbench.lock. The lock file is never removed: a waiter blocked on
 * a removed file's lock would get a lock nobody else sees. Tests that run two instances at once
 * on purpose give the second one a lock (and a journal) of its own. */
const char *cb_lock_path(void);
/* Where the holder's status line is: the lock's path with ".lock" replaced by (or, without it,
 * followed by) ".status". */
const char *cb_lock_status_path(void);

/*
 * Takes the lock. wait_s < 0: waits as long as it takes; 0: does not wait; else at most wait_s
 * seconds. First come, first served: a ticket beside the lock (see lock.c) orders the waiters,
 * whatever the kernel's wake-ups do. On_wait (may be NULL) is called once, before
 * waiting, with the holder's description. Returns 0, -EBUSY (held: not waiting), -ETIMEDOUT
 * (waited wait_s) or -errno. The descriptor is close-on-exec: a program the run starts does
 * not hold it; forked workers share it and end with the run.
 */
int cb_lock_take(double wait_s, const char *command, void (*on_wait)(const char *holder));

/* "pid 1234 (cowbench suite configs/quick.conf) since 2026-12-07 20:14:03 UTC (2:10 ago), at
 * [46/99] fault_anon/thp/8M ... elapsed 1:02, ETA 0:40": the current holder, from /proc/locks
 * (its pid), /proc/PID/cmdline and the status file. Works without the status file (a holder
 * that has not written it yet). Writes "" when the lock is free. */
void cb_lock_holder(char *buf, size_t len);

/* The holder's progress line (no newline), kept in the status file for waiters. No-op unless
 * this process holds the lock. */
void cb_lock_progress(const char *line);

/* Releases the lock and removes the status file (also at exit). */
void cb_lock_release(void);

#endif
