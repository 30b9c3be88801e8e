#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cb.h"
#include "jsonstrict.h"
#include "record.h"
#include "resultset.h"

/* Records by instance key, built once per set: lookups are O(1), a compare is linear. */
struct cb_rs_inst {
	char *key;
	size_t *recs, nrecs, cap;
};

struct cb_rs_index {
	size_t nrecords;            /* rs->nrecords it was built for */
	struct cb_rs_inst *inst;    /* in order of first appearance */
	size_t ninst;
	size_t *slot, nslots;       /* open addressing: instance index + 1, 0 = empty */
};

static uint64_t cb_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;	/* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void cb_index_free(struct cb_rs_index *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->ninst; i++) {
		free(ix->inst[i].key);
		free(ix->inst[i].recs);
	}
	free(ix->inst);
	free(ix->slot);
	free(ix);
}

static const struct cb_rs_inst *cb_index_find(const struct cb_rs_index *ix, const char *key)
{
	for (size_t h = cb_hash(key) & (ix->nslots - 1);; h = (h + 1) & (ix->nslots - 1)) {
		size_t i = ix->slot[h];

		if (!i)
			return NULL;
		if (!strcmp(ix->inst[i - 1].key, key))
			return &ix->inst[i - 1];
	}
}

static struct cb_rs_index *cb_index_build(json_object **records, size_t n)
{
	struct cb_rs_index *ix = calloc(1, sizeof(*ix));
	size_t nslots = 16;

	while (nslots < 2 * n)
		nslots *= 2;
	if (!ix || !(ix->slot = calloc(nslots, sizeof(*ix->slot))) || !(ix->inst = calloc(n ? n : 1, sizeof(*ix->inst))))
		goto fail;
	ix->nslots = nslots;
	ix->nrecords = n;
	for (size_t r = 0; r < n; r++) {
		char key[CB_KEY_MAX];
		struct cb_rs_inst *in = NULL;
		size_t h;

		cb_record_key(records[r], key);
		for (h = cb_hash(key) & (nslots - 1); ix->slot[h]; h = (h + 1) & (nslots - 1))
			if (!strcmp(ix->inst[ix->slot[h] - 1].key, key)) {
				in = &ix->inst[ix->slot[h] - 1];
				break;
			}
		if (!in) {
			in = &ix->inst[ix->ninst];
			if (!(in->key = strdup(key)))
				goto fail;
			ix->slot[h] = ++ix->ninst;
		}
		if (in->nrecs == in->cap) {
			size_t cap = in->cap ? 2 * in->cap : 4, *more = realloc(in->recs, cap * sizeof(*more));

			if (!more)
				goto fail;
			in->recs = more;
			in->cap = cap;
		}
		in->recs[in->nrecs++] = r;
	}
	return ix;
fail:
	cb_index_free(ix);
	return NULL;
}

/* Loaded sets are indexed by cb_resultset_load; hand-built ones (tests) on first use. The
 * index is a cache of the records: building it does not change the set's contents. */
static const struct cb_rs_index *cb_index_get(const struct cb_resultset *rs)
{
	struct cb_resultset *w = (struct cb_resultset *)rs;

	if (w->index && w->index->nrecords == w->nrecords)
		return w->index;
	cb_index_free(w->index);
	w->index = cb_index_build(w->records, w->nrecords);
	return w->index;
}

/*
 * Opens a file of a result set for reading: a regular file (not a FIFO, device or symbolic link:
 * O_NONBLOCK and O_NOFOLLOW, so opening never blocks and never follows a link to /dev/zero),
 * at most max bytes. Returns the descriptor, or -1 with the reason in err.
 */
static int cb_rs_open(const char *file, unsigned long long max, off_t *size, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(file, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", file,
			 errno == ELOOP ? "a symbolic link (a result set's files must be regular files)" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st)) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		goto close_fd;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", file);
		goto close_fd;
	}
	if ((unsigned long long)st.st_size > max) {
		snprintf(err, errlen, "%s: %lld bytes, more than the %llu MiB a result set's file may have", file,
			 (long long)st.st_size, max >> 20);
		goto close_fd;
	}
	*size = st.st_size;
	return fd;
close_fd:
	close(fd);
	return -1;
}

