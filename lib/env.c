#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <math.h>
#include <numa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "cb.h"
#include "env.h"
#include "sysfs.h"
#include "timer.h"

#define CB_THP_DIR "/sys/kernel/mm/transparent_hugepage"

#if defined(__clang__)
#define CB_COMPILER "clang " __VERSION__
#elif defined(__GNUC__)
#define CB_COMPILER "gcc " __VERSION__
#else
#define CB_COMPILER "unknown"
#endif

/* Every put below records allocation failure in *oom instead of returning it, so each section
 * reads as a straight list of facts; cb_env_collect drops the whole record if any put failed,
 * because a null there must always mean "not found", never "out of memory". */
static void env_put(json_object *o, const char *key, json_object *v, bool *oom)
{
	if (!o || !v || json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		*oom = true;
	}
}

static void env_put_null(json_object *o, const char *key, bool *oom)
{
	if (!o || json_object_object_add(o, key, NULL) < 0)
		*oom = true;
}

static void env_put_str(json_object *o, const char *key, const char *s, bool *oom)
{
	if (s)
		env_put(o, key, json_object_new_string(s), oom);
	else
		env_put_null(o, key, oom);
}

static void env_put_int(json_object *o, const char *key, int64_t v, bool *oom)
{
	env_put(o, key, json_object_new_int64(v), oom);
}

/* Negative stands for "not found". */
static void env_put_count(json_object *o, const char *key, int64_t v, bool *oom)
{
	if (v >= 0)
		env_put_int(o, key, v, oom);
	else
		env_put_null(o, key, oom);
}

static void env_put_bool(json_object *o, const char *key, bool v, bool *oom)
{
	env_put(o, key, json_object_new_boolean(v), oom);
}

/* Nine digits keep what a calibration can resolve without json-c's 17-digit noise; NaN or
 * infinity would make the file invalid JSON. */
static void env_put_double(json_object *o, const char *key, double v, bool *oom)
{
	char s[32];

	if (!isfinite(v)) {
		env_put_null(o, key, oom);
		return;
	}
	snprintf(s, sizeof(s), "%.9g", v);
	env_put(o, key, json_object_new_double_s(v, s), oom);
}

/* key: null plus key_why, so a reader learns why a fact is missing. */
static void env_put_why(json_object *o, const char *key, const char *why, bool *oom)
{
	char k[64];

	env_put_null(o, key, oom);
	snprintf(k, sizeof(k), "%s_why", key);
	env_put_str(o, k, why, oom);
}

static void env_push(json_object *a, json_object *v, bool *oom)
{
	if (!a || !v || json_object_array_add(a, v) < 0) {
		json_object_put(v);
		*oom = true;
	}
}

static bool env_parse_int(const char *s, int64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoll(s, &end, 10);
	return end != s && !*end && !errno;
}

/* sysfs values as found: integers as numbers, choice files as their selected word. */
static void env_put_sysfs(json_object *o, const char *key, const char *path, bool *oom)
{
	char buf[512], word[128];
	int64_t v;

	if (cb_sysfs_read(path, buf, sizeof(buf)) < 0)
		env_put_null(o, key, oom);
	else if (env_parse_int(buf, &v))
		env_put_int(o, key, v, oom);
	else if (cb_sysfs_selected(buf, word, sizeof(word)) > 0)
		env_put_str(o, key, word, oom);
	else
		env_put_str(o, key, buf, oom);
}

static void env_put_sysfs_int(json_object *o, const char *key, const char *path, bool *oom)
{
	char buf[64];
	int64_t v;

	if (cb_sysfs_read(path, buf, sizeof(buf)) >= 0 && env_parse_int(buf, &v))
		env_put_int(o, key, v, oom);
	else
		env_put_null(o, key, oom);
}

static bool env_has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || isspace((unsigned char)p[-1])) &&
		    (!p[n] || isspace((unsigned char)p[n])))
			return true;
	return false;
}

static void env_header(json_object *root, const struct utsname *u, bool *oom)
{
	char date[32];
	struct tm tm;
	time_t now = time(NULL);

	env_put_int(root, "schema", CB_SCHEMA_VERSION, oom);
	env_put_str(root, "cowbench_version", CB_VERSION, oom);
	env_put_str(root, "compiler", CB_COMPILER, oom);
	if (gmtime_r(&now, &tm) && strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm))
		env_put_str(root, "date", date, oom);
	else
		env_put_null(root, "date", oom);
	env_put_str(root, "hostname", u ? u->nodename : NULL, oom);
}

