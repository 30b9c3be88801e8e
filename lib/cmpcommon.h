/* What the comparison model (compare.c) and its renderers (render_*.c, plot.c) share: JSON access,
 * number formatting, the names of runs, and walks over the model. */
#ifndef CB_CMPCOMMON_H
#define CB_CMPCOMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <json-c/json.h>

#include "resultset.h"

#define CB_CMP_MAX_RUNS 26  /* runs are lettered A..Z in the text table */
#define CB_CMP_WIDTH    100 /* the text format fits an email */

/* ---- JSON access: NULL / NaN / 0 for what is absent or of another type ---- */
json_object *cb_jget(json_object *o, const char *k);
json_object *cb_jpath(json_object *o, const char *path); /* dotted: "kernel.release" */
const char *cb_jstr(json_object *o, const char *k);        /* strings only */
double cb_jnum(json_object *o, const char *k);
json_object *cb_jidx(json_object *arr, size_t i);
size_t cb_jlen(json_object *arr);
/* Two JSON values by their string forms (both NULL: equal). */
bool cb_jstr_eq(json_object *a, json_object *b);

/* ---- number formatting: fixed, so the outputs are byte-for-byte reproducible ---- */
void cb_num_fmt(double v, char *buf, size_t len);               /* six significant digits */
json_object *cb_num_json(double v);                             /* as cb_num_fmt; NULL if not finite */
const char *cb_num_short(double v, char *buf, size_t len);      /* at most 7 columns ("1.23M") */
const char *cb_ratio_str(double v, char *buf, size_t len);
const char *cb_p_str(double p, char *buf, size_t len);          /* "<1e-4" below */
/* "64kB" / "2048kB" / "2M" → KiB, and back ("64K", "2M"). */
long cb_size_kb(const char *s);
void cb_size_name(long kb, char *buf, size_t len);
struct cb_sized {
	long kb;
	const char *val;
};
/* An object's keys sorted by size; returns the count (at most max). */
size_t cb_sizes_sorted(json_object *obj, struct cb_sized *out, size_t max);
/* Names from the data become file names and anchors: keep them to a harmless alphabet. */
void cb_sanitize(char *dst, size_t len, const char *src);
/* s as markdown text: its special characters escaped, HTML characters as entities. */
void cb_md_text(FILE *f, const char *s);
/* The longest prefix of UTF-8 s of at most max bytes that does not end inside a character. */
size_t cb_utf8_fit(const char *s, size_t max);
/* s for a terminal, a page or a spreadsheet: invalid UTF-8, control characters (C0, DEL, C1)
 * and bidirectional overrides become U+FFFD (malloc'ed; NULL without memory). */
char *cb_display_text(const char *s);
/* A deep copy of a comparison model with every string (and member name) through
 * cb_display_text: what the text, markdown, CSV/TSV and HTML renderers print. */
json_object *cb_display_copy(json_object *v);
/* prefix + cb_sanitize(src) as a file name stem; a src too long for len keeps a prefix of it and
 * gets a hash of all of it, so distinct long keys stay distinct. */
void cb_file_stem(char *dst, size_t len, const char *prefix, const char *src);

/* ---- runs ---- */
/* How the VM runner ran the set: "tcg", "kvm"; NULL for a native run. */
const char *cb_env_virt(json_object *env);
/* TCG emulates the CPU: its times are not the hardware's. KVM runs on the hardware. */
bool cb_env_emulated(json_object *env);
bool cb_env_same_kind(json_object *a, json_object *b);
/* Every table and plot names runs this way: the kernel release, with the run id where two runs
 * of one kind share a release, and how a VM ran it ("(TCG emulation)", "(KVM guest)"); the same
 * run given twice gets " #N". Sets each sets[i].label. */
void cb_run_labels(struct cb_resultset *sets, int n);
/* ok < skip < fail < error < anything else. */
int cb_status_rank(const char *s);

/* ---- walks over the comparison model (cb_compare_build's object) ---- */
struct cb_cmp_out {
	FILE *f;
	bool colour;
};
/* A timing of an emulated run and a hardware one: not compared. */
bool cb_vs_skipped(json_object *vs);
/* What "timings" says, for a header; "" when every timing is a hardware one. */
const char *cb_cmp_timings_note(json_object *cmp);
/* The runs with a timing not compared with the baseline's, as letters ("B, C"); 0 when none. */
size_t cb_cmp_skipped_runs(json_object *cmp, char *buf, size_t len);
/* Calls fn for every significant result (instance, metric, run, comparison); returns the count. */
size_t cb_cmp_each_significant(json_object *cmp,
			       void (*fn)(const struct cb_cmp_out *, json_object *, json_object *, int, json_object *),
			       const struct cb_cmp_out *o);
/* Calls fn for every instance not ok, or absent, on some run; returns the count. */
size_t cb_cmp_each_not_ok(json_object *cmp,
			  void (*fn)(const struct cb_cmp_out *, json_object *, int, const char *, const char *),
			  const struct cb_cmp_out *o);
/* Word-wraps text to CB_CMP_WIDTH columns: the first line after `first` spaces, the rest after `cont`. */
void cb_text_wrap(FILE *f, int first, int cont, const char *text);
/* The behaviour changes as a list (text or markdown), "(none)" when there is none. */
void cb_cmp_changes(const struct cb_cmp_out *o, json_object *cmp, bool markdown);
/* The mark of a verdict in the text table: + - * ~ ? =. */
char cb_verdict_mark(const char *verdict);
/* Which test decided a comparison: "Welch", "Mann-Whitney" ("-" untested); 'W', 'U' (' '). */
const char *cb_test_name(json_object *vs);
/* The common shift of side `side` against the baseline, as one sentence; 0 where none. */
size_t cb_cmp_shift_line(json_object *cmp, size_t side, char *buf, size_t len);
/* A relative verdict's ratio as "slower than the common shift by ×1.6 [1.3, 2.0]"; 0 for others. */
size_t cb_cmp_relative_text(json_object *vs, char *buf, size_t len);
char cb_test_code(json_object *vs);
/* The noise checks (env.json's "noise") that warned in any run of a side, as "governor, aslr";
 * returns their count. */
size_t cb_noise_summary(json_object *cmp, size_t side, char *buf, size_t len);
/* One line per side naming them; nothing when no run recorded a noise check. */
void cb_noise_lines(const struct cb_cmp_out *o, json_object *cmp, bool markdown);

#endif
