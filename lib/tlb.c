#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include "cb.h"
#include "opts.h"
#include "perf.h"
#include "timer.h"
#include "tlb.h"

#define CB_TLB_REASON_REMOTE_SHOOTDOWN 1   /* enum tlb_flush_reason: a flush this CPU received */
#define CB_TLB_START_TIMEOUT_NS 2000000000ull

/* Online CPUs from the sysfs list ("0-3,5"), in order; returns the count or -errno. */
static int cb_cpus_online(int *cpus, int max)
{
	char buf[1024], *p = buf, *end;
	int n = 0, fd;
	ssize_t len;

	fd = open("/sys/devices/system/cpu/online", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return len < 0 ? -errno : -EPROTO;
	buf[len] = '\0';
	while (*p && *p != '\n') {
		long lo = strtol(p, &end, 10), hi = lo;

		if (end == p)
			return -EPROTO;
		p = end;
		if (*p == '-') {
			hi = strtol(p + 1, &end, 10);
			if (end == p + 1 || hi < lo)
				return -EPROTO;
			p = end;
		}
		for (long c = lo; c <= hi && n < max; c++)
			cpus[n++] = (int)c;
		if (*p == ',')
			p++;
	}
	return n;
}

int cb_tlb_siblings_plan(struct cb_ctx *ctx, struct cb_tlb_siblings *s)
{
	int online[CB_TLB_CPUS_MAX], other[CB_TLB_CPUS_MAX], nonline, nother = 0;

	memset(s, 0, sizeof(*s));
	nonline = cb_cpus_online(online, CB_TLB_CPUS_MAX);
	if (nonline < 0)
		return cb_ctx_error(ctx, "read(/sys/devices/system/cpu/online)", nonline);
	for (int i = 0; i < nonline; i++)
		if (online[i] != ctx->cpu)
			other[nother++] = online[i];
	if (ctx->opts && (ctx->opts->set & CB_OPT_SIBLINGS))
		s->n = ctx->opts->siblings;
	else
		s->n = nother > 0;
	/* Two siblings on one CPU would take turns, not both hold the mm live there. */
	if (s->n > nother)
		return cb_ctx_skip(ctx, "--siblings %d needs %d other online CPUs, this machine has %d", s->n, s->n,
				   nother);
	for (int i = 0; i < s->n; i++)
		s->cpu[i] = other[i % nother];
	return 0;
}

static int cb_tlb_sibling_index(struct cb_tlb_siblings *s)
{
	pthread_t self = pthread_self();

	for (int i = 0; i < s->n; i++)
		if (pthread_equal(s->thread[i], self))
			return i;
	return -1;
}

static inline void cb_tlb_gap_note(struct cb_tlb_siblings *s, int i, uint64_t from, uint64_t to)
{
	int k = s->sib[i].ngaps++;

	if (k < CB_TLB_GAPS_MAX) {
		s->sib[i].gap_from[k] = from;
		s->sib[i].gap_to[k] = to;
	}
}

static void *cb_tlb_sibling(void *arg)
{
	struct cb_tlb_siblings *s = arg;
	uint64_t sum = 0, prev, now;
	int i;

	/* The creator stores thread[i] before this can run far: wait for it to be visible. */
	while ((i = cb_tlb_sibling_index(s)) < 0)
		sched_yield();
	s->sib[i].tid = (pid_t)syscall(SYS_gettid);
	/* A loaded machine preempts a SCHED_OTHER spinner within milliseconds (seen here: every
	 * repetition disturbed). Real-time priority 1 keeps it on its CPU (RT throttling still
	 * bounds it); where that is not allowed, the window check says what happened. */
	{
		struct sched_param sp = { .sched_priority = 1 };

		if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp))
			setpriority(PRIO_PROCESS, (id_t)s->sib[i].tid, -20);
	}
	atomic_fetch_add(&s->running, 1);
	prev = cb_timer_ticks();
	/* Each read goes through this mm's page tables: the CPU keeps the mm loaded, not lazy, so
	 * a flush of the mm must reach it by IPI. A gap between two turns of the loop longer than
	 * an interrupt means it was off its CPU. */
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		sum += *s->page;
		now = cb_timer_ticks();
		if (now - prev > s->gap_ticks)
			cb_tlb_gap_note(s, i, prev, now);
		prev = now;
	}
	now = cb_timer_ticks();
	if (now - prev > s->gap_ticks)
		cb_tlb_gap_note(s, i, prev, now);
	return (void *)(uintptr_t)sum;
}