/* The VM runner (scripts/vm.sh) boots its guest with cowbench.virtualized=tcg|kvm and the QEMU
 * version on the kernel command line: only the host knows them, and compare must tell emulated
 * timings from hardware ones. A native run has "virtualized": null. */
static void env_cmdline_word(const char *cmdline, const char *key, char *val, size_t len)
{
	size_t n = strlen(key);

	val[0] = '\0';
	for (const char *p = cmdline; (p = strstr(p, key)); p += n) {
		if ((p == cmdline || isspace((unsigned char)p[-1])) && p[n] == '=') {
			snprintf(val, len, "%.*s", (int)strcspn(p + n + 1, " \t\n"), p + n + 1);
			return;
		}
	}
}

static void env_vm(json_object *root, const char *cmdline, bool *oom)
{
	static const char *const keys[] = { "qemu", "arch", "kernel_source", "tcg_threads" };
	char key[64], val[256];
	json_object *vm;

	env_cmdline_word(cmdline, "cowbench.virtualized", val, sizeof(val));
	if (!val[0]) {
		env_put_null(root, "virtualized", oom);
		env_put_null(root, "vm", oom);
		return;
	}
	env_put_str(root, "virtualized", val, oom);
	vm = json_object_new_object();
	for (size_t i = 0; i < CB_ARRAY_SIZE(keys); i++) {
		snprintf(key, sizeof(key), "cowbench.%s", keys[i]);
		env_cmdline_word(cmdline, key, val, sizeof(val));
		env_put_str(vm, keys[i], val[0] ? val : NULL, oom);
	}
	env_put(root, "vm", vm, oom);
}

static void env_kernel(json_object *root, const struct utsname *u, bool *oom)
{
	char buf[4096];
	json_object *k;
	char *p;

	if (u) {
		k = json_object_new_object();
		env_put_str(k, "release", u->release, oom);
		env_put_str(k, "version", u->version, oom);
		env_put_str(k, "machine", u->machine, oom);
		env_put(root, "kernel", k, oom);
	} else {
		env_put_why(root, "kernel", "uname failed", oom);
	}
	if (cb_sysfs_read("/proc/cmdline", buf, sizeof(buf)) < 0) {
		env_put_null(root, "cmdline", oom);
		return;
	}
	for (p = buf + strlen(buf); p > buf && isspace((unsigned char)p[-1]); p--)
		;
	*p = '\0';
	for (p = buf; isspace((unsigned char)*p); p++)
		;
	env_put_str(root, "cmdline", p, oom);
	env_vm(root, p, oom);
}

static const char *const cb_kconfig_prefixes[] = {
	"TRANSPARENT_HUGEPAGE", "THP_", "ZRAM", "ZSWAP", "SWAP", "NUMA", "MEMCG", "DAMON",
	"KSM", "LRU_GEN", "PER_VMA_LOCK", "PREEMPT", "HZ", "ARCH_ENABLE_THP_MIGRATION",
	"HAVE_ARCH_TRANSPARENT_HUGEPAGE", "PAGE_SIZE", "PGTABLE_LEVELS", "USERFAULTFD",
	"IO_URING",
};

static bool env_kconfig_wanted(const char *name, size_t n)
{
	for (size_t i = 0; i < CB_ARRAY_SIZE(cb_kconfig_prefixes); i++)
		if (!strncmp(name, cb_kconfig_prefixes[i], strlen(cb_kconfig_prefixes[i])))
			return true;
	/* arm64 spells its base page size ARM64_4K_PAGES / _16K_ / _64K_. */
	return n > 13 && !strncmp(name, "ARM64_", 6) && !strncmp(name + n - 7, "K_PAGES", 7);
}

/* Adds the wanted options of a .config stream to cfg; "is not set" becomes "n". Returns how
 * many CONFIG_ lines the stream held, so an empty or failed source can be told apart. */
static int env_kconfig_parse(FILE *f, json_object *cfg, bool *oom)
{
	char *line = NULL, *name, *val, *end;
	size_t cap = 0;
	ssize_t len;
	int seen = 0;

	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (!strncmp(line, "CONFIG_", 7) && (val = strchr(line, '='))) {
			name = line + 7;
			*val++ = '\0';
			end = val + strlen(val);
			if (end - val >= 2 && val[0] == '"' && end[-1] == '"') {
				*--end = '\0';
				val++;
			}
		} else if (!strncmp(line, "# CONFIG_", 9) && (end = strstr(line, " is not set"))) {
			name = line + 9;
			*end = '\0';
			val = "n";
		} else {
			continue;
		}
		seen++;
		if (env_kconfig_wanted(name, strlen(name)))
			env_put_str(cfg, name, val, oom);
	}
	free(line);
	return seen;
}

