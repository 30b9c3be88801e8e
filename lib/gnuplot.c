/* Running gnuplot: the scripts' directory, and every plot rendered as SVG and PNG by a few
 * gnuplot processes at a time. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cb.h"
#include "render.h"

/* The plots/ directory: $COWBENCH_PLOTS, else next to the binary (build/../plots), else ./plots. */
void cb_plots_dir(char buf[PATH_MAX])
{
	const char *env = getenv("COWBENCH_PLOTS");
	char exe[PATH_MAX], probe[PATH_MAX + 32];
	ssize_t n;

	if (env && *env) {
		if (!realpath(env, buf))
			snprintf(buf, PATH_MAX, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		*strrchr(exe, '/') = '\0';
		snprintf(probe, sizeof(probe), "%s/../plots", exe);
		if (realpath(probe, buf))
			return;
	}
	if (!realpath("plots", buf))
		snprintf(buf, PATH_MAX, "plots");
}

bool cb_in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char probe[PATH_MAX];

	while (path && *path) {
		size_t len = strcspn(path, ":");

		snprintf(probe, sizeof(probe), "%.*s/%s", (int)len, len ? path : ".", prog);
		if (access(probe, X_OK) == 0)
			return true;
		path += len + (path[len] == ':');
	}
	return false;
}

/* A gnuplot run: its stderr goes to an unnamed file, read back only when it fails. */
struct cb_gnuplot_job {
	pid_t pid;
	FILE *err;
	char what[PATH_MAX + 256];
};

#define CB_GNUPLOT_JOBS 8

/* gnuplot -e "in='B.tsv'; out='B.EXT'; term='T'" SCRIPT, in dir. */
static int cb_gnuplot_spawn(struct cb_gnuplot_job *job, const char *script, const char *dir, const char *base,
			    const char *term, const char *ext)
{
	char expr[600];
	int ret;

	snprintf(expr, sizeof(expr), "in='%s.tsv'; out='%s.%s'; term='%s'", base, base, ext, term);
	snprintf(job->what, sizeof(job->what), "gnuplot %s for %s/%s.%s", script, dir, base, ext);
	job->err = tmpfile();
	if (!job->err)
		return -errno;
	job->pid = fork();
	if (job->pid < 0) {
		ret = -errno;
		fclose(job->err);
		return ret;
	}
	if (job->pid == 0) {
		if (chdir(dir) || dup2(fileno(job->err), STDERR_FILENO) < 0)
			_exit(126);
		execlp("gnuplot", "gnuplot", "-e", expr, script, (char *)NULL);
		_exit(127);
	}
	return 0;
}

static int cb_gnuplot_reap(struct cb_gnuplot_job *job, char *err, size_t errlen)
{
	char msg[1024] = "", *line;
	size_t got;
	int status, ret = 0;

	while (waitpid(job->pid, &status, 0) < 0) {
		if (errno != EINTR) {
			ret = -errno;
			snprintf(err, errlen, "%s: waitpid: %s", job->what, strerror(errno));
			goto close_err;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		goto close_err;
	/* gnuplot ends with "FILE" line N: message, after the offending line and a caret. */
	if (fseek(job->err, 0, SEEK_END) == 0 && ftell(job->err) > (long)sizeof(msg) - 1)
		fseek(job->err, 1 - (long)sizeof(msg), SEEK_END);
	else
		rewind(job->err);
	got = fread(msg, 1, sizeof(msg) - 1, job->err);
	while (got && (msg[got - 1] == '\n' || msg[got - 1] == ' '))
		got--;
	msg[got] = '\0';
	line = strrchr(msg, '\n');
	line = line ? line + 1 : msg;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		line = "could not run gnuplot";
	snprintf(err, errlen, "%s failed (%s %d): %s", job->what, WIFEXITED(status) ? "exit status" : "signal",
		 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), line[0] ? line : "no message");
	ret = -EIO;
close_err:
	fclose(job->err);
	return ret;
}

/* Every plot as SVG and PNG, a few gnuplot processes at a time; the first failure is reported. */
int cb_gnuplot_all(const struct cb_plot_list *pl, const char *pdir, const char *dir, char *err, size_t errlen)
{
	struct cb_gnuplot_job jobs[CB_GNUPLOT_JOBS];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t max = ncpu < 1 ? 1 : ncpu > CB_GNUPLOT_JOBS ? CB_GNUPLOT_JOBS : (size_t)ncpu;
	size_t next = 0, head = 0, tail = 0;
	char script[PATH_MAX + 32], msg[1024];
	int ret = 0, r;

	while (tail < head || (next < 2 * pl->n && !ret)) {
		if (next < 2 * pl->n && !ret && head - tail < max) {
			const struct cb_plot *p = &pl->v[next / 2];
			bool svg = next++ % 2 == 0;

			snprintf(script, sizeof(script), "%s/%s.gp", pdir, p->kind);
			r = cb_gnuplot_spawn(&jobs[head % CB_GNUPLOT_JOBS], script, dir, p->base,
					     svg ? "svg" : "pngcairo", svg ? "svg" : "png");
			if (r) {
				ret = r;
				snprintf(err, errlen, "gnuplot for %s/%s: %s", dir, p->base, strerror(-r));
			} else {
				head++;
			}
			continue;
		}
		r = cb_gnuplot_reap(&jobs[tail++ % CB_GNUPLOT_JOBS], msg, sizeof(msg));
		if (r && !ret) {
			ret = r;
			snprintf(err, errlen, "%s", msg);
		}
	}
	return ret;
}

