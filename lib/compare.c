/* `cowbench compare`: result sets against a baseline. The comparison is built once as a JSON
 * object (cb_compare_build); every output format renders that object, so they cannot disagree. */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cb.h"
#include "cmpstats.h"
#include "compare.h"
#include "record.h"
#include "report.h"
#include "stats.h"

#define CMP_EXIT_USAGE 2
#define CMP_MAX_RUNS   26  /* runs are lettered A..Z in the text table */
#define CMP_WIDTH      100 /* the text format fits an email */
#define CMP_ALPHA      0.05

/* Measured figures, compared statistically; extra_timed.* are appended per instance. */
static const struct {
	const char *name, *unit, *better;
} cmp_stat_metrics[] = {
	{ "ns_per_page", "ns", "lower" },
	{ "latency_ns.p50", "ns", "lower" },
	{ "latency_ns.p99", "ns", "lower" },
};

/* Outcomes the kernel decides deterministically: compared exactly. decimals < 0: a string.
 * Per-page ratios are compared at two decimals, as the summary shows them: a stray allocation
 * by another task (2050 instead of 2048 page allocations) is not a behaviour change. */
static const struct {
	const char *name;
	int decimals;
} cmp_exact_metrics[] = {
	{ "cow.copy", 0 },
	{ "cow.reuse", 0 },
	{ "cow.nofault", 0 },
	{ "faults.per_page", 2 },
	{ "page_allocs_per_page", 2 },
	{ "tlb_flush.per_fault", 2 },
	{ "vmstat_delta.thp_split_pmd", 0 },
	{ "folio_pages_by_size_after", -1 },
};

/* Environment fields listed when they differ. CMP_ENV_FORCE: a difference makes the comparison
 * meaningless without --force (another machine, or other THP settings). CMP_ENV_HW: the field
 * necessarily differs between a VM guest and its host, so only a difference between runs of one
 * kind (native, tcg, kvm) needs --force. CMP_ENV_VM: listed only when the kinds differ. */
enum { CMP_ENV_FORCE = 1, CMP_ENV_HW = 2, CMP_ENV_VM = 4 };

static const struct {
	const char *field, *what;
	int flags;
} cmp_env_fields[] = {
	{ "virtualized", "virtualization", 0 },
	{ "kernel.release", "kernel release", 0 },
	{ "kernel.version", "kernel version", 0 },
	{ "cmdline", "kernel command line", 0 },
	{ "thp", "THP settings", CMP_ENV_FORCE },
	{ "swap", "swap", 0 },
	{ "cpu.model", "CPU model", CMP_ENV_FORCE | CMP_ENV_HW },
	{ "cpu.online", "CPUs online", CMP_ENV_HW | CMP_ENV_VM },
	{ "memory.total_kb", "memory", CMP_ENV_HW | CMP_ENV_VM },
	{ "cpu.virtualization", "hypervisor", CMP_ENV_HW | CMP_ENV_VM },
	{ "cowbench_version", "cowbench version", 0 },
	{ "hostname", "hostname", CMP_ENV_FORCE | CMP_ENV_HW },
};

/* How a timing of run i is compared with the baseline's. */
enum cmp_timing {
	CMP_TIMING_HW,	     /* neither side emulated */
	CMP_TIMING_EMULATED, /* compared, but a side's times are emulated */
	CMP_TIMING_SKIPPED,  /* one side emulated, the other not: not compared (no --timings) */
};

/* ---- JSON access ---- */

static json_object *jget(json_object *o, const char *k)
{
	json_object *v = NULL;

	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, k, &v))
		return NULL;
	return v;
}

/* A dotted path ("kernel.release"). */
static json_object *jpath(json_object *o, const char *path)
{
	char key[128];

	while (o && *path) {
		size_t len = strcspn(path, ".");

		snprintf(key, sizeof(key), "%.*s", (int)len, path);
		o = jget(o, key);
		path += len + (path[len] == '.');
	}
	return o;
}

