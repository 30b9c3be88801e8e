#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include "cb.h"
#include "opts.h"
#include "perf.h"
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

static void *cb_tlb_sibling(void *arg)
{
	struct cb_tlb_siblings *s = arg;
	uint64_t sum = 0;

	atomic_fetch_add(&s->running, 1);
	/* Each read goes through this mm's page tables: the CPU keeps the mm loaded, not lazy, so
	 * a flush of the mm must reach it by IPI. */
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed))
		sum += *s->page;
	return (void *)(uintptr_t)sum;
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

void cb_tlb_watch_record(struct cb_ctx *ctx, const struct cb_tlb_watch *w)
{
	if (ctx->pass != CB_PASS_COUNTING)
		return;
	if (!w->err) {
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

/* The measured writes with the siblings running in the calling (writing) process. */
static int cb_tlb_cow_write(struct cb_ctx *ctx, struct cb_tlb_siblings *s, struct cb_region *r, uint64_t tag)
{
	struct cb_tlb_watch *w = NULL;
	int ret;

	ret = cb_tlb_siblings_start(ctx, s);
	if (ret || ctx->res->status != CB_OK)
		return ret;
	if (ctx->pass == CB_PASS_COUNTING) {
		w = malloc(sizeof(*w));
		if (!w) {
			ret = cb_ctx_error(ctx, "malloc", -ENOMEM);
			goto stop_siblings;
		}
		cb_tlb_watch_open(w, ctx->cpu);
		cb_tlb_watch_start(w);
	}
	ret = cb_measure_writes(ctx, r, tag);
	if (w) {
		cb_tlb_watch_stop(w);
		cb_tlb_watch_close(w);
	}
stop_siblings:
	cb_tlb_siblings_stop(s);
	if (!ret && ctx->res->status == CB_OK && ctx->pass == CB_PASS_COUNTING) {
		cb_ctx_extra(ctx, "siblings", s->n);
		cb_tlb_watch_record(ctx, w);
	}
	free(w);
	return ret;
}

#define CB_TLB_OLD 0x0c0c0c0c00000000ull
#define CB_TLB_NEW 0x71b071b000000000ull

int cb_tlb_cow_run(struct cb_ctx *ctx, bool copy)
{
	struct cb_tlb_siblings *s = malloc(sizeof(*s));
	struct cb_region r;
	pid_t pid;
	int ret;

	if (!s)
		return cb_ctx_error(ctx, "malloc", -ENOMEM);
	ret = cb_tlb_siblings_plan(ctx, s);
	if (ret || ctx->res->status != CB_OK)
		goto free_siblings;
	ret = cb_region_map(ctx, &r);
	if (ret || ctx->res->status != CB_OK)
		goto free_siblings;
	ret = cb_region_fill(ctx, &r, CB_TLB_OLD);
	if (ret || ctx->res->status != CB_OK)
		goto unmap;
	pid = cb_child_fork(ctx);
	if (pid < 0) {
		ret = pid;
		goto unmap;
	}
	if (pid == 0) {
		/* copy: the child writes, its threads on the other CPUs; reuse: it just leaves. */
		if (copy) {
			ctx->expect_mapcount = 2;
			ret = cb_tlb_cow_write(ctx, s, &r, CB_TLB_NEW);
			if (!ret && ctx->res->status == CB_OK)
				ret = cb_region_verify(ctx, &r, CB_TLB_NEW, false, "child after its writes");
		}
		cb_child_exit(ctx, ret);
	}
	ret = cb_child_wait(ctx);
	if (ret || ctx->res->status != CB_OK)
		goto unmap;
	if (copy) {
		ret = cb_region_verify(ctx, &r, CB_TLB_OLD, false, "parent after the child's writes");
		goto unmap;
	}
	ctx->expect_mapcount = 1;
	ret = cb_tlb_cow_write(ctx, s, &r, CB_TLB_NEW);
	if (!ret && ctx->res->status == CB_OK)
		ret = cb_region_verify(ctx, &r, CB_TLB_NEW, false, "parent after its writes");
unmap:
	cb_region_unmap(&r);
free_siblings:
	free(s);
	return ret;
}

#define CB_TLB_ZAP_TAG 0x2a7b2a7b00000000ull

int cb_tlb_zap_run(struct cb_ctx *ctx, cb_op_fn op)
{
	struct cb_tlb_siblings *s = malloc(sizeof(*s));
	struct cb_tlb_watch *w = malloc(sizeof(*w));
	struct cb_region r;
	int ret;

	if (!s || !w) {
		ret = cb_ctx_error(ctx, "malloc", -ENOMEM);
		goto free_structs;
	}
	ret = cb_tlb_siblings_plan(ctx, s);
	if (ret || ctx->res->status != CB_OK)
		goto free_structs;
	ret = cb_region_map(ctx, &r);
	if (ret || ctx->res->status != CB_OK)
		goto free_structs;
	ret = cb_region_fill(ctx, &r, CB_TLB_ZAP_TAG);
	if (ret || ctx->res->status != CB_OK)
		goto unmap;
	ret = cb_tlb_siblings_start(ctx, s);
	if (ret || ctx->res->status != CB_OK)
		goto unmap;
	if (ctx->pass == CB_PASS_COUNTING) {
		cb_tlb_watch_open(w, ctx->cpu);
		cb_tlb_watch_start(w);
	}
	ret = cb_measure_op(ctx, &r, 0, op, NULL);
	if (ctx->pass == CB_PASS_COUNTING) {
		cb_tlb_watch_stop(w);
		cb_tlb_watch_close(w);
	}
	cb_tlb_siblings_stop(s);
	if (!ret && ctx->res->status == CB_OK && ctx->pass == CB_PASS_COUNTING) {
		cb_ctx_extra(ctx, "siblings", s->n);
		cb_tlb_watch_record(ctx, w);
	}
unmap:
	cb_region_unmap(&r);
free_structs:
	free(s);
	free(w);
	return ret;
}
