#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cb.h"
#include "faultlat.h"
#include "hyperfine.h"
#include "kconfig.h"
#include "numa_place.h"
#include "perf.h"
#include "record.h"
#include "runner.h"
#include "settings.h"
#include "swap.h"
#include "sysfs.h"

#define CB_NUMA_BALANCING "/proc/sys/kernel/numa_balancing"

int cb_cpus_pick(int want, int *cpu, int *other)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -errno;
	*cpu = -1;
	*other = -1;
	if (want >= 0) {
		if (want >= CPU_SETSIZE || !CPU_ISSET(want, &set))
			return -EINVAL;
		*cpu = want;
	}
	/* Default: the highest allowed CPU; CPU 0 is where the machine's housekeeping runs. */
	for (int i = CPU_SETSIZE - 1; *cpu < 0 && i >= 0; i--)
		if (CPU_ISSET(i, &set))
			*cpu = i;
	for (int i = 0; i < CPU_SETSIZE && *other < 0; i++)
		if (CPU_ISSET(i, &set) && i != *cpu)
			*other = i;
	return *cpu < 0 ? -EINVAL : 0;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* MAP_SHARED pages are not copied at fork: a new process's first write to each faults. A
 * worker faults its result pages in before it measures anything. */
static void cb_prefault_shared(void *addr, size_t len)
{
	size_t ps = cb_page_size;

	len = (len + ps - 1) / ps * ps;
	if (madvise(addr, len, MADV_POPULATE_WRITE) == 0)
		return;
	for (size_t off = 0; off < len; off += ps)
		__atomic_fetch_add((volatile char *)addr + off, 0, __ATOMIC_RELAXED);
}

/*
 * Ordinary load on the measured CPU (a build, stress-ng, another benchmark) must not preempt a
 * pass: at SCHED_FIFO 1 only interrupts, their softirqs and real-time threads can, and the
 * interference check still catches those. A pass takes milliseconds, far below the 950 ms a
 * second that RT throttling grants; the worker only ever blocks (pipes, waitpid), never spins on
 * what a task of its CPU must do. Children forked by the scenario inherit it. Unprivileged, the
 * worker stays SCHED_OTHER and preemption by load makes repetitions disturbed instead.
 */
static bool cb_worker_fifo(void)
{
	struct sched_param sp = { .sched_priority = 1 };

	return cb_is_privileged() && sched_setscheduler(0, SCHED_FIFO, &sp) == 0;
}

/*
 * One pass in a fresh worker process forked for it: nothing an earlier pass or instance did
 * (threads on other CPUs, a remote CPU in mm_cpumask, page tables, per-CPU LRU batches of its
 * own pages) reaches this pass's mm. The worker pins itself before it maps anything. The
 * launcher (this process) starts no threads and waits.
 */
static int cb_pass_run(const struct cb_scenario *s, struct cb_ctx *ctx, enum cb_pass_kind kind)
{
	struct cb_pass_result *res = ctx->res;
	int ret, wstatus;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	cb_hist_init(&res->hist);
	res->status = CB_OK;
	ctx->pass = kind;
	ctx->expect_mapcount = 0;
	ctx->order = NULL;
	ctx->child = 0;
	ctx->peer = 0;
	ctx->sync_prepared = false;
	ctx->align = 0;
	ctx->read_op = false;
	fflush(NULL);
	pid = cb_fork_tied();
	if (pid < 0) {
		res->status = CB_ERROR;
		snprintf(res->reason, sizeof(res->reason), "fork (pass worker): %s", strerror(errno));
		return res->status;
	}
	if (pid == 0) {
		if (cb_cpu_pin(ctx, ctx->cpu))
			_exit(0);
		cb_prefault_shared(res, sizeof(*res));
		res->fifo = cb_worker_fifo();
		ret = s->run(ctx);
		if (ret < 0 && res->status == CB_OK) {
			res->status = CB_ERROR;
			snprintf(res->reason, sizeof(res->reason), "%s", strerror(-ret));
		}
		fflush(NULL);
		_exit(0);
	}
	while (waitpid(pid, &wstatus, 0) < 0) {
		if (errno != EINTR) {
			res->status = CB_ERROR;
			snprintf(res->reason, sizeof(res->reason), "waitpid (pass worker): %s", strerror(errno));
			return res->status;
		}
	}
	/* Whatever machine setting the worker changed and left (it crashed) goes back now. */
	ret = cb_settings_reap();
	if (ret && res->status == CB_OK) {
		res->status = CB_ERROR;
		snprintf(res->reason, sizeof(res->reason), "undoing the pass worker's settings: %s", strerror(-ret));
	}
	if (WIFSIGNALED(wstatus) && res->status == CB_OK) {
		res->status = CB_ERROR;
		snprintf(res->reason, sizeof(res->reason), "pass worker killed by signal %d (%s)", WTERMSIG(wstatus),
			 strsignal(WTERMSIG(wstatus)));
	}
	if (res->status == CB_OK && !res->measured) {
		res->status = CB_ERROR;
		snprintf(res->reason, sizeof(res->reason), "scenario did not run its measured loop");
	}
	return res->status;
}

