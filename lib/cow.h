/*
 * Declarative COW scenarios, in the style of the kernel's selftests/mm/cow.c (one
 * do_test_cow_in_parent() runs every child function on every backing). A bench/ file declares
 * who writes, an optional prepare step, the mapcount every page must have right before the
 * writes, and lib/cow.c does the rest in one place: map and fill the backing, fork, synchronise,
 * measure the writes (cb_measure_writes pre-checks the mapcount in every pass), verify what each
 * process reads afterwards, clean up.
 *
 *	static const struct cb_cow_scenario cow_parent = {
 *		.s = { .name = "cow_parent", ..., .run = cb_cow_run },
 *		.writer = CB_COW_PARENT,
 *		.mapcount = 2,
 *		.tag = 0x9a7e9a7e00000000ull,
 *	};
 *	CB_COW_SCENARIO(cow_parent)
 */
#ifndef CB_COW_H
#define CB_COW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

/* Who takes the measured write faults, and when. */
enum cb_cow_writer {
	CB_COW_CHILD,             /* the child, while the parent keeps the pages mapped */
	CB_COW_PARENT,            /* the parent, while the child lives and keeps them */
	CB_COW_PARENT_AFTER_EXIT, /* the parent, after the child exited */
	CB_COW_CHILD_AFTER_UNMAP, /* the child, after the parent unmapped the region */
	CB_COW_ALONE,             /* the process itself, never forked: its pages are its own */
};

/* The fill's tag: the first word of page i holds CB_COW_OLD ^ i until someone writes it. */
#define CB_COW_OLD 0x0c0c0c0c00000000ull

struct cb_cow;

/*
 * What happens to the pages between the fill and the measured writes besides fork (a pin, a
 * transfer, a swap-in), what runs around the writes (sibling threads, a memory cgroup's
 * figures), and what it must leave behind. Every hook is optional; each returns 0 or -errno
 * after cb_ctx_error, and may make the pass skip or fail instead (the run then stops before the
 * writes). state_size bytes of zeroed state are in c->state for the hooks.
 */
struct cb_cow_prep {
	const char *name;
	size_t state_size;
	bool time_fork;                         /* extra_timed.fork_ns: the fork() itself */
	bool fill_data_only;                    /* the fill writes the data, no shaping, no check
						 * (under a memory limit pages leave at once) */
	int (*setup)(struct cb_cow *c);         /* parent, before the region is mapped */
	int (*before_fork)(struct cb_cow *c);   /* parent, the region filled */
	int (*child)(struct cb_cow *c);         /* child, right after fork, before anything else */
	int (*before_writes)(struct cb_cow *c); /* writer, right before the measured writes */
	/* writer, right after them whenever before_writes succeeded; ret is theirs, the hook
	 * returns it or an error of its own */
	int (*after_writes)(struct cb_cow *c, int ret);
	int (*child_check)(struct cb_cow *c);   /* child, after the parent's writes (CB_COW_PARENT) */
	int (*after)(struct cb_cow *c);         /* parent, the writes done and the child gone */
	void (*release)(struct cb_cow *c);      /* parent, always after before_fork: what it took */
	int (*teardown)(struct cb_cow *c);      /* parent, always, the region unmapped: what setup took */
};

/* A COW scenario: s.run must be cb_cow_run; CB_COW_SCENARIO registers s. */
struct cb_cow_scenario {
	struct cb_scenario s;
	enum cb_cow_writer writer;
	int mapcount;                  /* every page's mapcount before the writes (kpagecount) */
	uint64_t tag;                  /* what the writes store: tag ^ page index in the first word */
	bool fill_on_other_cpu;        /* first touch on ctx->other_cpu, no LRU drain (CB_NEED_TWO_CPUS) */
	const char *copies_extra;      /* also record the measured copies as extra.<copies_extra> */
	const struct cb_cow_prep *prep;
};

/* One pass of a COW scenario, as the prepare step's hooks see it. */
struct cb_cow {
	struct cb_ctx *ctx;
	const struct cb_cow_scenario *cs;
	struct cb_region r;            /* r.addr NULL once the process unmapped it */
	bool in_child;
	int mapcount;                  /* starts as cs->mapcount; a child hook may settle it */
	uint64_t child_sees;           /* the tag the child must read at its end */
	uint64_t parent_sees;          /* the tag the parent must read at its end */
	void *state;                   /* cs->prep->state_size bytes */
};

/* The whole pass of any COW scenario: map, fill, prepare, fork, sync, measure, verify. */
int cb_cow_run(struct cb_ctx *ctx);

#define CB_COW_SCENARIO(var)                                                               \
	__attribute__((constructor)) static void cb_cow_reg_##var(void)                    \
	{                                                                                  \
		cb_scenario_register(&var.s);                                              \
	}

/* Variants of a COW scenario that differ in parameters only (CB_SCENARIO_TABLE's model): each
 * element's first member .cow is the struct cb_cow_scenario; the hooks find the rest from c->cs. */
#define CB_COW_SCENARIO_TABLE(arr)                                                         \
	__attribute__((constructor)) static void cb_cow_reg_##arr(void)                    \
	{                                                                                  \
		for (size_t i = 0; i < sizeof(arr) / sizeof((arr)[0]); i++)               \
			cb_scenario_register(&(arr)[i].cow.s);                             \
	}

/* Prepare steps (lib/pin.c): the child vmsplices the pages into pipes and unmaps them, and
 * reads the old data back after the parent's writes (extra.leaked_pages); the child write()s
 * the region to an O_DIRECT file (extra.unshared_pages, extra_timed.odirect_write_ns; the
 * writes' mapcount becomes 1 where the write unshared every page, else stays 2); the region is
 * registered as io_uring fixed buffers before fork (extra.eager_copied_pages,
 * extra.child_write_faults, extra_timed.fork_ns). */
extern const struct cb_cow_prep cb_cow_prep_vmsplice;
extern const struct cb_cow_prep cb_cow_prep_odirect;
extern const struct cb_cow_prep cb_cow_prep_iouring;
/* lib/cow.c: swapped backings: each process reads every page back from swap before it writes;
 * after the child exited the parent reads and writes again, classified into extra.parent_reuse,
 * parent_copy, parent_nofault and parent_swapcache_after (pages still in the swap cache). */
extern const struct cb_cow_prep cb_cow_prep_swapin;

#endif
