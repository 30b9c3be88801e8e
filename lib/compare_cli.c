/* The `cowbench compare` command: options, loading the result sets, and writing the rendered
 * comparison to stdout or, complete or not at all, to --out DIR. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cb.h"
#include "cmpjudge.h"
#include "compare.h"
#include "render.h"
#include "report.h"

#define CMP_EXIT_USAGE 2

enum cmp_format { CMP_TEXT, CMP_MARKDOWN, CMP_CSV, CMP_TSV, CMP_JSON, CMP_HTML };

static const struct {
	const char *name, *file;
} cmp_formats[] = {
	[CMP_TEXT] = { "text", "compare.txt" },	 [CMP_MARKDOWN] = { "markdown", "compare.md" },
	[CMP_CSV] = { "csv", "compare.csv" },	 [CMP_TSV] = { "tsv", "compare.tsv" },
	[CMP_JSON] = { "json", "compare.json" }, [CMP_HTML] = { "html", "report.html" },
};

static const char cmp_usage[] =
	"usage: cowbench compare [--format text|markdown|csv|tsv|json|html] [--out DIR] [--force]\n"
	"                        [--timings] [--fdr Q] [--min-effect E] [--fail-on WHAT] [--drift FILE]\n"
	"                        BASELINE OTHER...    or    [--paired] A1 A2 ... -- B1 B2 ... [-- C1 ...]\n"
	"       cowbench compare --calibrate A1 A2 A3 A4 A5 ... --out FILE\n"
	"Compares result sets (a run directory, or a kernel-release directory: its newest run) with the\n"
	"first one. First the common shift: the median ratio of every timing test (and per backing\n"
	"family), with the instances' spread around it. Per instance and metric: n, median, mean ± sd,\n"
	"min … max, the ratio of geometric means to the baseline with a 95 % confidence interval, the p\n"
	"of Welch's t on the logs (the rank test only where the sizes let it reach the threshold one\n"
	"discovery needs), its Benjamini-Hochberg q over every test of the comparison, the effect the\n"
	"runs could detect (80 % power at that threshold), and a verdict: regression or improvement\n"
	"only when q < --fdr, the interval excludes 1 and the difference is at least --min-effect.\n"
	"Verdicts are of two kinds. Relative (always): did the instance move beyond the common shift.\n"
	"Absolute (against 1): only with run-level error, from several runs per side, rounds\n"
	"(--paired) or a drift file (--drift); with one run per side and none, a common shift beyond\n"
	"--min-effect cannot be told from run-to-run drift, and the output says so. Variances are never\n"
	"taken below the metric's resolution (histogram bucket, timer, one event). Outcomes (COW\n"
	"classes, fault totals, TLB flushes by reason, folio sizes) of deterministic scenarios are\n"
	"compared as integers (a difference is a behaviour change, \"in k of n repetitions\" where only\n"
	"some differ); others as distributions with a spread of their own. Disturbed repetitions are\n"
	"left out and counted. Runs under TCG emulation (the VM runner) are marked; their times are not\n"
	"hardware times, so against a hardware run only their outcomes are compared.\n"
	"Sides: without --, every result set is a side. With --, the result sets between separators are\n"
	"runs (boots) of one side: when every side has two runs or more, each run's mean is a sample.\n"
	"  --format F      text (default; coloured on a terminal), markdown, csv, tsv, json, html\n"
	"  --out DIR       write DIR/compare.<txt|md|csv|tsv|json> or DIR/report.html (html needs\n"
	"                  --out); DIR must not exist or be empty, and appears only complete\n"
	"  --force         compare result sets from different machines (hostname, CPU) or THP settings\n"
	"                  (not needed for a VM guest against its host)\n"
	"  --timings       compare the timings of emulated runs with hardware ones too (with a warning)\n"
	"  --fdr Q         false discovery rate of the Benjamini-Hochberg procedure (default 0.05)\n"
	"  --min-effect E  smallest difference that can be significant: 2% or 0.02 (default 2%)\n"
	"  --paired        the sides' runs are rounds of interleaved boots (A B A B ...): run i of each\n"
	"                  side is round i, and each round's ratio is one sample (drift cancels)\n"
	"  --calibrate     write the run-to-run drift of this machine, from 5 or more runs of one kernel,\n"
	"                  to --out FILE\n"
	"  --drift FILE    judge one run per side against 1 with that drift (refused on another\n"
	"                  machine, other THP settings, or native against TCG)\n"
	"  --fail-on WHAT  exit status for git bisect run: WHAT is regression (any regression), change\n"
	"                  (a behaviour change, or an outcome whose distribution changed) or a metric's\n"
	"                  name (ns_per_page, latency_ns.p99, cow.copy: a regression or change in it);\n"
	"                  comma-separated or repeated. Exit 0 none found, 1 found, 125 cannot judge\n"
	"                  (nothing found, but an instance is ok on one side and skipped, failed or\n"
	"                  missing on another, a named metric was never compared, or a common shift\n"
	"                  beyond --min-effect has no run-level error to be judged with)\n"
	"Exit status: 0 done, 1 output could not be written (3 with --fail-on), 2 usage or bad input.\n";

static int cmp_usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "cowbench: compare: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see cowbench compare --help)\n");
	return CMP_EXIT_USAGE;
}

/* One line, whatever the message carries (json-c's errors end in a newline). */
static void cmp_error(const char *what, const char *msg)
{
	char line[2048];
	size_t len;

	snprintf(line, sizeof(line), "%s%s%s", what ? what : "", what ? ": " : "", msg);
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	len = strlen(line);
	while (len && line[len - 1] == ' ')
		line[--len] = '\0';
	fprintf(stderr, "cowbench: compare: %s\n", line);
}

