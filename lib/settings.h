/* Kernel settings the suite changes (THP/mTHP sysfs, later swap, sysctls), with a state journal
 * so that they come back: at normal exit, on SIGINT/SIGTERM/SIGHUP/SIGQUIT and crash signals, and
 * after a SIGKILL or power loss of the process by the next run or `cowbench restore`. */
#ifndef CB_SETTINGS_H
#define CB_SETTINGS_H

#include <stdbool.h>

/* $COWBENCH_JOURNAL, else /run/cowbench/journal: /run is emptied at boot, exactly when the
 * kernel's own settings are back to their defaults, so a journal never outlives its meaning.
 * Once every setting is back the journal is removed, and with it /run/cowbench (or a directory
 * this process created for $COWBENCH_JOURNAL). */
const char *cb_settings_journal_path(void);

/* Writes value to a sysfs/procfs file, first journalling (fsync'd) the value it had. The first
 * change of a path wins the journal: later changes of it keep the original. Returns 0 or -errno
 * (-EBUSY: another live cowbench holds the journal). */
int cb_settings_set(const char *path, const char *value);

/*
 * Registers (journals, fsync'd) how to undo a change the caller is about to make, before it makes
 * it: "!swapoff" DEVICE_OR_FILE, "!zram_reset" /sys/block/zramN/reset, "!zram_remove" N (a
 * hot-added /dev/zramN, through /sys/class/zram-control/hot_remove), "!unlink" FILE, "!rmdir"
 * DIR. Undone with the settings (pop, restore, signals, recover), newest first; undoing what is
 * already undone counts as success. Returns 0 or -errno (-EINVAL: unknown action or bad arg).
 */
int cb_settings_undo(const char *action, const char *arg);

/* A run that must say how it ended when a signal ends it (a suite): from now on SIGINT, SIGTERM
 * (and the other signals above) end its output with one line, "cowbench: interrupted by SIGINT:
 * restored FILE = VALUE, ...; NOTE". clear_line: stderr shows a live progress line to take off
 * first. Installs the handlers even before any setting is changed. */
void cb_settings_on_interrupt(const char *note, bool clear_line);

/* Nested scopes (a suite's settings, then an instance's backing): push returns a mark, pop
 * puts back what was changed since that mark and drops it from the journal. */
int cb_settings_push(void);
int cb_settings_pop(int mark);

/* Puts back everything this process changed, newest first, and removes the journal.
 * Returns 0 or the first -errno. */
int cb_settings_restore(void);

/* In the owner, after a forked worker ended: undoes (and drops from the journal) the entries
 * the worker journalled and left. Returns 0 or the first -errno. */
int cb_settings_reap(void);

/* Replays a journal left by a run that did not finish, printing one line per setting put back
 * to stderr (the user must learn that an earlier run had left the machine changed). *restored
 * gets the number of settings put back (0 when there was no journal). Returns 0, -EBUSY when a live run holds it, or -errno. */
int cb_settings_recover(int *restored);

#endif
