/*
 * inject: copies a result set and multiplies known effects into it, so that what `cowbench
 * compare` finds can be measured against what is there (tests/power/power.sh).
 *
 *   inject [--seed N] [--scale KEY=F]... [--faults KEY=F]... [--lose-reuse KEY:REP]... IN OUT
 *
 * --scale KEY=F       every timing figure of the instance times F: ns_per_page, ns_per_gib,
 *                     ns_per_page_timed, every number in latency_ns, extra_timed and
 *                     fault_latency_ns, and latency_hist (each bucket's midpoint times F, put
 *                     back into the histogram's own buckets)
 * --faults KEY=F      faults.total and faults.per_page times F (faults.pages_by_count follows)
 * --lose-reuse KEY:REP in repetition REP, every reused page is copied instead: cow.copy +=
 *                     cow.reuse, cow.reuse = 0 (the passes' pfn_kept become pfn_changed)
 * KEY: an instance key (scenario/backing/size[/options]) or a prefix of one ending at a '/', a
 * glob (fnmatch), "all", or "@N": N instances with a timing figure chosen with --seed.
 *
 * Writes OUT/results.jsonl (records no effect touched are copied byte for byte) and
 * OUT/env.json (a copy). Prints one line per instance an effect touched:
 * "scale KEY F", "faults KEY F", "lose-reuse KEY REP". Exit 0, or 2 with the reason on stderr
 * (bad input, or an effect that matches nothing it could change).
 */
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "hist.h"
#include "jsonstrict.h"

#define INJ_EFFECTS_MAX 64
#define INJ_KEY_MAX 512

enum inj_kind { INJ_SCALE, INJ_FAULTS, INJ_LOSE_REUSE };

struct inj_effect {
	enum inj_kind kind;
	const char *pattern;
	double factor;
	long long rep;
	bool *hit;        /* per instance: the effect applies to it */
	size_t touched;   /* records changed */
};

struct inj_line {
	char *text;       /* the line as read, without its newline */
	json_object *rec;
	size_t inst;      /* index into the instance list */
	bool changed;
};

struct inj_inst {
	char key[INJ_KEY_MAX];
	bool timing;      /* an ok record with a timing figure */
	bool faults;      /* a record with faults.total */
};

static const char *const inj_kind_name[] = { "scale", "faults", "lose-reuse" };

static void inj_usage(FILE *f)
{
	fprintf(f, "usage: inject [--seed N] [--scale KEY=F]... [--faults KEY=F]... [--lose-reuse KEY:REP]... IN OUT\n"
		   "KEY: an instance key or a prefix of one, a glob, \"all\", or @N (N instances with a\n"
		   "timing figure, chosen with --seed)\n");
}

static const char *inj_str(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) : NULL;
}

/* The instance key as lib/resultset.c makes it: scenario/backing/size_h[/options]. */
static void inj_key(json_object *rec, char key[INJ_KEY_MAX])
{
	const char *o = inj_str(rec, "options");

	snprintf(key, INJ_KEY_MAX, "%s/%s/%s%s%s", inj_str(rec, "scenario") ?: "?", inj_str(rec, "backing") ?: "?",
		 inj_str(rec, "size_h") ?: "?", o && *o ? "/" : "", o && *o ? o : "");
}

static bool inj_is_num(json_object *v)
{
	return json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double);
}

/* Multiplies a number in place, keeping its JSON type (an integer stays one, rounded). */
static void inj_mul(json_object *v, double f)
{
	/* Unsigned counters beyond INT64_MAX (an old record's empty-histogram min, UINT64_MAX) are
	 * scaled as unsigned, never wrapped negative. */
	if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) == INT64_MAX)
		json_object_set_uint64(v, (uint64_t)fmin((double)json_object_get_uint64(v) * f, 18446744073709549568.0));
	else if (json_object_is_type(v, json_type_int))
		json_object_set_int64(v, (int64_t)llround((double)json_object_get_int64(v) * f));
	else if (json_object_is_type(v, json_type_double))
		json_object_set_double(v, json_object_get_double(v) * f);
}

/* Every number inside v (objects and arrays) times f where apply; returns how many. */
static size_t inj_mul_tree(json_object *v, double f, bool apply)
{
	size_t n = 0;

	if (inj_is_num(v)) {
		if (apply)
			inj_mul(v, f);
		return 1;
	}
	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, k, m) {
			(void)k;
			n += inj_mul_tree(m, f, apply);
		}
	} else if (json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++)
			n += inj_mul_tree(json_object_array_get_idx(v, i), f, apply);
	}
	return n;
}

