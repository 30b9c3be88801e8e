#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cb.h"
#include "numa_place.h"
#include "scenario.h"
#include "sysfs.h"
#include "timer.h"
#include "workers.h"

const char *const cb_mmap_lock_events[CB_MMAP_LOCK_EVENTS] = {
	"mmap_lock:mmap_lock_start_locking",
	"mmap_lock:mmap_lock_acquire_returned",
	CB_MMAP_LOCK_RELEASED,
};

/* A worker that never reaches the gate (it crashed, or is stuck): the others give up after this
 * long rather than spin for ever. Generous: under TCG one pre-loop pagemap read takes seconds. */
#define CB_GATE_TIMEOUT_NS (60ull * 1000000000ull)

/* In memory shared by the workers (MAP_SHARED: processes too). */
struct cb_gate {
	int expect;                 /* arrivals at the start: workers + background */
	int nfault;                 /* arrivals at the end: workers */
	atomic_int arrived, go, ended, finished, timed_out;
	uint64_t t_go, t_end;       /* cb_clock_ns() when the last arrived at the start, at the end */
	atomic_int begun[CB_WORKERS_MAX + 1], over[CB_WORKERS_MAX + 1];
};

static inline void cb_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/* Spins until *flag (every worker has its own CPU: nothing else waits for this one). */
static bool cb_gate_wait(struct cb_gate *g, atomic_int *flag)
{
	uint64_t t0 = cb_clock_ns();
	unsigned k = 0;

	while (!atomic_load_explicit(flag, memory_order_acquire)) {
		cb_cpu_relax();
		if (++k % 4096 == 0 && (atomic_load(&g->timed_out) || cb_clock_ns() - t0 > CB_GATE_TIMEOUT_NS)) {
			atomic_store(&g->timed_out, 1);
			return false;
		}
	}
	return true;
}

/* Arrivals without waiting: also what a worker that ends without its loop owes the others. */
static void cb_gate_arrive_begin(struct cb_gate *g, int i)
{
	if (atomic_exchange(&g->begun[i], 1))
		return;
	if (atomic_fetch_add(&g->arrived, 1) + 1 == g->expect) {
		g->t_go = cb_clock_ns();
		atomic_store_explicit(&g->go, 1, memory_order_release);
	}
}

static bool cb_gate_arrive_end(struct cb_gate *g, int i)
{
	if (atomic_exchange(&g->over[i], 1))
		return false;
	if (atomic_fetch_add(&g->ended, 1) + 1 == g->nfault) {
		g->t_end = cb_clock_ns();
		atomic_store_explicit(&g->finished, 1, memory_order_release);
	}
	return true;
}

void cb_gate_begin(struct cb_ctx *ctx)
{
	struct cb_gate *g = ctx->gate;

	if (!g || atomic_load(&g->begun[ctx->worker]))
		return;
	cb_gate_arrive_begin(g, ctx->worker);
	if (!cb_gate_wait(g, &g->go))
		cb_ctx_error(ctx, "waiting for the other workers to start", -ETIMEDOUT);
}

void cb_gate_end(struct cb_ctx *ctx)
{
	struct cb_gate *g = ctx->gate;

	if (!g || !cb_gate_arrive_end(g, ctx->worker))
		return;
	if (!cb_gate_wait(g, &g->finished))
		cb_ctx_error(ctx, "waiting for the other workers to end", -ETIMEDOUT);
}

/* "0-3,6" from a CPU list. */
static void cb_cpus_format(const int *cpu, int n, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && off < len; i++) {
		int j = i;

		while (j + 1 < n && cpu[j + 1] == cpu[j] + 1)
			j++;
		off += (size_t)(j > i ? snprintf(buf + off, len - off, "%s%d-%d", off ? "," : "", cpu[i], cpu[j]) :
					snprintf(buf + off, len - off, "%s%d", off ? "," : "", cpu[i]));
		i = j;
	}
}

/* How the VM runner boots a guest (lib/env.c reads the same words for env.json): "tcg" with
 * "single" or "multi" threads, else "". */
