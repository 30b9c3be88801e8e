#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <unistd.h>

#include "lock.h"
#include "settings.h"
#include "sysfs.h"

#define CB_SAVED_MAX 64
#define CB_PATH_MAX 256
#define CB_VALUE_MAX 128
#define CB_JOURNAL_DEFAULT "/run/cowbench/journal"

/* Kept in plain arrays so the signal handler can restore with open/write/close only. */
static struct {
	char path[CB_PATH_MAX];
	char value[CB_VALUE_MAX];
} saved[CB_SAVED_MAX];
static volatile sig_atomic_t nsaved;
static pid_t owner_pid;
static int journal_fd = -1;
static char journal_path[CB_PATH_MAX];
/* The journal's directory is removed once the journal is: the default one (/run/cowbench), or
 * one this process created. A directory the user named and made stays. */
static bool journal_dir_ours;
/* The interrupted run's last line: what it restored, then this (where its results are). */
static char interrupt_note[CB_PATH_MAX * 2];
static char interrupt_msg[4096];
static bool interrupt_clear_line;
static bool undo_failed[CB_SAVED_MAX];

const char *cb_settings_journal_path(void)
{
	const char *env = getenv("COWBENCH_JOURNAL");

	if (!journal_path[0]) {
		snprintf(journal_path, sizeof(journal_path), "%s", env && *env ? env : CB_JOURNAL_DEFAULT);
		journal_dir_ours = strcmp(journal_path, CB_JOURNAL_DEFAULT) == 0;
	}
	return journal_path;
}

/*
 * Puts one journal entry back: a file's old value, or an undo action ("!swapoff" DEVICE,
 * "!zram_reset" RESET_FILE, "!unlink" FILE, "!rmdir" DIR). System calls only, so the signal
 * handler can use it. Undoing what is already undone (swap off, file gone) is success.
 */
