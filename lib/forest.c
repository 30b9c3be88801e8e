/* The forest plot of a comparison: every instance's ratio with its interval on a log axis, the
 * common shift and the instances' spread around it, verdicts marked; one plot per side after the
 * baseline (plots/forest.gp). At a glance it shows what a list of "not significant" rows hides:
 * that they all lean one way. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmpcommon.h"
#include "forest.h"
#include "render.h"

/* The instance's headline timing entry for side `side`: ns_per_page, else its first timing. */
static json_object *forest_entry(json_object *inst, size_t side)
{
	json_object *metrics = cb_jget(inst, "metrics"), *first = NULL;

	for (size_t m = 0; m < cb_jlen(metrics); m++) {
		json_object *mo = cb_jidx(metrics, m), *e = cb_jidx(cb_jget(mo, "vs_baseline"), side);

		/* Emulated times not compared with hardware ones carry "compared": false. */
		if (strcmp(cb_jstr(mo, "kind") ?: "", "stat") || json_object_get_boolean(cb_jget(mo, "outcome")) ||
		    !(cb_jnum(e, "ratio") > 0) || (cb_jget(e, "compared") && !json_object_get_boolean(cb_jget(e, "compared"))))
			continue;
		if (!strcmp(cb_jstr(mo, "name") ?: "", "ns_per_page"))
			return e;
		if (!first)
			first = e;
	}
	return first;
}

static int forest_code(json_object *e)
{
	const char *v = cb_jstr(e, "verdict") ?: "";
	bool rel = !strcmp(cb_jstr(e, "verdict_kind") ?: "", "relative");

	if (!strcmp(v, "regression"))
		return rel ? 3 : 1;
	if (!strcmp(v, "improvement"))
		return rel ? 4 : 2;
	return 0;
}

static void forest_num(FILE *f, double v)
{
	if (v > 0 && isfinite(v))
		fprintf(f, "\t%.6g", v);
	else
		fputs("\t-", f);
}

/* Writes dir/forest-SIDE.tsv; 0 with *rows 0 where the side has no timing to show. */
static int forest_tsv(json_object *cmp, size_t side, const char *dir, const char *base, size_t *rows)
{
	json_object *inst = cb_jget(cmp, "instances"), *sh = cb_jidx(cb_jget(cmp, "shift"), side);
	char path[PATH_MAX], label[300];
	double r = cb_jnum(sh, "ratio"), spread = cb_jnum(sh, "spread");
	FILE *f;
	int bad;

	*rows = 0;
	for (size_t i = 0; i < cb_jlen(inst); i++)
		*rows += forest_entry(cb_jidx(inst, i), side) != NULL;
	if (!*rows)
		return 0;
	if (snprintf(path, sizeof(path), "%s/%s.tsv", dir, base) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	f = fopen(path, "we");
	if (!f)
		return -errno;
	snprintf(label, sizeof(label), "%c vs A: %s", 'A' + (int)side,
		 cb_jstr(cb_jidx(cb_jget(cmp, "runs"), side), "label") ?: "?");
	for (char *c = label; *c; c++)
		if (*c == '\t' || *c == '\n' || *c == '\'' || *c == '"')
			*c = ' ';
	fputs(label, f);
	forest_num(f, r);
	forest_num(f, r > 0 && spread >= 0 ? r * exp(-1.959963984540054 * spread) : NAN);
	forest_num(f, r > 0 && spread >= 0 ? r * exp(1.959963984540054 * spread) : NAN);
	forest_num(f, cb_jnum(sh, "ci_lo"));
	forest_num(f, cb_jnum(sh, "ci_hi"));
	fputc('\n', f);
	for (size_t i = 0; i < cb_jlen(inst); i++) {
		json_object *e = forest_entry(cb_jidx(inst, i), side);
		double lo = cb_jnum(e, "ci_lo"), hi = cb_jnum(e, "ci_hi"), ratio = cb_jnum(e, "ratio");

		if (!e)
			continue;
		snprintf(label, sizeof(label), "%s", cb_jstr(cb_jidx(inst, i), "key") ?: "?");
		for (char *c = label; *c; c++)
			if (*c == '\t' || *c == '\n')
				*c = ' ';
		fputs(label, f);
		forest_num(f, ratio);
		/* An interval that is not there is drawn as none, at the ratio. */
		forest_num(f, lo > 0 ? lo : ratio);
		forest_num(f, hi > 0 ? hi : ratio);
		fprintf(f, "\t%d\n", forest_code(e));
	}
	bad = ferror(f);
	return fclose(f) || bad ? -EIO : 0;
}

int cb_forest_render(json_object *cmp, const char *dir, struct cb_plot_list *pl, char *err, size_t errlen)
{
	char pdir[PATH_MAX];
	size_t nruns = cb_jlen(cb_jget(cmp, "runs"));

	pl->v = NULL;
	pl->n = 0;
	if (!cb_in_path("gnuplot")) {
		snprintf(err, errlen, "gnuplot not found in PATH (scripts/deps.sh plots installs it)");
		return -ENOENT;
	}
	for (size_t s = 1; s < nruns; s++) {
		char base[32];
		size_t rows;
		struct cb_plot *v;
		int ret;

		snprintf(base, sizeof(base), "forest-%zu", s);
		ret = forest_tsv(cmp, s, dir, base, &rows);
		if (ret) {
			snprintf(err, errlen, "%s/%s.tsv: %s", dir, base, strerror(-ret));
			return ret;
		}
		if (!rows)
			continue;
		v = realloc(pl->v, sizeof(*v) * (pl->n + 1));
		if (!v) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		pl->v = v;
		memset(&v[pl->n], 0, sizeof(v[pl->n]));
		snprintf(v[pl->n].kind, sizeof(v[pl->n].kind), "forest");
		snprintf(v[pl->n].base, sizeof(v[pl->n].base), "%s", base);
		snprintf(v[pl->n].title, sizeof(v[pl->n].title),
			 "%c vs A: every instance's ratio (headline timing) with its 95 %% interval, the common shift"
			 " and the instances' spread around it",
			 'A' + (int)s);
		pl->n++;
	}
	cb_plots_dir(pdir);
	return pl->n ? cb_gnuplot_all(pl, pdir, dir, err, errlen) : 0;
}
