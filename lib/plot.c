/* `cowbench plot` and the plots of the HTML report: TSV written here from the result sets, drawn
 * by the gnuplot scripts in plots/ (gnuplot.c runs them). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cb.h"
#include "cmpcommon.h"
#include "cmpstats.h"
#include "record.h"
#include "render.h"
#include "report.h"
#include "resultset.h"

/* An instance present in any of the result sets. */
/* Whole strings, never cut: they point into the sets (index keys, record fields). */
struct cb_inst {
	const char *key;
	const char *scenario, *backing, *size_h;
	bool cow; /* its records classify pages (COW and first-touch scenarios) */
};


/* The folio-size figure: phase name and the scenario that measures it. */
static const char *const cb_phases[][2] = {
	{ "populate", "fault_anon" }, { "fork", "fork" },	  { "COW", "cow_child" },
	{ "reuse", "cow_reuse" },     { "zap", "zap_munmap" },
};

/* A TSV cell: no tabs or newlines, and no double quotes (gnuplot reads them as string delimiters). */
/* A text cell gnuplot reads as text: no tab, line end or quote, and no '#' (from which gnuplot
 * ignores the line: a header cell "#x" would make the legend a column number); U+266F shows it. */
static void cb_tsv_cell(FILE *f, const char *text)
{
	char *safe = cb_display_text(text);

	for (const char *s = safe ? safe : "?"; *s; s++) {
		if (*s == '#')
			fputs("\u266f", f);
		else
			fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s == '"' ? '\'' : *s, f);
	}
	free(safe);
}

/* A value gnuplot can place on an axis: finite and far from double's limits (a range of
 * 1e308 is "invalid" to it). */
static bool cb_plottable(double v)
{
	return isfinite(v) && fabs(v) < 1e200;
}

/* A latency on the CDF's log axis (ns): above zero, below a year. */
static bool cb_latency_ok(double v)
{
	return v > 0 && v < 3.2e16;
}

static void cb_tsv_num(FILE *f, double v)
{
	if (!cb_plottable(v))
		fputs("\t-", f);
	else
		fprintf(f, "\t%.6g", v);
}

static size_t cb_inst_union(const struct cb_resultset *sets, int n, struct cb_inst **out)
{
	size_t total = 0, m = 0;

	for (int s = 0; s < n; s++)
		total += cb_resultset_ninstances(&sets[s]);
	*out = calloc(total ? total : 1, sizeof(**out));
	if (!*out)
		return 0;
	/* First appearance over the sets in order; each set's index answers in O(1). */
	for (int s = 0; s < n; s++) {
		for (size_t k = 0; k < cb_resultset_ninstances(&sets[s]); k++) {
			const char *key = cb_resultset_key_at(&sets[s], k);
			struct cb_inst *in;
			bool earlier = false;

			for (int e = 0; e < s && !earlier; e++)
				earlier = cb_resultset_has(&sets[e], key);
			if (earlier)
				continue;
			in = &(*out)[m++];
			in->key = key;
			for (int t = s; t < n; t++) {
				json_object **recs;
				size_t nr = cb_resultset_records(&sets[t], key, &recs);

				for (size_t r = 0; r < nr; r++) {
					json_object *cow = cb_jget(recs[r], "cow");

					if (!in->scenario) {
						in->scenario = cb_jstr(recs[r], "scenario") ?: "?";
						in->backing = cb_jstr(recs[r], "backing") ?: "?";
						in->size_h = cb_jstr(recs[r], "size_h") ?: "?";
					}
					if (cow && json_object_is_type(cow, json_type_object))
						in->cow = true;
				}
				free(recs);
			}
			if (!in->scenario)
				in->scenario = in->backing = in->size_h = "?";
		}
	}
	return m;
}

/* Mean and 95 % confidence interval of the mean (Student's t); one value gives no interval. */

/* Mean of a field over the instance's ok records of one set; NaN when there is none. */
static double cb_set_mean(const struct cb_resultset *rs, const char *key, const char *path, double *lo, double *hi)
{
	double *v, mean, l, h;
	size_t n = cb_resultset_values(rs, key, path, &v);

	mean = cb_mean_ci(v, n, &l, &h);
	free(v);
	if (lo)
		*lo = l;
	if (hi)
		*hi = h;
	return mean;
}

