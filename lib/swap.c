#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "settings.h"
#include "opts.h"
#include "swap.h"
#include "sysfs.h"

#define CB_SWAPFILE_DEFAULT "/var/tmp/cowbench.swap"
#define CB_SWAPFILE_SLACK (64ull << 20)
#define CB_TMPFS_MAGIC 0x01021994L
#define CB_EXT_MAGIC 0xEF53L
#define CB_XFS_MAGIC 0x58465342L
#define CB_BTRFS_MAGIC 0x9123683EL
#define CB_CGROUP2_MAGIC 0x63677270L
#define CB_MEMCG_V1 "/sys/fs/cgroup/memory"

/* Whether name (a device or file) is listed in /proc/swaps; -errno when it cannot be read. */
static int cb_swap_listed(const char *name, int *count)
{
	char line[512], dev[256];
	int found = 0, n = 0;
	FILE *f = fopen("/proc/swaps", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%255s", dev) == 1 && dev[0] == '/') {
			n++;
			if (name && strcmp(dev, name) == 0)
				found = 1;
		}
	fclose(f);
	if (count)
		*count = n;
	return found;
}

/* Runs mkswap on path; its stderr (the useful part) becomes the reason on failure. */
static int cb_mkswap(const char *path, char *why, size_t len)
{
	char out[512] = "";
	int pfd[2], status;
	ssize_t n, got = 0;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -errno;
	}
	if (pid == 0) {
		dup2(pfd[1], STDERR_FILENO);
		int nul = open("/dev/null", O_WRONLY);

		if (nul >= 0)
			dup2(nul, STDOUT_FILENO);
		execlp("mkswap", "mkswap", "-f", path, (char *)NULL);
		dprintf(STDERR_FILENO, "cannot run mkswap (util-linux): %s", strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], out + got, sizeof(out) - 1 - (size_t)got)) > 0 && got < (ssize_t)sizeof(out) - 1)
		got += n;
	out[got] = '\0';
	close(pfd[0]);
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	for (char *p = out; *p; p++)
		if (*p == '\n')
			*p = *(p + 1) ? ' ' : '\0';
	snprintf(why, len, "mkswap %s: %s", path, out[0] ? out : "failed");
	return -EIO;
}

static int cb_swapon(const char *path, int prio, char *why, size_t len)
{
	int flags = SWAP_FLAG_PREFER | ((prio << SWAP_FLAG_PRIO_SHIFT) & SWAP_FLAG_PRIO_MASK);
	int ret = cb_settings_undo("!swapoff", path);

	if (ret) {
		snprintf(why, len, "journalling swapoff %s: %s", path, strerror(-ret));
		return ret;
	}
	if (swapon(path, flags)) {
		ret = -errno;
		snprintf(why, len, "swapon %s: %s%s", path, strerror(-ret),
			 ret == -EINVAL ? " (file system without swap file support?)" :
			 ret == -EPERM ? " (needs root)" : "");
		return ret;
	}
	return 0;
}

