#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cb.h"
#include "hyperfine.h"
#include "record.h"
#include "unit.h"

/* Hand-written in hyperfine 1.15's --export-json shape; the unit tests run from the repo root. */
#define HF_FILE "tests/unit/data/hyperfine_3runs.json"

static int hf_parse_text(const char *text, struct cb_hyperfine *hf, char *why, size_t len)
{
	json_object *doc = json_tokener_parse(text);
	int ret = cb_hyperfine_parse(doc, hf, why, len);

	json_object_put(doc);
	return ret;
}

CB_TEST(hyperfine_import_file)
{
	struct cb_hyperfine hf;
	char why[256] = "";
	int ret = cb_hyperfine_load(HF_FILE, &hf, why, sizeof(why));

	CB_CHECK_STR(why, "");
	CB_CHECK(ret == 0);
	if (ret)
		return;
	CB_CHECK_U64(hf.n, 3);
	CB_CHECK_NEAR(hf.times_ns[0], 14800000, 1e-3);
	CB_CHECK_NEAR(hf.times_ns[1], 13500000, 1e-3);
	CB_CHECK_NEAR(hf.times_ns[2], 16700000, 1e-3);
	CB_CHECK_NEAR(hf.mean_ns, 15000000, 1e-3);
	CB_CHECK_NEAR(hf.stddev_ns, 1500000, 1e-3);
	CB_CHECK_NEAR(hf.median_ns, 14800000, 1e-3);
	CB_CHECK_NEAR(hf.min_ns, 13500000, 1e-3);
	CB_CHECK_NEAR(hf.max_ns, 16700000, 1e-3);
	CB_CHECK_NEAR(hf.user_ns, 4000000, 1e-3);
	CB_CHECK_NEAR(hf.system_ns, 9000000, 1e-3);
	CB_CHECK(hf.bad_run == 0);
	cb_hyperfine_free(&hf);
	CB_CHECK(hf.times_ns == NULL && hf.n == 0);
}

CB_TEST(hyperfine_import_one_run_null_stddev)
{
	struct cb_hyperfine hf;
	char why[256] = "";
	/* One run: hyperfine writes null for the stddev; no exit_codes (hyperfine before 1.12). */
	int ret = hf_parse_text("{\"results\":[{\"command\":\"x\",\"mean\":0.002,\"stddev\":null,\"min\":0.002,"
				"\"max\":0.002,\"times\":[0.002]}]}",
				&hf, why, sizeof(why));

	CB_CHECK(ret == 0);
	if (ret)
		return;
	CB_CHECK_U64(hf.n, 1);
	CB_CHECK_NEAR(hf.times_ns[0], 2000000, 1e-6);
	CB_CHECK(isnan(hf.stddev_ns));
	CB_CHECK(isnan(hf.median_ns) && isnan(hf.user_ns) && isnan(hf.system_ns));
	CB_CHECK(hf.bad_run == 0);
	cb_hyperfine_free(&hf);
}

CB_TEST(hyperfine_import_exit_codes)
{
	struct cb_hyperfine hf;
	char why[256];
	int ret = hf_parse_text("{\"results\":[{\"mean\":1,\"stddev\":0,\"min\":1,\"max\":1,\"times\":[1,1,1],"
				"\"exit_codes\":[0,3,1]}]}",
				&hf, why, sizeof(why));

	CB_CHECK(ret == 0);
	CB_CHECK(hf.bad_run == 2);
	CB_CHECK(hf.bad_code == 3);
	cb_hyperfine_free(&hf);
	/* null: a signal ended the run */
	ret = hf_parse_text("{\"results\":[{\"mean\":1,\"stddev\":0,\"min\":1,\"max\":1,\"times\":[1,1],"
			    "\"exit_codes\":[0,null]}]}",
			    &hf, why, sizeof(why));
	CB_CHECK(ret == 0);
	CB_CHECK(hf.bad_run == 2);
	CB_CHECK(hf.bad_code == -1);
	cb_hyperfine_free(&hf);
}

