/* The environment side of a comparison: which env.json fields differ between result sets (and
 * whether that needs --force), and whose timings are compared with the baseline's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb.h"
#include "cmpcommon.h"
#include "cmpenv.h"

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

/* A kernel without mTHP (before 6.8) behaves as one whose PMD size inherits the top-level
 * setting and whose other sizes are never: the same settings, though the sysfs files differ. */
static bool cmp_mthp_default(json_object *thp)
{
	json_object *mthp = cb_jget(thp, "mthp");
	double pmd = cb_jnum(thp, "hpage_pmd_size");

	if (!mthp || !json_object_is_type(mthp, json_type_object) || !(pmd > 0))
		return false;
	json_object_object_foreach (mthp, k, v) {
		const char *want = cb_size_kb(k) == (long)(pmd / 1024) ? "inherit" : "never";

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
	struct cb_sized sz[32];
	size_t n, off, never = 0;

	if (!thp || !json_object_is_type(thp, json_type_object)) {
		snprintf(buf, len, "none");
		return;
	}
	off = (size_t)snprintf(buf, len, "enabled=%s defrag=%s", cb_jstr(thp, "enabled") ?: "?",
			       cb_jstr(thp, "defrag") ?: "?");
	n = fold && cmp_mthp_default(thp) ? 0 : cb_sizes_sorted(cb_jget(thp, "mthp"), sz, CB_ARRAY_SIZE(sz));
	if (!n || off >= len)
		return;
	off += (size_t)snprintf(buf + off, len - off, " mthp:");
	for (size_t i = 0; i < n && off < len; i++) {
		char name[24];

		if (sz[i].val && strcmp(sz[i].val, "never") == 0) {
			never++;
			continue;
		}
		cb_size_name(sz[i].kb, name, sizeof(name));
		off += (size_t)snprintf(buf + off, len - off, " %s=%s", name, sz[i].val ?: "?");
	}
	if (off < len)
		snprintf(buf + off, len - off, "%s", never == n ? " all never" : never ? ", others never" : "");
}

/* Swap devices without the momentary usage. */
static void cmp_swap_str(json_object *swap, char *buf, size_t len)
{
	size_t off = 0, n = cb_jlen(swap);

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
		json_object *e = cb_jidx(swap, i);
		double kb = cb_jnum(e, "size_kb");

		off += (size_t)snprintf(buf + off, len - off, "%s%s (%s, %.0fM, prio %.0f)", i ? ", " : "",
					cb_jstr(e, "device") ?: "?", cb_jstr(e, "type") ?: "?", isnan(kb) ? 0 : kb / 1024,
					cb_jnum(e, "priority"));
	}
}

/* "tcg (QEMU 7.2.19, x86_64, debian:linux-image-6.12…)"; "none" for a native run. */
static void cmp_vm_str(json_object *env, char *buf, size_t len)
{
	json_object *vm = cb_jget(env, "vm");

	if (!cb_env_virt(env))
		snprintf(buf, len, "none");
	else
		snprintf(buf, len, "%s (QEMU %s, %s, %s)", cb_env_virt(env), cb_jstr(vm, "qemu") ?: "?",
			 cb_jstr(vm, "arch") ?: "?", cb_jstr(vm, "kernel_source") ?: "?");
}

/* A field of env.json as a string; NULL when absent. */
static json_object *cmp_env_value(json_object *env, const char *field)
{
	char buf[1024];
	json_object *v;

	if (strcmp(field, "thp") == 0) {
		cmp_thp_str(cb_jget(env, "thp"), buf, sizeof(buf), false);
		return json_object_new_string(buf);
	}
	if (strcmp(field, "virtualized") == 0) {
		cmp_vm_str(env, buf, sizeof(buf));
		return json_object_new_string(buf);
	}
	if (strcmp(field, "swap") == 0) {
		cmp_swap_str(cb_jget(env, "swap"), buf, sizeof(buf));
		return json_object_new_string(buf);
	}
	v = cb_jpath(env, field);
	if (!v)
		return NULL;
	return json_object_new_string(json_object_is_type(v, json_type_string) ? json_object_get_string(v)
									       : json_object_to_json_string(v));
}

