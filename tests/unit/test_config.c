#include <stdlib.h>
#include <unistd.h>

#include "cb.h"
#include "config.h"
#include "scenario.h"
#include "unit.h"

/* The unit binary links lib/ without bench/: a scenario of its own to point run lines at. */
static int test_scn_run(struct cb_ctx *ctx)
{
	(void)ctx;
	return 0;
}

static const struct cb_scenario test_scn = {
	.name = "test_scn",
	.description = "config unit tests",
	.op = "nothing",
	.invalid_if = "never",
	.backings = "base",
	.run = test_scn_run,
};
CB_SCENARIO(test_scn)

static struct cb_config cfg;
static char err[512];

/* Parses text expecting failure; returns the error so a check can compare it whole. */
static const char *parse_err(const char *text)
{
	err[0] = '\0';
	if (cb_config_parse_text("suite.conf", text, &cfg, err, sizeof(err)) == 0) {
		cb_config_free(&cfg);
		return "(parsed)";
	}
	/* A failed parse leaves nothing to free. */
	if (cfg.runs || cfg.nruns)
		return "(runs left after failure)";
	return err;
}

CB_TEST(config_minimal)
{
	CB_CHECK(cb_config_parse_text("s", "run = test_scn\n", &cfg, err, sizeof(err)) == 0);
	CB_CHECK(cfg.nruns == 1);
	CB_CHECK(cfg.nsettings == 0);
	if (cfg.nruns == 1) {
		CB_CHECK_STR(cfg.runs[0].scenario, "test_scn");
		CB_CHECK(cfg.runs[0].line == 1);
		CB_CHECK_STR(cfg.runs[0].opts.backing, "base");
		CB_CHECK_U64(cfg.runs[0].opts.size, 64u << 20);
		CB_CHECK(cfg.runs[0].opts.repeat == 5);
		CB_CHECK(cfg.runs[0].opts.warmup == 1);
		CB_CHECK(cfg.runs[0].opts.cpu == -1);
		CB_CHECK(cfg.runs[0].opts.set == 0);
	}
	cb_config_free(&cfg);
	CB_CHECK(cfg.runs == NULL);
	CB_CHECK(cfg.nruns == 0);
}

CB_TEST(config_full_suite)
{
	static const char text[] =
		"# a suite\n"
		"\n"
		"   \t\n"
		"size = 8M   # per instance\n"
		"repeat=3\n"
		"thp_enabled = never\n"
		"thp_defrag = defer+madvise\n"
		"mthp_64K = always\n"
		"mthp_2M = inherit\n"
		"run = test_scn\n"
		"run = test_scn --size 16M --repeat 7 --warmup 0 --cpu 1\r\n"
		"  run   =   test_scn\t--backing=base  ";

	CB_CHECK(cb_config_parse_text("s", text, &cfg, err, sizeof(err)) == 0);
	CB_CHECK_STR(err, "");
	CB_CHECK(cfg.nruns == 3);
	CB_CHECK(cfg.nsettings == 4);
	CB_CHECK_U64(cfg.defaults.size, 8u << 20);
	CB_CHECK(cfg.defaults.repeat == 3);
	if (cfg.nruns == 3) {
		CB_CHECK(cfg.runs[0].line == 10);
		CB_CHECK_U64(cfg.runs[0].opts.size, 8u << 20);
		CB_CHECK(cfg.runs[0].opts.repeat == 3);
		CB_CHECK(cfg.runs[0].opts.warmup == 1);
		CB_CHECK(cfg.runs[1].line == 11);
		CB_CHECK_U64(cfg.runs[1].opts.size, 16u << 20);
		CB_CHECK(cfg.runs[1].opts.repeat == 7);
		CB_CHECK(cfg.runs[1].opts.warmup == 0);
		CB_CHECK(cfg.runs[1].opts.cpu == 1);
		CB_CHECK(cfg.runs[1].opts.set == (CB_OPT_SIZE | CB_OPT_REPEAT | CB_OPT_WARMUP | CB_OPT_CPU));
		CB_CHECK(cfg.runs[2].line == 12);
		CB_CHECK_STR(cfg.runs[2].scenario, "test_scn");
		CB_CHECK_STR(cfg.runs[2].opts.backing, "base");
		CB_CHECK(cfg.runs[2].opts.set == CB_OPT_BACKING);
		CB_CHECK_U64(cfg.runs[2].opts.size, 8u << 20);
	}
	if (cfg.nsettings == 4) {
		CB_CHECK_STR(cfg.settings[0].key, "thp_enabled");
		CB_CHECK_STR(cfg.settings[0].path, "/sys/kernel/mm/transparent_hugepage/enabled");
		CB_CHECK_STR(cfg.settings[0].value, "never");
		CB_CHECK(cfg.settings[0].line == 6);
		CB_CHECK_STR(cfg.settings[1].path, "/sys/kernel/mm/transparent_hugepage/defrag");
		CB_CHECK_STR(cfg.settings[1].value, "defer+madvise");
		CB_CHECK_STR(cfg.settings[2].key, "mthp_64K");
		CB_CHECK_STR(cfg.settings[2].path,
			     "/sys/kernel/mm/transparent_hugepage/hugepages-64kB/enabled");
		CB_CHECK_STR(cfg.settings[2].value, "always");
		CB_CHECK(cfg.settings[2].line == 8);
		CB_CHECK_STR(cfg.settings[3].path,
			     "/sys/kernel/mm/transparent_hugepage/hugepages-2048kB/enabled");
		CB_CHECK_STR(cfg.settings[3].value, "inherit");
	}
	cb_config_free(&cfg);
}

