#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "lock.h"

#define CB_LOCK_PATH_MAX 512

static int lock_fd = -1;
static int ticket_fd = -1;
static char ticket_path[CB_LOCK_PATH_MAX + 48];
static pid_t lock_owner;
static time_t lock_since;
static char lock_command[256];
static char lock_path[CB_LOCK_PATH_MAX];
static char status_path[CB_LOCK_PATH_MAX + 8];
static volatile sig_atomic_t wait_expired;

const char *cb_lock_path(void)
{
	const char *env = getenv("COWBENCH_LOCK");

	if (!lock_path[0])
		snprintf(lock_path, sizeof(lock_path), "%s", env && *env ? env : "/run/cowbench.lock");
	return lock_path;
}

const char *cb_lock_status_path(void)
{
	const char *p = cb_lock_path();
	size_t n = strlen(p);

	if (!status_path[0]) {
		if (n > 5 && strcmp(p + n - 5, ".lock") == 0)
			n -= 5;
		snprintf(status_path, sizeof(status_path), "%.*s.status", (int)n, p);
	}
	return status_path;
}

/* Replaced whole (rename), so that a waiter never reads half a line. */
static void cb_lock_status_write(const char *progress)
{
	char tmp[CB_LOCK_PATH_MAX + 32];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.%d", cb_lock_status_path(), (int)getpid());
	f = fopen(tmp, "we");
	if (!f)
		return;
	fprintf(f, "pid %d\nsince %lld\ncommand %s\nprogress %s\n", (int)lock_owner, (long long)lock_since,
		lock_command, progress ? progress : "");
	if (fclose(f) || rename(tmp, cb_lock_status_path()))
		unlink(tmp);
}

void cb_lock_progress(const char *line)
{
	if (lock_fd >= 0 && getpid() == lock_owner)
		cb_lock_status_write(line);
}

static void cb_lock_ticket_drop(void)
{
	if (ticket_fd < 0)
		return;
	unlink(ticket_path);
	close(ticket_fd);
	ticket_fd = -1;
}

void cb_lock_release(void)
{
	if (lock_fd < 0 || getpid() != lock_owner)
		return;
	unlink(cb_lock_status_path());
	close(lock_fd);
	lock_fd = -1;
	cb_lock_ticket_drop();
}

static void cb_lock_at_exit(void)
{
	cb_lock_release();
}

static void cb_lock_on_alarm(int sig)
{
	(void)sig;
	wait_expired = 1;
}

/* The pid holding an exclusive flock on the lock file, from /proc/locks; 0 when none is seen. */
static pid_t cb_lock_holder_pid(void)
{
	char line[256];
	struct stat st;
	pid_t pid = 0;
	FILE *f;

	if (stat(cb_lock_path(), &st))
		return 0;
	f = fopen("/proc/locks", "re");
	if (!f)
		return 0;
	/* "1: FLOCK  ADVISORY  WRITE 1234 00:1a:5678 0 EOF"; a waiter's line has "->" after the id. */
	while (!pid && fgets(line, sizeof(line), f)) {
		unsigned int maj, min;
		unsigned long long ino;
		char type[16], mode[16], rw[16];
		int p;

		if (strstr(line, "->"))
			continue;
		if (sscanf(line, "%*d: %15s %15s %15s %d %x:%x:%llu", type, mode, rw, &p, &maj, &min, &ino) != 7)
			continue;
		if (strcmp(type, "FLOCK") == 0 && ino == (unsigned long long)st.st_ino && maj == major(st.st_dev) &&
		    min == minor(st.st_dev))
			pid = p;
	}
	fclose(f);
	return pid;
}

/* The process's command line with its program's directory left out, NULs as spaces. */
static void cb_lock_cmdline(pid_t pid, char *buf, size_t len)
{
	char path[64], raw[512];
	const char *start = raw, *slash;
	ssize_t n = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, raw, sizeof(raw) - 1);
		close(fd);
	}
	if (n <= 0) {
		snprintf(buf, len, "?");
		return;
	}
	raw[n] = '\0';
	slash = strrchr(raw, '/');
	if (slash)
		start = slash + 1;
	for (ssize_t i = 0; i < n - 1; i++)
		if (!raw[i])
			raw[i] = ' ';
	snprintf(buf, len, "%.*s", (int)(len ? len - 1 : 0), start);
}