/* voluntary + involuntary context switches of one of this process's threads, or UINT64_MAX. */
static uint64_t cb_tlb_thread_csw(pid_t tid)
{
	char path[64], line[128];
	uint64_t total = 0, v;
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return UINT64_MAX;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "voluntary_ctxt_switches: %" SCNu64, &v) == 1 ||
		    sscanf(line, "nonvoluntary_ctxt_switches: %" SCNu64, &v) == 1) {
			total += v;
			found++;
		}
	}
	fclose(f);
	return found == 2 ? total : UINT64_MAX;
}

/* Times one of this process's threads was put on a CPU (/proc schedstat's third field: the
 * scheduler's sched_info.pcount, CONFIG_SCHED_INFO), or UINT64_MAX. */
static uint64_t cb_tlb_thread_arrivals(pid_t tid)
{
	unsigned long long run, delay, pcount;
	char path[64];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return UINT64_MAX;
	n = fscanf(f, "%llu %llu %llu", &run, &delay, &pcount);
	fclose(f);
	return n == 3 ? (uint64_t)pcount : UINT64_MAX;
}

int cb_tlb_thread_on_cpu(pid_t tid, uint64_t *csw)
{
	for (int try = 0; try < 3; try++) {
		uint64_t a1 = cb_tlb_thread_arrivals(tid), c, a2;

		c = cb_tlb_thread_csw(tid);
		*csw = c;
		a2 = cb_tlb_thread_arrivals(tid);
		if (a1 == UINT64_MAX || c == UINT64_MAX || a2 == UINT64_MAX)
			return -1;
		/* No arrival between the reads: c is a switch count at one moment with a1. */
		if (a1 != a2)
			continue;
		if (a1 == c + 1)
			return 1;
		if (a1 == c)
			return 0;
		return -1;
	}
	return -1;
}

void cb_tlb_siblings_window_begin(struct cb_tlb_siblings *s)
{
	for (int i = 0; i < s->started; i++)
		s->sib[i].on_cpu_at_start = cb_tlb_thread_on_cpu(s->sib[i].tid, &s->sib[i].csw_before);
	s->win_from = cb_timer_ticks();
}

void cb_tlb_siblings_window_end(struct cb_tlb_siblings *s)
{
	s->win_to = cb_timer_ticks();
	for (int i = 0; i < s->started; i++)
		s->sib[i].csw_after = cb_tlb_thread_csw(s->sib[i].tid);
}