static void env_kernel_config(json_object *root, const struct utsname *u, bool *oom)
{
	char path[128];
	json_object *cfg;
	int seen;
	FILE *f;

	/* zcat rather than a new library dependency; its exit status tells a truncated read. */
	if (access("/proc/config.gz", R_OK) == 0 &&
	    (f = popen("zcat /proc/config.gz 2>/dev/null", "re"))) {
		cfg = json_object_new_object();
		seen = env_kconfig_parse(f, cfg, oom);

		if (pclose(f) == 0 && seen > 0) {
			env_put(root, "kernel_config", cfg, oom);
			env_put_str(root, "kernel_config_source", "/proc/config.gz", oom);
			return;
		}
		json_object_put(cfg);
	}
	snprintf(path, sizeof(path), "/boot/config-%s", u ? u->release : "");
	f = u ? fopen(path, "re") : NULL;
	if (f) {
		cfg = json_object_new_object();
		seen = env_kconfig_parse(f, cfg, oom);

		fclose(f);
		if (seen > 0) {
			env_put(root, "kernel_config", cfg, oom);
			env_put_str(root, "kernel_config_source", path, oom);
			return;
		}
		json_object_put(cfg);
	}
	env_put_why(root, "kernel_config",
		    "neither /proc/config.gz (via zcat) nor /boot/config-<release> readable", oom);
	env_put_null(root, "kernel_config_source", oom);
}

static int env_not_dot(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static int env_is_mthp(const struct dirent *d)
{
	return !strncmp(d->d_name, "hugepages-", 10);
}

static int env_is_zram(const struct dirent *d)
{
	return !strncmp(d->d_name, "zram", 4);
}

static void env_free_names(struct dirent **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static void env_thp(json_object *root, bool *oom)
{
	char buf[256], path[512], word[64];
	json_object *thp, *khp, *mthp;
	struct dirent **names;
	int n, err;

	err = cb_sysfs_read(CB_THP_DIR "/enabled", buf, sizeof(buf));
	if (err < 0) {
		snprintf(path, sizeof(path), CB_THP_DIR "/enabled: %s",
			 err == -ENOENT ? "absent (no CONFIG_TRANSPARENT_HUGEPAGE)" :
					  strerror(-err));
		env_put_why(root, "thp", path, oom);
		return;
	}
	thp = json_object_new_object();
	env_put_sysfs(thp, "enabled", CB_THP_DIR "/enabled", oom);
	env_put_sysfs(thp, "defrag", CB_THP_DIR "/defrag", oom);
	env_put_sysfs_int(thp, "hpage_pmd_size", CB_THP_DIR "/hpage_pmd_size", oom);
	env_put_sysfs(thp, "use_zero_page", CB_THP_DIR "/use_zero_page", oom);
	env_put_sysfs(thp, "shmem_enabled", CB_THP_DIR "/shmem_enabled", oom);

	khp = json_object_new_object();
	n = scandir(CB_THP_DIR "/khugepaged", &names, env_not_dot, alphasort);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), CB_THP_DIR "/khugepaged/%s", names[i]->d_name);
		env_put_sysfs(khp, names[i]->d_name, path, oom);
	}
	if (n >= 0)
		env_free_names(names, n);
	env_put(thp, "khugepaged", khp, oom);

	/* versionsort puts 128kB before 1024kB; sizes without an enabled file (8kB) cannot be
	 * chosen and are left out. */
	mthp = json_object_new_object();
	n = scandir(CB_THP_DIR, &names, env_is_mthp, versionsort);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), CB_THP_DIR "/%s/enabled", names[i]->d_name);
		if (cb_sysfs_read(path, buf, sizeof(buf)) < 0)
			continue;
		if (cb_sysfs_selected(buf, word, sizeof(word)) > 0)
			env_put_str(mthp, names[i]->d_name + 10, word, oom);
		else
			env_put_str(mthp, names[i]->d_name + 10, buf, oom);
	}
	if (n >= 0)
		env_free_names(names, n);
	env_put(thp, "mthp", mthp, oom);
	env_put(root, "thp", thp, oom);
}

