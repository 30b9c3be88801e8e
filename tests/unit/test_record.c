#include <math.h>
#include <stdlib.h>

#include "cb.h"
#include "record.h"
#include "timer.h"
#include "unit.h"

/* Quotes, backslash, newline, tab, a control byte, a slash and two- and four-byte UTF-8. */
#define REASON "say \"hi\" \\ C:\\x\nline 2\t\x01 caf\xc3\xa9 \xf0\x9f\x90\x84 a/b"

static int rec_scn_run(struct cb_ctx *ctx)
{
	(void)ctx;
	return 0;
}

static const struct cb_scenario rec_scn = {
	.name = "test_rec",
	.description = "record unit tests",
	.op = "one 8-byte write per page",
	.invalid_if = "never",
	.backings = "base",
	.run = rec_scn_run,
};

/* Both hold a histogram and a vmstat table: too big for the stack. */
static struct cb_pass_result timing, counting;

static void add_counter(struct cb_counters *cs, const char *name, bool supported, uint64_t value,
			uint64_t enabled, uint64_t running)
{
	struct cb_counter *k = &cs->c[cs->n++];

	memset(k, 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "%s", name);
	k->supported = supported;
	k->value = value;
	k->time_enabled = enabled;
	k->time_running = running;
	k->fd = -1;
	if (!supported)
		snprintf(k->why, sizeof(k->why), "Permission denied");
}

static void fill_results(void)
{
	memset(&timing, 0, sizeof(timing));
	memset(&counting, 0, sizeof(counting));
	cb_hist_init(&timing.hist);
	for (uint64_t v = 10; v <= 80; v += 10)
		cb_hist_add(&timing.hist, v);
	timing.measured = true;
	timing.pages = 8;
	timing.loop_ns = 12000;

	counting.measured = true;
	counting.classified = true;
	counting.pages = 8;
	counting.cow = (struct cb_cow_counts){ .copy = 5, .reuse = 2, .nofault = 1 };
	counting.faults_total = 7;
	counting.pages_by_faults[0] = 1;
	counting.pages_by_faults[1] = 7;
	counting.folio_pages_by_order[0] = 8;
	add_counter(&counting.counters, "page-faults", true, 7, 100, 50);
	add_counter(&counting.counters, "tlb:tlb_flush", false, 0, 0, 0);
	add_counter(&counting.counters, "cycles", true, UINT64_MAX - 1, 200, 200);
	counting.vmstat_delta.n = 2;
	snprintf(counting.vmstat_delta.e[0].name, CB_VMSTAT_NAME, "pgfault");
	counting.vmstat_delta.e[0].v = 8;
	snprintf(counting.vmstat_delta.e[1].name, CB_VMSTAT_NAME, "nr_free_pages");
	counting.vmstat_delta.e[1].v = -8;
	counting.nextra = 2;
	snprintf(counting.extra[0].name, sizeof(counting.extra[0].name), "ratio");
	counting.extra[0].value = 0.25;
	snprintf(counting.extra[1].name, sizeof(counting.extra[1].name), "interrupts_tlb_delta");
	snprintf(counting.extra[1].why, sizeof(counting.extra[1].why), "no TLB row");
}

static json_object *get(json_object *o, const char *path)
{
	char key[64];

	while (o && *path) {
		size_t len = strcspn(path, ".");

		snprintf(key, sizeof(key), "%.*s", (int)len, path);
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		path += len + (path[len] == '.');
	}
	return o;
}

static const char *get_str(json_object *o, const char *path)
{
	o = get(o, path);
	return o && json_object_is_type(o, json_type_string) ? json_object_get_string(o) : NULL;
}

static bool has(json_object *o, const char *key)
{
	return json_object_object_get_ex(o, key, NULL);
}

static bool is_int(json_object *o, const char *path, int64_t want)
{
	o = get(o, path);
	return o && json_object_is_type(o, json_type_int) && json_object_get_int64(o) == want;
}

static bool is_double(json_object *o, const char *path, double want)
{
	o = get(o, path);
	return o && json_object_is_type(o, json_type_double) && json_object_get_double(o) == want;
}

