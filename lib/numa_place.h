/* NUMA placement for --numa (local, remote, interleave) and where the measured pages landed.
 * The only code that touches libnuma besides env.c's topology. (Not "numa.h": -Ilib would
 * shadow libnuma's own header.) */
#ifndef CB_NUMA_PLACE_H
#define CB_NUMA_PLACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CB_NUMA_NODES_MAX 1024      /* the kernel's MAX_NUMNODES ceiling (NODES_SHIFT 10) */
#define CB_NUMA_MASK_LONGS (CB_NUMA_NODES_MAX / (8 * sizeof(unsigned long)))

/* The calling process's memory policy, saved by cb_numa_apply to be put back. */
struct cb_numa_policy {
	bool saved;
	int mode;                   /* with its MPOL_F_* flags */
	unsigned long mask[CB_NUMA_MASK_LONGS];
	int mem_node;               /* the node memory was bound to (local, remote), else -1 */
};

/* The node of every measured page (move_pages query) and of the task that measured. */
struct cb_numa_pages {
	bool noted;                 /* a query ran */
	int err;                    /* -errno of move_pages (e.g. -ENOSYS without NUMA), else 0 */
	int task_node;              /* node of the CPU the measuring task ran on, -1 unknown */
	uint64_t absent;            /* pages move_pages gave no node for (not present) */
	uint64_t by_node[CB_NUMA_NODES_MAX];
};

/*
 * Sets the process's memory policy for --numa mode with the measuring task on cpu (children
 * inherit it): "local" binds memory to cpu's node, "remote" to another node with memory,
 * "interleave" interleaves over every node with memory; "" changes nothing. The previous
 * policy goes into saved. Returns 0; 1 when this machine cannot place memory so (why says,
 * e.g. "needs two NUMA nodes (this machine has 1)"): the instance is a skip; or -errno.
 */
int cb_numa_apply(const char *mode, int cpu, struct cb_numa_policy *saved, char *why, size_t len);
/* Puts back the policy cb_numa_apply saved (nothing when it saved none). Returns 0 or -errno. */
int cb_numa_restore(struct cb_numa_policy *saved);
/* Node of cpu, or -errno. */
int cb_numa_cpu_node(int cpu);
/* Counts the node of pages addr + i * stride, i < n, of the calling process into out (zeroed
 * first). Returns 0 or -errno (also in out->err). */
int cb_numa_pages_query(const char *addr, size_t stride, size_t n, struct cb_numa_pages *out);
/* Where cb_numa_pages_note writes: shared memory the runner set up, or NULL for nowhere. */
void cb_numa_pages_sink(struct cb_numa_pages *sink);
/* The counting pass's hook after the measured loop or before the op: queries the pages into
 * the sink, if any (the sink survives fork, so a child's query reaches the runner). */
void cb_numa_pages_note(const char *addr, size_t stride, size_t n);

#endif