/* Whether two runs differ in a field in a way that needs --force: hardware fields only between
 * runs of one kind, THP settings by what they do (a kernel without mTHP has its defaults). */
static bool cmp_env_conflict(struct cb_resultset *sets, int n, size_t f, json_object *vals)
{
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++) {
			char a[1024], b[1024];

			if ((cmp_env_fields[f].flags & CMP_ENV_HW) && !cb_env_same_kind(sets[i].env, sets[j].env))
				continue;
			if (strcmp(cmp_env_fields[f].field, "thp") != 0) {
				if (!cb_jstr_eq(cb_jidx(vals, (size_t)i), cb_jidx(vals, (size_t)j)))
					return true;
				continue;
			}
			cmp_thp_str(cb_jget(sets[i].env, "thp"), a, sizeof(a), true);
			cmp_thp_str(cb_jget(sets[j].env, "thp"), b, sizeof(b), true);
			if (strcmp(a, b) != 0)
				return true;
		}
	return false;
}

json_object *cb_env_diff(struct cb_resultset *sets, int n, bool force, bool *forced_out, json_object *warnings,
				 char *err, size_t errlen)
{
	json_object *diff = json_object_new_array();
	char why[1024] = "", forced[256] = "";
	size_t woff = 0, foff = 0;
	bool kinds = false;

	for (int i = 1; i < n; i++)
		kinds |= !cb_env_same_kind(sets[0].env, sets[i].env);
	for (size_t f = 0; f < CB_ARRAY_SIZE(cmp_env_fields); f++) {
		json_object *vals = json_object_new_array(), *d;
		bool differ = false;

		for (int i = 0; i < n; i++)
			json_object_array_add(vals, cmp_env_value(sets[i].env, cmp_env_fields[f].field));
		for (int i = 1; i < n; i++)
			differ |= !cb_jstr_eq(cb_jidx(vals, 0), cb_jidx(vals, (size_t)i));
		if (!differ || ((cmp_env_fields[f].flags & CMP_ENV_VM) && !kinds)) {
			json_object_put(vals);
			continue;
		}
		if ((cmp_env_fields[f].flags & CMP_ENV_FORCE) && cmp_env_conflict(sets, n, f, vals)) {
			if (woff < sizeof(why))
				woff += (size_t)snprintf(why + woff, sizeof(why) - woff, "%s%s (", woff ? ", " : "",
							 cmp_env_fields[f].what);
			for (int i = 0; i < n && woff < sizeof(why); i++) {
				json_object *v = cb_jidx(vals, (size_t)i);

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

/* Which runs' timings are compared with the baseline's, with warnings that say so; returns the
 * value of "timings" (see compare.h). */
const char *cb_cmp_timings(struct cb_resultset *sets, int n, bool force, enum cb_timing *timing,
			       json_object *warnings)
{
	char skipped[512] = "", forced[512] = "", w[1400];
	size_t soff = 0, foff = 0;
	bool emu = false, listed[CB_CMP_MAX_RUNS] = { false };

	timing[0] = CB_TIMING_HW;
	for (int i = 1; i < n; i++) {
		bool e0 = cb_env_emulated(sets[0].env), ei = cb_env_emulated(sets[i].env);
		int who = e0 ? 0 : i;
		char *list = force ? forced : skipped;
		size_t *off = force ? &foff : &soff;

		timing[i] = e0 || ei ? CB_TIMING_EMULATED : CB_TIMING_HW;
		emu |= e0 && ei;
		if (e0 == ei)
			continue;
		if (!force)
			timing[i] = CB_TIMING_SKIPPED;
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

