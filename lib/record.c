#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cb.h"
#include "faultlat.h"
#include "record.h"
#include "timer.h"

const char *cb_status_name(int status)
{
	static const char *const names[] = { "ok", "skip", "fail", "error", "disturbed" };

	return status >= 0 && status <= CB_DISTURBED ? names[status] : "error";
}

static void cb_put(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}

static json_object *cb_u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

/* An empty histogram (a timing pass disturbed before its loop) has no latency: null, not a
 * min of UINT64_MAX and percentiles of 0. */
static json_object *cb_latency(const struct cb_hist *h)
{
	json_object *o;

	if (!h->count)
		return NULL;
	o = json_object_new_object();
	static const struct {
		const char *k;
		double pct;
	} pcts[] = { { "p50", 50 }, { "p90", 90 }, { "p99", 99 }, { "p999", 99.9 } };

	for (size_t i = 0; i < CB_ARRAY_SIZE(pcts); i++)
		cb_put(o, pcts[i].k, cb_u64(cb_hist_percentile(h, pcts[i].pct)));
	cb_put(o, "min", cb_u64(h->min));
	cb_put(o, "max", cb_u64(h->max));
	cb_put(o, "mean", json_object_new_double(cb_hist_mean(h)));
	return o;
}

/* Non-empty buckets as [low, high, count]: enough to merge runs and draw CDFs later. */
static json_object *cb_latency_hist(const struct cb_hist *h)
{
	json_object *a = json_object_new_array();

	for (int i = 0; i < CB_HIST_BUCKETS; i++) {
		json_object *b;

		if (!h->buckets[i])
			continue;
		b = json_object_new_array();
		json_object_array_add(b, cb_u64(cb_hist_bucket_low(i)));
		json_object_array_add(b, cb_u64(cb_hist_bucket_high(i)));
		json_object_array_add(b, cb_u64(h->buckets[i]));
		json_object_array_add(a, b);
	}
	return a;
}

/* The faulting ops' latencies: a percentile only where enough ops faulted to have one. */
static json_object *cb_fault_latency_json(const struct cb_hist *h)
{
	json_object *o = json_object_new_object();

	cb_put(o, "ops", cb_u64(h->count));
	cb_put(o, "p50", cb_u64(cb_hist_percentile(h, 50)));
	cb_put(o, "p90", h->count >= CB_FAULT_P90_MIN ? cb_u64(cb_hist_percentile(h, 90)) : NULL);
	cb_put(o, "p99", h->count >= CB_FAULT_P99_MIN ? cb_u64(cb_hist_percentile(h, 99)) : NULL);
	cb_put(o, "max", cb_u64(h->max));
	return o;
}

static json_object *cb_unsupported(const char *why)
{
	json_object *o = json_object_new_object();

	cb_put(o, "unsupported", json_object_new_string(why));
	return o;
}

static const struct cb_counter *cb_ctr(const struct cb_pass_result *c, const char *name)
{
	const struct cb_counter *k = cb_counters_find(&c->counters, name);

	return k && k->supported ? k : NULL;
}

static json_object *cb_per(const struct cb_counter *k, uint64_t denom)
{
	return k && denom ? json_object_new_double((double)k->value / (double)denom) : NULL;
}

static json_object *cb_folios(const uint64_t by_order[CB_FOLIO_ORDERS])
{
	json_object *o = json_object_new_object();

	for (int k = 0; k < CB_FOLIO_ORDERS; k++) {
		char sz[32];

		if (!by_order[k])
			continue;
		cb_size_format(cb_page_size << k, sz, sizeof(sz));
		cb_put(o, sz, cb_u64(by_order[k]));
	}
	return o;
}

static json_object *cb_extras(const struct cb_pass_result *res)
{
	json_object *o = json_object_new_object();

	for (int i = 0; i < res->nextra; i++)
		cb_put(o, res->extra[i].name, res->extra[i].why[0] ? cb_unsupported(res->extra[i].why) :
					      json_object_new_double(res->extra[i].value));
	return o;
}

/* Supported counters per op, and their multiplex scaling (time_enabled / time_running: 1 when
 * the counter ran the whole time; its value is already scaled by it). */
