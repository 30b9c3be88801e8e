/* MADV_PAGEOUT, then fork: the swap entries are shared. The child reads every page (swapped in
 * through the swap cache, mapped read-only) and writes it: copy expected, since the parent still
 * holds the swap entry (the record's cow). After the child exits, the parent reads and writes:
 * its swap entry is its own again, so reuse is expected and the swap-cache page is freed
 * (extra.parent_*: per page, faults while writing and the PFN after the read against the one
 * after the write, as the COW classifier does). */
#include "cow.h"

static const struct cb_cow_scenario swap_fork = {
	.s = {
		.name = "swap_fork",
		.description = "MADV_PAGEOUT, fork; the child reads and writes (copy expected); after it exits the parent "
			       "reads and writes (extra.parent_*: reuse expected, swap-cache page freed)",
		.op = "the child's first write to a page it swapped in while the parent holds the swap entry",
		.invalid_if = "pages not all swapped out after MADV_PAGEOUT, or not mapped once in the child before the write",
		.backings = "swapped swapped_thp swapped_mthp",
		.deterministic = true, /* tests assert its exact outcomes */
		.needs = CB_NEED_PRIV | CB_NEED_SWAP,
		.run = cb_cow_run,
	},
	.writer = CB_COW_CHILD,
	.mapcount = 1,
	.tag = 0x5f0fc00000000000ull,
	.prep = &cb_cow_prep_swapin,
};
CB_COW_SCENARIO(swap_fork)
