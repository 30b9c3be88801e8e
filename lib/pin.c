#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cb.h"
#include "pagemap.h"
#include "pin.h"
#include "sysfs.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif
#define CB_PIN_IO_MAX 0x7ffff000ul  /* the most one read()/write() moves */
#define CB_PIN_IOV_MAX (1ul << 30)  /* io_uring's limit per fixed buffer */

int cb_pin_pfns(const void *addr, size_t stride, size_t pages, uint64_t *pfns)
{
	int pm = cb_pagemap_open(), ret = 0;

	if (pm < 0)
		return pm;
	for (size_t i = 0; i < pages && !ret; i++) {
		struct cb_pm_entry e;
		uint64_t raw = 0;

		/* One entry at a time keeps stride general; the reads are not timed. */
		ret = cb_pagemap_read(pm, (const char *)addr + i * stride, 1, &raw);
		cb_pagemap_decode(raw, &e);
		pfns[i] = e.present ? e.pfn : 0;
	}
	close(pm);
	return ret;
}

size_t cb_pin_pfns_changed(const uint64_t *before, const uint64_t *after, size_t n)
{
	size_t changed = 0;

	for (size_t i = 0; i < n; i++)
		changed += before[i] && after[i] && before[i] != after[i];
	return changed;
}

/* A new pipe made as large as allowed, up to want: beyond pipe-max-size needs CAP_SYS_RESOURCE
 * (root in a container may lack it). Returns its size in bytes or -errno. */
static int cb_pin_pipe_new(int fd[2], size_t want)
{
	char max[32] = "";
	int ret;

	if (pipe2(fd, O_CLOEXEC))
		return -errno;
	if (fcntl(fd[1], F_SETPIPE_SZ, (int)want) < 0) {
		if (errno != EPERM)
			goto close_pipe;
		if (cb_sysfs_read("/proc/sys/fs/pipe-max-size", max, sizeof(max)) > 0 &&
		    (size_t)atol(max) < want && fcntl(fd[1], F_SETPIPE_SZ, atoi(max)) < 0 && errno != EPERM)
			goto close_pipe;
	}
	ret = fcntl(fd[1], F_GETPIPE_SZ);
	if (ret >= 0)
		return ret;
close_pipe:
	ret = -errno;
	close(fd[0]);
	close(fd[1]);
	return ret;
}

/* Makes room for the descriptors a range needs: raises this process's soft RLIMIT_NOFILE up to
 * the hard limit, or returns -EMFILE. */
static int cb_pin_fds_reserve(size_t fds)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < fds + 64) {
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < fds + 64)
			return -EMFILE;
		rl.rlim_cur = fds + 64;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			return -errno;
	}
	return 0;
}

int cb_pin_vmsplice(struct cb_pin_pipes *p, void *addr, size_t len)
{
	int ret;

	memset(p, 0, sizeof(*p));
	p->fd = calloc(len / cb_page_size + 1, sizeof(*p->fd));
	p->left = calloc(len / cb_page_size + 1, sizeof(*p->left));
	if (!p->fd || !p->left) {
		ret = -ENOMEM;
		goto close_pipes;
	}
	for (size_t off = 0; off < len; p->n++) {
		size_t want = len - off < CB_PIN_PIPE_MAX ? len - off : CB_PIN_PIPE_MAX, end;

		ret = cb_pin_pipe_new(p->fd[p->n], want);
		if (ret < 0)
			goto close_pipes;
		/* The first pipe's size tells how many pipes the range needs. */
		if (!p->n && (size_t)ret < len) {
			int err = cb_pin_fds_reserve(2 * ((len + (size_t)ret - 1) / (size_t)ret));

			if (err) {
				p->n++;
				ret = err;
				goto close_pipes;
			}
		}
		p->cap = (size_t)ret;
		end = off + (want < p->cap ? want : p->cap);
		while (off < end) {
			struct iovec iov = { .iov_base = (char *)addr + off, .iov_len = end - off };
			ssize_t n = vmsplice(p->fd[p->n][1], &iov, 1, SPLICE_F_NONBLOCK);

			if (n <= 0) {
				ret = n < 0 ? -errno : -EIO;
				p->n++;
				goto close_pipes;
			}
			off += (size_t)n;
			p->left[p->n] += (size_t)n;
		}
	}
	return 0;
close_pipes:
	cb_pin_pipes_close(p);
	return ret;
}

int cb_pin_pipes_read(struct cb_pin_pipes *p, void *buf, size_t len)
{
	char *b = buf;

	while (len) {
		ssize_t n;

		/* Pipes are drained in the order they were filled. */
		while (p->cur < p->n && !p->left[p->cur])
			p->cur++;
		if (p->cur == p->n)
			return -ENODATA;
		n = read(p->fd[p->cur][0], b, len < p->left[p->cur] ? len : p->left[p->cur]);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		b += n;
		len -= (size_t)n;
		p->left[p->cur] -= (size_t)n;
	}
	return 0;
}

void cb_pin_pipes_close(struct cb_pin_pipes *p)
{
	for (int i = 0; p->fd && i < p->n; i++) {
		close(p->fd[i][0]);
		close(p->fd[i][1]);
	}
	free(p->fd);
	free(p->left);
	memset(p, 0, sizeof(*p));
}