static int cb_modprobe_zram(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int nul = open("/dev/null", O_WRONLY);

		if (nul >= 0) {
			dup2(nul, STDOUT_FILENO);
			dup2(nul, STDERR_FILENO);
		}
		execlp("modprobe", "modprobe", "zram", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ENODEV;
}

/* A zram device with no disksize that is not swap; hot-adds one when none is free. */
static int cb_zram_pick(int *id, char *why, size_t len)
{
	struct dirent *d;
	char path[300], val[64];
	DIR *dir;
	int ret;

	if (access("/sys/class/zram-control", F_OK) && (cb_modprobe_zram() || access("/sys/class/zram-control", F_OK))) {
		snprintf(why, len, "no zram in this kernel (modprobe zram failed)");
		return -ENODEV;
	}
	dir = opendir("/sys/block");
	if (!dir) {
		snprintf(why, len, "/sys/block: %s", strerror(errno));
		return -errno;
	}
	*id = -1;
	while ((d = readdir(dir)) && *id < 0) {
		int n;

		if (sscanf(d->d_name, "zram%d", &n) != 1)
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/disksize", d->d_name);
		if (cb_sysfs_read(path, val, sizeof(val)) < 0 || strcmp(val, "0") != 0)
			continue;
		snprintf(path, sizeof(path), "/dev/%s", d->d_name);
		if (cb_swap_listed(path, NULL) == 0)
			*id = n;
	}
	closedir(dir);
	if (*id >= 0)
		return 0;
	/* Reading hot_add creates the device and returns its number; the journal cannot name it
	 * before it exists, so a death right here leaves an idle, empty device (harmless). */
	ret = cb_sysfs_read("/sys/class/zram-control/hot_add", val, sizeof(val));
	if (ret < 0 || sscanf(val, "%d", id) != 1) {
		snprintf(why, len, "no free zram device and hot_add failed: %s", strerror(ret < 0 ? -ret : EINVAL));
		return ret < 0 ? ret : -EINVAL;
	}
	snprintf(val, sizeof(val), "%d", *id);
	ret = cb_settings_undo("!zram_remove", val);
	if (ret)
		snprintf(why, len, "journalling the removal of zram%d: %s", *id, strerror(-ret));
	return ret;
}

static int cb_zram_setup(struct cb_swap_conf *c, char *why, size_t len)
{
	char dir[64], path[128], dev[64], val[256], word[40];
	size_t size = c->size ? c->size : 2ull << 30;
	int id, ret;

	ret = cb_zram_pick(&id, why, len);
	if (ret)
		return ret;
	snprintf(dir, sizeof(dir), "/sys/block/zram%d", id);
	snprintf(dev, sizeof(dev), "/dev/zram%d", id);
	/* The reset undoes comp_algorithm and disksize both, so those are plain writes. */
	snprintf(path, sizeof(path), "%s/reset", dir);
	ret = cb_settings_undo("!zram_reset", path);
	if (ret) {
		snprintf(why, len, "journalling the reset of zram%d: %s", id, strerror(-ret));
		return ret;
	}
	if (c->comp[0]) {
		bool ok = false;

		snprintf(path, sizeof(path), "%s/comp_algorithm", dir);
		ret = cb_sysfs_read(path, val, sizeof(val));
		for (char *w = strtok(ret >= 0 ? val : NULL, " "); w; w = strtok(NULL, " ")) {
			if (cb_sysfs_selected(w, word, sizeof(word)) > 0 && strcmp(word, c->comp) == 0)
				ok = true;
		}
		if (!ok) {
			snprintf(why, len, "zram%d has no compression algorithm '%s' (%s: %s)", id, c->comp, path,
				 ret >= 0 ? "see the list there" : strerror(-ret));
			return -EINVAL;
		}
		ret = cb_sysfs_write(path, c->comp);
		if (ret) {
			snprintf(why, len, "%s = %s: %s", path, c->comp, strerror(-ret));
			return ret;
		}
	}
	snprintf(path, sizeof(path), "%s/disksize", dir);
	snprintf(val, sizeof(val), "%zu", size);
	ret = cb_sysfs_write(path, val);
	if (ret) {
		snprintf(why, len, "%s = %s: %s%s", path, val, strerror(-ret), ret == -EACCES ? " (needs root)" : "");
		return ret;
	}
	ret = cb_mkswap(dev, why, len);
	snprintf(c->area, sizeof(c->area), "%s", dev);
	return ret ? ret : cb_swapon(dev, c->priority, why, len);
}

/* Whether the directory that will hold path can hold a swap file of size bytes. */
static int cb_swapfile_check(const char *path, size_t size, char *why, size_t len)
{
	char dir[256];
	struct statfs sf;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash) {
		snprintf(dir, sizeof(dir), ".");
	} else {
		if (slash == dir)
			slash++;
		*slash = '\0';
	}
	if (statfs(dir, &sf)) {
		snprintf(why, len, "swapfile %s: %s", dir, strerror(errno));
		return -errno;
	}
	switch ((long)sf.f_type) {
	case CB_EXT_MAGIC:
	case CB_XFS_MAGIC:
		break;
	case CB_TMPFS_MAGIC:
		snprintf(why, len, "swapfile %s: %s is tmpfs, which cannot hold a swap file", path, dir);
		return -EINVAL;
	case CB_BTRFS_MAGIC:
		snprintf(why, len, "swapfile %s: %s is btrfs (a swap file there needs a NOCOW file; use ext4/xfs)",
			 path, dir);
		return -EINVAL;
	default:
		snprintf(why, len, "swapfile %s: file system 0x%lx of %s is not known to hold swap files (use ext4/xfs)",
			 path, (unsigned long)sf.f_type, dir);
		return -EINVAL;
	}
	if ((unsigned long long)sf.f_bavail * (unsigned long long)sf.f_bsize < size + CB_SWAPFILE_SLACK) {
		snprintf(why, len, "swapfile %s: not enough disk (%llu MiB free, %zu MiB + 64 MiB needed)", path,
			 (unsigned long long)sf.f_bavail * sf.f_bsize >> 20, size >> 20);
		return -ENOSPC;
	}
	if (access(path, F_OK) == 0) {
		snprintf(why, len, "swapfile %s exists already (not overwritten)", path);
		return -EEXIST;
	}
	return 0;
}

