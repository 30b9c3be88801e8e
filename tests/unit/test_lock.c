#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lock.h"
#include "unit.h"

/* A lock of the tests' own, set before anything caches the real /run/cowbench.lock. */
static char dir[] = "/tmp/cb_lock_XXXXXX";
static char path[256];
static pid_t creator;

static void lock_dir_remove(void)
{
	char status[300];

	if (getpid() != creator)
		return;
	snprintf(status, sizeof(status), "%s/test.status", dir);
	unlink(status);
	unlink(path);
	rmdir(dir);
}

__attribute__((constructor)) static void lock_env(void)
{
	if (!mkdtemp(dir))
		return;
	snprintf(path, sizeof(path), "%s/test.lock", dir);
	setenv("COWBENCH_LOCK", path, 1);
	creator = getpid();
	atexit(lock_dir_remove);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A child that takes the lock, says where it is, tells the parent (a byte on ready) and holds
 * it for hold_s seconds (< 0: until the parent closes go). */
static pid_t holder_start(double hold_s, int *go_fd)
{
	int ready[2], go[2];
	char c;
	pid_t pid;

	if (pipe(ready) || pipe(go))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		if (cb_lock_take(0, "cowbench suite test.conf", NULL))
			_exit(1);
		cb_lock_progress("[2/5] cow_child/thp/8M ... elapsed 0:01, ETA 0:03");
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		if (hold_s < 0)
			while (read(go[0], &c, 1) > 0)
				;
		else
			usleep((useconds_t)(hold_s * 1e6));
		cb_lock_release();
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	if (pid < 0 || read(ready[0], &c, 1) != 1)
		pid = -1;
	close(ready[0]);
	*go_fd = go[1];
	return pid;
}

static int waits_seen;
static char waited_for[768];

static void on_wait(const char *holder)
{
	waits_seen++;
	snprintf(waited_for, sizeof(waited_for), "%s", holder);
}

CB_TEST(lock_busy_names_holder_then_times_out)
{
	char holder[768], want[128];
	int go, status;
	double t0, took;
	pid_t pid;

	CB_CHECK_STR(cb_lock_path(), path);
	CB_CHECK(strlen(cb_lock_status_path()) > 12 &&
		 strcmp(cb_lock_status_path() + strlen(cb_lock_status_path()) - 12, "/test.status") == 0);
	pid = holder_start(-1, &go);
	CB_CHECK(pid > 0);
	if (pid <= 0)
		return;
	/* --no-wait */
	CB_CHECK(cb_lock_take(0, "cowbench run x", on_wait) == -EBUSY);
	CB_CHECK(waits_seen == 0);
	cb_lock_holder(holder, sizeof(holder));
	snprintf(want, sizeof(want), "pid %d (cowbench suite test.conf) since ", (int)pid);
	CB_CHECK(strncmp(holder, want, strlen(want)) == 0);
	CB_CHECK(strstr(holder, " UTC (0:0") != NULL);
	CB_CHECK(strstr(holder, ", at [2/5] cow_child/thp/8M ... elapsed 0:01, ETA 0:03") != NULL);
	/* --wait-timeout 0.3: one line naming the holder, then -ETIMEDOUT after the time. */
	t0 = now_s();
	CB_CHECK(cb_lock_take(0.3, "cowbench run x", on_wait) == -ETIMEDOUT);
	took = now_s() - t0;
	CB_CHECK(took >= 0.3 && took < 2.0);
	CB_CHECK(waits_seen == 1);
	CB_CHECK_STR(waited_for, holder);
	close(go);
	waitpid(pid, &status, 0);
	CB_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Free again: taken at once, and no status of the holder left. */
	CB_CHECK(cb_lock_take(0, "cowbench run x", on_wait) == 0);
	cb_lock_holder(holder, sizeof(holder));
	snprintf(want, sizeof(want), "pid %d (cowbench run x) since ", (int)getpid());
	CB_CHECK(strncmp(holder, want, strlen(want)) == 0);
	cb_lock_release();
	CB_CHECK(access(cb_lock_status_path(), F_OK) != 0);
	cb_lock_holder(holder, sizeof(holder));
	CB_CHECK_STR(holder, "");
}

CB_TEST(lock_waiter_gets_it_when_released)
{
	int go, status;
	double t0, took;
	pid_t pid;

	waits_seen = 0;
	pid = holder_start(0.4, &go);
	CB_CHECK(pid > 0);
	if (pid <= 0)
		return;
	t0 = now_s();
	CB_CHECK(cb_lock_take(30, "cowbench run y", on_wait) == 0);
	took = now_s() - t0;
	CB_CHECK(took > 0.1 && took < 10);
	CB_CHECK(waits_seen == 1);
	close(go);
	waitpid(pid, &status, 0);
	cb_lock_release();
}

/* A status file left by a holder that was killed names nobody: the holder is who /proc/locks says. */
CB_TEST(lock_stale_status_ignored)
{
	char holder[768], want[64];
	FILE *f;
	int go, status;
	pid_t pid;

	pid = holder_start(-1, &go);
	CB_CHECK(pid > 0);
	if (pid <= 0)
		return;
	f = fopen(cb_lock_status_path(), "w");
	CB_CHECK(f != NULL);
	if (f) {
		fprintf(f, "pid 1\nsince 1\ncommand cowbench killed\nprogress [9/9] stale\n");
		fclose(f);
	}
	cb_lock_holder(holder, sizeof(holder));
	snprintf(want, sizeof(want), "pid %d (", (int)pid);
	CB_CHECK(strncmp(holder, want, strlen(want)) == 0);
	CB_CHECK(strstr(holder, "stale") == NULL && strstr(holder, "killed") == NULL);
	close(go);
	waitpid(pid, &status, 0);
}

/* Tickets in the queue (the holder's included). */
static int tickets(void)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	while (d && (e = readdir(d)))
		n += strncmp(e->d_name, "test.lock.q.", 12) == 0;
	if (d)
		closedir(d);
	return n;
}

