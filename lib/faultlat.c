#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>

#include "faultlat.h"
#include "scenario.h"

int cb_page_log_map(struct cb_page_log *pl, size_t pages)
{
	void *ns, *f;

	pl->cap = 0;
	pl->op_ns = NULL;
	pl->faults = NULL;
	if (!pages)
		return 0;
	ns = mmap(NULL, pages * sizeof(*pl->op_ns), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ns == MAP_FAILED)
		return -errno;
	f = mmap(NULL, pages * sizeof(*pl->faults), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (f == MAP_FAILED) {
		int err = -errno;

		munmap(ns, pages * sizeof(*pl->op_ns));
		return err;
	}
	pl->op_ns = ns;
	pl->faults = f;
	pl->cap = pages;
	return 0;
}

void cb_page_log_unmap(struct cb_page_log *pl)
{
	if (pl->op_ns)
		munmap(pl->op_ns, pl->cap * sizeof(*pl->op_ns));
	if (pl->faults)
		munmap(pl->faults, pl->cap * sizeof(*pl->faults));
	pl->op_ns = NULL;
	pl->faults = NULL;
	pl->cap = 0;
}

uint64_t cb_fault_split(const uint64_t *op_ns, const uint32_t *faults, size_t pages, struct cb_hist *faulted)
{
	uint64_t n = 0;

	for (size_t p = 0; p < pages; p++) {
		if (!faults[p])
			continue;
		cb_hist_add(faulted, op_ns[p]);
		n++;
	}
	return n;
}

bool cb_fault_latency(const struct cb_pass_result *t, const struct cb_pass_result *c, const struct cb_page_log *pl,
		      struct cb_hist *faulted, char *why, size_t len)
{
	cb_hist_init(faulted);
	/* A read loop over swapped pages knows its faulting ops itself, from the folios the pages came
	 * back in (cb_measure_fault_ops): no counting pass is needed to join. */
	if (t && (t->fault_hist_read || t->fault_hist_why[0])) {
		if (!t->fault_hist_read) {
			snprintf(why, len, "%s", t->fault_hist_why);
			return false;
		}
		if (!t->fault_hist.count) {
			snprintf(why, len, "no op faulted");
			return false;
		}
		if (t->fault_hist.count >= t->pages) {
			snprintf(why, len, "every op faulted: latency_ns is the faults' distribution");
			return false;
		}
		*faulted = t->fault_hist;
		return true;
	}
	if (!t || !t->per_op_timed) {
		snprintf(why, len, "no per-page write loop timed per op (one op per pass: latency_ns is its time)");
		return false;
	}
	if (!c || !c->classified) {
		snprintf(why, len, "no counting pass classified the pages");
		return false;
	}
	if (!c->faults_sampled) {
		/* Counter reads around each write put the reads' own faults at the page they bracket. */
		snprintf(why, len, "faults counted by counter reads, not address samples: which pages faulted is not exact");
		return false;
	}
	if (!c->faults_total) {
		snprintf(why, len, "no op faulted");
		return false;
	}
	if (c->pages_by_faults[0] == 0) {
		snprintf(why, len, "every op faulted: latency_ns is the faults' distribution");
		return false;
	}
	if (!t->loop_faults_read) {
		snprintf(why, len, "the timing pass's faults were not counted (getrusage failed)");
		return false;
	}
	if (t->loop_faults != c->faults_total) {
		snprintf(why, len,
			 "the timing pass took %llu faults, the counting pass saw %llu at the measured pages: which ops "
			 "faulted in the timing pass is not known",
			 (unsigned long long)t->loop_faults, (unsigned long long)c->faults_total);
		return false;
	}
	if (!t->op_ns_logged || !c->faults_logged || t->pages != c->pages || t->pages > pl->cap) {
		snprintf(why, len, "the per-page latencies or faults were not logged (%llu pages, room for %zu)",
			 (unsigned long long)t->pages, pl->cap);
		return false;
	}
	cb_fault_split(pl->op_ns, pl->faults, t->pages, faulted);
	return true;
}