/* Reads a whole regular file (NUL-terminated); the size is that of the fstat, at most. */
static char *cb_rs_slurp(const char *file, unsigned long long max, size_t *len, char *err, size_t errlen)
{
	off_t size;
	int fd = cb_rs_open(file, max, &size, err, errlen);
	char *buf;
	size_t got = 0;

	if (fd < 0)
		return NULL;
	buf = malloc((size_t)size + 1);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", file);
		close(fd);
		return NULL;
	}
	while (got < (size_t)size) {
		ssize_t n = read(fd, buf + got, (size_t)size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", file, strerror(errno));
			free(buf);
			close(fd);
			return NULL;
		}
		if (!n)
			break;	/* shrank while read: what is there */
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*len = got;
	return buf;
}

static bool cb_rs_is_file(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int cb_rs_path(char *out, size_t len, const char *dir, const char *name, const char *file, char *err,
		      size_t errlen)
{
	int n = snprintf(out, len, "%s%s%s%s%s", dir, name ? "/" : "", name ? name : "", file ? "/" : "",
			 file ? file : "");

	if (n < 0 || (size_t)n >= len) {
		snprintf(err, errlen, "a path in the result directory is longer than %zu bytes", len - 1);
		return -1;
	}
	return 0;
}

/* A kernel-release directory: its greatest-named subdirectory that holds a run. */
static int cb_resultset_newest(const char *path, char *out, size_t len)
{
	char best[NAME_MAX + 1] = "", probe[PATH_MAX], e[128];
	struct dirent *de;
	DIR *d = opendir(path);

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (cb_rs_path(probe, sizeof(probe), path, de->d_name, "results.jsonl", e, sizeof(e)))
			continue;
		if (cb_rs_is_file(probe) && strcmp(de->d_name, best) > 0)
			snprintf(best, sizeof(best), "%s", de->d_name);
	}
	closedir(d);
	if (!best[0])
		return -ENOENT;
	return cb_rs_path(out, len, path, best, NULL, e, sizeof(e)) ? -ENAMETOOLONG : 0;
}

/* Records repeating an instance × run_id × source × rep (n would double): a second index. */
static int cb_rs_duplicates(struct cb_resultset *rs, const size_t *lines, const char *file, char *err,
			    size_t errlen)
{
	size_t n = rs->nrecords, nslots = 16, *slot, *who;
	char **ids;
	int ret = -1;

	while (nslots < 2 * n)
		nslots *= 2;
	slot = calloc(nslots, sizeof(*slot));
	ids = calloc(n ? n : 1, sizeof(*ids));
	who = calloc(n ? n : 1, sizeof(*who));
	if (!slot || !ids || !who) {
		snprintf(err, errlen, "%s: out of memory", file);
		goto free_all;
	}
	for (size_t r = 0, m = 0; r < n; r++) {
		json_object *rec = rs->records[r], *v;
		char key[CB_KEY_MAX];
		const char *run_id = "", *source = "cowbench", *status = "";
		long long rep = 0;
		size_t h;

		if (json_object_object_get_ex(rec, "status", &v))
			status = json_object_get_string(v);
		/* A disturbed repetition is retried under its rep: both are records. */
		if (!strcmp(status, "disturbed"))
			continue;
		if (json_object_object_get_ex(rec, "run_id", &v) && json_object_is_type(v, json_type_string))
			run_id = json_object_get_string(v);
		if (json_object_object_get_ex(rec, "source", &v))
			source = json_object_get_string(v);
		if (json_object_object_get_ex(rec, "rep", &v))
			rep = (long long)json_object_get_int64(v);
		cb_record_key(rec, key);
		if (asprintf(&ids[m], "%s\x1f%s\x1f%s\x1f%lld", key, run_id, source, rep) < 0) {
			ids[m] = NULL;
			snprintf(err, errlen, "%s: out of memory", file);
			goto free_all;
		}
		for (h = cb_hash(ids[m]) & (nslots - 1); slot[h]; h = (h + 1) & (nslots - 1))
			if (!strcmp(ids[slot[h] - 1], ids[m])) {
				snprintf(err, errlen, "%s:%zu: duplicate record: same instance, run_id, source and rep as line %zu",
					 file, lines[r], lines[who[slot[h] - 1]]);
				goto free_all;
			}
		who[m] = r;
		slot[h] = ++m;
	}
	ret = 0;
free_all:
	for (size_t i = 0; ids && i < n; i++)
		free(ids[i]);
	free(ids);
	free(who);
	free(slot);
	return ret;
}

