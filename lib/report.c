/* Plots (TSV written here, rendered by the gnuplot scripts in plots/) and the self-contained
 * HTML report. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cb.h"
#include "cmpstats.h"
#include "record.h"
#include "report.h"
#include "resultset.h"

/* An instance present in any of the result sets. */
struct cb_inst {
	char key[CB_KEY_MAX];
	char scenario[48], backing[32], size_h[24];
	bool cow; /* its records classify pages (COW and first-touch scenarios) */
};

/* One rendered plot: dir/<base>.{tsv,svg,png}. */
struct cb_plot {
	char kind[12];
	char base[200];
	char title[200];
	char scenario[48];
};

struct cb_plot_list {
	struct cb_plot *v;
	size_t n;
};

/* The folio-size figure: phase name and the scenario that measures it. */
static const char *const cb_phases[][2] = {
	{ "populate", "fault_anon" }, { "fork", "fork" },	  { "COW", "cow_child" },
	{ "reuse", "cow_reuse" },     { "zap", "zap_munmap" },
};

static const char *cb_jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !v)
		return NULL;
	return json_object_get_string(v);
}

static json_object *cb_jget(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* Names from the data become file names: keep them to a harmless alphabet. */
static void cb_sanitize(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < len; i++)
		dst[i] = (src[i] >= 'a' && src[i] <= 'z') || (src[i] >= 'A' && src[i] <= 'Z') ||
				 (src[i] >= '0' && src[i] <= '9') || src[i] == '-' || src[i] == '.' ?
			 src[i] : '_';
	dst[i] = '\0';
}

/* A TSV cell: no tabs or newlines, and no double quotes (gnuplot reads them as string delimiters). */
static void cb_tsv_cell(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s == '"' ? '\'' : *s, f);
}

static void cb_tsv_num(FILE *f, double v)
{
	if (isnan(v))
		fputs("\t-", f);
	else
		fprintf(f, "\t%.6g", v);
}

static size_t cb_inst_union(const struct cb_resultset *sets, int n, struct cb_inst **out)
{
	size_t total = 0, m = 0;

	for (int s = 0; s < n; s++)
		total += sets[s].nrecords;
	*out = calloc(total ? total : 1, sizeof(**out));
	if (!*out)
		return 0;
	for (int s = 0; s < n; s++) {
		for (size_t r = 0; r < sets[s].nrecords; r++) {
			json_object *rec = sets[s].records[r], *cow = cb_jget(rec, "cow");
			char key[CB_KEY_MAX];
			size_t i;

			cb_record_key(rec, key);
			for (i = 0; i < m && strcmp((*out)[i].key, key); i++)
				;
			if (i == m) {
				struct cb_inst *in = &(*out)[m++];

				memcpy(in->key, key, CB_KEY_MAX);
				snprintf(in->scenario, sizeof(in->scenario), "%s", cb_jstr(rec, "scenario") ?: "?");
				snprintf(in->backing, sizeof(in->backing), "%s", cb_jstr(rec, "backing") ?: "?");
				snprintf(in->size_h, sizeof(in->size_h), "%s", cb_jstr(rec, "size_h") ?: "?");
			}
			if (cow && json_object_is_type(cow, json_type_object))
				(*out)[i].cow = true;
		}
	}
	return m;
}

/* Mean and 95 % confidence interval of the mean (Student's t); one value gives no interval. */
static double cb_mean_ci(const double *v, size_t n, double *lo, double *hi)
{
	double sum = 0, ss = 0, mean, half = 0;

	if (!n) {
		*lo = *hi = NAN;
		return NAN;
	}
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	mean = sum / (double)n;
	if (n > 1) {
		for (size_t i = 0; i < n; i++)
			ss += (v[i] - mean) * (v[i] - mean);
		half = cb_t_quantile(0.975, (double)(n - 1)) * sqrt(ss / (double)(n - 1)) / sqrt((double)n);
	}
	*lo = mean - half;
	*hi = mean + half;
	return mean;
}

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

static FILE *cb_tsv_open(const char *dir, const char *base)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s.tsv", dir, base);
	return fopen(path, "we");
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
			any = !isnan(cb_set_mean(&sets[s], in[i].key, "ns_per_page", NULL, NULL));
	}
	if (!any)
		return 0;
	if (one_size)
		snprintf(size, sizeof(size), ", %s region", in[first].size_h);
	cb_sanitize(label, sizeof(label), scn);
	snprintf(base, sizeof(base), "bars-%s", label);
	snprintf(title, sizeof(title), "%s%s: time per page, mean and 95 %% CI", scn, size);
	f = cb_tsv_open(dir, base);
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
	char base[200], title[200], clean[32];
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

			if (x > 0 && !isnan(cb_set_mean(&sets[s], in[i].key, "ns_per_page", NULL, NULL)))
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
	cb_sanitize(clean, sizeof(clean), size_h);
	snprintf(base, sizeof(base), "folio-%s", clean);
	snprintf(title, sizeof(title), "time per page against folio size, %s region (mean, 95 %% CI)", size_h);
	f = cb_tsv_open(dir, base);
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