CB_TEST(hyperfine_import_rejects)
{
	static const struct {
		const char *json, *why;
	} bad[] = {
		{ "[]", "no \"results\" array with a benchmark" },
		{ "{\"results\":[]}", "no \"results\" array with a benchmark" },
		{ "{\"results\":[{\"mean\":1,\"min\":1,\"max\":1,\"times\":[]}]}",
		  "results[0] has no \"times\" array with a run" },
		{ "{\"results\":[{\"mean\":1,\"min\":1,\"max\":1,\"times\":[0.1,\"x\"]}]}",
		  "results[0].times[1] is not a time in seconds" },
		{ "{\"results\":[{\"mean\":1,\"min\":1,\"max\":1,\"times\":[-0.1]}]}",
		  "results[0].times[0] is not a time in seconds" },
		{ "{\"results\":[{\"mean\":1,\"min\":1,\"max\":1,\"times\":[0.1],\"exit_codes\":[0,0]}]}",
		  "results[0].exit_codes does not match the 1 times" },
		{ "{\"results\":[{\"min\":1,\"max\":1,\"times\":[0.1]}]}",
		  "results[0]: mean, min and max must be numbers (and the rest numbers or null)" },
		{ "{\"results\":[{\"mean\":1,\"stddev\":\"big\",\"min\":1,\"max\":1,\"times\":[0.1]}]}",
		  "results[0]: mean, min and max must be numbers (and the rest numbers or null)" },
	};

	for (size_t i = 0; i < CB_ARRAY_SIZE(bad); i++) {
		struct cb_hyperfine hf;
		char why[256] = "";

		CB_CHECK(hf_parse_text(bad[i].json, &hf, why, sizeof(why)) == -EINVAL);
		CB_CHECK_STR(why, bad[i].why);
		CB_CHECK(hf.times_ns == NULL && hf.n == 0);
	}
}

CB_TEST(hyperfine_load_names_file)
{
	struct cb_hyperfine hf;
	char why[512];

	CB_CHECK(cb_hyperfine_load("/nonexistent/hf.json", &hf, why, sizeof(why)) == -EINVAL);
	CB_CHECK(strncmp(why, "/nonexistent/hf.json: ", 22) == 0);
}

static const struct cb_scenario hf_scn = {
	.name = "test_hf", .op = "one process", .backings = "base",
};

/* A run becomes a timing pass and a record: its time, one latency sample, hyperfine's summary,
 * no counting-pass fields. */
CB_TEST(hyperfine_pass_record)
{
	static struct cb_pass_result res;
	struct cb_hyperfine hf;
	struct cb_opts o;
	struct cb_record_in in = { .scn = &hf_scn, .opts = &o, .rep = 2, .status = CB_OK, .timing = &res,
				   .source = "hyperfine" };
	json_object *rec, *v;
	char why[256];

	if (cb_hyperfine_load(HF_FILE, &hf, why, sizeof(why))) {
		CB_CHECK(!"loads " HF_FILE);
		return;
	}
	cb_opts_defaults(&o);
	o.size = 2048 * cb_page_size;
	/* hyperfine's summary is the instance's: only the first run's record carries it. */
	cb_hyperfine_pass(&hf, 0, 2048, &res);
	CB_CHECK(res.nextra == 7);
	cb_hyperfine_pass(&hf, 2, 2048, &res);
	CB_CHECK(res.nextra == 0);
	cb_hyperfine_pass(&hf, 1, 2048, &res);
	CB_CHECK_U64(res.loop_ns, 13500000);
	CB_CHECK_U64(res.pages, 2048);
	CB_CHECK_U64(res.hist.count, 1);
	CB_CHECK_U64(res.hist.min, 13500000);
	CB_CHECK_U64(res.hist.max, 13500000);
	CB_CHECK(res.nextra == 0);
	/* The record of run 1 (rep 2) with run 0's summary, as the runner writes rep 1. */
	cb_hyperfine_pass(&hf, 0, 2048, &res);
	res.loop_ns = 13500000;
	res.hist.min = res.hist.max = 13500000;
	rec = cb_record_build(&in);
	CB_CHECK_STR(json_object_get_string(json_object_object_get(rec, "source")), "hyperfine");
	CB_CHECK(cb_record_num(rec, "ops") == 1);
	CB_CHECK_NEAR(cb_record_num(rec, "ns_per_page"), 13500000.0 / 2048, 1e-9);
	CB_CHECK_U64((uint64_t)cb_record_num(rec, "latency_ns.min"), 13500000);
	CB_CHECK_NEAR(cb_record_num(rec, "extra_timed.hyperfine_mean_ns"), 15000000, 1e-3);
	CB_CHECK_NEAR(cb_record_num(rec, "extra_timed.hyperfine_stddev_ns"), 1500000, 1e-3);
	CB_CHECK_NEAR(cb_record_num(rec, "extra_timed.hyperfine_min_ns"), 13500000, 1e-3);
	CB_CHECK_NEAR(cb_record_num(rec, "extra_timed.hyperfine_max_ns"), 16700000, 1e-3);
	/* Present and null: not measured, never 0. */
	CB_CHECK(json_object_object_get_ex(rec, "cow", &v) && v == NULL);
	CB_CHECK(json_object_object_get_ex(rec, "faults", &v) && v == NULL);
	CB_CHECK(json_object_object_get_ex(rec, "timer_overhead_ns", &v) && v == NULL);
	CB_CHECK(!json_object_object_get_ex(rec, "counters", NULL));
	json_object_put(rec);
	cb_hyperfine_free(&hf);

	/* hyperfine's null stays out of the record: JSON has no NaN. */
	CB_CHECK(hf_parse_text("{\"results\":[{\"mean\":0.5,\"stddev\":null,\"min\":0.5,\"max\":0.5,\"times\":[0.5]}]}",
			       &hf, why, sizeof(why)) == 0);
	cb_hyperfine_pass(&hf, 0, 1, &res);
	CB_CHECK(res.nextra == 3);
	for (int i = 0; i < res.nextra; i++)
		CB_CHECK(strcmp(res.extra[i].name, "hyperfine_stddev_ns") != 0);
	cb_hyperfine_free(&hf);
}