static int cb_plot_add(struct cb_plot_list *pl, const char *kind, const char *base, const char *title,
		       const char *scenario)
{
	struct cb_plot *v = realloc(pl->v, sizeof(*v) * (pl->n + 1));

	if (!v)
		return -ENOMEM;
	pl->v = v;
	snprintf(v[pl->n].kind, sizeof(v[pl->n].kind), "%s", kind);
	snprintf(v[pl->n].base, sizeof(v[pl->n].base), "%s", base);
	snprintf(v[pl->n].title, sizeof(v[pl->n].title), "%s", title);
	snprintf(v[pl->n].scenario, sizeof(v[pl->n].scenario), "%s", scenario);
	pl->n++;
	return 0;
}

/* A new file in the fresh output directory: two instances whose names sanitize alike get
 * "-2", "-3"... rather than one overwriting the other's plot. base is updated. */
static FILE *cb_tsv_open(const char *dir, char *base, size_t len)
{
	char path[PATH_MAX];
	size_t blen = strlen(base);

	for (int k = 1; k < 1000; k++) {
		FILE *f;

		if (k > 1)
			snprintf(base + (blen < len - 5 ? blen : len - 5), 5, "-%d", k);
		if (snprintf(path, sizeof(path), "%s/%s.tsv", dir, base) >= (int)sizeof(path)) {
			errno = ENAMETOOLONG;
			return NULL;
		}
		f = fopen(path, "wxe");
		if (f || errno != EEXIST)
			return f;
	}
	return NULL;
}

static int cb_tsv_close(FILE *f)
{
	int bad = ferror(f);

	return fclose(f) || bad ? -EIO : 0;
}

/* Label of an instance within its scenario's plots: the backing, and the size when the scenario
 * ran at several sizes. */
static void cb_inst_label(const struct cb_inst *in, const struct cb_inst *all, size_t n, char *buf, size_t len)
{
	bool sizes = false;

	for (size_t i = 0; i < n && !sizes; i++)
		sizes = !strcmp(all[i].scenario, in->scenario) && strcmp(all[i].size_h, in->size_h);
	snprintf(buf, len, sizes ? "%s %s" : "%s", in->backing, in->size_h);
}

static bool cb_scenario_first(const struct cb_inst *in, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (!strcmp(in[j].scenario, in[i].scenario))
			return false;
	return true;
}

/* bars-<scenario>.tsv: title and per kernel "mean, ci_lo, ci_hi" in the header; one row per
 * instance. */
static int cb_tsv_bars(const struct cb_resultset *sets, int n, const struct cb_inst *in, size_t ni, size_t first,
		       const char *dir, struct cb_plot_list *pl)
{
	const char *scn = in[first].scenario;
	char base[200], title[200], label[96], size[48] = "";
	bool any = false, one_size = true;
	FILE *f;

	for (size_t i = first; i < ni; i++) {
		if (strcmp(in[i].scenario, scn))
			continue;
		one_size &= !strcmp(in[i].size_h, in[first].size_h);
		for (int s = 0; s < n && !any; s++)
			any = cb_plottable(cb_set_mean(&sets[s], in[i].key, "ns_per_page", NULL, NULL));
	}
	if (!any)
		return 0;
	if (one_size)
		snprintf(size, sizeof(size), ", %s region", in[first].size_h);
	cb_file_stem(base, sizeof(base), "bars-", scn);
	snprintf(title, sizeof(title), "%s%s: time per page, mean and 95 %% CI", scn, size);
	f = cb_tsv_open(dir, base, sizeof(base));
	if (!f)
		return -errno;
	cb_tsv_cell(f, title);
	for (int s = 0; s < n; s++) {
		fputc('\t', f);
		cb_tsv_cell(f, sets[s].label);
		fputs("\tci_lo\tci_hi", f);
	}
	fputc('\n', f);
	for (size_t i = first; i < ni; i++) {
		if (strcmp(in[i].scenario, scn))
			continue;
		cb_inst_label(&in[i], in, ni, label, sizeof(label));
		cb_tsv_cell(f, label);
		for (int s = 0; s < n; s++) {
			double lo, hi, mean = cb_set_mean(&sets[s], in[i].key, "ns_per_page", &lo, &hi);

			cb_tsv_num(f, mean);
			cb_tsv_num(f, lo);
			cb_tsv_num(f, hi);
		}
		fputc('\n', f);
	}
	return cb_tsv_close(f) ?: cb_plot_add(pl, "bars", base, title, scn);
}

