#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "settings.h"
#include "sysfs.h"
#include "unit.h"

#define THP_FILE "always [madvise] never\n"

/* The journal path is cached on first use: every settings test shares this one, set before main
 * so that nothing can cache the real /run/cowbench/journal first. */
static char dir[] = "/tmp/cb_settings_XXXXXX";
static char journal[256];
static pid_t creator;
static int nfiles;

static void remove_dir(void)
{
	char sub[300];

	/* Forked children that exit() must not take the directory from under the parent. */
	if (getpid() != creator)
		return;
	snprintf(sub, sizeof(sub), "%s/cowbench", dir);
	unlink(journal);
	rmdir(sub);
	/* Setting files a test left (a failed check returns before its unlink): tests leave /tmp
	 * as they found it. */
	for (int i = 0; i < nfiles; i++) {
		snprintf(sub, sizeof(sub), "%s/setting%d", dir, i);
		unlink(sub);
	}
	rmdir(dir);
}

__attribute__((constructor)) static void settings_journal_env(void)
{
	if (!mkdtemp(dir))
		return;
	/* One level below the directory: the journal's parent is created on demand. */
	snprintf(journal, sizeof(journal), "%s/cowbench/journal", dir);
	setenv("COWBENCH_JOURNAL", journal, 1);
	creator = getpid();
	atexit(remove_dir);
}

/* Never let these tests touch a real journal. */
static bool setup(void)
{
	return journal[0] && strcmp(cb_settings_journal_path(), journal) == 0;
}

