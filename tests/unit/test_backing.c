#include <errno.h>

#include "backing.h"
#include "unit.h"

CB_TEST(backing_names)
{
	CB_CHECK(cb_backing_name_ok("base"));
	CB_CHECK(cb_backing_name_ok("thp"));
	CB_CHECK(cb_backing_name_ok("thp_pte"));
	CB_CHECK(cb_backing_name_ok("thp_single_pte"));
	CB_CHECK(cb_backing_name_ok("mthp_64K"));
	CB_CHECK(cb_backing_name_ok("mthp_1M"));
	CB_CHECK(!cb_backing_name_ok("mthp_48K"));  /* not a power of two */
	CB_CHECK(!cb_backing_name_ok("mthp_4K"));   /* a base page is no multi-size THP */
	CB_CHECK(!cb_backing_name_ok("mthp_"));
	CB_CHECK(!cb_backing_name_ok("all"));
	CB_CHECK(!cb_backing_name_ok("bas"));
	CB_CHECK(!cb_backing_name_ok("thp_ptes"));
}

CB_TEST(backing_parse)
{
	struct cb_backing b;
	char why[256] = "";
	size_t pmd = cb_thp_pmd_size();

	CB_CHECK(cb_backing_parse("base", &b, why, sizeof(why)) == 0);
	CB_CHECK(b.kind == CB_BK_BASE && b.folio_size == 4096);
	CB_CHECK(cb_backing_parse("nonsense", &b, why, sizeof(why)) == -EINVAL);
	if (!pmd) {
		CB_CHECK(cb_backing_parse("thp", &b, why, sizeof(why)) == -ENOENT);
		return;
	}
	CB_CHECK(cb_backing_parse("thp_pte", &b, why, sizeof(why)) == 0);
	CB_CHECK(b.kind == CB_BK_THP_PTE && b.folio_size == pmd && b.align == pmd);
	/* A size the kernel does not offer is a reasoned -ENOENT, not a bad name. */
	CB_CHECK(cb_backing_parse("mthp_1G", &b, why, sizeof(why)) == -ENOENT);
	CB_CHECK(strstr(why, "1G") != NULL);
}

CB_TEST(backing_all_matches_parse)
{
	char names[64][32];
	int n = cb_backing_all(names, 64);

	CB_CHECK(n >= 1);
	CB_CHECK_STR(names[0], "base");
	/* Everything listed must resolve on this kernel. */
	for (int i = 0; i < n; i++) {
		struct cb_backing b;
		char why[256];

		CB_CHECK(cb_backing_parse(names[i], &b, why, sizeof(why)) == 0);
	}
}
