#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cb.h"
#include "hist.h"
#include "hyperfine.h"

/* A time member in seconds, as ns; NaN when absent or null (hyperfine writes null for the stddev of one run). */
static double cb_hf_ns(json_object *o, const char *key, bool *bad)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return NAN;
	if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int)) {
		*bad = true;
		return NAN;
	}
	return json_object_get_double(v) * 1e9;
}

int cb_hyperfine_parse(json_object *doc, struct cb_hyperfine *hf, char *why, size_t len)
{
	json_object *results, *r, *times, *codes = NULL;
	bool bad = false;
	size_t n;

	memset(hf, 0, sizeof(*hf));
	if (!json_object_is_type(doc, json_type_object) || !json_object_object_get_ex(doc, "results", &results) ||
	    !json_object_is_type(results, json_type_array) || json_object_array_length(results) < 1) {
		snprintf(why, len, "no \"results\" array with a benchmark");
		return -EINVAL;
	}
	r = json_object_array_get_idx(results, 0);
	if (!json_object_is_type(r, json_type_object) || !json_object_object_get_ex(r, "times", &times) ||
	    !json_object_is_type(times, json_type_array) || json_object_array_length(times) < 1) {
		snprintf(why, len, "results[0] has no \"times\" array with a run");
		return -EINVAL;
	}
	n = json_object_array_length(times);
	/* exit_codes arrived in hyperfine 1.12; older exports only lack the check. */
	if (json_object_object_get_ex(r, "exit_codes", &codes) && codes &&
	    (!json_object_is_type(codes, json_type_array) || json_object_array_length(codes) != n)) {
		snprintf(why, len, "results[0].exit_codes does not match the %zu times", n);
		return -EINVAL;
	}
	hf->times_ns = calloc(n, sizeof(*hf->times_ns));
	if (!hf->times_ns) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *t = json_object_array_get_idx(times, i), *c = codes ? json_object_array_get_idx(codes, i) : NULL;
		double v = json_object_get_double(t);

		if (!(json_object_is_type(t, json_type_double) || json_object_is_type(t, json_type_int)) || !isfinite(v) ||
		    v < 0) {
			snprintf(why, len, "results[0].times[%zu] is not a time in seconds", i);
			goto free_times;
		}
		hf->times_ns[i] = v * 1e9;
		if (codes && !hf->bad_run && (!c || json_object_get_int(c) != 0)) {
			hf->bad_run = (int)i + 1;
			/* null: the command did not exit, a signal ended it */
			hf->bad_code = c ? json_object_get_int(c) : -1;
		}
	}
	hf->n = n;
	hf->mean_ns = cb_hf_ns(r, "mean", &bad);
	hf->stddev_ns = cb_hf_ns(r, "stddev", &bad);
	hf->median_ns = cb_hf_ns(r, "median", &bad);
	hf->min_ns = cb_hf_ns(r, "min", &bad);
	hf->max_ns = cb_hf_ns(r, "max", &bad);
	hf->user_ns = cb_hf_ns(r, "user", &bad);
	hf->system_ns = cb_hf_ns(r, "system", &bad);
	if (bad || isnan(hf->mean_ns) || isnan(hf->min_ns) || isnan(hf->max_ns)) {
		snprintf(why, len, "results[0]: mean, min and max must be numbers (and the rest numbers or null)");
		goto free_times;
	}
	return 0;
free_times:
	cb_hyperfine_free(hf);
	return -EINVAL;
}

int cb_hyperfine_load(const char *path, struct cb_hyperfine *hf, char *why, size_t len)
{
	json_object *doc = json_object_from_file(path);
	char inner[200];
	int ret;

	if (!doc) {
		snprintf(why, len, "%s: %s", path, json_util_get_last_err());
		memset(hf, 0, sizeof(*hf));
		return -EINVAL;
	}
	ret = cb_hyperfine_parse(doc, hf, inner, sizeof(inner));
	if (ret)
		snprintf(why, len, "%s: %s", path, inner);
	json_object_put(doc);
	return ret;
}

void cb_hyperfine_free(struct cb_hyperfine *hf)
{
	free(hf->times_ns);
	memset(hf, 0, sizeof(*hf));
}

int cb_hyperfine_find(char *path, size_t len)
{
	const char *p = getenv("PATH");

	for (p = p ? p : "/usr/local/bin:/usr/bin:/bin"; *p;) {
		size_t dl = strcspn(p, ":");
		struct stat st;

		/* An empty PATH entry means the current directory. */
		snprintf(path, len, "%.*s%shyperfine", (int)dl, dl ? p : ".", "/");
		if (!stat(path, &st) && S_ISREG(st.st_mode) && !access(path, X_OK))
			return 0;
		p += dl + (p[dl] == ':');
	}
	return -ENOENT;
}

/* Last non-empty line of what fd holds (the command's stderr), for a reason. */
static void cb_last_line(int fd, char *msg, size_t len)
{
	char buf[2048];
	off_t end = lseek(fd, 0, SEEK_END);
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, end > (off_t)sizeof(buf) - 1 ? end - (off_t)sizeof(buf) + 1 : 0);
	char *line;

	msg[0] = '\0';
	if (n <= 0)
		return;
	buf[n] = '\0';
	while (n > 0 && strchr("\r\n\t ", buf[n - 1]))
		buf[--n] = '\0';
	line = strrchr(buf, '\n');
	snprintf(msg, len, "%s", line ? line + 1 : buf);
}