/* When the process started (seconds since the epoch), from /proc/PID/stat and /proc/stat's btime. */
static time_t cb_lock_proc_start(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ticks = 0, btime = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	/* Field 22 (starttime); field 3 follows the ')' that ends the command name. */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
			 &ticks) != 1)
		return 0;
	f = fopen("/proc/stat", "re");
	if (!f)
		return 0;
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "btime %llu", &btime) == 1)
			break;
	fclose(f);
	return btime ? (time_t)(btime + ticks / (unsigned long long)sysconf(_SC_CLK_TCK)) : 0;
}

void cb_lock_holder(char *buf, size_t len)
{
	char line[512], cmd[256] = "", progress[256] = "", when[32] = "?", ago[32] = "";
	long long since = 0;
	int spid = 0;
	pid_t pid = 0;
	FILE *f;

	/* The holder writes its status right after it got the lock: give it a moment. */
	for (int i = 0; i < 20 && !pid; i++) {
		pid = cb_lock_holder_pid();
		if (!pid)
			usleep(50 * 1000);
	}
	if (!pid) {
		snprintf(buf, len, "%s", "");
		return;
	}
	f = fopen(cb_lock_status_path(), "re");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "pid %d", &spid) == 1 || sscanf(line, "since %lld", &since) == 1)
			continue;
		if (strncmp(line, "command ", 8) == 0)
			snprintf(cmd, sizeof(cmd), "%.255s", line + 8);
		else if (strncmp(line, "progress ", 9) == 0)
			snprintf(progress, sizeof(progress), "%.255s", line + 9);
	}
	if (f)
		fclose(f);
	/* A status left by an earlier holder that was killed describes someone else. */
	if (spid != pid) {
		cmd[0] = progress[0] = '\0';
		since = cb_lock_proc_start(pid);
	}
	if (!cmd[0])
		cb_lock_cmdline(pid, cmd, sizeof(cmd));
	if (since > 0) {
		time_t t = (time_t)since;
		long d = (long)(time(NULL) - t);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		if (d >= 0)
			snprintf(ago, sizeof(ago), " (%ld:%02ld ago)", d / 60, d % 60);
	}
	snprintf(buf, len, "pid %d (%s) since %s%s%s%s", (int)pid, cmd, when, ago, progress[0] ? ", at " : "",
		 progress);
}

/*
 * First come, first served. The kernel wakes every waiter of a released flock and the first to
 * run takes it: on a loaded machine a later waiter often does. So each run takes a ticket first,
 * a file "<lock>.q.<arrival ns>.<pid>" beside the lock, locked by it until it releases the lock
 * (or dies), and waits for every older live ticket to go before it asks for the lock.
 */
static int cb_lock_ticket_take(void)
{
	char tmp[CB_LOCK_PATH_MAX + 32];
	struct timespec ts;
	int fd;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(ticket_path, sizeof(ticket_path), "%s.q.%020llu.%010d", cb_lock_path(),
		 (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec, (int)getpid());
	snprintf(tmp, sizeof(tmp), "%s.t.%d", cb_lock_path(), (int)getpid());
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	/* Locked before it appears under its queue name: an unlocked ticket is a dead one. */
	if (flock(fd, LOCK_EX) || rename(tmp, ticket_path)) {
		int ret = -errno;

		unlink(tmp);
		close(fd);
		return ret;
	}
	ticket_fd = fd;
	return 0;
}

/* The youngest ticket older than ours, into out; false when there is none. */
static bool cb_lock_ticket_before(char *out, size_t len)
{
	const char *lock = cb_lock_path(), *slash = strrchr(lock, '/'), *mine = strrchr(ticket_path, '/');
	char dir[CB_LOCK_PATH_MAX], prefix[CB_LOCK_PATH_MAX + 8], best[256] = "";
	struct dirent *e;
	DIR *d;

	mine = mine ? mine + 1 : ticket_path;
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - lock) : 1, slash ? lock : ".");
	if (!dir[0])
		snprintf(dir, sizeof(dir), "/");
	snprintf(prefix, sizeof(prefix), "%s.q.", slash ? slash + 1 : lock);
	d = opendir(dir);
	if (!d)
		return false;
	while ((e = readdir(d)))
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && strlen(e->d_name) == strlen(mine) &&
		    strcmp(e->d_name, mine) < 0 && strcmp(e->d_name, best) > 0)
			snprintf(best, sizeof(best), "%.255s", e->d_name);
	closedir(d);
	if (!best[0])
		return false;
	snprintf(out, len, "%s/%s", dir, best);
	return true;
}

