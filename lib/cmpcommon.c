/* What the comparison model and its renderers share: JSON access, number formatting (fixed, so
 * the outputs are byte-for-byte reproducible), the names of runs, and walks over the model. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb.h"
#include "cmpcommon.h"

/* ---- JSON access ---- */

json_object *cb_jget(json_object *o, const char *k)
{
	json_object *v = NULL;

	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, k, &v))
		return NULL;
	return v;
}

/* A dotted path ("kernel.release"). */
json_object *cb_jpath(json_object *o, const char *path)
{
	char key[128];

	while (o && *path) {
		size_t len = strcspn(path, ".");

		snprintf(key, sizeof(key), "%.*s", (int)len, path);
		o = cb_jget(o, key);
		path += len + (path[len] == '.');
	}
	return o;
}

const char *cb_jstr(json_object *o, const char *k)
{
	json_object *v = cb_jget(o, k);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

double cb_jnum(json_object *o, const char *k)
{
	json_object *v = cb_jget(o, k);

	if (!v || !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return NAN;
	return json_object_get_double(v);
}

json_object *cb_jidx(json_object *arr, size_t i)
{
	return arr && json_object_is_type(arr, json_type_array) && i < json_object_array_length(arr)
		       ? json_object_array_get_idx(arr, i)
		       : NULL;
}

size_t cb_jlen(json_object *arr)
{
	return arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
}

/* Six significant digits, no exponent in the usual range, trailing zeros trimmed. */
void cb_num_fmt(double v, char *buf, size_t len)
{
	double a = fabs(v);
	int dec;

	if (a == 0) {
		snprintf(buf, len, "0");
		return;
	}
	if (a < 1e-4 || a >= 1e15) {
		snprintf(buf, len, "%.6g", v);
		return;
	}
	dec = 5 - (int)floor(log10(a));
	snprintf(buf, len, "%.*f", dec < 0 ? 0 : dec, v);
	if (strchr(buf, '.')) {
		char *e = buf + strlen(buf) - 1;

		while (*e == '0')
			*e-- = '\0';
		if (*e == '.')
			*e = '\0';
	}
}

/* A JSON number printed as cb_num_fmt prints it; NULL (JSON null) for NaN and infinities. */
json_object *cb_num_json(double v)
{
	char buf[64];

	if (!isfinite(v))
		return NULL;
	cb_num_fmt(v, buf, sizeof(buf));
	return json_object_new_double_s(v, buf);
}

/* At most 7 columns, for the text table. */
const char *cb_num_short(double v, char *buf, size_t len)
{
	double a = fabs(v);

	if (isnan(v))
		snprintf(buf, len, "-");
	else if (a >= 1e9)
		snprintf(buf, len, "%.2fG", v / 1e9);
	else if (a >= 1e6)
		snprintf(buf, len, "%.2fM", v / 1e6);
	else if (a >= 1e5)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else if (a >= 100)
		snprintf(buf, len, "%.0f", v);
	else if (a >= 10)
		snprintf(buf, len, "%.1f", v);
	else
		snprintf(buf, len, "%.2f", v);
	return buf;
}

const char *cb_ratio_str(double v, char *buf, size_t len)
{
	double a = fabs(v);

	if (isnan(v))
		snprintf(buf, len, "-");
	else if (a >= 1e5)
		snprintf(buf, len, "%.3g", v);
	else
		snprintf(buf, len, "%.*f", a < 10 ? 3 : a < 100 ? 2 : a < 1000 ? 1 : 0, v);
	return buf;
}

const char *cb_p_str(double p, char *buf, size_t len)
{
	if (isnan(p))
		snprintf(buf, len, "-");
	else if (p < 1e-4)
		snprintf(buf, len, "<1e-4");
	else
		snprintf(buf, len, "%.4f", p);
	return buf;
}

/* "64kB" / "2048kB" → 64K / 2M; sizes in KiB for ordering. A key of an untrusted env.json
 * that is not a size ("-1G", huge, empty) is -1: sorted first, shown as "?". */
long cb_size_kb(const char *s)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || v > (LONG_MAX >> 20))
		return -1;
	switch (*end) {
	case 'G':
	case 'g':
		return v * (1l << 20);
	case 'M':
	case 'm':
		return v * (1l << 10);
	case 'k':
	case 'K':
		return v;
	default:
		return v / 1024; /* bytes */
	}
}

