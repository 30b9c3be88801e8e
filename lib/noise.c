/* Noise sources of a measurement, checked as pyperf's `system show` does (see noise.h). */
#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <time.h>

#include "noise.h"
#include "runner.h"

/* The first line of a file, newline cut; false when it cannot be read. */
static bool noise_read(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

static void noise_add(json_object *noise, bool warn, const char *check, const char *found, const char *fix)
{
	json_object *o = json_object_new_object(), *arr;

	json_object_object_add(o, "check", json_object_new_string(check));
	json_object_object_add(o, "found", json_object_new_string(found));
	if (warn)
		json_object_object_add(o, "fix", json_object_new_string(fix));
	json_object_object_get_ex(noise, warn ? "warnings" : "ok", &arr);
	json_object_array_add(arr, o);
}

/* Busy and total jiffies of one CPU from /proc/stat. */
static bool noise_cpu_times(int cpu, unsigned long long *busy, unsigned long long *total)
{
	char line[512], want[16];
	FILE *f = fopen("/proc/stat", "re");
	bool found = false;

	if (!f)
		return false;
	snprintf(want, sizeof(want), "cpu%d ", cpu);
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long long v[8] = { 0 };

		if (strncmp(line, want, strlen(want)))
			continue;
		sscanf(line + strlen(want), "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		       &v[4], &v[5], &v[6], &v[7]);
		*total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
		*busy = *total - v[3] - v[4];
		found = true;
	}
	fclose(f);
	return found;
}

/* Sum of the /proc/vmstat counters whose names start with one of the prefixes. */
static unsigned long long noise_vmstat(const char *const *prefixes, size_t n)
{
	char name[128];
	unsigned long long v, sum = 0;
	FILE *f = fopen("/proc/vmstat", "re");

	if (!f)
		return 0;
	while (fscanf(f, "%127s %llu", name, &v) == 2)
		for (size_t i = 0; i < n; i++)
			if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
				sum += v;
	fclose(f);
	return sum;
}

/* A kernel thread (or any task) whose name starts with prefix. */
static bool noise_task(const char *prefix)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	bool found = false;

	while (d && !found && (de = readdir(d))) {
		char path[300], comm[64];

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		found = noise_read(path, comm, sizeof(comm)) && strncmp(comm, prefix, strlen(prefix)) == 0;
	}
	if (d)
		closedir(d);
	return found;
}

/* Device interrupts (numbered lines of /proc/interrupts) counted on cpu so far. */
static unsigned long long noise_device_irqs(int cpu)
{
	char line[4096];
	unsigned long long sum = 0;
	FILE *f = fopen("/proc/interrupts", "re");

	if (!f || !fgets(line, sizeof(line), f)) {
		if (f)
			fclose(f);
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;

		while (*p == ' ')
			p++;
		if (!isdigit((unsigned char)*p))
			continue;
		p = strchr(p, ':');
		for (int c = 0; p && c <= cpu; c++) {
			unsigned long long v = strtoull(p + 1, &end, 10);

			if (end == p + 1)
				break;
			if (c == cpu)
				sum += v;
			p = end;
		}
	}
	fclose(f);
	return sum;
}

/* CPU n is in a kernel cpulist ("0-3,8"). */
static bool noise_in_list(const char *list, int n)
{
	const char *p = list;

	while (*p) {
		char *end;
		long a = strtol(p, &end, 10), b = a;

		if (end == p)
			break;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		if (n >= a && n <= b)
			return true;
		p = *end == ',' ? end + 1 : end;
		if (!*end)
			break;
	}
	return false;
}