static int cb_swapfile_setup(struct cb_swap_conf *c, char *why, size_t len)
{
	const char *path = c->path[0] ? c->path : CB_SWAPFILE_DEFAULT;
	size_t size = c->size ? c->size : 256ull << 20;
	int fd, ret;

	ret = cb_swapfile_check(path, size, why, len);
	if (ret)
		return ret;
	ret = cb_settings_undo("!unlink", path);
	if (ret) {
		snprintf(why, len, "journalling unlink %s: %s", path, strerror(-ret));
		return ret;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		snprintf(why, len, "swapfile %s: %s", path, strerror(-ret));
		return ret;
	}
	if (fallocate(fd, 0, 0, (off_t)size)) {
		static char zeros[1 << 20];

		ret = -errno;
		if (ret != -EOPNOTSUPP)
			goto close_file;
		ret = 0;
		for (size_t off = 0; off < size && !ret; off += sizeof(zeros)) {
			size_t n = size - off < sizeof(zeros) ? size - off : sizeof(zeros);

			if (write(fd, zeros, n) != (ssize_t)n)
				ret = errno ? -errno : -EIO;
		}
		if (ret)
			goto close_file;
	}
	if (fchmod(fd, 0600) || fsync(fd))
		ret = -errno;
close_file:
	close(fd);
	if (ret) {
		snprintf(why, len, "swapfile %s: writing %zu bytes: %s", path, size, strerror(-ret));
		return ret;
	}
	ret = cb_mkswap(path, why, len);
	/* As /proc/swaps will name it: absolute, links resolved. */
	{
		char *real = realpath(path, NULL);

		snprintf(c->area, sizeof(c->area), "%s", real ? real : path);
		free(real);
	}
	return ret ? ret : cb_swapon(path, c->priority, why, len);
}

int cb_swap_setup(struct cb_swap_conf *c, char *why, size_t len)
{
	c->area[0] = '\0';
	const char *kind = c->kind[0] ? c->kind : "zram";
	int n = 0, ret;

	why[0] = '\0';
	if (strcmp(kind, "none") == 0) {
		snprintf(why, len, "swap = none");
		return -ENOENT;
	}
	ret = cb_swap_listed(NULL, &n);
	if (ret < 0) {
		snprintf(why, len, "no /proc/swaps: kernel without swap (CONFIG_SWAP)");
		return -ENODEV;
	}
	if (strcmp(kind, "existing") == 0) {
		if (!n) {
			snprintf(why, len, "no swap is on (swap = existing)");
			return -ENOENT;
		}
		return 0;
	}
	if (geteuid() != 0) {
		snprintf(why, len, "setting up swap (%s) needs root", kind);
		return -EPERM;
	}
	if (strcmp(kind, "zram") == 0)
		return cb_zram_setup(c, why, len);
	if (strcmp(kind, "swapfile") == 0)
		return cb_swapfile_setup(c, why, len);
	snprintf(why, len, "unknown swap kind '%s' (want zram, swapfile, existing or none)", kind);
	return -EINVAL;
}

void cb_swap_areas(char *buf, size_t len)
{
	char line[512], name[256];
	size_t off = 0;
	FILE *f = fopen("/proc/swaps", "re");

	buf[0] = '\0';
	while (f && fgets(line, sizeof(line), f) && off < len)
		if (sscanf(line, "%255s", name) == 1 && name[0] == '/')
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? " " : "", name);
	if (f)
		fclose(f);
}