static void cb_record_per_op(json_object *r, const struct cb_pass_result *c, uint64_t ops)
{
	json_object *per = json_object_new_object(), *scaling = json_object_new_object();

	for (int i = 0; i < c->counters.n; i++) {
		const struct cb_counter *k = &c->counters.c[i];

		if (!k->supported)
			continue;
		cb_put(per, k->name, cb_per(k, ops));
		cb_put(scaling, k->name, k->time_running ?
				 json_object_new_double((double)k->time_enabled / (double)k->time_running) : NULL);
	}
	cb_put(r, "counters_per_op", per);
	cb_put(r, "counter_scaling", scaling);
}

/* Where the measured pages were (move_pages) and the node of the task that measured. */
static void cb_record_numa(json_object *r, const struct cb_numa_pages *np)
{
	json_object *by;
	char key[16], why[96];

	if (!np || !np->noted)
		return;
	cb_put(r, "numa_task_node", np->task_node >= 0 ? json_object_new_int(np->task_node) : NULL);
	if (np->err) {
		snprintf(why, sizeof(why), "move_pages: %s", strerror(-np->err));
		cb_put(r, "numa_pages_by_node", cb_unsupported(why));
		return;
	}
	by = json_object_new_object();
	for (int n = 0; n < CB_NUMA_NODES_MAX; n++) {
		if (!np->by_node[n])
			continue;
		snprintf(key, sizeof(key), "%d", n);
		cb_put(by, key, cb_u64(np->by_node[n]));
	}
	if (np->absent)
		cb_put(by, "none", cb_u64(np->absent));
	cb_put(r, "numa_pages_by_node", by);
}

/* The swap settings during a repetition and its per-size mTHP swap counters' deltas. */
static json_object *cb_swap_state_json(const struct cb_swap_state *s)
{
	json_object *o = json_object_new_object(), *by = json_object_new_object();

	cb_put(o, "zswap", s->zswap[0] ? json_object_new_string(s->zswap) : NULL);
	cb_put(o, "page_cluster", s->page_cluster >= 0 ? json_object_new_int(s->page_cluster) : NULL);
	cb_put(o, "thp_defrag", s->thp_defrag[0] ? json_object_new_string(s->thp_defrag) : NULL);
	for (int i = 0; i < s->nsizes; i++) {
		json_object *c = json_object_new_object();
		char sz[32];

		for (int k = 0; k < CB_SWAP_MTHP_STATS; k++)
			cb_put(c, cb_swap_mthp_stat_names[k], s->size[i].v[k] >= 0 ? json_object_new_int64(s->size[i].v[k]) : NULL);
		cb_size_format(s->size[i].kb * 1024, sz, sizeof(sz));
		cb_put(by, sz, c);
	}
	cb_put(o, "mthp_delta", by);
	return o;
}

