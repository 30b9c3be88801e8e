/* Schema 1 of a record read back: every field cowbench writes, its JSON type and its range. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cb.h"
#include "opts.h"
#include "resultset.h"

enum {
	K_NULL = 1, K_INT = 2, K_DBL = 4, K_STR = 8, K_OBJ = 16, K_ARR = 32, K_BOOL = 64,
	K_NUM = K_INT | K_DBL,
};

enum cb_rule {
	R_ANY,          /* type only */
	R_NONNEG,       /* a number >= 0 */
	R_POS,          /* an integer >= 1 */
	R_CPU,          /* an integer >= -1 */
	R_SCHEMA,       /* the integer 1 */
	R_NAME,         /* a non-empty name without '/' (it is part of the instance key) */
	R_STATUS,       /* ok, skip, fail, error, disturbed */
	R_TREE_NONNEG,  /* every number inside is >= 0 */
};

static const struct cb_field {
	const char *name;
	unsigned kinds;
	enum cb_rule rule;
	bool required;
} cb_fields[] = {
	{ "schema", K_INT, R_SCHEMA, true },
	{ "scenario", K_STR, R_NAME, true },
	{ "backing", K_STR, R_NAME, true },
	{ "size_h", K_STR, R_NAME, true },
	{ "status", K_STR, R_STATUS, true },
	{ "rep", K_INT, R_POS, false },
	{ "run_id", K_STR | K_NULL, R_ANY, false },
	{ "options", K_STR, R_ANY, false },
	{ "size", K_INT, R_POS, false },
	{ "pages", K_INT, R_POS, false },
	{ "page_size", K_INT, R_POS, false },
	{ "repeat", K_INT, R_POS, false },
	{ "repeat_auto", K_OBJ | K_NULL, R_TREE_NONNEG, false },
	{ "cpu", K_INT, R_CPU, false },
	{ "worker_sched", K_STR | K_NULL, R_ANY, false },
	{ "swap", K_STR, R_ANY, false },
	{ "reason", K_STR | K_NULL, R_ANY, false },
	{ "op", K_STR | K_NULL, R_ANY, false },
	{ "source", K_STR, R_ANY, false },
	{ "ops", K_INT, R_NONNEG, false },
	{ "ns_per_page", K_NUM | K_NULL, R_NONNEG, false },
	{ "ns_per_gib", K_NUM | K_NULL, R_NONNEG, false },
	/* Written by older cowbench: why that repetition's ns_per_page was null. */
	{ "ns_per_page_withheld", K_STR | K_NULL, R_ANY, false },
	{ "gib_per_s", K_NUM | K_NULL, R_NONNEG, false },
	{ "ns_per_page_source", K_STR, R_ANY, false },
	{ "ns_per_page_timer_ns", K_NUM | K_NULL, R_NONNEG, false },
	{ "untimed_faults", K_INT | K_NULL, R_NONNEG, false },
	{ "timed_faults", K_INT | K_NULL, R_NONNEG, false },
	{ "timer_overhead_ns", K_NUM | K_NULL, R_NONNEG, false },
	{ "page_allocs_per_page", K_NUM | K_NULL, R_NONNEG, false },
	{ "direct_compaction", K_INT | K_OBJ | K_NULL, R_TREE_NONNEG, false },
	{ "direct_reclaim", K_INT | K_OBJ | K_NULL, R_TREE_NONNEG, false },
	{ "memcg_reclaim", K_INT | K_OBJ | K_NULL, R_TREE_NONNEG, false },
	{ "numa_task_node", K_INT | K_NULL, R_CPU, false },
	{ "latency_ns", K_OBJ | K_NULL, R_TREE_NONNEG, false },
	{ "latency_hist", K_ARR | K_NULL, R_TREE_NONNEG, false },
	{ "swapin_fault_latency_ns", K_OBJ | K_NULL, R_ANY, false },
	{ "swapin_fault_latency_hist", K_ARR | K_NULL, R_TREE_NONNEG, false },
	{ "swap_state", K_OBJ | K_NULL, R_ANY, false },
	{ "fault_latency_ns", K_OBJ | K_NULL, R_TREE_NONNEG, false },
	{ "fault_latency_hist", K_ARR | K_NULL, R_TREE_NONNEG, false },
	{ "fault_latency_withheld", K_STR | K_NULL, R_ANY, false },
	{ "cow", K_OBJ | K_NULL, R_TREE_NONNEG, false },
	{ "folio_copy_folios", K_INT | K_NULL, R_NONNEG, false },
	{ "cow_verified", K_NUM | K_OBJ | K_NULL | K_BOOL, R_TREE_NONNEG, false },
	{ "faults", K_OBJ | K_NULL, R_TREE_NONNEG, false },
	{ "tlb_flush", K_OBJ | K_NULL, R_TREE_NONNEG, false },
	{ "counters", K_OBJ | K_NULL, R_TREE_NONNEG, false },
	{ "counter_time_enabled_running", K_OBJ | K_NULL, R_TREE_NONNEG, false },
	{ "counters_per_op", K_OBJ | K_NULL, R_TREE_NONNEG, false },
	{ "counter_scaling", K_OBJ | K_NULL, R_TREE_NONNEG, false },
	{ "numa_pages_by_node", K_OBJ | K_NULL, R_TREE_NONNEG, false },
	{ "folio_pages_by_size", K_OBJ | K_NULL, R_TREE_NONNEG, false },
	{ "folio_pages_by_size_after", K_OBJ | K_NULL, R_TREE_NONNEG, false },
	{ "vmstat_delta", K_OBJ | K_NULL, R_ANY, false },
	{ "extra", K_OBJ | K_NULL, R_ANY, false },
	{ "extra_timed", K_OBJ | K_NULL, R_ANY, false },
	{ "workers", K_OBJ | K_NULL, R_ANY, false },
	{ "mmap_lock", K_OBJ | K_NULL, R_TREE_NONNEG, false },
};