void cb_swap_guard_open(struct cb_swap_guard *g, const char *own)
{
	snprintf(g->own, sizeof(g->own), "%s", own ? own : "");
	g->fd = open("/proc/swaps", O_RDONLY | O_CLOEXEC);
	g->pending = false;
	cb_swap_areas(g->areas, sizeof(g->areas));
}

/* Whether a name of the space-separated list was is missing from now. */
static bool cb_swap_area_left(const char *was, const char *now)
{
	char copy[96], *save = NULL;

	snprintf(copy, sizeof(copy), "%s", was);
	for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		size_t n = strlen(w);
		const char *p = now;
		bool found = false;

		while (!found && (p = strstr(p, w))) {
			found = (p == now || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0');
			p += n;
		}
		if (!found)
			return true;
	}
	return false;
}

/* Another area than own at own's priority or above, named in buf ("" when none or no own). */
static void cb_swap_foreign(const char *own, char *buf, size_t len)
{
	char line[512], name[96];
	int prio, own_prio = INT_MIN, found = 0, prios[8];
	char names[8][96];
	FILE *f;

	buf[0] = '\0';
	if (!own[0] || !(f = fopen("/proc/swaps", "re")))
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%95s %*s %*u %*u %d", name, &prio) == 2 && name[0] == '/') {
			if (!strcmp(name, own))
				own_prio = prio;
			else if (found < 8) {
				snprintf(names[found], sizeof(names[found]), "%s", name);
				prios[found++] = prio;
			}
		}
	fclose(f);
	/* Its own area not listed (its name spelled otherwise, or taken off: the list compare sees
	 * that): no priority to compare with. */
	for (int i = 0; i < found && own_prio != INT_MIN && !buf[0]; i++)
		if (prios[i] >= own_prio)
			snprintf(buf, len, "%.95s prio %d", names[i], prios[i]);
}

int cb_swap_guard_check(struct cb_swap_guard *g, char *why, size_t len)
{
	char foreign[300];
	struct pollfd p = { .fd = g->fd, .events = POLLPRI };
	char now[sizeof(g->areas)];
	bool ended, left, changed;
	int ret = 1;

	cb_swap_areas(now, sizeof(now));
	changed = strcmp(now, g->areas) != 0;
	left = cb_swap_area_left(g->areas, now);
	/* The poll takes the event: the next check sees only what ends after this one. */
	ended = g->fd >= 0 && poll(&p, 1, 0) > 0 && (p.revents & (POLLPRI | POLLERR));
	if (g->fd < 0)
		snprintf(why, len, "'%s' -> '%s', /proc/swaps cannot be watched", g->areas, now);
	else if (changed)
		snprintf(why, len, "'%s' -> '%s'", g->areas, now);
	else if (ended)
		snprintf(why, len, "'%s' -> '%s', one came and went", g->areas, now);
	else if (g->pending)
		snprintf(why, len, "'%s', a swapoff still running: its area left the list, its end not seen yet", now);
	else if (cb_swap_foreign(g->own, foreign, sizeof(foreign)), foreign[0])
		snprintf(why, len, "another area takes pages too: %s, at the priority of %s or above", foreign, g->own);
	else
		ret = 0;
	if (left && !ended)
		g->pending = true;
	else if (ended)
		g->pending = false;
	snprintf(g->areas, sizeof(g->areas), "%s", now);
	return ret;
}

void cb_swap_guard_close(struct cb_swap_guard *g)
{
	if (g->fd >= 0)
		close(g->fd);
	g->fd = -1;
}