static void cb_record_counting(json_object *r, const struct cb_pass_result *c)
{
	json_object *o, *counters = json_object_new_object(), *times = json_object_new_object();
	const struct cb_counter *allocs = cb_ctr(c, "kmem:mm_page_alloc"), *tlb = cb_ctr(c, "tlb:tlb_flush");
	uint64_t faults = c->faults_total;
	if (!c->classified) {
		/* An op scenario (fork, zap, collapse): no per-page outcome to report. */
		cb_put(r, "cow", NULL);
		cb_put(r, "folio_copy_folios", NULL);
		cb_put(r, "faults", NULL);
	} else {
		o = json_object_new_object();
		cb_put(o, "copy", cb_u64(c->cow.copy));
		cb_put(o, "reuse", cb_u64(c->cow.reuse));
		cb_put(o, "nofault", cb_u64(c->cow.nofault));
		cb_put(o, "moved", cb_u64(c->cow.moved));
		cb_put(o, "migrated", cb_u64(c->cow.migrated));
		cb_put(o, "first_touch", cb_u64(c->cow.fresh));
		cb_put(o, "swapin", cb_u64(c->cow.swapin));
		cb_put(o, "unmapped_after", cb_u64(c->cow.lost));
		cb_put(o, "folio_copy", cb_u64(c->cow.folio_copy));
		cb_put(r, "cow", o);
		cb_put(r, "folio_copy_folios", cb_u64(c->cow.folio_copy_folios));
		if (c->peer_checked) {
			/* Pages the other process still mapped at the same PFN after the loop: shared
			 * for the whole loop. An exact assertion may rest on these only. */
			o = json_object_new_object();
			cb_put(o, "shared", cb_u64(c->peer_shared.copy + c->peer_shared.reuse +
						   c->peer_shared.nofault + c->peer_shared.lost));
			cb_put(o, "copy", cb_u64(c->peer_shared.copy));
			cb_put(o, "reuse", cb_u64(c->peer_shared.reuse));
			cb_put(o, "nofault", cb_u64(c->peer_shared.nofault));
			cb_put(o, "unmapped_after", cb_u64(c->peer_shared.lost));
			cb_put(r, "cow_verified", o);
		}

		o = json_object_new_object();
		cb_put(o, "total", cb_u64(faults));
		cb_put(o, "outside_region", cb_u64(c->faults_outside));
		cb_put(o, "spurious_pmd", cb_u64(c->faults_spurious_pmd));
		cb_put(o, "method", json_object_new_string(c->faults_sampled ? "address samples" : "counter reads"));
		cb_put(o, "per_page", json_object_new_double(c->pages ? (double)faults / (double)c->pages : 0));
		{
			json_object *by = json_object_new_object();
			static const char *const k[] = { "0", "1", "2", "3+" };

			for (int i = 0; i < 4; i++)
				cb_put(by, k[i], cb_u64(c->pages_by_faults[i]));
			cb_put(o, "pages_by_count", by);
		}
		cb_put(r, "faults", o);
	}
	cb_put(r, "page_allocs_per_page", cb_per(allocs, c->pages));
	/* The task's own direct compaction and reclaim: figures, never a disturbance. */
	{
		static const struct {
			const char *field, *counter;
		} own[] = {
			{ "direct_compaction", "compaction:mm_compaction_begin" },
			{ "direct_reclaim", "vmscan:mm_vmscan_direct_reclaim_begin" },
			{ "memcg_reclaim", "vmscan:mm_vmscan_memcg_reclaim_begin" },
		};

		for (size_t i = 0; i < CB_ARRAY_SIZE(own); i++) {
			const struct cb_counter *k = cb_counters_find(&c->counters, own[i].counter);

			cb_put(r, own[i].field, k && k->supported ? cb_u64(k->value) :
					       cb_unsupported(k ? k->why : "not measured"));
		}
	}
	cb_put(r, "region_vmas", c->vmas > 0 ? json_object_new_int(c->vmas) : NULL);

	if (tlb) {
		static const char prefix[] = "tlb:tlb_flush/";
		json_object *by = json_object_new_object(), *per = json_object_new_object();

		o = json_object_new_object();
		cb_put(o, "total", cb_u64(tlb->value));
		cb_put(o, "per_fault", cb_per(tlb, faults));
		/* Whatever reasons this kernel's tracepoint has (6.18 added remote_wrong_cpu). */
		for (int i = 0; i < c->counters.n; i++) {
			const struct cb_counter *k = &c->counters.c[i];
			const char *reason = k->name + sizeof(prefix) - 1;

			if (strncmp(k->name, prefix, sizeof(prefix) - 1) != 0)
				continue;
			cb_put(by, reason, k->supported ? cb_u64(k->value) : cb_unsupported(k->why));
			cb_put(per, reason, k->supported ? cb_per(k, faults) : NULL);
		}
		cb_put(o, "by_reason", by);
		cb_put(o, "per_fault_by_reason", per);
		/* Two figures kept apart: a local flush that also sends an IPI is one event of each
		 * reason, so their sum (per_fault) is no count of flushes. */
		{
			const struct cb_counter *l1 = cb_ctr(c, "tlb:tlb_flush/local_shootdown"),
						*l2 = cb_ctr(c, "tlb:tlb_flush/local_mm_shootdown"),
						*ipi = cb_ctr(c, "tlb:tlb_flush/remote_send_ipi");

			cb_put(o, "local_per_fault", l1 && l2 && faults ?
				json_object_new_double((double)(l1->value + l2->value) / (double)faults) : NULL);
			cb_put(o, "ipi_send_per_fault", cb_per(ipi, faults));
		}
		cb_put(r, "tlb_flush", o);
	} else {
		const struct cb_counter *k = cb_counters_find(&c->counters, "tlb:tlb_flush");

		cb_put(r, "tlb_flush", cb_unsupported(k ? k->why : "not measured"));
	}

	for (int i = 0; i < c->counters.n; i++) {
		const struct cb_counter *k = &c->counters.c[i];
		json_object *t;

		if (!k->supported) {
			cb_put(counters, k->name, cb_unsupported(k->why));
			continue;
		}
		cb_put(counters, k->name, cb_u64(k->value));
		t = json_object_new_array();
		json_object_array_add(t, cb_u64(k->time_enabled));
		json_object_array_add(t, cb_u64(k->time_running));
		cb_put(times, k->name, t);
	}
	cb_put(r, "counters", counters);
	cb_put(r, "counter_time_enabled_running", times);

	o = json_object_new_object();
	for (int i = 0; i < c->vmstat_delta.n; i++)
		cb_put(o, c->vmstat_delta.e[i].name, json_object_new_int64(c->vmstat_delta.e[i].v));
	cb_put(r, "vmstat_delta", o);

	cb_put(r, "folio_pages_by_size", cb_folios(c->folio_pages_by_order));
	cb_put(r, "folio_pages_by_size_after", cb_folios(c->folio_pages_by_order_after));

	cb_put(r, "extra", cb_extras(c));
}