static double cb_ratio(const struct cb_pass_result *c, const char *name, uint64_t denom)
{
	const struct cb_counter *k = cb_counters_find(&c->counters, name);

	return k && k->supported && denom ? (double)k->value / (double)denom : NAN;
}

/* The median of the finite values of v (n of them); NaN when there is none. */
static double cb_median_finite(double *v, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i]))
			v[k++] = v[i];
	return k ? cb_stats_percentile(v, k, 50) : NAN;
}

static void cb_row_finish(struct cb_summary_row *row, double *nspp, double *p50, double *p99, double *fp50)
{
	if (row->n) {
		cb_stats_compute(nspp, (size_t)row->n, &row->ns_per_page);
		row->p50 = cb_stats_percentile(p50, (size_t)row->n, 50);
		row->p99 = cb_stats_percentile(p99, (size_t)row->n, 50);
		/* Repetitions whose fault latency was left out or withheld are NaN there. */
		row->fault_p50 = fp50 ? cb_median_finite(fp50, (size_t)row->n) : NAN;
	}
}

/* A scenario timed from outside (hyperfine): one record per run it reports, each a timing pass
 * of that run's time; no counting pass. Returns the instance's status, reason in ctx->res. */
static int cb_external_run(const struct cb_scenario *s, struct cb_ctx *ctx, const struct cb_opts *o,
			   struct cb_record_in *rin, FILE *out, struct cb_pass_result *timing,
			   struct cb_summary_row *row, double *nspp, double *p50, double *p99)
{
	struct cb_pass_result *res = ctx->res;
	struct cb_hyperfine hf = { 0 };
	int ret;

	memset(res, 0, sizeof(*res));
	res->status = CB_OK;
	ret = s->external(ctx, o, &hf);
	if (ret < 0 && res->status == CB_OK) {
		res->status = CB_ERROR;
		snprintf(res->reason, sizeof(res->reason), "%s", strerror(-ret));
	}
	if (res->status == CB_OK && hf.n != (size_t)o->repeat) {
		res->status = CB_ERROR;
		snprintf(res->reason, sizeof(res->reason), "hyperfine reported %zu runs, %d asked for", hf.n, o->repeat);
	}
	for (size_t i = 0; res->status == CB_OK && i < hf.n; i++) {
		json_object *rec;

		cb_hyperfine_pass(&hf, i, ctx->pages, timing);
		rin->rep = (int)i + 1;
		rin->status = CB_OK;
		rin->reason = NULL;
		rin->timing = timing;
		rin->counting = NULL;
		rin->fault_hist = NULL;
		rin->fault_withheld = "timed from outside: no per-op latencies";
		rec = cb_record_build(rin);
		cb_record_write(out, rec);
		json_object_put(rec);
		nspp[row->n] = (double)timing->loop_ns / (double)timing->pages;
		p50[row->n] = p99[row->n] = (double)timing->loop_ns;
		row->n++;
	}
	cb_hyperfine_free(&hf);
	return res->status;
}

