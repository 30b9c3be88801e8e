/* The result-set reader on the inputs of issue 15: strict JSON, schema 1 types and ranges,
 * exact keys, duplicates, the index. */
#include <string.h>

#include "jsonstrict.h"
#include "resultset.h"
#include "unit.h"

static const char rec_fmt[] =
	"{\"schema\":1,\"run_id\":\"r1\",\"scenario\":\"%s\",\"backing\":\"base\",\"size\":8388608,\"size_h\":\"8M\","
	"\"pages\":2048,\"page_size\":4096,\"rep\":%d,\"repeat\":5,\"cpu\":0,\"status\":\"ok\",\"reason\":null,"
	"\"options\":\"%s\",\"ns_per_page\":%s}\n";

static char errbuf[1024];

/* Parses text as results.jsonl: 0 or -1 with the reason in errbuf. */
static int rs_parse(const char *text, struct cb_resultset *rs)
{
	memset(rs, 0, sizeof(*rs));
	return cb_resultset_parse_records(rs, "r.jsonl", text, strlen(text), errbuf, sizeof(errbuf));
}

static const char *rs_err(const char *text)
{
	struct cb_resultset rs;

	errbuf[0] = '\0';
	if (rs_parse(text, &rs) == 0)
		snprintf(errbuf, sizeof(errbuf), "(accepted)");
	cb_resultset_free(&rs);
	return errbuf;
}

static char *rec(char *buf, size_t len, const char *scn, int rep, const char *opts, const char *ns)
{
	snprintf(buf, len, rec_fmt, scn, rep, opts, ns);
	return buf;
}

CB_TEST(jsonstrict_rejects_what_json_c_takes)
{
	static const char *const bad[] = {
		"{\"a\":NaN}", "{\"a\":Infinity}", "{\"a\":-Infinity}", "{\"a\":1e309}", "{'a':1}", "{\"a\":1}/*c*/",
		"{\"a\":1} {\"b\":2}", "{\"a\":1}x", "{\"a\":18446744073709551616}", "{\"a\":-9223372036854775809}",
		"{\"a\":1,\"a\":2}", "{\"a\":{\"b\":1,\"b\":1}}", "{\"a\":\"\\u0000\"}", "{\"a\":\"\\ud800\"}",
		"{\"a\":\"\xff\"}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":+1}", "[1,]", "",
	};
	static const char *const good[] = {
		"{\"a\":18446744073709551615}", "{\"a\":-9223372036854775808}", "{\"a\":1e308}", "{\"a\":-0.5e-3}",
		"{\"a\":\"\\ud83d\\ude00 \xc3\xa9\"}", " {\"a\":[1,{\"b\":null}]} \r",
	};
	char why[256];
	size_t off;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_object *o = cb_json_strict_parse(bad[i], strlen(bad[i]), &off, why, sizeof(why));

		CB_CHECK(o == NULL);
		json_object_put(o);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		json_object *o = cb_json_strict_parse(good[i], strlen(good[i]), &off, why, sizeof(why));

		CB_CHECK(o != NULL);
		json_object_put(o);
	}
}

CB_TEST(resultset_schema_types_and_ranges)
{
	char r[1024];

	CB_CHECK_STR(rs_err(rec(r, sizeof(r), "fault_anon", 1, "", "9500")), "(accepted)");
	CB_CHECK_STR(rs_err(rec(r, sizeof(r), "fault_anon", 1, "", "\"9500\"")),
		     "r.jsonl:1: field 'ns_per_page' must be a number or null, not string");
	CB_CHECK_STR(rs_err(rec(r, sizeof(r), "fault_anon", 1, "", "-1")), "r.jsonl:1: field 'ns_per_page' is negative");
	CB_CHECK_STR(rs_err(rec(r, sizeof(r), "fault_anon", 0, "", "1")), "r.jsonl:1: field 'rep' must be at least 1, not 0");
	CB_CHECK_STR(rs_err(rec(r, sizeof(r), "a/b", 1, "", "1")),
		     "r.jsonl:1: field 'scenario' must be a non-empty name without '/'");
	CB_CHECK_STR(rs_err("{\"schema\":true}\n"), "r.jsonl:1: unknown schema version true (this cowbench reads the integer 1)");
	CB_CHECK_STR(rs_err("{\"schema\":1.9}\n"), "r.jsonl:1: unknown schema version 1.9 (this cowbench reads the integer 1)");
	CB_CHECK_STR(rs_err("{\"schema\":\"1\"}\n"), "r.jsonl:1: unknown schema version \"1\" (this cowbench reads the integer 1)");
	CB_CHECK_STR(rs_err("{\"schema\":2}\n"), "r.jsonl:1: unknown schema version 2 (this cowbench reads 1)");
	CB_CHECK(strstr(rs_err("{\"schema\":1}{\"schema\":1}\n"), "r.jsonl:1: corrupt record: trailing data") != NULL);
	{
		char text[1100];

		snprintf(text, sizeof(text), "%s{\"schema\":1", rec(r, sizeof(r), "fault_anon", 1, "", "1"));
		CB_CHECK_STR(rs_err(text), "r.jsonl:2: truncated record (no end of line)");
	}
}

CB_TEST(resultset_duplicates_and_exact_keys)
{
	char a[1024], b[1024], text[2200], opts_a[400], opts_b[400];
	struct cb_resultset rs;
	char (*keys)[CB_KEY_MAX];

	rec(a, sizeof(a), "cow_reuse", 1, "", "1");
	snprintf(text, sizeof(text), "%s%s", a, a);
	CB_CHECK_STR(rs_err(text), "r.jsonl:2: duplicate record: same instance, run_id, source and rep as line 1");
	/* Options that differ only after 300 characters are two instances. */
	memset(opts_a, 'x', 310);
	opts_a[310] = '\0';
	memcpy(opts_b, opts_a, sizeof(opts_a));
	opts_a[305] = 'A';
	opts_b[305] = 'B';
	rec(a, sizeof(a), "cow_reuse", 1, opts_a, "1");
	rec(b, sizeof(b), "cow_reuse", 1, opts_b, "2");
	snprintf(text, sizeof(text), "%s%s", a, b);
	CB_CHECK(rs_parse(text, &rs) == 0);
	CB_CHECK(cb_resultset_keys(&rs, &keys) == 2);
	CB_CHECK(strlen(keys[0]) == strlen("cow_reuse/base/8M/") + 310);
	CB_CHECK(cb_resultset_has(&rs, keys[1]));
	CB_CHECK(!cb_resultset_has(&rs, "cow_reuse/base/8M"));
	free(keys);
	cb_resultset_free(&rs);
}
