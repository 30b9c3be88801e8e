#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <numa.h>
#include <numaif.h>

#include "numa_place.h"

/* get/set_mempolicy read maxnode - 1 bits: one more than the mask holds. */
#define CB_NUMA_MAXNODE (CB_NUMA_NODES_MAX + 1)

static struct cb_numa_pages *cb_numa_sink;

static void cb_mask_set(unsigned long *mask, int node)
{
	mask[node / (8 * sizeof(*mask))] |= 1ul << (node % (8 * sizeof(*mask)));
}

int cb_numa_cpu_node(int cpu)
{
	int node;

	if (numa_available() < 0)
		return -ENOSYS;
	node = numa_node_of_cpu(cpu);
	return node < 0 ? -errno : node;
}

/* The first node other than not_node that has memory this process may use, or -1. */
static int cb_numa_other_node(int not_node)
{
	for (int node = 0; node <= numa_max_node() && node < CB_NUMA_NODES_MAX; node++)
		if (node != not_node && numa_bitmask_isbitset(numa_all_nodes_ptr, (unsigned)node))
			return node;
	return -1;
}

int cb_numa_apply(const char *mode, int cpu, struct cb_numa_policy *saved, char *why, size_t len)
{
	unsigned long mask[CB_NUMA_MASK_LONGS] = { 0 };
	int policy = MPOL_BIND, node, cpu_node;

	memset(saved, 0, sizeof(*saved));
	saved->mem_node = -1;
	if (!mode || !*mode)
		return 0;
	if (numa_available() < 0) {
		snprintf(why, len, "--numa %s: this kernel has no NUMA support (libnuma)", mode);
		return 1;
	}
	cpu_node = cb_numa_cpu_node(cpu);
	if (cpu_node < 0)
		return cpu_node;
	if (strcmp(mode, "local") == 0) {
		node = cpu_node;
	} else if (strcmp(mode, "remote") == 0) {
		if (numa_num_configured_nodes() < 2) {
			snprintf(why, len, "needs two NUMA nodes (this machine has %d)", numa_num_configured_nodes());
			return 1;
		}
		node = cb_numa_other_node(cpu_node);
		if (node < 0) {
			snprintf(why, len, "needs a NUMA node with memory other than node %d of CPU %d", cpu_node, cpu);
			return 1;
		}
	} else if (strcmp(mode, "interleave") == 0) {
		policy = MPOL_INTERLEAVE;
		node = -1;
		for (int n = 0; n <= numa_max_node() && n < CB_NUMA_NODES_MAX; n++)
			if (numa_bitmask_isbitset(numa_all_nodes_ptr, (unsigned)n))
				cb_mask_set(mask, n);
	} else {
		return -EINVAL;
	}
	if (node >= 0)
		cb_mask_set(mask, node);
	if (get_mempolicy(&saved->mode, saved->mask, CB_NUMA_MAXNODE, NULL, 0))
		return -errno;
	/* Bound, not preferred: a page that silently lands elsewhere would be measured under the
	 * wrong label (the record's numa_pages_by_node shows where each page went). */
	if (set_mempolicy(policy, mask, CB_NUMA_MAXNODE))
		return -errno;
	saved->saved = true;
	saved->mem_node = node;
	return 0;
}

int cb_numa_restore(struct cb_numa_policy *saved)
{
	if (!saved->saved)
		return 0;
	saved->saved = false;
	if (set_mempolicy(saved->mode, saved->mask, CB_NUMA_MAXNODE))
		return -errno;
	return 0;
}

int cb_numa_pages_query(const char *addr, size_t stride, size_t n, struct cb_numa_pages *out)
{
	void **pages = calloc(n ? n : 1, sizeof(*pages));
	int *status = calloc(n ? n : 1, sizeof(*status));
	unsigned cpu, node;

	memset(out, 0, sizeof(*out));
	out->noted = true;
	out->task_node = getcpu(&cpu, &node) ? -1 : (int)node;
	if (!pages || !status) {
		out->err = -ENOMEM;
		goto free_arrays;
	}
	for (size_t i = 0; i < n; i++)
		pages[i] = (void *)(addr + i * stride);
	/* nodes NULL: a query, nothing moves. */
	if (n && move_pages(0, n, pages, NULL, status, 0)) {
		out->err = -errno;
		goto free_arrays;
	}
	for (size_t i = 0; i < n; i++) {
		if (status[i] >= 0 && status[i] < CB_NUMA_NODES_MAX)
			out->by_node[status[i]]++;
		else
			out->absent++;
	}
free_arrays:
	free(pages);
	free(status);
	return out->err;
}

void cb_numa_pages_sink(struct cb_numa_pages *sink)
{
	cb_numa_sink = sink;
}

void cb_numa_pages_note(const char *addr, size_t stride, size_t n)
{
	if (cb_numa_sink && addr)
		cb_numa_pages_query(addr, stride, n, cb_numa_sink);
}
