#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "interfere.h"

int cb_interrupts_column_sum(const char *text, int cpu, uint64_t *sum)
{
	const char *line = text, *nl;
	int col = -1, ncols = 0;

	*sum = 0;
	/* Header: "CPU0 CPU1 ..." (offline CPUs have no column: find ours by name). */
	nl = strchr(line, '\n');
	for (const char *p = line; p && (!nl || p < nl); p = strstr(p, "CPU")) {
		if (!strncmp(p, "CPU", 3)) {
			if (atoi(p + 3) == cpu && col < 0)
				col = ncols;
			ncols++;
			p += 3;
		}
	}
	if (col < 0 || !nl)
		return -ENOENT;
	for (line = nl + 1; *line; line = nl + 1) {
		const char *p = strchr(line, ':');
		char *end;

		nl = strchr(line, '\n');
		if (!nl)
			nl = line + strlen(line);
		if (p && p < nl) {
			p++;
			for (int c = 0; c <= col; c++) {
				unsigned long long v = strtoull(p, &end, 10);

				if (end == p || end > nl)
					break;
				if (c == col)
					*sum += v;
				p = end;
			}
		}
		if (!*nl)
			break;
	}
	return 0;
}

static int cb_read_all(const char *path, char **out)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !buf) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return -ENOMEM;
	}
	for (;;) {
		if (len + 1 == cap) {
			char *b = realloc(buf, cap * 2);

			if (!b)
				break;
			buf = b;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	return 0;
}

int cb_kwork_parse_ns(const char *schedstat, const char *stat, long tick_hz, uint64_t *ns)
{
	unsigned long long run, ut, st;
	const char *p;

	if (schedstat)
		return sscanf(schedstat, "%llu", &run) == 1 ? (*ns = run, 0) : -EINVAL;
	/* "pid (comm) state ppid ...": utime and stime are fields 14 and 15, the 12th and 13th after
	 * the comm's closing parenthesis. */
	p = stat ? strrchr(stat, ')') : NULL;
	if (!p || tick_hz <= 0 ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -EINVAL;
	*ns = (ut + st) * (1000000000ull / (unsigned long long)tick_hz);
	return 0;
}

/* Background kernel threads by comm: one kcompactd and kswapd per node, one khugepaged. */
static bool cb_kwork_comm(const char *comm)
{
	static const char *const prefix[] = { "kcompactd", "kswapd" };

	if (!strcmp(comm, "khugepaged"))
		return true;
	/* DAMON's monitor (kdamond.N): its access checks hold page references. */
	if (!strncmp(comm, "kdamond.", 8) && isdigit((unsigned char)comm[8]))
		return true;
	for (size_t i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++) {
		size_t n = strlen(prefix[i]);

		if (!strncmp(comm, prefix[i], n) && isdigit((unsigned char)comm[n]))
			return true;
	}
	return false;
}

static char *cb_kwork_file(pid_t pid, const char *name, char *buf, size_t len)
{
	char path[64];
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	r = read(fd, buf, len - 1);
	close(fd);
	if (r <= 0)
		return NULL;
	buf[r] = '\0';
	return buf;
}

/* The threads, found at the first look of a process or by cb_kwork_rescan (a worker forked
 * after it inherits the list). */
static struct {
	bool found;
	int n;
	pid_t pid[CB_KWORK_MAX];
	char comm[CB_KWORK_MAX][16];
} cb_kwork_threads;

void cb_kwork_rescan(void)
{
	/* A test's stand-in for a kernel thread: a process it made busy, watched like one. */
	const char *test = getenv("COWBENCH_TEST_KWORK");
	DIR *d;
	struct dirent *de;

	cb_kwork_threads.found = true;
	cb_kwork_threads.n = 0;
	d = opendir("/proc");
	while (d && (de = readdir(d)) && cb_kwork_threads.n < CB_KWORK_MAX) {
		char buf[512], comm[32], *p;
		int ppid;
		pid_t pid = (pid_t)atoi(de->d_name);

		if (pid <= 0 || !cb_kwork_file(pid, "stat", buf, sizeof(buf)) || !cb_kwork_file(pid, "comm", comm, sizeof(comm)))
			continue;
		comm[strcspn(comm, "\n")] = '\0';
		if (!(test && *test && !strcmp(comm, test))) {
			/* kthreadd's children only: a user process may take any comm. */
			p = strrchr(buf, ')');
			if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1 || ppid != 2 || !cb_kwork_comm(comm))
				continue;
		}
		cb_kwork_threads.pid[cb_kwork_threads.n] = pid;
		snprintf(cb_kwork_threads.comm[cb_kwork_threads.n], sizeof(cb_kwork_threads.comm[0]), "%.15s", comm);
		cb_kwork_threads.n++;
	}
	if (d)
		closedir(d);
}

void cb_kwork_snap(struct cb_kwork *s)
{
	long hz = sysconf(_SC_CLK_TCK);

	memset(s, 0, sizeof(*s));
	if (!cb_kwork_threads.found)
		cb_kwork_rescan();
	s->read = true;
	s->n = cb_kwork_threads.n;
	for (int i = 0; i < s->n; i++) {
		char ss[128], st[512];
		const char *sched = cb_kwork_file(cb_kwork_threads.pid[i], "schedstat", ss, sizeof(ss));

		memcpy(s->t[i].comm, cb_kwork_threads.comm[i], sizeof(s->t[i].comm));
		s->t[i].ok = cb_kwork_parse_ns(sched, sched ? NULL : cb_kwork_file(cb_kwork_threads.pid[i], "stat", st, sizeof(st)),
					       hz, &s->t[i].ns) == 0;
	}
}

void cb_kwork_delta(const struct cb_kwork *a, const struct cb_kwork *b, struct cb_kwork *d)
{
	memset(d, 0, sizeof(*d));
	d->read = a->read && b->read && a->n == b->n;
	if (!d->read)
		return;
	d->n = b->n;
	for (int i = 0; i < d->n; i++) {
		memcpy(d->t[i].comm, b->t[i].comm, sizeof(d->t[i].comm));
		d->t[i].ok = a->t[i].ok && b->t[i].ok && b->t[i].ns >= a->t[i].ns;
		d->t[i].ns = d->t[i].ok ? b->t[i].ns - a->t[i].ns : 0;
	}
}

bool cb_kwork_excessive(const struct cb_kwork *d, uint64_t loop_ns, char *why, size_t len)
{
	size_t off = 0;
	bool any = false;

	for (int i = 0; d->read && i < d->n; i++) {
		/* A millisecond that is a sliver of a long loop (a TCG guest's 6 s loops: kcompactd 1.2 ms)
		 * competes for nothing the loop measures. DAMON's monitor is never idle (a 2 ms burst
		 * every 0.5 s sampling interval here): a tenth of the loop, not a hundredth, or no long
		 * loop would ever pass. */
		uint64_t share = strncmp(d->t[i].comm, "kdamond", 7) ? CB_KWORK_DISTURB_SHARE : CB_KWORK_DISTURB_SHARE_DAMON;

		if (!d->t[i].ok || d->t[i].ns < CB_KWORK_DISTURB_NS || d->t[i].ns * share < loop_ns)
			continue;
		if (off < len)
			off += (size_t)snprintf(why + off, len - off, "%s%s ran %.1f ms", any ? ", " : "background kernel work: ",
						d->t[i].comm, (double)d->t[i].ns / 1e6);
		any = true;
	}
	if (any && off < len)
		snprintf(why + off, len - off, " around the %.1f ms loop", (double)loop_ns / 1e6);
	return any;
}

bool cb_kwork_ran(const struct cb_kwork *d, char *why, size_t len)
{
	size_t off = 0;
	bool any = false;

	for (int i = 0; d->read && i < d->n; i++) {
		/* khugepaged is woken by the measured process itself (its first THP-eligible VMA
		 * registers the mm), and its scan holds no page reference; a collapse it makes moves
		 * the pages, which the counting pass sees (cow.moved). */
		if (!d->t[i].ok || !d->t[i].ns || !strcmp(d->t[i].comm, "khugepaged"))
			continue;
		if (off < len)
			off += (size_t)snprintf(why + off, len - off, "%s%s ran %.3f ms", any ? ", " : "",
						d->t[i].comm, (double)d->t[i].ns / 1e6);
		any = true;
	}
	if (any && off < len)
		snprintf(why + off, len - off, " during a measured loop (it holds page references: a reuse can become a copy)");
	return any;
}

void cb_interfere_snap(int cpu, struct cb_interfere *s)
{
	struct rusage ru;
	char line[256], *text = NULL;
	FILE *f;

	memset(s, 0, sizeof(*s));
	cb_kwork_snap(&s->kwork);
	if (!getrusage(RUSAGE_THREAD, &ru)) {
		s->csw = (uint64_t)ru.ru_nivcsw;
		s->vcsw = (uint64_t)ru.ru_nvcsw;
		s->csw_ok = true;
	}
	f = fopen("/proc/thread-self/sched", "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			unsigned long long v;

			if (sscanf(line, "se.nr_migrations : %llu", &v) == 1) {
				s->migrations = v;
				s->migrations_ok = true;
			}
		}
		fclose(f);
	}
	f = fopen("/proc/thread-self/schedstat", "re");
	if (f) {
		unsigned long long run, delay;

		if (fscanf(f, "%llu %llu", &run, &delay) == 2) {
			s->run_delay_ns = delay;
			s->run_delay_ok = true;
		}
		fclose(f);
	}
	if (cpu >= 0 && !cb_read_all("/proc/interrupts", &text)) {
		s->irqs_ok = cb_interrupts_column_sum(text, cpu, &s->irqs) == 0;
		free(text);
	}
}