/* Waits until no older ticket is live (block), or says whether one is. Returns 0, -EBUSY (one
 * is, !block), -EINTR (the wait's time ran out) or -errno. */
static int cb_lock_queue_wait(bool block)
{
	char older[CB_LOCK_PATH_MAX + 300];

	while (cb_lock_ticket_before(older, sizeof(older))) {
		int fd = open(older, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		while (flock(fd, LOCK_SH | (block ? 0 : LOCK_NB))) {
			int ret = errno == EWOULDBLOCK ? -EBUSY : -errno;

			if (ret == -EINTR && !wait_expired)
				continue;
			close(fd);
			return ret;
		}
		/* Its run is over (or it died holding it): the ticket goes. */
		unlink(older);
		close(fd);
	}
	return 0;
}

int cb_lock_take(double wait_s, const char *command, void (*on_wait)(const char *holder))
{
	struct sigaction sa = { .sa_handler = cb_lock_on_alarm }, old_sa;
	struct itimerval tv = { 0 }, old_tv;
	static bool atexit_done;
	char holder[768];
	int fd, ret = 0;

	if (lock_fd >= 0)
		return 0;
	fd = open(cb_lock_path(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	ret = cb_lock_ticket_take();
	if (ret)
		goto close_fd;
	ret = cb_lock_queue_wait(false);
	if (!ret) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			goto held;
		ret = errno == EWOULDBLOCK ? -EBUSY : -errno;
	}
	if (ret != -EBUSY)
		goto close_fd;
	if (wait_s == 0) {
		ret = -EBUSY;
		goto close_fd;
	}
	if (on_wait) {
		cb_lock_holder(holder, sizeof(holder));
		on_wait(holder);
	}
	wait_expired = 0;
	if (wait_s > 0) {
		/* No SA_RESTART: the alarm ends a blocking flock with EINTR. It repeats, in case it
		 * fired before flock went to sleep. */
		sigemptyset(&sa.sa_mask);
		sigaction(SIGALRM, &sa, &old_sa);
		tv.it_value.tv_sec = (time_t)wait_s;
		tv.it_value.tv_usec = (suseconds_t)((wait_s - (double)(time_t)wait_s) * 1e6);
		if (!tv.it_value.tv_sec && !tv.it_value.tv_usec)
			tv.it_value.tv_usec = 1;
		tv.it_interval.tv_usec = 100 * 1000;
		setitimer(ITIMER_REAL, &tv, &old_tv);
	}
	ret = cb_lock_queue_wait(true);
	while (!ret && !wait_expired && flock(fd, LOCK_EX)) {
		if (errno != EINTR)
			ret = -errno;
	}
	if (wait_s > 0) {
		setitimer(ITIMER_REAL, &old_tv, NULL);
		sigaction(SIGALRM, &old_sa, NULL);
	}
	/* Out of time in the queue; or at the lock, maybe just as it got it: then it is its. */
	if (ret == -EINTR && wait_expired)
		ret = -ETIMEDOUT;
	else if (!ret && wait_expired)
		ret = flock(fd, LOCK_EX | LOCK_NB) ? -ETIMEDOUT : 0;
	if (ret)
		goto close_fd;
held:
	lock_fd = fd;
	lock_owner = getpid();
	lock_since = time(NULL);
	snprintf(lock_command, sizeof(lock_command), "%s", command);
	cb_lock_status_write("");
	if (!atexit_done) {
		atexit_done = true;
		atexit(cb_lock_at_exit);
	}
	return 0;
close_fd:
	cb_lock_ticket_drop();
	close(fd);
	return ret;
}