static const char *jstr(json_object *o, const char *k)
{
	json_object *v = jget(o, k);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static double jnum(json_object *o, const char *k)
{
	json_object *v = jget(o, k);

	if (!v || !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return NAN;
	return json_object_get_double(v);
}

static json_object *jidx(json_object *arr, size_t i)
{
	return arr && json_object_is_type(arr, json_type_array) && i < json_object_array_length(arr)
		       ? json_object_array_get_idx(arr, i)
		       : NULL;
}

static size_t jlen(json_object *arr)
{
	return arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
}

/* ---- number formatting: fixed, so the outputs are byte-for-byte reproducible ---- */

/* Six significant digits, no exponent in the usual range, trailing zeros trimmed. */
static void cmp_fmt(double v, char *buf, size_t len)
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

/* A JSON number printed as cmp_fmt prints it; NULL (JSON null) for NaN and infinities. */
static json_object *cmp_num(double v)
{
	char buf[64];

	if (!isfinite(v))
		return NULL;
	cmp_fmt(v, buf, sizeof(buf));
	return json_object_new_double_s(v, buf);
}

/* At most 7 columns, for the text table. */
static const char *cmp_short(double v, char *buf, size_t len)
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

static const char *cmp_ratio_str(double v, char *buf, size_t len)
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

static const char *cmp_p_str(double p, char *buf, size_t len)
{
	if (isnan(p))
		snprintf(buf, len, "-");
	else if (p < 1e-4)
		snprintf(buf, len, "<1e-4");
	else
		snprintf(buf, len, "%.4f", p);
	return buf;
}

/* ---- environment ---- */

/* "64kB" / "2048kB" → 64K / 2M; sizes in KiB for ordering. */
static long cmp_kb(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	switch (*end) {
	case 'G':
	case 'g':
		return v << 20;
	case 'M':
	case 'm':
		return v << 10;
	case 'k':
	case 'K':
		return v;
	default:
		return v >> 10; /* bytes */
	}
}

static void cmp_size_name(long kb, char *buf, size_t len)
{
	if (kb >= 1024 * 1024 && kb % (1024 * 1024) == 0)
		snprintf(buf, len, "%ldG", kb >> 20);
	else if (kb >= 1024 && kb % 1024 == 0)
		snprintf(buf, len, "%ldM", kb >> 10);
	else
		snprintf(buf, len, "%ldK", kb);
}

struct cmp_sized {
	long kb;
	const char *val;
};

static int cmp_sized_order(const void *a, const void *b)
{
	long x = ((const struct cmp_sized *)a)->kb, y = ((const struct cmp_sized *)b)->kb;

	return (x > y) - (x < y);
}

/* Sorts an object's keys by size; returns the count (at most max). */
static size_t cmp_sizes_sorted(json_object *obj, struct cmp_sized *out, size_t max)
{
	size_t n = 0;

	if (!obj || !json_object_is_type(obj, json_type_object))
		return 0;
	json_object_object_foreach (obj, k, v) {
		if (n == max)
			break;
		out[n].kb = cmp_kb(k);
		out[n++].val = json_object_get_string(v);
	}
	qsort(out, n, sizeof(*out), cmp_sized_order);
	return n;
}

/* A kernel without mTHP (before 6.8) behaves as one whose PMD size inherits the top-level
 * setting and whose other sizes are never: the same settings, though the sysfs files differ. */
static bool cmp_mthp_default(json_object *thp)
{
	json_object *mthp = jget(thp, "mthp");
	double pmd = jnum(thp, "hpage_pmd_size");

	if (!mthp || !json_object_is_type(mthp, json_type_object) || !(pmd > 0))
		return false;
	json_object_object_foreach (mthp, k, v) {
		const char *want = cmp_kb(k) == (long)(pmd / 1024) ? "inherit" : "never";

		if (!json_object_is_type(v, json_type_string) || strcmp(json_object_get_string(v), want))
			return false;
	}
	return true;
}

/* The THP settings that change what a scenario measures, compactly: enabled, defrag and the
 * mTHP sizes not set to never. The khugepaged counters in the same object are not settings.
 * fold: the default mTHP settings as a kernel without mTHP shows them (to compare settings). */
static void cmp_thp_str(json_object *thp, char *buf, size_t len, bool fold)
{
	struct cmp_sized sz[32];
	size_t n, off, never = 0;

	if (!thp || !json_object_is_type(thp, json_type_object)) {
		snprintf(buf, len, "none");
		return;
	}
	off = (size_t)snprintf(buf, len, "enabled=%s defrag=%s", jstr(thp, "enabled") ?: "?",
			       jstr(thp, "defrag") ?: "?");
	n = fold && cmp_mthp_default(thp) ? 0 : cmp_sizes_sorted(jget(thp, "mthp"), sz, CB_ARRAY_SIZE(sz));
	if (!n || off >= len)
		return;
	off += (size_t)snprintf(buf + off, len - off, " mthp:");
	for (size_t i = 0; i < n && off < len; i++) {
		char name[24];

		if (sz[i].val && strcmp(sz[i].val, "never") == 0) {
			never++;
			continue;
		}
		cmp_size_name(sz[i].kb, name, sizeof(name));
		off += (size_t)snprintf(buf + off, len - off, " %s=%s", name, sz[i].val ?: "?");
	}
	if (off < len)
		snprintf(buf + off, len - off, "%s", never == n ? " all never" : never ? ", others never" : "");
}

/* Swap devices without the momentary usage. */
static void cmp_swap_str(json_object *swap, char *buf, size_t len)
{
	size_t off = 0, n = jlen(swap);

	if (!swap || !json_object_is_type(swap, json_type_array)) {
		snprintf(buf, len, "unavailable");
		return;
	}
	if (!n) {
		snprintf(buf, len, "none");
		return;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++) {
		json_object *e = jidx(swap, i);
		double kb = jnum(e, "size_kb");

		off += (size_t)snprintf(buf + off, len - off, "%s%s (%s, %.0fM, prio %.0f)", i ? ", " : "",
					jstr(e, "device") ?: "?", jstr(e, "type") ?: "?", isnan(kb) ? 0 : kb / 1024,
					jnum(e, "priority"));
	}
}

/* How the VM runner ran the set: "tcg", "kvm"; NULL for a native run (and for result sets
 * from before the VM runner). */
static const char *cmp_virt(json_object *env)
{
	const char *v = jstr(env, "virtualized");

	return v && *v ? v : NULL;
}

/* TCG emulates the CPU: its times are not the hardware's. KVM runs on the hardware. */
static bool cmp_emulated(json_object *env)
{
	const char *v = cmp_virt(env);

	return v && strcmp(v, "tcg") == 0;
}

static bool cmp_same_kind(json_object *a, json_object *b)
{
	const char *x = cmp_virt(a), *y = cmp_virt(b);

	return x && y ? strcmp(x, y) == 0 : x == y;
}

/* "tcg (QEMU 7.2.19, x86_64, debian:linux-image-6.12…)"; "none" for a native run. */
static void cmp_vm_str(json_object *env, char *buf, size_t len)
{
	json_object *vm = jget(env, "vm");

	if (!cmp_virt(env))
		snprintf(buf, len, "none");
	else
		snprintf(buf, len, "%s (QEMU %s, %s, %s)", cmp_virt(env), jstr(vm, "qemu") ?: "?",
			 jstr(vm, "arch") ?: "?", jstr(vm, "kernel_source") ?: "?");
}

/* A field of env.json as a string; NULL when absent. */
static json_object *cmp_env_value(json_object *env, const char *field)
{
	char buf[1024];
	json_object *v;

	if (strcmp(field, "thp") == 0) {
		cmp_thp_str(jget(env, "thp"), buf, sizeof(buf), false);
		return json_object_new_string(buf);
	}
	if (strcmp(field, "virtualized") == 0) {
		cmp_vm_str(env, buf, sizeof(buf));
		return json_object_new_string(buf);
	}
	if (strcmp(field, "swap") == 0) {
		cmp_swap_str(jget(env, "swap"), buf, sizeof(buf));
		return json_object_new_string(buf);
	}
	v = jpath(env, field);
	if (!v)
		return NULL;
	return json_object_new_string(json_object_is_type(v, json_type_string) ? json_object_get_string(v)
									       : json_object_to_json_string(v));
}

static bool cmp_str_eq(json_object *a, json_object *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(json_object_get_string(a), json_object_get_string(b)) == 0;
}

/* Labels: the kernel release, with the run id where two runs of one kind share a release, and
 * how a VM ran it: an emulated run's times must not pass for hardware ones wherever it is named. */
static void cmp_labels(struct cb_resultset *sets, int n)
{
	for (int i = 0; i < n; i++) {
		json_object *rel = jpath(sets[i].env, "kernel.release");
		const char *virt = cmp_virt(sets[i].env), *id = jstr(sets[i].env, "run_id");
		char how[32] = "";
		bool dup = false;

		for (int j = 0; j < n && !dup; j++)
			dup = j != i && cmp_str_eq(rel, jpath(sets[j].env, "kernel.release")) &&
			      cmp_same_kind(sets[i].env, sets[j].env);
		if (virt)
			snprintf(how, sizeof(how), " (%s)", strcmp(virt, "tcg") == 0   ? "TCG emulation" :
							    strcmp(virt, "kvm") == 0 ? "KVM guest" :
										       "virtual machine");
		snprintf(sets[i].label, sizeof(sets[i].label), "%.70s%s%.30s%s%.24s",
			 rel ? json_object_get_string(rel) : "unknown kernel", dup ? " (" : "",
			 dup ? id ?: basename(sets[i].dir) : "", dup ? ")" : "", how);
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

/* Whether two runs differ in a field in a way that needs --force: hardware fields only between
 * runs of one kind, THP settings by what they do (a kernel without mTHP has its defaults). */
static bool cmp_env_conflict(struct cb_resultset *sets, int n, size_t f, json_object *vals)
{
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++) {
			char a[1024], b[1024];

			if ((cmp_env_fields[f].flags & CMP_ENV_HW) && !cmp_same_kind(sets[i].env, sets[j].env))
				continue;
			if (strcmp(cmp_env_fields[f].field, "thp") != 0) {
				if (!cmp_str_eq(jidx(vals, (size_t)i), jidx(vals, (size_t)j)))
					return true;
				continue;
			}
			cmp_thp_str(jget(sets[i].env, "thp"), a, sizeof(a), true);
			cmp_thp_str(jget(sets[j].env, "thp"), b, sizeof(b), true);
			if (strcmp(a, b) != 0)
				return true;
		}
	return false;
}

static json_object *cmp_env_diff(struct cb_resultset *sets, int n, bool force, bool *forced_out, json_object *warnings,
				 char *err, size_t errlen)
{
	json_object *diff = json_object_new_array();
	char why[1024] = "", forced[256] = "";
	size_t woff = 0, foff = 0;
	bool kinds = false;

	for (int i = 1; i < n; i++)
		kinds |= !cmp_same_kind(sets[0].env, sets[i].env);
	for (size_t f = 0; f < CB_ARRAY_SIZE(cmp_env_fields); f++) {
		json_object *vals = json_object_new_array(), *d;
		bool differ = false;

		for (int i = 0; i < n; i++)
			json_object_array_add(vals, cmp_env_value(sets[i].env, cmp_env_fields[f].field));
		for (int i = 1; i < n; i++)
			differ |= !cmp_str_eq(jidx(vals, 0), jidx(vals, (size_t)i));
		if (!differ || ((cmp_env_fields[f].flags & CMP_ENV_VM) && !kinds)) {
			json_object_put(vals);
			continue;
		}
		if ((cmp_env_fields[f].flags & CMP_ENV_FORCE) && cmp_env_conflict(sets, n, f, vals)) {
			if (woff < sizeof(why))
				woff += (size_t)snprintf(why + woff, sizeof(why) - woff, "%s%s (", woff ? ", " : "",
							 cmp_env_fields[f].what);
			for (int i = 0; i < n && woff < sizeof(why); i++) {
				json_object *v = jidx(vals, (size_t)i);

				woff += (size_t)snprintf(why + woff, sizeof(why) - woff, "%s%s: %s", i ? "; " : "",
							 sets[i].label, v ? json_object_get_string(v) : "(none)");
			}
			if (woff < sizeof(why))
				woff += (size_t)snprintf(why + woff, sizeof(why) - woff, ")");
			if (foff < sizeof(forced))
				foff += (size_t)snprintf(forced + foff, sizeof(forced) - foff, "%s%s", foff ? ", " : "",
							 cmp_env_fields[f].what);
		}
		d = json_object_new_object();
		json_object_object_add(d, "field", json_object_new_string(cmp_env_fields[f].field));
		json_object_object_add(d, "values", vals);
		json_object_array_add(diff, d);
	}
	if (woff && !force) {
		snprintf(err, errlen, "the result sets differ in %s: comparing them needs --force", why);
		json_object_put(diff);
		return NULL;
	}
	*forced_out = foff > 0;
	if (foff) {
		char w[400];

		snprintf(w, sizeof(w), "forced (--force): the result sets differ in %s", forced);
		json_object_array_add(warnings, json_object_new_string(w));
	}
	return diff;
}

/* ---- instances ---- */

static int cmp_status_rank(const char *s)
{
	static const char *const order[] = { "ok", "skip", "fail", "error" };

	for (size_t i = 0; i < CB_ARRAY_SIZE(order); i++)
		if (s && strcmp(s, order[i]) == 0)
			return (int)i;
	return 4;
}

/* The worst status over an instance's records, with that record's reason. */
static void cmp_instance_status(json_object **recs, size_t nrecs, json_object *status, json_object *reason)
{
	json_object *worst = NULL;

	for (size_t i = 0; i < nrecs; i++)
		if (!worst || cmp_status_rank(jstr(recs[i], "status")) > cmp_status_rank(jstr(worst, "status")))
			worst = recs[i];
	json_object_array_add(status, worst ? json_object_new_string(jstr(worst, "status") ?: "?") : NULL);
	json_object_array_add(reason,
			      worst && jstr(worst, "reason") ? json_object_new_string(jstr(worst, "reason")) : NULL);
}

static json_object *cmp_summary(const double *v, size_t n)
{
	struct cb_stats st;
	json_object *o;

	if (!n || cb_stats_compute(v, n, &st))
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "n", json_object_new_int((int)n));
	json_object_object_add(o, "median", cmp_num(st.median));
	json_object_object_add(o, "mean", cmp_num(st.mean));
	/* One repetition has no spread: null, not 0. */
	json_object_object_add(o, "stddev", n > 1 ? cmp_num(st.stddev) : NULL);
	json_object_object_add(o, "min", cmp_num(st.min));
	json_object_object_add(o, "max", cmp_num(st.max));
	return o;
}

static json_object *cmp_vs(const double *a, size_t na, const double *b, size_t nb, bool lower_better)
{
	struct cb_welch w = { .p = NAN };
	struct cb_mwu u = { .p = NAN };
	struct cb_ratio r = { NAN, NAN, NAN };
	const char *verdict = "not significant";
	json_object *o;

	if (!na || !nb)
		return NULL;
	if (cb_welch_test(a, na, b, nb, &w))
		w.p = NAN;
	if (cb_mann_whitney(a, na, b, nb, &u))
		u.p = NAN;
	if (cb_ratio_ci(a, na, b, nb, 0.95, &r))
		r.ratio = r.lo = r.hi = NAN;
	if (na < 2 || nb < 2)
		verdict = "too few samples";
	else if (w.p < CMP_ALPHA && (r.lo > 1 || r.hi < 1))
		verdict = (r.ratio > 1) == lower_better ? "regression" : "improvement";
	o = json_object_new_object();
	json_object_object_add(o, "ratio", cmp_num(r.ratio));
	json_object_object_add(o, "ci_lo", cmp_num(r.lo));
	json_object_object_add(o, "ci_hi", cmp_num(r.hi));
	json_object_object_add(o, "p_welch", cmp_num(w.p));
	json_object_object_add(o, "p_mannwhitney", cmp_num(u.p));
	json_object_object_add(o, "verdict", json_object_new_string(verdict));
	return o;
}

/* Times and rates of time: what emulation changes. */
static bool cmp_is_timing(const char *unit)
{
	static const char *const units[] = { "ns", "us", "µs", "ms", "s" };

	for (size_t i = 0; i < CB_ARRAY_SIZE(units); i++)
		if (strcmp(unit, units[i]) == 0)
			return true;
	return strstr(unit, "/s") != NULL;
}

/* A comparison with the baseline, or only the note that emulated and hardware times were not
 * compared; NULL when a side has no value. */
static json_object *cmp_vs_timed(const double *a, size_t na, const double *b, size_t nb, bool lower_better,
				 enum cmp_timing t)
{
	json_object *o;

	if (t == CMP_TIMING_SKIPPED) {
		if (!na || !nb)
			return NULL;
		o = json_object_new_object();
		json_object_object_add(o, "timing", json_object_new_string("emulated"));
		json_object_object_add(o, "compared", json_object_new_boolean(false));
		return o;
	}
	o = cmp_vs(a, na, b, nb, lower_better);
	if (o && t == CMP_TIMING_EMULATED) {
		json_object_object_add(o, "timing", json_object_new_string("emulated"));
		json_object_object_add(o, "compared", json_object_new_boolean(true));
	}
	return o;
}

/* One statistical metric over every run; NULL when no run has a value. */
static json_object *cmp_stat_metric(struct cb_resultset *sets, int n, const char *key, const char *name,
				    const char *unit, const char *better, const enum cmp_timing *timing)
{
	json_object *m, *runs = json_object_new_array(), *vs = json_object_new_array();
	double *base = NULL;
	size_t nbase = 0;
	bool any = false;

	for (int i = 0; i < n; i++) {
		double *v;
		size_t nv = cb_resultset_values(&sets[i], key, name, &v);

		any |= nv > 0;
		json_object_array_add(runs, cmp_summary(v, nv));
		json_object_array_add(vs, i ? cmp_vs_timed(base, nbase, v, nv, strcmp(better, "lower") == 0,
							   cmp_is_timing(unit) ? timing[i] : CMP_TIMING_HW) :
					      NULL);
		if (i) {
			free(v);
		} else {
			base = v;
			nbase = nv;
		}
	}
	free(base);
	if (!any) {
		json_object_put(runs);
		json_object_put(vs);
		return NULL;
	}
	m = json_object_new_object();
	json_object_object_add(m, "name", json_object_new_string(name));
	json_object_object_add(m, "unit", json_object_new_string(unit));
	json_object_object_add(m, "better", json_object_new_string(better));
	json_object_object_add(m, "kind", json_object_new_string("stat"));
	json_object_object_add(m, "runs", runs);
	json_object_object_add(m, "vs_baseline", vs);
	return m;
}

/* folio_pages_by_size_after as "4K:512,2M:1024", smallest size first. */
static int cmp_folios_str(json_object *obj, char *buf, size_t len)
{
	struct cmp_sized sz[32];
	size_t n, off = 0;

	if (!obj || !json_object_is_type(obj, json_type_object))
		return -ENOENT;
	n = cmp_sizes_sorted(obj, sz, CB_ARRAY_SIZE(sz));
	snprintf(buf, len, "none");
	for (size_t i = 0; i < n && off < len; i++) {
		char name[24];

		cmp_size_name(sz[i].kb, name, sizeof(name));
		off += (size_t)snprintf(buf + off, len - off, "%s%s:%s", i ? "," : "", name, sz[i].val ?: "?");
	}
	return 0;
}

/* An exact metric of one record as its JSON value and the text it is compared by. */
static json_object *cmp_exact_value(json_object *rec, size_t m, char *buf, size_t len)
{
	const char *name = cmp_exact_metrics[m].name;
	int dec = cmp_exact_metrics[m].decimals;
	double v;

	if (dec < 0)
		return cmp_folios_str(jpath(rec, name), buf, len) ? NULL : json_object_new_string(buf);
	v = cb_record_num(rec, name);
	/* vmstat_delta lists only the counters that moved. */
	if (isnan(v) && strncmp(name, "vmstat_delta.", 13) == 0 &&
	    json_object_is_type(jget(rec, "vmstat_delta"), json_type_object))
		v = 0;
	if (!isfinite(v))
		return NULL;
	snprintf(buf, len, "%.*f", dec, v);
	return dec ? json_object_new_double_s(v, buf) : json_object_new_int64((int64_t)v);
}

/* The value of the first ok repetition per run. Repetitions that disagree (cow_reuse_remote's
 * spurious copies) make the outcome nondeterministic in that run: a difference involving it is
 * noted in varied_in (per run, the metric names), not reported as a behaviour change. */
static json_object *cmp_exact_metric(struct cb_resultset *sets, int n, const char *key, size_t m, const char *labels[],
				     json_object *changes, char varied_in[][256])
{
	const char *name = cmp_exact_metrics[m].name;
	json_object *o, *values = json_object_new_array(), *varied = json_object_new_array();
	char shown[CMP_MAX_RUNS][256];
	bool any = false, changed = false, var_run[CMP_MAX_RUNS];

	for (int i = 0; i < n; i++) {
		json_object **recs, *first = NULL;
		size_t nrecs = cb_resultset_records(&sets[i], key, &recs);
		bool var = false, seen = false;

		shown[i][0] = '\0';
		for (size_t r = 0; r < nrecs; r++) {
			char buf[256];
			json_object *v;

			if (cmp_status_rank(jstr(recs[r], "status")) != 0)
				continue;
			v = cmp_exact_value(recs[r], m, buf, sizeof(buf));
			if (!seen) {
				seen = true;
				first = v;
				snprintf(shown[i], sizeof(shown[i]), "%s", v ? buf : "");
				continue;
			}
			var |= strcmp(shown[i], v ? buf : "") != 0;
			json_object_put(v);
		}
		free(recs);
		any |= first != NULL;
		json_object_array_add(values, first);
		json_object_array_add(varied, json_object_new_boolean(var));
		var_run[i] = var;
		if (var) {
			size_t l = strlen(varied_in[i]);

			snprintf(varied_in[i] + l, 256 - l, "%s%s", l ? ", " : "", name);
		}
	}
	for (int i = 1; i < n; i++) {
		char c[768];

		if (!shown[0][0] || !shown[i][0] || strcmp(shown[0], shown[i]) == 0 || var_run[0] || var_run[i])
			continue;
		changed = true;
		snprintf(c, sizeof(c), "%s: %s %s → %s%s%s%s", key, name, shown[0], shown[i], n > 2 ? " (" : "",
			 n > 2 ? labels[i] : "", n > 2 ? ")" : "");
		json_object_array_add(changes, json_object_new_string(c));
	}
	if (!any) {
		json_object_put(values);
		json_object_put(varied);
		return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "kind", json_object_new_string("exact"));
	json_object_object_add(o, "values", values);
	json_object_object_add(o, "changed", json_object_new_boolean(changed));
	json_object_object_add(o, "varied", varied);
	return o;
}

/* Numeric extra_timed keys over the instance's ok records of every run, in order of appearance. */
static size_t cmp_extra_timed(struct cb_resultset *sets, int n, const char *key, char names[][96], size_t max)
{
	size_t count = 0;

	for (int i = 0; i < n; i++) {
		json_object **recs;
		size_t nrecs = cb_resultset_records(&sets[i], key, &recs);

		for (size_t r = 0; r < nrecs; r++) {
			json_object *et = jget(recs[r], "extra_timed");

			if (cmp_status_rank(jstr(recs[r], "status")) != 0 || !json_object_is_type(et, json_type_object))
				continue;
			json_object_object_foreach (et, k, v) {
				char full[96];
				bool seen = false;

				if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
					continue;
				snprintf(full, sizeof(full), "extra_timed.%.80s", k);
				for (size_t j = 0; j < count && !seen; j++)
					seen = strcmp(names[j], full) == 0;
				if (!seen && count < max)
					memcpy(names[count++], full, sizeof(full));
			}
		}
		free(recs);
	}
	return count;
}

static json_object *cmp_instance(struct cb_resultset *sets, int n, const char *key, const char *labels[],
				 const enum cmp_timing *timing, json_object *warnings)
{
	json_object *o = json_object_new_object(), *status = json_object_new_array(), *reason = json_object_new_array(),
		    *metrics = json_object_new_array(), *changes = json_object_new_array(), *any = NULL;
	char extra[16][96], varied_in[CMP_MAX_RUNS][256] = { { 0 } };
	size_t nextra;

	for (int i = 0; i < n; i++) {
		json_object **recs;
		size_t nrecs = cb_resultset_records(&sets[i], key, &recs);

		if (nrecs && !any)
			any = recs[0];
		cmp_instance_status(recs, nrecs, status, reason);
		free(recs);
	}
	json_object_object_add(o, "key", json_object_new_string(key));
	json_object_object_add(o, "scenario", json_object_new_string(jstr(any, "scenario") ?: "?"));
	json_object_object_add(o, "backing", json_object_new_string(jstr(any, "backing") ?: "?"));
	json_object_object_add(o, "size_h", json_object_new_string(jstr(any, "size_h") ?: "?"));
	json_object_object_add(o, "status", status);
	json_object_object_add(o, "reason", reason);
	for (size_t m = 0; m < CB_ARRAY_SIZE(cmp_stat_metrics); m++) {
		json_object *mo = cmp_stat_metric(sets, n, key, cmp_stat_metrics[m].name, cmp_stat_metrics[m].unit,
						  cmp_stat_metrics[m].better, timing);
		if (mo)
			json_object_array_add(metrics, mo);
	}
	nextra = cmp_extra_timed(sets, n, key, extra, CB_ARRAY_SIZE(extra));
	for (size_t m = 0; m < nextra; m++) {
		json_object *mo = cmp_stat_metric(sets, n, key, extra[m], "ns", "lower", timing);

		if (mo)
			json_object_array_add(metrics, mo);
	}
	for (size_t m = 0; m < CB_ARRAY_SIZE(cmp_exact_metrics); m++) {
		json_object *mo = cmp_exact_metric(sets, n, key, m, labels, changes, varied_in);

		if (mo)
			json_object_array_add(metrics, mo);
	}
	for (int i = 0; i < n; i++) {
		char w[768];

		if (!varied_in[i][0])
			continue;
		snprintf(w, sizeof(w),
			 "%s: repetitions disagree on %.255s in %.127s (the first ok one is shown; not compared)", key,
			 varied_in[i], labels[i]);
		json_object_array_add(warnings, json_object_new_string(w));
	}
	json_object_object_add(o, "metrics", metrics);
	json_object_object_add(o, "behaviour_changes", changes);
	return o;
}

static bool cmp_has_key(char (*keys)[CB_KEY_MAX], size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(keys[i], key) == 0)
			return true;
	return false;
}

/* Which runs' timings are compared with the baseline's, with warnings that say so; returns the
 * value of "timings" (see compare.h). */
static const char *cmp_timings(struct cb_resultset *sets, int n, bool force, enum cmp_timing *timing,
			       json_object *warnings)
{
	char skipped[512] = "", forced[512] = "", w[1400];
	size_t soff = 0, foff = 0;
	bool emu = false, listed[CMP_MAX_RUNS] = { false };

	timing[0] = CMP_TIMING_HW;
	for (int i = 1; i < n; i++) {
		bool e0 = cmp_emulated(sets[0].env), ei = cmp_emulated(sets[i].env);
		int who = e0 ? 0 : i;
		char *list = force ? forced : skipped;
		size_t *off = force ? &foff : &soff;

		timing[i] = e0 || ei ? CMP_TIMING_EMULATED : CMP_TIMING_HW;
		emu |= e0 && ei;
		if (e0 == ei)
			continue;
		if (!force)
			timing[i] = CMP_TIMING_SKIPPED;
		if (listed[who] || *off >= sizeof(skipped))
			continue;
		listed[who] = true;
		*off += (size_t)snprintf(list + *off, sizeof(skipped) - *off, "%s%s", *off ? ", " : "", sets[who].label);
	}
	if (soff) {
		snprintf(w, sizeof(w),
			 "timings of %s not compared with hardware timings: emulated times are not hardware times;"
			 " deterministic outcomes are compared as usual (--timings compares timings anyway)",
			 skipped);
		json_object_array_add(warnings, json_object_new_string(w));
	}
	if (foff) {
		snprintf(w, sizeof(w),
			 "--timings: timings of %s compared with hardware timings, but emulated times are not"
			 " hardware times: their ratios say little about the kernel",
			 forced);
		json_object_array_add(warnings, json_object_new_string(w));
	}
	if (emu)
		json_object_array_add(warnings, json_object_new_string(
			soff || foff ? "timings compared between runs under TCG emulation are emulated times, not"
				       " hardware times" :
				       "every result set ran under TCG emulation: the timings compared are emulated"
				       " times, not hardware times (deterministic outcomes are the kernel's own)"));
	return soff ? "not compared" : foff ? "forced" : emu ? "emulated" : "hardware";
}

json_object *cb_compare_build(struct cb_resultset *sets, int n, unsigned flags, char *err, size_t errlen)
{
	char(*keys[CMP_MAX_RUNS])[CB_KEY_MAX] = { 0 };
	size_t nkeys[CMP_MAX_RUNS] = { 0 };
	const char *labels[CMP_MAX_RUNS], *timings;
	enum cmp_timing timing[CMP_MAX_RUNS];
	json_object *cmp = NULL, *warnings, *runs, *diff, *instances;
	bool forced = false;
	int i;

	if (n < 2 || n > CMP_MAX_RUNS) {
		snprintf(err, errlen, "compare needs a baseline and 1 to %d other result sets", CMP_MAX_RUNS - 1);
		return NULL;
	}
	cmp_labels(sets, n);
	for (i = 0; i < n; i++) {
		labels[i] = sets[i].label;
		nkeys[i] = cb_resultset_keys(&sets[i], &keys[i]);
		if (!keys[i]) {
			snprintf(err, errlen, "out of memory");
			goto free_keys;
		}
	}
	for (i = 1; i < n; i++) {
		bool common = false;

		for (size_t k = 0; k < nkeys[i] && !common; k++)
			common = cmp_has_key(keys[0], nkeys[0], keys[i][k]);
		if (!common) {
			snprintf(err, errlen,
				 "%s/results.jsonl: no instance in common with the baseline %s/results.jsonl",
				 sets[i].dir, sets[0].dir);
			goto free_keys;
		}
	}
	warnings = json_object_new_array();
	diff = cmp_env_diff(sets, n, flags & CB_CMP_FORCE, &forced, warnings, err, errlen);
	if (!diff) {
		json_object_put(warnings);
		goto free_keys;
	}
	timings = cmp_timings(sets, n, flags & CB_CMP_TIMINGS, timing, warnings);
	cmp = json_object_new_object();
	json_object_object_add(cmp, "schema", json_object_new_int(1));
	json_object_object_add(cmp, "baseline", json_object_new_string(sets[0].label));
	json_object_object_add(cmp, "forced", json_object_new_boolean(forced));
	json_object_object_add(cmp, "timings", json_object_new_string(timings));
	json_object_object_add(cmp, "warnings", warnings);
	runs = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *r = json_object_new_object(), *rel = jpath(sets[i].env, "kernel.release");
		const char *id = jstr(sets[i].env, "run_id");

		json_object_object_add(r, "label", json_object_new_string(sets[i].label));
		json_object_object_add(r, "dir", json_object_new_string(sets[i].dir));
		json_object_object_add(r, "run_id", id ? json_object_new_string(id) : NULL);
		json_object_object_add(r, "kernel_release",
				       rel ? json_object_new_string(json_object_get_string(rel)) : NULL);
		json_object_object_add(r, "virtualized",
				       cmp_virt(sets[i].env) ? json_object_new_string(cmp_virt(sets[i].env)) : NULL);
		json_object_object_add(r, "emulated", json_object_new_boolean(cmp_emulated(sets[i].env)));
		json_object_object_add(r, "vm", cmp_virt(sets[i].env) ? json_object_get(jget(sets[i].env, "vm")) : NULL);
		json_object_array_add(runs, r);
	}
	json_object_object_add(cmp, "runs", runs);
	json_object_object_add(cmp, "env_diff", diff);
	instances = json_object_new_array();
	/* The baseline's instances in its order, then those only other runs have. */
	for (i = 0; i < n; i++)
		for (size_t k = 0; k < nkeys[i]; k++) {
			bool earlier = false;

			for (int j = 0; j < i && !earlier; j++)
				earlier = cmp_has_key(keys[j], nkeys[j], keys[i][k]);
			if (!earlier)
				json_object_array_add(instances, cmp_instance(sets, n, keys[i][k], labels, timing, warnings));
		}
	json_object_object_add(cmp, "instances", instances);
free_keys:
	for (i = 0; i < n; i++)
		free(keys[i]);
	return cmp;
}

