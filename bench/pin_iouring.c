/* The region registered as io_uring fixed buffers (a long-term FOLL_PIN on every page), then
 * fork. A pinned exclusive page cannot be shared with the child (the pin's user would lose sight
 * of later writes), so fork copies it for the child eagerly and the parent keeps it writable:
 * fork is slower, and neither side takes a COW fault afterwards. */
#include "cow.h"

static const struct cb_cow_scenario pin_iouring = {
	.s = {
		.name = "pin_iouring",
		.description = "the region registered as io_uring fixed buffers, then fork (extra_timed.fork_ns: eager copy "
			       "of pinned pages, extra.eager_copied_pages); the parent writes (nofault expected), the "
			       "child writes (extra.child_write_faults)",
		.op = "the parent's first write to a pinned page after fork",
		.invalid_if = "io_uring unavailable or disabled (skip); pages mapped more than once before the parent's writes",
		.backings = "base thp thp_pte mthp swapped",
		.deterministic = true, /* tests assert its exact outcomes */
		.needs = CB_NEED_PRIV,
		.run = cb_cow_run,
	},
	.writer = CB_COW_PARENT,
	.mapcount = 1,
	.tag = 0x10be10be00000000ull,
	.prep = &cb_cow_prep_iouring,
};
CB_COW_SCENARIO(pin_iouring)