void cb_swap_describe(char *buf, size_t len)
{
	char line[512], name[256], type[32], path[300], val[256], sz[32], comp[40];
	unsigned long long kib;
	size_t off = 0;
	int prio, id;
	FILE *f = fopen("/proc/swaps", "re");

	buf[0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%255s %31s %llu %*u %d", name, type, &kib, &prio) != 4 || name[0] != '/')
			continue;
		if (sscanf(name, "/dev/zram%d", &id) == 1) {
			snprintf(path, sizeof(path), "/sys/block/zram%d/disksize", id);
			if (cb_sysfs_read(path, val, sizeof(val)) > 0)
				kib = strtoull(val, NULL, 10) >> 10;
			snprintf(path, sizeof(path), "/sys/block/zram%d/comp_algorithm", id);
			if (cb_sysfs_read(path, val, sizeof(val)) < 0 ||
			    cb_sysfs_selected(val, comp, sizeof(comp)) <= 0)
				snprintf(comp, sizeof(comp), "?");
			cb_size_format((size_t)kib << 10, sz, sizeof(sz));
			off += (size_t)snprintf(buf + off, len - off, "%szram %s %s %s prio %d", off ? "; " : "", name,
						sz, comp, prio);
		} else {
			struct stat st;

			/* A file's own size, not the usable part /proc/swaps gives (less the header page). */
			if (strcmp(type, "file") == 0 && stat(name, &st) == 0)
				kib = (unsigned long long)st.st_size >> 10;
			cb_size_format((size_t)kib << 10, sz, sizeof(sz));
			off += (size_t)snprintf(buf + off, len - off, "%s%s %s %s prio %d", off ? "; " : "",
						strcmp(type, "file") == 0 ? "file" : "partition", name, sz, prio);
		}
		if (off >= len)
			break;
	}
	if (f)
		fclose(f);
	if (!buf[0])
		snprintf(buf, len, "none");
}

#define CB_THP_DIR "/sys/kernel/mm/transparent_hugepage"
#define CB_ZSWAP_ENABLED "/sys/module/zswap/parameters/enabled"

const char *const cb_swap_mthp_stat_names[CB_SWAP_MTHP_STATS] = {
	"swpin", "swpin_fallback", "swpout", "swpout_fallback", "anon_fault_fallback",
};

void cb_swap_state_snap(struct cb_swap_state *s)
{
	char buf[128], path[256];
	struct dirent *de;
	DIR *d;

	memset(s, 0, sizeof(*s));
	if (cb_sysfs_read(CB_ZSWAP_ENABLED, buf, sizeof(buf)) > 0)
		snprintf(s->zswap, sizeof(s->zswap), "%.7s", buf);
	s->page_cluster = cb_sysfs_read("/proc/sys/vm/page-cluster", buf, sizeof(buf)) > 0 ? atoi(buf) : -1;
	if (cb_sysfs_read(CB_THP_DIR "/defrag", buf, sizeof(buf)) < 0 ||
	    cb_sysfs_selected(buf, s->thp_defrag, sizeof(s->thp_defrag)) <= 0)
		s->thp_defrag[0] = '\0';
	d = opendir(CB_THP_DIR);
	while (d && (de = readdir(d)) && s->nsizes < CB_SWAP_MTHP_SIZES) {
		unsigned long kb;
		int k = s->nsizes;

		if (sscanf(de->d_name, "hugepages-%lukB", &kb) != 1)
			continue;
		snprintf(path, sizeof(path), CB_THP_DIR "/%.40s/stats", de->d_name);
		if (access(path, F_OK))
			continue;
		s->size[k].kb = kb;
		for (int i = 0; i < CB_SWAP_MTHP_STATS; i++) {
			snprintf(path, sizeof(path), CB_THP_DIR "/%.40s/stats/%s", de->d_name, cb_swap_mthp_stat_names[i]);
			s->size[k].v[i] = cb_sysfs_read(path, buf, sizeof(buf)) > 0 ? strtoll(buf, NULL, 10) : -1;
		}
		s->nsizes++;
	}
	if (d)
		closedir(d);
	/* Ascending, as the records list folio sizes. */
	for (int i = 1; i < s->nsizes; i++)
		for (int j = i; j > 0 && s->size[j - 1].kb > s->size[j].kb; j--) {
			__typeof__(s->size[0]) t = s->size[j];

			s->size[j] = s->size[j - 1];
			s->size[j - 1] = t;
		}
}

void cb_swap_state_delta(const struct cb_swap_state *a, const struct cb_swap_state *b, struct cb_swap_state *d)
{
	*d = *b;
	for (int i = 0; i < d->nsizes; i++) {
		int j = 0;

		while (j < a->nsizes && a->size[j].kb != b->size[i].kb)
			j++;
		for (int k = 0; k < CB_SWAP_MTHP_STATS; k++)
			d->size[i].v[k] = j < a->nsizes && a->size[j].v[k] >= 0 && b->size[i].v[k] >= 0 ?
						  b->size[i].v[k] - a->size[j].v[k] : -1;
	}
}