static int cmp_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* --out DIR must be new or empty: replacing a directory of other files would lose them. */
/* --out DIR: room for ".DIR.tmp-XXXXXX/" and the longest file name written inside. */
#define CMP_OUT_MAX (PATH_MAX - 300)

static int cmp_out_check(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	bool empty = true;

	/* Every path built from DIR must fit: refused here rather than cut short later. */
	if (strlen(dir) > CMP_OUT_MAX) {
		snprintf(err, errlen, "--out: a path longer than %d bytes", CMP_OUT_MAX);
		return -1;
	}
	if (stat(dir, &st)) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: exists and is not a directory", dir);
		return -1;
	}
	d = opendir(dir);
	if (!d) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) && empty)
		empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
	closedir(d);
	if (!empty) {
		snprintf(err, errlen, "%s: exists and is not empty (remove it or choose another --out)", dir);
		return -1;
	}
	return 0;
}

/* A temporary directory beside dir, so the final rename stays within one file system. */
static int cmp_out_begin(const char *dir, char *tmp, size_t len, char *err, size_t errlen)
{
	char a[PATH_MAX], b[PATH_MAX], *parent, *base;
	mode_t mask;
	int ret;

	snprintf(a, sizeof(a), "%s", dir);
	snprintf(b, sizeof(b), "%s", dir);
	for (size_t l = strlen(a); l > 1 && a[l - 1] == '/'; l--)
		a[l - 1] = b[l - 1] = '\0';
	parent = dirname(a);
	base = basename(b);
	ret = cb_mkdir_p(parent);
	if (ret) {
		snprintf(err, errlen, "%s: %s", parent, strerror(-ret));
		return -1;
	}
	snprintf(tmp, len, "%s/.%s.tmp-XXXXXX", parent, base);
	if (!mkdtemp(tmp)) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	/* mkdtemp's 0700 would stay on DIR after the rename. */
	mask = umask(0);
	umask(mask);
	chmod(tmp, 0777 & ~mask);
	return 0;
}