/* An instance between its visits: what it has measured so far and why it stopped. */
struct cb_instance {
	const struct cb_scenario *s;
	const struct cb_opts *o;
	FILE *out;
	struct cb_summary_row *row;
	struct cb_ctx ctx;
	struct cb_record_in rin;
	double *nspp, *p50, *p99;   /* one per recorded undisturbed repetition */
	double *fp50;               /* its fault latency p50, NaN where left out or withheld */
	struct cb_page_log plog;    /* mapped during a visit */
	struct cb_hist *fault_hist; /* the repetition's faulting ops */
	int status;                 /* CB_OK while repetitions are left */
	bool done;
	double spent_s;             /* in its visits so far (repeat = auto's max_time) */
	enum cb_repeat_stop stop;   /* repeat = auto: what stopped it */
	char reason[256], swap[256], numa_bal[32];
	char swap_area[256];        /* the area its visit turned on ("": none, or swap = existing) */
};

struct cb_instance *cb_instance_open(const struct cb_scenario *s, const struct cb_opts *o, const char *run_id,
				     FILE *out, struct cb_summary_row *row)
{
	struct cb_instance *in = calloc(1, sizeof(*in));
	int ret;

	memset(row, 0, sizeof(*row));
	snprintf(row->scenario, sizeof(row->scenario), "%s", s->name);
	snprintf(row->backing, sizeof(row->backing), "%.31s", o->backing);
	cb_size_format(o->size, row->size_h, sizeof(row->size_h));
	row->faults_per_page = row->allocs_per_page = row->tlb_per_fault = row->ipi_per_fault = NAN;
	row->fault_p50 = NAN;
	row->repeat_ci = NAN;
	if (!in)
		return NULL;
	in->s = s;
	in->o = o;
	in->out = out;
	in->row = row;
	in->ctx = (struct cb_ctx){ .scn = s, .opts = o, .backing = o->backing, .size = o->size,
				   .pages = o->size / cb_page_size };
	in->rin = (struct cb_record_in){ .run_id = run_id, .scn = s, .opts = o,
					 .source = s->external ? "hyperfine" : NULL };
	in->status = CB_OK;
	cb_swap_describe(in->swap, sizeof(in->swap));
	in->rin.swap = in->swap;
	in->nspp = calloc((size_t)o->repeat, sizeof(double));
	in->p50 = calloc((size_t)o->repeat, sizeof(double));
	in->p99 = calloc((size_t)o->repeat, sizeof(double));
	in->fp50 = calloc((size_t)o->repeat, sizeof(double));
	in->fault_hist = malloc(sizeof(*in->fault_hist));
	if (!in->nspp || !in->p50 || !in->p99 || !in->fp50 || !in->fault_hist) {
		in->status = CB_ERROR;
		snprintf(in->reason, sizeof(in->reason), "out of memory for results");
		goto stop;
	}
	/* Until a repetition reports one (never, for a scenario timed from outside). */
	for (int i = 0; i < o->repeat; i++)
		in->fp50[i] = NAN;

	ret = cb_cpus_pick(o->cpu, &in->ctx.cpu, &in->ctx.other_cpu);
	in->rin.cpu = in->ctx.cpu;
	if (ret) {
		in->status = CB_SKIP;
		snprintf(in->reason, sizeof(in->reason), "CPU %d is not available to this process", o->cpu);
	} else if ((s->needs & CB_NEED_PRIV) && !cb_is_privileged()) {
		in->status = CB_SKIP;
		snprintf(in->reason, sizeof(in->reason),
			 "needs root (CAP_SYS_ADMIN) for pagemap PFNs, /proc/kpage* and tracepoints");
	} else if (cb_workers_plan(s, o, &in->ctx, in->reason, sizeof(in->reason))) {
		in->status = CB_SKIP;
	} else if ((s->needs & CB_NEED_TWO_CPUS) && in->ctx.other_cpu < 0) {
		in->status = CB_SKIP;
		snprintf(in->reason, sizeof(in->reason), "needs two CPUs this process may run on");
	} else if (cb_kconfig_lacks(s, o->backing, o, in->reason, sizeof(in->reason))) {
		in->status = CB_SKIP;
	} else if (!cb_scenario_has_backing(s, o->backing)) {
		in->status = CB_SKIP;
		snprintf(in->reason, sizeof(in->reason), "backing '%s' not supported (has: %s)", o->backing,
			 s->backings);
	} else if ((ret = cb_backing_parse(o->backing, &in->ctx.bk, in->reason, sizeof(in->reason)))) {
		in->status = CB_SKIP;
		if (ret == -EINVAL)
			snprintf(in->reason, sizeof(in->reason), "unknown backing '%s'", o->backing);
	} else {
		/* Before any repetition: every one takes ns_per_page from the same loop. */
		in->rin.ns_timed = row->ns_timed = cb_record_ns_timed(&in->ctx.bk);
	}
stop:
	in->done = in->status != CB_OK;
	return in;
}