bool cb_tlb_siblings_window_check(struct cb_ctx *ctx, struct cb_tlb_siblings *s)
{
	for (int i = 0; i < s->n; i++) {
		uint64_t before = s->sib[i].csw_before, after = s->sib[i].csw_after, off = 0, at_start = 0;
		int kept = s->sib[i].ngaps < CB_TLB_GAPS_MAX ? s->sib[i].ngaps : CB_TLB_GAPS_MAX, gaps = 0;

		if (before == UINT64_MAX || after == UINT64_MAX) {
			cb_ctx_disturbed(ctx, "sibling not on CPU %d (its context switches unreadable)", s->cpu[i]);
			return false;
		}
		for (int k = 0; k < kept; k++) {
			if (s->sib[i].gap_to[k] <= s->win_from || s->sib[i].gap_from[k] >= s->win_to)
				continue;
			gaps++;
			off += s->sib[i].gap_to[k] - s->sib[i].gap_from[k];
			/*
			 * Off its CPU when the window began: its switch-out was counted before it.
			 * The scheduler's counts tell that exactly; a gap across the start can also
			 * be the hypervisor or emulator running another vCPU (under single-threaded
			 * TCG every sibling is in one whenever the writer's vCPU runs), so the gap
			 * decides only when the counts could not be read.
			 */
			if (s->sib[i].gap_from[k] <= s->win_from && s->sib[i].on_cpu_at_start < 0)
				at_start = s->sib[i].gap_to[k] - s->sib[i].gap_from[k];
		}
		if (s->sib[i].on_cpu_at_start == 0)
			at_start = 1;
		s->sib[i].gaps_in_window = gaps + (s->sib[i].ngaps - kept);
		s->sib[i].gap_ns_in_window = cb_timer_ns(off);
		/*
		 * A context switch means another task (or idle) had the CPU: the mm was not loaded
		 * there for part of the window. A gap without one is an interrupt or the host
		 * running another vCPU: the mm stays loaded, flushes still have to reach it.
		 */
		if (after != before || at_start) {
			cb_ctx_disturbed(ctx, "sibling not on CPU %d (%llu context switches%s)", s->cpu[i],
					 (unsigned long long)(after - before), at_start ? ", off it when the loop began" : "");
			return false;
		}
	}
	return true;
}

