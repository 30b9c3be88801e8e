#include <errno.h>
#include <stdio.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "env.h"
#include "timer.h"
#include "sysfs.h"
#include "unit.h"

CB_TEST(sysfs_selected_bracketed)
{
	char out[32];

	CB_CHECK(cb_sysfs_selected("always [madvise] never", out, sizeof(out)) == 7);
	CB_CHECK_STR(out, "madvise");
	CB_CHECK(cb_sysfs_selected("[always] inherit madvise never\n", out, sizeof(out)) == 6);
	CB_CHECK_STR(out, "always");
	CB_CHECK(cb_sysfs_selected("always within_size advise [never] deny force", out,
				   sizeof(out)) == 5);
	CB_CHECK_STR(out, "never");
	CB_CHECK(cb_sysfs_selected("[lzo-rle] lzo lz4 ", out, sizeof(out)) == 7);
	CB_CHECK_STR(out, "lzo-rle");
}

CB_TEST(sysfs_selected_plain)
{
	char out[32];

	CB_CHECK(cb_sysfs_selected("never", out, sizeof(out)) == 5);
	CB_CHECK_STR(out, "never");
	CB_CHECK(cb_sysfs_selected("  511\n", out, sizeof(out)) == 3);
	CB_CHECK_STR(out, "511");
}

CB_TEST(sysfs_selected_malformed)
{
	char out[32] = "untouched";

	CB_CHECK(cb_sysfs_selected("", out, sizeof(out)) == -EINVAL);
	CB_CHECK(cb_sysfs_selected(" \n", out, sizeof(out)) == -EINVAL);
	CB_CHECK(cb_sysfs_selected("always madvise never", out, sizeof(out)) == -EINVAL);
	CB_CHECK(cb_sysfs_selected("always [madvise never", out, sizeof(out)) == -EINVAL);
	CB_CHECK(cb_sysfs_selected("always madvise] never", out, sizeof(out)) == -EINVAL);
	CB_CHECK(cb_sysfs_selected("]always[ never", out, sizeof(out)) == -EINVAL);
	CB_CHECK(cb_sysfs_selected("[always] [never]", out, sizeof(out)) == -EINVAL);
	CB_CHECK(cb_sysfs_selected("[always]] never", out, sizeof(out)) == -EINVAL);
	CB_CHECK(cb_sysfs_selected("always [] never", out, sizeof(out)) == -EINVAL);
	CB_CHECK(cb_sysfs_selected("[two words]", out, sizeof(out)) == -EINVAL);
	CB_CHECK(cb_sysfs_selected(NULL, out, sizeof(out)) == -EINVAL);
	CB_CHECK_STR(out, "untouched");
	CB_CHECK(cb_sysfs_selected("a [madvise] b", out, 7) == -ERANGE);
	CB_CHECK(cb_sysfs_selected("a [madvise] b", out, 8) == 7);
	CB_CHECK_STR(out, "madvise");
}

CB_TEST(sysfs_read_write_roundtrip)
{
	char path[] = "/tmp/cb_sysfs_XXXXXX", buf[16];
	int fd = mkstemp(path);

	CB_CHECK(fd >= 0);
	if (fd < 0)
		return;
	close(fd);
	CB_CHECK(cb_sysfs_write(path, "madvise\n\n") == 0);
	CB_CHECK(cb_sysfs_read(path, buf, sizeof(buf)) == 7);
	CB_CHECK_STR(buf, "madvise");
	/* Nine bytes do not fit in eight plus the NUL: refused, not truncated. */
	CB_CHECK(cb_sysfs_read(path, buf, 9) == -EOVERFLOW);
	CB_CHECK(cb_sysfs_read(path, buf, 10) == 7);
	CB_CHECK(truncate(path, 0) == 0);
	CB_CHECK(cb_sysfs_read(path, buf, sizeof(buf)) == 0);
	CB_CHECK_STR(buf, "");
	unlink(path);
	CB_CHECK(cb_sysfs_read(path, buf, sizeof(buf)) == -ENOENT);
	CB_CHECK(cb_sysfs_write("/nonexistent-dir/x", "1") == -ENOENT);
}

static const char *env_str(json_object *o, const char *path)
{
	json_object *v = NULL;
	char key[64];
	const char *dot;

	/* Walks "a.b.c" through nested objects. */
	while ((dot = strchr(path, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		path = dot + 1;
	}
	if (!json_object_object_get_ex(o, path, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

CB_TEST(env_collect_kernel_release)
{
	json_object *env = cb_env_collect(), *v;
	struct utsname u;

	CB_CHECK(env != NULL);
	CB_CHECK(uname(&u) == 0);
	if (!env)
		return;
	CB_CHECK_STR(env_str(env, "kernel.release"), u.release);
	CB_CHECK_STR(env_str(env, "kernel.machine"), u.machine);
	CB_CHECK_STR(env_str(env, "hostname"), u.nodename);
	CB_CHECK(json_object_object_get_ex(env, "schema", &v) && json_object_get_int(v) == 1);
	CB_CHECK(json_object_object_get_ex(env, "euid", &v) &&
		 json_object_get_int64(v) == (int64_t)geteuid());
	/* The timer facts are cb_timer's, whatever source it settled on. */
	CB_CHECK_STR(env_str(env, "timer.source"), cb_timer.source_name);
	json_object_put(env);
}

CB_TEST(env_collect_thp_matches_sysfs)
{
	char raw[256], want[64];
	json_object *env = cb_env_collect(), *thp;

	CB_CHECK(env != NULL);
	if (!env)
		return;
	CB_CHECK(json_object_object_get_ex(env, "thp", &thp));
	if (cb_sysfs_read("/sys/kernel/mm/transparent_hugepage/enabled", raw, sizeof(raw)) < 0) {
		CB_CHECK(json_object_is_type(thp, json_type_null));
		CB_CHECK(env_str(env, "thp_why") != NULL);
	} else {
		CB_CHECK(cb_sysfs_selected(raw, want, sizeof(want)) > 0);
		CB_CHECK_STR(env_str(env, "thp.enabled"), want);
	}
	json_object_put(env);
}

CB_TEST(env_collect_serialises_to_valid_json)
{
	json_object *env = cb_env_collect(), *back;
	const char *text;

	CB_CHECK(env != NULL);
	if (!env)
		return;
	text = json_object_to_json_string_ext(env, JSON_C_TO_STRING_PRETTY);
	CB_CHECK(text != NULL);
	back = text ? json_tokener_parse(text) : NULL;
	CB_CHECK(back != NULL);
	CB_CHECK(back && json_object_is_type(back, json_type_object));
	CB_CHECK(back && json_object_object_length(back) == json_object_object_length(env));
	json_object_put(back);
	json_object_put(env);
}