static void env_swap(json_object *root, bool *oom)
{
	char line[512], dev[256], type[32], path[512], word[64];
	long long size, used;
	struct dirent **names;
	json_object *arr, *e;
	int prio, n;
	FILE *f = fopen("/proc/swaps", "re");

	if (f) {
		arr = json_object_new_array();
		/* The first line is the column header. */
		if (fgets(line, sizeof(line), f)) {
			while (fgets(line, sizeof(line), f)) {
				if (sscanf(line, "%255s %31s %lld %lld %d", dev, type, &size, &used,
					   &prio) != 5)
					continue;
				e = json_object_new_object();
				env_put_str(e, "device", dev, oom);
				env_put_str(e, "type", type, oom);
				env_put_int(e, "size_kb", size, oom);
				env_put_int(e, "used_kb", used, oom);
				env_put_int(e, "priority", prio, oom);
				env_push(arr, e, oom);
			}
		}
		fclose(f);
		env_put(root, "swap", arr, oom);
	} else {
		env_put_why(root, "swap", "no /proc/swaps (kernel without CONFIG_SWAP)", oom);
	}

	arr = json_object_new_array();
	n = scandir("/sys/block", &names, env_is_zram, versionsort);
	for (int i = 0; i < n; i++) {
		e = json_object_new_object();
		snprintf(path, sizeof(path), "/dev/%s", names[i]->d_name);
		env_put_str(e, "device", path, oom);
		snprintf(path, sizeof(path), "/sys/block/%s/disksize", names[i]->d_name);
		env_put_sysfs_int(e, "disksize", path, oom);
		snprintf(path, sizeof(path), "/sys/block/%s/comp_algorithm", names[i]->d_name);
		if (cb_sysfs_read(path, line, sizeof(line)) >= 0 &&
		    cb_sysfs_selected(line, word, sizeof(word)) > 0)
			env_put_str(e, "comp_algorithm", word, oom);
		else
			env_put_null(e, "comp_algorithm", oom);
		env_push(arr, e, oom);
	}
	if (n >= 0)
		env_free_names(names, n);
	env_put(root, "zram", arr, oom);
}

static bool env_fs_is(const char *path, long magic)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && (long)sf.f_type == magic;
}

static bool env_lists_memory(const char *controllers)
{
	char buf[512];

	return cb_sysfs_read(controllers, buf, sizeof(buf)) >= 0 && env_has_word(buf, "memory");
}

/* Decided by file-system type, as systemd does: a cgroup2 root is v2; a tmpfs root holding
 * v1 hierarchies is v1, or "hybrid" when it also mounts cgroup2 at unified/. */