CB_TEST(record_status_names)
{
	CB_CHECK_STR(cb_status_name(CB_OK), "ok");
	CB_CHECK_STR(cb_status_name(CB_SKIP), "skip");
	CB_CHECK_STR(cb_status_name(CB_FAIL), "fail");
	CB_CHECK_STR(cb_status_name(CB_ERROR), "error");
	CB_CHECK_STR(cb_status_name(-1), "error");
	CB_CHECK_STR(cb_status_name(CB_DISTURBED), "disturbed");
	CB_CHECK_STR(cb_status_name(5), "error");
}

CB_TEST(record_ok_roundtrip)
{
	struct cb_opts o;
	struct cb_record_in in = { .run_id = "run-1", .scn = &rec_scn, .opts = &o, .cpu = 1, .rep = 2,
				   .status = CB_OK, .reason = REASON, .timing = &timing, .counting = &counting };
	json_object *rec, *back, *v;
	const char *text;
	char sz[32];

	fill_results();
	cb_opts_defaults(&o);
	o.size = 8 * cb_page_size;
	o.repeat = 3;
	rec = cb_record_build(&in);
	CB_CHECK(rec != NULL);
	if (!rec)
		return;
	text = json_object_to_json_string(rec);
	/* JSON Lines: escaping must leave no raw newline or control byte in the text. */
	CB_CHECK(strchr(text, '\n') == NULL);
	CB_CHECK(strchr(text, '\x01') == NULL);
	back = json_tokener_parse(text);
	CB_CHECK(back != NULL);
	if (!back)
		goto put_rec;
	CB_CHECK(json_object_equal(rec, back));

	CB_CHECK(is_int(back, "schema", 1));
	CB_CHECK_STR(get_str(back, "run_id"), "run-1");
	CB_CHECK_STR(get_str(back, "scenario"), "test_rec");
	CB_CHECK_STR(get_str(back, "backing"), "base");
	CB_CHECK(is_int(back, "size", (int64_t)(8 * cb_page_size)));
	cb_size_format(8 * cb_page_size, sz, sizeof(sz));
	CB_CHECK_STR(get_str(back, "size_h"), sz);
	CB_CHECK(is_int(back, "pages", 8));
	CB_CHECK(is_int(back, "page_size", (int64_t)cb_page_size));
	CB_CHECK(is_int(back, "rep", 2));
	CB_CHECK(is_int(back, "repeat", 3));
	CB_CHECK(is_int(back, "cpu", 1));
	CB_CHECK_STR(get_str(back, "status"), "ok");
	CB_CHECK_STR(get_str(back, "reason"), REASON);
	CB_CHECK_STR(get_str(back, "op"), "one 8-byte write per page");
	CB_CHECK(is_int(back, "ops", 8));
	CB_CHECK(is_double(back, "ns_per_page", 1500.0));

	CB_CHECK(is_int(back, "latency_ns.p50", 40));
	CB_CHECK(is_int(back, "latency_ns.p90", 80));
	CB_CHECK(is_int(back, "latency_ns.p99", 80));
	CB_CHECK(is_int(back, "latency_ns.p999", 80));
	CB_CHECK(is_int(back, "latency_ns.min", 10));
	CB_CHECK(is_int(back, "latency_ns.max", 80));
	CB_CHECK(is_double(back, "latency_ns.mean", 45.0));
	v = get(back, "latency_hist");
	CB_CHECK(v && json_object_is_type(v, json_type_array) && json_object_array_length(v) == 8);
	if (v && json_object_array_length(v) == 8) {
		json_object *b = json_object_array_get_idx(v, 0);

		CB_CHECK(json_object_array_length(b) == 3);
		CB_CHECK_U64(json_object_get_uint64(json_object_array_get_idx(b, 0)), 10);
		CB_CHECK_U64(json_object_get_uint64(json_object_array_get_idx(b, 1)), 10);
		CB_CHECK_U64(json_object_get_uint64(json_object_array_get_idx(b, 2)), 1);
	}

	CB_CHECK(is_int(back, "cow.copy", 5));
	CB_CHECK(is_int(back, "cow.reuse", 2));
	CB_CHECK(is_int(back, "cow.nofault", 1));
	CB_CHECK(is_int(back, "cow.first_touch", 0));
	CB_CHECK(is_int(back, "cow.unmapped_after", 0));
	CB_CHECK(is_int(back, "faults.total", 7));
	CB_CHECK(is_double(back, "faults.per_page", 0.875));
	CB_CHECK(is_int(back, "faults.pages_by_count.0", 1));
	CB_CHECK(is_int(back, "faults.pages_by_count.1", 7));
	CB_CHECK(is_int(back, "faults.pages_by_count.3+", 0));
	/* Not measured is null, never 0. */
	CB_CHECK(has(back, "page_allocs_per_page") && get(back, "page_allocs_per_page") == NULL);
	CB_CHECK_STR(get_str(back, "tlb_flush.unsupported"), "Permission denied");
	CB_CHECK_STR(get_str(back, "counters.tlb:tlb_flush.unsupported"), "Permission denied");
	CB_CHECK(is_int(back, "counters.page-faults", 7));
	v = get(back, "counters.cycles");
	CB_CHECK(v && json_object_get_uint64(v) == UINT64_MAX - 1);
	v = get(back, "counter_time_enabled_running.page-faults");
	CB_CHECK(v && json_object_array_length(v) == 2);
	if (v && json_object_array_length(v) == 2) {
		CB_CHECK_U64(json_object_get_uint64(json_object_array_get_idx(v, 0)), 100);
		CB_CHECK_U64(json_object_get_uint64(json_object_array_get_idx(v, 1)), 50);
	}
	CB_CHECK(!has(get(back, "counter_time_enabled_running"), "tlb:tlb_flush"));
	CB_CHECK(is_int(back, "vmstat_delta.pgfault", 8));
	CB_CHECK(is_int(back, "vmstat_delta.nr_free_pages", -8));
	cb_size_format(cb_page_size, sz, sizeof(sz));
	CB_CHECK(is_int(get(back, "folio_pages_by_size"), sz, 8));
	CB_CHECK(json_object_object_length(get(back, "folio_pages_by_size")) == 1);
	CB_CHECK(is_double(back, "extra.ratio", 0.25));
	/* An unsupported figure carries its reason, never a number that could pass for 0. */
	v = get(back, "extra.interrupts_tlb_delta.unsupported");
	CB_CHECK(v && strcmp(json_object_get_string(v), "no TLB row") == 0);
	json_object_put(back);
put_rec:
	json_object_put(rec);
}