static int inj_bucket_cmp(const void *a, const void *b)
{
	const int64_t *x = a, *y = b;

	return (x[0] > y[0]) - (x[0] < y[0]);
}

/* latency_hist: [low, high, count] buckets of lib/hist.c; each midpoint times f lands in the
 * bucket of the scaled value, as the histogram would have recorded it. */
static json_object *inj_hist_scale(json_object *h, double f)
{
	size_t n = json_object_array_length(h), m = 0;
	int64_t (*b)[2] = calloc(n ? n : 1, sizeof(*b));
	json_object *out;

	if (!b)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(h, i);
		double lo, hi, v;
		int idx;
		size_t j;

		if (!json_object_is_type(e, json_type_array) || json_object_array_length(e) != 3) {
			free(b);
			return NULL;
		}
		lo = json_object_get_double(json_object_array_get_idx(e, 0));
		hi = json_object_get_double(json_object_array_get_idx(e, 1));
		v = (lo + hi) / 2 * f;
		idx = cb_hist_bucket_of(v > 0 ? (uint64_t)llround(v) : 0);
		for (j = 0; j < m && b[j][0] != idx; j++)
			;
		if (j == m)
			b[m++][0] = idx;
		b[j][1] += json_object_get_int64(json_object_array_get_idx(e, 2));
	}
	qsort(b, m, sizeof(*b), inj_bucket_cmp);
	out = json_object_new_array();
	for (size_t j = 0; j < m; j++) {
		json_object *e = json_object_new_array();

		json_object_array_add(e, json_object_new_int64((int64_t)cb_hist_bucket_low((int)b[j][0])));
		json_object_array_add(e, json_object_new_int64((int64_t)cb_hist_bucket_high((int)b[j][0])));
		json_object_array_add(e, json_object_new_int64(b[j][1]));
		json_object_array_add(out, e);
	}
	free(b);
	return out;
}

static const char *const inj_timed_scalars[] = { "ns_per_page", "ns_per_gib", "ns_per_page_timed" };
static const char *const inj_timed_trees[] = { "latency_ns", "extra_timed", "fault_latency_ns" };

/* The numbers of a record --scale changes; with f, changes them. */
static size_t inj_timing(json_object *rec, double f, bool apply)
{
	json_object *v;
	size_t n = 0;

	for (size_t i = 0; i < sizeof(inj_timed_scalars) / sizeof(*inj_timed_scalars); i++)
		if (json_object_object_get_ex(rec, inj_timed_scalars[i], &v) && inj_is_num(v)) {
			if (apply)
				inj_mul(v, f);
			n++;
		}
	for (size_t i = 0; i < sizeof(inj_timed_trees) / sizeof(*inj_timed_trees); i++)
		if (json_object_object_get_ex(rec, inj_timed_trees[i], &v) && v)
			n += inj_mul_tree(v, f, apply);
	if (apply && json_object_object_get_ex(rec, "latency_hist", &v) && json_object_is_type(v, json_type_array)) {
		json_object *h = inj_hist_scale(v, f);

		if (h)
			json_object_object_add(rec, "latency_hist", h);
	}
	return n;
}

static size_t inj_faults(json_object *rec, double f)
{
	json_object *fa, *v, *by;

	if (!json_object_object_get_ex(rec, "faults", &fa) || !json_object_is_type(fa, json_type_object) ||
	    !json_object_object_get_ex(fa, "total", &v) || !inj_is_num(v))
		return 0;
	inj_mul(v, f);
	if (json_object_object_get_ex(fa, "per_page", &v) && inj_is_num(v))
		inj_mul(v, f);
	/* Pages that took n faults now take n×f: "0", "1", "2", "3+" (which stays 3+). */
	if (json_object_object_get_ex(fa, "pages_by_count", &by) && json_object_is_type(by, json_type_object)) {
		static const char *const names[] = { "0", "1", "2", "3+" };
		int64_t moved[4] = { 0 };
		bool all = true;

		for (int i = 0; i < 4; i++) {
			long long to = i == 3 ? 3 : llround(i * f);

			if (!json_object_object_get_ex(by, names[i], &v) || !json_object_is_type(v, json_type_int)) {
				all = false;
				break;
			}
			moved[to > 3 ? 3 : to] += json_object_get_int64(v);
		}
		for (int i = 0; all && i < 4; i++)
			json_object_object_add(by, names[i], json_object_new_int64(moved[i]));
	}
	return 1;
}