static int cmp_render(enum cmp_format fmt, json_object *model, FILE *f, bool colour)
{
	struct cb_cmp_out o = { .f = f, .colour = colour };
	/* JSON escapes what it must itself; every other format gets display-safe strings. */
	json_object *cmp = fmt == CMP_JSON ? json_object_get(model) : cb_display_copy(model);
	int ret;

	switch (fmt) {
	case CMP_TEXT:
		cb_render_text(&o, cmp);
		break;
	case CMP_MARKDOWN:
		cb_render_markdown(&o, cmp);
		break;
	case CMP_CSV:
		cb_render_sv(&o, cmp, ',');
		break;
	case CMP_TSV:
		cb_render_sv(&o, cmp, '\t');
		break;
	case CMP_JSON:
		cb_render_json(&o, cmp);
		break;
	case CMP_HTML:
		break;
	}
	ret = fflush(f) || ferror(f) ? -EIO : 0;
	json_object_put(cmp);
	return ret;
}

/* --min-effect: "2%" or "0.02". */
static int cmp_parse_fraction(const char *v, bool percent_ok, double *out)
{
	char *end;
	double d = strtod(v, &end);

	if (end == v)
		return -EINVAL;
	if (percent_ok && *end == '%') {
		d /= 100;
		end++;
	}
	if (*end || !(d >= 0 && d < 1))
		return -EINVAL;
	*out = d;
	return 0;
}

#define CMP_FAIL_MAX 16

/* Whether a metric is one of --fail-on's names. */
static bool cmp_fail_named(char fail[][64], int nfail, const char *name)
{
	for (int i = 0; i < nfail; i++)
		if (name && strcmp(fail[i], name) == 0)
			return true;
	return false;
}

/*
 * --fail-on: 1 when a named kind of difference is in the comparison, else 125 when something
 * could not be judged (an instance not ok or missing on a side, a named metric never compared, a
 * common shift with no run-level error), else 0.
 */
static int cmp_fail_status(json_object *cmp, char fail[][64], int nfail)
{
	json_object *inst = cb_jget(cmp, "instances");
	bool any_regr = cmp_fail_named(fail, nfail, "regression"), any_change = cmp_fail_named(fail, nfail, "change");
	bool bad = false, unjudged = false, seen[CMP_FAIL_MAX] = { false }, shift_unjudged = false;
	bool bad_absolute = false, bad_change = false;

	for (size_t i = 0; i < cb_jlen(inst); i++) {
		json_object *in = cb_jidx(inst, i), *metrics = cb_jget(in, "metrics"), *st = cb_jget(in, "status");

		size_t ok = 0;

		/* Not ok on every side alike (a machine without a second CPU) hides nothing; ok on one
		 * side only is a comparison that could not be made. */
		for (size_t r = 0; r < cb_jlen(st); r++)
			ok += cb_jidx(st, r) && strcmp(json_object_get_string(cb_jidx(st, r)), "ok") == 0;
		unjudged |= ok && ok < cb_jlen(st);
		for (size_t m = 0; m < cb_jlen(metrics); m++) {
			json_object *mo = cb_jidx(metrics, m), *vs = cb_jget(mo, "vs_baseline");
			const char *name = cb_jstr(mo, "name");
			bool named = cmp_fail_named(fail, nfail, name);

			for (int f = 0; f < nfail; f++)
				if (name && strcmp(fail[f], name) == 0 &&
				    (json_object_get_boolean(cb_jget(mo, "compared")) || cb_jlen(vs)))
					seen[f] = true;
			if (json_object_get_boolean(cb_jget(mo, "changed")) && (any_change || named))
				bad = bad_change = true;
			for (size_t r = 1; r < cb_jlen(vs); r++) {
				json_object *e = cb_jidx(vs, r);
				const char *v = cb_jstr(e, "verdict") ?: "";

				if (!strcmp(v, "regression") && (any_regr || named)) {
					bad = true;
					bad_absolute |= strcmp(cb_jstr(e, "verdict_kind") ?: "", "relative") != 0;
				}
				if (!strcmp(v, "changed") && (any_change || named))
					bad = bad_change = true;
			}
		}
	}
	for (int f = 0; f < nfail; f++)
		unjudged |= !seen[f] && strcmp(fail[f], "regression") && strcmp(fail[f], "change");
	/* The shift every timing shares: judged against 1 only with run-level error. Without it, a
	 * shift beyond --min-effect cannot be told from drift, and a verdict relative to it is no
	 * answer to "is B slower": 125, never 0. */
	for (size_t s = 1; any_regr && s < cb_jlen(cb_jget(cmp, "shift")); s++) {
		const char *v = cb_jstr(cb_jidx(cb_jget(cmp, "shift"), s), "verdict") ?: "";

		if (!strcmp(v, "regression"))
			bad = true;
		if (!strcmp(v, "cannot judge"))
			shift_unjudged = true;
	}
	if (shift_unjudged && !bad_absolute && !bad_change)
		return 125;
	return bad ? 1 : unjudged ? 125 : 0;
}