static void cb_workers_tcg(char *threads, size_t len)
{
	char buf[4096], *p;

	threads[0] = '\0';
	if (cb_sysfs_read("/proc/cmdline", buf, sizeof(buf)) < 0 || !strstr(buf, "cowbench.virtualized=tcg"))
		return;
	p = strstr(buf, "cowbench.tcg_threads=");
	snprintf(threads, len, "%.*s", p ? (int)strcspn(p + 21, " \n") : 7, p ? p + 21 : "unknown");
}

int cb_workers_plan(const struct cb_scenario *s, const struct cb_opts *o, struct cb_ctx *ctx, char *why,
		    size_t len)
{
	struct cb_workers_plan *p = &ctx->workers;
	const char *what = o->processes ? "processes" : "threads";
	int cpus[CB_WORKERS_MAX + 2], ncpus = 0, n = o->threads ? o->threads : o->processes, need;
	char list[128], tcg[16];
	cpu_set_t set;

	memset(p, 0, sizeof(*p));
	p->bg_cpu = -1;
	if ((o->threads && !(s->workers & CB_WORKERS_THREADS)) ||
	    (o->processes && !(s->workers & CB_WORKERS_PROCESSES))) {
		snprintf(why, len, "%s takes no --%s", s->name, what);
		return 1;
	}
	if (!n)
		n = s->workers_default;
	if (!n)
		return 0;
	need = n + s->workers_background;
	if (sched_getaffinity(0, sizeof(set), &set))
		CPU_ZERO(&set);
	/* The instance's CPU first, then the others in order. */
	if (CPU_ISSET(ctx->cpu, &set))
		cpus[ncpus++] = ctx->cpu;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set) && c != ctx->cpu && ncpus < CB_WORKERS_MAX + 2)
			cpus[ncpus++] = c;
	p->cpus = CPU_COUNT(&set);
	if (p->cpus < need) {
		int sorted[CB_WORKERS_MAX + 2], k = 0;

		for (int c = 0; c < CPU_SETSIZE && k < CB_WORKERS_MAX + 2; c++)
			if (CPU_ISSET(c, &set))
				sorted[k++] = c;
		cb_cpus_format(sorted, k, list, sizeof(list));
		if (s->workers_background)
			snprintf(why, len, "--%s %d needs %d CPUs, one per faulting %s and one for the background "
				 "thread; this process may run on %d (CPUs %s)", what, n, need,
				 o->processes ? "process" : "thread", p->cpus, list);
		else
			snprintf(why, len, "--%s %d needs %d CPUs, one per %s; this process may run on %d (CPUs %s)",
				 what, n, need, o->processes ? "process" : "thread", p->cpus, list);
		return 1;
	}
	p->n = n;
	p->processes = o->processes > 0;
	for (int i = 0; i < n; i++)
		p->cpu[i] = cpus[i];
	if (s->workers_background)
		p->bg_cpu = cpus[n];
	cb_workers_tcg(tcg, sizeof(tcg));
	if (tcg[0])
		snprintf(p->timings_why, sizeof(p->timings_why), "TCG emulation (%s-threaded): %s", tcg,
			 strcmp(tcg, "multi") == 0 ? "each vCPU a host thread that the host need not run beside the "
						     "others: emulated times, concurrency not assured" :
						     "one host thread runs the vCPUs one at a time: the workers never ran at once");
	else if (p->cpus < n + 1)
		snprintf(p->timings_why, sizeof(p->timings_why),
			 "%d CPUs for %d %s%s: fewer than workers + 1, so they share their CPUs with the rest of the machine",
			 p->cpus, n, what, s->workers_background ? " and the background thread" : "");
	p->timings_valid = !p->timings_why[0];
	return 0;
}