/* kept -> changed inside an object: the two counters of one classification. */
static void inj_move(json_object *o, const char *from, const char *to)
{
	json_object *a, *b;

	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, from, &a) ||
	    !json_object_object_get_ex(o, to, &b) || !json_object_is_type(a, json_type_int) ||
	    !json_object_is_type(b, json_type_int))
		return;
	json_object_set_int64(b, json_object_get_int64(b) + json_object_get_int64(a));
	json_object_set_int64(a, 0);
}

static size_t inj_lose_reuse(json_object *rec, long long rep)
{
	json_object *v, *cow, *reuse;
	const char *st = inj_str(rec, "status");

	if (!st || strcmp(st, "ok") || !json_object_object_get_ex(rec, "rep", &v) ||
	    json_object_get_int64(v) != rep || !json_object_object_get_ex(rec, "cow", &cow) ||
	    !json_object_is_type(cow, json_type_object) || !json_object_object_get_ex(cow, "reuse", &reuse) ||
	    json_object_get_int64(reuse) <= 0)
		return 0;
	inj_move(cow, "reuse", "copy");
	if (json_object_object_get_ex(rec, "cow_verified", &v))
		inj_move(v, "reuse", "copy");
	if (json_object_object_get_ex(rec, "cow_timing_pass", &v))
		inj_move(v, "pfn_kept", "pfn_changed");
	if (json_object_object_get_ex(rec, "cow_untimed_pass", &v))
		inj_move(v, "pfn_kept", "pfn_changed");
	return 1;
}

static bool inj_matches(const char *pattern, const char *key)
{
	size_t n = strlen(pattern);

	if (!strcmp(pattern, "all"))
		return true;
	if (strpbrk(pattern, "*?["))
		return fnmatch(pattern, key, 0) == 0;
	return strncmp(key, pattern, n) == 0 && (key[n] == '\0' || key[n] == '/' || (n && pattern[n - 1] == '/'));
}

/* splitmix64: the same choice for the same seed on every machine. */
static uint64_t inj_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Marks the instances an effect applies to; -1 with the reason when it matches none it can change. */
static int inj_resolve(struct inj_effect *e, const struct inj_inst *inst, size_t ninst, uint64_t *seed)
{
	size_t hits = 0;

	if (e->pattern[0] == '@') {
		char *end;
		unsigned long want = strtoul(e->pattern + 1, &end, 10);
		size_t *pool = calloc(ninst ? ninst : 1, sizeof(*pool)), np = 0;

		if (!pool)
			return -1;
		if (*end || !want) {
			fprintf(stderr, "inject: %s: @N needs a count of at least 1\n", e->pattern);
			free(pool);
			return -1;
		}
		for (size_t i = 0; i < ninst; i++)
			if (e->kind == INJ_SCALE ? inst[i].timing : e->kind == INJ_FAULTS ? inst[i].faults : true)
				pool[np++] = i;
		if (want > np) {
			fprintf(stderr, "inject: %s: only %zu instances to choose from\n", e->pattern, np);
			free(pool);
			return -1;
		}
		for (size_t i = 0; i < want; i++) {
			size_t j = i + (size_t)(inj_rand(seed) % (np - i)), t = pool[i];

			pool[i] = pool[j];
			pool[j] = t;
			e->hit[pool[i]] = true;
		}
		free(pool);
		return 0;
	}
	for (size_t i = 0; i < ninst; i++)
		if (inj_matches(e->pattern, inst[i].key) &&
		    (e->kind == INJ_SCALE ? inst[i].timing : e->kind == INJ_FAULTS ? inst[i].faults : true)) {
			e->hit[i] = true;
			hits++;
		}
	if (!hits) {
		fprintf(stderr, "inject: --%s %s: no instance %s\n", inj_kind_name[e->kind], e->pattern,
			e->kind == INJ_SCALE ? "with a timing figure matches" :
			e->kind == INJ_FAULTS ? "with faults.total matches" : "matches");
		return -1;
	}
	return 0;
}