CB_TEST(record_skip_has_no_results)
{
	struct cb_opts o;
	struct cb_record_in in = { .run_id = NULL, .scn = &rec_scn, .opts = &o, .cpu = 0, .rep = 1,
				   .status = CB_SKIP, .reason = "pagemap shows no PFNs (needs CAP_SYS_ADMIN)" };
	json_object *rec, *back;

	cb_opts_defaults(&o);
	rec = cb_record_build(&in);
	back = rec ? json_tokener_parse(json_object_to_json_string(rec)) : NULL;
	CB_CHECK(back != NULL);
	if (!back)
		goto put_rec;
	CB_CHECK_STR(get_str(back, "status"), "skip");
	CB_CHECK_STR(get_str(back, "reason"), "pagemap shows no PFNs (needs CAP_SYS_ADMIN)");
	CB_CHECK(has(back, "run_id") && get(back, "run_id") == NULL);
	CB_CHECK(is_int(back, "size", 64 << 20));
	CB_CHECK_STR(get_str(back, "size_h"), "64M");
	CB_CHECK(!has(back, "cow"));
	CB_CHECK(!has(back, "latency_ns"));
	CB_CHECK(!has(back, "ops"));
	CB_CHECK(!has(back, "faults"));
	CB_CHECK(isnan(cb_record_num(back, "cow.copy")));
	json_object_put(back);
	json_object_put(rec);

	/* An error without a reason still says so explicitly: null. */
	in.status = CB_ERROR;
	in.reason = "";
	rec = cb_record_build(&in);
	CB_CHECK_STR(get_str(rec, "status"), "error");
	CB_CHECK(has(rec, "reason") && get(rec, "reason") == NULL);
put_rec:
	json_object_put(rec);
}