/* A stand-in hyperfine: logs its arguments, writes an export for `--export-json`, or fails. */
static const char fake_hf[] =
	"#!/bin/sh\n"
	"d=${0%/*}\n"
	"[ -e \"$d/fail\" ] && { echo 'Error: boom' >&2; exit 1; }\n"
	"for a in \"$@\"; do printf '%s\\n' \"$a\"; done >\"$d/args\"\n"
	"while [ $# -gt 0 ]; do [ \"$1\" = --export-json ] && out=$2; shift; done\n"
	"echo '{\"results\":[{\"mean\":0.002,\"stddev\":0.001,\"min\":0.001,\"max\":0.003,"
	"\"times\":[0.001,0.003],\"exit_codes\":[0,0]}]}' >\"$out\"\n";

static void hf_fake_install(const char *dir)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/hyperfine", dir);
	f = fopen(path, "w");
	if (f) {
		fputs(fake_hf, f);
		fclose(f);
	}
	chmod(path, 0755);
}

static void hf_file_read(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, len - 1, f) : 0;

	buf[n] = '\0';
	if (f)
		fclose(f);
}

CB_TEST(hyperfine_run_fake)
{
	char dir[] = "/tmp/cb-hf-unit.XXXXXX", path[256], args[2048], why[256] = "", *old = getenv("PATH");
	char *cmd[] = { "/bin/echo", "proc", "a b", "it's", NULL };
	struct cb_hyperfine hf;
	int ret;

	old = old ? strdup(old) : NULL;
	if (!mkdtemp(dir)) {
		CB_CHECK(!"mkdtemp");
		return;
	}
	hf_fake_install(dir);
	setenv("PATH", "/nonexistent-dir", 1);
	CB_CHECK(cb_hyperfine_find(path, sizeof(path)) == -ENOENT);
	CB_CHECK(cb_hyperfine_run(cmd, 2, 1, -1, &hf, why, sizeof(why)) == -ENOENT);
	setenv("PATH", dir, 1);
	CB_CHECK(cb_hyperfine_find(path, sizeof(path)) == 0);
	ret = cb_hyperfine_run(cmd, 2, 1, 0, &hf, why, sizeof(why));
	CB_CHECK_STR(why, "");
	CB_CHECK(ret == 0);
	CB_CHECK_U64(hf.n, 2);
	if (hf.n == 2)
		CB_CHECK_NEAR(hf.times_ns[1], 3000000, 1e-6);
	cb_hyperfine_free(&hf);
	snprintf(path, sizeof(path), "%s/args", dir);
	hf_file_read(path, args, sizeof(args));
	/* The command is one argument, its words quoted for hyperfine's shell-style splitting. */
	if (strstr(args, "--runs\n2\n--warmup\n1\n--export-json\n/tmp/cowbench-hf.") != args ||
	    !strstr(args, "\n--shell=none\n--ignore-failure\n--style\nnone\n--\n"
			  "/bin/echo proc 'a b' 'it'\\''s'\n"))
		cb_test_fail(__FILE__, __LINE__, "hyperfine got the arguments:\n%s", args);
	unlink(path);

	snprintf(path, sizeof(path), "%s/fail", dir);
	fclose(fopen(path, "w"));
	ret = cb_hyperfine_run(cmd, 2, 1, -1, &hf, why, sizeof(why));
	CB_CHECK(ret == -EIO);
	CB_CHECK_STR(why, "hyperfine exited 1: Error: boom");
	unlink(path);
	snprintf(path, sizeof(path), "%s/hyperfine", dir);
	unlink(path);
	rmdir(dir);
	if (old)
		setenv("PATH", old, 1);
	free(old);
}