/* "mthp_64K" → 65536; 0 when it is not a size. */
static double cb_mthp_bytes(const char *backing)
{
	char *end;
	double v = strtod(backing + 5, &end);

	switch (*end) {
	case 'K':
		return v * 1024;
	case 'M':
		return v * 1024 * 1024;
	case 'G':
		return v * 1024 * 1024 * 1024;
	}
	return 0;
}

/* The folio size an instance's backing gives; 0 for the mixed (PTE-mapped THP) backings. */
static double cb_folio_bytes(const struct cb_resultset *rs, const struct cb_inst *in)
{
	json_object **recs;
	double v = 0;
	size_t n;

	if (!strcmp(in->backing, "thp")) {
		v = cb_record_num(rs->env, "thp.hpage_pmd_size");
		return v > 0 ? v : 0;
	}
	if (!strncmp(in->backing, "mthp_", 5))
		return cb_mthp_bytes(in->backing);
	if (strcmp(in->backing, "base"))
		return 0;
	n = cb_resultset_records(rs, in->key, &recs);
	for (size_t i = 0; i < n && !(v > 0); i++)
		v = cb_record_num(recs[i], "page_size");
	free(recs);
	return v > 0 ? v : (double)cb_page_size;
}

static int cb_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* folio-<size>.tsv: one row per folio size (bytes), per phase and kernel "mean, ci_lo, ci_hi",
 * phase-major, in the order of cb_phases. */
static int cb_tsv_folio(const struct cb_resultset *sets, int n, const struct cb_inst *in, size_t ni,
			const char *size_h, const char *dir, struct cb_plot_list *pl)
{
	const size_t np = CB_ARRAY_SIZE(cb_phases);
	char base[200], title[200];
	double *xs = calloc(ni * (size_t)n + 1, sizeof(double));
	size_t nx = 0, u = 0;
	FILE *f;
	int ret = 0;

	if (!xs)
		return -ENOMEM;
	for (size_t i = 0; i < ni; i++) {
		bool phase = false;

		for (size_t p = 0; p < np; p++)
			phase |= !strcmp(in[i].scenario, cb_phases[p][1]);
		if (!phase || strcmp(in[i].size_h, size_h))
			continue;
		for (int s = 0; s < n; s++) {
			double x = cb_folio_bytes(&sets[s], &in[i]);

			double mean = cb_set_mean(&sets[s], in[i].key, "ns_per_page", NULL, NULL);

			/* Its y axis is logarithmic: a point needs a time above zero. */
			if (x > 0 && cb_plottable(mean) && mean > 0)
				xs[nx++] = x;
		}
	}
	qsort(xs, nx, sizeof(*xs), cb_cmp_double);
	for (size_t i = 0; i < nx; i++)
		if (!u || xs[i] != xs[u - 1])
			xs[u++] = xs[i];
	/* A line needs two folio sizes. */
	if (u < 2)
		goto free_xs;
	cb_file_stem(base, sizeof(base), "folio-", size_h);
	snprintf(title, sizeof(title), "time per page against folio size, %s region (mean, 95 %% CI)", size_h);
	f = cb_tsv_open(dir, base, sizeof(base));
	if (!f) {
		ret = -errno;
		goto free_xs;
	}
	cb_tsv_cell(f, title);
	for (size_t p = 0; p < np; p++) {
		for (int s = 0; s < n; s++) {
			fprintf(f, "\t%s (%s), ", cb_phases[p][0], cb_phases[p][1]);
			cb_tsv_cell(f, sets[s].label);
			fputs("\tci_lo\tci_hi", f);
		}
	}
	fputc('\n', f);
	for (size_t x = 0; x < u; x++) {
		fprintf(f, "%.0f", xs[x]);
		for (size_t p = 0; p < np; p++) {
			for (int s = 0; s < n; s++) {
				double mean = NAN, lo = NAN, hi = NAN;

				for (size_t i = 0; i < ni; i++)
					if (!strcmp(in[i].scenario, cb_phases[p][1]) && !strcmp(in[i].size_h, size_h) &&
					    cb_folio_bytes(&sets[s], &in[i]) == xs[x])
						mean = cb_set_mean(&sets[s], in[i].key, "ns_per_page", &lo, &hi);
				if (!(mean > 0))
					mean = lo = hi = NAN;
				cb_tsv_num(f, mean);
				cb_tsv_num(f, lo);
				cb_tsv_num(f, hi);
			}
		}
		fputc('\n', f);
	}
	ret = cb_tsv_close(f) ?: cb_plot_add(pl, "folio", base, title, "");
free_xs:
	free(xs);
	return ret;
}