int cb_resultset_parse_records(struct cb_resultset *rs, const char *file, const char *text, size_t len, char *err,
			       size_t errlen)
{
	size_t cap = 0, *lines = NULL, lineno = 0;
	const char *p, *end = text + len;
	int ret = -1;

	for (p = text; p < end; ) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		char why[320];
		size_t n, off;
		json_object *rec;

		lineno++;
		if (!nl) {
			snprintf(err, errlen, "%s:%zu: truncated record (no end of line)", file, lineno);
			goto free_text;
		}
		n = (size_t)(nl - p);
		if (n > CB_LINE_MAX_BYTES) {
			snprintf(err, errlen, "%s:%zu: line longer than %u MiB", file, lineno, CB_LINE_MAX_BYTES >> 20);
			goto free_text;
		}
		if (memchr(p, '\0', n)) {
			snprintf(err, errlen, "%s:%zu: NUL byte in a record", file, lineno);
			goto free_text;
		}
		if (strspn(p, " \t\r") >= n) {
			p = nl + 1;
			continue;
		}
		rec = cb_json_strict_parse(p, n, &off, why, sizeof(why));
		if (!rec) {
			snprintf(err, errlen, "%s:%zu: corrupt record: %s (at byte %zu)", file, lineno, why, off + 1);
			goto free_text;
		}
		if (cb_record_check(rec, why, sizeof(why))) {
			snprintf(err, errlen, "%s:%zu: %s", file, lineno, why);
			json_object_put(rec);
			goto free_text;
		}
		if (rs->nrecords == cap) {
			size_t ncap = cap ? 2 * cap : 64, *nlines = realloc(lines, ncap * sizeof(*nlines));
			json_object **more = nlines ? realloc(rs->records, ncap * sizeof(*more)) : NULL;

			if (nlines)
				lines = nlines;
			if (!more) {
				snprintf(err, errlen, "%s: out of memory", file);
				json_object_put(rec);
				goto free_text;
			}
			rs->records = more;
			cap = ncap;
		}
		lines[rs->nrecords] = lineno;
		rs->records[rs->nrecords++] = rec;
		p = nl + 1;
	}
	if (!rs->nrecords) {
		snprintf(err, errlen, "%s: no records", file);
		goto free_text;
	}
	if (cb_rs_duplicates(rs, lines, file, err, errlen))
		goto free_text;
	rs->index = cb_index_build(rs->records, rs->nrecords);
	if (!rs->index) {
		snprintf(err, errlen, "%s: out of memory", file);
		goto free_text;
	}
	ret = 0;
free_text:
	free(lines);
	return ret;
}

static int cb_resultset_read_records(struct cb_resultset *rs, const char *file, char *err, size_t errlen)
{
	size_t len;
	char *text = cb_rs_slurp(file, CB_RESULTS_MAX_BYTES, &len, err, errlen);
	int ret;

	if (!text)
		return -1;
	ret = cb_resultset_parse_records(rs, file, text, len, err, errlen);
	free(text);
	return ret;
}

/* Line of byte off in text (1-based). */
static size_t cb_rs_line_of(const char *text, size_t off)
{
	size_t line = 1;

	for (size_t i = 0; i < off; i++)
		line += text[i] == '\n';
	return line;
}

static int cb_resultset_read_env(struct cb_resultset *rs, const char *file, char *err, size_t errlen)
{
	size_t len;
	char *text = cb_rs_slurp(file, CB_ENV_MAX_BYTES, &len, err, errlen);
	int ret;

	if (!text)
		return -1;
	ret = cb_resultset_parse_env(rs, file, text, len, err, errlen);
	free(text);
	return ret;
}

int cb_resultset_parse_env(struct cb_resultset *rs, const char *file, const char *text, size_t len, char *err,
			   size_t errlen)
{
	size_t off;
	char why[320];
	json_object *kernel, *release, *schema;

	rs->env = cb_json_strict_parse(text, len, &off, why, sizeof(why));
	if (!rs->env) {
		snprintf(err, errlen, "%s:%zu: corrupt: %s", file, cb_rs_line_of(text, off), why);
		return -1;
	}
	if (!json_object_is_type(rs->env, json_type_object)) {
		snprintf(err, errlen, "%s:1: not a JSON object", file);
		return -1;
	}
	if (json_object_object_get_ex(rs->env, "schema", &schema) &&
	    (!json_object_is_type(schema, json_type_int) || json_object_get_int64(schema) != CB_SCHEMA_VERSION)) {
		snprintf(err, errlen, "%s:1: unknown schema version %s (this cowbench reads %d)", file,
			 json_object_to_json_string(schema), CB_SCHEMA_VERSION);
		return -1;
	}
	if (!json_object_object_get_ex(rs->env, "kernel", &kernel) || !kernel ||
	    !json_object_object_get_ex(kernel, "release", &release) || !release) {
		snprintf(rs->label, sizeof(rs->label), "unknown kernel");
		return 0;
	}
	if (!json_object_is_type(kernel, json_type_object) || !json_object_is_type(release, json_type_string) ||
	    !json_object_get_string_len(release) ||
	    (size_t)json_object_get_string_len(release) >= sizeof(rs->label)) {
		snprintf(err, errlen, "%s:1: field 'kernel.release' must be a string of 1 to %zu bytes", file,
			 sizeof(rs->label) - 1);
		return -1;
	}
	snprintf(rs->label, sizeof(rs->label), "%s", json_object_get_string(release));
	return 0;
}