static unsigned cb_kind(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return K_NULL;
	case json_type_int: return K_INT;
	case json_type_double: return K_DBL;
	case json_type_string: return K_STR;
	case json_type_object: return K_OBJ;
	case json_type_array: return K_ARR;
	case json_type_boolean: return K_BOOL;
	}
	return 0;
}

static const char *cb_kinds_name(unsigned k)
{
	if (k == K_INT)
		return "an integer";
	if (k == K_STR)
		return "a string";
	if (k == (K_STR | K_NULL))
		return "a string or null";
	if (k == (K_NUM | K_NULL))
		return "a number or null";
	if (k == (K_INT | K_NULL))
		return "an integer or null";
	if (k == (K_OBJ | K_NULL))
		return "an object or null";
	if (k == (K_ARR | K_NULL))
		return "an array or null";
	return "a number, object, boolean or null";
}

/* A negative number anywhere inside v: its dotted path in where. */
static bool cb_tree_negative(json_object *v, char *where, size_t len, size_t off)
{
	if (json_object_is_type(v, json_type_int))
		return json_object_get_int64(v) < 0;
	if (json_object_is_type(v, json_type_double))
		return json_object_get_double(v) < 0;
	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, k, m) {
			if (off < len)
				snprintf(where + off, len - off, ".%s", k);
			if (cb_tree_negative(m, where, len, off + 1 + strlen(k)))
				return true;
		}
	} else if (json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			int n = 0;

			if (off < len)
				n = snprintf(where + off, len - off, "[%zu]", i);
			if (cb_tree_negative(json_object_array_get_idx(v, i), where, len, off + (size_t)n))
				return true;
		}
	}
	return false;
}