static json_object *cb_interfere_json(const struct cb_pass_result *p)
{
	json_object *o;

	const struct cb_kwork *kw;
	bool all;

	/* An op's counting pass reads the background threads only. */
	if (!p || (!p->interfere_read && !p->interfere.kwork.read))
		return NULL;
	all = p->interfere_read;
	kw = &p->interfere.kwork;
	o = json_object_new_object();
	cb_put(o, "involuntary_switches", all && p->interfere.csw_ok ? cb_u64(p->interfere.csw) : NULL);
	cb_put(o, "voluntary_switches", all && p->interfere.csw_ok ? cb_u64(p->interfere.vcsw) : NULL);
	cb_put(o, "off_cpu_us", all && p->interfere.run_delay_ok ?
		json_object_new_double((double)p->interfere.run_delay_ns / 1000.0) : NULL);
	cb_put(o, "migrations", all && p->interfere.migrations_ok ? cb_u64(p->interfere.migrations) : NULL);
	cb_put(o, "irqs_on_cpu", all && p->interfere.irqs_ok ? cb_u64(p->interfere.irqs) : NULL);
	if (kw->read) {
		json_object *t = json_object_new_object();

		for (int i = 0; i < kw->n; i++)
			cb_put(t, kw->t[i].comm, kw->t[i].ok ? json_object_new_double((double)kw->t[i].ns / 1e6) : NULL);
		cb_put(o, "kernel_threads_ms", t);
	} else {
		cb_put(o, "kernel_threads_ms", NULL);
	}
	return o;
}

static json_object *cb_cow_pfn(const struct cb_cow_counts *c)
{
	json_object *o = json_object_new_object();

	cb_put(o, "pfn_changed", cb_u64(c->copy));
	cb_put(o, "pfn_kept", cb_u64(c->reuse));
	cb_put(o, "first_touch", cb_u64(c->fresh));
	cb_put(o, "swapin", cb_u64(c->swapin));
	cb_put(o, "unmapped_after", cb_u64(c->lost));
	return o;
}

/* The timing and untimed passes' outcomes from pagemap around their loops, and whether they
 * agree with the counting pass's (copy = PFN changed, reuse + nofault = PFN kept). */
static void cb_record_pfn_outcomes(json_object *r, const struct cb_record_in *in)
{
	const struct cb_pass_result *t = in->timing, *c = in->counting;
	bool agree;

	if (!t->pfn_classified)
		return;
	cb_put(r, "cow_timing_pass", cb_cow_pfn(&t->cow_pfn));
	if (t->untimed_pfn_classified)
		cb_put(r, "cow_untimed_pass", cb_cow_pfn(&t->untimed_cow_pfn));
	if (!c || !c->classified)
		return;
	agree = cb_record_passes_agree(t, c);
	cb_put(r, "cow_passes_agree", json_object_new_boolean(agree));
}

