#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"
#include "resultset.h"
#include "unit.h"

/*
 * Plot data and the HTML report from two hand-made result sets. gnuplot is replaced by a shell
 * script (first on PATH) that logs its -e expression and writes a tiny SVG, so the TSV figures and
 * the page are checked exactly whether or not gnuplot is installed; tests/integration/plots.sh
 * renders with the real one.
 */

struct report_fixture {
	char dir[64];     /* scratch: bin/ (fake gnuplot), plots/ (empty scripts), out/ */
	char out[96];
	char *old_path;
	struct cb_resultset sets[2];
};

static json_object *report_rec(const char *scn, const char *backing, int rep, const char *status, double ns,
			       const char *more)
{
	char buf[1024];

	snprintf(buf, sizeof(buf),
		 "{\"schema\":1,\"scenario\":\"%s\",\"backing\":\"%s\",\"size\":8388608,\"size_h\":\"8M\","
		 "\"page_size\":4096,\"rep\":%d,\"status\":\"%s\",\"ns_per_page\":%g%s%s}",
		 scn, backing, rep, status, ns, more[0] ? "," : "", more);
	return json_tokener_parse(buf);
}

static void report_add(struct cb_resultset *rs, json_object *rec)
{
	rs->records = realloc(rs->records, sizeof(*rs->records) * (rs->nrecords + 1));
	rs->records[rs->nrecords++] = rec;
}

static void report_sets(struct cb_resultset sets[2])
{
	static const char reuse[] = "\"cow\":{\"copy\":0,\"reuse\":2048,\"nofault\":0}";
	struct cb_resultset *a = &sets[0], *b = &sets[1];

	memset(sets, 0, 2 * sizeof(*sets));
	/* Same kernel on both sides: the plots must tell the runs apart by run id. */
	snprintf(a->label, sizeof(a->label), "6.18.0");
	snprintf(b->label, sizeof(b->label), "6.18.0");
	snprintf(a->dir, sizeof(a->dir), "/r/a");
	snprintf(b->dir, sizeof(b->dir), "/r/b");
	a->env = json_tokener_parse("{\"kernel\":{\"release\":\"6.18.0\"},\"run_id\":\"A1\",\"thp\":{\"hpage_pmd_size\":2097152},\"note\":\"a<b\"}");
	b->env = json_tokener_parse("{\"kernel\":{\"release\":\"6.18.0\"},\"run_id\":\"B1\",\"thp\":{\"hpage_pmd_size\":2097152}}");
	report_add(a, report_rec("cow_reuse", "base", 1, "ok", 10,
				 "\"cow\":{\"copy\":0,\"reuse\":2048,\"nofault\":0},"
				 "\"latency_hist\":[[100,199,1],[200,299,1]]"));
	report_add(a, report_rec("cow_reuse", "base", 2, "ok", 12, "\"cow\":{\"copy\":0,\"reuse\":2048,\"nofault\":0},"
								   "\"latency_hist\":[[200,299,2]]"));
	report_add(a, report_rec("cow_reuse", "base", 3, "ok", 14, reuse));
	report_add(a, report_rec("cow_reuse", "thp", 1, "ok", 50, "\"cow\":{\"copy\":0,\"reuse\":1,\"nofault\":3}"));
	report_add(a, report_rec("cow_reuse", "thp_pte", 1, "ok", 20,
				 "\"cow\":{\"copy\":2048,\"reuse\":0,\"nofault\":0}"));
	report_add(a, report_rec("fault_anon", "base", 1, "ok", 100, "\"cow\":{\"copy\":0,\"first_touch\":2048}"));
	report_add(a, report_rec("fault_anon", "base", 2, "ok", 100, "\"cow\":{\"copy\":0,\"first_touch\":2048}"));
	report_add(b, report_rec("cow_reuse", "base", 1, "skip", 0, "\"reason\":\"no\""));
	report_add(b, report_rec("cow_reuse", "thp", 1, "ok", 60, "\"cow\":{\"copy\":0,\"reuse\":1,\"nofault\":3}"));
	report_add(b, report_rec("fault_anon", "base", 1, "ok", 90, "\"cow\":{\"copy\":0,\"first_touch\":2048}"));
}