int cb_command_run(char *const argv[], int cpu, int *status, char *msg, size_t len)
{
	sigset_t all, old;
	int errfd, ret = 0;
	pid_t pid;

	msg[0] = '\0';
	errfd = memfd_create("cowbench-stderr", MFD_CLOEXEC);
	if (errfd < 0)
		return -errno;
	/* Signals stay blocked until the child has dropped our handlers: a SIGINT in between must
	 * not run the settings restore in a copy of this process. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		for (int s = 1; s < NSIG; s++) {
			struct sigaction sa;

			if (!sigaction(s, NULL, &sa) && sa.sa_handler != SIG_IGN && sa.sa_handler != SIG_DFL) {
				sa.sa_handler = SIG_DFL;
				sa.sa_flags = 0;
				sigaction(s, &sa, NULL);
			}
		}
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (cpu >= 0) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			sched_setaffinity(0, sizeof(set), &set);
		}
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(errfd, 2) < 0)
			_exit(127);
		execv(argv[0], argv);
		dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (pid < 0)
		ret = -errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	while (!ret && waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			ret = -errno;
	if (!ret)
		cb_last_line(errfd, msg, len);
	close(errfd);
	return ret;
}

/* One word for hyperfine's shell-style splitting (--shell=none): single-quoted when needed. */
static size_t cb_hf_quote(const char *w, char *buf, size_t len)
{
	size_t off = 0;

	if (w[0] && strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-./:=+,@%") == strlen(w))
		return (size_t)snprintf(buf, len, "%s", w);
	off += (size_t)snprintf(buf + off, len > off ? len - off : 0, "'");
	for (const char *c = w; *c; c++)
		off += (size_t)snprintf(buf + off, len > off ? len - off : 0, *c == '\'' ? "'\\''" : "%c", *c);
	off += (size_t)snprintf(buf + off, len > off ? len - off : 0, "'");
	return off;
}

int cb_hyperfine_run(char *const cmd[], int runs, int warmup, int cpu, struct cb_hyperfine *hf, char *why,
		     size_t len)
{
	char exe[4096], line[8192], dir[] = "/tmp/cowbench-hf.XXXXXX", json[64], nruns[16], nwarm[16], msg[200];
	char *argv[] = { exe, "--runs", nruns, "--warmup", nwarm, "--export-json", json, "--shell=none",
			 "--ignore-failure", "--style", "none", "--", line, NULL };
	size_t off = 0;
	int ret, status;

	memset(hf, 0, sizeof(*hf));
	if (cb_hyperfine_find(exe, sizeof(exe)))
		return -ENOENT;
	for (int i = 0; cmd[i]; i++) {
		off += i ? (size_t)snprintf(line + off, sizeof(line) - off, " ") : 0;
		off += cb_hf_quote(cmd[i], line + off, sizeof(line) - off);
		if (off >= sizeof(line)) {
			snprintf(why, len, "command line too long for hyperfine");
			return -E2BIG;
		}
	}
	snprintf(nruns, sizeof(nruns), "%d", runs);
	snprintf(nwarm, sizeof(nwarm), "%d", warmup);
	if (!mkdtemp(dir)) {
		ret = -errno;
		snprintf(why, len, "mkdtemp %s: %s", dir, strerror(-ret));
		return ret;
	}
	snprintf(json, sizeof(json), "%s/hf.json", dir);
	ret = cb_command_run(argv, cpu, &status, msg, sizeof(msg));
	if (ret) {
		snprintf(why, len, "running %s: %s", exe, strerror(-ret));
		goto remove_dir;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		ret = -EIO;
		if (WIFSIGNALED(status))
			snprintf(why, len, "hyperfine killed by signal %d", WTERMSIG(status));
		else
			snprintf(why, len, "hyperfine exited %d: %s", WEXITSTATUS(status), msg);
		goto remove_json;
	}
	ret = cb_hyperfine_load(json, hf, why, len);
remove_json:
	unlink(json);
remove_dir:
	rmdir(dir);
	return ret;
}

static void cb_hf_extra(struct cb_pass_result *res, const char *name, double v)
{
	/* JSON has no NaN: what hyperfine left null stays out. */
	if (isnan(v) || res->nextra == CB_EXTRA_MAX)
		return;
	snprintf(res->extra[res->nextra].name, sizeof(res->extra[0].name), "%s", name);
	res->extra[res->nextra++].value = v;
}

void cb_hyperfine_pass(const struct cb_hyperfine *hf, size_t i, size_t pages, struct cb_pass_result *res)
{
	memset(res, 0, sizeof(*res));
	cb_hist_init(&res->hist);
	res->status = CB_OK;
	res->measured = true;
	res->pages = pages;
	res->loop_ns = (uint64_t)llround(hf->times_ns[i]);
	cb_hist_add(&res->hist, res->loop_ns);
	/* hyperfine's summary describes the instance, not this run: it is stored once, in the first
	 * run's record, so that nothing reads its copies as independent samples. */
	if (i)
		return;
	cb_hf_extra(res, "hyperfine_mean_ns", hf->mean_ns);
	cb_hf_extra(res, "hyperfine_stddev_ns", hf->stddev_ns);
	cb_hf_extra(res, "hyperfine_median_ns", hf->median_ns);
	cb_hf_extra(res, "hyperfine_min_ns", hf->min_ns);
	cb_hf_extra(res, "hyperfine_max_ns", hf->max_ns);
	cb_hf_extra(res, "hyperfine_user_ns", hf->user_ns);
	cb_hf_extra(res, "hyperfine_system_ns", hf->system_ns);
}