struct cb_bucket {
	double lo, hi, count;
};

static int cb_cmp_bucket(const void *a, const void *b)
{
	const struct cb_bucket *x = a, *y = b;

	return x->lo != y->lo ? (x->lo > y->lo) - (x->lo < y->lo) : (x->hi > y->hi) - (x->hi < y->hi);
}

/* A latency histogram (field: latency_hist, fault_latency_hist) of an instance merged over its ok
 * repetitions; returns the bucket count. */
static size_t cb_hist_merged(const struct cb_resultset *rs, const char *key, const char *field, struct cb_bucket **out)
{
	json_object **recs;
	size_t nr = cb_resultset_records(rs, key, &recs), nb = 0, cap = 0, m = 0;

	*out = NULL;
	for (size_t r = 0; r < nr; r++) {
		json_object *h = cb_jget(recs[r], field);
		const char *st = cb_jstr(recs[r], "status");

		if (!st || strcmp(st, "ok") || !h || !json_object_is_type(h, json_type_array))
			continue;
		for (size_t i = 0; i < json_object_array_length(h); i++) {
			json_object *b = json_object_array_get_idx(h, i);

			if (!json_object_is_type(b, json_type_array) || json_object_array_length(b) != 3)
				continue;
			if (nb == cap) {
				struct cb_bucket *more = realloc(*out, sizeof(**out) * (cap = cap * 2 + 64));

				if (!more)
					goto free_recs;
				*out = more;
			}
			(*out)[nb].lo = json_object_get_double(json_object_array_get_idx(b, 0));
			(*out)[nb].hi = json_object_get_double(json_object_array_get_idx(b, 1));
			(*out)[nb++].count = json_object_get_double(json_object_array_get_idx(b, 2));
		}
	}
	if (nb)
		qsort(*out, nb, sizeof(**out), cb_cmp_bucket);
	for (size_t i = 0; i < nb; i++) {
		if (m && (*out)[m - 1].lo == (*out)[i].lo && (*out)[m - 1].hi == (*out)[i].hi)
			(*out)[m - 1].count += (*out)[i].count;
		else
			(*out)[m++] = (*out)[i];
	}
free_recs:
	free(recs);
	return m;
}

/* Whether any set has a plottable bucket of the instance's histogram field. */
static bool cb_hist_any(const struct cb_resultset *sets, int n, const char *key, const char *field)
{
	bool any = false;

	for (int s = 0; s < n && !any; s++) {
		struct cb_bucket *b;
		size_t nb = cb_hist_merged(&sets[s], key, field, &b);

		for (size_t i = 0; i < nb && !any; i++)
			any = cb_latency_ok(b[i].hi) && b[i].count > 0;
		free(b);
	}
	return any;
}

/* One CDF block of latency.gp's input: "TITLE<TAB>LABEL" (the title in the first block only, with
 * the number of lines per colour when per_colour > 0), then "latency_ns<TAB>percent at or below",
 * from a set's merged histogram field. */