void cb_workers_describe(const struct cb_pass_result *t, const struct cb_pass_result *c, char *buf, size_t len)
{
	const struct cb_workers_res *w = &t->workers;
	uint64_t ns = t->untimed ? t->untimed_loop_ns : t->loop_ns, faults = t->untimed ? t->untimed_faults : t->loop_faults;
	const struct cb_counter *k = cb_counters_find(&c->counters, CB_MMAP_LOCK_RELEASED);
	int cpus[CB_WORKERS_MAX], off;
	char list[160];

	for (int i = 0; i < w->n; i++)
		cpus[i] = w->w[i].cpu;
	/* Placement as planned, in worker order (not a range: CPU 1 then 0 is not "0-1"). */
	list[0] = '\0';
	for (int i = 0, o = 0; i < w->n && o < (int)sizeof(list); i++)
		o += snprintf(list + o, sizeof(list) - (size_t)o, "%s%d", i ? "," : "", cpus[i]);
	off = snprintf(buf, len, "%d %s on CPUs %s", w->n, w->processes ? "processes" : "threads", list);
	if (w->bg_cpu >= 0 && off >= 0 && (size_t)off < len)
		off += snprintf(buf + off, len - (size_t)off, " (background on %d)", w->bg_cpu);
	if (ns && off >= 0 && (size_t)off < len)
		off += snprintf(buf + off, len - (size_t)off, ": %.3g faults/s", (double)faults * 1e9 / (double)ns);
	if (k && k->supported && off >= 0 && (size_t)off < len)
		off += snprintf(buf + off, len - (size_t)off, "; mmap_lock taken by %llu of %llu faults",
				(unsigned long long)k->value, (unsigned long long)c->faults_total);
	if (!w->timings_valid && off >= 0 && (size_t)off < len)
		snprintf(buf + off, len - (size_t)off, "; timings not concurrent: %s", w->timings_why);
}

/* A worker's end: its error, where it ran, and its arrivals if it never got to its loop. */
static void cb_worker_finish(struct cb_ctx *w, int ret)
{
	if (ret < 0 && w->res->status == CB_OK) {
		w->res->status = CB_ERROR;
		snprintf(w->res->reason, sizeof(w->res->reason), "%s", strerror(-ret));
	}
	w->res->workers.w[0].cpu_seen = sched_getcpu();
	cb_gate_arrive_begin(w->gate, w->worker);
	cb_gate_arrive_end(w->gate, w->worker);
}

struct cb_worker_arg {
	struct cb_ctx ctx;
	struct cb_region part;
	cb_worker_fn fn;
	cb_background_fn bg;
	void *arg;
	uint64_t bg_ops;
};

static void *cb_worker_thread(void *p)
{
	struct cb_worker_arg *a = p;

	cb_worker_finish(&a->ctx, a->fn(&a->ctx, &a->part, a->arg));
	return NULL;
}

/* The background thread: starts with the workers, stops when the last of them ends. */
static void *cb_background_thread(void *p)
{
	struct cb_worker_arg *a = p;
	struct cb_gate *g = a->ctx.gate;

	cb_gate_arrive_begin(g, a->ctx.worker);
	if (cb_gate_wait(g, &g->go))
		a->bg_ops = a->bg(&a->ctx, &g->finished, a->arg);
	return NULL;
}

static int cb_status_rank(int st)
{
	static const int rank[] = { [CB_OK] = 0, [CB_DISTURBED] = 1, [CB_SKIP] = 2, [CB_FAIL] = 3, [CB_ERROR] = 4 };

	return st >= 0 && st <= CB_DISTURBED ? rank[st] : 4;
}

static void cb_cow_add(struct cb_cow_counts *d, const struct cb_cow_counts *s)
{
	uint64_t *dv = (uint64_t *)d;
	const uint64_t *sv = (const uint64_t *)s;

	_Static_assert(sizeof(*d) % sizeof(uint64_t) == 0, "cb_cow_counts holds uint64_t only");
	for (size_t i = 0; i < sizeof(*d) / sizeof(uint64_t); i++)
		dv[i] += sv[i];
}

/* Every worker opened the same set in the same order: sums, where every worker counted it. */
static void cb_counters_add(struct cb_counters *d, const struct cb_counters *s)
{
	for (int i = 0; i < d->n && i < s->n; i++) {
		struct cb_counter *c = &d->c[i];
		const struct cb_counter *k = &s->c[i];

		if (!c->supported)
			continue;
		if (!k->supported || strcmp(c->name, k->name)) {
			c->supported = false;
			snprintf(c->why, sizeof(c->why), "not counted in every worker: %s", k->why);
			continue;
		}
		c->value += k->value;
		c->time_enabled += k->time_enabled;
		c->time_running += k->time_running;
	}
}