static void env_cgroup(json_object *root, bool *oom)
{
	const char *mem = NULL;
	json_object *cg;
	bool hybrid;

	if (env_fs_is("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC)) {
		cg = json_object_new_object();
		env_put_int(cg, "version", 2, oom);
		if (env_lists_memory("/sys/fs/cgroup/cgroup.controllers"))
			mem = "/sys/fs/cgroup";
	} else if (env_fs_is("/sys/fs/cgroup", TMPFS_MAGIC)) {
		cg = json_object_new_object();
		hybrid = env_fs_is("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC);
		if (hybrid)
			env_put_str(cg, "version", "hybrid", oom);
		else
			env_put_int(cg, "version", 1, oom);
		if (env_fs_is("/sys/fs/cgroup/memory", CGROUP_SUPER_MAGIC))
			mem = "/sys/fs/cgroup/memory";
		else if (hybrid && env_lists_memory("/sys/fs/cgroup/unified/cgroup.controllers"))
			mem = "/sys/fs/cgroup/unified";
	} else {
		env_put_why(root, "cgroup", "/sys/fs/cgroup is neither cgroup2 nor tmpfs", oom);
		return;
	}
	env_put_str(cg, "memory_controller", mem, oom);
	env_put(root, "cgroup", cg, oom);
}

/* Counts a cpulist such as "0-3,8-11". */
static int env_cpulist_count(const char *path)
{
	char buf[1024], *p = buf, *end;
	long a, b;
	int n = 0;

	if (cb_sysfs_read(path, buf, sizeof(buf)) <= 0)
		return -1;
	for (;;) {
		a = strtol(p, &end, 10);
		if (end == p)
			return -1;
		b = a;
		p = end;
		if (*p == '-') {
			b = strtol(p + 1, &end, 10);
			if (end == p + 1 || b < a)
				return -1;
			p = end;
		}
		n += (int)(b - a + 1);
		if (*p != ',')
			return *p ? -1 : n;
		p++;
	}
}

static char *env_cpuinfo_value(const char *line, const char *key)
{
	size_t n = strlen(key);
	const char *p;
	char *v;

	if (strncmp(line, key, n) || (line[n] != '\t' && line[n] != ' ' && line[n] != ':'))
		return NULL;
	p = strchr(line + n, ':');
	if (!p)
		return NULL;
	for (p++; *p == ' '; p++)
		;
	v = strdup(p);
	if (v)
		v[strcspn(v, "\n")] = '\0';
	return v;
}

/* The hypervisor's CPUID signature: a KVM guest without DMI tables still names its host. */
static bool env_cpuid_hypervisor(char *sig, size_t len)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned int a, regs[3];
	char s[13];
	int n;

	__cpuid(0x40000000, a, regs[0], regs[1], regs[2]);
	memcpy(s, regs, 12);
	s[12] = '\0';
	for (n = (int)strlen(s); n > 0 && s[n - 1] == ' '; n--)
		s[n - 1] = '\0';
	if (!n)
		return false;
	snprintf(sig, len, "cpuid:%s", s);
	return true;
#else
	(void)sig;
	(void)len;
	return false;
#endif
}

static const char *const cb_cpu_flags[] = {
	"constant_tsc", "nonstop_tsc", "tsc_reliable", "tsc_known_freq", "pcid",
	"invpcid",      "invlpgb",     "pti",          "la57",           "pdpe1gb",
};

static void env_cpu(json_object *root, bool *oom)
{
	char *line = NULL, *model = NULL, *impl = NULL, *part = NULL, *flags = NULL, *v;
	char buf[256];
	json_object *cpu = json_object_new_object(), *fl;
	size_t cap = 0;
	bool x86 = false;
	FILE *f = fopen("/proc/cpuinfo", "re");

	while (f && getline(&line, &cap, f) > 0) {
		if (!model && (v = env_cpuinfo_value(line, "model name")))
			model = v;
		else if (!impl && (v = env_cpuinfo_value(line, "CPU implementer")))
			impl = v;
		else if (!part && (v = env_cpuinfo_value(line, "CPU part")))
			part = v;
		else if (!flags && (v = env_cpuinfo_value(line, "flags")))
			flags = v, x86 = true;
		else if (!flags && (v = env_cpuinfo_value(line, "Features")))
			flags = v;
	}
	free(line);
	if (f)
		fclose(f);

	if (!model && impl && part) {
		snprintf(buf, sizeof(buf), "%s/%s", impl, part);
		env_put_str(cpu, "model", buf, oom);
	} else {
		env_put_str(cpu, "model", model, oom);
	}
	env_put_count(cpu, "online", env_cpulist_count("/sys/devices/system/cpu/online"), oom);
	env_put_count(cpu, "possible", env_cpulist_count("/sys/devices/system/cpu/possible"), oom);

	if (flags) {
		fl = json_object_new_array();
		for (size_t i = 0; i < CB_ARRAY_SIZE(cb_cpu_flags); i++)
			if (env_has_word(flags, cb_cpu_flags[i]))
				env_push(fl, json_object_new_string(cb_cpu_flags[i]), oom);
		env_put(cpu, "flags_of_interest", fl, oom);
	} else {
		env_put_null(cpu, "flags_of_interest", oom);
	}
	/* Only x86 has the flag; arm64 "Features" cannot tell a guest from bare metal. */
	if (x86)
		env_put_bool(cpu, "hypervisor", env_has_word(flags, "hypervisor"), oom);
	else
		env_put_null(cpu, "hypervisor", oom);

	if ((cb_sysfs_read("/sys/class/dmi/id/sys_vendor", buf, sizeof(buf)) > 0 ||
	     cb_sysfs_read("/sys/class/dmi/id/product_name", buf, sizeof(buf)) > 0) ||
	    /* Leaf 0x40000000 is only defined when the hypervisor bit is set. */
	    (x86 && env_has_word(flags, "hypervisor") && env_cpuid_hypervisor(buf, sizeof(buf))))
		env_put_str(cpu, "virtualization", buf, oom);
	else
		env_put_null(cpu, "virtualization", oom);
	env_put(root, "cpu", cpu, oom);
	free(model);
	free(impl);
	free(part);
	free(flags);
}

static void env_numa(json_object *root, bool *oom)
{
	json_object *numa = json_object_new_object(), *mem;
	long long size;

	if (numa_available() < 0) {
		env_put_bool(numa, "available", false, oom);
		env_put_null(numa, "nodes", oom);
		env_put_null(numa, "node_mem_mb", oom);
		env_put(root, "numa", numa, oom);
		return;
	}
	env_put_bool(numa, "available", true, oom);
	env_put_int(numa, "nodes", numa_num_configured_nodes(), oom);
	/* Indexed by node id: a hole in the numbering stays a null, not a shift. */
	mem = json_object_new_array();
	for (int node = 0; node <= numa_max_node(); node++) {
		size = numa_node_size64(node, NULL);
		if (size < 0) {
			if (!mem || json_object_array_add(mem, NULL) < 0)
				*oom = true;
		} else {
			env_push(mem, json_object_new_int64(size >> 20), oom);
		}
	}
	env_put(numa, "node_mem_mb", mem, oom);
	env_put(root, "numa", numa, oom);
}

static void env_memory(json_object *root, bool *oom)
{
	char line[256];
	long long total = -1, freekb = -1;
	json_object *m = json_object_new_object();
	FILE *f = fopen("/proc/meminfo", "re");

	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "MemTotal: %lld kB", &total);
		sscanf(line, "MemFree: %lld kB", &freekb);
	}
	if (f)
		fclose(f);
	env_put_count(m, "total_kb", total, oom);
	env_put_count(m, "free_kb", freekb, oom);
	env_put(root, "memory", m, oom);
}