/* The latency histogram of an instance merged over its ok repetitions; returns the bucket count. */
static size_t cb_hist_merged(const struct cb_resultset *rs, const char *key, struct cb_bucket **out)
{
	json_object **recs;
	size_t nr = cb_resultset_records(rs, key, &recs), nb = 0, cap = 0, m = 0;

	*out = NULL;
	for (size_t r = 0; r < nr; r++) {
		json_object *h = cb_jget(recs[r], "latency_hist");
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

/* latency-<instance>.tsv: one block per kernel (blocks apart by two empty lines), its first line
 * the title (the plot's, then the kernel's), then "latency_ns<TAB>percent at or below". */
static int cb_tsv_latency(const struct cb_resultset *sets, int n, const struct cb_inst *in, const char *dir,
			  struct cb_plot_list *pl)
{
	char base[200], title[200], clean[CB_KEY_MAX];
	bool any = false;
	FILE *f;

	for (int s = 0; s < n && !any; s++) {
		struct cb_bucket *b;

		any = cb_hist_merged(&sets[s], in->key, &b) > 0;
		free(b);
	}
	if (!any)
		return 0;
	cb_sanitize(clean, sizeof(clean), in->key);
	snprintf(base, sizeof(base), "latency-%s", clean);
	snprintf(title, sizeof(title), "%s %s, %s region: latency per write (CDF)", in->scenario, in->backing,
		 in->size_h);
	f = cb_tsv_open(dir, base);
	if (!f)
		return -errno;
	for (int s = 0; s < n; s++) {
		struct cb_bucket *b;
		size_t nb = cb_hist_merged(&sets[s], in->key, &b);
		double total = 0, cum = 0;

		if (s)
			fputs("\n\n", f);
		cb_tsv_cell(f, s ? "" : title);
		fputc('\t', f);
		cb_tsv_cell(f, sets[s].label);
		fputc('\n', f);
		for (size_t i = 0; i < nb; i++)
			total += b[i].count;
		/* An empty block keeps each kernel's colour the same in every latency plot. */
		if (!nb || total <= 0)
			fputs("-\t-\n", f);
		else
			fprintf(f, "%.6g\t0\n", b[0].lo);
		for (size_t i = 0; total > 0 && i < nb; i++) {
			cum += b[i].count;
			fprintf(f, "%.6g\t%.6g\n", b[i].hi, 100.0 * cum / total);
		}
		free(b);
	}
	return cb_tsv_close(f) ?: cb_plot_add(pl, "latency", base, title, in->scenario);
}

/* outcomes-<scenario>.tsv: title header, then one row per instance and kernel:
 * "instance (k)<TAB>copy %<TAB>reuse %<TAB>nofault %<TAB>k<TAB>kernel" of the pages written. */
static int cb_tsv_outcomes(const struct cb_resultset *sets, int n, const struct cb_inst *in, size_t ni,
			   size_t first, const char *dir, struct cb_plot_list *pl)
{
	static const char *const kinds[] = { "cow.copy", "cow.reuse", "cow.nofault" };
	const char *scn = in[first].scenario;
	char base[200], title[200], label[96], clean[64], size[48] = "";
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
	cb_sanitize(clean, sizeof(clean), scn);
	snprintf(base, sizeof(base), "outcomes-%s", clean);
	snprintf(title, sizeof(title), "%s%s: COW outcome of the written pages", scn, size);
	f = cb_tsv_open(dir, base);
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

/* The plots/ directory: $COWBENCH_PLOTS, else next to the binary (build/../plots), else ./plots. */
static void cb_plots_dir(char buf[PATH_MAX])
{
	const char *env = getenv("COWBENCH_PLOTS");
	char exe[PATH_MAX], probe[PATH_MAX + 32];
	ssize_t n;

	if (env && *env) {
		if (!realpath(env, buf))
			snprintf(buf, PATH_MAX, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		*strrchr(exe, '/') = '\0';
		snprintf(probe, sizeof(probe), "%s/../plots", exe);
		if (realpath(probe, buf))
			return;
	}
	if (!realpath("plots", buf))
		snprintf(buf, PATH_MAX, "plots");
}

static bool cb_in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char probe[PATH_MAX];

	while (path && *path) {
		size_t len = strcspn(path, ":");

		snprintf(probe, sizeof(probe), "%.*s/%s", (int)len, len ? path : ".", prog);
		if (access(probe, X_OK) == 0)
			return true;
		path += len + (path[len] == ':');
	}
	return false;
}

/* A gnuplot run: its stderr goes to an unnamed file, read back only when it fails. */
struct cb_gnuplot_job {
	pid_t pid;
	FILE *err;
	char what[PATH_MAX + 256];
};

#define CB_GNUPLOT_JOBS 8

/* gnuplot -e "in='B.tsv'; out='B.EXT'; term='T'" SCRIPT, in dir. */
static int cb_gnuplot_spawn(struct cb_gnuplot_job *job, const char *script, const char *dir, const char *base,
			    const char *term, const char *ext)
{
	char expr[600];
	int ret;

	snprintf(expr, sizeof(expr), "in='%s.tsv'; out='%s.%s'; term='%s'", base, base, ext, term);
	snprintf(job->what, sizeof(job->what), "gnuplot %s for %s/%s.%s", script, dir, base, ext);
	job->err = tmpfile();
	if (!job->err)
		return -errno;
	job->pid = fork();
	if (job->pid < 0) {
		ret = -errno;
		fclose(job->err);
		return ret;
	}
	if (job->pid == 0) {
		if (chdir(dir) || dup2(fileno(job->err), STDERR_FILENO) < 0)
			_exit(126);
		execlp("gnuplot", "gnuplot", "-e", expr, script, (char *)NULL);
		_exit(127);
	}
	return 0;
}

static int cb_gnuplot_reap(struct cb_gnuplot_job *job, char *err, size_t errlen)
{
	char msg[1024] = "", *line;
	size_t got;
	int status, ret = 0;

	while (waitpid(job->pid, &status, 0) < 0) {
		if (errno != EINTR) {
			ret = -errno;
			snprintf(err, errlen, "%s: waitpid: %s", job->what, strerror(errno));
			goto close_err;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		goto close_err;
	/* gnuplot ends with "FILE" line N: message, after the offending line and a caret. */
	if (fseek(job->err, 0, SEEK_END) == 0 && ftell(job->err) > (long)sizeof(msg) - 1)
		fseek(job->err, 1 - (long)sizeof(msg), SEEK_END);
	else
		rewind(job->err);
	got = fread(msg, 1, sizeof(msg) - 1, job->err);
	while (got && (msg[got - 1] == '\n' || msg[got - 1] == ' '))
		got--;
	msg[got] = '\0';
	line = strrchr(msg, '\n');
	line = line ? line + 1 : msg;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		line = "could not run gnuplot";
	snprintf(err, errlen, "%s failed (%s %d): %s", job->what, WIFEXITED(status) ? "exit status" : "signal",
		 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), line[0] ? line : "no message");
	ret = -EIO;
close_err:
	fclose(job->err);
	return ret;
}

/* Every plot as SVG and PNG, a few gnuplot processes at a time; the first failure is reported. */
static int cb_gnuplot_all(const struct cb_plot_list *pl, const char *pdir, const char *dir, char *err, size_t errlen)
{
	struct cb_gnuplot_job jobs[CB_GNUPLOT_JOBS];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t max = ncpu < 1 ? 1 : ncpu > CB_GNUPLOT_JOBS ? CB_GNUPLOT_JOBS : (size_t)ncpu;
	size_t next = 0, head = 0, tail = 0;
	char script[PATH_MAX + 32], msg[1024];
	int ret = 0, r;

	while (tail < head || (next < 2 * pl->n && !ret)) {
		if (next < 2 * pl->n && !ret && head - tail < max) {
			const struct cb_plot *p = &pl->v[next / 2];
			bool svg = next++ % 2 == 0;

			snprintf(script, sizeof(script), "%s/%s.gp", pdir, p->kind);
			r = cb_gnuplot_spawn(&jobs[head % CB_GNUPLOT_JOBS], script, dir, p->base,
					     svg ? "svg" : "pngcairo", svg ? "svg" : "png");
			if (r) {
				ret = r;
				snprintf(err, errlen, "gnuplot for %s/%s: %s", dir, p->base, strerror(-r));
			} else {
				head++;
			}
			continue;
		}
		r = cb_gnuplot_reap(&jobs[tail++ % CB_GNUPLOT_JOBS], msg, sizeof(msg));
		if (r && !ret) {
			ret = r;
			snprintf(err, errlen, "%s", msg);
		}
	}
	return ret;
}

/* Runs of the same kernel would share a legend entry: tell them apart by run id. */
static void cb_labels_unique(struct cb_resultset *sets, int n)
{
	bool dup[n > 0 ? n : 1];

	for (int i = 0; i < n; i++) {
		dup[i] = false;
		for (int j = 0; j < n; j++)
			dup[i] |= i != j && !strcmp(sets[i].label, sets[j].label);
	}
	for (int i = 0; i < n; i++) {
		const char *id = cb_jstr(sets[i].env, "run_id") ?: strrchr(sets[i].dir, '/');
		char old[sizeof(sets[i].label)];

		if (!dup[i])
			continue;
		memcpy(old, sets[i].label, sizeof(old));
		snprintf(sets[i].label, sizeof(sets[i].label), "%.80s (%.40s)", old,
			 id ? id + (*id == '/') : sets[i].dir);
	}
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < i; j++) {
			if (!strcmp(sets[i].label, sets[j].label)) {
				size_t len = strnlen(sets[i].label, sizeof(sets[i].label) - 8);

				snprintf(sets[i].label + len, sizeof(sets[i].label) - len, " #%d", i + 1);
				break;
			}
		}
	}
}

static int cb_plots_render(const struct cb_resultset *sets, int n, const char *dir, struct cb_plot_list *pl,
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
				      " gnuplot-nox, Fedora: dnf install gnuplot; or make deps)");
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
	/* A shallow copy: only the labels change, the records stay the caller's. */
	memcpy(view, sets, sizeof(*view) * (size_t)n);
	/* A plot travels without its table: the legend itself must say a time is emulated. */
	for (int s = 0; s < n; s++) {
		const char *virt = cb_jstr(view[s].env, "virtualized");
		size_t len = strnlen(view[s].label, sizeof(view[s].label) - 20);

		if (virt && strcmp(virt, "tcg") == 0)
			snprintf(view[s].label + len, sizeof(view[s].label) - len, " (TCG emulation)");
	}
	cb_labels_unique(view, n);
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
	for (size_t i = 0; i < ni && !ret; i++)
		for (size_t j = i; cb_scenario_first(in, i) && j < ni && !ret; j++)
			if (in[j].cow && !strcmp(in[j].scenario, in[i].scenario))
				ret = cb_tsv_latency(sets, n, &in[j], dir, pl);
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

/* ---- HTML report ---- */

static void cb_html_esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static void cb_fmt_num(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "–");
	else if (fabs(v) >= 1e15 || (v != 0 && fabs(v) < 1e-3))
		snprintf(buf, len, "%.3g", v);
	else if (fabs(v) >= 100 || v == floor(v))
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.3g", v);
}

static double cb_jnum(json_object *o, const char *key)
{
	json_object *v = cb_jget(o, key);

	if (!v || !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return NAN;
	return json_object_get_double(v);
}

/* A JSON value from the data as text: strings as they are, numbers formatted, the rest as JSON. */
static void cb_html_value(FILE *f, json_object *v)
{
	char num[64];

	if (!v) {
		fputs("<span class=\"none\">–</span>", f);
	} else if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)) {
		cb_fmt_num(num, sizeof(num), json_object_get_double(v));
		fputs(num, f);
	} else if (json_object_is_type(v, json_type_string)) {
		cb_html_esc(f, json_object_get_string(v));
	} else {
		cb_html_esc(f, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
								       JSON_C_TO_STRING_NOSLASHESCAPE));
	}
}

