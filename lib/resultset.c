#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cb.h"
#include "record.h"
#include "resultset.h"

static bool cb_is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* A kernel-release directory: its greatest-named subdirectory that holds a run. */
static int cb_resultset_newest(const char *path, char *out, size_t len)
{
	char best[256] = "", probe[1024];
	struct dirent *de;
	DIR *d = opendir(path);

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(probe, sizeof(probe), "%s/%s/results.jsonl", path, de->d_name);
		if (cb_is_file(probe) && strcmp(de->d_name, best) > 0)
			snprintf(best, sizeof(best), "%s", de->d_name);
	}
	closedir(d);
	if (!best[0])
		return -ENOENT;
	snprintf(out, len, "%s/%s", path, best);
	return 0;
}

static int cb_resultset_read_records(struct cb_resultset *rs, const char *file, char *err, size_t errlen)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0, ret = -1;
	FILE *f = fopen(file, "re");

	if (!f) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		enum json_tokener_error jerr;
		json_object *rec, *schema, **more;

		lineno++;
		if (n > 0 && line[n - 1] != '\n') {
			snprintf(err, errlen, "%s:%d: truncated record (no end of line)", file, lineno);
			goto close_file;
		}
		if (strspn(line, " \t\r\n") == (size_t)n)
			continue;
		rec = json_tokener_parse_verbose(line, &jerr);
		if (!rec || !json_object_is_type(rec, json_type_object)) {
			snprintf(err, errlen, "%s:%d: corrupt record (%s)", file, lineno,
				 rec ? "not a JSON object" : json_tokener_error_desc(jerr));
			json_object_put(rec);
			goto close_file;
		}
		if (!json_object_object_get_ex(rec, "schema", &schema) || json_object_get_int(schema) != CB_SCHEMA_VERSION) {
			snprintf(err, errlen, "%s:%d: unknown schema version %s (this cowbench reads %d)", file, lineno,
				 schema ? json_object_to_json_string(schema) : "(none)", CB_SCHEMA_VERSION);
			json_object_put(rec);
			goto close_file;
		}
		more = realloc(rs->records, sizeof(*more) * (rs->nrecords + 1));
		if (!more) {
			snprintf(err, errlen, "%s: out of memory", file);
			json_object_put(rec);
			goto close_file;
		}
		rs->records = more;
		rs->records[rs->nrecords++] = rec;
	}
	if (!rs->nrecords) {
		snprintf(err, errlen, "%s: no records", file);
		goto close_file;
	}
	ret = 0;
close_file:
	free(line);
	fclose(f);
	return ret;
}

int cb_resultset_load(const char *path, struct cb_resultset *rs, char *err, size_t errlen)
{
	char file[1100];
	json_object *kernel, *release;
	struct stat st;

	memset(rs, 0, sizeof(*rs));
	if (stat(path, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a result directory (%s)", path,
			 errno && stat(path, &st) ? strerror(errno) : "not a directory");
		return -1;
	}
	snprintf(file, sizeof(file), "%s/results.jsonl", path);
	if (cb_is_file(file)) {
		snprintf(rs->dir, sizeof(rs->dir), "%s", path);
	} else if (cb_resultset_newest(path, rs->dir, sizeof(rs->dir))) {
		snprintf(err, errlen, "%s: no results.jsonl here or in a run directory below", path);
		return -1;
	}
	snprintf(file, sizeof(file), "%s/env.json", rs->dir);
	rs->env = json_object_from_file(file);
	if (!rs->env) {
		snprintf(err, errlen, "%s: missing or corrupt (%s)", file, json_util_get_last_err());
		return -1;
	}
	if (json_object_object_get_ex(rs->env, "kernel", &kernel) &&
	    json_object_object_get_ex(kernel, "release", &release))
		snprintf(rs->label, sizeof(rs->label), "%s", json_object_get_string(release));
	else
		snprintf(rs->label, sizeof(rs->label), "unknown kernel");
	snprintf(file, sizeof(file), "%s/results.jsonl", rs->dir);
	if (cb_resultset_read_records(rs, file, err, errlen)) {
		cb_resultset_free(rs);
		return -1;
	}
	return 0;
}

void cb_resultset_free(struct cb_resultset *rs)
{
	for (size_t i = 0; i < rs->nrecords; i++)
		json_object_put(rs->records[i]);
	free(rs->records);
	json_object_put(rs->env);
	rs->records = NULL;
	rs->env = NULL;
	rs->nrecords = 0;
}

static const char *cb_str(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) && v ? json_object_get_string(v) : "?";
}

void cb_record_key(json_object *rec, char key[CB_KEY_MAX])
{
	json_object *opts;
	const char *o = json_object_object_get_ex(rec, "options", &opts) && opts ? json_object_get_string(opts) : "";

	/* Options (numa, siblings, events) are part of the instance: "scenario/backing/size[/options]". */
	snprintf(key, CB_KEY_MAX, "%.40s/%.30s/%.20s%s%.30s", cb_str(rec, "scenario"), cb_str(rec, "backing"),
		 cb_str(rec, "size_h"), *o ? "/" : "", o);
}

size_t cb_resultset_keys(const struct cb_resultset *rs, char (**keys)[CB_KEY_MAX])
{
	size_t n = 0;

	*keys = calloc(rs->nrecords ? rs->nrecords : 1, CB_KEY_MAX);
	if (!*keys)
		return 0;
	for (size_t i = 0; i < rs->nrecords; i++) {
		char key[CB_KEY_MAX];
		bool seen = false;

		cb_record_key(rs->records[i], key);
		for (size_t j = 0; j < n && !seen; j++)
			seen = strcmp((*keys)[j], key) == 0;
		if (!seen)
			memcpy((*keys)[n++], key, CB_KEY_MAX);
	}
	return n;
}

size_t cb_resultset_records(const struct cb_resultset *rs, const char *key, json_object ***out)
{
	size_t n = 0;

	*out = calloc(rs->nrecords ? rs->nrecords : 1, sizeof(**out));
	if (!*out)
		return 0;
	for (size_t i = 0; i < rs->nrecords; i++) {
		char k[CB_KEY_MAX];

		cb_record_key(rs->records[i], k);
		if (strcmp(k, key) == 0)
			(*out)[n++] = rs->records[i];
	}
	return n;
}

size_t cb_resultset_values(const struct cb_resultset *rs, const char *key, const char *path, double **out)
{
	json_object **recs;
	size_t n = cb_resultset_records(rs, key, &recs), m = 0;

	*out = calloc(n ? n : 1, sizeof(double));
	if (!*out) {
		free(recs);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		double v;

		if (strcmp(cb_str(recs[i], "status"), "ok") != 0)
			continue;
		v = cb_record_num(recs[i], path);
		if (!isnan(v))
			(*out)[m++] = v;
	}
	free(recs);
	return m;
}