CB_TEST(record_write_one_line)
{
	struct cb_opts o;
	struct cb_record_in in = { .run_id = "r", .scn = &rec_scn, .opts = &o, .rep = 1, .status = CB_FAIL,
				   .reason = REASON };
	json_object *rec, *back;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CB_CHECK(f != NULL);
	if (!f)
		return;
	cb_opts_defaults(&o);
	rec = cb_record_build(&in);
	CB_CHECK(cb_record_write(f, rec) == 0);
	CB_CHECK(cb_record_write(f, rec) == 0);
	fclose(f);
	/* Two records, two lines, each a complete object. */
	CB_CHECK(len > 2 && buf[len - 1] == '\n');
	CB_CHECK(strchr(buf, '\n') == buf + len / 2 - 1);
	buf[len / 2 - 1] = '\0';
	back = json_tokener_parse(buf);
	CB_CHECK(back != NULL);
	CB_CHECK_STR(get_str(back, "status"), "fail");
	CB_CHECK_STR(get_str(back, "reason"), REASON);
	json_object_put(back);
	json_object_put(rec);
	free(buf);
}

CB_TEST(record_num_paths)
{
	struct cb_opts o;
	struct cb_record_in in = { .run_id = "r", .scn = &rec_scn, .opts = &o, .rep = 1, .status = CB_OK,
				   .timing = &timing, .counting = &counting };
	json_object *rec;

	fill_results();
	cb_opts_defaults(&o);
	rec = cb_record_build(&in);
	CB_CHECK(cb_record_num(rec, "cow.copy") == 5);
	CB_CHECK(cb_record_num(rec, "cow.reuse") == 2);
	CB_CHECK(cb_record_num(rec, "latency_ns.p50") == 40);
	CB_CHECK(cb_record_num(rec, "latency_ns.mean") == 45.0);
	CB_CHECK(cb_record_num(rec, "faults.per_page") == 0.875);
	CB_CHECK(cb_record_num(rec, "faults.pages_by_count.3+") == 0);
	CB_CHECK(cb_record_num(rec, "vmstat_delta.nr_free_pages") == -8);
	CB_CHECK(cb_record_num(rec, "counters.cycles") == (double)(UINT64_MAX - 1));
	CB_CHECK(cb_record_num(rec, "schema") == 1);
	CB_CHECK(isnan(cb_record_num(rec, "cow.missing")));
	CB_CHECK(isnan(cb_record_num(rec, "nope")));
	CB_CHECK(isnan(cb_record_num(rec, "nope.deeper")));
	CB_CHECK(isnan(cb_record_num(rec, "cow")));		/* an object */
	CB_CHECK(isnan(cb_record_num(rec, "scenario")));	/* a string */
	CB_CHECK(isnan(cb_record_num(rec, "page_allocs_per_page")));	/* null */
	CB_CHECK(isnan(cb_record_num(rec, "cow.copy.deeper")));
	CB_CHECK(isnan(cb_record_num(rec, "")));
	CB_CHECK(isnan(cb_record_num(NULL, "cow.copy")));
	json_object_put(rec);
}

CB_TEST(record_op_scenario_has_no_cow)
{
	struct cb_opts o;
	struct cb_record_in in = { .run_id = "r", .scn = &rec_scn, .opts = &o, .rep = 1, .status = CB_OK,
				   .timing = &timing, .counting = &counting };
	json_object *rec;

	cb_opts_defaults(&o);
	o.size = 8 * 4096;
	fill_results();
	/* An op scenario (fork, munmap, ...): one op, no per-page classification. */
	counting.classified = false;
	timing.nextra = 1;
	snprintf(timing.extra[0].name, sizeof(timing.extra[0].name), "fork_exit_wait_ns");
	timing.extra[0].value = 1500;
	rec = cb_record_build(&in);
	CB_CHECK(has(rec, "cow") && get(rec, "cow") == NULL);
	CB_CHECK(has(rec, "faults") && get(rec, "faults") == NULL);
	CB_CHECK(is_int(rec, "ops", 1));
	CB_CHECK(is_double(rec, "extra_timed.fork_exit_wait_ns", 1500));
	CB_CHECK(is_double(rec, "ns_per_page", 12000.0 / 8));
	json_object_put(rec);
}