static void cb_html_num(FILE *f, json_object *o, const char *key)
{
	char num[64];

	cb_fmt_num(num, sizeof(num), cb_jnum(o, key));
	fputs(num, f);
}

static size_t cb_jlen(json_object *a)
{
	return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

static json_object *cb_jidx(json_object *a, size_t i)
{
	return i < cb_jlen(a) ? json_object_array_get_idx(a, i) : NULL;
}

static void cb_html_anchor(FILE *f, const char *key)
{
	char clean[CB_KEY_MAX];

	cb_sanitize(clean, sizeof(clean), key ?: "");
	fprintf(f, "i-%s", clean);
}

static const char cb_css[] =
	"body{font-family:sans-serif;margin:1.5em;color:#222;max-width:1400px}"
	"h1{font-size:1.5em}h2{font-size:1.25em;border-bottom:1px solid #ccc;margin-top:2em}h3{font-size:1.05em}"
	"table{border-collapse:collapse;margin:.5em 0 1em}th,td{border:1px solid #ccc;padding:.2em .5em;"
	"text-align:right;vertical-align:top}th{background:#f0f0f0}td.l,th.l{text-align:left}"
	".sub{color:#666;font-size:.85em;display:block}.none{color:#999}"
	".regression{background:#f8d0d0;font-weight:bold}.improvement{background:#d4f0d4;font-weight:bold}"
	".notsig{color:#666}.few{color:#999;font-style:italic}"
	"tr.changed td,td.changed{background:#fff3c0;font-weight:bold}"
	".badge{background:#e0a000;color:#fff;padding:0 .4em;border-radius:3px;font-size:.8em;margin-left:.5em}"
	".behaviour li{background:#fff3c0;margin:.2em 0}"
	".warn{background:#ffe8c0;padding:.4em;border-left:4px solid #e0a000}.skip{color:#8a5a00}"
	"figure{margin:1em 0}figure svg{max-width:100%;height:auto;border:1px solid #eee}"
	"pre{background:#f7f7f7;padding:.5em;overflow-x:auto;font-size:.85em}";

static void cb_html_runs(FILE *f, json_object *cmp)
{
	json_object *runs = cb_jget(cmp, "runs");

	fputs("<table class=\"runs\"><tr><th class=\"l\">run</th><th class=\"l\">kernel</th>"
	      "<th class=\"l\">run id</th><th class=\"l\">result directory</th></tr>\n",
	      f);
	for (size_t r = 0; r < cb_jlen(runs); r++) {
		json_object *run = cb_jidx(runs, r);

		fputs("<tr><td class=\"l\">", f);
		cb_html_esc(f, cb_jstr(run, "label"));
		fputs(r ? "" : " <b>(baseline)</b>", f);
		fputs("</td><td class=\"l\">", f);
		cb_html_esc(f, cb_jstr(run, "kernel_release"));
		fputs("</td><td class=\"l\">", f);
		cb_html_esc(f, cb_jstr(run, "run_id"));
		fputs("</td><td class=\"l\">", f);
		cb_html_esc(f, cb_jstr(run, "dir"));
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

/* The run labels as table header cells. */
static void cb_html_run_heads(FILE *f, json_object *runs, size_t from)
{
	for (size_t r = from; r < cb_jlen(runs); r++) {
		fputs("<th>", f);
		cb_html_esc(f, cb_jstr(cb_jidx(runs, r), "label"));
		fputs("</th>", f);
	}
}

static void cb_html_env_diff(FILE *f, json_object *cmp)
{
	json_object *diff = cb_jget(cmp, "env_diff"), *runs = cb_jget(cmp, "runs");

	fputs("<h2 id=\"envdiff\">Environment differences</h2>\n", f);
	if (!cb_jlen(diff)) {
		fputs("<p>None of the recorded settings differ.</p>\n", f);
		return;
	}
	fputs("<table class=\"envdiff\"><tr><th class=\"l\">field</th>", f);
	cb_html_run_heads(f, runs, 0);
	fputs("</tr>\n", f);
	for (size_t i = 0; i < cb_jlen(diff); i++) {
		json_object *d = cb_jidx(diff, i), *vals = cb_jget(d, "values");

		fputs("<tr><td class=\"l\">", f);
		cb_html_esc(f, cb_jstr(d, "field"));
		fputs("</td>", f);
		for (size_t r = 0; r < cb_jlen(vals); r++) {
			fputs("<td class=\"l\">", f);
			cb_html_value(f, cb_jidx(vals, r));
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void cb_html_behaviour(FILE *f, json_object *insts)
{
	size_t count = 0;

	fputs("<h2 id=\"behaviour\">Behaviour changes</h2>\n", f);
	for (size_t i = 0; i < cb_jlen(insts); i++) {
		json_object *in = cb_jidx(insts, i), *bc = cb_jget(in, "behaviour_changes");

		for (size_t k = 0; k < cb_jlen(bc); k++) {
			fputs(count++ ? "" : "<ul class=\"behaviour\">\n", f);
			fputs("<li><a href=\"#", f);
			cb_html_anchor(f, cb_jstr(in, "key"));
			fputs("\">", f);
			cb_html_esc(f, json_object_get_string(cb_jidx(bc, k)));
			fputs("</a></li>\n", f);
		}
	}
	fputs(count ? "</ul>\n" : "<p>No deterministic outcome (copy / reuse / nofault, faults, folio sizes, TLB"
				  " flushes) changed.</p>\n",
	      f);
}

static const char *cb_verdict_class(const char *v)
{
	if (!v)
		return "few";
	if (!strcmp(v, "regression"))
		return "regression";
	if (!strcmp(v, "improvement"))
		return "improvement";
	if (!strcmp(v, "not significant"))
		return "notsig";
	return "few";
}

/* A timing of a run under TCG emulation against a hardware one: compare did not compare it. */
static bool cb_html_not_compared(json_object *vs)
{
	json_object *c = cb_jget(vs, "compared");

	return c && !json_object_get_boolean(c);
}

/* The headline metric of an instance: ns_per_page, else its first compared statistic. */
static json_object *cb_html_headline(json_object *in)
{
	json_object *metrics = cb_jget(in, "metrics"), *first = NULL;

	for (size_t i = 0; i < cb_jlen(metrics); i++) {
		json_object *m = cb_jidx(metrics, i);

		if (strcmp(cb_jstr(m, "kind") ?: "", "stat"))
			continue;
		if (!strcmp(cb_jstr(m, "name") ?: "", "ns_per_page"))
			return m;
		first = first ?: m;
	}
	return first;
}

/* One row per instance: its headline ratio and verdict per run, and whether an outcome changed. */
static void cb_html_summary(FILE *f, json_object *insts, json_object *runs)
{
	fputs("<h2 id=\"summary\">Summary</h2>\n<table class=\"summary\"><tr><th class=\"l\">instance</th>"
	      "<th class=\"l\">metric</th>",
	      f);
	for (size_t r = 1; r < cb_jlen(runs); r++) {
		fputs("<th>", f);
		cb_html_esc(f, cb_jstr(cb_jidx(runs, r), "label"));
		fputs(" / baseline [95 % CI]</th><th class=\"l\">verdict</th>", f);
	}
	fputs("<th class=\"l\">outcomes</th></tr>\n", f);
	for (size_t i = 0; i < cb_jlen(insts); i++) {
		json_object *in = cb_jidx(insts, i), *m = cb_html_headline(in), *vs = cb_jget(m, "vs_baseline"),
			    *status = cb_jget(in, "status");
		size_t changes = cb_jlen(cb_jget(in, "behaviour_changes"));

		fputs("<tr><td class=\"l\"><a href=\"#", f);
		cb_html_anchor(f, cb_jstr(in, "key"));
		fputs("\">", f);
		cb_html_esc(f, cb_jstr(in, "key"));
		fputs("</a></td><td class=\"l\">", f);
		cb_html_esc(f, cb_jstr(m, "name") ?: "–");
		fputs("</td>", f);
		for (size_t r = 1; r < cb_jlen(runs); r++) {
			json_object *v = cb_jidx(vs, r), *st = cb_jidx(status, r), *st0 = cb_jidx(status, 0);
			const char *verdict = cb_jstr(v, "verdict"), *s0 = st0 ? json_object_get_string(st0) : "absent",
				   *s1 = st ? json_object_get_string(st) : "absent";

			if (!v) {
				/* No ratio: say which side did not run or was not ok. */
				fputs("<td>–</td><td class=\"l skip\">", f);
				cb_html_esc(f, strcmp(s0, "ok") ? s0 : strcmp(s1, "ok") ? s1 : "–");
				fputs(strcmp(s0, "ok") ? " in baseline</td>" : "</td>", f);
				continue;
			}
			if (cb_html_not_compared(v)) {
				fputs("<td>emulated</td><td class=\"l few\">not compared</td>", f);
				continue;
			}
			fprintf(f, "<td>%.3f", cb_jnum(v, "ratio"));
			if (!isnan(cb_jnum(v, "ci_lo")) && !isnan(cb_jnum(v, "ci_hi")))
				fprintf(f, " [%.3f, %.3f]", cb_jnum(v, "ci_lo"), cb_jnum(v, "ci_hi"));
			fprintf(f, "</td><td class=\"l %s\">", cb_verdict_class(verdict));
			cb_html_esc(f, verdict ?: "–");
			fputs("</td>", f);
		}
		if (changes)
			fprintf(f, "<td class=\"l changed\">%zu behaviour change%s</td></tr>\n", changes,
				changes == 1 ? "" : "s");
		else
			fputs("<td class=\"l\">same</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void cb_html_stat_row(FILE *f, json_object *m, size_t nruns)
{
	json_object *runs = cb_jget(m, "runs"), *vs = cb_jget(m, "vs_baseline");
	char num[64];

	for (size_t r = 0; r < nruns; r++) {
		json_object *s = cb_jidx(runs, r);

		if (!s) {
			fputs("<td><span class=\"none\">–</span></td>", f);
			continue;
		}
		fputs("<td>", f);
		cb_html_num(f, s, "median");
		fputs("<span class=\"sub\">", f);
		cb_html_num(f, s, "mean");
		fputs(" ± ", f);
		cb_html_num(f, s, "stddev");
		fputs(", ", f);
		cb_html_num(f, s, "min");
		fputs(" … ", f);
		cb_html_num(f, s, "max");
		fputs(", n = ", f);
		cb_html_num(f, s, "n");
		fputs("</span></td>", f);
	}
	for (size_t r = 1; r < nruns; r++) {
		json_object *v = cb_jidx(vs, r);
		const char *verdict = cb_jstr(v, "verdict");

		if (!v) {
			fputs("<td><span class=\"none\">–</span></td><td></td><td></td><td></td>", f);
			continue;
		}
		if (cb_html_not_compared(v)) {
			fputs("<td>emulated</td><td></td><td></td><td class=\"l few\">not compared</td>", f);
			continue;
		}
		snprintf(num, sizeof(num), "%.3f", cb_jnum(v, "ratio"));
		fprintf(f, "<td>%s", isnan(cb_jnum(v, "ratio")) ? "–" : num);
		if (!isnan(cb_jnum(v, "ci_lo")) && !isnan(cb_jnum(v, "ci_hi")))
			fprintf(f, " <span class=\"sub\">[%.3f, %.3f]</span>", cb_jnum(v, "ci_lo"),
				cb_jnum(v, "ci_hi"));
		fputs("</td><td>", f);
		cb_html_num(f, v, "p_welch");
		fputs("</td><td>", f);
		cb_html_num(f, v, "p_mannwhitney");
		fprintf(f, "</td><td class=\"l %s\">", cb_verdict_class(verdict));
		cb_html_esc(f, verdict ?: "–");
		fputs("</td>", f);
	}
}

static void cb_html_metric_head(FILE *f, json_object *runs, bool exact)
{
	fputs(exact ? "<table class=\"exact\"><tr><th class=\"l\">outcome (compared exactly)</th>" :
		      "<table class=\"stat\"><tr><th class=\"l\">metric</th>",
	      f);
	cb_html_run_heads(f, runs, 0);
	for (size_t r = 1; !exact && r < cb_jlen(runs); r++) {
		fputs("<th>ratio ", f);
		cb_html_esc(f, cb_jstr(cb_jidx(runs, r), "label"));
		fputs(" / baseline [95 % CI]</th><th>p (Welch)</th><th>p (Mann-Whitney)</th>"
		      "<th class=\"l\">verdict</th>",
		      f);
	}
	fputs("</tr>\n", f);
}

static void cb_html_instance(FILE *f, json_object *in, json_object *runs)
{
	json_object *metrics = cb_jget(in, "metrics"), *status = cb_jget(in, "status"),
		    *reason = cb_jget(in, "reason");
	size_t nruns = cb_jlen(runs);
	bool not_ok = false;
	int table = 0; /* open table: 1 stat, 2 exact */

	fputs("<h3 id=\"", f);
	cb_html_anchor(f, cb_jstr(in, "key"));
	fputs("\">", f);
	cb_html_esc(f, cb_jstr(in, "key"));
	if (cb_jlen(cb_jget(in, "behaviour_changes")))
		fputs("<span class=\"badge\">behaviour change</span>", f);
	fputs("</h3>\n", f);
	for (size_t r = 0; r < cb_jlen(status); r++)
		not_ok |= !cb_jidx(status, r) || strcmp(json_object_get_string(cb_jidx(status, r)), "ok");
	if (not_ok) {
		fputs("<table class=\"status\"><tr><th class=\"l\">status</th>", f);
		cb_html_run_heads(f, runs, 0);
		fputs("</tr><tr><td class=\"l\">status, reason</td>", f);
		for (size_t r = 0; r < nruns; r++) {
			json_object *st = cb_jidx(status, r);

			fputs("<td class=\"l skip\">", f);
			cb_html_esc(f, st ? json_object_get_string(st) : "absent");
			if (cb_jidx(reason, r)) {
				fputs(": ", f);
				cb_html_esc(f, json_object_get_string(cb_jidx(reason, r)));
			}
			fputs("</td>", f);
		}
		fputs("</tr></table>\n", f);
	}
	for (size_t i = 0; i < cb_jlen(metrics); i++) {
		json_object *m = cb_jidx(metrics, i);
		const char *kind = cb_jstr(m, "kind") ?: "", *unit = cb_jstr(m, "unit");
		int exact = !strcmp(kind, "exact") ? 2 : 1;

		if (exact != table) {
			fputs(table ? "</table>\n" : "", f);
			cb_html_metric_head(f, runs, exact == 2);
			table = exact;
		}
		fprintf(f, "<tr%s><td class=\"l\">",
			exact == 2 && json_object_get_boolean(cb_jget(m, "changed")) ? " class=\"changed\"" : "");
		cb_html_esc(f, cb_jstr(m, "name"));
		if (unit && *unit) {
			fputs(" (", f);
			cb_html_esc(f, unit);
			fputs(")", f);
		}
		if (exact == 1 && cb_jstr(m, "better")) {
			fputs("<span class=\"sub\">", f);
			cb_html_esc(f, cb_jstr(m, "better"));
			fputs(" is better</span>", f);
		}
		fputs("</td>", f);
		if (exact == 2) {
			for (size_t r = 0; r < nruns; r++) {
				fputs("<td>", f);
				cb_html_value(f, cb_jidx(cb_jget(m, "values"), r));
				fputs("</td>", f);
			}
		} else {
			cb_html_stat_row(f, m, nruns);
		}
		fputs("</tr>\n", f);
	}
	if (table)
		fputs("</table>\n", f);
}

static int cb_file_read(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "re");
	long size;
	int ret = 0;

	*buf = NULL;
	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		ret = -EIO;
		goto close_file;
	}
	*buf = malloc((size_t)size + 1);
	if (!*buf) {
		ret = -ENOMEM;
		goto close_file;
	}
	*len = fread(*buf, 1, (size_t)size, f);
	(*buf)[*len] = '\0';
	if (*len != (size_t)size) {
		free(*buf);
		*buf = NULL;
		ret = -EIO;
	}
close_file:
	fclose(f);
	return ret;
}

/* Inlines an SVG without its XML prolog. Every plot defines the same ids (gpPt0, gnuplot_canvas…):
 * they are prefixed per plot so that one page holding many stays valid. */
static int cb_html_svg(FILE *f, const char *path, int idx)
{
	static const char *const refs[] = { "id='", "id=\"", "href='#", "href=\"#", "url(#" };
	char *svg, *p;
	size_t len;
	int ret = cb_file_read(path, &svg, &len);

	if (ret)
		return ret;
	p = strstr(svg, "<svg");
	if (!p) {
		free(svg);
		return -EINVAL;
	}
	while (*p) {
		size_t k;

		for (k = 0; k < CB_ARRAY_SIZE(refs); k++)
			if (!strncmp(p, refs[k], strlen(refs[k])))
				break;
		if (k < CB_ARRAY_SIZE(refs)) {
			fprintf(f, "%sp%d-", refs[k], idx);
			p += strlen(refs[k]);
		} else {
			fputc(*p++, f);
		}
	}
	fputc('\n', f);
	free(svg);
	return 0;
}

static const char *cb_kind_heading(const char *kind)
{
	if (!strcmp(kind, "bars"))
		return "Time per page per scenario";
	if (!strcmp(kind, "folio"))
		return "Time per page against folio size";
	if (!strcmp(kind, "latency"))
		return "Latency distributions";
	return "COW outcomes";
}

static int cb_html_plots(FILE *f, const struct cb_plot_list *pl, const char *dir, const char *note)
{
	char path[PATH_MAX];
	int ret = 0;

	fputs("<h2 id=\"plots\">Plots</h2>\n", f);
	if (note) {
		fputs("<p class=\"warn\">No plots: ", f);
		cb_html_esc(f, note);
		fputs("</p>\n", f);
		return 0;
	}
	for (size_t p = 0; p < pl->n && !ret; p++) {
		const struct cb_plot *pt = &pl->v[p], *prev = p ? &pl->v[p - 1] : NULL, *next = pt + 1;
		/* One latency plot per instance: folded per scenario, or they bury everything else. */
		bool fold = !strcmp(pt->kind, "latency");
		size_t more = 0;

		if (!prev || strcmp(pt->kind, prev->kind))
			fprintf(f, "<h3>%s</h3>\n", cb_kind_heading(pt->kind));
		if (fold && (!prev || strcmp(prev->kind, "latency") || strcmp(prev->scenario, pt->scenario))) {
			while (p + more < pl->n && !strcmp(pl->v[p + more].kind, "latency") &&
			       !strcmp(pl->v[p + more].scenario, pt->scenario))
				more++;
			fputs("<details class=\"latency\"><summary>", f);
			cb_html_esc(f, pt->scenario);
			fprintf(f, ": %zu latency plot%s, one per backing</summary>\n", more, more == 1 ? "" : "s");
		}
		fprintf(f, "<figure class=\"plot %s\">\n", pt->kind);
		snprintf(path, sizeof(path), "%s/%s.svg", dir, pt->base);
		ret = cb_html_svg(f, path, (int)p);
		fputs("<figcaption>", f);
		cb_html_esc(f, pt->title);
		/* The files sit next to the report: links, not resources the page loads. */
		fputs(" — <a href=\"", f);
		cb_html_esc(f, pt->base);
		fputs(".png\">PNG</a>, <a href=\"", f);
		cb_html_esc(f, pt->base);
		fputs(".tsv\">data</a></figcaption>\n</figure>\n", f);
		if (fold && (p + 1 == pl->n || strcmp(next->kind, "latency") || strcmp(next->scenario, pt->scenario)))
			fputs("</details>\n", f);
	}
	return ret;
}

static void cb_html_envs(FILE *f, const struct cb_resultset *sets, int n)
{
	fputs("<h2 id=\"environment\">Environment of every run</h2>\n", f);
	for (int s = 0; s < n; s++) {
		fputs("<details><summary>", f);
		cb_html_esc(f, sets[s].label);
		fputs(" — ", f);
		cb_html_esc(f, sets[s].dir);
		fputs("/env.json</summary>\n<pre>", f);
		cb_html_esc(f, json_object_to_json_string_ext(sets[s].env, JSON_C_TO_STRING_PRETTY |
									    JSON_C_TO_STRING_SPACED |
									    JSON_C_TO_STRING_NOSLASHESCAPE));
		fputs("</pre></details>\n", f);
	}
}

static int cb_html_write(FILE *f, json_object *cmp, const struct cb_resultset *sets, int n,
			 const struct cb_plot_list *pl, const char *dir, const char *note)
{
	json_object *runs = cb_jget(cmp, "runs"), *insts = cb_jget(cmp, "instances"),
		    *warnings = cb_jget(cmp, "warnings");

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>cowbench: ", f);
	for (size_t r = 0; r < cb_jlen(runs); r++) {
		fputs(r ? (r == 1 ? " vs " : ", ") : "", f);
		cb_html_esc(f, cb_jstr(cb_jidx(runs, r), "label"));
	}
	fprintf(f, "</title>\n<style>%s</style></head><body>\n<h1>cowbench: kernel comparison</h1>\n", cb_css);
	fputs("<p>Baseline: <b>", f);
	cb_html_esc(f, cb_jstr(cmp, "baseline"));
	fputs("</b>. Ratios are run / baseline; a verdict is a regression or an improvement only when it is"
	      " significant, knowing whether lower or higher is better for the metric.</p>\n",
	      f);
	cb_html_runs(f, cmp);
	if (json_object_get_boolean(cb_jget(cmp, "forced")))
		fputs("<p class=\"warn\">Compared with --force: the runs differ in machine or settings (see the"
		      " environment differences).</p>\n",
		      f);
	for (size_t i = 0; i < cb_jlen(warnings); i++) {
		fputs("<p class=\"warn\">", f);
		cb_html_esc(f, json_object_get_string(cb_jidx(warnings, i)));
		fputs("</p>\n", f);
	}
	fputs("<p>Contents: <a href=\"#summary\">summary</a>, <a href=\"#behaviour\">behaviour changes</a>,"
	      " <a href=\"#envdiff\">environment differences</a>, <a href=\"#plots\">plots</a>,"
	      " <a href=\"#instances\">results per instance</a>, <a href=\"#environment\">environment of every"
	      " run</a>.</p>\n",
	      f);
	cb_html_summary(f, insts, runs);
	cb_html_behaviour(f, insts);
	cb_html_env_diff(f, cmp);
	if (cb_html_plots(f, pl, dir, note))
		return -EIO;
	fputs("<h2 id=\"instances\">Results per instance</h2>\n<p>Cells: median, then mean ± standard deviation,"
	      " min … max and the number of repetitions.</p>\n",
	      f);
	for (size_t i = 0; i < cb_jlen(insts); i++)
		cb_html_instance(f, cb_jidx(insts, i), runs);
	cb_html_envs(f, sets, n);
	fputs("</body></html>\n", f);
	return ferror(f) ? -EIO : 0;
}

int cb_report_html(json_object *cmp, const struct cb_resultset *sets, int n, const char *dir, char *err,
		   size_t errlen)
{
	char path[PATH_MAX], tmp[PATH_MAX], note[512] = "";
	struct cb_plot_list pl;
	FILE *f;
	int ret;

	if (mkdir(dir, 0755) && errno != EEXIST) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return ret;
	}
	ret = cb_plots_render(sets, n, dir, &pl, note, sizeof(note));
	/* Without gnuplot the tables still make a report; the page says why it has no plots. */
	if (ret && ret != -ENOENT) {
		snprintf(err, errlen, "%s", note);
		goto free_plots;
	}
	snprintf(path, sizeof(path), "%s/report.html", dir);
	snprintf(tmp, sizeof(tmp), "%s/.report.html.tmp", dir);
	f = fopen(tmp, "we");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto free_plots;
	}
	ret = cb_html_write(f, cmp, sets, n, &pl, dir, ret ? note : NULL);
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		unlink(tmp);
	} else if (note[0]) {
		snprintf(err, errlen, "report written without plots: %s", note);
	}
free_plots:
	free(pl.v);
	return ret;
}
