/* A result set read back: the records and env.json of one run directory, for comparisons,
 * plots and reports. Result sets travel between labs: they are read as untrusted input. */
#ifndef CB_RESULTSET_H
#define CB_RESULTSET_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

/* An instance key is exact: a record whose key would not fit is an error when it is read, never
 * a truncated key (see cb_resultset_load). */
#define CB_KEY_MAX 1024
/* results.jsonl and env.json larger than this are refused (a thp.conf set on a 256-CPU machine
 * is a few MB); one record line larger than CB_LINE_MAX_BYTES too. */
#define CB_RESULTS_MAX_BYTES (1ull << 30)
#define CB_ENV_MAX_BYTES (16ull << 20)
#define CB_LINE_MAX_BYTES (16u << 20)

struct cb_rs_index;

struct cb_resultset {
	char dir[PATH_MAX];         /* the run directory read */
	char label[128];            /* kernel release from env.json (made unique by the caller) */
	json_object *env;           /* env.json */
	json_object **records;      /* every record of results.jsonl, in file order */
	size_t nrecords;
	struct cb_rs_index *index;  /* records by instance key: built by load, or on first use */
};

/*
 * Loads a run directory (holding results.jsonl and env.json) or a kernel-release directory
 * holding run directories (the newest run id, i.e. the greatest name, is taken). Returns 0, or
 * -1 with "file[:line]: reason" in err: a missing or empty directory; a file that is not a
 * regular file (FIFO, device, symbolic link) or is larger than the limits above; a line that is
 * not exactly one strict JSON object (see jsonstrict.h); an unknown schema (only the integer 1);
 * a field of the wrong type, out of range or negative where it cannot be; a key that would not
 * fit CB_KEY_MAX; a record repeating another's instance, run_id, source and rep.
 */
int cb_resultset_load(const char *path, struct cb_resultset *rs, char *err, size_t errlen);
void cb_resultset_free(struct cb_resultset *rs);
/* What cb_resultset_load does with the bytes of env.json and results.jsonl (file names the
 * source in errors); for tests and the fuzz targets. Free with cb_resultset_free either way. */
int cb_resultset_parse_env(struct cb_resultset *rs, const char *file, const char *text, size_t len, char *err,
			   size_t errlen);
int cb_resultset_parse_records(struct cb_resultset *rs, const char *file, const char *text, size_t len, char *err,
			       size_t errlen);

/* Checks one parsed record against schema 1; 0, or -1 with "field: reason" in why. */
int cb_record_check(json_object *rec, char *why, size_t whylen);

/* An instance is scenario × backing × size × options: its key is "scenario/backing/size_h", with
 * "/<options>" appended when the record has non-empty options. Returns the key's length; a
 * result >= CB_KEY_MAX means it did not fit (records read by cb_resultset_load always fit). */
size_t cb_record_key(json_object *rec, char key[CB_KEY_MAX]);
/* Distinct instance keys in file order; returns the count (*keys is malloc'ed, caller frees). */
size_t cb_resultset_keys(const struct cb_resultset *rs, char (**keys)[CB_KEY_MAX]);
/* The set's distinct instances: their count, and the key of the i-th in file order (a string
 * of the set's, valid until cb_resultset_free). */
size_t cb_resultset_ninstances(const struct cb_resultset *rs);
const char *cb_resultset_key_at(const struct cb_resultset *rs, size_t i);
/* Whether the set has the instance (a hash lookup: compare stays linear in the instances). */
bool cb_resultset_has(const struct cb_resultset *rs, const char *key);
/* The records of one instance (ok and not), in file order; returns the count (*out malloc'ed). */
size_t cb_resultset_records(const struct cb_resultset *rs, const char *key, json_object ***out);
/* Values of a numeric field ("ns_per_page", "latency_ns.p50", "cow.copy") over the instance's
 * ok records; returns the count (*out malloc'ed; NaN-free: records without it are left out). */
size_t cb_resultset_values(const struct cb_resultset *rs, const char *key, const char *path, double **out);

#endif