bool cb_record_passes_agree(const struct cb_pass_result *t, const struct cb_pass_result *c)
{
	bool agree = true;

	if (!t || !c || !t->pfn_classified || !c->classified)
		return true;
	for (int k = 0; k < 2; k++) {
		const struct cb_cow_counts *p = k ? &t->untimed_cow_pfn : &t->cow_pfn;

		if (k && !t->untimed_pfn_classified)
			continue;
		agree &= p->copy == c->cow.copy + c->cow.folio_copy && p->reuse == c->cow.reuse + c->cow.nofault &&
			 p->fresh == c->cow.fresh && p->swapin == c->cow.swapin && p->lost == c->cow.lost;
	}
	return agree;
}

bool cb_record_ns_timed(const struct cb_backing *bk)
{
	return bk->kind == CB_BK_THP || bk->kind == CB_BK_SYS;
}

/* Whether t's figure comes from its timing pass: an op, or an untimed pass that did not run. */
static bool cb_record_from_timed(const struct cb_pass_result *t, bool ns_timed)
{
	return ns_timed || !t->untimed;
}

static uint64_t cb_record_loop_ns(const struct cb_pass_result *t, bool ns_timed)
{
	return cb_record_from_timed(t, ns_timed) ? t->loop_ns : t->untimed_loop_ns;
}

double cb_record_ns_per_page(const struct cb_pass_result *t, bool ns_timed)
{
	return (double)cb_record_loop_ns(t, ns_timed) / (double)t->pages;
}

/* Concurrent workers (lib/workers.h): where they ran, whether their timings show concurrency,
 * the rate of the whole, each one's share; from the counting pass, which faults took mmap_lock. */
static void cb_record_workers(json_object *r, const struct cb_record_in *in)
{
	const struct cb_pass_result *t = in->timing, *c = in->counting;
	const struct cb_workers_res *w = &t->workers;
	json_object *o = json_object_new_object(), *cpus = json_object_new_array(), *per = json_object_new_array();
	uint64_t ns = t->untimed ? t->untimed_loop_ns : t->loop_ns;
	uint64_t faults = t->untimed ? t->untimed_faults : t->loop_faults;
	bool faults_read = t->untimed ? t->untimed_faults_read : t->loop_faults_read;

	cb_put(o, "mode", json_object_new_string(w->processes ? "processes" : "threads"));
	cb_put(o, "n", json_object_new_int(w->n));
	for (int i = 0; i < w->n; i++) {
		json_object *x = json_object_new_object(), *lat = json_object_new_object();
		const struct cb_worker_stat *st = &w->w[i];

		json_object_array_add(cpus, json_object_new_int(st->cpu));
		cb_put(x, "cpu", json_object_new_int(st->cpu));
		cb_put(x, "cpu_seen", json_object_new_int(st->cpu_seen));
		cb_put(x, "pages", cb_u64(st->pages));
		cb_put(x, "loop_ns", cb_u64(st->loop_ns));
		cb_put(x, "faults", cb_u64(st->faults));
		cb_put(lat, "p50", cb_u64(st->p50));
		cb_put(lat, "p99", cb_u64(st->p99));
		cb_put(lat, "max", cb_u64(st->max));
		cb_put(x, "latency_ns", lat);
		cb_put(x, "mmap_lock_faults", c && c->workers.n > i && c->workers.w[i].mmap_lock_read ?
			cb_u64(c->workers.w[i].mmap_lock) : NULL);
		json_object_array_add(per, x);
	}
	cb_put(o, "cpus", cpus);
	cb_put(o, "timings_valid", json_object_new_boolean(w->timings_valid));
	cb_put(o, "timings_why", w->timings_valid ? NULL : json_object_new_string(w->timings_why));
	cb_put(o, "window_ns", cb_u64(ns));
	cb_put(o, "faults_per_s", faults_read && ns ? json_object_new_double((double)faults * 1e9 / (double)ns) : NULL);
	cb_put(o, "per_worker", per);
	if (w->bg_cpu >= 0) {
		json_object *b = json_object_new_object();

		cb_put(b, "cpu", json_object_new_int(w->bg_cpu));
		cb_put(b, "ops", cb_u64(w->bg_ops));
		cb_put(b, "ops_per_s", t->loop_ns ? json_object_new_double((double)w->bg_ops * 1e9 / (double)t->loop_ns) : NULL);
		cb_put(o, "background", b);
	} else {
		cb_put(o, "background", NULL);
	}
	cb_put(r, "workers", o);
	if (!c || !c->workers.n)
		return;
	{
		const struct cb_counter *k[CB_MMAP_LOCK_EVENTS];
		const char *why = NULL;

		for (int i = 0; i < CB_MMAP_LOCK_EVENTS; i++) {
			k[i] = cb_counters_find(&c->counters, cb_mmap_lock_events[i]);
			if (!why && (!k[i] || !k[i]->supported))
				why = k[i] ? k[i]->why : "not counted";
		}
		if (why) {
			cb_put(r, "mmap_lock", cb_unsupported(why));
			return;
		}
		o = json_object_new_object();
		/* Every acquisition is released once: the faults that took it. */
		cb_put(o, "faults", cb_u64(k[2]->value));
		cb_put(o, "per_fault", c->faults_total ?
			json_object_new_double((double)k[2]->value / (double)c->faults_total) : NULL);
		cb_put(o, "start_locking", cb_u64(k[0]->value));
		cb_put(o, "acquire_returned", cb_u64(k[1]->value));
		cb_put(o, "released", cb_u64(k[2]->value));
		cb_put(r, "mmap_lock", o);
	}
}