static void report_write(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "we");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
	chmod(path, mode);
}

static char *report_read(const char *dir, const char *name)
{
	char path[256], *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n)
		buf[0] = '\0';
	fclose(f);
	return buf;
}

static void report_setup(struct report_fixture *fx, bool fake_gnuplot)
{
	char path[160], script[512];
	const char *old = getenv("PATH");

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/cb_report_XXXXXX");
	if (!mkdtemp(fx->dir))
		return;
	snprintf(path, sizeof(path), "%s/bin", fx->dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/plots", fx->dir);
	mkdir(path, 0755);
	snprintf(fx->out, sizeof(fx->out), "%s/out", fx->dir);
	mkdir(fx->out, 0755);
	for (int i = 0; i < 4; i++) {
		static const char *const kinds[] = { "bars", "folio", "latency", "outcomes" };

		snprintf(path, sizeof(path), "%s/plots/%s.gp", fx->dir, kinds[i]);
		report_write(path, "# fake\n", 0644);
	}
	snprintf(script, sizeof(script),
		 "#!/bin/sh\nPATH=/usr/bin:/bin\n"
		 "echo \"$3 $2\" >> %s/gnuplot.log\n"
		 "if [ -e %s/fail ]; then echo 'some warning' >&2; echo '\"x.gp\" line 3: boom' >&2; exit 1; fi\n"
		 "out=$(printf '%%s' \"$2\" | sed -n \"s/.*out='\\([^']*\\)'.*/\\1/p\")\n"
		 "printf '<?xml version=\"1.0\"?>\\n<svg id=\"gp\" width=\"10\"><use href=\"#gp\"/>"
		 "<rect fill=\"url(#gp)\"/></svg>\\n' > \"$out\"\n",
		 fx->dir, fx->dir);
	snprintf(path, sizeof(path), "%s/bin/gnuplot", fx->dir);
	if (fake_gnuplot)
		report_write(path, script, 0755);
	fx->old_path = strdup(old ? old : "");
	snprintf(path, sizeof(path), "%s/bin", fx->dir);
	setenv("PATH", path, 1);
	snprintf(path, sizeof(path), "%s/plots", fx->dir);
	setenv("COWBENCH_PLOTS", path, 1);
	report_sets(fx->sets);
}

static int report_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void report_teardown(struct report_fixture *fx)
{
	setenv("PATH", fx->old_path, 1);
	unsetenv("COWBENCH_PLOTS");
	free(fx->old_path);
	cb_resultset_free(&fx->sets[0]);
	cb_resultset_free(&fx->sets[1]);
	nftw(fx->dir, report_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static size_t report_count(const char *s, const char *what)
{
	size_t n = 0;

	for (; s && (s = strstr(s, what)); s++)
		n++;
	return n;
}

/* Mean ± t(0.975, n-1)·s/√n: {10, 12, 14} → 12 ± 4.302653·2/√3 = 12 ± 4.968285. */
CB_TEST(report_plot_bars_tsv)
{
	struct report_fixture fx;
	char err[512] = "", *tsv;

	report_setup(&fx, true);
	CB_CHECK_U64(cb_plot_all(fx.sets, 2, fx.out, err, sizeof(err)), 0);
	tsv = report_read(fx.out, "bars-cow_reuse.tsv");
	CB_CHECK_STR(tsv, "cow_reuse, 8M region: time per page, mean and 95 % CI\t6.18.0 (A1)\tci_lo\tci_hi"
			  "\t6.18.0 (B1)\tci_lo\tci_hi\n"
			  "base\t12\t7.03172\t16.9683\t-\t-\t-\n"
			  "thp\t50\t50\t50\t60\t60\t60\n"
			  "thp_pte\t20\t20\t20\t-\t-\t-\n");
	free(tsv);
	/* Zero variance: no interval, not NaN. */
	tsv = report_read(fx.out, "bars-fault_anon.tsv");
	CB_CHECK(tsv && strstr(tsv, "\nbase\t100\t100\t100\t90\t90\t90\n"));
	free(tsv);
	report_teardown(&fx);
}

/* x = folio size from the backing (page size, PMD size from env.json); thp_pte left out. */
CB_TEST(report_plot_folio_tsv)
{
	struct report_fixture fx;
	char err[512] = "", *tsv, *row;

	report_setup(&fx, true);
	CB_CHECK_U64(cb_plot_all(fx.sets, 2, fx.out, err, sizeof(err)), 0);
	tsv = report_read(fx.out, "folio-8M.tsv");
	CB_CHECK(tsv != NULL);
	row = tsv ? strchr(tsv, '\n') : NULL;
	/* populate A, B | fork A, B | COW A, B | reuse A, B | zap A, B */
	CB_CHECK_STR(row, "\n4096\t100\t100\t100\t90\t90\t90\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-"
			  "\t12\t7.03172\t16.9683\t-\t-\t-\t-\t-\t-\t-\t-\t-\n"
			  "2097152\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-"
			  "\t50\t50\t50\t60\t60\t60\t-\t-\t-\t-\t-\t-\n");
	CB_CHECK(tsv && strstr(tsv, "\tpopulate (fault_anon), 6.18.0 (A1)\tci_lo\tci_hi\t"));
	free(tsv);
	report_teardown(&fx);
}

/* Buckets merged over repetitions: [100,199]×1 + [200,299]×(1+2) → CDF 0, 25, 100 %. */
CB_TEST(report_plot_latency_outcomes_tsv)
{
	struct report_fixture fx;
	char err[512] = "", *tsv, *log;

	report_setup(&fx, true);
	CB_CHECK_U64(cb_plot_all(fx.sets, 2, fx.out, err, sizeof(err)), 0);
	tsv = report_read(fx.out, "latency-cow_reuse_base_8M.tsv");
	CB_CHECK_STR(tsv, "cow_reuse base, 8M region: latency per write (CDF)\t6.18.0 (A1)\n"
			  "100\t0\n199\t25\n299\t100\n\n\n\t6.18.0 (B1)\n-\t-\n");
	free(tsv);
	tsv = report_read(fx.out, "outcomes-cow_reuse.tsv");
	CB_CHECK_STR(tsv, "cow_reuse, 8M region: COW outcome of the written pages\tcopy\treuse\tnofault\trun\tkernel\n"
			  "base (1)\t0\t100\t0\t1\t6.18.0 (A1)\n"
			  "base (2)\t-\t-\t-\t2\t6.18.0 (B1)\n"
			  " \t0\t0\t0\t0\t \n"
			  "thp (1)\t0\t25\t75\t1\t6.18.0 (A1)\n"
			  "thp (2)\t0\t25\t75\t2\t6.18.0 (B1)\n"
			  " \t0\t0\t0\t0\t \n"
			  "thp_pte (1)\t100\t0\t0\t1\t6.18.0 (A1)\n"
			  "thp_pte (2)\t-\t-\t-\t2\t6.18.0 (B1)\n");
	free(tsv);
	/* First-touch records have no copy/reuse decision, and no histogram means no CDF. */
	tsv = report_read(fx.out, "outcomes-fault_anon.tsv");
	CB_CHECK(tsv == NULL);
	free(tsv);
	tsv = report_read(fx.out, "latency-cow_reuse_thp_8M.tsv");
	CB_CHECK(tsv == NULL);
	free(tsv);
	/* bars ×2, folio, latency, outcomes: each rendered as SVG and PNG. */
	log = report_read(fx.dir, "gnuplot.log");
	CB_CHECK(log && strstr(log, "/plots/outcomes.gp in='outcomes-cow_reuse.tsv'; out='outcomes-cow_reuse.png';"
				    " term='pngcairo'\n"));
	CB_CHECK(log && strstr(log, "/plots/latency.gp in='latency-cow_reuse_base_8M.tsv';"
				    " out='latency-cow_reuse_base_8M.svg'; term='svg'\n"));
	CB_CHECK_U64(report_count(log, "\n"), 10);
	free(log);
	report_teardown(&fx);
}

CB_TEST(report_plot_errors)
{
	struct report_fixture fx;
	char err[512] = "", path[160];

	/* No gnuplot on PATH: -ENOENT naming the package, nothing written. */
	report_setup(&fx, false);
	CB_CHECK_U64(cb_plot_all(fx.sets, 2, fx.out, err, sizeof(err)), (uint64_t)-ENOENT);
	CB_CHECK(strstr(err, "gnuplot not found") && strstr(err, "gnuplot-nox"));
	CB_CHECK(report_read(fx.out, "bars-cow_reuse.tsv") == NULL);
	report_teardown(&fx);

	/* gnuplot fails: -EIO with its last line (the error, not the warning before it). */
	report_setup(&fx, true);
	snprintf(path, sizeof(path), "%s/fail", fx.dir);
	report_write(path, "", 0644);
	CB_CHECK_U64(cb_plot_all(fx.sets, 2, fx.out, err, sizeof(err)), (uint64_t)-EIO);
	CB_CHECK(strstr(err, "bars-cow_reuse.svg failed (exit status 1): \"x.gp\" line 3: boom") != NULL);
	report_teardown(&fx);
}

static const char report_cmp[] =
	"{\"schema\":1,\"baseline\":\"6.18.0 (A1)\",\"forced\":true,\"warnings\":[\"THP <differs>\"],"
	"\"runs\":[{\"label\":\"6.18.0 (A1)\",\"dir\":\"/r/a\",\"run_id\":\"A1\",\"kernel_release\":\"6.18.0\"},"
	"{\"label\":\"<script>x</script>&\",\"dir\":\"/r/b\",\"run_id\":\"B1\",\"kernel_release\":\"6.18.0\"}],"
	"\"env_diff\":[{\"field\":\"thp.mthp.64kB\",\"values\":[\"never\",\"always\"]}],"
	"\"instances\":[{\"key\":\"cow_reuse/thp/8M\",\"scenario\":\"cow_reuse\",\"backing\":\"thp\",\"size_h\":\"8M\","
	"\"status\":[\"ok\",\"ok\"],\"reason\":[null,null],\"metrics\":["
	"{\"name\":\"ns_per_page\",\"unit\":\"ns\",\"better\":\"lower\",\"kind\":\"stat\",\"runs\":["
	"{\"n\":3,\"median\":50,\"mean\":50,\"stddev\":0.5,\"min\":49.5,\"max\":50.5},"
	"{\"n\":3,\"median\":51,\"mean\":51,\"stddev\":0.5,\"min\":50.5,\"max\":51.5}],"
	"\"vs_baseline\":[null,{\"ratio\":1.02,\"ci_lo\":0.99,\"ci_hi\":1.05,\"p_welch\":0.2,\"p_mannwhitney\":0.4,"
	"\"verdict\":\"not significant\"}]},"
	"{\"name\":\"latency_ns.p50\",\"unit\":\"ns\",\"better\":\"lower\",\"kind\":\"stat\",\"runs\":[null,null],"
	"\"vs_baseline\":[null,{\"ratio\":1.5,\"ci_lo\":1.4,\"ci_hi\":1.6,\"p_welch\":0.001,\"p_mannwhitney\":0.1,"
	"\"verdict\":\"regression\"}]},"
	"{\"name\":\"cow.copy\",\"kind\":\"exact\",\"values\":[0,2048],\"changed\":true},"
	"{\"name\":\"cow.nofault\",\"kind\":\"exact\",\"values\":[3,3],\"changed\":false}],"
	"\"behaviour_changes\":[\"cow_reuse/thp/8M: cow.copy 0 → 2048\"]},"
	"{\"key\":\"cow_reuse/base/8M\",\"status\":[\"ok\",\"skip\"],\"reason\":[null,\"no <CPU>\"],\"metrics\":[],"
	"\"behaviour_changes\":[]}]}";

CB_TEST(report_html_page)
{
	struct report_fixture fx;
	json_object *cmp = json_tokener_parse(report_cmp);
	char err[512] = "", *html;

	report_setup(&fx, true);
	CB_CHECK_U64(cb_report_html(cmp, fx.sets, 2, fx.out, err, sizeof(err)), 0);
	CB_CHECK_STR(err, "");
	html = report_read(fx.out, "report.html") ?: strdup("");
	CB_CHECK(!strncmp(html, "<!DOCTYPE html>", 15));
	/* Every string from the data escaped: no markup gets through. */
	CB_CHECK(strstr(html, "&lt;script&gt;x&lt;/script&gt;&amp;") != NULL);
	CB_CHECK_U64(report_count(html, "<script"), 0);
	CB_CHECK(strstr(html, "THP &lt;differs&gt;") && strstr(html, "no &lt;CPU&gt;"));
	CB_CHECK(strstr(html, "&quot;note&quot;: &quot;a&lt;b&quot;") != NULL);
	/* Verdicts: only a significant change is coloured; behaviour changes highlighted. */
	CB_CHECK(strstr(html, "<td class=\"l notsig\">not significant</td>") != NULL);
	CB_CHECK(strstr(html, "<td class=\"l regression\">regression</td>") != NULL);
	CB_CHECK(strstr(html, "<tr class=\"changed\"><td class=\"l\">cow.copy</td><td>0</td><td>2048</td></tr>"));
	CB_CHECK(strstr(html, "<tr><td class=\"l\">cow.nofault</td><td>3</td><td>3</td></tr>"));
	CB_CHECK(strstr(html, "cow_reuse/thp/8M: cow.copy 0 → 2048</a></li>") != NULL);
	CB_CHECK(strstr(html, "<td>50<span class=\"sub\">50 ± 0.5, 49.5 … 50.5, n = 3</span></td>") != NULL);
	CB_CHECK(strstr(html, "<td>1.020 <span class=\"sub\">[0.990, 1.050]</span></td>") != NULL);
	/* Plots inline, without the XML prolog, their ids made unique per plot; the forest plot of
	 * side B first, right after the common shift. */
	CB_CHECK_U64(report_count(html, "<figure"), 6);
	CB_CHECK(strstr(html, "<figure class=\"plot forest\"") != NULL &&
		 strstr(html, "<figure class=\"plot forest\"") < strstr(html, "id=\"summary\""));
	CB_CHECK_U64(report_count(html, "<?xml"), 0);
	CB_CHECK(strstr(html, "<svg id=\"p0-gp\" width=\"10\"><use href=\"#p0-gp\"/><rect fill=\"url(#p0-gp)\"/>"));
	CB_CHECK(strstr(html, "<svg id=\"p4-gp\"") != NULL);
	CB_CHECK_U64(report_count(html, "<details>"), 2);
	CB_CHECK_U64(report_count(html, "http"), 0);
	free(html);
	report_teardown(&fx);

	/* Without gnuplot the tables still make a page, which says why it has no plots. */
	report_setup(&fx, false);
	CB_CHECK_U64(cb_report_html(cmp, fx.sets, 2, fx.out, err, sizeof(err)), 0);
	CB_CHECK(strstr(err, "report written without plots: gnuplot not found") == err);
	html = report_read(fx.out, "report.html") ?: strdup("");
	CB_CHECK(strstr(html, "No plots: gnuplot not found") && !strstr(html, "<figure"));
	free(html);
	report_teardown(&fx);
	json_object_put(cmp);
}
