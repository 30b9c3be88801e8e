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

void cb_interfere_snap(int cpu, struct cb_interfere *s)
{
	struct rusage ru;
	char line[256], *text = NULL;
	FILE *f;

	memset(s, 0, sizeof(*s));
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
}

bool cb_interfere_excessive(const struct cb_interfere *d, uint64_t loop_ns, char *why, size_t len)
{
	double ms = (double)loop_ns / 1e6;

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