/* ---- rendering ---- */

struct cmp_out {
	FILE *f;
	bool colour;
};

static const char *cmp_colour(const struct cmp_out *o, const char *verdict)
{
	if (!o->colour || !verdict)
		return "";
	if (strcmp(verdict, "regression") == 0)
		return "\033[31m";
	if (strcmp(verdict, "improvement") == 0)
		return "\033[32m";
	return "";
}

static const char *cmp_reset(const struct cmp_out *o, const char *verdict)
{
	return *cmp_colour(o, verdict) ? "\033[0m" : "";
}

static char cmp_mark(const char *verdict)
{
	if (!verdict)
		return ' ';
	if (strcmp(verdict, "regression") == 0)
		return '+';
	if (strcmp(verdict, "improvement") == 0)
		return '-';
	if (strcmp(verdict, "not significant") == 0)
		return '~';
	return '?';
}

/* Word-wraps text to CMP_WIDTH columns: the first line after `first` spaces, the others after
 * `cont`. Widths count bytes, never fewer than the columns shown. */
static void cmp_wrap(FILE *f, int first, int cont, const char *text)
{
	int indent = first;
	size_t width, len;

	do {
		width = (size_t)(CMP_WIDTH - indent);
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

/* What "timings" says, for the header; "" when every timing is a hardware one. */
static const char *cmp_timings_note(json_object *cmp)
{
	const char *t = jstr(cmp, "timings") ?: "hardware";

	if (strcmp(t, "emulated") == 0)
		return "emulated timings (TCG)";
	if (strcmp(t, "not compared") == 0)
		return "emulated timings not compared with hardware ones";
	if (strcmp(t, "forced") == 0)
		return "emulated and hardware timings compared (--timings)";
	return "";
}

/* A timing of an emulated run and a hardware one: not compared. */
static bool cmp_vs_skipped(json_object *vs)
{
	json_object *c = jget(vs, "compared");

	return c && !json_object_get_boolean(c);
}

/* The runs with a timing not compared with the baseline's, as letters ("B, C"); 0 when none. */
static size_t cmp_skipped_runs(json_object *cmp, char *buf, size_t len)
{
	json_object *inst = jget(cmp, "instances");
	bool skipped[CMP_MAX_RUNS] = { false };
	size_t count = 0, off = 0;

	for (size_t i = 0; i < jlen(inst); i++) {
		json_object *metrics = jget(jidx(inst, i), "metrics");

		for (size_t m = 0; m < jlen(metrics); m++) {
			json_object *vs = jget(jidx(metrics, m), "vs_baseline");

			for (size_t r = 1; r < jlen(vs) && r < CMP_MAX_RUNS; r++)
				skipped[r] |= cmp_vs_skipped(jidx(vs, r));
		}
	}
	buf[0] = '\0';
	for (int r = 1; r < CMP_MAX_RUNS; r++)
		if (skipped[r] && off < len) {
			off += (size_t)snprintf(buf + off, len - off, "%s%c", count ? ", " : "", 'A' + r);
			count++;
		}
	return count;
}

static void cmp_text_stat_row(const struct cmp_out *o, int run, json_object *st, json_object *vs, const char *status,
			      const char *reason)
{
	char med[16], mean[16], sd[16], min[16], max[16], ratio[16], lo[16], hi[16], pw[16], pm[16], line[256];
	const char *verdict = jstr(vs, "verdict");
	size_t off;

	if (!st) {
		snprintf(line, sizeof(line), "    %c   0  (%s%s%s)", 'A' + run, status ? status : "missing",
			 reason ? ": " : "", reason ? reason : "");
		if (strlen(line) > CMP_WIDTH)
			strcpy(line + CMP_WIDTH - 4, "…)");
		fprintf(o->f, "%s\n", line);
		return;
	}
	off = (size_t)snprintf(
		line, sizeof(line), "    %c %3.0f %7s %7s ± %-7s %7s … %-7s", 'A' + run, jnum(st, "n"),
		cmp_short(jnum(st, "median"), med, sizeof(med)), cmp_short(jnum(st, "mean"), mean, sizeof(mean)), cmp_short(jnum(st, "stddev"), sd, sizeof(sd)),
		cmp_short(jnum(st, "min"), min, sizeof(min)), cmp_short(jnum(st, "max"), max, sizeof(max)));
	if (!vs || cmp_vs_skipped(vs)) {
		while (off && line[off - 1] == ' ')
			line[--off] = '\0';
		fprintf(o->f, "%s%s\n", line, vs ? "  emulated: not compared" : "");
		return;
	}
	fprintf(o->f, "%s  %6s [%6s, %6s]  %6s  %6s  %s%c%s\n", line,
		cmp_ratio_str(jnum(vs, "ratio"), ratio, sizeof(ratio)),
		cmp_ratio_str(jnum(vs, "ci_lo"), lo, sizeof(lo)), cmp_ratio_str(jnum(vs, "ci_hi"), hi, sizeof(hi)),
		cmp_p_str(jnum(vs, "p_welch"), pw, sizeof(pw)), cmp_p_str(jnum(vs, "p_mannwhitney"), pm, sizeof(pm)),
		cmp_colour(o, verdict), cmp_mark(verdict), cmp_reset(o, verdict));
}

static void cmp_text_exact(const struct cmp_out *o, json_object *m, int n)
{
	json_object *values = jget(m, "values"), *varied = jget(m, "varied");
	char line[1024];
	size_t off;

	off = (size_t)snprintf(line, sizeof(line), "%s:", jstr(m, "name"));
	for (int i = 0; i < n && off < sizeof(line); i++) {
		json_object *v = jidx(values, (size_t)i);

		off += (size_t)snprintf(line + off, sizeof(line) - off, "%s %c %s%s", i ? "," : "", 'A' + i,
					v ? json_object_get_string(v) : "-",
					json_object_get_boolean(jidx(varied, (size_t)i)) ? " (varied)" : "");
	}
	if (off < sizeof(line) && json_object_get_boolean(jget(m, "changed")))
		snprintf(line + off, sizeof(line) - off, "  CHANGED");
	cmp_wrap(o->f, 2, 6, line);
}

/* Calls fn for every significant result: instance, metric, run, comparison. */
static void cmp_each_significant(json_object *cmp,
				 void (*fn)(const struct cmp_out *, json_object *, json_object *, int, json_object *),
				 const struct cmp_out *o)
{
	json_object *inst = jget(cmp, "instances");

	for (size_t i = 0; i < jlen(inst); i++) {
		json_object *metrics = jget(jidx(inst, i), "metrics");

		for (size_t m = 0; m < jlen(metrics); m++) {
			json_object *vs = jget(jidx(metrics, m), "vs_baseline");

			for (size_t r = 1; r < jlen(vs); r++) {
				const char *v = jstr(jidx(vs, r), "verdict");

				if (v && (strcmp(v, "regression") == 0 || strcmp(v, "improvement") == 0))
					fn(o, jidx(inst, i), jidx(metrics, m), (int)r, jidx(vs, r));
			}
		}
	}
}

static int cmp_count;

static void cmp_text_significant(const struct cmp_out *o, json_object *inst, json_object *m, int run, json_object *vs)
{
	char ratio[16], lo[16], hi[16], pw[16], line[512];
	const char *verdict = jstr(vs, "verdict");

	snprintf(line, sizeof(line), "%s %s: %c/A %s [%s, %s], p %s: %s", jstr(inst, "key"), jstr(m, "name"), 'A' + run,
		 cmp_ratio_str(jnum(vs, "ratio"), ratio, sizeof(ratio)),
		 cmp_ratio_str(jnum(vs, "ci_lo"), lo, sizeof(lo)), cmp_ratio_str(jnum(vs, "ci_hi"), hi, sizeof(hi)),
		 cmp_p_str(jnum(vs, "p_welch"), pw, sizeof(pw)), verdict);
	if (jstr(vs, "timing"))
		snprintf(line + strlen(line), sizeof(line) - strlen(line), " (%s times)", jstr(vs, "timing"));
	fputs(cmp_colour(o, verdict), o->f);
	cmp_wrap(o->f, 2, 6, line);
	fputs(cmp_reset(o, verdict), o->f);
	cmp_count++;
}

/* Instances that are not ok, or absent, on some run. */
static void cmp_each_not_ok(json_object *cmp,
			    void (*fn)(const struct cmp_out *, json_object *, int, const char *, const char *),
			    const struct cmp_out *o)
{
	json_object *inst = jget(cmp, "instances");

	for (size_t i = 0; i < jlen(inst); i++) {
		json_object *st = jget(jidx(inst, i), "status"), *rs = jget(jidx(inst, i), "reason");

		for (size_t r = 0; r < jlen(st); r++) {
			json_object *s = jidx(st, r), *why = jidx(rs, r);

			if (!s || strcmp(json_object_get_string(s), "ok") != 0)
				fn(o, jidx(inst, i), (int)r, s ? json_object_get_string(s) : "missing",
				   why ? json_object_get_string(why) : NULL);
		}
	}
}

static void cmp_text_not_ok(const struct cmp_out *o, json_object *inst, int run, const char *status, const char *why)
{
	char line[1024];

	snprintf(line, sizeof(line), "%s  %c: %s%s%s", jstr(inst, "key"), 'A' + run, status, why ? ": " : "",
		 why ? why : "");
	cmp_wrap(o->f, 2, 6, line);
	cmp_count++;
}

static void cmp_text_changes(const struct cmp_out *o, json_object *cmp, bool markdown)
{
	json_object *inst = jget(cmp, "instances");

	cmp_count = 0;
	for (size_t i = 0; i < jlen(inst); i++) {
		json_object *ch = jget(jidx(inst, i), "behaviour_changes");

		for (size_t c = 0; c < jlen(ch); c++, cmp_count++)
			if (markdown)
				fprintf(o->f, "- %s\n", json_object_get_string(jidx(ch, c)));
			else
				cmp_wrap(o->f, 2, 6, json_object_get_string(jidx(ch, c)));
	}
	if (!cmp_count)
		fprintf(o->f, "%s(none)\n", markdown ? "" : "  ");
}

static void cmp_render_text(const struct cmp_out *o, json_object *cmp)
{
	json_object *runs = jget(cmp, "runs"), *warn = jget(cmp, "warnings"), *diff = jget(cmp, "env_diff"),
		    *inst = jget(cmp, "instances");
	int n = (int)jlen(runs);
	FILE *f = o->f;
	char skipped[128];

	fprintf(f, "cowbench compare: %d result sets, baseline A%s%s\n", n, *cmp_timings_note(cmp) ? "; " : "",
		cmp_timings_note(cmp));
	for (int i = 0; i < n; i++) {
		json_object *r = jidx(runs, (size_t)i);
		char line[1024];

		const char *dir = jstr(r, "dir") ?: "?", *id = jstr(r, "run_id"), *slash = strrchr(dir, '/');

		/* A run directory is usually named for its run id: no need to say it twice. */
		if (!id || strcmp(slash ? slash + 1 : dir, id) == 0)
			snprintf(line, sizeof(line), "%c  %s  %s%s", 'A' + i, jstr(r, "label"), dir,
				 i ? "" : "  (baseline)");
		else
			snprintf(line, sizeof(line), "%c  %s  %s (run %s)%s", 'A' + i, jstr(r, "label"), dir, id,
				 i ? "" : "  (baseline)");
		cmp_wrap(f, 2, 7, line);
	}
	if (jlen(warn)) {
		fprintf(f, "\nWarnings:\n");
		for (size_t i = 0; i < jlen(warn); i++)
			cmp_wrap(f, 2, 4, json_object_get_string(jidx(warn, i)));
	}
	fprintf(f, "\nEnvironment differences:\n");
	if (!jlen(diff))
		fprintf(f, "  (none)\n");
	for (size_t d = 0; d < jlen(diff); d++) {
		json_object *vals = jget(jidx(diff, d), "values");

		fprintf(f, "  %s\n", jstr(jidx(diff, d), "field"));
		for (int i = 0; i < n; i++) {
			json_object *v = jidx(vals, (size_t)i);
			char line[4200];

			snprintf(line, sizeof(line), "%c  %s", 'A' + i, v ? json_object_get_string(v) : "(none)");
			cmp_wrap(f, 4, 7, line);
		}
	}
	fprintf(f, "\nBehaviour changes (outcomes compared exactly, first ok repetition):\n");
	cmp_text_changes(o, cmp, false);
	fprintf(f, "\nSignificant differences (Welch p < 0.05 and the 95%% CI of the ratio excludes 1):\n");
	cmp_count = 0;
	cmp_each_significant(cmp, cmp_text_significant, o);
	/* "(none)" would read as "no regression" where the timings were not compared. */
	if (!cmp_skipped_runs(cmp, skipped, sizeof(skipped)) && !cmp_count)
		fprintf(f, "  (none)\n");
	if (skipped[0]) {
		char line[300];

		snprintf(line, sizeof(line),
			 "timings of %s not compared with A's: TCG emulation against hardware (--timings compares"
			 " them)",
			 skipped);
		cmp_wrap(f, 2, 4, line);
	}
	fprintf(f, "\nInstances not ok or not in every result set:\n");
	cmp_count = 0;
	cmp_each_not_ok(cmp, cmp_text_not_ok, o);
	if (!cmp_count)
		fprintf(f, "  (none)\n");
	fprintf(f, "\nPer instance: n repetitions, median, mean ± standard deviation, min … max (ns; k = 10^3,\n"
		   "M = 10^6); ratio = mean / mean of A with its 95%% CI; p of Welch's t-test and of the\n"
		   "Mann-Whitney U test (p columns Welch, MWU). Lower is better. Mark: + regression,\n"
		   "- improvement, ~ not significant, ? too few samples (n < 2).\n");
	if (skipped[0])
		fprintf(f, "emulated: not compared (a run under TCG emulation against a hardware run).\n");
	fputc('\n', f);
	/* σ takes two bytes for one column. */
	fprintf(f, "    %c %3s %7s %7s ± %-8s %7s … %-7s  %6s %-15s  %6s  %6s  %s\n", ' ', "n", "median", "mean", "σ",
		"min", "max", "ratio", "[95% CI]", "Welch", "MWU", "mark");
	for (size_t i = 0; i < jlen(inst); i++) {
		json_object *in = jidx(inst, i), *metrics = jget(in, "metrics");

		fprintf(f, "\n%s\n", jstr(in, "key"));
		if (!jlen(metrics))
			fprintf(f, "  no figures in any result set\n");
		for (size_t m = 0; m < jlen(metrics); m++) {
			json_object *mo = jidx(metrics, m);

			if (strcmp(jstr(mo, "kind") ?: "", "stat") != 0)
				continue;
			fprintf(f, "  %s (%s)\n", jstr(mo, "name"), jstr(mo, "unit"));
			for (int r = 0; r < n; r++) {
				json_object *st = jidx(jget(in, "status"), (size_t)r),
					    *why = jidx(jget(in, "reason"), (size_t)r);

				cmp_text_stat_row(o, r, jidx(jget(mo, "runs"), (size_t)r),
						  jidx(jget(mo, "vs_baseline"), (size_t)r),
						  st ? json_object_get_string(st) : NULL,
						  why ? json_object_get_string(why) : NULL);
			}
		}
		for (size_t m = 0; m < jlen(metrics); m++)
			if (strcmp(jstr(jidx(metrics, m), "kind") ?: "", "exact") == 0)
				cmp_text_exact(o, jidx(metrics, m), n);
	}
}

/* ---- markdown ---- */

static void cmp_md_cell(FILE *f, const char *s)
{
	fputs(" ", f);
	for (; s && *s; s++) {
		if (*s == '|')
			fputc('\\', f);
		fputc(*s == '\n' ? ' ' : *s, f);
	}
	fputs(" |", f);
}

static void cmp_md_significant(const struct cmp_out *o, json_object *inst, json_object *m, int run, json_object *vs)
{
	char ratio[16], lo[16], hi[16], pw[16], pm[16], cell[64];

	fprintf(o->f, "|");
	cmp_md_cell(o->f, jstr(inst, "key"));
	cmp_md_cell(o->f, jstr(m, "name"));
	snprintf(cell, sizeof(cell), "%c", 'A' + run);
	cmp_md_cell(o->f, cell);
	snprintf(cell, sizeof(cell), "%s [%s, %s]", cmp_ratio_str(jnum(vs, "ratio"), ratio, sizeof(ratio)),
		 cmp_ratio_str(jnum(vs, "ci_lo"), lo, sizeof(lo)), cmp_ratio_str(jnum(vs, "ci_hi"), hi, sizeof(hi)));
	cmp_md_cell(o->f, cell);
	cmp_md_cell(o->f, cmp_p_str(jnum(vs, "p_welch"), pw, sizeof(pw)));
	cmp_md_cell(o->f, cmp_p_str(jnum(vs, "p_mannwhitney"), pm, sizeof(pm)));
	snprintf(cell, sizeof(cell), "**%s**%s%s%s", jstr(vs, "verdict"), jstr(vs, "timing") ? " (" : "",
		 jstr(vs, "timing") ?: "", jstr(vs, "timing") ? " times)" : "");
	cmp_md_cell(o->f, cell);
	fputc('\n', o->f);
	cmp_count++;
}

static void cmp_md_not_ok(const struct cmp_out *o, json_object *inst, int run, const char *status, const char *why)
{
	fprintf(o->f, "|");
	cmp_md_cell(o->f, jstr(inst, "key"));
	fprintf(o->f, " %c |", 'A' + run);
	cmp_md_cell(o->f, status);
	cmp_md_cell(o->f, why ? why : "");
	fputc('\n', o->f);
	cmp_count++;
}

static void cmp_render_markdown(const struct cmp_out *o, json_object *cmp)
{
	json_object *runs = jget(cmp, "runs"), *warn = jget(cmp, "warnings"), *diff = jget(cmp, "env_diff"),
		    *inst = jget(cmp, "instances");
	int n = (int)jlen(runs);
	FILE *f = o->f;
	char skipped[128];

	fprintf(f, "# cowbench compare\n\n");
	if (*cmp_timings_note(cmp))
		fprintf(f, "Timings: %s.\n\n", cmp_timings_note(cmp));
	fprintf(f, "| run | kernel | result dir | run id |\n|---|---|---|---|\n");
	for (int i = 0; i < n; i++) {
		json_object *r = jidx(runs, (size_t)i);

		fprintf(f, "| %c%s |", 'A' + i, i ? "" : " (baseline)");
		cmp_md_cell(f, jstr(r, "label"));
		cmp_md_cell(f, jstr(r, "dir"));
		cmp_md_cell(f, jstr(r, "run_id") ?: "?");
		fputc('\n', f);
	}
	if (jlen(warn)) {
		fprintf(f, "\n## Warnings\n\n");
		for (size_t i = 0; i < jlen(warn); i++)
			fprintf(f, "- %s\n", json_object_get_string(jidx(warn, i)));
	}
	fprintf(f, "\n## Environment differences\n\n");
	if (!jlen(diff))
		fprintf(f, "(none)\n");
	else {
		fprintf(f, "| field |");
		for (int i = 0; i < n; i++)
			fprintf(f, " %c |", 'A' + i);
		fprintf(f, "\n|---|");
		for (int i = 0; i < n; i++)
			fprintf(f, "---|");
		fputc('\n', f);
	}
	for (size_t d = 0; d < jlen(diff); d++) {
		json_object *vals = jget(jidx(diff, d), "values");

		fprintf(f, "|");
		cmp_md_cell(f, jstr(jidx(diff, d), "field"));
		for (int i = 0; i < n; i++) {
			json_object *v = jidx(vals, (size_t)i);

			cmp_md_cell(f, v ? json_object_get_string(v) : "(none)");
		}
		fputc('\n', f);
	}
	fprintf(f, "\n## Behaviour changes\n\nOutcomes compared exactly (first ok repetition).\n\n");
	cmp_text_changes(o, cmp, true);
	fprintf(f,
		"\n## Significant differences\n\nWelch p < 0.05 and the 95 %% CI of the ratio (mean / mean of A)"
		" excludes 1.\n\n| instance | metric | run | ratio [95 %% CI] | p Welch | p Mann-Whitney | verdict |\n"
		"|---|---|---|---|---|---|---|\n");
	cmp_count = 0;
	cmp_each_significant(cmp, cmp_md_significant, o);
	if (!cmp_count)
		fprintf(f, "| (none) | | | | | | |\n");
	if (cmp_skipped_runs(cmp, skipped, sizeof(skipped)))
		fprintf(f, "\nTimings of %s not compared with A's: TCG emulation against hardware (`--timings`"
			   " compares them).\n", skipped);
	fprintf(f, "\n## Instances not ok or not in every result set\n\n| instance | run | status | reason |\n"
		   "|---|---|---|---|\n");
	cmp_count = 0;
	cmp_each_not_ok(cmp, cmp_md_not_ok, o);
	if (!cmp_count)
		fprintf(f, "| (none) | | | |\n");
	fprintf(f, "\n## Per instance\n\nTimes in ns, lower is better; ratio = mean / mean of A%s.\n",
		skipped[0] ? "; emulated: not compared (a run under TCG emulation against a hardware run)" : "");
	for (size_t i = 0; i < jlen(inst); i++) {
		json_object *in = jidx(inst, i), *metrics = jget(in, "metrics");
		bool header = false;

		fprintf(f, "\n### %s\n\n", jstr(in, "key"));
		for (size_t m = 0; m < jlen(metrics); m++) {
			json_object *mo = jidx(metrics, m);

			if (strcmp(jstr(mo, "kind") ?: "", "stat") != 0)
				continue;
			if (!header)
				fprintf(f, "| metric | run | n | median | mean ± σ | min … max | ratio [95 %% CI] |"
					   " p Welch | p Mann-Whitney | verdict |\n"
					   "|---|---|---|---|---|---|---|---|---|---|\n");
			header = true;
			for (int r = 0; r < n; r++) {
				json_object *st = jidx(jget(mo, "runs"), (size_t)r),
					    *vs = jidx(jget(mo, "vs_baseline"), (size_t)r);
				char a[16], b[16], c[16], cell[96];

				fprintf(f, "|");
				cmp_md_cell(f, r ? "" : jstr(mo, "name"));
				fprintf(f, " %c |", 'A' + r);
				if (!st) {
					json_object *s = jidx(jget(in, "status"), (size_t)r);

					fprintf(f, " 0 | %s | | | | | | |\n",
						s ? json_object_get_string(s) : "missing");
					continue;
				}
				fprintf(f, " %.0f | %s |", jnum(st, "n"), cmp_short(jnum(st, "median"), a, sizeof(a)));
				fprintf(f, " %s ± %s |", cmp_short(jnum(st, "mean"), a, sizeof(a)),
					cmp_short(jnum(st, "stddev"), b, sizeof(b)));
				fprintf(f, " %s … %s |", cmp_short(jnum(st, "min"), a, sizeof(a)),
					cmp_short(jnum(st, "max"), b, sizeof(b)));
				if (!vs || cmp_vs_skipped(vs)) {
					fprintf(f, vs ? " emulated | | | not compared |\n" : " | | | |\n");
					continue;
				}
				snprintf(cell, sizeof(cell), "%s [%s, %s]",
					 cmp_ratio_str(jnum(vs, "ratio"), a, sizeof(a)),
					 cmp_ratio_str(jnum(vs, "ci_lo"), b, sizeof(b)),
					 cmp_ratio_str(jnum(vs, "ci_hi"), c, sizeof(c)));
				cmp_md_cell(f, cell);
				cmp_md_cell(f, cmp_p_str(jnum(vs, "p_welch"), a, sizeof(a)));
				cmp_md_cell(f, cmp_p_str(jnum(vs, "p_mannwhitney"), a, sizeof(a)));
				cmp_md_cell(f, jstr(vs, "verdict"));
				fputc('\n', f);
			}
		}
		header = false;
		for (size_t m = 0; m < jlen(metrics); m++) {
			json_object *mo = jidx(metrics, m), *vals = jget(mo, "values");

			if (strcmp(jstr(mo, "kind") ?: "", "exact") != 0)
				continue;
			if (!header) {
				fprintf(f, "\n| outcome |");
				for (int r = 0; r < n; r++)
					fprintf(f, " %c |", 'A' + r);
				fprintf(f, " changed |\n|---|");
				for (int r = 0; r <= n; r++)
					fprintf(f, "---|");
				fputc('\n', f);
			}
			header = true;
			fprintf(f, "|");
			cmp_md_cell(f, jstr(mo, "name"));
			for (int r = 0; r < n; r++) {
				json_object *v = jidx(vals, (size_t)r);

				cmp_md_cell(f, v ? json_object_get_string(v) : "-");
			}
			cmp_md_cell(f, json_object_get_boolean(jget(mo, "changed")) ? "**yes**" : "no");
			fputc('\n', f);
		}
		if (!jlen(metrics))
			fprintf(f, "No figures in any result set.\n");
	}
}

/* ---- CSV / TSV: one row per instance × metric × run ---- */

static void cmp_sv_cell(FILE *f, char sep, const char *s, bool last)
{
	s = s ?: "";
	if (sep == ',' && strpbrk(s, ",\"\n\r")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		for (; *s; s++)
			fputc(sep == '\t' && (*s == '\t' || *s == '\n' || *s == '\r') ? ' ' : *s, f);
	}
	fputc(last ? '\n' : sep, f);
}

/* A JSON scalar as the text it was built from ("" for null). */
static const char *cmp_sv_val(json_object *v)
{
	if (!v)
		return "";
	if (json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v) ? "yes" : "no";
	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : json_object_to_json_string(v);
}

static const char *const cmp_sv_columns[] = {
	"instance", "scenario", "backing", "size_h", "metric", "kind", "unit", "better", "run", "label", "status",
	"reason", "n", "median", "mean", "stddev", "min", "max", "value", "ratio", "ci_lo", "ci_hi", "p_welch",
	"p_mannwhitney", "verdict", "changed",
};

static void cmp_render_sv(const struct cmp_out *o, json_object *cmp, char sep)
{
	json_object *runs = jget(cmp, "runs"), *inst = jget(cmp, "instances");
	const size_t ncol = CB_ARRAY_SIZE(cmp_sv_columns);
	size_t n = jlen(runs);

	for (size_t c = 0; c < ncol; c++)
		cmp_sv_cell(o->f, sep, cmp_sv_columns[c], c + 1 == ncol);
	for (size_t i = 0; i < jlen(inst); i++) {
		json_object *in = jidx(inst, i), *metrics = jget(in, "metrics");
		size_t nm = jlen(metrics);

		/* An instance without figures anywhere still gets its rows, for the statuses. */
		for (size_t m = 0; m < (nm ? nm : 1); m++) {
			json_object *mo = jidx(metrics, m);
			bool exact = mo && strcmp(jstr(mo, "kind") ?: "", "exact") == 0;

			for (size_t r = 0; r < n; r++) {
				json_object *st = jidx(jget(mo, "runs"), r), *vs = jidx(jget(mo, "vs_baseline"), r),
					    *val = jidx(jget(mo, "values"), r), *status = jidx(jget(in, "status"), r);
				json_object *base = jidx(jget(mo, "values"), 0);
				const char *changed = "";
				char letter[2] = { (char)('A' + r), '\0' };

				/* Per run: does its exact value differ from the baseline's? */
				if (exact && r && base && val)
					changed = strcmp(cmp_sv_val(val), cmp_sv_val(base)) ? "yes" : "no";
				const char *cells[] = {
					jstr(in, "key"),
					jstr(in, "scenario"),
					jstr(in, "backing"),
					jstr(in, "size_h"),
					jstr(mo, "name"),
					jstr(mo, "kind"),
					jstr(mo, "unit"),
					jstr(mo, "better"),
					letter,
					jstr(jidx(runs, r), "label"),
					status ? json_object_get_string(status) : "missing",
					cmp_sv_val(jidx(jget(in, "reason"), r)),
					cmp_sv_val(jget(st, "n")),
					cmp_sv_val(jget(st, "median")),
					cmp_sv_val(jget(st, "mean")),
					cmp_sv_val(jget(st, "stddev")),
					cmp_sv_val(jget(st, "min")),
					cmp_sv_val(jget(st, "max")),
					cmp_sv_val(val),
					cmp_sv_val(jget(vs, "ratio")),
					cmp_sv_val(jget(vs, "ci_lo")),
					cmp_sv_val(jget(vs, "ci_hi")),
					cmp_sv_val(jget(vs, "p_welch")),
					cmp_sv_val(jget(vs, "p_mannwhitney")),
					cmp_vs_skipped(vs) ? "emulated" : jstr(vs, "verdict"),
					changed,
				};

				_Static_assert(CB_ARRAY_SIZE(cells) == CB_ARRAY_SIZE(cmp_sv_columns),
					       "one cell per column");
				for (size_t c = 0; c < ncol; c++)
					cmp_sv_cell(o->f, sep, cells[c], c + 1 == ncol);
			}
		}
	}
}

/* ---- the command ---- */

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
	struct cmp_out o = { .f = f, .colour = colour };

	switch (fmt) {
	case CMP_TEXT:
		cmp_render_text(&o, cmp);
		break;
	case CMP_MARKDOWN:
		cmp_render_markdown(&o, cmp);
		break;
	case CMP_CSV:
		cmp_render_sv(&o, cmp, ',');
		break;
	case CMP_TSV:
		cmp_render_sv(&o, cmp, '\t');
		break;
	case CMP_JSON:
		fprintf(f, "%s\n",
			json_object_to_json_string_ext(cmp, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
								    JSON_C_TO_STRING_NOSLASHESCAPE));
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
	if (npaths < 2 || npaths > CMP_MAX_RUNS) {
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
