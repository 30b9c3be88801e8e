/* Page references that are not mappings: a pipe holding vmspliced pages (FOLL_GET), an O_DIRECT
 * transfer (a short-term FOLL_PIN), io_uring fixed buffers (a long-term pin). Each changes what
 * the kernel does on a write fault or at fork, whatever the mapcount says. Errors are -errno;
 * where the machine lacks the feature, a reason is written to why (the caller skips). */
#ifndef CB_PIN_H
#define CB_PIN_H

#include <stddef.h>
#include <stdint.h>

#include <liburing.h>

/* PFNs of pages [0, pages) at addr + i * stride, read in the calling process (0: not present). */
int cb_pin_pfns(const void *addr, size_t stride, size_t pages, uint64_t *pfns);
/* Pages present in both snapshots whose PFN differs. */
size_t cb_pin_pfns_changed(const uint64_t *before, const uint64_t *after, size_t n);

/* Pipes holding the pages of one range: each pipe is enlarged to hold up to CB_PIN_PIPE_MAX
 * bytes (one slot per page; pipe-max-size, 1 MiB by default, without CAP_SYS_RESOURCE) and as
 * many are used as the range needs (1 GiB: 64 pipes, or 1024 at 1 MiB each). */
#define CB_PIN_PIPE_MAX (16u << 20)
struct cb_pin_pipes {
	int n;
	int (*fd)[2];
	size_t *left;               /* bytes each pipe still holds */
	int cur;                    /* the pipe cb_pin_pipes_read reads next */
	size_t cap;                 /* bytes one pipe holds */
};

/* vmsplices [addr, addr + len) (page-aligned) into new pipes, in order, without SPLICE_F_GIFT:
 * the pipes take page references and copy the data only when read. Raises the soft
 * RLIMIT_NOFILE of the calling process as far as the pipes need; -EMFILE beyond the hard one. */
int cb_pin_vmsplice(struct cb_pin_pipes *p, void *addr, size_t len);
/* Reads the next len bytes the pipes hold, in order. */
int cb_pin_pipes_read(struct cb_pin_pipes *p, void *buf, size_t len);
void cb_pin_pipes_close(struct cb_pin_pipes *p);

/* An unnamed file (O_TMPFILE) opened O_DIRECT with room for len bytes, in /var/tmp or else the
 * current directory. tmpfs is refused: it accepts O_DIRECT since 6.6 but does buffered I/O, so
 * nothing would be pinned. Returns fd, or -errno with why set when no directory qualifies. */
int cb_pin_direct_open(size_t len, char *why, size_t whylen);
/* write() of [addr, addr + len) at offset 0, looping over short writes. Returns 0 or -errno. */
int cb_pin_direct_write(int fd, const void *addr, size_t len);
/* Compares the file's first len bytes (buffered reads) with [addr, addr + len): returns the
 * number of differing pages (*first: the first of them), or -errno. */
long cb_pin_file_cmp(int fd, const void *addr, size_t len, size_t *first);

/* io_uring with [addr, addr + len) registered as fixed buffers (one iovec per <= 1 GiB): every
 * page pinned long-term (FOLL_LONGTERM), until cb_pin_uring_release. */
struct cb_pin_uring {
	struct io_uring ring;
	int live;
};
/* Returns 0 or -errno; why is set when io_uring is unavailable here (disabled by
 * kernel.io_uring_disabled, not built in, refused by a seccomp or LSM policy). */
int cb_pin_uring_register(struct cb_pin_uring *u, void *addr, size_t len, char *why, size_t whylen);
void cb_pin_uring_release(struct cb_pin_uring *u);

#endif