bool cb_instance_done(const struct cb_instance *in)
{
	return in->done;
}

static double cb_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Up to `reps` more repetitions (each tried again while disturbed, a bounded number of times)
 * after the warm-up passes. Returns the status; CB_OK with repetitions left. */
static int cb_instance_reps(struct cb_instance *in, struct cb_pass_result *shared, struct cb_pass_result *timing,
			    struct cb_pass_result *counting, struct cb_numa_pages *numa_pages, int reps, double t0)
{
	const struct cb_opts *o = in->o;
	struct cb_summary_row *row = in->row;
	struct cb_ctx *ctx = &in->ctx;
	int status = CB_OK, tries = 0, goal = row->n + reps < o->repeat ? row->n + reps : o->repeat;
	bool uses_swap = (in->s->needs & CB_NEED_SWAP) || ctx->bk.swap;
	struct cb_swap_guard guard = { .fd = -1 };
	struct cb_swap_state swap0, swap1, swap_delta;

	/* Tracefs ids resolved (and a private tracefs mounted) once, in the launcher: every worker
	 * inherits them. */
	if (cb_is_privileged())
		cb_tracepoint_id("tlb:tlb_flush");
	/* From before the warm-up: a change during it disturbs the first repetition. */
	if (uses_swap)
		cb_swap_guard_open(&guard, in->swap_area);
	for (int w = 0; w < o->warmup && status == CB_OK; w++) {
		status = cb_pass_run(in->s, ctx, CB_PASS_WARMUP);
		/* A disturbed warm-up did its job: it warmed up. */
		if (status == CB_DISTURBED)
			status = CB_OK;
	}
	while (row->n < goal && status == CB_OK && in->stop == CB_REPEAT_MORE) {
		json_object *rec;
		int tstatus, rep = row->n + 1;
		char dreason[400] = "", fwhy[200];
		bool faulted;

		if (uses_swap)
			cb_swap_state_snap(&swap0);
		tstatus = cb_pass_run(in->s, ctx, CB_PASS_TIMING);
		memcpy(timing, shared, sizeof(*timing));
		/* ns_per_page from a loop that pays for nothing else: the clock only around it. */
		if (tstatus == CB_OK && timing->per_op_timed) {
			tstatus = cb_pass_run(in->s, ctx, CB_PASS_UNTIMED);
			if (tstatus == CB_OK) {
				timing->untimed = true;
				timing->untimed_loop_ns = shared->loop_ns;
				timing->untimed_pfn_classified = shared->pfn_classified;
				timing->untimed_cow_pfn = shared->cow_pfn;
				timing->untimed_faults_read = shared->loop_faults_read;
				timing->untimed_faults = shared->loop_faults;
			} else {
				memcpy(timing, shared, sizeof(*timing));
			}
		}
		memset(numa_pages, 0, sizeof(*numa_pages));
		cb_numa_pages_sink(numa_pages);
		status = tstatus;
		if (status == CB_OK || status == CB_DISTURBED)
			status = cb_pass_run(in->s, ctx, CB_PASS_COUNTING);
		cb_numa_pages_sink(NULL);
		memcpy(counting, shared, sizeof(*counting));
		if (uses_swap) {
			cb_swap_state_snap(&swap1);
			cb_swap_state_delta(&swap0, &swap1, &swap_delta);
		}
		if (tstatus == CB_DISTURBED && (status == CB_OK || status == CB_DISTURBED)) {
			status = CB_DISTURBED;
			snprintf(dreason, sizeof(dreason), "timing pass: %s", timing->reason);
		} else if (status == CB_DISTURBED) {
			snprintf(dreason, sizeof(dreason), "counting pass: %s", counting->reason);
		}
		/* In a deterministic scenario the three passes decide alike. Where they did not, and a
		 * thread that holds page references (kcompactd, kswapd, kdamond) ran during the
		 * counting or timing loop, that thread is the likelier cause than the kernel under
		 * test: a reference held while a write faults turns its reuse into a copy. */
		if (status == CB_OK && in->s->deterministic && !cb_record_passes_agree(timing, counting)) {
			char ran[200];

			if (cb_kwork_ran(&counting->interfere.kwork, ran, sizeof(ran)) ||
			    cb_kwork_ran(&timing->interfere.kwork, ran, sizeof(ran))) {
				status = CB_DISTURBED;
				snprintf(dreason, sizeof(dreason),
					 "the passes' outcomes differ (counting: copy %llu, reuse %llu) while %s",
					 (unsigned long long)counting->cow.copy, (unsigned long long)counting->cow.reuse, ran);
			}
		}
		if (uses_swap && (status == CB_OK || status == CB_DISTURBED || status == CB_FAIL)) {
			char why[300];

			/* Pages of this repetition went to, or came back from, an area that is not the
			 * instance's: what it saw (a "fail" included) is not the kernel's doing alone. */
			if (cb_swap_guard_check(&guard, why, sizeof(why))) {
				status = CB_DISTURBED;
				snprintf(dreason, sizeof(dreason),
					 "swap areas changed during the repetition (%s): another process's swapon or "
					 "swapoff moves pages", why);
			}
		}
		if (status != CB_OK && status != CB_DISTURBED)
			break;
		if (status == CB_OK) {
			in->nspp[row->n] = cb_record_ns_per_page(timing, in->rin.ns_timed);
			/* repeat = auto: this repetition's record says whether it was the last. */
			if (o->repeat_auto)
				in->stop = cb_repeat_stop(in->nspp, (size_t)row->n + 1, o->target_ci, o->max_repeat,
							  in->spent_s + cb_mono_s() - t0, o->max_time, &row->repeat_ci);
			in->rin.repeat_ci = row->repeat_ci;
			in->rin.repeat_stop = cb_repeat_stop_name(in->stop);
		}
		in->rin.rep = rep;
		in->rin.status = status;
		in->rin.reason = status == CB_DISTURBED ? dreason : NULL;
		in->rin.timing = timing;
		in->rin.counting = counting;
		in->rin.numa = numa_pages;
		in->rin.swap_state = uses_swap ? &swap_delta : NULL;
		faulted = cb_fault_latency(timing, counting, &in->plog, in->fault_hist, fwhy, sizeof(fwhy));
		in->rin.fault_hist = faulted ? in->fault_hist : NULL;
		in->rin.fault_withheld = faulted ? NULL : fwhy;
		rec = cb_record_build(&in->rin);
		cb_record_write(in->out, rec);
		json_object_put(rec);
		in->rin.timing = in->rin.counting = NULL;
		in->rin.numa = NULL;
		in->rin.swap_state = NULL;
		in->rin.fault_hist = NULL;
		in->rin.fault_withheld = NULL;
		if (status == CB_DISTURBED) {
			/* Its figures stay in the record, never in the statistics; the repetition is
			 * tried again, a bounded number of times. */
			row->disturbed++;
			if (++tries < CB_DISTURBED_TRIES) {
				status = CB_OK;
				continue;
			}
			status = CB_SKIP;
			snprintf(shared->reason, sizeof(shared->reason),
				 "repetition %d disturbed in all %d tries; last: %s", rep, tries, dreason);
			break;
		}
		tries = 0;
		in->p50[row->n] = (double)cb_hist_percentile(&timing->hist, 50);
		in->p99[row->n] = (double)cb_hist_percentile(&timing->hist, 99);
		in->fp50[row->n] = faulted ? (double)cb_hist_percentile(in->fault_hist, 50) : NAN;
		if (row->n && (row->copy != counting->cow.copy || row->reuse != counting->cow.reuse ||
			       row->nofault != counting->cow.nofault))
			row->cow_varied = true;
		if (!row->n || counting->faults_spurious_pmd < row->spurious_min)
			row->spurious_min = counting->faults_spurious_pmd;
		if (!row->n || counting->faults_spurious_pmd > row->spurious_max)
			row->spurious_max = counting->faults_spurious_pmd;
		row->n++;
		row->classified = counting->classified;
		row->folio_copy = counting->cow.folio_copy;
		row->folio_copy_folios = counting->cow.folio_copy_folios;
		row->copy = counting->cow.copy;
		row->reuse = counting->cow.reuse;
		row->nofault = counting->cow.nofault;
		row->first_touch = counting->cow.fresh;
		row->faults_per_page = counting->classified && counting->pages ?
					       (double)counting->faults_total / counting->pages : NAN;
		row->allocs_per_page = cb_ratio(counting, "kmem:mm_page_alloc", counting->pages);
		/* Local flushes per fault, not the sum of tracepoint events (a local flush that also
		 * sends an IPI is two events). */
		row->tlb_per_fault = cb_ratio(counting, "tlb:tlb_flush/local_shootdown", counting->faults_total) +
				     cb_ratio(counting, "tlb:tlb_flush/local_mm_shootdown", counting->faults_total);
		row->ipi_per_fault = cb_ratio(counting, "tlb:tlb_flush/remote_send_ipi", counting->faults_total);
		if (timing->workers.n)
			cb_workers_describe(timing, counting, row->workers, sizeof(row->workers));
	}
	cb_swap_guard_close(&guard);
	if (status != CB_OK)
		snprintf(in->reason, sizeof(in->reason), "%s", shared->reason);
	return status;
}