CB_TEST(config_keys_after_run_lines)
{
	/* Defaults apply wherever they stand; what a run line sets itself wins. */
	static const char text[] =
		"run = test_scn --repeat 7\n"
		"run = test_scn --size 4K\n"
		"size = 2M\n"
		"repeat = 2\n"
		"warmup = 4\n"
		"cpu = 1\n";

	CB_CHECK(cb_config_parse_text("s", text, &cfg, err, sizeof(err)) == 0);
	CB_CHECK(cfg.nruns == 2);
	if (cfg.nruns == 2) {
		CB_CHECK(cfg.runs[0].opts.repeat == 7);
		CB_CHECK_U64(cfg.runs[0].opts.size, 2u << 20);
		CB_CHECK(cfg.runs[0].opts.warmup == 4);
		CB_CHECK(cfg.runs[0].opts.cpu == 1);
		CB_CHECK(cfg.runs[0].opts.set == CB_OPT_REPEAT);
		CB_CHECK(cfg.runs[1].opts.repeat == 2);
		CB_CHECK_U64(cfg.runs[1].opts.size, 4096);
		CB_CHECK(cfg.runs[1].opts.warmup == 4);
		CB_CHECK(cfg.runs[1].opts.cpu == 1);
		CB_CHECK_STR(cfg.runs[1].opts.backing, "base");
		CB_CHECK(cfg.runs[1].opts.set == CB_OPT_SIZE);
	}
	cb_config_free(&cfg);
}

CB_TEST(config_errors_name_line)
{
	char want[512];

	CB_CHECK_STR(parse_err("run = test_scn\nbogus = 1\n"), "suite.conf:2: unknown key 'bogus'");
	CB_CHECK_STR(parse_err("# c\nrun test_scn\n"), "suite.conf:2: expected 'key = value', got 'run test_scn'");
	CB_CHECK_STR(parse_err("run =\n"), "suite.conf:1: missing value");
	CB_CHECK_STR(parse_err("run = # nothing\n"), "suite.conf:1: missing value");
	CB_CHECK_STR(parse_err(" = 3\n"), "suite.conf:1: missing key");
	CB_CHECK_STR(parse_err("run = test_scn\n\nrun = nope --size 8M\n"),
		     "suite.conf:3: unknown scenario 'nope' (see cowbench list)");
	snprintf(want, sizeof(want), "suite.conf:1: --size 12Q: not a size (want e.g. 64M, 1G: a whole "
		 "number of %zu-byte pages)", cb_page_size);
	CB_CHECK_STR(parse_err("run = test_scn --size 12Q\n"), want);
	snprintf(want, sizeof(want), "suite.conf:2: --size 100: not a size (want e.g. 64M, 1G: a whole "
		 "number of %zu-byte pages)", cb_page_size);
	CB_CHECK_STR(parse_err("run = test_scn\nsize = 100\n"), want);
	CB_CHECK_STR(parse_err("repeat = 0\nrun = test_scn\n"),
		     "suite.conf:1: --repeat 0: bad value (want 1 ... 100000 or auto)");
	CB_CHECK_STR(parse_err("run = test_scn --out x.jsonl\n"), "suite.conf:1: unknown option --out");
	CB_CHECK_STR(parse_err("run = test_scn --repeat\n"), "suite.conf:1: --repeat needs a value");
	CB_CHECK_STR(parse_err("run = test_scn --size 8M extra\n"),
		     "suite.conf:1: unexpected 'extra' in run line");
	CB_CHECK_STR(parse_err("run = test_scn\nout = r.jsonl\n"), "suite.conf:2: unknown key 'out'");
}

