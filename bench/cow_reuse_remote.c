/* As cow_reuse, but the pages were first touched on another CPU and nothing drains that CPU's
 * per-CPU LRU batch: a page still in it carries an extra, transient reference, so the kernel's
 * refcount check copies it although nobody else maps it (the "refcount blip"). */
#include "cow.h"

static const struct cb_cow_scenario cow_reuse_remote = {
	.s = {
		.name = "cow_reuse_remote",
		.description = "as cow_reuse, pages first touched on another CPU, no drain: spurious copies",
		.op = "the parent's first write to one exclusive page last touched on another CPU",
		.invalid_if = "pages still mapped more than once before the write (mapcount != 1)",
		.backings = "base thp thp_pte thp_single_pte mthp sys",
		.needs = CB_NEED_PRIV | CB_NEED_TWO_CPUS,
		.run = cb_cow_run,
	},
	.writer = CB_COW_PARENT_AFTER_EXIT,
	.mapcount = 1,
	.tag = 0x7e307e3000000000ull,
	.fill_on_other_cpu = true,
	.copies_extra = "spurious_copy",
};
CB_COW_SCENARIO(cow_reuse_remote)
