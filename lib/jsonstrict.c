#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonstrict.h"

/* A recursive-descent check of the grammar; json-c then builds the tree from the same text. */
struct cb_js {
	const char *s;
	size_t len, pos;
	int depth;
	size_t *counts;             /* members per object, objects in document (pre-)order */
	size_t ncounts, cap;
	char *why;
	size_t whylen;
};

static bool cb_js_fail(struct cb_js *j, const char *what)
{
	snprintf(j->why, j->whylen, "%s", what);
	return false;
}

static void cb_js_ws(struct cb_js *j)
{
	while (j->pos < j->len && strchr(" \t\r\n", j->s[j->pos]) && j->s[j->pos])
		j->pos++;
}

static bool cb_js_lit(struct cb_js *j, const char *word)
{
	size_t n = strlen(word);

	if (j->len - j->pos < n || memcmp(j->s + j->pos, word, n))
		return cb_js_fail(j, "not JSON (a value expected: no NaN, Infinity, comments or bare words)");
	j->pos += n;
	return true;
}

static int cb_js_hex4(const char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* One UTF-8 sequence at s[0..n): its length, or 0 if invalid (overlong, surrogate, > U+10FFFF). */
static size_t cb_js_utf8(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t need;
	unsigned cp, min;

	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0)
		need = 2, cp = c & 0x1f, min = 0x80;
	else if ((c & 0xf0) == 0xe0)
		need = 3, cp = c & 0x0f, min = 0x800;
	else if ((c & 0xf8) == 0xf0)
		need = 4, cp = c & 0x07, min = 0x10000;
	else
		return 0;
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

static bool cb_js_string(struct cb_js *j)
{
	j->pos++;	/* the opening quote */
	while (j->pos < j->len) {
		unsigned char c = (unsigned char)j->s[j->pos];
		size_t n;

		if (c == '"') {
			j->pos++;
			return true;
		}
		if (c < 0x20)
			return cb_js_fail(j, "control character in a string");
		if (c != '\\') {
			n = cb_js_utf8((const unsigned char *)j->s + j->pos, j->len - j->pos);
			if (!n)
				return cb_js_fail(j, "invalid UTF-8 in a string");
			j->pos += n;
			continue;
		}
		if (j->pos + 1 >= j->len)
			break;
		c = (unsigned char)j->s[j->pos + 1];
		if (strchr("\"\\/bfnrt", c) && c) {
			j->pos += 2;
			continue;
		}
		if (c != 'u')
			return cb_js_fail(j, "bad escape in a string");
		{
			int u = j->len - j->pos >= 6 ? cb_js_hex4(j->s + j->pos + 2) : -1, lo;

			if (u < 0)
				return cb_js_fail(j, "bad \\u escape in a string");
			if (u == 0)
				return cb_js_fail(j, "\\u0000 in a string");
			if (u >= 0xdc00 && u <= 0xdfff)
				return cb_js_fail(j, "lone UTF-16 surrogate in a string");
			j->pos += 6;
			if (u >= 0xd800 && u <= 0xdbff) {
				lo = j->len - j->pos >= 6 && j->s[j->pos] == '\\' && j->s[j->pos + 1] == 'u'
					     ? cb_js_hex4(j->s + j->pos + 2) : -1;
				if (lo < 0xdc00 || lo > 0xdfff)
					return cb_js_fail(j, "lone UTF-16 surrogate in a string");
				j->pos += 6;
			}
		}
	}
	return cb_js_fail(j, "unterminated string");
}

/* Magnitude digits d[0..n) (no leading zeros) at most max (a decimal string)? */
static bool cb_js_le(const char *d, size_t n, const char *max)
{
	size_t m = strlen(max);

	return n < m || (n == m && memcmp(d, max, n) <= 0);
}

static bool cb_js_number(struct cb_js *j)
{
	size_t start = j->pos, digits;
	bool neg = false, real = false;
	const char *s = j->s;

	if (s[j->pos] == '-') {
		neg = true;
		j->pos++;
	}
	digits = j->pos;
	if (j->pos < j->len && s[j->pos] == '0') {
		j->pos++;
	} else if (j->pos < j->len && s[j->pos] >= '1' && s[j->pos] <= '9') {
		while (j->pos < j->len && s[j->pos] >= '0' && s[j->pos] <= '9')
			j->pos++;
	} else {
		return cb_js_fail(j, "not JSON (a number expected: no Infinity, NaN or leading '+')");
	}
	digits = j->pos - digits;
	if (j->pos < j->len && s[j->pos] == '.') {
		size_t f = ++j->pos;

		while (j->pos < j->len && s[j->pos] >= '0' && s[j->pos] <= '9')
			j->pos++;
		if (j->pos == f)
			return cb_js_fail(j, "bad number (digits expected after '.')");
		real = true;
	}
	if (j->pos < j->len && (s[j->pos] == 'e' || s[j->pos] == 'E')) {
		size_t e;

		j->pos++;
		if (j->pos < j->len && (s[j->pos] == '+' || s[j->pos] == '-'))
			j->pos++;
		e = j->pos;
		while (j->pos < j->len && s[j->pos] >= '0' && s[j->pos] <= '9')
			j->pos++;
		if (j->pos == e)
			return cb_js_fail(j, "bad number (digits expected in the exponent)");
		real = true;
	}
	if (!real) {
		const char *d = s + start + neg;

		if (!cb_js_le(d, digits, neg ? "9223372036854775808" : "18446744073709551615"))
			return cb_js_fail(j, "integer out of the 64-bit range");
		return true;
	}
	{
		size_t n = j->pos - start;
		char small[64], *buf = n < sizeof(small) ? small : malloc(n + 1);
		double v;

		if (!buf)
			return cb_js_fail(j, "out of memory");
		memcpy(buf, s + start, n);
		buf[n] = '\0';
		v = strtod(buf, NULL);
		if (buf != small)
			free(buf);
		if (!isfinite(v))
			return cb_js_fail(j, "number out of the finite double range");
	}
	return true;
}

static bool cb_js_value(struct cb_js *j);

static bool cb_js_object(struct cb_js *j)
{
	size_t me = j->ncounts, members = 0;

	if (j->ncounts == j->cap) {
		size_t cap = j->cap ? 2 * j->cap : 16, *more = realloc(j->counts, cap * sizeof(*more));

		if (!more)
			return cb_js_fail(j, "out of memory");
		j->counts = more;
		j->cap = cap;
	}
	j->ncounts++;
	j->pos++;
	cb_js_ws(j);
	if (j->pos < j->len && j->s[j->pos] == '}') {
		j->pos++;
		j->counts[me] = 0;
		return true;
	}
	for (;;) {
		cb_js_ws(j);
		if (j->pos >= j->len || j->s[j->pos] != '"')
			return cb_js_fail(j, "not JSON (a double-quoted member name expected)");
		if (!cb_js_string(j))
			return false;
		cb_js_ws(j);
		if (j->pos >= j->len || j->s[j->pos] != ':')
			return cb_js_fail(j, "not JSON (':' expected)");
		j->pos++;
		if (!cb_js_value(j))
			return false;
		members++;
		cb_js_ws(j);
		if (j->pos < j->len && j->s[j->pos] == ',') {
			j->pos++;
			continue;
		}
		if (j->pos < j->len && j->s[j->pos] == '}') {
			j->pos++;
			j->counts[me] = members;
			return true;
		}
		return cb_js_fail(j, "not JSON (',' or '}' expected)");
	}
}

static bool cb_js_array(struct cb_js *j)
{
	j->pos++;
	cb_js_ws(j);
	if (j->pos < j->len && j->s[j->pos] == ']') {
		j->pos++;
		return true;
	}
	for (;;) {
		if (!cb_js_value(j))
			return false;
		cb_js_ws(j);
		if (j->pos < j->len && j->s[j->pos] == ',') {
			j->pos++;
			continue;
		}
		if (j->pos < j->len && j->s[j->pos] == ']') {
			j->pos++;
			return true;
		}
		return cb_js_fail(j, "not JSON (',' or ']' expected)");
	}
}

static bool cb_js_value(struct cb_js *j)
{
	bool ok;

	cb_js_ws(j);
	if (j->pos >= j->len)
		return cb_js_fail(j, "not JSON (a value expected, found the end)");
	switch (j->s[j->pos]) {
	case '{':
	case '[':
		if (++j->depth > CB_JSON_DEPTH_MAX)
			return cb_js_fail(j, "nested too deeply");
		ok = j->s[j->pos] == '{' ? cb_js_object(j) : cb_js_array(j);
		j->depth--;
		return ok;
	case '"':
		return cb_js_string(j);
	case 't':
		return cb_js_lit(j, "true");
	case 'f':
		return cb_js_lit(j, "false");
	case 'n':
		return cb_js_lit(j, "null");
	default:
		return cb_js_number(j);
	}
}

/* json-c keeps the last of two equal keys: a parsed object with fewer members than the text
 * had repeated one. Pre-order, so an object is compared before anything it holds could shift. */
static bool cb_js_members_match(json_object *o, const size_t *counts, size_t n, size_t *i)
{
	if (json_object_is_type(o, json_type_object)) {
		if (*i >= n || (size_t)json_object_object_length(o) != counts[(*i)++])
			return false;
		json_object_object_foreach(o, k, v) {
			(void)k;
			if (!cb_js_members_match(v, counts, n, i))
				return false;
		}
	} else if (json_object_is_type(o, json_type_array)) {
		for (size_t k = 0; k < json_object_array_length(o); k++)
			if (!cb_js_members_match(json_object_array_get_idx(o, k), counts, n, i))
				return false;
	}
	return true;
}

json_object *cb_json_strict_parse(const char *text, size_t len, size_t *off, char *why, size_t whylen)
{
	struct cb_js j = { .s = text, .len = len, .why = why, .whylen = whylen };
	struct json_tokener *tok = NULL;
	json_object *o = NULL;
	size_t i = 0;

	*off = 0;
	if (!cb_js_value(&j))
		goto fail;
	cb_js_ws(&j);
	if (j.pos != len) {
		cb_js_fail(&j, j.s[j.pos] ? "trailing data after the JSON value (one value per line)"
					  : "NUL byte after the JSON value");
		goto fail;
	}
	tok = json_tokener_new_ex(CB_JSON_DEPTH_MAX + 1);
	if (!tok) {
		cb_js_fail(&j, "out of memory");
		goto fail;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (!o) {
		j.pos = json_tokener_get_parse_end(tok);
		snprintf(why, whylen, "not JSON (%s)", json_tokener_error_desc(json_tokener_get_error(tok)));
		goto fail;
	}
	if (!cb_js_members_match(o, j.counts, j.ncounts, &i)) {
		j.pos = 0;
		cb_js_fail(&j, "an object repeats a member name");
		goto fail;
	}
	json_tokener_free(tok);
	free(j.counts);
	return o;
fail:
	*off = j.pos;
	json_object_put(o);
	if (tok)
		json_tokener_free(tok);
	free(j.counts);
	return NULL;
}
