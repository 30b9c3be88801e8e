#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cb.h"
#include "cow.h"
#include "pagemap.h"
#include "pin.h"
#include "sysfs.h"
#include "timer.h"

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

/*
 * Prepare steps for declared COW scenarios (cow.h): the fork and verify scaffolding around a
 * pin, kept next to the pins themselves.
 */

#define CB_PIN_CHILD_TAG 0xc1d0c1d000000000ull

/* vmsplice: the pipes, and what each page held at fork (first and last word). */
struct cb_pin_vmsplice_state {
	struct cb_pin_pipes pipes;
	uint64_t (*want)[2];
};

/* In the child: the pipes take references to every page, then the child unmaps them, so the
 * parent is the only mapper but not the only holder. */
static int cb_pin_vmsplice_child(struct cb_cow *c)
{
	struct cb_pin_vmsplice_state *st = c->state;
	struct cb_region *r = &c->r;
	size_t last = cb_page_size / 8 - 1;
	int ret;

	st->want = calloc(r->pages, sizeof(*st->want));
	if (!st->want)
		return cb_ctx_error(c->ctx, "calloc", -ENOMEM);
	for (size_t i = 0; i < r->pages; i++) {
		st->want[i][0] = ((uint64_t *)(r->addr + i * r->stride))[0];
		st->want[i][1] = ((uint64_t *)(r->addr + i * r->stride))[last];
	}
	ret = cb_pin_vmsplice(&st->pipes, r->addr, r->len);
	if (ret == -EMFILE)
		return cb_ctx_skip(c->ctx, "the region needs more pipes than RLIMIT_NOFILE allows (a pipe holds at most "
				   "fs.pipe-max-size without CAP_SYS_RESOURCE)");
	if (ret)
		return cb_ctx_error(c->ctx, "vmsplice", ret);
	if (munmap(r->addr, r->len))
		return cb_ctx_error(c->ctx, "munmap", -errno);
	r->addr = NULL;
	return 0;
}

/* In the child, after the parent's writes: the pipes must return every page as it was at fork.
 * The parent's new data there is CVE-2020-29374's leak. The child exits right after, which
 * closes the pipes on every path. */
static int cb_pin_vmsplice_check(struct cb_cow *c)
{
	struct cb_pin_vmsplice_state *st = c->state;
	struct cb_ctx *ctx = c->ctx;
	size_t last = cb_page_size / 8 - 1, leaked = 0, other = 0, first_leak = 0, first_other = 0;
	size_t pages = c->r.pages;
	uint64_t *page = malloc(cb_page_size);
	int ret = 0;

	if (!page)
		return cb_ctx_error(ctx, "malloc", -ENOMEM);
	for (size_t i = 0; i < pages; i++) {
		ret = cb_pin_pipes_read(&st->pipes, page, cb_page_size);
		if (ret) {
			cb_ctx_error(ctx, "read(pipe)", ret);
			goto free_page;
		}
		if (page[0] == st->want[i][0] && page[last] == st->want[i][1])
			continue;
		if (page[0] == (c->cs->tag ^ i) && !leaked++)
			first_leak = i;
		else if (page[0] != (c->cs->tag ^ i) && !other++)
			first_other = i;
	}
	if (ctx->pass == CB_PASS_COUNTING)
		cb_ctx_extra(ctx, "leaked_pages", (double)leaked);
	if (leaked)
		cb_ctx_fail(ctx, "data leaked across fork: the child's pipe returned the parent's new data for %zu of %zu pages (first: page %zu)",
			    leaked, pages, first_leak);
	else if (other)
		cb_ctx_fail(ctx, "DATA MISMATCH: the child's pipe returned neither old nor new data for %zu of %zu pages (first: page %zu)",
			    other, pages, first_other);
free_page:
	free(page);
	cb_pin_pipes_close(&st->pipes);
	free(st->want);
	st->want = NULL;
	return ret;
}

const struct cb_cow_prep cb_cow_prep_vmsplice = {
	.name = "vmsplice",
	.state_size = sizeof(struct cb_pin_vmsplice_state),
	.child = cb_pin_vmsplice_child,
	.child_check = cb_pin_vmsplice_check,
};

/* O_DIRECT: the file the child writes the region to. */
struct cb_pin_odirect_state {
	int fd;
	bool open;
};