/* ns_per_page from one loop per instance, never withheld: the untimed one, or the timing pass
 * where the backing maps PMD-size THPs (spurious faults in an untimed loop), with the timer's
 * cost per page stated. Spurious and whole-folio counts are in the record. */
CB_TEST(record_ns_per_page_source)
{
	struct cb_scenario det = rec_scn;
	struct cb_opts o;
	struct cb_record_in in = { .run_id = "r", .scn = &det, .opts = &o, .rep = 1, .status = CB_OK,
				   .timing = &timing, .counting = &counting };
	struct cb_backing bk = { .kind = CB_BK_BASE };
	json_object *rec;

	cb_opts_defaults(&o);
	o.size = 8 * cb_page_size;
	fill_results();
	det.deterministic = true;
	timing.per_op_timed = true;
	timing.untimed = true;
	timing.untimed_loop_ns = 8000;
	timing.untimed_faults_read = true;
	timing.untimed_faults = 9; /* two more than the counting pass's 7 decisions: still a figure */
	timing.loop_faults_read = true;
	timing.loop_faults = 7;
	counting.faults_spurious_pmd = 2;
	in.ns_timed = cb_record_ns_timed(&bk);
	CB_CHECK(!in.ns_timed);
	rec = cb_record_build(&in);
	CB_CHECK(is_double(rec, "ns_per_page", 1000.0));
	CB_CHECK_STR(get_str(rec, "ns_per_page_source"), "untimed pass");
	CB_CHECK(has(rec, "ns_per_page_timer_ns") && get(rec, "ns_per_page_timer_ns") == NULL);
	CB_CHECK(is_double(rec, "ns_per_page_timed", 1500.0));
	CB_CHECK(is_int(rec, "untimed_faults", 9) && is_int(rec, "timed_faults", 7));
	CB_CHECK(is_int(rec, "faults.spurious_pmd", 2));
	CB_CHECK(!has(rec, "ns_per_page_withheld"));
	CB_CHECK(is_int(rec, "cow.folio_copy", 0) && is_int(rec, "folio_copy_folios", 0));
	CB_CHECK_NEAR(cb_record_ns_per_page(&timing, false), 1000.0, 1e-9);
	json_object_put(rec);

	/* PMD-size THPs (thp, swapped_thp, sys): the timing pass, whatever the untimed loop took. */
	bk.kind = CB_BK_THP;
	CB_CHECK(cb_record_ns_timed(&bk));
	bk.kind = CB_BK_SYS;
	CB_CHECK(cb_record_ns_timed(&bk));
	bk.kind = CB_BK_THP_PTE;
	CB_CHECK(!cb_record_ns_timed(&bk));
	bk.kind = CB_BK_MTHP;
	CB_CHECK(!cb_record_ns_timed(&bk));
	in.ns_timed = true;
	timing.untimed_faults = 7;
	counting.cow.folio_copy = 4;
	counting.cow.folio_copy_folios = 1;
	rec = cb_record_build(&in);
	CB_CHECK(is_double(rec, "ns_per_page", 1500.0));
	CB_CHECK(is_double(rec, "ns_per_gib", 12000.0 * (1 << 30) / (8.0 * cb_page_size)));
	CB_CHECK_STR(get_str(rec, "ns_per_page_source"), "timing pass");
	CB_CHECK(is_double(rec, "ns_per_page_timer_ns", cb_timer.overhead_ns));
	CB_CHECK(is_int(rec, "untimed_faults", 7));
	CB_CHECK(is_int(rec, "cow.folio_copy", 4) && is_int(rec, "folio_copy_folios", 1));
	CB_CHECK_NEAR(cb_record_ns_per_page(&timing, true), 1500.0, 1e-9);
	json_object_put(rec);

	/* An op (no untimed pass): the timing pass, no per-page timer reads in it. */
	timing.untimed = false;
	timing.per_op_timed = false;
	in.ns_timed = false;
	rec = cb_record_build(&in);
	CB_CHECK_STR(get_str(rec, "ns_per_page_source"), "timing pass");
	CB_CHECK(get(rec, "ns_per_page_timer_ns") == NULL && get(rec, "ns_per_page_timed") == NULL);
	json_object_put(rec);
}