int cb_tlb_siblings_start(struct cb_ctx *ctx, struct cb_tlb_siblings *s)
{
	struct timespec t0, now, nap = { 0, 50000 };
	pthread_attr_t attr;
	cpu_set_t set;
	void *page;
	int ret = 0;

	/* Before any thread exists: tracefs may have to be mounted in a private namespace. */
	cb_tracepoint_id("tlb:tlb_flush");
	atomic_store(&s->running, 0);
	atomic_store(&s->stop, 0);
	s->started = 0;
	memset(s->sib, 0, sizeof(s->sib));
	s->gap_ticks = (uint64_t)(CB_TLB_GAP_NS * cb_timer.ticks_per_ns);
	if (!s->n)
		return 0;
	page = mmap(NULL, cb_page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return cb_ctx_error(ctx, "mmap", -errno);
	s->page = page;
	*s->page = 1;
	ret = pthread_attr_init(&attr);
	if (ret)
		goto unmap_page;
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (int i = 0; i < s->n; i++) {
		CPU_ZERO(&set);
		CPU_SET(s->cpu[i], &set);
		ret = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		if (!ret)
			ret = pthread_create(&s->thread[i], &attr, cb_tlb_sibling, s);
		if (ret == EINVAL) {
			cb_ctx_skip(ctx, "CPU %d (sibling %d) is not available to this process", s->cpu[i], i + 1);
			ret = 0;
			goto stop_threads;
		}
		if (ret) {
			ret = cb_ctx_error(ctx, "pthread_create", -ret);
			goto stop_threads;
		}
		s->started++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (atomic_load(&s->running) < s->n) {
		nanosleep(&nap, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((uint64_t)(now.tv_sec - t0.tv_sec) * 1000000000ull + (uint64_t)now.tv_nsec - (uint64_t)t0.tv_nsec >
		    CB_TLB_START_TIMEOUT_NS) {
			cb_ctx_fail(ctx, "%d of %d sibling threads did not start running within 2 s",
				    s->n - atomic_load(&s->running), s->n);
			goto stop_threads;
		}
	}
	pthread_attr_destroy(&attr);
	return 0;
stop_threads:
	pthread_attr_destroy(&attr);
	cb_tlb_siblings_stop(s);
	return ret;
unmap_page:
	munmap(page, cb_page_size);
	s->page = NULL;
	return cb_ctx_error(ctx, "pthread_attr_init", -ret);
}

void cb_tlb_siblings_stop(struct cb_tlb_siblings *s)
{
	atomic_store(&s->stop, 1);
	for (int i = 0; i < s->started; i++)
		pthread_join(s->thread[i], NULL);
	s->started = 0;
	if (s->page)
		munmap((void *)s->page, cb_page_size);
	s->page = NULL;
}

int cb_tlb_interrupts_parse(const char *text, uint64_t *sum)
{
	const char *line = text;

	for (; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		const char *p = line + strspn(line, " ");
		char *end;
		int n = 0;

		if (strncmp(p, "TLB:", 4) != 0)
			continue;
		/* One count per CPU column, then the description ("TLB shootdowns"). */
		*sum = 0;
		for (p += 4;; p = end, n++) {
			unsigned long long v = strtoull(p, &end, 10);

			if (end == p || (*end != ' ' && *end != '\n' && *end != '\0'))
				break;
			*sum += v;
		}
		return n ? 0 : -EPROTO;
	}
	return -ENOENT;
}

int cb_tlb_interrupts_read(uint64_t *sum)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	ssize_t r;
	int fd, ret;

	if (!buf)
		return -ENOMEM;
	fd = open("/proc/interrupts", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto free_buf;
	}
	for (;;) {
		if (len + 1 == cap) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger) {
				ret = -ENOMEM;
				goto close_fd;
			}
			buf = bigger;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			goto close_fd;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	ret = cb_tlb_interrupts_parse(buf, sum);
close_fd:
	close(fd);
free_buf:
	free(buf);
	return ret;
}

void cb_tlb_watch_open(struct cb_tlb_watch *w, int self_cpu)
{
	int online[CB_TLB_CPUS_MAX], nonline, id;
	struct perf_event_attr a;

	memset(w, 0, sizeof(*w));
	nonline = cb_cpus_online(online, CB_TLB_CPUS_MAX);
	id = cb_tracepoint_id("tlb:tlb_flush");
	w->err = nonline < 0 ? nonline : id < 0 ? id : 0;
	if (w->err)
		return;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_TRACEPOINT;
	a.config = (uint64_t)id;
	a.disabled = 1;
	/* Never exclude_kernel: tracepoints fire in the kernel and would count a silent 0. */
	a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
	for (int i = 0; i < nonline; i++) {
		int fd;

		if (online[i] == self_cpu)
			continue;
		fd = (int)syscall(__NR_perf_event_open, &a, -1, online[i], -1, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0) {
			w->err = -errno;
			return;
		}
		w->fd[w->n++] = fd;
		if (ioctl(fd, PERF_EVENT_IOC_SET_FILTER, "reason == 1")) {
			w->err = -errno;
			return;
		}
	}
}

void cb_tlb_watch_start(struct cb_tlb_watch *w)
{
	w->intr_ok = cb_tlb_interrupts_read(&w->intr_before) == 0;
	for (int i = 0; i < w->n && !w->err; i++)
		if (ioctl(w->fd[i], PERF_EVENT_IOC_RESET, 0) || ioctl(w->fd[i], PERF_EVENT_IOC_ENABLE, 0))
			w->err = -errno;
}

void cb_tlb_watch_stop(struct cb_tlb_watch *w)
{
	uint64_t intr_after;

	for (int i = 0; i < w->n && !w->err; i++)
		if (ioctl(w->fd[i], PERF_EVENT_IOC_DISABLE, 0))
			w->err = -errno;
	if (w->intr_ok && cb_tlb_interrupts_read(&intr_after) == 0 && intr_after >= w->intr_before)
		w->intr_delta = intr_after - w->intr_before;
	else
		w->intr_ok = false;
	w->received = 0;
	for (int i = 0; i < w->n && !w->err; i++) {
		uint64_t v[3];  /* value, time_enabled, time_running */

		if (read(w->fd[i], v, sizeof(v)) != (ssize_t)sizeof(v)) {
			w->err = -EIO;
			break;
		}
		/* A software-context event is never multiplexed; if it did not run, there is no count. */
		if (v[2] == 0 && v[1] != 0) {
			w->err = -ENODATA;
			break;
		}
		w->received += v[2] < v[1] ? (uint64_t)((double)v[0] * (double)v[1] / (double)v[2]) : v[0];
	}
}

void cb_tlb_watch_close(struct cb_tlb_watch *w)
{
	for (int i = 0; i < w->n; i++)
		if (w->fd[i] >= 0)
			close(w->fd[i]);
	/* n stays: the record names how many CPUs were counted. */
	for (int i = 0; i < w->n; i++)
		w->fd[i] = -1;
}

/* Interrupt-length gaps the siblings saw in the window (they stayed in the mm meanwhile). */
static void cb_tlb_siblings_record(struct cb_ctx *ctx, const struct cb_tlb_siblings *s)
{
	uint64_t gaps = 0, ns = 0;

	for (int i = 0; i < s->n; i++) {
		gaps += (uint64_t)s->sib[i].gaps_in_window;
		ns += s->sib[i].gap_ns_in_window;
	}
	if (s->n) {
		cb_ctx_extra(ctx, "sibling_gaps", (double)gaps);
		cb_ctx_extra(ctx, "sibling_gap_us", (double)ns / 1000.0);
	}
}

/* Which paravirtual flush this kernel has (a hint for the reason: present is not proof of use). */
static const char *cb_tlb_pv_hint(void)
{
	static char hint[40];
	char line[256];
	FILE *f;

	if (hint[0])
		return hint[1] ? hint : "";
	hint[0] = ' ';
	f = fopen("/proc/kallsyms", "re");
	if (!f)
		return "";
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, " pvm_flush_tlb_multi\n")) {
			snprintf(hint, sizeof(hint), " (PVM: pvm_flush_tlb_multi)");
			break;
		}
		if (strstr(line, " kvm_flush_tlb_multi\n"))
			snprintf(hint, sizeof(hint), " (KVM: kvm_flush_tlb_multi)");
	}
	fclose(f);
	return hint[1] ? hint : "";
}