void cb_size_name(long kb, char *buf, size_t len)
{
	if (kb < 0)
		snprintf(buf, len, "?");
	else if (kb >= 1024 * 1024 && kb % (1024 * 1024) == 0)
		snprintf(buf, len, "%ldG", kb >> 20);
	else if (kb >= 1024 && kb % 1024 == 0)
		snprintf(buf, len, "%ldM", kb >> 10);
	else
		snprintf(buf, len, "%ldK", kb);
}

static int cmp_sized_order(const void *a, const void *b)
{
	long x = ((const struct cb_sized *)a)->kb, y = ((const struct cb_sized *)b)->kb;

	return (x > y) - (x < y);
}

/* Sorts an object's keys by size; returns the count (at most max). */
size_t cb_sizes_sorted(json_object *obj, struct cb_sized *out, size_t max)
{
	size_t n = 0;

	if (!obj || !json_object_is_type(obj, json_type_object))
		return 0;
	json_object_object_foreach (obj, k, v) {
		if (n == max)
			break;
		out[n].kb = cb_size_kb(k);
		out[n++].val = json_object_get_string(v);
	}
	qsort(out, n, sizeof(*out), cmp_sized_order);
	return n;
}

/* How the VM runner ran the set: "tcg", "kvm"; NULL for a native run (and for result sets
 * from before the VM runner). */
const char *cb_env_virt(json_object *env)
{
	const char *v = cb_jstr(env, "virtualized");

	return v && *v ? v : NULL;
}

/* TCG emulates the CPU: its times are not the hardware's. KVM runs on the hardware. */
bool cb_env_emulated(json_object *env)
{
	const char *v = cb_env_virt(env);

	return v && strcmp(v, "tcg") == 0;
}

bool cb_env_same_kind(json_object *a, json_object *b)
{
	const char *x = cb_env_virt(a), *y = cb_env_virt(b);

	return x && y ? strcmp(x, y) == 0 : x == y;
}

bool cb_jstr_eq(json_object *a, json_object *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(json_object_get_string(a), json_object_get_string(b)) == 0;
}

/* Labels: the kernel release, after the fleet host it ran on (env.json "fleet.host", added by
 * ./run.sh fleet), with the run id where two runs of one kind share a host and release, and how a
 * VM ran it: an emulated run's times must not pass for hardware ones wherever it is named. */
void cb_run_labels(struct cb_resultset *sets, int n)
{
	for (int i = 0; i < n; i++) {
		json_object *rel = cb_jpath(sets[i].env, "kernel.release"), *host = cb_jpath(sets[i].env, "fleet.host");
		const char *virt = cb_env_virt(sets[i].env), *id = cb_jstr(sets[i].env, "run_id");
		/* Local builds booted by scripts/vm.sh: the image's short hash tells two builds of one
		 * release apart, as their result directories (<release>@<build id>) do. */
		json_object *bido = cb_jpath(sets[i].env, "vm.build_id");
		const char *bid = bido && json_object_is_type(bido, json_type_string) ? json_object_get_string(bido) : NULL;
		char how[32] = "", where[48] = "";
		bool dup = false;

		for (int j = 0; j < n && !dup; j++)
			dup = j != i && cb_jstr_eq(rel, cb_jpath(sets[j].env, "kernel.release")) &&
			      cb_jstr_eq(host, cb_jpath(sets[j].env, "fleet.host")) &&
			      cb_env_same_kind(sets[i].env, sets[j].env);
		if (virt)
			snprintf(how, sizeof(how), " (%s)", strcmp(virt, "tcg") == 0   ? "TCG emulation" :
							    strcmp(virt, "kvm") == 0 ? "KVM guest" :
										       "virtual machine");
		{
			const char *r = rel ? json_object_get_string(rel) : "unknown kernel",
				   *d = dup ? id ?: basename(sets[i].dir) : "", *h = host ? json_object_get_string(host) : "";
			char full[512];

			/* Every part, and the whole, shortened at a character boundary, never inside a
			 * UTF-8 sequence. */
			if (host)
				snprintf(where, sizeof(where), "%.*s: ", (int)cb_utf8_fit(h, 40), h);
			if (dup && bid)
				snprintf(full, sizeof(full), "%s%.*s@%.*s%s", where, (int)cb_utf8_fit(r, 70), r,
					 (int)cb_utf8_fit(bid, 30), bid, how);
			else
				snprintf(full, sizeof(full), "%s%.*s%s%.*s%s%s", where, (int)cb_utf8_fit(r, 70), r,
					 dup ? " (" : "", (int)cb_utf8_fit(d, 30), d, dup ? ")" : "", how);
			snprintf(sets[i].label, sizeof(sets[i].label), "%.*s",
				 (int)cb_utf8_fit(full, sizeof(sets[i].label) - 1), full);
		}
	}
	/* The same run given twice. */
	for (int i = 1; i < n; i++)
		for (int j = 0; j < i; j++)
			if (strcmp(sets[i].label, sets[j].label) == 0) {
				size_t l = strnlen(sets[i].label, 100);

				snprintf(sets[i].label + l, sizeof(sets[i].label) - l, " #%d", i + 1);
				break;
			}
}