static int cb_undo_one(const char *path, const char *value)
{
	int fd, ret = 0;

	if (strcmp(path, "!swapoff") == 0)
		return swapoff(value) && errno != EINVAL && errno != ENOENT ? -errno : 0;
	if (strcmp(path, "!unlink") == 0)
		return unlink(value) && errno != ENOENT ? -errno : 0;
	if (strcmp(path, "!rmdir") == 0)
		return rmdir(value) && errno != ENOENT ? -errno : 0;
	if (strcmp(path, "!zram_remove") == 0) {
		/* A hot-added device goes again; one already gone is "No such device". */
		fd = open("/sys/class/zram-control/hot_remove", O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return errno == ENOENT ? 0 : -errno;
		if (write(fd, value, strlen(value)) < 0 && errno != ENODEV && errno != ENOENT)
			ret = -errno;
		close(fd);
		return ret;
	}
	if (strcmp(path, "!zram_reset") == 0) {
		path = value;
		value = "1";
	} else if (path[0] == '!') {
		return -EINVAL;
	}
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, value, strlen(value)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Removes the journal, then its directory when it is ours and nothing else is in it. System calls
 * only: the signal handler uses it. */
static void cb_journal_remove(void)
{
	char dir[CB_PATH_MAX], *slash;

	unlink(journal_path);
	if (!journal_dir_ours)
		return;
	strcpy(dir, journal_path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		rmdir(dir);
	}
}

/* Appends s to the handler's message, dropping what does not fit. */
static void cb_msg_add(const char *s)
{
	size_t have = strlen(interrupt_msg), add = strlen(s);

	if (have + add >= sizeof(interrupt_msg) - 8)
		add = sizeof(interrupt_msg) - 8 - have;
	memcpy(interrupt_msg + have, s, add);
	interrupt_msg[have + add] = '\0';
}

/* One entry as the interrupted run's line names it: "FILE = VALUE" or "swapoff DEVICE". */
static void cb_msg_add_entry(const char *path, const char *value)
{
	if (path[0] == '!') {
		cb_msg_add(path + 1);
		cb_msg_add(" ");
	} else {
		cb_msg_add(path);
		cb_msg_add(" = ");
	}
	cb_msg_add(value);
}

static const char *cb_signal_name(int sig)
{
	switch (sig) {
	case SIGINT: return "SIGINT";
	case SIGTERM: return "SIGTERM";
	case SIGHUP: return "SIGHUP";
	case SIGQUIT: return "SIGQUIT";
	case SIGPIPE: return "SIGPIPE";
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGFPE: return "SIGFPE";
	case SIGABRT: return "SIGABRT";
	case SIGILL: return "SIGILL";
	default: return "a signal";
	}
}

/*
 * Puts every saved setting back and, when the run asked for it (cb_settings_on_interrupt), ends
 * its output with one line: what was restored and where its partial results are. Only
 * async-signal-safe calls. Failures keep the journal for `cowbench restore`.
 */
static void cb_settings_on_signal(int sig)
{
	int failed = 0, restored = 0;

	/* Forked scenario children inherit the handler but own nothing. */
	if (getpid() != owner_pid)
		goto die;
	interrupt_msg[0] = '\0';
	if (interrupt_clear_line)
		cb_msg_add("\r\033[K");
	cb_msg_add(sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT || sig == SIGPIPE ?
			   "cowbench: interrupted by " : "cowbench: killed by ");
	cb_msg_add(cb_signal_name(sig));
	cb_msg_add(": restored ");
	for (int i = nsaved - 1; i >= 0; i--) {
		undo_failed[i] = cb_undo_one(saved[i].path, saved[i].value) != 0;
		if (undo_failed[i]) {
			failed++;
			continue;
		}
		cb_msg_add(restored++ ? ", " : "");
		cb_msg_add_entry(saved[i].path, saved[i].value);
	}
	if (!restored)
		cb_msg_add(nsaved ? "nothing" : "nothing (no setting was changed)");
	if (failed) {
		cb_msg_add("; could not restore ");
		for (int i = nsaved - 1, k = 0; i >= 0; i--)
			if (undo_failed[i]) {
				cb_msg_add(k++ ? ", " : "");
				cb_msg_add_entry(saved[i].path, saved[i].value);
			}
		cb_msg_add(" (journal kept: run cowbench restore)");
	} else if (journal_fd >= 0) {
		cb_journal_remove();
	}
	if (interrupt_note[0]) {
		cb_msg_add("; ");
		cb_msg_add(interrupt_note);
		cb_msg_add("\n");
		if (write(STDERR_FILENO, interrupt_msg, strlen(interrupt_msg)) < 0)
			goto die;
	}
	/* Its status would name a run that is over (the lock itself goes with the process). */
	cb_lock_release();
die:
	signal(sig, SIG_DFL);
	raise(sig);
}

static void cb_settings_at_exit(void)
{
	if (getpid() == owner_pid)
		cb_settings_restore();
}

static void cb_settings_install_handlers(void)
{
	static bool atexit_done;

	if (!owner_pid)
		owner_pid = getpid();

	/* SIGPIPE: `cowbench run ... | head` must not leave swap on. */
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGSEGV, SIGBUS, SIGFPE, SIGABRT, SIGILL };
	struct sigaction sa = { .sa_handler = cb_settings_on_signal };

	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	if (!atexit_done) {
		atexit_done = true;
		atexit(cb_settings_at_exit);
	}
}

static int cb_mkdir_parent(const char *path)
{
	char dir[CB_PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0700)) {
		if (errno != EEXIST)
			return -errno;
	} else {
		journal_dir_ours = true;
	}
	return 0;
}

static int cb_journal_open_locked(int flags)
{
	int fd, ret;

	ret = cb_mkdir_parent(cb_settings_journal_path());
	if (ret)
		return ret;
	fd = open(journal_path, O_RDWR | O_CLOEXEC | flags, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		ret = errno == EWOULDBLOCK ? -EBUSY : -errno;
		close(fd);
		return ret;
	}
	return fd;
}

