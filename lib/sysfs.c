#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "sysfs.h"

int cb_sysfs_read(const char *path, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;
	char extra;
	int fd, err = 0;

	if (!len)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (n < len - 1) {
		r = read(fd, buf + n, len - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			goto out_close;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	/* A silently truncated value would be reported as if it were the whole one. */
	if (n == len - 1) {
		do
			r = read(fd, &extra, 1);
		while (r < 0 && errno == EINTR);
		if (r != 0) {
			err = r < 0 ? -errno : -EOVERFLOW;
			goto out_close;
		}
	}
	while (n && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
out_close:
	close(fd);
	return err ? err : (int)n;
}

int cb_sysfs_write(const char *path, const char *value)
{
	size_t n = strlen(value);
	ssize_t w;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* sysfs parses one write() as one value: never split or retry a partial one. */
	do
		w = write(fd, value, n);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		err = -errno;
	else if ((size_t)w != n)
		err = -EIO;
	if (close(fd) < 0 && !err)
		err = -errno;
	return err;
}

static int cb_sysfs_word(const char *p, const char *end, char *out, size_t len)
{
	size_t n = (size_t)(end - p);

	if (!n)
		return -EINVAL;
	if (n >= len)
		return -ERANGE;
	memcpy(out, p, n);
	out[n] = '\0';
	return (int)n;
}

int cb_sysfs_selected(const char *text, char *out, size_t len)
{
	const char *lb, *rb, *p, *end;

	if (!text || !out)
		return -EINVAL;
	lb = strchr(text, '[');
	rb = strchr(text, ']');
	if (lb || rb) {
		if (!lb || !rb || rb < lb || strchr(lb + 1, '[') ||
		    strchr(rb + 1, ']'))
			return -EINVAL;
		for (p = lb + 1; p < rb; p++)
			if (isspace((unsigned char)*p))
				return -EINVAL;
		return cb_sysfs_word(lb + 1, rb, out, len);
	}
	/* No brackets: only a single word is a value; a bare list has no selection. */
	for (p = text; isspace((unsigned char)*p); p++)
		;
	for (end = p; *end && !isspace((unsigned char)*end); end++)
		;
	for (const char *q = end; *q; q++)
		if (!isspace((unsigned char)*q))
			return -EINVAL;
	return cb_sysfs_word(p, end, out, len);
}