static int cb_field_check(const struct cb_field *f, json_object *v, char *why, size_t whylen)
{
	char where[160];
	int64_t i = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : 0;
	const char *s;

	if (!(cb_kind(v) & f->kinds)) {
		snprintf(why, whylen, "field '%s' must be %s, not %s", f->name, cb_kinds_name(f->kinds),
			 json_type_to_name(json_object_get_type(v)));
		return -1;
	}
	switch (f->rule) {
	case R_ANY:
		break;
	case R_SCHEMA:
		if (i != CB_SCHEMA_VERSION) {
			snprintf(why, whylen, "unknown schema version %s (this cowbench reads %d)",
				 json_object_to_json_string(v), CB_SCHEMA_VERSION);
			return -1;
		}
		break;
	case R_POS:
		/* json-c reads integers above INT64_MAX as uint64: get_int64 clamps them, positive. */
		if (i < 1) {
			snprintf(why, whylen, "field '%s' must be at least 1, not %s", f->name, json_object_to_json_string(v));
			return -1;
		}
		if ((!strcmp(f->name, "rep") || !strcmp(f->name, "repeat")) && i > 1000000000) {
			snprintf(why, whylen, "field '%s' is impossibly large (%s)", f->name, json_object_to_json_string(v));
			return -1;
		}
		break;
	case R_CPU:
		if (json_object_is_type(v, json_type_int) && (i < -1 || i > 1 << 20)) {
			snprintf(why, whylen, "field '%s' out of range (%s)", f->name, json_object_to_json_string(v));
			return -1;
		}
		break;
	case R_NONNEG:
	case R_TREE_NONNEG:
		where[0] = '\0';
		if (cb_tree_negative(v, where, sizeof(where), 0)) {
			snprintf(why, whylen, "field '%s%s' is negative", f->name, where);
			return -1;
		}
		break;
	case R_NAME:
		s = json_object_get_string(v);
		if (!*s || strchr(s, '/')) {
			snprintf(why, whylen, "field '%s' must be a non-empty name without '/'", f->name);
			return -1;
		}
		break;
	case R_STATUS:
		s = json_object_get_string(v);
		if (strcmp(s, "ok") && strcmp(s, "skip") && strcmp(s, "fail") && strcmp(s, "error") &&
		    strcmp(s, "disturbed")) {
			snprintf(why, whylen, "field 'status' must be ok, skip, fail, error or disturbed");
			return -1;
		}
		break;
	}
	return 0;
}

int cb_record_check(json_object *rec, char *why, size_t whylen)
{
	json_object *v, *size, *pages, *psize, *size_h;
	char key[CB_KEY_MAX];

	if (!json_object_is_type(rec, json_type_object)) {
		snprintf(why, whylen, "not a JSON object");
		return -1;
	}
	/* The schema first: a record of another schema is that, not a list of wrong fields. */
	for (size_t i = 0; i < CB_ARRAY_SIZE(cb_fields); i++) {
		const struct cb_field *f = &cb_fields[i];

		if (!json_object_object_get_ex(rec, f->name, &v)) {
			if (f->required) {
				snprintf(why, whylen, i ? "field '%s' missing" : "unknown schema version (no '%s' field)",
					 f->name);
				return -1;
			}
			continue;
		}
		if (i == 0 && !json_object_is_type(v, json_type_int)) {
			snprintf(why, whylen, "unknown schema version %s (this cowbench reads the integer %d)",
				 json_object_to_json_string(v), CB_SCHEMA_VERSION);
			return -1;
		}
		if (cb_field_check(f, v, why, whylen))
			return -1;
	}
	/* Impossible combinations: the size in bytes, in pages and as written must agree. */
	if (json_object_object_get_ex(rec, "size", &size) && json_object_object_get_ex(rec, "pages", &pages) &&
	    json_object_object_get_ex(rec, "page_size", &psize)) {
		uint64_t s = json_object_get_uint64(size), p = json_object_get_uint64(pages),
			 ps = json_object_get_uint64(psize);

		if (ps & (ps - 1) || p > s / ps || p * ps != s) {
			snprintf(why, whylen, "fields 'size', 'pages' and 'page_size' disagree (%ju != %ju x %ju)",
				 (uintmax_t)s, (uintmax_t)p, (uintmax_t)ps);
			return -1;
		}
	}
	if (json_object_object_get_ex(rec, "size", &size) && json_object_object_get_ex(rec, "size_h", &size_h)) {
		char h[32];

		cb_size_format((size_t)json_object_get_uint64(size), h, sizeof(h));
		if (strcmp(h, json_object_get_string(size_h))) {
			snprintf(why, whylen, "fields 'size' and 'size_h' disagree (%ju is %s)",
				 (uintmax_t)json_object_get_uint64(size), h);
			return -1;
		}
	}
	if (cb_record_key(rec, key) >= sizeof(key)) {
		snprintf(why, whylen, "scenario, backing, size_h and options longer than %d bytes together",
			 CB_KEY_MAX - 1);
		return -1;
	}
	return 0;
}