/* compare --calibrate A1 ... A5 --out FILE: the drift file of this machine. */
static int cmp_calibrate(char **paths, int n, bool grouped, const char *out)
{
	struct cb_resultset *sets;
	char err[2048] = "";
	json_object *d = NULL;
	int loaded = 0, status = CMP_EXIT_USAGE;

	if (grouped || !out) {
		cmp_usage_error("--calibrate takes the runs of one kernel (no --) and --out FILE%s", "");
		return CMP_EXIT_USAGE;
	}
	if (n < CB_DRIFT_MIN_RUNS) {
		fprintf(stderr, "cowbench: compare: --calibrate needs at least %d runs of one kernel, not %d\n",
			CB_DRIFT_MIN_RUNS, n);
		return CMP_EXIT_USAGE;
	}
	sets = calloc((size_t)n, sizeof(*sets));
	if (!sets)
		return 1;
	for (; loaded < n; loaded++)
		if (cb_resultset_load(paths[loaded], &sets[loaded], err, sizeof(err))) {
			cmp_error(NULL, err);
			goto free_sets;
		}
	d = cb_drift_build(sets, n, err, sizeof(err));
	if (!d) {
		cmp_error(NULL, err);
		goto free_sets;
	}
	if (json_object_to_file_ext(out, d, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE)) {
		fprintf(stderr, "cowbench: compare: %s: %s\n", out, strerror(errno ?: EIO));
		status = 1;
		goto free_sets;
	}
	fprintf(stderr, "cowbench: compare: wrote %s: %d runs, a run's common shift drifts by ±%.1f%% (sd)\n", out, n,
		100 * (exp(cb_jnum(d, "shift_sd")) - 1));
	status = 0;
free_sets:
	json_object_put(d);
	for (int i = 0; i < loaded; i++)
		cb_resultset_free(&sets[i]);
	free(sets);
	return status;
}