size_t cb_utf8_fit(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n <= max)
		return n;
	n = max;
	while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/* Length of a valid UTF-8 sequence at s (0: invalid), and its code point. */
static size_t cb_utf8_seq(const unsigned char *s, unsigned *cp)
{
	unsigned c = s[0], min;
	size_t need;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0)
		need = 2, *cp = c & 0x1f, min = 0x80;
	else if ((c & 0xf0) == 0xe0)
		need = 3, *cp = c & 0x0f, min = 0x800;
	else if ((c & 0xf8) == 0xf0)
		need = 4, *cp = c & 0x07, min = 0x10000;
	else
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return need;
}

char *cb_display_text(const char *s)
{
	size_t len = strlen(s), o = 0;
	char *out = malloc(3 * len + 1);

	if (!out)
		return NULL;
	while (*s) {
		unsigned cp;
		size_t n = cb_utf8_seq((const unsigned char *)s, &cp);

		/* C0 and C1 controls, DEL, and the bidirectional overrides that reorder a line. */
		if (!n || cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069)) {
			memcpy(out + o, "\xef\xbf\xbd", 3);	/* U+FFFD */
			o += 3;
			s += n ? n : 1;
			continue;
		}
		memcpy(out + o, s, n);
		o += n;
		s += n;
	}
	out[o] = '\0';
	return out;
}

json_object *cb_display_copy(json_object *v)
{
	json_object *c;

	switch (json_object_get_type(v)) {
	case json_type_string: {
		char *t = cb_display_text(json_object_get_string(v));

		c = json_object_new_string(t ? t : "");
		free(t);
		return c;
	}
	case json_type_object:
		c = json_object_new_object();
		json_object_object_foreach(v, k, m) {
			char *t = cb_display_text(k);

			json_object_object_add(c, t ? t : "", cb_display_copy(m));
			free(t);
		}
		return c;
	case json_type_array:
		c = json_object_new_array();
		for (size_t i = 0; i < json_object_array_length(v); i++)
			json_object_array_add(c, cb_display_copy(json_object_array_get_idx(v, i)));
		return c;
	default:
		return json_object_get(v);
	}
}

/* Names from the data become file names: keep them to a harmless alphabet. */
void cb_sanitize(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < len; i++)
		dst[i] = (src[i] >= 'a' && src[i] <= 'z') || (src[i] >= 'A' && src[i] <= 'Z') ||
				 (src[i] >= '0' && src[i] <= '9') || src[i] == '-' || src[i] == '.' ?
			 src[i] : '_';
	dst[i] = '\0';
}