void cb_tlb_watch_record(struct cb_ctx *ctx, const struct cb_tlb_watch *w)
{
	const struct cb_counter *sent = cb_counters_find(&ctx->res->counters, "tlb:tlb_flush/remote_send_ipi");

	if (ctx->pass != CB_PASS_COUNTING)
		return;
	if (!w->err && w->received == 0 && sent && sent->supported && sent->value > 0 &&
	    ctx->res->status == CB_OK) {
		/* IPIs were sent while every sibling was verified on its CPU, and none arrived: the
		 * hypervisor flushes the other vCPUs (KVM PV TLB flush, PVM). Not a figure here. */
		char why[96];

		snprintf(why, sizeof(why), "paravirtual TLB flush: %llu IPI sends traced, 0 received%s",
			 (unsigned long long)sent->value, cb_tlb_pv_hint());
		cb_ctx_extra_unsupported(ctx, "received_shootdowns_other_cpus", why);
		cb_ctx_extra(ctx, "received_shootdowns_cpus", (double)w->n);
	} else if (!w->err) {
		cb_ctx_extra(ctx, "received_shootdowns_other_cpus", (double)w->received);
		cb_ctx_extra(ctx, "received_shootdowns_cpus", (double)w->n);
	} else if (w->err == -ENOENT) {
		cb_ctx_extra_unsupported(ctx, "received_shootdowns_other_cpus", CB_TLB_FLUSH_WHY);
	}
	if (w->intr_ok)
		cb_ctx_extra(ctx, "interrupts_tlb_delta", (double)w->intr_delta);
	else
		cb_ctx_extra_unsupported(ctx, "interrupts_tlb_delta",
					 "no TLB row in /proc/interrupts (an x86 row: arm64 broadcasts TLBI)");
}