static int cb_journal_append(const char *path, const char *value)
{
	char line[CB_PATH_MAX + CB_VALUE_MAX + 4];
	int len = snprintf(line, sizeof(line), "%s\t%s\n", path, value);

	if (write(journal_fd, line, (size_t)len) != len)
		return errno ? -errno : -EIO;
	return fsync(journal_fd) ? -errno : 0;
}

static int cb_settings_current(const char *path, char *out, size_t len)
{
	char raw[512];
	int ret = cb_sysfs_read(path, raw, sizeof(raw));

	if (ret < 0)
		return ret;
	/* "always [madvise] never" files are written back with the selected word. */
	if (strchr(raw, '['))
		return cb_sysfs_selected(raw, out, len) < 0 ? -EINVAL : 0;
	if (strlen(raw) >= len)
		return -ERANGE;
	memcpy(out, raw, strlen(raw) + 1);
	return 0;
}

/* Journals (fsync'd) and remembers one entry, opening and locking the journal on first use. */
static int cb_settings_save(const char *path, const char *value)
{
	int ret;

	if (nsaved == CB_SAVED_MAX)
		return -ENOSPC;
	if (journal_fd < 0) {
		int restored;

		ret = cb_settings_recover(&restored);
		if (ret)
			return ret;
		/* Truncate only once the lock is ours: a live holder's journal must survive. */
		journal_fd = cb_journal_open_locked(O_CREAT);
		if (journal_fd < 0)
			return journal_fd;
		if (ftruncate(journal_fd, 0)) {
			ret = -errno;
			close(journal_fd);
			journal_fd = -1;
			return ret;
		}
		owner_pid = getpid();
		cb_settings_install_handlers();
	}
	ret = cb_journal_append(path, value);
	if (ret)
		return ret;
	snprintf(saved[nsaved].path, CB_PATH_MAX, "%s", path);
	snprintf(saved[nsaved].value, CB_VALUE_MAX, "%s", value);
	nsaved++;
	return 0;
}

int cb_settings_set(const char *path, const char *value)
{
	char old[CB_VALUE_MAX];
	bool known = false;
	int ret;

	if (strlen(path) >= CB_PATH_MAX || strlen(value) >= CB_VALUE_MAX || path[0] == '!')
		return -ENAMETOOLONG;
	for (int i = 0; i < nsaved; i++)
		known |= strcmp(saved[i].path, path) == 0;
	if (!known) {
		ret = cb_settings_current(path, old, sizeof(old));
		if (!ret)
			ret = cb_settings_save(path, old);
		if (ret)
			return ret;
	}
	return cb_sysfs_write(path, value);
}

int cb_settings_undo(const char *action, const char *arg)
{
	static const char *const actions[] = { "!swapoff", "!zram_reset", "!zram_remove", "!unlink", "!rmdir" };
	bool ok = false;

	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		ok |= strcmp(action, actions[i]) == 0;
	if (!ok || strlen(arg) >= CB_VALUE_MAX || strchr(arg, '\n') || strchr(arg, '\t'))
		return -EINVAL;
	return cb_settings_save(action, arg);
}

void cb_settings_on_interrupt(const char *note, bool clear_line)
{
	snprintf(interrupt_note, sizeof(interrupt_note), "%s", note);
	interrupt_clear_line = clear_line;
	cb_settings_install_handlers();
}

int cb_settings_push(void)
{
	return nsaved;
}

/* Rewrites the journal to hold exactly the entries still saved. */
static int cb_journal_rewrite(void)
{
	int ret;

	if (journal_fd < 0)
		return 0;
	if (ftruncate(journal_fd, 0) || lseek(journal_fd, 0, SEEK_SET) < 0)
		return -errno;
	for (int i = 0; i < nsaved; i++) {
		ret = cb_journal_append(saved[i].path, saved[i].value);
		if (ret)
			return ret;
	}
	return 0;
}

