/* fork; the child write()s the shared region to an O_DIRECT file. Direct I/O pins the source
 * pages (FOLL_PIN, read-only): a pin on a page shared with another process must not stay
 * shared, so GUP takes an *unshare* fault (FAULT_FLAG_UNSHARE) and gives the child its own copy
 * without any write. Seen as the child's PFNs changing across the write(). The child's own
 * writes afterwards find exclusive pages and must reuse them. */
#include "cow.h"

static const struct cb_cow_scenario pin_odirect = {
	.s = {
		.name = "pin_odirect",
		.description = "fork; the child write()s the shared pages to an O_DIRECT file (read-only pin: unshare "
			       "expected, extra.unshared_pages), then writes them (reuse expected)",
		.op = "the child's first write to a page the O_DIRECT write() unshared",
		.invalid_if = "pages not mapped twice before the write(); no non-tmpfs file system with O_DIRECT in "
			      "/var/tmp or the current directory; a partly unshared region",
		.backings = "base thp thp_pte mthp",
		.deterministic = true, /* tests assert its exact outcomes */
		.needs = CB_NEED_PRIV,
		.run = cb_cow_run,
	},
	.writer = CB_COW_CHILD,
	.mapcount = 2, /* 1 once the O_DIRECT write unshared every page */
	.tag = 0x0d10d10d00000000ull,
	.prep = &cb_cow_prep_odirect,
};
CB_COW_SCENARIO(pin_odirect)