/* The highest-priority area of /proc/swaps into name; -ENOENT without one, -EBUSY when two
 * share that priority (pages then alternate between them). */
static int cb_swap_top_area(char *name, size_t len)
{
	char line[512], n[256];
	int prio, best = 0, ties = 0, found = 0;
	FILE *f = fopen("/proc/swaps", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%255s %*s %*u %*u %d", n, &prio) == 2 && n[0] == '/') {
			if (!found || prio > best) {
				best = prio;
				ties = 0;
				snprintf(name, len, "%s", n);
			} else if (prio == best) {
				ties++;
			}
			found = 1;
		}
	fclose(f);
	return !found ? -ENOENT : ties ? -EBUSY : 0;
}

long long cb_swap_pswpout(void)
{
	char line[128];
	long long v = -1;
	FILE *f = fopen("/proc/vmstat", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "pswpout %lld", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

/* The 7th field of a block device's stat: sectors written, counted as the writes complete. */
int cb_swap_wb_read(struct cb_swap_wb *w)
{
	char buf[512];
	unsigned long long v[7];
	ssize_t n = pread(w->fd, buf, sizeof(buf) - 1, 0);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]) != 7)
		return -EINVAL;
	w->sectors = v[6];
	return 0;
}

int cb_swap_wb_open(struct cb_swap_wb *w, char *why, size_t len)
{
	char area[256], path[96], buf[16];
	struct stat st;
	dev_t dev;
	int ret;

	w->fd = -1;
	w->polls = 0;
	if (cb_sysfs_read(CB_ZSWAP_ENABLED, buf, sizeof(buf)) > 0 && buf[0] == 'Y') {
		snprintf(why, len, "zswap is on (%s): pages go to its pool, not to the swap device", CB_ZSWAP_ENABLED);
		return -EOPNOTSUPP;
	}
	ret = cb_swap_top_area(area, sizeof(area));
	if (ret) {
		snprintf(why, len, "%s", ret == -EBUSY ? "two swap areas share the top priority: pages alternate between them" :
					 ret == -ENOENT ? "no swap area is on" : "/proc/swaps cannot be read");
		return ret;
	}
	if (stat(area, &st)) {
		ret = -errno;
		snprintf(why, len, "stat %s: %s", area, strerror(-ret));
		return ret;
	}
	dev = S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev;
	snprintf(w->dev, sizeof(w->dev), "%u:%u", major(dev), minor(dev));
	snprintf(path, sizeof(path), "/sys/dev/block/%s/stat", w->dev);
	w->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (w->fd < 0) {
		ret = -errno;
		snprintf(why, len, "%s (the device of swap area %s): %s", path, area, strerror(-ret));
		return ret;
	}
	ret = cb_swap_wb_read(w);
	if (ret) {
		snprintf(why, len, "reading %s: %s", path, strerror(-ret));
		cb_swap_wb_close(w);
		return ret;
	}
	w->sectors0 = w->sectors;
	return 0;
}

int cb_swap_wb_wait(struct cb_swap_wb *w, unsigned long long want, unsigned timeout_ms)
{
	/* A sleep between reads, not a spin: the completion may need a softirq thread of this CPU,
	 * which a SCHED_FIFO spinner would starve. */
	const struct timespec pause = { .tv_nsec = 20000 };
	unsigned long long limit = (unsigned long long)timeout_ms * 50;
	int ret;

	w->polls = 0;
	for (;;) {
		ret = cb_swap_wb_read(w);
		w->polls++;
		if (ret)
			return ret;
		if (w->sectors - w->sectors0 >= want)
			return 0;
		if (w->polls > limit)
			return -ETIMEDOUT;
		nanosleep(&pause, NULL);
	}
}