json_object *cb_record_build(const struct cb_record_in *in)
{
	json_object *r = json_object_new_object();
	char sz[32];

	cb_size_format(in->opts->size, sz, sizeof(sz));
	cb_put(r, "schema", json_object_new_int(CB_SCHEMA_VERSION));
	cb_put(r, "run_id", in->run_id ? json_object_new_string(in->run_id) : NULL);
	cb_put(r, "scenario", json_object_new_string(in->scn->name));
	cb_put(r, "backing", json_object_new_string(in->opts->backing));
	cb_put(r, "size", cb_u64(in->opts->size));
	cb_put(r, "size_h", json_object_new_string(sz));
	{
		char opts[320];

		cb_opts_instance(in->opts, opts, sizeof(opts));
		cb_put(r, "options", json_object_new_string(opts));
	}
	cb_put(r, "pages", cb_u64(in->opts->size / cb_page_size));
	cb_put(r, "page_size", cb_u64(cb_page_size));
	cb_put(r, "rep", json_object_new_int(in->rep));
	cb_put(r, "repeat", json_object_new_int(in->opts->repeat));
	cb_put(r, "cpu", json_object_new_int(in->cpu));
	/* The measured worker's scheduling class: "fifo" when every pass ran at SCHED_FIFO (load on
	 * the CPU could not preempt it), "other" when one did not; null without cowbench's passes. */
	if (in->timing || in->counting)
		cb_put(r, "worker_sched", json_object_new_string((!in->timing || in->timing->fifo) &&
								 (!in->counting || in->counting->fifo) ? "fifo" : "other"));
	else
		cb_put(r, "worker_sched", NULL);
	cb_put(r, "swap", json_object_new_string(in->swap ? in->swap : "none"));
	cb_put(r, "numa_balancing", in->numa_balancing ? json_object_new_string(in->numa_balancing) : NULL);
	if (in->swap_state)
		cb_put(r, "swap_state", cb_swap_state_json(in->swap_state));
	cb_put(r, "status", json_object_new_string(cb_status_name(in->status)));
	cb_put(r, "reason", in->reason && *in->reason ? json_object_new_string(in->reason) : NULL);
	cb_put(r, "op", json_object_new_string(in->scn->op));
	cb_put(r, "source", json_object_new_string(in->source ? in->source : "cowbench"));
	if (in->opts->repeat_auto) {
		json_object *a = json_object_new_object();

		cb_put(a, "target_ci", json_object_new_double(in->opts->target_ci));
		cb_put(a, "max_repeat", json_object_new_int(in->opts->max_repeat));
		cb_put(a, "max_time_s", json_object_new_double(in->opts->max_time));
		cb_put(a, "ci", in->status == CB_OK && isfinite(in->repeat_ci) ? json_object_new_double(in->repeat_ci) : NULL);
		cb_put(a, "stopped_by", in->status == CB_OK && in->repeat_stop ? json_object_new_string(in->repeat_stop) : NULL);
		cb_put(r, "repeat_auto", a);
	}
	/* A disturbed repetition keeps its figures, for inspection only. */
	if (in->status != CB_OK && in->status != CB_DISTURBED)
		return r;
	cb_put(r, "ops", cb_u64(in->counting && in->counting->classified ? in->timing->pages : 1));
	{
		/* From the untimed pass where there is one (per-page write loops): the timing pass
		 * pays for a timestamp per page. Not where the untimed loop can take spurious faults
		 * (cb_record_ns_timed): one source for every repetition of an instance. */
		const struct cb_pass_result *t = in->timing;
		bool timed = cb_record_from_timed(t, in->ns_timed);
		uint64_t ns = cb_record_loop_ns(t, in->ns_timed);

		cb_put(r, "ns_per_page", json_object_new_double((double)ns / (double)t->pages));
		cb_put(r, "ns_per_gib", json_object_new_double((double)ns * (double)(1ull << 30) / (double)in->opts->size));
		/* A transfer's rate: the region's bytes over the same time. */
		if (in->scn->bandwidth)
			cb_put(r, "gib_per_s", !ns ? NULL :
				json_object_new_double((double)in->opts->size / (double)(1ull << 30) / ((double)ns * 1e-9)));
		cb_put(r, "ns_per_page_source", json_object_new_string(timed ? "timing pass" : "untimed pass"));
		/* The timer's cost in the figure: one read per page in a per-page timed loop. */
		cb_put(r, "ns_per_page_timer_ns", timed && t->per_op_timed && !in->source ?
			json_object_new_double(cb_timer.overhead_ns) : NULL);
		cb_put(r, "untimed_faults", t->untimed && t->untimed_faults_read ? cb_u64(t->untimed_faults) : NULL);
		cb_put(r, "timed_faults", t->loop_faults_read ? cb_u64(t->loop_faults) : NULL);
		cb_put(r, "ns_per_page_timed", t->untimed ? json_object_new_double((double)t->loop_ns / (double)t->pages) :
							    NULL);
	}
	cb_record_pfn_outcomes(r, in);
	{
		json_object *o = json_object_new_object();

		cb_put(o, "timing", cb_interfere_json(in->timing));
		cb_put(o, "counting", cb_interfere_json(in->counting));
		cb_put(r, "interference", o);
	}
	cb_put(r, "latency_ns", cb_latency(&in->timing->hist));
	cb_put(r, "latency_hist", cb_latency_hist(&in->timing->hist));
	if (in->fault_hist) {
		cb_put(r, "fault_latency_ns", cb_fault_latency_json(in->fault_hist));
		cb_put(r, "fault_latency_hist", cb_latency_hist(in->fault_hist));
		cb_put(r, "fault_latency_withheld", NULL);
	} else {
		cb_put(r, "fault_latency_ns", NULL);
		cb_put(r, "fault_latency_hist", NULL);
		cb_put(r, "fault_latency_withheld", json_object_new_string(in->fault_withheld ? in->fault_withheld :
									   "not measured"));
	}
	/* An external tool's times owe nothing to cowbench's timer, and it runs no counting pass. */
	cb_put(r, "timer_overhead_ns", in->source ? NULL : json_object_new_double(cb_timer.overhead_ns));
	if (in->counting) {
		cb_record_counting(r, in->counting);
		cb_record_per_op(r, in->counting, in->counting->classified ? in->timing->pages : 1);
		cb_record_numa(r, in->numa);
	} else {
		cb_put(r, "cow", NULL);
		cb_put(r, "folio_copy_folios", NULL);
		cb_put(r, "faults", NULL);
	}
	cb_put(r, "extra_timed", cb_extras(in->timing));
	if (in->timing->workers.n)
		cb_record_workers(r, in);
	return r;
}

int cb_record_write(FILE *out, json_object *rec)
{
	const char *s = json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN);

	if (fprintf(out, "%s\n", s) < 0 || fflush(out))
		return -errno;
	return 0;
}

double cb_record_num(json_object *rec, const char *path)
{
	char key[128];
	const char *p = path;
	json_object *o = rec;

	while (o && *p) {
		size_t len = strcspn(p, ".");

		snprintf(key, sizeof(key), "%.*s", (int)len, p);
		if (!json_object_object_get_ex(o, key, &o))
			return NAN;
		p += len + (p[len] == '.');
	}
	if (!o || !(json_object_is_type(o, json_type_int) || json_object_is_type(o, json_type_double)))
		return NAN;
	return json_object_get_double(o);
}