/* First come, first served, also on a busy machine (two spinning processes here): the kernel
 * alone would hand a released flock to whichever woken waiter runs first. */
CB_TEST(lock_first_come_first_served)
{
	enum { NW = 4 };
	pid_t holder, waiters[NW], spin[2];
	int order[2], go, got[NW], n = 0, status;
	char c;

	/* The spinners first: they must hold no end of the pipes below. */
	for (int i = 0; i < 2; i++) {
		spin[i] = fork();
		if (spin[i] == 0)
			for (;;)
				;
	}
	if (pipe(order))
		return;
	holder = holder_start(-1, &go);
	CB_CHECK(holder > 0);
	for (int i = 0; i < NW; i++) {
		waiters[i] = fork();
		if (waiters[i] == 0) {
			close(order[0]);
			close(go);
			if (cb_lock_take(30, "cowbench waiter", NULL))
				_exit(1);
			c = (char)('0' + i);
			if (write(order[1], &c, 1) != 1)
				_exit(1);
			usleep(30 * 1000);
			cb_lock_release();
			_exit(0);
		}
		/* Each in the queue (its ticket there) before the next comes. */
		for (int t = 0; t < 1000 && tickets() < i + 2; t++)
			usleep(10 * 1000);
	}
	close(order[1]);
	close(go);
	while (n < NW && read(order[0], &c, 1) == 1)
		got[n++] = c - '0';
	close(order[0]);
	for (int i = 0; i < 2; i++) {
		kill(spin[i], SIGKILL);
		waitpid(spin[i], &status, 0);
	}
	waitpid(holder, &status, 0);
	for (int i = 0; i < NW; i++)
		waitpid(waiters[i], &status, 0);
	CB_CHECK(n == NW);
	for (int i = 0; i < n; i++)
		CB_CHECK(got[i] == i);
}