int cb_settings_pop(int mark)
{
	int ret = 0;

	for (int i = nsaved - 1; i >= mark; i--) {
		int r = cb_undo_one(saved[i].path, saved[i].value);

		if (r && !ret)
			ret = r;
		/* Drop it only once written back: the journal must keep what is still changed. */
		if (!r)
			nsaved = i;
	}
	if (ret)
		return ret;
	return cb_journal_rewrite();
}

int cb_settings_restore(void)
{
	int ret = 0;

	for (int i = nsaved - 1; i >= 0; i--) {
		int r = cb_undo_one(saved[i].path, saved[i].value);

		if (r && !ret)
			ret = r;
	}
	if (journal_fd >= 0) {
		/* A failed write keeps the journal, so `cowbench restore` can try again. */
		if (!ret)
			cb_journal_remove();
		close(journal_fd);
		journal_fd = -1;
	}
	nsaved = 0;
	return ret;
}

int cb_settings_recover(int *restored)
{
	char line[CB_PATH_MAX + CB_VALUE_MAX + 4];
	struct { char path[CB_PATH_MAX]; char value[CB_VALUE_MAX]; } *entries = NULL;
	int n = 0, ret = 0, fd;
	FILE *f;

	*restored = 0;
	if (access(cb_settings_journal_path(), F_OK))
		return 0;
	fd = cb_journal_open_locked(0);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	f = fdopen(dup(fd), "r");
	if (!f) {
		ret = -errno;
		goto close_fd;
	}
	entries = calloc(CB_SAVED_MAX, sizeof(*entries));
	if (!entries) {
		ret = -ENOMEM;
		goto close_file;
	}
	while (n < CB_SAVED_MAX && fgets(line, sizeof(line), f)) {
		char *tab = strchr(line, '\t');

		line[strcspn(line, "\n")] = '\0';
		if (!tab)
			continue;
		*tab = '\0';
		if (strlen(line) >= CB_PATH_MAX || strlen(tab + 1) >= CB_VALUE_MAX)
			continue;
		memcpy(entries[n].path, line, strlen(line) + 1);
		memcpy(entries[n].value, tab + 1, strlen(tab + 1) + 1);
		n++;
	}
	for (int i = n - 1; i >= 0; i--) {
		int r = cb_undo_one(entries[i].path, entries[i].value);

		if (r && !ret)
			ret = r;
		else if (!r) {
			fprintf(stderr, "cowbench: restored %s = %s (left by a run that did not finish)\n",
				entries[i].path, entries[i].value);
			(*restored)++;
		}
	}
	if (!ret)
		cb_journal_remove();
	free(entries);
close_file:
	fclose(f);
close_fd:
	close(fd);
	return ret;
}

/*
 * A pass worker (a forked child) journals what it changes through the descriptor it inherited,
 * appending after the entries it inherited. What it did not undo before it ended (it crashed,
 * or was killed) is undone here, in the owner, and dropped from the journal.
 */
int cb_settings_reap(void)
{
	char line[CB_PATH_MAX + CB_VALUE_MAX + 4];
	int n = 0, ret = 0, r;
	FILE *f;

	if (journal_fd < 0 || getpid() != owner_pid)
		return 0;
	f = fdopen(dup(journal_fd), "r");
	if (!f)
		return -errno;
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		char *tab = strchr(line, '\t');

		line[strcspn(line, "\n")] = '\0';
		if (!tab || n++ < nsaved)
			continue;
		*tab = '\0';
		r = cb_undo_one(line, tab + 1);
		if (r && !ret)
			ret = r;
	}
	fclose(f);
	if (n > nsaved) {
		r = cb_journal_rewrite();
		if (r && !ret)
			ret = r;
		if (lseek(journal_fd, 0, SEEK_END) < 0 && !ret)
			ret = -errno;
	}
	return ret;
}