static int cb_pin_direct_try(const char *dir, size_t len, char *why, size_t whylen)
{
	struct statfs fs;
	struct statvfs vfs;
	int fd, err;

	if (statfs(dir, &fs) || statvfs(dir, &vfs)) {
		err = -errno;
		snprintf(why, whylen, "%s: %s", dir, strerror(-err));
		return err;
	}
	if (fs.f_type == TMPFS_MAGIC) {
		snprintf(why, whylen, "%s is tmpfs (O_DIRECT there is buffered: no pin)", dir);
		return -EINVAL;
	}
	if ((uint64_t)vfs.f_bavail * vfs.f_frsize < len + (64u << 20)) {
		snprintf(why, whylen, "%s has less than the region + 64 MiB free", dir);
		return -ENOSPC;
	}
	fd = open(dir, O_TMPFILE | O_RDWR | O_DIRECT | O_CLOEXEC, 0600);
	if (fd < 0) {
		/* EINVAL: no direct I/O here; EOPNOTSUPP/EISDIR: no O_TMPFILE. */
		err = -errno;
		snprintf(why, whylen, "%s: open(O_TMPFILE|O_DIRECT): %s", dir, strerror(-err));
		return err;
	}
	return fd;
}

int cb_pin_direct_open(size_t len, char *why, size_t whylen)
{
	static const char *const dirs[] = { "/var/tmp", "." };
	size_t off = 0;
	int fd = -ENOENT;

	why[0] = '\0';
	for (size_t i = 0; i < CB_ARRAY_SIZE(dirs); i++) {
		fd = cb_pin_direct_try(dirs[i], len, why + off, whylen - off);
		if (fd >= 0) {
			why[0] = '\0';
			return fd;
		}
		off = strlen(why);
		if (off + 2 < whylen)
			off += (size_t)snprintf(why + off, whylen - off, "; ");
	}
	if (off >= 2 && off < whylen)
		why[off - 2] = '\0';
	return fd;
}

int cb_pin_direct_write(int fd, const void *addr, size_t len)
{
	for (size_t off = 0; off < len;) {
		size_t chunk = len - off < CB_PIN_IO_MAX ? len - off : CB_PIN_IO_MAX;
		ssize_t n = pwrite(fd, (const char *)addr + off, chunk, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		off += (size_t)n;
	}
	return 0;
}

long cb_pin_file_cmp(int fd, const void *addr, size_t len, size_t *first)
{
	size_t chunk = 1u << 20;
	long differ = 0;
	char *buf, path[64];
	int bfd;

	/* A second, buffered descriptor: O_DIRECT reads would need aligned buffers and lengths. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	bfd = open(path, O_RDONLY | O_CLOEXEC);
	if (bfd < 0)
		return -errno;
	buf = malloc(chunk);
	if (!buf) {
		close(bfd);
		return -ENOMEM;
	}
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		ssize_t got = pread(bfd, buf, n, (off_t)off);

		if (got != (ssize_t)n) {
			differ = got < 0 ? -errno : -EIO;
			break;
		}
		for (size_t p = 0; p < n; p += cb_page_size)
			if (memcmp(buf + p, (const char *)addr + off + p, cb_page_size) && !differ++)
				*first = (off + p) / cb_page_size;
	}
	free(buf);
	close(bfd);
	return differ;
}

int cb_pin_uring_register(struct cb_pin_uring *u, void *addr, size_t len, char *why, size_t whylen)
{
	size_t n = (len + CB_PIN_IOV_MAX - 1) / CB_PIN_IOV_MAX;
	struct iovec *iov;
	char disabled[16] = "";
	int ret;

	memset(u, 0, sizeof(*u));
	why[0] = '\0';
	cb_sysfs_read("/proc/sys/kernel/io_uring_disabled", disabled, sizeof(disabled));
	if (disabled[0] == '2') {
		snprintf(why, whylen, "io_uring disabled (kernel.io_uring_disabled = 2)");
		return -EPERM;
	}
	ret = io_uring_queue_init(4, &u->ring, 0);
	if (ret == -ENOSYS || ret == -EPERM || ret == -EACCES) {
		snprintf(why, whylen, "io_uring_setup: %s%s%s", strerror(-ret),
			 ret == -ENOSYS ? " (kernel without io_uring)" : "",
			 disabled[0] == '1' ? " (kernel.io_uring_disabled = 1)" : "");
		return ret;
	}
	if (ret)
		return ret;
	u->live = 1;
	iov = calloc(n, sizeof(*iov));
	if (!iov) {
		ret = -ENOMEM;
		goto exit_ring;
	}
	for (size_t i = 0; i < n; i++) {
		size_t off = i * CB_PIN_IOV_MAX;

		iov[i].iov_base = (char *)addr + off;
		iov[i].iov_len = len - off < CB_PIN_IOV_MAX ? len - off : CB_PIN_IOV_MAX;
	}
	ret = io_uring_register_buffers(&u->ring, iov, (unsigned)n);
	free(iov);
	if (ret == -ENOMEM)
		snprintf(why, whylen, "io_uring_register_buffers: %s (RLIMIT_MEMLOCK?)", strerror(-ret));
	if (!ret)
		return 0;
exit_ring:
	cb_pin_uring_release(u);
	return ret;
}

void cb_pin_uring_release(struct cb_pin_uring *u)
{
	/* Exiting the ring unregisters the buffers and drops the pins. */
	if (u->live)
		io_uring_queue_exit(&u->ring);
	u->live = 0;
}