CB_TEST(config_errors_settings)
{
	CB_CHECK_STR(parse_err("thp_enabled = sometimes\nrun = test_scn\n"),
		     "suite.conf:1: thp_enabled: bad value 'sometimes' (want always madvise never)");
	CB_CHECK_STR(parse_err("run = test_scn\nthp_defrag = inherit\n"),
		     "suite.conf:2: thp_defrag: bad value 'inherit' (want always defer defer+madvise madvise never)");
	CB_CHECK_STR(parse_err("mthp_64K = yes\nrun = test_scn\n"),
		     "suite.conf:1: mthp_64K: bad value 'yes' (want always inherit madvise never)");
	CB_CHECK_STR(parse_err("mthp_64Q = always\nrun = test_scn\n"),
		     "suite.conf:1: bad mTHP size in 'mthp_64Q' (want e.g. mthp_64K)");
	CB_CHECK_STR(parse_err("mthp_ = always\nrun = test_scn\n"),
		     "suite.conf:1: bad mTHP size in 'mthp_' (want e.g. mthp_64K)");
	CB_CHECK_STR(parse_err("thp_enabled = never\n# again\nrun = test_scn\nthp_enabled = always\n"),
		     "suite.conf:4: thp_enabled set twice (first at line 1)");
	CB_CHECK_STR(parse_err("mthp_64K = never\nmthp_64K = never\nrun = test_scn\n"),
		     "suite.conf:2: mthp_64K set twice (first at line 1)");
}

CB_TEST(config_setting_aliases_are_duplicates)
{
	/* Two spellings of one size name one sysfs file: the second would silently override. */
	const char *e = parse_err("mthp_64K = never\nmthp_64KiB = always\nrun = test_scn\n");

	CB_CHECK(strncmp(e, "suite.conf:2: ", 14) == 0 && strstr(e, "set twice (first at line 1)"));
	e = parse_err("mthp_2M = never\nmthp_2048K = always\nrun = test_scn\n");
	CB_CHECK(strncmp(e, "suite.conf:2: ", 14) == 0 && strstr(e, "set twice (first at line 1)"));
}

CB_TEST(config_no_runs)
{
	CB_CHECK_STR(parse_err(""), "suite.conf: no run lines");
	CB_CHECK_STR(parse_err("# only a comment\n\nsize = 8M\n"), "suite.conf: no run lines");
}

CB_TEST(config_backing_not_offered)
{
	CB_CHECK_STR(parse_err("run = test_scn\nrun = test_scn --backing thp\n"),
		     "suite.conf:2: test_scn has no backing 'thp' (it has: base)");
	/* A suite default the scenario lacks is reported at the run line it breaks. */
	CB_CHECK_STR(parse_err("backing = thp\n\nrun = test_scn\n"),
		     "suite.conf:3: test_scn has no backing 'thp' (it has: base)");
	/* "bas" is a prefix of "base", not a backing. */
	CB_CHECK_STR(parse_err("run = test_scn --backing bas\n"),
		     "suite.conf:1: unknown backing 'bas' (want base, thp, thp_pte, thp_single_pte, mthp_<size>, sys, a comma "
		     "list of them, or all)");
	/* "all": every backing of this kernel the scenario supports, here only base. */
	CB_CHECK(cb_config_parse_text("s", "run = test_scn --backing all --size 8M\n", &cfg, err, sizeof(err)) == 0);
	CB_CHECK(cfg.nruns == 1 && strcmp(cfg.runs[0].opts.backing, "base") == 0 &&
		 cfg.runs[0].opts.size == 8u << 20);
	cb_config_free(&cfg);
	/* The line's own backing overrides a bad default. */
	CB_CHECK(cb_config_parse_text("s", "backing = thp\nrun = test_scn --backing base\n", &cfg, err,
				      sizeof(err)) == 0);
	cb_config_free(&cfg);
}

/* A comma list keeps, in its order, those of its names the scenario has: one suite-wide list
 * serves every scenario. Each name must be a backing; none twice. */