void cb_swap_wb_close(struct cb_swap_wb *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

/* This process's path in the hierarchy with controller ctl ("" = the v2 line "0::"). */
static int cb_cgroup_own(const char *ctl, char *out, size_t len)
{
	char line[1024];
	int ret = -ENOENT;
	FILE *f = fopen("/proc/self/cgroup", "re");

	if (!f)
		return -errno;
	while (ret && fgets(line, sizeof(line), f)) {
		char *ctls = strchr(line, ':'), *path = ctls ? strchr(ctls + 1, ':') : NULL;

		if (!path)
			continue;
		*path++ = '\0';
		*ctls++ = '\0';
		path[strcspn(path, "\n")] = '\0';
		if (!*ctl) {
			if (strcmp(line, "0") == 0 && !*ctls)
				ret = 0;
		} else {
			for (char *w = strtok(ctls, ","); w && ret; w = strtok(NULL, ","))
				if (strcmp(w, ctl) == 0)
					ret = 0;
		}
		if (!ret)
			snprintf(out, len, "%s", strcmp(path, "/") == 0 ? "" : path);
	}
	fclose(f);
	return ret;
}

static bool cb_word_listed(const char *file, const char *word)
{
	char val[512];

	if (cb_sysfs_read(file, val, sizeof(val)) < 0)
		return false;
	for (char *w = strtok(val, " "); w; w = strtok(NULL, " "))
		if (strcmp(w, word) == 0)
			return true;
	return false;
}

int cb_memcg_create(struct cb_memcg *m, const char *name, char *why, size_t len)
{
	char own[400], base[460], file[520];
	struct statfs sf;
	int ret;

	memset(m, 0, sizeof(*m));
	/* v2 only where children of our group get the memory controller without us enabling it:
	 * subtree_control cannot be journalled (its old value does not say what to remove). */
	if (statfs("/sys/fs/cgroup", &sf) == 0 && (long)sf.f_type == CB_CGROUP2_MAGIC &&
	    cb_cgroup_own("", own, sizeof(own)) == 0) {
		snprintf(base, sizeof(base), "/sys/fs/cgroup%s", own);
		snprintf(file, sizeof(file), "%s/cgroup.subtree_control", base);
		if (!cb_word_listed(file, "memory")) {
			snprintf(why, len, "cgroup v2: memory controller not enabled in %s", file);
			return -ENODEV;
		}
		m->version = 2;
	} else if (access(CB_MEMCG_V1 "/memory.limit_in_bytes", F_OK) == 0 &&
		   cb_cgroup_own("memory", own, sizeof(own)) == 0) {
		snprintf(base, sizeof(base), CB_MEMCG_V1 "%s", own);
		m->version = 1;
	} else {
		snprintf(why, len, "no memory cgroup controller (neither v2 with memory nor v1 at " CB_MEMCG_V1 ")");
		return -ENODEV;
	}
	snprintf(m->path, sizeof(m->path), "%s/cowbench-%d-%s", base, (int)getpid(), name);
	ret = cb_settings_undo("!rmdir", m->path);
	if (ret) {
		snprintf(why, len, "journalling rmdir %s: %s", m->path, strerror(-ret));
		return ret;
	}
	if (mkdir(m->path, 0755)) {
		ret = -errno;
		snprintf(why, len, "mkdir %s: %s", m->path, strerror(-ret));
		return ret;
	}
	return 0;
}

static int cb_memcg_write(struct cb_memcg *m, const char *file, unsigned long long v, bool unlimited)
{
	char path[600], val[32];

	snprintf(path, sizeof(path), "%s/%s", m->path, file);
	if (unlimited)
		snprintf(val, sizeof(val), m->version == 2 ? "max" : "-1");
	else
		snprintf(val, sizeof(val), "%llu", v);
	return cb_sysfs_write(path, val);
}

int cb_memcg_limit(struct cb_memcg *m, size_t max, size_t high, size_t swap_max)
{
	bool nomax = max == 0 || max == SIZE_MAX, noswap = nomax || swap_max == SIZE_MAX;
	char path[600];
	int ret;

	if (m->version == 2) {
		ret = cb_memcg_write(m, "memory.max", max, nomax);
		if (!ret)
			ret = cb_memcg_write(m, "memory.high", high, high == 0 || high == SIZE_MAX);
		if (!ret)
			ret = cb_memcg_write(m, "memory.swap.max", swap_max, swap_max == SIZE_MAX);
		return ret;
	}
	/* memsw must stay >= the limit at every step: open it first, set it last. */
	snprintf(path, sizeof(path), "%s/memory.memsw.limit_in_bytes", m->path);
	bool memsw = access(path, F_OK) == 0;

	if (memsw && (ret = cb_memcg_write(m, "memory.memsw.limit_in_bytes", 0, true)))
		return ret;
	ret = cb_memcg_write(m, "memory.limit_in_bytes", max, nomax);
	if (!ret && memsw)
		ret = cb_memcg_write(m, "memory.memsw.limit_in_bytes", (unsigned long long)max + swap_max, noswap);
	return ret;
}

int cb_memcg_enter(struct cb_memcg *m, pid_t pid)
{
	char path[600], val[32];

	snprintf(path, sizeof(path), "%s/cgroup.procs", m->path);
	snprintf(val, sizeof(val), "%d", (int)(pid ? pid : getpid()));
	return cb_sysfs_write(path, val);
}

static void cb_memcg_read_pairs(struct cb_vmstat *out, const char *path, const char *prefix)
{
	char line[256], name[128];
	long long v;
	FILE *f = fopen(path, "re");

	while (f && fgets(line, sizeof(line), f) && out->n < CB_VMSTAT_MAX)
		if (sscanf(line, "%127s %lld", name, &v) == 2 && strlen(prefix) + strlen(name) < CB_VMSTAT_NAME) {
			strcpy(out->e[out->n].name, prefix);
			strcat(out->e[out->n].name, name);
			out->e[out->n++].v = v;
		}
	if (f)
		fclose(f);
}

int cb_memcg_snap(struct cb_memcg *m, struct cb_vmstat *out)
{
	char path[600], line[256], kind[16];
	FILE *f;

	out->n = 0;
	snprintf(path, sizeof(path), "%s/memory.stat", m->path);
	if (access(path, R_OK))
		return -errno;
	cb_memcg_read_pairs(out, path, "memcg.");
	if (m->version == 1) {
		long long v;

		/* One bare number (no "name value" pair): how often the limit was hit. */
		snprintf(path, sizeof(path), "%s/memory.failcnt", m->path);
		f = fopen(path, "re");
		if (f && fscanf(f, "%lld", &v) == 1 && out->n < CB_VMSTAT_MAX) {
			snprintf(out->e[out->n].name, CB_VMSTAT_NAME, "memcg.failcnt");
			out->e[out->n++].v = v;
		}
		if (f)
			fclose(f);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/memory.events", m->path);
	cb_memcg_read_pairs(out, path, "memcg.events.");
	/* "some avg10=0.00 avg60=0.00 avg300=0.00 total=123": avg10 in hundredths, total in µs. */
	snprintf(path, sizeof(path), "%s/memory.pressure", m->path);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f) && out->n + 2 <= CB_VMSTAT_MAX) {
		double avg10;
		long long total;

		if (sscanf(line, "%15s avg10=%lf %*s %*s total=%lld", kind, &avg10, &total) != 3)
			continue;
		snprintf(out->e[out->n].name, CB_VMSTAT_NAME, "memcg.pressure.%s.avg10_x100", kind);
		out->e[out->n++].v = (int64_t)(avg10 * 100 + 0.5);
		snprintf(out->e[out->n].name, CB_VMSTAT_NAME, "memcg.pressure.%s.total_us", kind);
		out->e[out->n++].v = total;
	}
	if (f)
		fclose(f);
	return 0;
}

/* Tasks (the caller, and any left by the workload) go back to the parent group, our own:
 * rmdir fails while the group has tasks. */
int cb_memcg_destroy(struct cb_memcg *m)
{
	char procs[620], parent[600], val[32];
	int ret = 0;

	if (!m->path[0])
		return 0;
	snprintf(parent, sizeof(parent), "%s", m->path);
	*strrchr(parent, '/') = '\0';
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", parent);
	for (int tries = 0; tries < 100; tries++) {
		char path[600];
		long pid;
		FILE *f;

		snprintf(path, sizeof(path), "%s/cgroup.procs", m->path);
		f = fopen(path, "re");
		if (!f)
			return errno == ENOENT ? 0 : -errno;
		while (fscanf(f, "%ld", &pid) == 1) {
			snprintf(val, sizeof(val), "%ld", pid);
			cb_sysfs_write(procs, val);
		}
		fclose(f);
		if (rmdir(m->path) == 0 || errno == ENOENT)
			return 0;
		ret = -errno;
		if (ret != -EBUSY)
			break;
		usleep(10000);
	}
	return ret;
}