void cb_interfere_delta(const struct cb_interfere *a, const struct cb_interfere *b, struct cb_interfere *d)
{
	memset(d, 0, sizeof(*d));
	d->csw_ok = a->csw_ok && b->csw_ok && b->csw >= a->csw;
	d->csw = d->csw_ok ? b->csw - a->csw : 0;
	d->vcsw = d->csw_ok && b->vcsw >= a->vcsw ? b->vcsw - a->vcsw : 0;
	d->migrations_ok = a->migrations_ok && b->migrations_ok && b->migrations >= a->migrations;
	d->migrations = d->migrations_ok ? b->migrations - a->migrations : 0;
	d->run_delay_ok = a->run_delay_ok && b->run_delay_ok && b->run_delay_ns >= a->run_delay_ns;
	d->run_delay_ns = d->run_delay_ok ? b->run_delay_ns - a->run_delay_ns : 0;
	d->irqs_ok = a->irqs_ok && b->irqs_ok && b->irqs >= a->irqs;
	d->irqs = d->irqs_ok ? b->irqs - a->irqs : 0;
	cb_kwork_delta(&a->kwork, &b->kwork, &d->kwork);
}

bool cb_interfere_excessive(const struct cb_interfere *d, uint64_t loop_ns, char *why, size_t len)
{
	double ms = (double)loop_ns / 1e6;

	/* First: it names the cause where a thread that took the CPU also made the task wait. */
	if (cb_kwork_excessive(&d->kwork, loop_ns, why, len))
		return true;
	if (d->migrations_ok && d->migrations) {
		snprintf(why, len, "CPU migrations %" PRIu64 " of the pinned task", d->migrations);
		return true;
	}
	if (d->run_delay_ok && (double)d->run_delay_ns > 0.2 * (double)loop_ns) {
		snprintf(why, len, "off CPU %.0f %% of %.1f ms (%" PRIu64 " preemptions)",
			 100.0 * (double)d->run_delay_ns / (double)(loop_ns ? loop_ns : 1), ms, d->csw);
		return true;
	}
	if (d->irqs_ok && (double)d->irqs > 100 + 5 * ms) {
		snprintf(why, len, "interrupts on the CPU %" PRIu64 " in %.1f ms", d->irqs, ms);
		return true;
	}
	return false;
}
