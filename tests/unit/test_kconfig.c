#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kconfig.h"
#include "opts.h"
#include "scenario.h"
#include "unit.h"

/* Points the loader at a config of our own; returns its path (unlink it after). */
static char *kconfig_file(const char *text)
{
	static char path[] = "/tmp/cowbench-kconfig.XXXXXX";
	int fd;

	snprintf(path, sizeof(path), "/tmp/cowbench-kconfig.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return NULL;
	close(fd);
	setenv("COWBENCH_KCONFIG", path, 1);
	cb_kconfig_reset();
	return path;
}

static void kconfig_done(char *path)
{
	if (path)
		unlink(path);
	unsetenv("COWBENCH_KCONFIG");
	cb_kconfig_reset();
}

CB_TEST(kconfig_values)
{
	char *path = kconfig_file("CONFIG_SWAP=y\n# CONFIG_IO_URING is not set\nCONFIG_ZRAM=m\n"
				  "CONFIG_LOCALVERSION=\"-test\"\nCONFIG_NUMA=n\n");
	char val[32];

	CB_CHECK(path != NULL);
	CB_CHECK(cb_kconfig_source() && !strcmp(cb_kconfig_source(), path));
	CB_CHECK(cb_kconfig_get("SWAP", val, sizeof(val)) == 1);
	CB_CHECK_STR(val, "y");
	CB_CHECK(cb_kconfig_get("ZRAM", val, sizeof(val)) == 1);
	CB_CHECK_STR(val, "m");
	CB_CHECK(cb_kconfig_get("LOCALVERSION", val, sizeof(val)) == 1);
	CB_CHECK_STR(val, "-test");
	CB_CHECK(cb_kconfig_get("IO_URING", val, sizeof(val)) == 0);
	CB_CHECK(cb_kconfig_get("NUMA", val, sizeof(val)) == 0);
	/* A prefix of a set option is not that option. */
	CB_CHECK(cb_kconfig_get("SWA", val, sizeof(val)) == 0);
	CB_CHECK(cb_kconfig_get("ZSMALLOC", val, sizeof(val)) == 0);
	kconfig_done(path);
}

CB_TEST(kconfig_unreadable_guesses_nothing)
{
	const struct cb_scenario scn = { .name = "pin_iouring", .needs = CB_NEED_PRIV }, *s = &scn;
	struct cb_opts o;
	char val[8], reason[256] = "";

	memset(&o, 0, sizeof(o));
	setenv("COWBENCH_KCONFIG", "/nonexistent/config", 1);
	cb_kconfig_reset();
	CB_CHECK(cb_kconfig_source() == NULL);
	CB_CHECK(cb_kconfig_get("SWAP", val, sizeof(val)) == -ENOENT);
	CB_CHECK(!cb_kconfig_lacks(s, "base", &o, reason, sizeof(reason)));
	kconfig_done(NULL);
}

/* Each scenario family names the option it lacks; one that has all it needs runs. */
CB_TEST(kconfig_missing_option_is_named)
{
	char *path = kconfig_file("CONFIG_PROC_PAGE_MONITOR=y\nCONFIG_PERF_EVENTS=y\nCONFIG_SWAP=y\n"
				  "CONFIG_TRANSPARENT_HUGEPAGE=y\n# CONFIG_ZRAM is not set\n"
				  "# CONFIG_IO_URING is not set\nCONFIG_TRACEPOINTS=y\n");
	/* The unit tests link lib/ only: scenarios of the registry's shape, named as in bench/. */
	const struct { const char *scn; unsigned needs; const char *backing, *swap, *numa, *want; } cases[] = {
		{ "pin_iouring", CB_NEED_PRIV, "base", "", "", "CONFIG_IO_URING" },
		{ "swapin_write", CB_NEED_PRIV, "swapped", "", "", "CONFIG_ZRAM" },
		{ "swapin_write", CB_NEED_PRIV, "swapped", "swapfile", "", NULL },
		{ "swap_fork", CB_NEED_PRIV | CB_NEED_SWAP, "base", "", "", "CONFIG_ZRAM" },
		{ "pressure_cow", CB_NEED_PRIV, "base", "", "", "CONFIG_MEMCG" },
		{ "fault_anon", CB_NEED_PRIV, "base", "", "remote", "CONFIG_NUMA" },
		{ "cow_reuse", CB_NEED_PRIV, "thp", "", "", NULL },
		{ "tlb_cow_copy", CB_NEED_PRIV | CB_NEED_TWO_CPUS, "base", "", "", NULL },
	};
	char reason[256];
	struct cb_opts o;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct cb_scenario scn = { .name = cases[i].scn, .needs = cases[i].needs }, *s = &scn;

		memset(&o, 0, sizeof(o));
		snprintf(o.swap, sizeof(o.swap), "%s", cases[i].swap);
		snprintf(o.numa, sizeof(o.numa), "%s", cases[i].numa);
		reason[0] = '\0';
		if (cases[i].want) {
			CB_CHECK(cb_kconfig_lacks(s, cases[i].backing, &o, reason, sizeof(reason)));
			if (!strstr(reason, cases[i].want) || !strstr(reason, path))
				cb_test_fail(__FILE__, __LINE__, "%s/%s: reason '%s', want %s", cases[i].scn,
					     cases[i].backing, reason, cases[i].want);
		} else if (cb_kconfig_lacks(s, cases[i].backing, &o, reason, sizeof(reason))) {
			cb_test_fail(__FILE__, __LINE__, "%s/%s: skipped: %s", cases[i].scn,
				     cases[i].backing, reason);
		}
	}
	kconfig_done(path);
}