int cb_instance_visit(struct cb_instance *in, int reps)
{
	const struct cb_opts *o = in->o;
	struct cb_ctx *ctx = &in->ctx;
	struct cb_pass_result *shared, *timing = NULL, *counting = NULL;
	struct cb_numa_policy numa_saved = { .saved = false };
	struct cb_numa_pages *numa_pages;
	cpu_set_t saved_affinity;
	int status = CB_OK, ret, mark;
	double t0 = cb_mono_s();

	if (in->done)
		return in->status;
	/* The backing's THP settings hold for this visit only: other instances' visits come between. */
	mark = cb_settings_push();
	ret = cb_backing_settings(&ctx->bk, in->reason, sizeof(in->reason));
	if (ret) {
		status = CB_ERROR;
		goto pop_settings;
	}
	/* NUMA hinting unmaps pages and takes faults (same PFN: a "reuse") or migrates them (a
	 * "copy"): off for the instance, through the journal; the guards catch what remains. */
	if (access(CB_NUMA_BALANCING, F_OK) == 0 && cb_is_privileged()) {
		ret = cb_settings_set(CB_NUMA_BALANCING, "0");
		if (ret) {
			status = CB_ERROR;
			snprintf(in->reason, sizeof(in->reason), "%s = 0: %s", CB_NUMA_BALANCING, strerror(-ret));
			goto pop_settings;
		}
	}
	/* After the backing's THP settings, which start or stop khugepaged; the pass workers inherit
	 * the list. */
	cb_kwork_rescan();
	if (cb_sysfs_read(CB_NUMA_BALANCING, in->numa_bal, sizeof(in->numa_bal)) > 0) {
		in->numa_bal[strcspn(in->numa_bal, "\n")] = '\0';
		in->rin.numa_balancing = in->numa_bal;
	}
	/* Swap the instance sets up is taken down with its settings scope. */
	if ((in->s->needs & CB_NEED_SWAP) || ctx->bk.swap) {
		/* Twice the region, at least 64 MiB: swap-cache folios keep their slots a while. */
		size_t dflt = 2 * o->size > (64ull << 20) ? 2 * o->size : 64ull << 20;
		struct cb_swap_conf sc = { .size = o->swap_size ? o->swap_size : dflt, .priority = 32767 };

		snprintf(sc.kind, sizeof(sc.kind), "%s", o->swap);
		snprintf(sc.comp, sizeof(sc.comp), "%s", o->swap_comp);
		snprintf(sc.path, sizeof(sc.path), "%s", o->swapfile);
		ret = cb_swap_setup(&sc, in->reason, sizeof(in->reason));
		snprintf(in->swap_area, sizeof(in->swap_area), "%s", sc.area);
		cb_swap_describe(in->swap, sizeof(in->swap));
		if (ret) {
			status = CB_SKIP;
			goto pop_settings;
		}
	}

	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	timing = malloc(sizeof(*timing));
	counting = malloc(sizeof(*counting));
	/* Shared: the counting pass may query the page nodes in a forked child. */
	numa_pages = mmap(NULL, sizeof(*numa_pages), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED || !timing || !counting || numa_pages == MAP_FAILED) {
		status = CB_ERROR;
		snprintf(in->reason, sizeof(in->reason), "out of memory for results");
		goto free_results;
	}
	ctx->res = shared;
	/* Per-page latencies and faults of the instance's pages (a region has at most as many). */
	ret = cb_page_log_map(&in->plog, ctx->pages);
	if (ret) {
		status = CB_ERROR;
		snprintf(in->reason, sizeof(in->reason), "mmap (per-page log): %s", strerror(-ret));
		goto free_results;
	}
	ctx->plog = &in->plog;
	/* --numa: the policy every pass (and the tasks it forks, or hyperfine's) allocates under. */
	ret = cb_numa_apply(o->numa, ctx->cpu, &numa_saved, in->reason, sizeof(in->reason));
	if (ret) {
		status = ret > 0 ? CB_SKIP : CB_ERROR;
		if (ret < 0)
			snprintf(in->reason, sizeof(in->reason), "set_mempolicy (--numa %s): %s", o->numa,
				 strerror(-ret));
		goto free_results;
	}
	if (in->s->external) {
		/* hyperfine runs its own repetitions, all in one visit. */
		status = cb_external_run(in->s, ctx, o, &in->rin, in->out, timing, in->row, in->nspp, in->p50, in->p99);
		if (status != CB_OK)
			snprintf(in->reason, sizeof(in->reason), "%s", shared->reason);
		in->done = true;
		goto restore_numa;
	}
	sched_getaffinity(0, sizeof(saved_affinity), &saved_affinity);
	/* The launcher stays on the measured CPU too: it only forks and waits. */
	if (cb_cpu_pin(ctx, ctx->cpu)) {
		status = CB_ERROR;
		snprintf(in->reason, sizeof(in->reason), "%s", shared->reason);
		goto restore_numa;
	}
	status = cb_instance_reps(in, shared, timing, counting, numa_pages, reps, t0);
	sched_setaffinity(0, sizeof(saved_affinity), &saved_affinity);
restore_numa:
	ret = cb_numa_restore(&numa_saved);
	if (ret && status == CB_OK) {
		status = CB_ERROR;
		snprintf(in->reason, sizeof(in->reason), "restoring the memory policy: %s", strerror(-ret));
	}
free_results:
	ctx->res = NULL;
	ctx->plog = NULL;
	cb_page_log_unmap(&in->plog);
	if (numa_pages != MAP_FAILED)
		munmap(numa_pages, sizeof(*numa_pages));
	if (shared != MAP_FAILED)
		munmap(shared, sizeof(*shared));
	free(timing);
	free(counting);
pop_settings:
	ret = cb_settings_pop(mark);
	if (ret && status == CB_OK) {
		status = CB_ERROR;
		snprintf(in->reason, sizeof(in->reason), "restoring THP settings: %s", strerror(-ret));
	}
	in->status = status;
	in->spent_s += cb_mono_s() - t0;
	if (status != CB_OK || in->row->n >= o->repeat || in->stop != CB_REPEAT_MORE)
		in->done = true;
	if (in->stop != CB_REPEAT_MORE)
		snprintf(in->row->repeat_stop, sizeof(in->row->repeat_stop), "%s", cb_repeat_stop_name(in->stop));
	return status;
}