json_object *cb_noise_check(int cpu)
{
	static const char *const bg_counters[] = { "thp_collapse_alloc", "compact_daemon_wake", "compact_stall",
						   "compact_migrate_scanned", "thp_scan_exceed" };
	json_object *noise = json_object_new_object();
	char path[256], buf[512], found[640], sib[256] = "";
	unsigned long long b0 = 0, t0 = 0, b1 = 0, t1 = 0, bg0, bg1, irq0, irq1;
	int sibling = -1, other;
	struct timespec nap = { 0, 200 * 1000 * 1000 };

	if (!noise)
		return NULL;
	/* No --cpu: the CPU a run would measure on, the highest allowed one. */
	if (cpu < 0 && cb_cpus_pick(-1, &cpu, &other))
		cpu = 0;
	json_object_object_add(noise, "cpu", json_object_new_int(cpu));
	json_object_object_add(noise, "warnings", json_object_new_array());
	json_object_object_add(noise, "ok", json_object_new_array());

	/* What changes over a moment: the sibling's load, background compaction, device IRQs. */
	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list", cpu);
	if (noise_read(path, sib, sizeof(sib)))
		for (int c = 0; c < 4096 && sibling < 0; c++)
			if (c != cpu && noise_in_list(sib, c))
				sibling = c;
	if (sibling >= 0)
		noise_cpu_times(sibling, &b0, &t0);
	bg0 = noise_vmstat(bg_counters, sizeof(bg_counters) / sizeof(bg_counters[0]));
	irq0 = noise_device_irqs(cpu);
	nanosleep(&nap, NULL);
	if (sibling >= 0)
		noise_cpu_times(sibling, &b1, &t1);
	bg1 = noise_vmstat(bg_counters, sizeof(bg_counters) / sizeof(bg_counters[0]));
	irq1 = noise_device_irqs(cpu);

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor", cpu);
	if (!noise_read(path, buf, sizeof(buf)))
		noise_add(noise, false, "governor", "no cpufreq (the firmware or hypervisor sets the frequency)", NULL);
	else {
		snprintf(found, sizeof(found), "cpu%d governor %s", cpu, buf);
		noise_add(noise, strcmp(buf, "performance") != 0, "governor", found,
			  "cpupower frequency-set -g performance (or echo performance > "
			  "/sys/devices/system/cpu/cpu*/cpufreq/scaling_governor)");
	}

	if (noise_read("/sys/devices/system/cpu/intel_pstate/no_turbo", buf, sizeof(buf)))
		noise_add(noise, strcmp(buf, "0") == 0, "turbo", strcmp(buf, "0") == 0 ? "intel_pstate turbo on" :
											 "intel_pstate turbo off",
			  "echo 1 > /sys/devices/system/cpu/intel_pstate/no_turbo");
	else if (noise_read("/sys/devices/system/cpu/cpufreq/boost", buf, sizeof(buf)))
		noise_add(noise, strcmp(buf, "1") == 0, "turbo", strcmp(buf, "1") == 0 ? "cpufreq boost on" : "cpufreq boost off",
			  "echo 0 > /sys/devices/system/cpu/cpufreq/boost");
	else
		noise_add(noise, false, "turbo", "no turbo/boost control exposed", NULL);

	if (sibling < 0)
		noise_add(noise, false, "smt_sibling", "the measured CPU has no SMT sibling", NULL);
	else {
		double busy = t1 > t0 ? 100.0 * (double)(b1 - b0) / (double)(t1 - t0) : 0;

		snprintf(found, sizeof(found), "sibling cpu%d of cpu%d %.0f %% busy", sibling, cpu, busy);
		noise_add(noise, busy > 10, "smt_sibling", found,
			  "keep the sibling idle (taskset other work elsewhere) or disable SMT: echo off > "
			  "/sys/devices/system/cpu/smt/control");
	}

	if (noise_read("/proc/sys/kernel/numa_balancing", buf, sizeof(buf))) {
		snprintf(found, sizeof(found), "kernel.numa_balancing = %s", buf);
		noise_add(noise, strcmp(buf, "0") != 0, "numa_balancing", found, "sysctl kernel.numa_balancing=0");
	}

	snprintf(found, sizeof(found), "%llu khugepaged/kcompactd events (collapse, compaction) in 200 ms", bg1 - bg0);
	noise_add(noise, bg1 != bg0, "background_compaction", found,
		  "let the machine settle, or echo 0 > /sys/kernel/mm/transparent_hugepage/khugepaged/defrag and "
		  "sysctl vm.compaction_proactiveness=0 while measuring");

	noise_add(noise, noise_task("kdamond"), "damon", noise_task("kdamond") ? "a kdamond thread runs" : "no kdamond",
		  "stop DAMON: echo off > /sys/kernel/mm/damon/admin/kdamonds/*/state (or its DAMON_RECLAIM/LRU_SORT"
		  " module parameters enabled=N)");

	{
		DIR *d = opendir("/sys/bus/virtio/drivers/virtio_balloon");
		struct dirent *de;
		bool balloon = false;

		while (d && !balloon && (de = readdir(d)))
			balloon = strncmp(de->d_name, "virtio", 6) == 0;
		if (d)
			closedir(d);
		noise_add(noise, balloon, "balloon",
			  balloon ? "a virtio balloon device (ballooning, free page reporting)" : "no balloon device",
			  "detach the balloon device or disable its free page reporting and deflate-on-OOM in the VM's "
			  "configuration");
	}

	if (noise_read("/proc/sys/kernel/randomize_va_space", buf, sizeof(buf))) {
		/* run and suite measure without it (personality ADDR_NO_RANDOMIZE, lib/main.c). */
		bool fixed = personality(0xffffffff) & ADDR_NO_RANDOMIZE;

		snprintf(found, sizeof(found), "kernel.randomize_va_space = %s%s", buf,
			 fixed && strcmp(buf, "0") ? "; off for this process (personality ADDR_NO_RANDOMIZE)" : "");
		noise_add(noise, strcmp(buf, "0") != 0 && !fixed, "aslr", found,
			  "sysctl kernel.randomize_va_space=0 (or run under setarch -R)");
	}

	{
		bool isolated = noise_read("/sys/devices/system/cpu/isolated", buf, sizeof(buf)) && noise_in_list(buf, cpu);

		snprintf(found, sizeof(found), "cpu%d %sisolated, %llu device interrupts in 200 ms", cpu,
			 isolated ? "" : "not ", irq1 - irq0);
		noise_add(noise, !isolated && irq1 != irq0, "cpu_isolation", found,
			  "boot with isolcpus= (and nohz_full=) for the measured CPU, and move device IRQs off it "
			  "(/proc/irq/*/smp_affinity_list)");
	}

	{
		bool hv = noise_read("/sys/hypervisor/type", buf, sizeof(buf)) && buf[0];
		FILE *f = hv ? NULL : fopen("/proc/cpuinfo", "re");
		char line[4096];

		while (f && !hv && fgets(line, sizeof(line), f))
			hv = strncmp(line, "flags", 5) == 0 && strstr(line, " hypervisor");
		if (f)
			fclose(f);
		noise_add(noise, hv, "hypervisor", hv ? "running under a hypervisor" : "bare metal",
			  "measure on bare metal; a guest's times include the host's scheduling and its page tables'"
			  " cost (compare guest runs only with guest runs)");
	}
	return noise;
}

void cb_noise_print(FILE *f, json_object *noise, const char *prefix)
{
	json_object *w;

	if (!noise || !json_object_object_get_ex(noise, "warnings", &w))
		return;
	for (size_t i = 0; i < json_object_array_length(w); i++) {
		json_object *o = json_object_array_get_idx(w, i), *c, *fd, *fx;

		json_object_object_get_ex(o, "check", &c);
		json_object_object_get_ex(o, "found", &fd);
		json_object_object_get_ex(o, "fix", &fx);
		fprintf(f, "%s%s: %s\n%s    fix: %s\n", prefix, json_object_get_string(c), json_object_get_string(fd), prefix,
			json_object_get_string(fx));
	}
}
