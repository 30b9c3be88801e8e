/* The `cowbench compare` command: options, loading the result sets, and writing the rendered
 * comparison to stdout or, complete or not at all, to --out DIR. */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cb.h"
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
	"                        [--timings] BASELINE OTHER...\n"
	"Compares result sets (a run directory, or a kernel-release directory: its newest run) with the\n"
	"first one: per instance and metric n, median, mean ± sd, min … max, the ratio to the baseline with\n"
	"a 95 % confidence interval, Welch's t-test and Mann-Whitney U p-values, and a verdict (regression\n"
	"or improvement only when Welch p < 0.05 and the interval excludes 1); COW outcomes, faults and\n"
	"allocations per page, TLB flushes and folio sizes compared exactly (a change is a behaviour\n"
	"change); environment differences first. Runs under TCG emulation (the VM runner) are marked;\n"
	"their times are not hardware times, so against a hardware run only their outcomes are compared.\n"
	"  --format F  text (default; coloured on a terminal), markdown, csv, tsv, json, html\n"
	"  --out DIR   write DIR/compare.<txt|md|csv|tsv|json> or DIR/report.html (html needs --out);\n"
	"              DIR must not exist or be empty, and appears only complete\n"
	"  --force     compare result sets from different machines (hostname, CPU) or THP settings\n"
	"              (not needed for a VM guest against its host)\n"
	"  --timings   compare the timings of emulated runs with hardware ones too (with a warning)\n"
	"Exit status: 0 done, 1 output could not be written, 2 usage or bad input.\n";


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
static int cmp_out_check(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	bool empty = true;

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
	char a[1024], b[1024], *parent, *base;
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

static int cmp_render(enum cmp_format fmt, json_object *cmp, FILE *f, bool colour)
{
	struct cb_cmp_out o = { .f = f, .colour = colour };

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
	return fflush(f) || ferror(f) ? -EIO : 0;
}

int cb_compare_main(int argc, char **argv)
{
	enum cmp_format fmt = CMP_TEXT;
	const char *out = NULL;
	char **paths, err[2048], tmp[1100] = "";
	struct cb_resultset *sets = NULL;
	json_object *cmp = NULL;
	int npaths = 0, status = CMP_EXIT_USAGE, loaded = 0;
	unsigned flags = 0;
	bool opts_done = false;

	paths = calloc((size_t)argc + 1, sizeof(*paths));
	if (!paths)
		return 1;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		bool is_out = strncmp(a, "--out", 5) == 0;
		size_t l = is_out ? 5 : 8;

		if (opts_done || a[0] != '-' || !a[1]) {
			paths[npaths++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			opts_done = true;
			continue;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(cmp_usage, stdout);
			status = 0;
			goto free_paths;
		}
		if (strcmp(a, "--force") == 0 || strcmp(a, "--timings") == 0) {
			flags |= a[2] == 'f' ? CB_CMP_FORCE : CB_CMP_TIMINGS;
			continue;
		}
		if ((!is_out && strncmp(a, "--format", 8)) || (a[l] && a[l] != '=')) {
			status = cmp_usage_error("unknown option '%s'", a);
			goto free_paths;
		}
		val = a[l] == '=' ? a + l + 1 : i + 1 < argc ? argv[++i] : NULL;
		if (!val || !*val) {
			status = cmp_usage_error("%s needs a value", is_out ? "--out" : "--format");
			goto free_paths;
		}
		if (is_out) {
			out = val;
			continue;
		}
		for (fmt = 0; fmt < CB_ARRAY_SIZE(cmp_formats) && strcmp(val, cmp_formats[fmt].name); fmt++)
			;
		if (fmt == CB_ARRAY_SIZE(cmp_formats)) {
			status = cmp_usage_error("unknown format '%s' (text, markdown, csv, tsv, json, html)", val);
			goto free_paths;
		}
	}
	if (npaths < 2 || npaths > CB_CMP_MAX_RUNS) {
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
	cmp = cb_compare_build(sets, npaths, flags, err, sizeof(err));
	if (!cmp) {
		cmp_error(NULL, err);
		goto free_sets;
	}
	status = 1;
	if (!out) {
		if (cmp_render(fmt, cmp, stdout, fmt == CMP_TEXT && isatty(STDOUT_FILENO) && !getenv("NO_COLOR"))) {
			fprintf(stderr, "cowbench: compare: writing the output: %s\n", strerror(errno ?: EIO));
			goto free_sets;
		}
		status = 0;
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
		ret = cb_report_html(cmp, sets, npaths, tmp, err, sizeof(err));
		if (ret) {
			cmp_error("report", err[0] ? err : strerror(-ret));
			goto remove_tmp;
		}
	} else {
		char file[1200];
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
	status = 0;
	goto free_sets;
remove_tmp:
	nftw(tmp, cmp_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
free_sets:
	json_object_put(cmp);
	for (int i = 0; i < loaded; i++)
		cb_resultset_free(&sets[i]);
	free(sets);
free_paths:
	free(paths);
	return status;
}