static void env_timer(json_object *root, bool *oom)
{
	json_object *t;

	if (!cb_timer.source_name) {
		env_put_why(root, "timer", "cb_timer_init was not called", oom);
		return;
	}
	t = json_object_new_object();
	env_put_str(t, "source", cb_timer.source_name, oom);
	env_put_bool(t, "tsc_constant", cb_timer.tsc_constant, oom);
	env_put_bool(t, "tsc_nonstop", cb_timer.tsc_nonstop, oom);
	env_put_double(t, "ticks_per_ns", cb_timer.ticks_per_ns, oom);
	env_put_str(t, "calibrated_by", cb_timer.calibrated_by, oom);
	env_put_double(t, "overhead_ns", cb_timer.overhead_ns, oom);
	env_put_str(t, "why_fallback", cb_timer.why_fallback[0] ? cb_timer.why_fallback : NULL,
		    oom);
	env_put(root, "timer", t, oom);
}

/* DAMON sampling clears Accessed bits and briefly holds page references, khugepaged and KSM
 * rewrite page tables behind the benchmark: a reader must know whether they were running. */
static void env_background(json_object *root, bool *oom)
{
	char path[300], comm[64];
	bool damon = false, khp = false;
	json_object *bg = json_object_new_object();
	struct dirent *de;
	DIR *d = opendir("/proc");

	while (d && (de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		if (cb_sysfs_read(path, comm, sizeof(comm)) < 0)
			continue;
		damon |= !strncmp(comm, "kdamond", 7);
		khp |= !strcmp(comm, "khugepaged");
	}
	if (d) {
		closedir(d);
		env_put_bool(bg, "damon_active", damon, oom);
		env_put_bool(bg, "khugepaged", khp, oom);
	} else {
		env_put_null(bg, "damon_active", oom);
		env_put_null(bg, "khugepaged", oom);
	}
	env_put_sysfs_int(bg, "ksm_run", "/sys/kernel/mm/ksm/run", oom);
	env_put(root, "background", bg, oom);
}

json_object *cb_env_collect(void)
{
	json_object *root = json_object_new_object();
	struct utsname uts, *u = uname(&uts) == 0 ? &uts : NULL;
	bool oom = false;

	if (!root)
		return NULL;
	env_header(root, u, &oom);
	env_kernel(root, u, &oom);
	env_kernel_config(root, u, &oom);
	env_thp(root, &oom);
	env_swap(root, &oom);
	env_cgroup(root, &oom);
	env_cpu(root, &oom);
	env_numa(root, &oom);
	env_memory(root, &oom);
	env_timer(root, &oom);
	env_background(root, &oom);
	env_put_bool(root, "privileged", cb_is_privileged(), &oom);
	env_put_int(root, "euid", geteuid(), &oom);
	env_put_sysfs_int(root, "perf_event_paranoid", "/proc/sys/kernel/perf_event_paranoid",
			  &oom);
	if (oom) {
		json_object_put(root);
		return NULL;
	}
	return root;
}