static void cb_tsv_cdf_block(FILE *f, const struct cb_resultset *rs, const char *key, const char *field,
			     const char *title, const char *label, int per_colour)
{
	struct cb_bucket *b;
	size_t nb = cb_hist_merged(rs, key, field, &b);
	double total = 0, cum = 0;
	bool drawn = false;

	if (title) {
		cb_tsv_cell(f, title);
	} else {
		fputs("\n\n", f);
		cb_tsv_cell(f, "");
	}
	fputc('\t', f);
	cb_tsv_cell(f, label);
	if (title && per_colour > 0)
		fprintf(f, "\t%d", per_colour);
	fputc('\n', f);
	for (size_t i = 0; i < nb; i++)
		total += b[i].count;
	if (nb && total > 0 && cb_plottable(total) && cb_latency_ok(b[0].lo)) {
		fprintf(f, "%.6g\t0\n", (double)b[0].lo);
		drawn = true;
	}
	for (size_t i = 0; total > 0 && cb_plottable(total) && i < nb; i++) {
		cum += b[i].count;
		if (cb_latency_ok(b[i].hi)) {
			fprintf(f, "%.6g\t%.6g\n", (double)b[i].hi, 100.0 * cum / total);
			drawn = true;
		}
	}
	/* An empty block keeps each line's colour the same in every latency plot. */
	if (!drawn)
		fputs("-\t-\n", f);
	free(b);
}

/* latency-<instance>.tsv: one block per kernel (blocks apart by two empty lines), its first line
 * the title (the plot's, then the kernel's), then "latency_ns<TAB>percent at or below". */
static int cb_tsv_latency(const struct cb_resultset *sets, int n, const struct cb_inst *in, const char *dir,
			  struct cb_plot_list *pl)
{
	char base[200], title[200];
	FILE *f;

	if (!cb_hist_any(sets, n, in->key, "latency_hist"))
		return 0;
	cb_file_stem(base, sizeof(base), "latency-", in->key);
	snprintf(title, sizeof(title), "%s %s, %s region: latency per write (CDF)", in->scenario, in->backing,
		 in->size_h);
	f = cb_tsv_open(dir, base, sizeof(base));
	if (!f)
		return -errno;
	for (int s = 0; s < n; s++)
		cb_tsv_cdf_block(f, &sets[s], in->key, "latency_hist", s ? NULL : title, sets[s].label, 0);
	return cb_tsv_close(f) ?: cb_plot_add(pl, "latency", base, title, in->scenario);
}

/* An instance of the fault-latency figure and its folio size (0: mixed, after the sizes). */
struct cb_fl_line {
	const struct cb_inst *in;
	double bytes;
	size_t order;
};

static int cb_cmp_fl_line(const void *a, const void *b)
{
	const struct cb_fl_line *x = a, *y = b;
	double bx = x->bytes > 0 ? x->bytes : INFINITY, by = y->bytes > 0 ? y->bytes : INFINITY;

	if (bx != by)
		return bx < by ? -1 : 1;
	return (x->order > y->order) - (x->order < y->order);
}

/*
 * faultlat-<scenario>_<size>.tsv: the latency CDF of the writes that faulted (fault_latency_hist)
 * of one scenario's instances at one region size, one block per folio size (its backing) and
 * run, the smallest folio first; latency.gp draws it (one colour per folio size, one dash per run:
 * the third header cell of the first block is the runs per folio size). Only instances where
 * some writes faulted and others did not have such a histogram.
 */