CB_TEST(config_backing_list)
{
	CB_CHECK(cb_config_parse_text("s", "backing = thp,base,mthp_64K\nrun = test_scn\n", &cfg, err, sizeof(err)) ==
		 0);
	CB_CHECK(cfg.nruns == 1 && strcmp(cfg.runs[0].opts.backing, "base") == 0);
	cb_config_free(&cfg);
	/* A line that would run nothing is an error. */
	CB_CHECK_STR(parse_err("run = test_scn\nrun = test_scn --backing thp,mthp_16K\n"),
		     "suite.conf:2: test_scn has none of the backings 'thp,mthp_16K' (it has: base)");
	CB_CHECK_STR(parse_err("run = test_scn --backing base,bogus\n"),
		     "suite.conf:1: backing list 'base,bogus': unknown backing 'bogus'");
	CB_CHECK_STR(parse_err("run = test_scn --backing base,,thp\n"),
		     "suite.conf:1: backing list 'base,,thp': an empty or overlong name");
	CB_CHECK_STR(parse_err("run = test_scn --backing base,all\n"),
		     "suite.conf:1: backing list 'base,all': unknown backing 'all'");
	CB_CHECK_STR(parse_err("run = test_scn --backing base,thp,base\n"),
		     "suite.conf:1: backing list 'base,thp,base': 'base' twice");
}

CB_TEST(config_line_too_long)
{
	static char text[1200];

	memset(text, ' ', 1100);
	memcpy(text, "run = test_scn", 14);
	CB_CHECK_STR(parse_err(text), "suite.conf:1: line too long");
}

CB_TEST(config_parse_file)
{
	char path[] = "/tmp/cb_config_XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	CB_CHECK(fd >= 0);
	if (fd < 0)
		return;
	f = fdopen(fd, "w");
	fputs("size = 8M\nrun = test_scn\nrun = test_scn --backing nope\n", f);
	fclose(f);
	CB_CHECK(cb_config_parse_file(path, &cfg, err, sizeof(err)) == -1);
	snprintf(err + 256, 256, "%s:3: unknown backing 'nope' (want base, thp, thp_pte, thp_single_pte,"
		 " mthp_<size>, sys, a comma list of them, or all)", path);
	CB_CHECK_STR(err, err + 256);
	CB_CHECK(truncate(path, 0) == 0);
	CB_CHECK(cb_config_parse_file(path, &cfg, err, sizeof(err)) == -1);
	snprintf(err + 256, 256, "%s: no run lines", path);
	CB_CHECK_STR(err, err + 256);
	unlink(path);
	CB_CHECK(cb_config_parse_file(path, &cfg, err, sizeof(err)) == -1);
	snprintf(err + 256, 256, "%s: No such file or directory", path);
	CB_CHECK_STR(err, err + 256);
}

/* Issue 15's reproducers: one rule for anything given twice, NUL bytes, plain integers only. */
CB_TEST(config_repeated_keys_and_options)
{
	CB_CHECK_STR(parse_err("size = 8M\nrun = test_scn\nsize = 16M\n"), "suite.conf:3: size set twice (first at line 1)");
	CB_CHECK_STR(parse_err("repeat = 3\n\nrepeat = 3\nrun = test_scn\n"),
		     "suite.conf:3: repeat set twice (first at line 1)");
	CB_CHECK_STR(parse_err("run = test_scn --repeat 3 --repeat 5\n"), "suite.conf:1: --repeat given twice");
	CB_CHECK_STR(parse_err("run = test_scn --size 8M --size=16M\n"), "suite.conf:1: --size given twice");
}

CB_TEST(config_nul_byte)
{
	static const char text[] = "run = test_scn\n\0run = nonsense\ngarbage\n";
	struct cb_config c;
	char e[256];

	CB_CHECK(cb_config_parse_mem("suite.conf", text, sizeof(text) - 1, &c, e, sizeof(e)) == -1);
	CB_CHECK_STR(e, "suite.conf:2: NUL byte");
	CB_CHECK(cb_config_parse_mem("suite.conf", text, 15, &c, e, sizeof(e)) == 0);
	cb_config_free(&c);
}

CB_TEST(config_plain_integers)
{
	CB_CHECK_STR(parse_err("run = test_scn --repeat +5\n"), "suite.conf:1: --repeat +5: bad value (want 1 ... 100000 or auto)");
	CB_CHECK_STR(parse_err("run = test_scn --cpu +0\n"), "suite.conf:1: --cpu +0: bad value (want a CPU number or auto)");
	CB_CHECK_STR(parse_err("repeat = 0x5\nrun = test_scn\n"), "suite.conf:1: --repeat 0x5: bad value (want 1 ... 100000 or auto)");
}