int cb_compare_main(int argc, char **argv)
{
	enum cmp_format fmt = CMP_TEXT;
	const char *out = NULL;
	char **paths, err[2048], tmp[PATH_MAX] = "", fail[CMP_FAIL_MAX][64];
	struct cb_resultset *sets = NULL;
	struct cb_cmp_opts opts = { .fdr = CB_CMP_FDR, .min_effect = CB_CMP_MIN_EFFECT };
	json_object *cmp = NULL;
	int npaths = 0, status = CMP_EXIT_USAGE, loaded = 0, nfail = 0, side = 0, *side_of, write_fail = 1;
	bool grouped = false, calibrate = false;
	const char *drift_path = NULL;
	struct cb_drift drift = { 0 };

	paths = calloc((size_t)argc + 1, sizeof(*paths));
	side_of = calloc((size_t)argc + 1, sizeof(*side_of));
	if (!paths || !side_of) {
		free(paths);
		free(side_of);
		return 1;
	}
	for (int i = 0; i < argc; i++) {
		static const char *const valued[] = { "--out", "--format", "--fdr", "--min-effect", "--fail-on", "--drift" };
		const char *a = argv[i], *val = NULL, *opt = NULL;
		size_t l = 0;

		if (strcmp(a, "--") == 0) {
			/* A separator between sides: the runs before it are one side. */
			if (!npaths || side_of[npaths - 1] != side) {
				status = cmp_usage_error("-- must follow a side's result directories%s", "");
				goto free_paths;
			}
			grouped = true;
			side++;
			continue;
		}
		if (a[0] != '-' || !a[1]) {
			side_of[npaths] = side;
			paths[npaths++] = argv[i];
			continue;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(cmp_usage, stdout);
			status = 0;
			goto free_paths;
		}
		if (strcmp(a, "--force") == 0 || strcmp(a, "--timings") == 0 || strcmp(a, "--paired") == 0) {
			opts.flags |= a[2] == 'f' ? CB_CMP_FORCE : a[2] == 't' ? CB_CMP_TIMINGS : CB_CMP_PAIRED;
			continue;
		}
		if (strcmp(a, "--calibrate") == 0) {
			calibrate = true;
			continue;
		}
		for (size_t k = 0; k < CB_ARRAY_SIZE(valued) && !opt; k++) {
			l = strlen(valued[k]);
			if (strncmp(a, valued[k], l) == 0 && (!a[l] || a[l] == '='))
				opt = valued[k];
		}
		if (!opt) {
			status = cmp_usage_error("unknown option '%s'", a);
			goto free_paths;
		}
		val = a[l] == '=' ? a + l + 1 : i + 1 < argc ? argv[++i] : NULL;
		if (!val || !*val) {
			status = cmp_usage_error("%s needs a value", opt);
			goto free_paths;
		}
		if (strcmp(opt, "--out") == 0) {
			out = val;
		} else if (strcmp(opt, "--drift") == 0) {
			drift_path = val;
		} else if (strcmp(opt, "--fdr") == 0) {
			if (cmp_parse_fraction(val, false, &opts.fdr) || opts.fdr == 0) {
				status = cmp_usage_error("--fdr '%s': a false discovery rate between 0 and 1", val);
				goto free_paths;
			}
		} else if (strcmp(opt, "--min-effect") == 0) {
			if (cmp_parse_fraction(val, true, &opts.min_effect)) {
				status = cmp_usage_error("--min-effect '%s': a fraction (0.02) or a percentage (2%%)",
							 val);
				goto free_paths;
			}
		} else if (strcmp(opt, "--fail-on") == 0) {
			char list[512], *save = NULL;

			snprintf(list, sizeof(list), "%s", val);
			for (char *w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
				if (nfail == CMP_FAIL_MAX || strlen(w) >= sizeof(fail[0])) {
					status = cmp_usage_error("--fail-on '%s': too many or too long names", val);
					goto free_paths;
				}
				snprintf(fail[nfail++], sizeof(fail[0]), "%s", w);
			}
		} else {
			for (fmt = 0; fmt < CB_ARRAY_SIZE(cmp_formats) && strcmp(val, cmp_formats[fmt].name); fmt++)
				;
			if (fmt == CB_ARRAY_SIZE(cmp_formats)) {
				status = cmp_usage_error("unknown format '%s' (text, markdown, csv, tsv, json, html)", val);
				goto free_paths;
			}
		}
	}
	if (nfail)
		write_fail = 3;
	if (grouped && (!npaths || side_of[npaths - 1] != side)) {
		status = cmp_usage_error("-- must be followed by a side's result directories%s", "");
		goto free_paths;
	}
	if (calibrate) {
		status = cmp_calibrate(paths, npaths, grouped, out);
		goto free_paths;
	}
	if (!grouped)
		for (int i = 0; i < npaths; i++)
			side_of[i] = i;
	if ((opts.flags & CB_CMP_PAIRED) && !grouped) {
		status = cmp_usage_error("--paired pairs the runs of sides given as A1 A2 ... -- B1 B2 ...%s", "");
		goto free_paths;
	}
	if ((grouped ? side + 1 : npaths) < 2 || (grouped ? side + 1 : npaths) > CB_CMP_MAX_RUNS) {
		status = cmp_usage_error("needs a baseline result directory and 1 to 25 others%s", "");
		goto free_paths;
	}
	if (fmt == CMP_HTML && !out) {
		status = cmp_usage_error("--format html writes DIR/report.html: it needs --out DIR%s", "");
		goto free_paths;
	}
	if (out && cmp_out_check(out, err, sizeof(err))) {
		cmp_error(NULL, err);
		goto free_paths;
	}
	sets = calloc((size_t)npaths, sizeof(*sets));
	if (!sets) {
		status = 1;
		goto free_paths;
	}
	for (; loaded < npaths; loaded++)
		if (cb_resultset_load(paths[loaded], &sets[loaded], err, sizeof(err))) {
			cmp_error(NULL, err);
			goto free_sets;
		}
	if (drift_path) {
		if (cb_drift_load(drift_path, sets, npaths, &drift, err, sizeof(err))) {
			cmp_error(NULL, err);
			goto free_sets;
		}
		opts.drift = &drift;
	}
	cmp = cb_compare_build_sides(sets, npaths, side_of, &opts, err, sizeof(err));
	if (!cmp) {
		cmp_error(NULL, err);
		goto free_sets;
	}
	status = write_fail;
	if (!out) {
		if (cmp_render(fmt, cmp, stdout, fmt == CMP_TEXT && isatty(STDOUT_FILENO) && !getenv("NO_COLOR"))) {
			fprintf(stderr, "cowbench: compare: writing the output: %s\n", strerror(errno ?: EIO));
			goto free_sets;
		}
		status = nfail ? cmp_fail_status(cmp, fail, nfail) : 0;
		goto free_sets;
	}
	if (cmp_out_begin(out, tmp, sizeof(tmp), err, sizeof(err))) {
		cmp_error(NULL, err);
		tmp[0] = '\0';
		goto free_sets;
	}
	if (fmt == CMP_HTML) {
		int ret;

		err[0] = '\0';
		json_object *disp = cb_display_copy(cmp);

		ret = cb_report_html(disp, sets, npaths, tmp, err, sizeof(err));
		json_object_put(disp);
		if (ret) {
			cmp_error("report", err[0] ? err : strerror(-ret));
			goto remove_tmp;
		}
	} else {
		char file[PATH_MAX];
		FILE *f;
		int ret;

		snprintf(file, sizeof(file), "%s/%s", tmp, cmp_formats[fmt].file);
		f = fopen(file, "we");
		if (!f) {
			fprintf(stderr, "cowbench: compare: %s: %s\n", file, strerror(errno));
			goto remove_tmp;
		}
		ret = cmp_render(fmt, cmp, f, false);
		if (fclose(f) || ret) {
			fprintf(stderr, "cowbench: compare: %s: %s\n", file, strerror(EIO));
			goto remove_tmp;
		}
	}
	if (rename(tmp, out)) {
		fprintf(stderr, "cowbench: compare: %s: %s\n", out, strerror(errno));
		goto remove_tmp;
	}
	fprintf(stderr, "cowbench: compare: wrote %s/%s\n", out, cmp_formats[fmt].file);
	status = nfail ? cmp_fail_status(cmp, fail, nfail) : 0;
	goto free_sets;
remove_tmp:
	nftw(tmp, cmp_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
free_sets:
	cb_drift_free(&drift);
	json_object_put(cmp);
	for (int i = 0; i < loaded; i++)
		cb_resultset_free(&sets[i]);
	free(sets);
free_paths:
	free(paths);
	free(side_of);
	return status;
}