static int cb_tsv_faultlat(const struct cb_resultset *sets, int n, const struct cb_inst *in, size_t ni,
			   size_t first, const char *dir, struct cb_plot_list *pl)
{
	const char *scn = in[first].scenario, *size_h = in[first].size_h;
	struct cb_fl_line *lines = calloc(ni + 1, sizeof(*lines));
	char base[200], title[200], label[160], stem[120];
	size_t nl = 0;
	FILE *f;
	int ret = 0;

	if (!lines)
		return -ENOMEM;
	for (size_t i = first; i < ni; i++) {
		if (strcmp(in[i].scenario, scn) || strcmp(in[i].size_h, size_h) ||
		    !cb_hist_any(sets, n, in[i].key, "fault_latency_hist"))
			continue;
		lines[nl].in = &in[i];
		for (int s = 0; s < n && !(lines[nl].bytes > 0); s++)
			if (cb_resultset_has(&sets[s], in[i].key))
				lines[nl].bytes = cb_folio_bytes(&sets[s], &in[i]);
		lines[nl].order = nl;
		nl++;
	}
	if (!nl)
		goto free_lines;
	qsort(lines, nl, sizeof(*lines), cb_cmp_fl_line);
	snprintf(stem, sizeof(stem), "%s_%s", scn, size_h);
	cb_file_stem(base, sizeof(base), "faultlat-", stem);
	snprintf(title, sizeof(title), "%s, %s region: latency of the writes that faulted, per folio size (CDF)", scn,
		 size_h);
	f = cb_tsv_open(dir, base, sizeof(base));
	if (!f) {
		ret = -errno;
		goto free_lines;
	}
	for (size_t l = 0; l < nl; l++) {
		for (int s = 0; s < n; s++) {
			if (n > 1)
				snprintf(label, sizeof(label), "%s, %s", lines[l].in->backing, sets[s].label);
			else
				snprintf(label, sizeof(label), "%s", lines[l].in->backing);
			cb_tsv_cdf_block(f, &sets[s], lines[l].in->key, "fault_latency_hist", l || s ? NULL : title,
					 label, n);
		}
	}
	ret = cb_tsv_close(f) ?: cb_plot_add(pl, "latency", base, title, scn);
free_lines:
	free(lines);
	return ret;
}

/* outcomes-<scenario>.tsv: title header, then one row per instance and kernel:
 * "instance (k)<TAB>copy %<TAB>reuse %<TAB>nofault %<TAB>k<TAB>kernel" of the pages written. */
static int cb_tsv_outcomes(const struct cb_resultset *sets, int n, const struct cb_inst *in, size_t ni,
			   size_t first, const char *dir, struct cb_plot_list *pl)
{
	static const char *const kinds[] = { "cow.copy", "cow.reuse", "cow.nofault" };
	const char *scn = in[first].scenario;
	char base[200], title[200], label[96], size[48] = "";
	bool any = false, one_size = true;
	size_t rows = 0;
	FILE *f;

	for (size_t i = first; i < ni; i++) {
		if (strcmp(in[i].scenario, scn) || !in[i].cow)
			continue;
		one_size &= !strcmp(in[i].size_h, in[first].size_h);
		for (int s = 0; s < n; s++)
			for (size_t k = 0; k < CB_ARRAY_SIZE(kinds); k++)
				any |= cb_set_mean(&sets[s], in[i].key, kinds[k], NULL, NULL) > 0;
	}
	/* First-touch scenarios have no copy/reuse decision to show. */
	if (!any)
		return 0;
	if (one_size)
		snprintf(size, sizeof(size), ", %s region", in[first].size_h);
	cb_file_stem(base, sizeof(base), "outcomes-", scn);
	snprintf(title, sizeof(title), "%s%s: COW outcome of the written pages", scn, size);
	f = cb_tsv_open(dir, base, sizeof(base));
	if (!f)
		return -errno;
	cb_tsv_cell(f, title);
	fputs("\tcopy\treuse\tnofault\trun\tkernel\n", f);
	for (size_t i = first; i < ni; i++) {
		if (strcmp(in[i].scenario, scn) || !in[i].cow)
			continue;
		cb_inst_label(&in[i], in, ni, label, sizeof(label));
		/* An empty slot between backings groups the kernels' bars. */
		if (n > 1 && rows++)
			fputs(" \t0\t0\t0\t0\t \n", f);
		for (int s = 0; s < n; s++) {
			double v[3], sum = 0;

			for (size_t k = 0; k < 3; k++)
				sum += v[k] = cb_set_mean(&sets[s], in[i].key, kinds[k], NULL, NULL);
			cb_tsv_cell(f, label);
			if (n > 1)
				fprintf(f, " (%d)", s + 1);
			for (size_t k = 0; k < 3; k++)
				cb_tsv_num(f, sum > 0 ? 100.0 * v[k] / sum : NAN);
			fprintf(f, "\t%d\t", s + 1);
			cb_tsv_cell(f, sets[s].label);
			fputc('\n', f);
		}
	}
	return cb_tsv_close(f) ?: cb_plot_add(pl, "outcomes", base, title, scn);
}