int cb_instance_close(struct cb_instance *in, struct cb_summary_row *row)
{
	int status;

	if (!in) {
		row->status = CB_ERROR;
		snprintf(row->reason, sizeof(row->reason), "out of memory for results");
		return CB_ERROR;
	}
	status = in->status;
	cb_row_finish(row, in->nspp, in->p50, in->p99, in->fp50);
	row->status = status;
	snprintf(row->reason, sizeof(row->reason), "%s", in->reason);
	if (status != CB_OK) {
		json_object *rec;

		in->rin.rep = row->n + 1;
		in->rin.status = status;
		in->rin.reason = in->reason;
		rec = cb_record_build(&in->rin);
		cb_record_write(in->out, rec);
		json_object_put(rec);
	}
	free(in->nspp);
	free(in->p50);
	free(in->p99);
	free(in->fp50);
	free(in->fault_hist);
	free(in);
	return status;
}

int cb_instance_run(const struct cb_scenario *s, const struct cb_opts *o, const char *run_id, FILE *out,
		    struct cb_summary_row *row)
{
	struct cb_instance *in = cb_instance_open(s, o, run_id, out, row);

	if (in)
		cb_instance_visit(in, o->repeat);
	return cb_instance_close(in, row);
}

void cb_summary_header(FILE *f)
{
	fprintf(f, "%-18s %-14s %5s %-5s %2s %17s %7s %7s %7s %6s %6s %6s %7s %6s %6s %6s %6s\n", "scenario", "backing",
		"size", "st", "n", "ns/page med ± sd", "p50 ns", "flt p50", "p99 ns", "copy", "reuse", "nofalt", "spurpmd",
		"flt/pg", "alc/pg", "lfl/fl", "ipi/fl");
}