int cb_resultset_load(const char *path, struct cb_resultset *rs, char *err, size_t errlen)
{
	char file[PATH_MAX];
	struct stat st;

	memset(rs, 0, sizeof(*rs));
	if (stat(path, &st) || !S_ISDIR(st.st_mode)) {
		int e = errno;

		snprintf(err, errlen, "%s: not a result directory (%s)", path,
			 stat(path, &st) ? strerror(e) : "not a directory");
		return -1;
	}
	if (cb_rs_path(file, sizeof(file), path, "results.jsonl", NULL, err, errlen))
		return -1;
	if (cb_rs_is_file(file)) {
		if (cb_rs_path(rs->dir, sizeof(rs->dir), path, NULL, NULL, err, errlen))
			return -1;
	} else if (cb_resultset_newest(path, rs->dir, sizeof(rs->dir))) {
		/* A results.jsonl that is there but not a regular file is named as such below. */
		if (lstat(file, &st))
			snprintf(err, errlen, "%s: no results.jsonl here or in a run directory below", path);
		else
			snprintf(err, errlen, "%s: not a regular file", file);
		return -1;
	}
	if (cb_rs_path(file, sizeof(file), rs->dir, "env.json", NULL, err, errlen) ||
	    cb_resultset_read_env(rs, file, err, errlen) ||
	    cb_rs_path(file, sizeof(file), rs->dir, "results.jsonl", NULL, err, errlen) ||
	    cb_resultset_read_records(rs, file, err, errlen)) {
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
	cb_index_free(rs->index);
	rs->index = NULL;
	rs->records = NULL;
	rs->env = NULL;
	rs->nrecords = 0;
}

static const char *cb_str(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) && v ? json_object_get_string(v) : "?";
}

size_t cb_record_key(json_object *rec, char key[CB_KEY_MAX])
{
	json_object *opts;
	const char *o = json_object_object_get_ex(rec, "options", &opts) && opts ? json_object_get_string(opts) : "";
	int n;

	/* Options (numa, siblings, events) are part of the instance: "scenario/backing/size[/options]".
	 * Whole strings: a key that does not fit is refused when the record is read. */
	n = snprintf(key, CB_KEY_MAX, "%s/%s/%s%s%s", cb_str(rec, "scenario"), cb_str(rec, "backing"),
		     cb_str(rec, "size_h"), *o ? "/" : "", o);
	return n < 0 ? CB_KEY_MAX : (size_t)n;
}

size_t cb_resultset_keys(const struct cb_resultset *rs, char (**keys)[CB_KEY_MAX])
{
	const struct cb_rs_index *ix = cb_index_get(rs);

	*keys = calloc(ix && ix->ninst ? ix->ninst : 1, CB_KEY_MAX);
	if (!*keys || !ix)
		return 0;
	for (size_t i = 0; i < ix->ninst; i++)
		snprintf((*keys)[i], CB_KEY_MAX, "%s", ix->inst[i].key);
	return ix->ninst;
}

size_t cb_resultset_ninstances(const struct cb_resultset *rs)
{
	const struct cb_rs_index *ix = cb_index_get(rs);

	return ix ? ix->ninst : 0;
}

const char *cb_resultset_key_at(const struct cb_resultset *rs, size_t i)
{
	const struct cb_rs_index *ix = cb_index_get(rs);

	return ix && i < ix->ninst ? ix->inst[i].key : NULL;
}

bool cb_resultset_has(const struct cb_resultset *rs, const char *key)
{
	const struct cb_rs_index *ix = cb_index_get(rs);

	return ix && cb_index_find(ix, key);
}

size_t cb_resultset_records(const struct cb_resultset *rs, const char *key, json_object ***out)
{
	const struct cb_rs_index *ix = cb_index_get(rs);
	const struct cb_rs_inst *in = ix ? cb_index_find(ix, key) : NULL;
	size_t n = in ? in->nrecs : 0;

	*out = calloc(n ? n : 1, sizeof(**out));
	if (!*out)
		return 0;
	for (size_t i = 0; i < n; i++)
		(*out)[i] = rs->records[in->recs[i]];
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