/* A stand-in for a sysfs file, holding text. */
static void make_file(char *path, size_t len, const char *text)
{
	FILE *f;

	snprintf(path, len, "%s/setting%d", dir, nfiles++);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* The file as the library reads it back (trailing newlines dropped), or "(unreadable)". */
static const char *contents(const char *path)
{
	static char buf[4][256];
	static int slot;
	char *b = buf[slot++ % 4];

	if (cb_sysfs_read(path, b, sizeof(buf[0])) < 0)
		snprintf(b, sizeof(buf[0]), "(unreadable)");
	return b;
}

static bool journal_exists(void)
{
	return access(journal, F_OK) == 0;
}

/* The journal's raw text: one "path\tvalue\n" per setting. */
static const char *journal_text(void)
{
	static char buf[1024];
	FILE *f = fopen(journal, "r");
	size_t n = 0;

	if (!f)
		return "(no journal)";
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static pid_t fork_flushed(void)
{
	fflush(NULL);
	return fork();
}

CB_TEST(settings_set_restore)
{
	char a[300], b[300], want[700];

	if (!setup()) {
		CB_CHECK(!"journal in a temporary directory");
		return;
	}
	make_file(a, sizeof(a), THP_FILE);
	make_file(b, sizeof(b), "1\n");
	CB_CHECK(!journal_exists());

	CB_CHECK(cb_settings_set(a, "never") == 0);
	CB_CHECK(journal_exists());
	snprintf(want, sizeof(want), "%s\tmadvise\n", a);
	CB_CHECK_STR(journal_text(), want);
	CB_CHECK_STR(contents(a), "never");

	/* The first change of a path keeps the original value. */
	CB_CHECK(cb_settings_set(a, "always") == 0);
	CB_CHECK_STR(journal_text(), want);
	CB_CHECK_STR(contents(a), "always");

	CB_CHECK(cb_settings_set(b, "0") == 0);
	snprintf(want, sizeof(want), "%s\tmadvise\n%s\t1\n", a, b);
	CB_CHECK_STR(journal_text(), want);
	CB_CHECK_STR(contents(b), "0");

	/* A file that cannot be read is refused before anything is journalled. */
	snprintf(want, sizeof(want), "%s/missing", dir);
	CB_CHECK(cb_settings_set(want, "never") == -ENOENT);
	snprintf(want, sizeof(want), "%s\tmadvise\n%s\t1\n", a, b);
	CB_CHECK_STR(journal_text(), want);

	CB_CHECK(cb_settings_restore() == 0);
	CB_CHECK(!journal_exists());
	CB_CHECK_STR(contents(a), "madvise");
	CB_CHECK_STR(contents(b), "1");
	/* Nothing left to restore: a second call changes nothing. */
	CB_CHECK(cb_settings_restore() == 0);
	CB_CHECK_STR(contents(a), "madvise");
	unlink(a);
	unlink(b);
}

CB_TEST(settings_recover_after_kill)
{
	char a[300], want[400];
	int status = -1, restored = -1;
	pid_t pid;

	if (!setup()) {
		CB_CHECK(!"journal in a temporary directory");
		return;
	}
	make_file(a, sizeof(a), THP_FILE);
	CB_CHECK(cb_settings_recover(&restored) == 0);
	CB_CHECK(restored == 0);

	pid = fork_flushed();
	if (pid == 0) {
		/* _exit skips the atexit restorer, as SIGKILL would. */
		_exit(cb_settings_set(a, "never") == 0 ? 0 : 1);
	}
	CB_CHECK(pid > 0);
	if (pid < 0)
		return;
	CB_CHECK(waitpid(pid, &status, 0) == pid);
	CB_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CB_CHECK_STR(contents(a), "never");
	CB_CHECK(journal_exists());
	snprintf(want, sizeof(want), "%s\tmadvise\n", a);
	CB_CHECK_STR(journal_text(), want);

	CB_CHECK(cb_settings_recover(&restored) == 0);
	CB_CHECK(restored == 1);
	CB_CHECK_STR(contents(a), "madvise");
	CB_CHECK(!journal_exists());
	CB_CHECK(cb_settings_recover(&restored) == 0);
	CB_CHECK(restored == 0);
	unlink(a);
}

CB_TEST(settings_sigterm_restores)
{
	char a[300], b[300];
	int status = -1;
	pid_t pid;

	if (!setup()) {
		CB_CHECK(!"journal in a temporary directory");
		return;
	}
	make_file(a, sizeof(a), THP_FILE);
	/* Restoring a shorter value than the one set must not leave the longer one's tail. */
	make_file(b, sizeof(b), "always madvise [never]\n");
	pid = fork_flushed();
	if (pid == 0) {
		if (cb_settings_set(a, "never") || cb_settings_set(b, "always"))
			_exit(1);
		raise(SIGTERM);
		_exit(2);
	}
	CB_CHECK(pid > 0);
	if (pid < 0)
		return;
	CB_CHECK(waitpid(pid, &status, 0) == pid);
	/* The handler restores, then lets the signal kill the process as it would have. */
	CB_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	CB_CHECK(!journal_exists());
	CB_CHECK_STR(contents(a), "madvise");
	CB_CHECK_STR(contents(b), "never");
	unlink(a);
	unlink(b);
}

CB_TEST(settings_live_holder_busy)
{
	char a[300], b[300];
	int fds[2], status = -1, restored = -1, child_ret = -1;
	pid_t pid;

	if (!setup() || pipe(fds)) {
		CB_CHECK(!"journal in a temporary directory and a pipe");
		return;
	}
	make_file(a, sizeof(a), THP_FILE);
	make_file(b, sizeof(b), "1\n");
	pid = fork_flushed();
	if (pid == 0) {
		int ret = cb_settings_set(a, "never");

		close(fds[0]);
		if (write(fds[1], &ret, sizeof(ret)) != sizeof(ret))
			_exit(1);
		for (;;)
			pause();
	}
	close(fds[1]);
	CB_CHECK(pid > 0);
	if (pid < 0) {
		close(fds[0]);
		return;
	}
	CB_CHECK(read(fds[0], &child_ret, sizeof(child_ret)) == sizeof(child_ret));
	close(fds[0]);
	CB_CHECK(child_ret == 0);

	CB_CHECK(cb_settings_recover(&restored) == -EBUSY);
	CB_CHECK(restored == 0);
	CB_CHECK_STR(contents(a), "never");
	CB_CHECK(journal_exists());
	/* Nor may a second run change anything while the first one holds the journal. */
	CB_CHECK(cb_settings_set(b, "0") == -EBUSY);
	CB_CHECK_STR(contents(b), "1");

	kill(pid, SIGKILL);
	CB_CHECK(waitpid(pid, &status, 0) == pid);
	CB_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CB_CHECK(journal_exists());
	CB_CHECK_STR(contents(a), "never");
	CB_CHECK(cb_settings_recover(&restored) == 0);
	CB_CHECK(restored == 1);
	CB_CHECK_STR(contents(a), "madvise");
	CB_CHECK(!journal_exists());
	unlink(a);
	unlink(b);
}

CB_TEST(settings_push_pop_scopes)
{
	char a[256], b[256];
	int mark;

	if (!setup()) {
		CB_CHECK(!"journal path is not the test's");
		return;
	}
	make_file(a, sizeof(a), THP_FILE);
	make_file(b, sizeof(b), THP_FILE);
	CB_CHECK(cb_settings_set(a, "never") == 0);
	mark = cb_settings_push();
	CB_CHECK(cb_settings_set(b, "always") == 0);
	CB_CHECK(strstr(journal_text(), b) != NULL);
	/* Popping the inner scope puts b back and drops it from the journal; a stays changed. */
	CB_CHECK(cb_settings_pop(mark) == 0);
	CB_CHECK_STR(contents(b), "madvise");
	CB_CHECK_STR(contents(a), "never");
	CB_CHECK(strstr(journal_text(), a) != NULL);
	CB_CHECK(strstr(journal_text(), b) == NULL);
	CB_CHECK(cb_settings_restore() == 0);
	CB_CHECK_STR(contents(a), "madvise");
	CB_CHECK(!journal_exists());
}

CB_TEST(settings_undo_actions)
{
	char file[256], sub[300];
	pid_t pid;
	int status, restored;

	if (!setup()) {
		CB_CHECK(!"journal path is not the test's");
		return;
	}
	CB_CHECK(cb_settings_undo("!format_disk", "/dev/sda") == -EINVAL);
	/* A scope: a directory and a file created after registering their undo go away on pop. */
	make_file(file, sizeof(file), "x");
	snprintf(sub, sizeof(sub), "%s/made_dir", dir);
	{
		int mark = cb_settings_push();

		CB_CHECK(cb_settings_undo("!rmdir", sub) == 0);
		CB_CHECK(mkdir(sub, 0700) == 0);
		CB_CHECK(cb_settings_undo("!unlink", file) == 0);
		CB_CHECK(strstr(journal_text(), "!unlink") != NULL);
		CB_CHECK(cb_settings_pop(mark) == 0);
	}
	CB_CHECK(access(file, F_OK) != 0 && access(sub, F_OK) != 0);
	CB_CHECK(cb_settings_restore() == 0);
	/* Killed after registering: the next run's recovery undoes it; already undone is success. */
	make_file(file, sizeof(file), "x");
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		cb_settings_undo("!unlink", file);
		cb_settings_undo("!swapoff", "/nonexistent-swap");
		_exit(0);
	}
	CB_CHECK(waitpid(pid, &status, 0) == pid);
	CB_CHECK(access(file, F_OK) == 0 && journal_exists());
	CB_CHECK(cb_settings_recover(&restored) == 0);
	CB_CHECK(restored == 2);
	CB_CHECK(access(file, F_OK) != 0 && !journal_exists());
}