static void cb_fmt_ratio(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.2f", v);
}

void cb_summary_print(FILE *f, const struct cb_summary_row *r)
{
	char nspp[32], fp50[24], fpp[16], app[16], tpf[16], ipf[16], spur[48];

	if (r->status != CB_OK && !r->n) {
		fprintf(f, "%-18s %-14s %5s %-5s  %s\n", r->scenario, r->backing, r->size_h, cb_status_name(r->status),
			r->reason);
		if (r->disturbed)
			fprintf(f, "  %d disturbed repetition(s)\n", r->disturbed);
		return;
	}
	/* "t": a write loop's figure from its timing pass (cb_record_ns_timed), one timer read per page in it. */
	snprintf(nspp, sizeof(nspp), "%.0f ± %.0f%s", r->ns_per_page.median, r->ns_per_page.stddev,
		 r->ns_timed && r->classified ? " t" : "");
	/* Spurious faults at PMD-mapped THPs, no outcome: their range over the repetitions. */
	if (!r->classified)
		snprintf(spur, sizeof(spur), "-");
	else if (r->spurious_min == r->spurious_max)
		snprintf(spur, sizeof(spur), "%llu", (unsigned long long)r->spurious_max);
	else
		snprintf(spur, sizeof(spur), "%llu-%llu", (unsigned long long)r->spurious_min,
			 (unsigned long long)r->spurious_max);
	if (isnan(r->fault_p50))
		snprintf(fp50, sizeof(fp50), "-");
	else
		snprintf(fp50, sizeof(fp50), "%.0f", r->fault_p50);
	cb_fmt_ratio(fpp, sizeof(fpp), r->faults_per_page);
	cb_fmt_ratio(app, sizeof(app), r->allocs_per_page);
	cb_fmt_ratio(tpf, sizeof(tpf), r->tlb_per_fault);
	cb_fmt_ratio(ipf, sizeof(ipf), r->ipi_per_fault);
	fprintf(f, "%-18s %-14s %5s %-5s %2d %17s %7.0f %7s %7.0f %6llu %6llu %6llu %7s %6s %6s %6s %6s%s\n", r->scenario,
		r->backing, r->size_h, cb_status_name(r->status), r->n, nspp, r->p50, fp50, r->p99,
		(unsigned long long)r->copy, (unsigned long long)r->reuse, (unsigned long long)r->nofault, spur, fpp,
		app, tpf, ipf, r->cow_varied ? "  (outcomes varied between repetitions)" : "");
	if (r->folio_copy)
		fprintf(f, "  %llu page(s) copied with their whole folio, %llu folio(s) (cow.folio_copy)\n",
			(unsigned long long)r->folio_copy, (unsigned long long)r->folio_copy_folios);
	if (r->workers[0])
		fprintf(f, "  %s\n", r->workers);
	if (r->disturbed)
		fprintf(f, "  %d disturbed repetition(s) left out (see their records' reason)\n", r->disturbed);
	if (r->status != CB_OK)
		fprintf(f, "  %s after %d repetition(s): %s\n", cb_status_name(r->status), r->n, r->reason);
	if (r->repeat_stop[0])
		fprintf(f, "  repeat auto: stopped by %s after %d repetition(s); 95%% CI of the mean ns/page %s%.2f%%\n",
			r->repeat_stop, r->n, isnan(r->repeat_ci) ? "" : "±", isnan(r->repeat_ci) ? NAN : 100 * r->repeat_ci);
}