static uint64_t cb_counter_value(const struct cb_pass_result *r, const char *name, bool *ok)
{
	const struct cb_counter *k = cb_counters_find(&r->counters, name);

	*ok = k && k->supported;
	return *ok ? k->value : 0;
}

/* The workers' results into ctx->res (which holds what the caller did before, if anything). */
static void cb_workers_merge(struct cb_ctx *ctx, struct cb_pass_result *w, const struct cb_gate *g,
			     uint64_t bg_ops)
{
	const struct cb_workers_plan *p = &ctx->workers;
	struct cb_pass_result *res = ctx->res;
	struct cb_workers_res *wr = &res->workers;
	int worst = -1;
	bool all = true;

	memset(wr, 0, sizeof(*wr));
	wr->n = p->n;
	wr->processes = p->processes;
	wr->bg_cpu = p->bg_cpu;
	wr->bg_ops = bg_ops;
	wr->timings_valid = p->timings_valid;
	snprintf(wr->timings_why, sizeof(wr->timings_why), "%s", p->timings_why);
	if (atomic_load(&g->go) && atomic_load(&g->finished) && g->t_end >= g->t_go)
		wr->window_ns = g->t_end - g->t_go;
	for (int i = 0; i < p->n; i++) {
		const struct cb_pass_result *x = &w[i];
		struct cb_worker_stat *st = &wr->w[i];

		if (x->status != CB_OK && (worst < 0 || cb_status_rank(x->status) > cb_status_rank(w[worst].status)))
			worst = i;
		st->cpu = p->cpu[i];
		st->cpu_seen = x->workers.w[0].cpu_seen;
		st->pages = x->pages;
		st->loop_ns = x->loop_ns;
		st->faults = ctx->pass == CB_PASS_COUNTING ? x->faults_total : x->loop_faults;
		st->p50 = cb_hist_percentile(&x->hist, 50);
		st->p99 = cb_hist_percentile(&x->hist, 99);
		st->max = x->hist.count ? x->hist.max : 0;
		st->mmap_lock = cb_counter_value(x, CB_MMAP_LOCK_RELEASED, &st->mmap_lock_read);
		all &= x->measured;
		res->pages += x->pages;
		cb_hist_merge(&res->hist, &x->hist);
		cb_cow_add(&res->cow_pfn, &x->cow_pfn);
		cb_cow_add(&res->cow, &x->cow);
		res->loop_faults += x->loop_faults;
		res->faults_total += x->faults_total;
		res->faults_outside += x->faults_outside;
		res->faults_spurious_pmd += x->faults_spurious_pmd;
		for (int k = 0; k < 4; k++)
			res->pages_by_faults[k] += x->pages_by_faults[k];
		for (int k = 0; k < CB_FOLIO_ORDERS; k++) {
			res->folio_pages_by_order[k] += x->folio_pages_by_order[k];
			res->folio_pages_by_order_after[k] += x->folio_pages_by_order_after[k];
		}
		res->interfere.csw += x->interfere.csw;
		res->interfere.vcsw += x->interfere.vcsw;
		res->interfere.migrations += x->interfere.migrations;
		res->interfere.run_delay_ns += x->interfere.run_delay_ns;
		res->interfere.irqs += x->interfere.irqs;
		if (i == 0) {
			res->per_op_timed = x->per_op_timed;
			res->pfn_classified = x->pfn_classified;
			res->loop_faults_read = x->loop_faults_read;
			res->classified = x->classified;
			res->faults_sampled = x->faults_sampled;
			res->vmas = x->vmas;
			res->interfere_read = x->interfere_read;
			res->interfere.csw_ok = x->interfere.csw_ok;
			res->interfere.migrations_ok = x->interfere.migrations_ok;
			res->interfere.run_delay_ok = x->interfere.run_delay_ok;
			res->interfere.irqs_ok = x->interfere.irqs_ok;
			res->interfere.cpu_at = x->interfere.cpu_at;
			/* System-wide deltas: every worker's window is the same one. */
			res->vmstat_delta = x->vmstat_delta;
			res->counters = x->counters;
			res->nextra = x->nextra;
			memcpy(res->extra, x->extra, sizeof(res->extra));
		} else {
			res->per_op_timed &= x->per_op_timed;
			res->pfn_classified &= x->pfn_classified;
			res->loop_faults_read &= x->loop_faults_read;
			res->classified &= x->classified;
			res->faults_sampled &= x->faults_sampled;
			res->interfere_read &= x->interfere_read;
			res->interfere.csw_ok &= x->interfere.csw_ok;
			res->interfere.migrations_ok &= x->interfere.migrations_ok;
			res->interfere.run_delay_ok &= x->interfere.run_delay_ok;
			res->interfere.irqs_ok &= x->interfere.irqs_ok;
			cb_counters_add(&res->counters, &x->counters);
		}
	}
	res->measured = all;
	/* The pass's loop is the window in which they all ran: ns_per_page is the machine's. */
	res->loop_ns = wr->window_ns;
	if (worst >= 0 && cb_status_rank(w[worst].status) > cb_status_rank(res->status)) {
		res->status = w[worst].status;
		snprintf(res->reason, sizeof(res->reason), "%s %d (CPU %d): %.220s", p->processes ? "process" : "thread",
			 worst, p->cpu[worst], w[worst].reason);
	}
}

