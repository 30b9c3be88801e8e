#include <stdlib.h>

#include "cb.h"
#include "faultlat.h"
#include "record.h"
#include "scenario.h"
#include "unit.h"

/* Each holds a histogram (~30 KiB): off the stack. */
static struct cb_pass_result t, c;
static struct cb_hist h;

/* A log of eight pages: pages 1 and 5 faulted (5 twice), a large folio's first write each; the
 * other six writes took no fault. */
static uint64_t op_ns[8] = { 30, 120000, 20, 30, 40, 140000, 30, 20 };
static uint32_t faults[8] = { 0, 1, 0, 0, 0, 2, 0, 0 };
static struct cb_page_log plog = { .cap = 8, .op_ns = op_ns, .faults = faults };

static void passes(void)
{
	memset(&t, 0, sizeof(t));
	memset(&c, 0, sizeof(c));
	cb_hist_init(&t.hist);
	t.measured = t.per_op_timed = t.op_ns_logged = t.loop_faults_read = true;
	t.pages = 8;
	t.loop_faults = 3;
	c.measured = c.classified = c.faults_sampled = c.faults_logged = true;
	c.pages = 8;
	c.faults_total = 3;
	c.pages_by_faults[0] = 6;
	c.pages_by_faults[1] = 1;
	c.pages_by_faults[2] = 1;
}

CB_TEST(faultlat_split_faulted_ops_only)
{
	cb_hist_init(&h);
	CB_CHECK_U64(cb_fault_split(op_ns, faults, 8, &h), 2);
	CB_CHECK_U64(h.count, 2);
	CB_CHECK_U64(h.min, 120000);
	CB_CHECK_U64(h.max, 140000);
	/* A page that faulted twice is still one op. */
	CB_CHECK_NEAR(cb_hist_mean(&h), 130000, 0.5);
	cb_hist_init(&h);
	CB_CHECK_U64(cb_fault_split(op_ns, faults, 0, &h), 0);
	CB_CHECK_U64(h.count, 0);
}

CB_TEST(faultlat_joined_where_counts_agree)
{
	char why[200] = "";

	passes();
	CB_CHECK(cb_fault_latency(&t, &c, &plog, &h, why, sizeof(why)));
	CB_CHECK_U64(h.count, 2);
	CB_CHECK_U64(h.max, 140000);
	CB_CHECK(cb_hist_percentile(&h, 50) >= 119000 && cb_hist_percentile(&h, 50) <= 141000);
}

/* Whether the join is refused with a reason that says want. */
static bool withheld_saying(const char *want)
{
	char why[200] = "";

	return !cb_fault_latency(&t, &c, &plog, &h, why, sizeof(why)) && strstr(why, want) && h.count == 0;
}

CB_TEST(faultlat_withheld_with_reasons)
{
	/* The timing pass took a fault more than the counting pass saw: which op is not known. */
	passes();
	t.loop_faults = 4;
	CB_CHECK(withheld_saying("took 4 faults, the counting pass saw 3"));
	passes();
	t.loop_faults_read = false;
	CB_CHECK(withheld_saying("not counted"));
	/* Counter reads put their own faults at the page they bracket. */
	passes();
	c.faults_sampled = false;
	CB_CHECK(withheld_saying("counter reads"));
	passes();
	t.op_ns_logged = false;
	CB_CHECK(withheld_saying("not logged"));
	passes();
	c.faults_logged = false;
	CB_CHECK(withheld_saying("not logged"));
	passes();
	t.pages = c.pages = 16; /* more pages than the log holds */
	CB_CHECK(withheld_saying("room for 8"));
	passes();
	CB_CHECK(!cb_fault_latency(&t, NULL, &plog, &h, (char[200]){ 0 }, 200));
}

CB_TEST(faultlat_left_out_where_it_repeats_latency)
{
	/* Every op faulted: latency_ns is already the faults' distribution. */
	passes();
	c.pages_by_faults[0] = 0;
	c.pages_by_faults[1] = 8;
	c.faults_total = t.loop_faults = 8;
	CB_CHECK(withheld_saying("every op faulted"));
	passes();
	c.faults_total = t.loop_faults = 0;
	CB_CHECK(withheld_saying("no op faulted"));
	/* An op scenario: its one op's time is latency_ns. */
	passes();
	t.per_op_timed = false;
	CB_CHECK(withheld_saying("one op per pass"));
}

static int fl_scn_run(struct cb_ctx *ctx)
{
	(void)ctx;
	return 0;
}

static const struct cb_scenario fl_scn = {
	.name = "test_faultlat",
	.description = "fault latency unit tests",
	.op = "one 8-byte write per page",
	.invalid_if = "never",
	.backings = "base",
	.run = fl_scn_run,
};

static json_object *fl_record(const struct cb_hist *fh, const char *why)
{
	static struct cb_opts o;
	struct cb_record_in in = { .scn = &fl_scn, .opts = &o, .rep = 1, .status = CB_OK, .timing = &t,
				   .counting = &c, .fault_hist = fh, .fault_withheld = why };

	cb_opts_defaults(&o);
	o.size = 8 * cb_page_size;
	o.repeat = 1;
	return cb_record_build(&in);
}

/* A percentile only where enough ops faulted: 4 faults have a p50 and a max, no p90 or p99. */
CB_TEST(faultlat_record_percentiles_by_count)
{
	json_object *rec, *fl, *v;

	passes();
	cb_hist_init(&h);
	for (uint64_t i = 1; i <= 4; i++)
		cb_hist_add(&h, i * 100000);
	rec = fl_record(&h, NULL);
	CB_CHECK(json_object_object_get_ex(rec, "fault_latency_ns", &fl) && fl);
	CB_CHECK(json_object_object_get_ex(fl, "ops", &v) && json_object_get_uint64(v) == 4);
	CB_CHECK(json_object_object_get_ex(fl, "p50", &v) && v);
	CB_CHECK(json_object_object_get_ex(fl, "max", &v) && json_object_get_uint64(v) == 400000);
	CB_CHECK(json_object_object_get_ex(fl, "p90", &v) && !v);
	CB_CHECK(json_object_object_get_ex(fl, "p99", &v) && !v);
	CB_CHECK(json_object_object_get_ex(rec, "fault_latency_hist", &v) && json_object_array_length(v) == 4);
	CB_CHECK(json_object_object_get_ex(rec, "fault_latency_withheld", &v) && !v);
	json_object_put(rec);

	for (uint64_t i = 5; i <= CB_FAULT_P99_MIN; i++)
		cb_hist_add(&h, 100000 + i);
	rec = fl_record(&h, NULL);
	json_object_object_get_ex(rec, "fault_latency_ns", &fl);
	CB_CHECK(json_object_object_get_ex(fl, "p90", &v) && v);
	CB_CHECK(json_object_object_get_ex(fl, "p99", &v) && v);
	json_object_put(rec);

	rec = fl_record(NULL, "every op faulted: latency_ns is the faults' distribution");
	CB_CHECK(json_object_object_get_ex(rec, "fault_latency_ns", &v) && !v);
	CB_CHECK(json_object_object_get_ex(rec, "fault_latency_hist", &v) && !v);
	CB_CHECK(json_object_object_get_ex(rec, "fault_latency_withheld", &v) &&
		 !strcmp(json_object_get_string(v), "every op faulted: latency_ns is the faults' distribution"));
	json_object_put(rec);
}