static int cb_pin_odirect_open(struct cb_cow *c)
{
	struct cb_pin_odirect_state *st = c->state;
	char why[512];
	int fd;

	fd = cb_pin_direct_open(c->r.len, why, sizeof(why));
	if (fd < 0)
		return why[0] ? cb_ctx_skip(c->ctx, "no file for O_DIRECT: %s", why) : cb_ctx_error(c->ctx, "open(O_DIRECT)", fd);
	st->fd = fd;
	st->open = true;
	return 0;
}

static void cb_pin_odirect_close(struct cb_cow *c)
{
	struct cb_pin_odirect_state *st = c->state;

	if (st->open)
		close(st->fd);
	st->open = false;
}

/* The O_DIRECT write of the shared pages, with the PFNs around it: returns the pages it
 * unshared, or -errno. Skips when the pages are not mapped twice before it. */
static long cb_pin_odirect_write(struct cb_cow *c, int fd)
{
	struct cb_ctx *ctx = c->ctx;
	struct cb_region *r = &c->r;
	uint64_t *before, *after, *mapcount, t0, t1;
	size_t n = r->pages, shared = 0;
	long ret;

	before = calloc(n, sizeof(*before));
	after = calloc(n, sizeof(*after));
	mapcount = calloc(n, sizeof(*mapcount));
	if (!before || !after || !mapcount) {
		ret = cb_ctx_error(ctx, "calloc", -ENOMEM);
		goto free_arrays;
	}
	ret = cb_pin_pfns(r->addr, r->stride, n, before);
	if (ret) {
		ret = cb_ctx_error(ctx, "pread(pagemap)", (int)ret);
		goto free_arrays;
	}
	ret = cb_kpage_read("/proc/kpagecount", before, n, mapcount);
	if (ret) {
		ret = cb_ctx_error(ctx, "read(/proc/kpagecount)", (int)ret);
		goto free_arrays;
	}
	for (size_t i = 0; i < n; i++)
		shared += mapcount[i] == 2;
	if (shared != n) {
		ret = cb_ctx_skip(ctx, "%zu of %zu pages not mapped twice before the O_DIRECT write (not shared as intended)",
				  n - shared, n);
		goto free_arrays;
	}
	t0 = cb_timer_ticks();
	ret = cb_pin_direct_write(fd, r->addr, r->len);
	t1 = cb_timer_ticks();
	if (ret) {
		ret = cb_ctx_error(ctx, "write(O_DIRECT)", (int)ret);
		goto free_arrays;
	}
	if (ctx->pass == CB_PASS_TIMING)
		cb_ctx_extra(ctx, "odirect_write_ns", (double)cb_timer_ns(t1 - t0));
	ret = cb_pin_pfns(r->addr, r->stride, n, after);
	if (ret) {
		ret = cb_ctx_error(ctx, "pread(pagemap)", (int)ret);
		goto free_arrays;
	}
	ret = (long)cb_pin_pfns_changed(before, after, n);
free_arrays:
	free(before);
	free(after);
	free(mapcount);
	return ret;
}

/* In the child: direct I/O pins the source pages read-only (FOLL_PIN); a pinned page must not
 * stay shared, so GUP unshares it (FAULT_FLAG_UNSHARE, 5.19) without a write: the child's PFNs
 * change. The child's writes then find pages it maps alone. */
static int cb_pin_odirect_child(struct cb_cow *c)
{
	struct cb_pin_odirect_state *st = c->state;
	struct cb_ctx *ctx = c->ctx;
	long unshared, differ;
	size_t first = 0;

	unshared = cb_pin_odirect_write(c, st->fd);
	if (unshared < 0 || ctx->res->status != CB_OK)
		return unshared < 0 ? (int)unshared : 0;
	if (ctx->pass == CB_PASS_COUNTING)
		cb_ctx_extra(ctx, "unshared_pages", (double)unshared);
	differ = cb_pin_file_cmp(st->fd, c->r.addr, c->r.len, &first);
	if (differ < 0)
		return cb_ctx_error(ctx, "pread", (int)differ);
	if (differ)
		return cb_ctx_fail(ctx, "DATA MISMATCH: the O_DIRECT file differs from the child's buffer in %ld pages (first: page %zu)",
				   differ, first);
	/* All or nothing: a partly unshared region has no single expected outcome for the writes. */
	if (unshared && (size_t)unshared != c->r.pages)
		return cb_ctx_skip(ctx, "the O_DIRECT write unshared %ld of %zu pages: writes not classified",
				   unshared, c->r.pages);
	c->mapcount = unshared ? 1 : 2;
	return 0;
}