static void cb_worker_ctx(struct cb_ctx *ctx, struct cb_region *r, size_t per, int i, struct cb_pass_result *wres,
			  struct cb_gate *g, struct cb_worker_arg *a)
{
	a->ctx = *ctx;
	a->ctx.res = &wres[i];
	a->ctx.cpu = i < ctx->workers.n ? ctx->workers.cpu[i] : ctx->workers.bg_cpu;
	a->ctx.other_cpu = -1;
	a->ctx.gate = g;
	a->ctx.worker = i;
	a->ctx.count_mmap_lock = true;
	a->part = (struct cb_region){ .addr = r->addr + (size_t)i * per * r->stride, .len = per * r->stride,
				      .pages = per, .stride = r->stride, .vs_map = r->vs_map };
	memset(&wres[i], 0, sizeof(wres[i]));
	cb_hist_init(&wres[i].hist);
	wres[i].status = CB_OK;
	wres[i].fifo = ctx->res->fifo;
}

int cb_workers_run(struct cb_ctx *ctx, struct cb_region *r, cb_worker_fn fn, cb_background_fn bg, void *arg)
{
	const struct cb_workers_plan *p = &ctx->workers;
	int n = p->n, started = 0, ret = 0;
	size_t per, folio = ctx->bk.folio_size > cb_page_size ? ctx->bk.folio_size : cb_page_size;
	struct cb_pass_result *wres;
	struct cb_worker_arg *args;
	pthread_t tid[CB_WORKERS_MAX + 1];
	pid_t pid[CB_WORKERS_MAX];
	struct cb_gate *g;
	bool bg_started = false;
	size_t wlen = (size_t)(n + 1) * sizeof(*wres);

	if (n <= 0)
		return cb_ctx_error(ctx, "cb_workers_run (no workers planned)", -EINVAL);
	ctx->res->measured = true;
	per = r->pages / (size_t)n;
	/* thp_single_pte measures one page per folio: any number of them is whole folios. */
	if (r->pages % (size_t)n || (r->stride == cb_page_size && (per * cb_page_size) % folio))
		return cb_ctx_skip(ctx, "%zu pages do not split into %d parts of whole %zu KiB folios", r->pages, n,
				   folio / 1024);
	wres = mmap(NULL, wlen, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (wres == MAP_FAILED)
		return cb_ctx_error(ctx, "mmap (worker results)", -errno);
	g = mmap(NULL, sizeof(*g), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	args = calloc((size_t)n + 1, sizeof(*args));
	if (g == MAP_FAILED || !args) {
		ret = cb_ctx_error(ctx, "mmap (worker gate)", -ENOMEM);
		goto unmap;
	}
	memset(g, 0, sizeof(*g));
	g->expect = n + (bg != NULL);
	g->nfault = n;
	for (int i = 0; i <= n; i++) {
		cb_worker_ctx(ctx, r, per, i, wres, g, &args[i]);
		args[i].fn = fn;
		args[i].bg = bg;
		args[i].arg = arg;
	}
	if (bg && p->bg_cpu >= 0) {
		pthread_attr_t attr;
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(p->bg_cpu, &set);
		ret = pthread_attr_init(&attr);
		if (!ret)
			ret = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		if (!ret)
			ret = pthread_create(&tid[n], &attr, cb_background_thread, &args[n]);
		pthread_attr_destroy(&attr);
		if (ret) {
			ret = cb_ctx_error(ctx, "pthread_create (background thread)", -ret);
			goto gate_off;
		}
		bg_started = true;
	} else if (bg) {
		ret = cb_ctx_error(ctx, "cb_workers_run (no CPU for the background thread)", -EINVAL);
		goto gate_off;
	}
	for (started = 1; started < n; started++) {
		struct cb_worker_arg *a = &args[started];

		if (p->processes) {
			fflush(NULL);
			pid[started] = cb_fork_tied();
			if (pid[started] < 0) {
				ret = cb_ctx_error(ctx, "fork (worker)", -errno);
				break;
			}
			if (pid[started] == 0) {
				int err = cb_cpu_pin(&a->ctx, a->ctx.cpu);

				cb_worker_finish(&a->ctx, err ? err : fn(&a->ctx, &a->part, arg));
				fflush(NULL);
				_exit(0);
			} else {
				cpu_set_t set;

				/* Moved off this CPU by the parent too: the child starts here, at the
				 * parent's SCHED_FIFO priority, and would not run before the parent
				 * blocks, which it does not while it waits at the gate. */
				CPU_ZERO(&set);
				CPU_SET(a->ctx.cpu, &set);
				sched_setaffinity(pid[started], sizeof(set), &set);
			}
		} else {
			pthread_attr_t attr;
			cpu_set_t set;
			int err;

			CPU_ZERO(&set);
			CPU_SET(a->ctx.cpu, &set);
			err = pthread_attr_init(&attr);
			if (!err)
				err = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
			if (!err)
				err = pthread_create(&tid[started], &attr, cb_worker_thread, a);
			pthread_attr_destroy(&attr);
			if (err) {
				ret = cb_ctx_error(ctx, "pthread_create (worker)", -err);
				break;
			}
		}
	}
	if (started == n) {
		cb_worker_finish(&args[0].ctx, fn(&args[0].ctx, &args[0].part, arg));
	} else {
		/* The workers already started must not wait for the ones that never will. */
		for (int i = 0; i <= n; i++)
			cb_worker_finish(&args[i].ctx, 0);
	}
	for (int i = 1; i < started; i++) {
		int ws;

		if (!p->processes) {
			pthread_join(tid[i], NULL);
			continue;
		}
		while (waitpid(pid[i], &ws, 0) < 0 && errno == EINTR)
			;
		if (WIFSIGNALED(ws) && wres[i].status == CB_OK) {
			wres[i].status = CB_ERROR;
			snprintf(wres[i].reason, sizeof(wres[i].reason), "worker killed by signal %d (%s)", WTERMSIG(ws),
				 strsignal(WTERMSIG(ws)));
		}
	}
gate_off:
	/* A background thread stops at the workers' end; one whose workers never started, here. */
	if (!atomic_load(&g->finished)) {
		atomic_store(&g->timed_out, 1);
		atomic_store(&g->finished, 1);
		atomic_store(&g->go, 1);
	}
	if (bg_started)
		pthread_join(tid[n], NULL);
	if (!ret) {
		cb_workers_merge(ctx, wres, g, args[n].bg_ops);
		/* One mm holds every part: their nodes, as a single-threaded pass notes them. */
		if (ctx->pass == CB_PASS_COUNTING && !p->processes)
			cb_numa_pages_note(r->addr, r->stride, r->pages);
	}
unmap:
	free(args);
	if (g != MAP_FAILED)
		munmap(g, sizeof(*g));
	munmap(wres, wlen);
	return ret;
}