void cb_file_stem(char *dst, size_t len, const char *prefix, const char *src)
{
	size_t n = strlen(src), keep = len > 32 ? len - 32 : 1, p = strlen(prefix);
	uint64_t h = 1469598103934665603ull;

	snprintf(dst, len, "%s", prefix);
	if (p >= len)
		return;
	if (p + n < keep) {
		cb_sanitize(dst + p, len - p, src);
		return;
	}
	/* Too long for a file name: a prefix of it and a hash of all of it. */
	for (const char *c = src; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ull;
	cb_sanitize(dst + p, keep - p, src);
	snprintf(dst + strlen(dst), len - strlen(dst), "-%016llx", (unsigned long long)h);
}

int cb_status_rank(const char *s)
{
	static const char *const order[] = { "ok", "skip", "fail", "error" };

	for (size_t i = 0; i < CB_ARRAY_SIZE(order); i++)
		if (s && strcmp(s, order[i]) == 0)
			return (int)i;
	return 4;
}

/* A timing of an emulated run and a hardware one: not compared. */
bool cb_vs_skipped(json_object *vs)
{
	json_object *c = cb_jget(vs, "compared");

	return c && !json_object_get_boolean(c);
}

/* What "timings" says, for the header; "" when every timing is a hardware one. */
const char *cb_cmp_timings_note(json_object *cmp)
{
	const char *t = cb_jstr(cmp, "timings") ?: "hardware";

	if (strcmp(t, "emulated") == 0)
		return "emulated timings (TCG)";
	if (strcmp(t, "not compared") == 0)
		return "emulated timings not compared with hardware ones";
	if (strcmp(t, "forced") == 0)
		return "emulated and hardware timings compared (--timings)";
	return "";
}

/* The runs with a timing not compared with the baseline's, as letters ("B, C"); 0 when none. */
size_t cb_cmp_skipped_runs(json_object *cmp, char *buf, size_t len)
{
	json_object *inst = cb_jget(cmp, "instances");
	bool skipped[CB_CMP_MAX_RUNS] = { false };
	size_t count = 0, off = 0;

	for (size_t i = 0; i < cb_jlen(inst); i++) {
		json_object *metrics = cb_jget(cb_jidx(inst, i), "metrics");

		for (size_t m = 0; m < cb_jlen(metrics); m++) {
			json_object *vs = cb_jget(cb_jidx(metrics, m), "vs_baseline");

			for (size_t r = 1; r < cb_jlen(vs) && r < CB_CMP_MAX_RUNS; r++)
				skipped[r] |= cb_vs_skipped(cb_jidx(vs, r));
		}
	}
	buf[0] = '\0';
	for (int r = 1; r < CB_CMP_MAX_RUNS; r++)
		if (skipped[r] && off < len) {
			off += (size_t)snprintf(buf + off, len - off, "%s%c", count ? ", " : "", 'A' + r);
			count++;
		}
	return count;
}

/* Calls fn for every significant result: instance, metric, run, comparison. */
size_t cb_cmp_each_significant(json_object *cmp,
			       void (*fn)(const struct cb_cmp_out *, json_object *, json_object *, int, json_object *),
			       const struct cb_cmp_out *o)
{
	json_object *inst = cb_jget(cmp, "instances");
	size_t count = 0;

	for (size_t i = 0; i < cb_jlen(inst); i++) {
		json_object *metrics = cb_jget(cb_jidx(inst, i), "metrics");

		for (size_t m = 0; m < cb_jlen(metrics); m++) {
			json_object *vs = cb_jget(cb_jidx(metrics, m), "vs_baseline");

			for (size_t r = 1; r < cb_jlen(vs); r++) {
				const char *v = cb_jstr(cb_jidx(vs, r), "verdict");

				if (v && (strcmp(v, "regression") == 0 || strcmp(v, "improvement") == 0 ||
					  strcmp(v, "changed") == 0)) {
					fn(o, cb_jidx(inst, i), cb_jidx(metrics, m), (int)r, cb_jidx(vs, r));
					count++;
				}
			}
		}
	}
	return count;
}

/* Instances that are not ok, or absent, on some run. */
size_t cb_cmp_each_not_ok(json_object *cmp,
			  void (*fn)(const struct cb_cmp_out *, json_object *, int, const char *, const char *),
			  const struct cb_cmp_out *o)
{
	json_object *inst = cb_jget(cmp, "instances");
	size_t count = 0;

	for (size_t i = 0; i < cb_jlen(inst); i++) {
		json_object *st = cb_jget(cb_jidx(inst, i), "status"), *rs = cb_jget(cb_jidx(inst, i), "reason");

		for (size_t r = 0; r < cb_jlen(st); r++) {
			json_object *s = cb_jidx(st, r), *why = cb_jidx(rs, r);

			if (!s || strcmp(json_object_get_string(s), "ok") != 0) {
				fn(o, cb_jidx(inst, i), (int)r, s ? json_object_get_string(s) : "missing",
				   why ? json_object_get_string(why) : NULL);
				count++;
			}
		}
	}
	return count;
}

/* Word-wraps text to CB_CMP_WIDTH columns: the first line after `first` spaces, the others after
 * `cont`. Widths count bytes, never fewer than the columns shown. */
void cb_text_wrap(FILE *f, int first, int cont, const char *text)
{
	int indent = first;
	size_t width, len;

	do {
		width = (size_t)(CB_CMP_WIDTH - indent);
		len = strlen(text);
		if (len > width) {
			size_t cut = width;

			while (cut > width / 2 && text[cut] != ' ')
				cut--;
			if (text[cut] != ' ')
				for (cut = width; cut > 0 && ((unsigned char)text[cut] & 0xc0) == 0x80; cut--)
					;
			len = cut ? cut : width; /* not UTF-8 at all: cut anywhere */
		}
		fprintf(f, "%*s%.*s\n", indent, "", (int)len, text);
		text += len;
		while (*text == ' ')
			text++;
		indent = cont;
	} while (*text);
}

/* Markdown's own characters are escaped; '<', '>' and '&' become entities, since GitHub-flavoured
 * markdown passes HTML through. */
void cb_md_text(FILE *f, const char *s)
{
	const char *start = s;

	for (; s && *s; s++) {
		/* An underscore inside a word never emphasises (GFM): cow_reuse stays readable. */
		if (*s == '_' && s > start && isalnum((unsigned char)s[-1]) && isalnum((unsigned char)s[1]))
			fputc('_', f);
		else if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else if (strchr("\\`*_[]|#!~", *s))
			fprintf(f, "\\%c", *s);
		else
			fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
	}
}

void cb_cmp_changes(const struct cb_cmp_out *o, json_object *cmp, bool markdown)
{
	json_object *inst = cb_jget(cmp, "instances");
	size_t count = 0;

	for (size_t i = 0; i < cb_jlen(inst); i++) {
		json_object *ch = cb_jget(cb_jidx(inst, i), "behaviour_changes");

		for (size_t c = 0; c < cb_jlen(ch); c++, count++)
			if (markdown) {
				fputs("- ", o->f);
				cb_md_text(o->f, json_object_get_string(cb_jidx(ch, c)));
				fputc('\n', o->f);
			} else
				cb_text_wrap(o->f, 2, 6, json_object_get_string(cb_jidx(ch, c)));
	}
	if (!count)
		fprintf(o->f, "%s(none)\n", markdown ? "" : "  ");
}


char cb_verdict_mark(const char *verdict)
{
	static const struct {
		const char *verdict;
		char mark;
	} marks[] = { { "regression", '+' },	 { "improvement", '-' },     { "changed", '*' },
		      { "not significant", '~' }, { "too few samples", '?' }, { "not testable", '=' } };

	for (size_t i = 0; verdict && i < CB_ARRAY_SIZE(marks); i++)
		if (strcmp(verdict, marks[i].verdict) == 0)
			return marks[i].mark;
	return ' ';
}

const char *cb_test_name(json_object *vs)
{
	static const struct {
		const char *test, *name;
	} names[] = { { "welch", "Welch" },
		      { "t-log", "t on logs" },
		      { "paired-t-log", "paired t on logs" },
		      { "mann-whitney", "Mann-Whitney" } };
	const char *t = cb_jstr(vs, "test");

	for (size_t i = 0; t && i < CB_ARRAY_SIZE(names); i++)
		if (strcmp(t, names[i].test) == 0)
			return names[i].name;
	return t ? t : "-";
}

/* W Welch (raw scale), T t on logs, P paired, U Mann-Whitney; lower case: judged relative to the
 * common shift. */
char cb_test_code(json_object *vs)
{
	const char *t = cb_jstr(vs, "test"), *k = cb_jstr(vs, "verdict_kind");
	char c;

	if (!t)
		return ' ';
	c = strcmp(t, "welch") == 0 ? 'W' : strcmp(t, "t-log") == 0 ? 'T' : strcmp(t, "paired-t-log") == 0 ? 'P' : 'U';
	return k && strcmp(k, "relative") == 0 ? (char)(c - 'A' + 'a') : c;
}

size_t cb_cmp_shift_line(json_object *cmp, size_t side, char *buf, size_t len)
{
	json_object *sh = cb_jidx(cb_jget(cmp, "shift"), side), *fam = cb_jget(sh, "families");
	const char *verdict = cb_jstr(sh, "verdict") ?: "?", *err = cb_jstr(sh, "error") ?: "none";
	char r[16], lo[16], hi[16];
	size_t off;

	if (!sh)
		return 0;
	off = (size_t)snprintf(buf, len,
			       "%c vs A: all timings ×%s (median of %d timing tests; instances spread ±%.0f%% around it,"
			       " which is not the shift's uncertainty)",
			       'A' + (int)side, cb_ratio_str(cb_jnum(sh, "ratio"), r, sizeof(r)),
			       (int)cb_jnum(sh, "n"), 100 * (exp(cb_jnum(sh, "spread")) - 1));
	if (off < len && !strcmp(verdict, "cannot judge"))
		off += (size_t)snprintf(buf + off, len - off,
					"; one run per side and no drift file: a common shift cannot be told from"
					" run-to-run drift");
	else if (off < len && strcmp(err, "none"))
		off += (size_t)snprintf(buf + off, len - off, "; the shift against 1 (error from the %s): %s [%s, %s]",
					strcmp(err, "drift") == 0 ? "drift file" : err, verdict,
					cb_ratio_str(cb_jnum(sh, "ci_lo"), lo, sizeof(lo)),
					cb_ratio_str(cb_jnum(sh, "ci_hi"), hi, sizeof(hi)));
	else if (off < len)
		off += (size_t)snprintf(buf + off, len - off, "; within --min-effect");
	if (off < len && cb_jlen(fam) > 1) {
		off += (size_t)snprintf(buf + off, len - off, "; by family:");
		for (size_t i = 0; i < cb_jlen(fam) && off < len; i++) {
			json_object *f = cb_jidx(fam, i);

			off += (size_t)snprintf(buf + off, len - off, "%s %s ×%s (%d)", i ? "," : "",
						cb_jstr(f, "family") ?: "?", cb_ratio_str(cb_jnum(f, "ratio"), r, sizeof(r)),
						(int)cb_jnum(f, "n"));
		}
	}
	return off;
}

size_t cb_cmp_relative_text(json_object *vs, char *buf, size_t len)
{
	json_object *rel = cb_jget(vs, "relative");
	char r[16], lo[16], hi[16];
	double ratio = cb_jnum(rel, "ratio");

	buf[0] = '\0';
	if (!rel || strcmp(cb_jstr(vs, "verdict_kind") ?: "", "relative") || !(ratio > 0))
		return 0;
	return (size_t)snprintf(buf, len, "%s than the common shift by ×%s [%s, %s]", ratio >= 1 ? "slower" : "faster",
				cb_ratio_str(ratio >= 1 ? ratio : 1 / ratio, r, sizeof(r)),
				cb_ratio_str(cb_jnum(rel, "ci_lo"), lo, sizeof(lo)),
				cb_ratio_str(cb_jnum(rel, "ci_hi"), hi, sizeof(hi)));
}

size_t cb_noise_summary(json_object *cmp, size_t side, char *buf, size_t len)
{
	json_object *members = cb_jget(cb_jidx(cb_jget(cmp, "runs"), side), "members");
	size_t off = 0, count = 0;

	buf[0] = '\0';
	for (size_t m = 0; m < cb_jlen(members); m++) {
		json_object *w = cb_jget(cb_jget(cb_jidx(members, m), "noise"), "warnings");

		for (size_t i = 0; i < cb_jlen(w); i++) {
			const char *check = cb_jstr(cb_jidx(w, i), "check") ?: "?";

			/* Each check once per side, however many runs warned. */
			if (strstr(buf, check) || off >= len)
				continue;
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "", check);
			count++;
		}
	}
	return count;
}

void cb_noise_lines(const struct cb_cmp_out *o, json_object *cmp, bool markdown)
{
	size_t n = cb_jlen(cb_jget(cmp, "runs"));
	bool checked = false;

	for (size_t r = 0; r < n; r++) {
		json_object *members = cb_jget(cb_jidx(cb_jget(cmp, "runs"), r), "members");

		for (size_t m = 0; m < cb_jlen(members); m++)
			checked |= cb_jget(cb_jidx(members, m), "noise") != NULL;
	}
	if (!checked)
		return;
	for (size_t r = 0; r < n; r++) {
		char list[512], line[700];

		if (!cb_noise_summary(cmp, r, list, sizeof(list)))
			snprintf(list, sizeof(list), "none");
		snprintf(line, sizeof(line), "Noise sources when %c ran (cowbench env --check): %s.", (char)('A' + r),
			 list);
		if (markdown)
			fprintf(o->f, "\n%s\n", line);
		else
			cb_text_wrap(o->f, 0, 2, line);
	}
}