int cb_plots_render(const struct cb_resultset *sets, int n, const char *dir, struct cb_plot_list *pl,
			   char *err, size_t errlen)
{
	static const char *const kinds[] = { "bars", "folio", "latency", "outcomes" };
	char pdir[PATH_MAX], script[PATH_MAX + 32];
	struct cb_resultset *view;
	struct cb_inst *in;
	size_t ni;
	int ret = 0;

	pl->v = NULL;
	pl->n = 0;
	if (!cb_in_path("gnuplot")) {
		snprintf(err, errlen, "gnuplot not found in PATH: the plots need it (Debian: apt-get install"
				      " gnuplot-nox, Fedora: dnf install gnuplot; or scripts/deps.sh plots)");
		return -ENOENT;
	}
	cb_plots_dir(pdir);
	for (size_t k = 0; k < CB_ARRAY_SIZE(kinds); k++) {
		snprintf(script, sizeof(script), "%s/%s.gp", pdir, kinds[k]);
		if (access(script, R_OK)) {
			snprintf(err, errlen, "%s: %s (set COWBENCH_PLOTS to the plots/ directory)", script,
				 strerror(errno));
			return -ENOENT;
		}
	}
	ni = cb_inst_union(sets, n, &in);
	view = malloc(sizeof(*view) * (size_t)n + 1);
	if (!in || !view) {
		free(in);
		free(view);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* A shallow copy: only the labels change, the records stay the caller's. The legends name the
	 * runs as the tables do; a plot travels without its table, and the label says a time is
	 * emulated. */
	memcpy(view, sets, sizeof(*view) * (size_t)n);
	cb_run_labels(view, n);
	sets = view;
	for (size_t i = 0; i < ni && !ret; i++)
		if (cb_scenario_first(in, i))
			ret = cb_tsv_bars(sets, n, in, ni, i, dir, pl);
	for (size_t i = 0; i < ni && !ret; i++) {
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(in[j].size_h, in[i].size_h);
		if (!seen)
			ret = cb_tsv_folio(sets, n, in, ni, in[i].size_h, dir, pl);
	}
	/* Per scenario its instances' CDFs, then those of its faulting writes per region size. */
	for (size_t i = 0; i < ni && !ret; i++) {
		if (!cb_scenario_first(in, i))
			continue;
		for (size_t j = i; j < ni && !ret; j++)
			if (in[j].cow && !strcmp(in[j].scenario, in[i].scenario))
				ret = cb_tsv_latency(sets, n, &in[j], dir, pl);
		for (size_t j = i; j < ni && !ret; j++) {
			bool seen = strcmp(in[j].scenario, in[i].scenario) != 0;

			for (size_t k = i; k < j && !seen; k++)
				seen = !strcmp(in[k].scenario, in[j].scenario) && !strcmp(in[k].size_h, in[j].size_h);
			if (!seen)
				ret = cb_tsv_faultlat(sets, n, in, ni, j, dir, pl);
		}
	}
	for (size_t i = 0; i < ni && !ret; i++)
		if (cb_scenario_first(in, i))
			ret = cb_tsv_outcomes(sets, n, in, ni, i, dir, pl);
	free(in);
	free(view);
	if (ret) {
		snprintf(err, errlen, "%s: writing plot data: %s", dir, strerror(-ret));
		return ret;
	}
	return cb_gnuplot_all(pl, pdir, dir, err, errlen);
}

int cb_plot_all(const struct cb_resultset *sets, int n, const char *dir, char *err, size_t errlen)
{
	struct cb_plot_list pl;
	int ret = cb_plots_render(sets, n, dir, &pl, err, errlen);

	if (!ret && !pl.n) {
		snprintf(err, errlen, "no ok records with figures to plot");
		ret = -ENODATA;
	}
	free(pl.v);
	return ret;
}

/* Moves every file of from into to (or, when to is NULL, deletes them), then removes from. */
static int cb_dir_move(const char *from, const char *to)
{
	char a[PATH_MAX], b[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(from);
	int ret = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(a, sizeof(a), "%s/%s", from, de->d_name);
		snprintf(b, sizeof(b), "%s/%s", to ? to : "", de->d_name);
		if (to ? rename(a, b) : unlink(a))
			ret = ret ?: -errno;
	}
	closedir(d);
	if (rmdir(from))
		ret = ret ?: -errno;
	return ret;
}

static const char usage_plot[] =
	"usage: cowbench plot [--out DIR] RESULT_DIR...\n"
	"Plots result sets (run directories, or kernel-release directories: their newest run) against each\n"
	"other with gnuplot, PNG and SVG, with the TSV data they are drawn from:\n"
	"  bars-<scenario>      time per page per backing, one bar per run, 95 % CI error bars\n"
	"  folio-<size>         time per page of populate/fork/COW/reuse/zap against folio size\n"
	"  latency-<instance>   latency CDF of each COW and first-touch instance, one line per run\n"
	"  faultlat-<scenario>_<size>  latency CDF of the writes that faulted, one line per folio size and run\n"
	"  outcomes-<scenario>  copy / reuse / nofault share of the written pages per backing and run\n"
	"DIR defaults to results/plots/<date-time>. Files appear in DIR only when every plot rendered.\n";

int cb_plot_main(int argc, char **argv)
{
	char out[PATH_MAX - 32] = "", tmp[PATH_MAX], err[1024];
	struct cb_resultset *sets;
	struct cb_plot_list pl = { 0 };
	int nsets = 0, ret, status = 1;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage_plot, stdout);
			return 0;
		}
	}
	sets = calloc((size_t)argc + 1, sizeof(*sets));
	if (!sets)
		return 1;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--out")) {
			if (i + 1 == argc || !argv[i + 1][0]) {
				fprintf(stderr, "cowbench: plot: --out needs a directory (see cowbench plot --help)\n");
				status = 2;
				goto free_sets;
			}
			snprintf(out, sizeof(out), "%s", argv[++i]);
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "cowbench: plot: unknown option '%s' (see cowbench plot --help)\n", argv[i]);
			status = 2;
			goto free_sets;
		} else if (cb_resultset_load(argv[i], &sets[nsets], err, sizeof(err))) {
			fprintf(stderr, "cowbench: plot: %s\n", err);
			status = 2;
			goto free_sets;
		} else {
			nsets++;
		}
	}
	if (!nsets) {
		fprintf(stderr, "cowbench: plot: which result directories? (see cowbench plot --help)\n");
		status = 2;
		goto free_sets;
	}
	if (!out[0]) {
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(out, sizeof(out), "results/plots/%Y%m%d-%H%M%S", &tm);
	}
	for (size_t len = strlen(out); len > 1 && out[len - 1] == '/';)
		out[--len] = '\0';
	/* Render into a sibling temporary directory: a failure leaves nothing half-written in out. */
	snprintf(tmp, sizeof(tmp), "%s", out);
	ret = strrchr(tmp, '/') > tmp ? (*strrchr(tmp, '/') = '\0', cb_mkdir_p(tmp)) : 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", out);
	if (ret || !mkdtemp(tmp)) {
		fprintf(stderr, "cowbench: plot: %s: %s\n", tmp, strerror(ret ? -ret : errno));
		goto free_sets;
	}
	ret = cb_plots_render(sets, nsets, tmp, &pl, err, sizeof(err));
	if (!ret && !pl.n) {
		snprintf(err, sizeof(err), "nothing to plot: no ok records with figures");
		ret = -ENODATA;
	}
	if (ret) {
		fprintf(stderr, "cowbench: plot: %s\n", err);
		cb_dir_move(tmp, NULL);
		status = ret == -ENODATA ? 2 : 1;
		goto free_plots;
	}
	ret = cb_mkdir_p(out) ?: cb_dir_move(tmp, out);
	if (ret) {
		fprintf(stderr, "cowbench: plot: %s: %s\n", out, strerror(-ret));
		goto free_plots;
	}
	for (size_t p = 0; p < pl.n; p++)
		printf("%s/%s.png\n", out, pl.v[p].base);
	fprintf(stderr, "cowbench: %zu plots of %d result set(s) in %s (PNG, SVG and the TSV data)\n", pl.n, nsets,
		out);
	status = 0;
free_plots:
	free(pl.v);
free_sets:
	for (int i = 0; i < nsets; i++)
		cb_resultset_free(&sets[i]);
	free(sets);
	return status;
}

