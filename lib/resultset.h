/* A result set read back: the records and env.json of one run directory, for comparisons,
 * plots and reports. */
#ifndef CB_RESULTSET_H
#define CB_RESULTSET_H

#include <stddef.h>

#include <json-c/json.h>

#define CB_KEY_MAX 128

struct cb_resultset {
	char dir[512];              /* the run directory read */
	char label[128];            /* kernel release from env.json (made unique by the caller) */
	json_object *env;           /* env.json */
	json_object **records;      /* every record of results.jsonl, in file order */
	size_t nrecords;
};

/*
 * Loads a run directory (holding results.jsonl and env.json) or a kernel-release directory
 * holding run directories (the newest run id, i.e. the greatest name, is taken). Returns 0, or
 * -1 with "file[:line]: reason" in err: missing or empty directory, a truncated or corrupt JSON
 * line, an unknown schema version, no env.json.
 */
int cb_resultset_load(const char *path, struct cb_resultset *rs, char *err, size_t errlen);
void cb_resultset_free(struct cb_resultset *rs);

/* An instance is scenario × backing × size × options: its key is "scenario/backing/size_h", with
 * "/<options>" appended when the record has non-empty options. */
void cb_record_key(json_object *rec, char key[CB_KEY_MAX]);
/* Distinct instance keys in file order; returns the count (*keys is malloc'ed, caller frees). */
size_t cb_resultset_keys(const struct cb_resultset *rs, char (**keys)[CB_KEY_MAX]);
/* The records of one instance (ok and not), in file order; returns the count (*out malloc'ed). */
size_t cb_resultset_records(const struct cb_resultset *rs, const char *key, json_object ***out);
/* Values of a numeric field ("ns_per_page", "latency_ns.p50", "cow.copy") over the instance's
 * ok records; returns the count (*out malloc'ed; NaN-free: records without it are left out). */
size_t cb_resultset_values(const struct cb_resultset *rs, const char *key, const char *path, double **out);

#endif