const struct cb_cow_prep cb_cow_prep_odirect = {
	.name = "odirect",
	.state_size = sizeof(struct cb_pin_odirect_state),
	.before_fork = cb_pin_odirect_open,
	.child = cb_pin_odirect_child,
	.release = cb_pin_odirect_close,
};

/* io_uring: the ring holding the pins, and the parent's PFNs at fork. */
struct cb_pin_iouring_state {
	struct cb_pin_uring u;
	uint64_t *pfns;
};

/* In the parent, before fork: a long-term pin on every page (FOLL_LONGTERM). */
static int cb_pin_iouring_register(struct cb_cow *c)
{
	struct cb_pin_iouring_state *st = c->state;
	char why[256];
	int ret;

	ret = cb_pin_uring_register(&st->u, c->r.addr, c->r.len, why, sizeof(why));
	if (ret)
		return why[0] ? cb_ctx_skip(c->ctx, "%s", why) : cb_ctx_error(c->ctx, "io_uring_register_buffers", ret);
	st->pfns = calloc(c->r.pages, sizeof(*st->pfns));
	if (!st->pfns)
		return cb_ctx_error(c->ctx, "calloc", -ENOMEM);
	ret = cb_pin_pfns(c->r.addr, c->r.stride, c->r.pages, st->pfns);
	if (ret)
		return cb_ctx_error(c->ctx, "pread(pagemap)", ret);
	return 0;
}

static void cb_pin_iouring_release(struct cb_cow *c)
{
	struct cb_pin_iouring_state *st = c->state;

	free(st->pfns);
	st->pfns = NULL;
	cb_pin_uring_release(&st->u);
}

/* In the child: a pinned exclusive page cannot be shared with it (the pin's user would lose
 * sight of later writes), so fork copied it eagerly: its PFNs differ from the parent's and its
 * own writes take no fault. It keeps its copies (with its own data) while the parent writes. */
static int cb_pin_iouring_child(struct cb_cow *c)
{
	struct cb_pin_iouring_state *st = c->state;
	struct cb_ctx *ctx = c->ctx;
	struct cb_region *r = &c->r;
	uint64_t *pfns = calloc(r->pages, sizeof(*pfns)), faults = 0;
	uint32_t *page_faults = calloc(r->pages, sizeof(*page_faults));
	int ret;

	if (!pfns || !page_faults) {
		ret = cb_ctx_error(ctx, "calloc", -ENOMEM);
		goto free_pfns;
	}
	ret = cb_pin_pfns(r->addr, r->stride, r->pages, pfns);
	if (ret) {
		cb_ctx_error(ctx, "pread(pagemap)", ret);
		goto free_pfns;
	}
	if (ctx->pass == CB_PASS_COUNTING)
		cb_ctx_extra(ctx, "eager_copied_pages", (double)cb_pin_pfns_changed(st->pfns, pfns, r->pages));
	ret = cb_region_verify(ctx, r, CB_COW_OLD, false, "child after fork");
	if (ret || ctx->res->status != CB_OK)
		goto free_pfns;
	ret = cb_region_write_faults(ctx, r, CB_PIN_CHILD_TAG, page_faults);
	if (ret)
		goto free_pfns;
	for (size_t i = 0; i < r->pages; i++)
		faults += page_faults[i];
	if (ctx->pass == CB_PASS_COUNTING)
		cb_ctx_extra(ctx, "child_write_faults", (double)faults);
	ret = cb_region_verify(ctx, r, CB_PIN_CHILD_TAG, false, "child after its writes");
	c->child_sees = CB_PIN_CHILD_TAG;
free_pfns:
	free(pfns);
	free(page_faults);
	return ret;
}

const struct cb_cow_prep cb_cow_prep_iouring = {
	.name = "iouring",
	.state_size = sizeof(struct cb_pin_iouring_state),
	.time_fork = true,
	.before_fork = cb_pin_iouring_register,
	.child = cb_pin_iouring_child,
	.release = cb_pin_iouring_release,
};