static char *inj_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	do {
		if (n + 65536 + 1 > cap) {
			char *more = realloc(buf, cap = 2 * cap + 65536 + 1);

			if (!more) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = more;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
	} while (got);
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int inj_write(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wbx");

	if (!f || fwrite(text, 1, len, f) != len) {
		int e = errno;

		if (f)
			fclose(f);
		return -(e ? e : EIO);
	}
	return fclose(f) ? -errno : 0;
}

static int inj_parse_factor(const char *arg, const char *opt, char sep, struct inj_effect *e)
{
	const char *at = strrchr(arg, sep);
	char *end;

	if (!at || at == arg) {
		fprintf(stderr, "inject: %s %s: want KEY%cVALUE\n", opt, arg, sep);
		return -1;
	}
	e->pattern = strndup(arg, (size_t)(at - arg));
	errno = 0;
	if (e->kind == INJ_LOSE_REUSE) {
		e->rep = strtoll(at + 1, &end, 10);
		if (errno || *end || e->rep < 1) {
			fprintf(stderr, "inject: %s %s: the repetition must be an integer >= 1\n", opt, arg);
			return -1;
		}
	} else {
		e->factor = strtod(at + 1, &end);
		if (errno || *end || !(e->factor > 0) || !isfinite(e->factor)) {
			fprintf(stderr, "inject: %s %s: the factor must be a finite number > 0\n", opt, arg);
			return -1;
		}
	}
	return e->pattern ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct inj_effect eff[INJ_EFFECTS_MAX];
	struct inj_line *lines = NULL;
	struct inj_inst *inst = NULL;
	size_t neff = 0, nlines = 0, ninst = 0, len, envlen;
	uint64_t seed = 1;
	const char *in, *out;
	char path[4096], *text = NULL, *env = NULL, *p, *buf = NULL;
	size_t buflen = 0;
	int ret = 2, i;

	memset(eff, 0, sizeof(eff));
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *o = argv[i];
		struct inj_effect *e = &eff[neff];

		if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			inj_usage(stdout);
			return 0;
		}
		if (i + 1 >= argc) {
			inj_usage(stderr);
			return 2;
		}
		if (!strcmp(o, "--seed")) {
			char *end;

			errno = 0;
			seed = strtoull(argv[++i], &end, 10);
			if (errno || *end) {
				fprintf(stderr, "inject: --seed %s: not an integer\n", argv[i]);
				return 2;
			}
			continue;
		}
		if (neff == INJ_EFFECTS_MAX) {
			fprintf(stderr, "inject: more than %d effects\n", INJ_EFFECTS_MAX);
			return 2;
		}
		if (!strcmp(o, "--scale"))
			e->kind = INJ_SCALE;
		else if (!strcmp(o, "--faults"))
			e->kind = INJ_FAULTS;
		else if (!strcmp(o, "--lose-reuse"))
			e->kind = INJ_LOSE_REUSE;
		else {
			inj_usage(stderr);
			return 2;
		}
		if (inj_parse_factor(argv[++i], o, e->kind == INJ_LOSE_REUSE ? ':' : '=', e))
			return 2;
		neff++;
	}
	if (argc - i != 2) {
		inj_usage(stderr);
		return 2;
	}
	in = argv[i];
	out = argv[i + 1];

	snprintf(path, sizeof(path), "%s/results.jsonl", in);
	if (!(text = inj_slurp(path, &len))) {
		fprintf(stderr, "inject: %s: %s\n", path, strerror(errno ? errno : EIO));
		goto free_all;
	}
	snprintf(path, sizeof(path), "%s/env.json", in);
	if (!(env = inj_slurp(path, &envlen))) {
		fprintf(stderr, "inject: %s: %s\n", path, strerror(errno ? errno : EIO));
		goto free_all;
	}
	for (p = text; p < text + len;) {
		char *nl = memchr(p, '\n', (size_t)(text + len - p)), why[256], key[INJ_KEY_MAX];
		size_t n = nl ? (size_t)(nl - p) : (size_t)(text + len - p), off, k;
		struct inj_line *more;
		json_object *rec;

		if (strspn(p, " \t\r") >= n) {
			p += n + 1;
			continue;
		}
		rec = cb_json_strict_parse(p, n, &off, why, sizeof(why));
		if (!rec || !json_object_is_type(rec, json_type_object)) {
			fprintf(stderr, "inject: %s/results.jsonl:%zu: %s\n", in, nlines + 1, rec ? "not an object" : why);
			json_object_put(rec);
			goto free_all;
		}
		if (!(more = realloc(lines, (nlines + 1) * sizeof(*lines))))
			goto free_all;
		lines = more;
		p[n] = '\0';
		lines[nlines] = (struct inj_line){ .text = p, .rec = rec };
		inj_key(rec, key);
		for (k = 0; k < ninst && strcmp(inst[k].key, key); k++)
			;
		if (k == ninst) {
			struct inj_inst *mi = realloc(inst, (ninst + 1) * sizeof(*inst));

			if (!mi)
				goto free_all;
			inst = mi;
			memset(&inst[ninst], 0, sizeof(*inst));
			snprintf(inst[ninst++].key, INJ_KEY_MAX, "%s", key);
		}
		lines[nlines++].inst = k;
		if (inj_str(rec, "status") && !strcmp(inj_str(rec, "status"), "ok") && inj_timing(rec, 1, false))
			inst[k].timing = true;
		{
			json_object *fa, *t;

			if (json_object_object_get_ex(rec, "faults", &fa) && fa &&
			    json_object_object_get_ex(fa, "total", &t) && inj_is_num(t))
				inst[k].faults = true;
		}
		p += n + 1;
	}
	if (!nlines) {
		fprintf(stderr, "inject: %s/results.jsonl: no records\n", in);
		goto free_all;
	}
	for (size_t e = 0; e < neff; e++) {
		if (!(eff[e].hit = calloc(ninst, sizeof(bool))))
			goto free_all;
		if (inj_resolve(&eff[e], inst, ninst, &seed))
			goto free_all;
	}
	for (size_t l = 0; l < nlines; l++)
		for (size_t e = 0; e < neff; e++) {
			size_t n = 0;

			if (!eff[e].hit[lines[l].inst])
				continue;
			if (eff[e].kind == INJ_SCALE)
				n = inj_timing(lines[l].rec, eff[e].factor, true);
			else if (eff[e].kind == INJ_FAULTS)
				n = inj_faults(lines[l].rec, eff[e].factor);
			else
				n = inj_lose_reuse(lines[l].rec, eff[e].rep);
			lines[l].changed |= n > 0;
			eff[e].touched += n > 0;
		}
	for (size_t e = 0; e < neff; e++) {
		if (!eff[e].touched) {
			fprintf(stderr, "inject: --%s %s: changed no record%s\n", inj_kind_name[eff[e].kind], eff[e].pattern,
				eff[e].kind == INJ_LOSE_REUSE ? " (no ok record of that repetition with cow.reuse > 0)" : "");
			goto free_all;
		}
		for (size_t k = 0; k < ninst; k++) {
			if (!eff[e].hit[k])
				continue;
			if (eff[e].kind == INJ_LOSE_REUSE)
				printf("lose-reuse %s %lld\n", inst[k].key, eff[e].rep);
			else
				printf("%s %s %g\n", inj_kind_name[eff[e].kind], inst[k].key, eff[e].factor);
		}
	}

	/* A result directory must not be written over: OUT is new or empty. */
	if (mkdir(out, 0755) && errno != EEXIST) {
		fprintf(stderr, "inject: %s: %s\n", out, strerror(errno));
		goto free_all;
	}
	for (size_t l = 0; l < nlines; l++) {
		const char *s = lines[l].changed ?
					json_object_to_json_string_ext(lines[l].rec,
								       JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) :
					lines[l].text;
		size_t n = strlen(s);
		char *more = realloc(buf, buflen + n + 1);

		if (!more)
			goto free_all;
		buf = more;
		memcpy(buf + buflen, s, n);
		buflen += n;
		buf[buflen++] = '\n';
	}
	snprintf(path, sizeof(path), "%s/results.jsonl", out);
	if ((i = inj_write(path, buf, buflen))) {
		fprintf(stderr, "inject: %s: %s\n", path, strerror(-i));
		goto free_all;
	}
	snprintf(path, sizeof(path), "%s/env.json", out);
	if ((i = inj_write(path, env, envlen))) {
		fprintf(stderr, "inject: %s: %s\n", path, strerror(-i));
		goto free_all;
	}
	ret = 0;
free_all:
	for (size_t l = 0; l < nlines; l++)
		json_object_put(lines[l].rec);
	for (size_t e = 0; e < neff; e++) {
		free(eff[e].hit);
		free((char *)eff[e].pattern);
	}
	free(lines);
	free(inst);
	free(buf);
	free(text);
	free(env);
	return ret;
}