int cb_tlb_bracket_begin(struct cb_ctx *ctx, struct cb_tlb_siblings *s, struct cb_tlb_watch *w)
{
	int ret = cb_tlb_siblings_start(ctx, s);

	if (ret || ctx->res->status != CB_OK)
		return ret;
	if (ctx->pass == CB_PASS_COUNTING) {
		cb_tlb_watch_open(w, ctx->cpu);
		cb_tlb_watch_start(w);
	}
	cb_tlb_siblings_window_begin(s);
	return 0;
}

int cb_tlb_bracket_end(struct cb_ctx *ctx, struct cb_tlb_siblings *s, struct cb_tlb_watch *w, int ret)
{
	cb_tlb_siblings_window_end(s);
	if (ctx->pass == CB_PASS_COUNTING) {
		cb_tlb_watch_stop(w);
		cb_tlb_watch_close(w);
	}
	cb_tlb_siblings_stop(s);
	if (!ret && ctx->res->status == CB_OK)
		cb_tlb_siblings_window_check(ctx, s);
	/* A disturbed pass keeps its figures too (for inspection). */
	if (!ret && (ctx->res->status == CB_OK || ctx->res->status == CB_DISTURBED) && ctx->pass == CB_PASS_COUNTING) {
		cb_ctx_extra(ctx, "siblings", s->n);
		cb_tlb_siblings_record(ctx, s);
		cb_tlb_watch_record(ctx, w);
	}
	return ret;
}

/* tlb_cow_*: the siblings planned in the parent (a skip before fork), running in the writing
 * process around its measured writes. */
struct cb_tlb_cow_state {
	struct cb_tlb_siblings s;
	struct cb_tlb_watch w;
};

static int cb_tlb_cow_plan(struct cb_cow *c)
{
	struct cb_tlb_cow_state *st = c->state;

	return cb_tlb_siblings_plan(c->ctx, &st->s);
}

static int cb_tlb_cow_begin(struct cb_cow *c)
{
	struct cb_tlb_cow_state *st = c->state;

	return cb_tlb_bracket_begin(c->ctx, &st->s, &st->w);
}

static int cb_tlb_cow_end(struct cb_cow *c, int ret)
{
	struct cb_tlb_cow_state *st = c->state;

	return cb_tlb_bracket_end(c->ctx, &st->s, &st->w, ret);
}

const struct cb_cow_prep cb_cow_prep_tlb = {
	.name = "tlb siblings",
	.state_size = sizeof(struct cb_tlb_cow_state),
	.before_fork = cb_tlb_cow_plan,
	.before_writes = cb_tlb_cow_begin,
	.after_writes = cb_tlb_cow_end,
};

#define CB_TLB_ZAP_TAG 0x2a7b2a7b00000000ull

int cb_tlb_zap_run(struct cb_ctx *ctx, cb_op_fn op)
{
	struct cb_tlb_siblings *s = malloc(sizeof(*s));
	struct cb_tlb_watch *w = malloc(sizeof(*w));
	struct cb_region r = { 0 };
	int ret;

	if (!s || !w) {
		ret = cb_ctx_error(ctx, "malloc", -ENOMEM);
		goto free_structs;
	}
	ret = cb_tlb_siblings_plan(ctx, s);
	if (ret || ctx->res->status != CB_OK)
		goto free_structs;
	ret = cb_region_setup(ctx, &r, CB_TLB_ZAP_TAG);
	if (ret || ctx->res->status != CB_OK)
		goto unmap;
	ret = cb_tlb_bracket_begin(ctx, s, w);
	if (ret || ctx->res->status != CB_OK)
		goto unmap;
	ret = cb_tlb_bracket_end(ctx, s, w, cb_measure_op(ctx, &r, 0, op, NULL));
unmap:
	cb_region_unmap(&r);
free_structs:
	free(s);
	free(w);
	return ret;
}
