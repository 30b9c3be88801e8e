/* One-value files under /sys and /proc. */
#ifndef CB_SYSFS_H
#define CB_SYSFS_H

#include <stddef.h>

/* Reads the whole file into buf (NUL-terminated, trailing newlines stripped). Returns the
 * length, or -errno; -EOVERFLOW when the contents do not fit in len - 1 bytes. */
int cb_sysfs_read(const char *path, char *buf, size_t len);

/* Writes value in a single write(), as sysfs requires. Returns 0 or -errno. */
int cb_sysfs_write(const char *path, const char *value);

/* Extracts the selected word of a choice file: "always [madvise] never" gives "madvise"; a
 * plain one-word value such as "never" or "1" gives itself. Returns the word's length, -EINVAL
 * for empty or malformed text (several words without brackets, unbalanced or repeated
 * brackets), -ERANGE when out is too small. */
int cb_sysfs_selected(const char *text, char *out, size_t len);

#endif
