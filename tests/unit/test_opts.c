#include <errno.h>

#include "cb.h"
#include "opts.h"
#include "unit.h"

/* Sizes are whole pages: on a 16/64 KiB-page kernel some of the fixed byte counts below are not. */
static size_t size_of(const char *s)
{
	size_t v = 0;

	return cb_size_parse(s, &v) ? 0 : v;
}

CB_TEST(opts_size_parse_units)
{
	CB_CHECK_U64(size_of("64M"), 67108864);
	CB_CHECK_U64(size_of("4K"), 4096);
	CB_CHECK_U64(size_of("1G"), UINT64_C(1) << 30);
	CB_CHECK_U64(size_of("4096"), 4096);
	CB_CHECK_U64(size_of("16KiB"), 16384);
	CB_CHECK_U64(size_of("16kib"), 16384);
	CB_CHECK_U64(size_of("16KB"), 16384);
	CB_CHECK_U64(size_of("2m"), 2u << 20);
	CB_CHECK_U64(size_of("1t"), UINT64_C(1) << 40);
	CB_CHECK_U64(size_of("1099511627776"), UINT64_C(1) << 40);
}

CB_TEST(opts_size_parse_errors)
{
	size_t v = 12345;

	CB_CHECK(cb_size_parse("12Q", &v) == -EINVAL);
	CB_CHECK(cb_size_parse("", &v) == -EINVAL);
	CB_CHECK(cb_size_parse(NULL, &v) == -EINVAL);
	CB_CHECK(cb_size_parse("M", &v) == -EINVAL);
	CB_CHECK(cb_size_parse("-1", &v) == -EINVAL);
	CB_CHECK(cb_size_parse("0", &v) == -EINVAL);
	CB_CHECK(cb_size_parse("0K", &v) == -EINVAL);
	CB_CHECK(cb_size_parse("100", &v) == -EINVAL);	/* not a whole page */
	CB_CHECK(cb_size_parse(" 4K", &v) == -EINVAL);
	CB_CHECK(cb_size_parse("4 K", &v) == -EINVAL);
	CB_CHECK(cb_size_parse("4KX", &v) == -EINVAL);
	CB_CHECK(cb_size_parse("4Ki", &v) == -EINVAL);
	CB_CHECK(cb_size_parse("4096B", &v) == -EINVAL);	/* a suffix needs a unit */
	CB_CHECK(cb_size_parse("2000T", &v) == -ERANGE);
	CB_CHECK(cb_size_parse("1025G", &v) == -ERANGE);
	CB_CHECK(cb_size_parse("99999999999999999999999", &v) == -ERANGE);
	/* A failed parse leaves the output alone. */
	CB_CHECK_U64(v, 12345);
}

CB_TEST(opts_size_format)
{
	char buf[32];

	cb_size_format(67108864, buf, sizeof(buf));
	CB_CHECK_STR(buf, "64M");
	cb_size_format(4096, buf, sizeof(buf));
	CB_CHECK_STR(buf, "4K");
	cb_size_format(6144, buf, sizeof(buf));
	CB_CHECK_STR(buf, "6K");
	cb_size_format(UINT64_C(1) << 40, buf, sizeof(buf));
	CB_CHECK_STR(buf, "1T");
	cb_size_format(UINT64_C(1) << 50, buf, sizeof(buf));
	CB_CHECK_STR(buf, "1024T");
	cb_size_format(1536, buf, sizeof(buf));
	CB_CHECK_STR(buf, "1536");
	cb_size_format(0, buf, sizeof(buf));
	CB_CHECK_STR(buf, "0");
	/* Every page multiple up to the parser's limit comes back as itself. */
	for (size_t pages = 1; pages <= (UINT64_C(1) << 28); pages = pages * 3 + 1) {
		size_t bytes = pages * cb_page_size;

		cb_size_format(bytes, buf, sizeof(buf));
		CB_CHECK_U64(size_of(buf), bytes);
	}
	for (int k = 0; k <= 40; k++) {
		size_t bytes = (size_t)1 << k;

		if (bytes < cb_page_size)
			continue;
		cb_size_format(bytes, buf, sizeof(buf));
		CB_CHECK_U64(size_of(buf), bytes);
	}
}

CB_TEST(opts_int_parse)
{
	long v = 77;

	CB_CHECK(cb_int_parse("5", 1, 10, &v) == 0);
	CB_CHECK(v == 5);
	CB_CHECK(cb_int_parse("-3", -5, 5, &v) == 0);
	CB_CHECK(v == -3);
	CB_CHECK(cb_int_parse("10", 1, 10, &v) == 0);
	CB_CHECK(v == 10);
	CB_CHECK(cb_int_parse("1", 1, 10, &v) == 0);
	CB_CHECK(v == 1);
	v = 77;
	CB_CHECK(cb_int_parse("0", 1, 10, &v) == -ERANGE);
	CB_CHECK(cb_int_parse("11", 1, 10, &v) == -ERANGE);
	CB_CHECK(cb_int_parse("", 1, 10, &v) == -EINVAL);
	CB_CHECK(cb_int_parse(NULL, 1, 10, &v) == -EINVAL);
	CB_CHECK(cb_int_parse("12x", 1, 100, &v) == -EINVAL);
	CB_CHECK(cb_int_parse("3.5", 1, 100, &v) == -EINVAL);
	CB_CHECK(cb_int_parse("five", 1, 100, &v) == -EINVAL);
	/* Plain integers only (strtol takes all of these). */
	CB_CHECK(cb_int_parse(" 5", 1, 100, &v) == -EINVAL);
	CB_CHECK(cb_int_parse("+5", 1, 100, &v) == -EINVAL);
	CB_CHECK(cb_int_parse("+0", 0, 100, &v) == -EINVAL);
	CB_CHECK(cb_int_parse("5 ", 1, 100, &v) == -EINVAL);
	CB_CHECK(cb_int_parse("-", -5, 100, &v) == -EINVAL);
	CB_CHECK(cb_int_parse("-1", 0, 100, &v) == -EINVAL);
	CB_CHECK(cb_int_parse("99999999999999999999", 0, 100, &v) == -EINVAL);
	CB_CHECK(v == 77);
}

CB_TEST(opts_defaults)
{
	struct cb_opts o;

	cb_opts_defaults(&o);
	CB_CHECK_STR(o.backing, "base");
	CB_CHECK_U64(o.size, 64u << 20);
	CB_CHECK(o.repeat == 5);
	CB_CHECK(o.warmup == 1);
	CB_CHECK(o.cpu == -1);
	CB_CHECK_STR(o.out, "");
	CB_CHECK(o.set == 0);
}

CB_TEST(opts_parse_separate_and_joined)
{
	char *argv[] = { "--size", "8M", "--repeat", "3" };
	char *argv2[] = { "--size=8M", "--warmup=0", "--cpu=auto", "--backing=thp" };
	char err[256] = "";
	struct cb_opts o;

	cb_opts_defaults(&o);
	CB_CHECK(cb_opts_parse(4, argv, &o, CB_OPT_RUN, err, sizeof(err)) == 4);
	CB_CHECK_U64(o.size, 8u << 20);
	CB_CHECK(o.repeat == 3);
	CB_CHECK(o.warmup == 1);
	CB_CHECK(o.set == (CB_OPT_SIZE | CB_OPT_REPEAT));
	CB_CHECK_STR(err, "");

	cb_opts_defaults(&o);
	o.cpu = 3;
	CB_CHECK(cb_opts_parse(4, argv2, &o, CB_OPT_RUN, err, sizeof(err)) == 4);
	CB_CHECK_U64(o.size, 8u << 20);
	CB_CHECK(o.warmup == 0);
	CB_CHECK(o.cpu == -1);
	CB_CHECK_STR(o.backing, "thp");
	CB_CHECK(o.repeat == 5);
	CB_CHECK(o.set == (CB_OPT_SIZE | CB_OPT_WARMUP | CB_OPT_CPU | CB_OPT_BACKING));
}

CB_TEST(opts_parse_stops_at_non_option)
{
	char *argv[] = { "--repeat", "3", "fault_anon", "--size", "8M" };
	char *argv2[] = { "cow_child", "--size", "8M" };
	char *argv3[] = { "--cpu", "1", "-", "--size=8M" };
	char err[256] = "";
	struct cb_opts o;

	cb_opts_defaults(&o);
	CB_CHECK(cb_opts_parse(5, argv, &o, CB_OPT_RUN, err, sizeof(err)) == 2);
	CB_CHECK(o.repeat == 3);
	CB_CHECK_U64(o.size, 64u << 20);	/* after the non-option: not read */
	CB_CHECK(cb_opts_parse(3, argv2, &o, CB_OPT_RUN, err, sizeof(err)) == 0);
	CB_CHECK(cb_opts_parse(4, argv3, &o, CB_OPT_RUN, err, sizeof(err)) == 2);
	CB_CHECK(o.cpu == 1);
	CB_CHECK(cb_opts_parse(0, argv, &o, CB_OPT_RUN, err, sizeof(err)) == 0);
	CB_CHECK_U64(o.size, 64u << 20);
}

CB_TEST(opts_parse_errors)
{
	char *unknown[] = { "--bogus", "1" };
	char *unknown_eq[] = { "--bogus=1" };
	char *missing[] = { "--repeat", "3", "--size" };
	char *zero[] = { "--repeat", "0" };
	char *badsize[] = { "--size=12Q" };
	char *bigsize[] = { "--size", "2000T" };
	char *badcpu[] = { "--cpu", "x" };
	char *out[] = { "--out", "r.jsonl" };
	char err[256];
	struct cb_opts o;

	cb_opts_defaults(&o);
	CB_CHECK(cb_opts_parse(2, unknown, &o, CB_OPT_RUN, err, sizeof(err)) == -1);
	CB_CHECK_STR(err, "unknown option --bogus");
	CB_CHECK(cb_opts_parse(1, unknown_eq, &o, CB_OPT_RUN, err, sizeof(err)) == -1);
	CB_CHECK_STR(err, "unknown option --bogus");
	CB_CHECK(cb_opts_parse(3, missing, &o, CB_OPT_RUN, err, sizeof(err)) == -1);
	CB_CHECK_STR(err, "--size needs a value");
	cb_opts_defaults(&o);
	CB_CHECK(cb_opts_parse(2, zero, &o, CB_OPT_RUN, err, sizeof(err)) == -1);
	CB_CHECK_STR(err, "--repeat 0: bad value (want 1 ... 100000 or auto)");
	CB_CHECK(o.repeat == 5);
	CB_CHECK(o.set == 0);
	CB_CHECK(cb_opts_parse(1, badsize, &o, CB_OPT_RUN, err, sizeof(err)) == -1);
	snprintf(err + 128, 128, "--size 12Q: not a size (want e.g. 64M, 1G: a whole number of %zu-byte pages)",
		 cb_page_size);
	CB_CHECK_STR(err, err + 128);
	CB_CHECK(cb_opts_parse(2, bigsize, &o, CB_OPT_RUN, err, sizeof(err)) == -1);
	CB_CHECK(strncmp(err, "--size 2000T: too large (", 25) == 0);
	CB_CHECK_U64(o.size, 64u << 20);
	CB_CHECK(cb_opts_parse(2, badcpu, &o, CB_OPT_RUN, err, sizeof(err)) == -1);
	CB_CHECK_STR(err, "--cpu x: bad value (want a CPU number or auto)");
	/* Known to the parser but not permitted here. */
	CB_CHECK(cb_opts_parse(2, out, &o, CB_OPT_RUN, err, sizeof(err)) == -1);
	CB_CHECK_STR(err, "unknown option --out");
	CB_CHECK(cb_opts_parse(2, zero, &o, CB_OPT_SIZE, err, sizeof(err)) == -1);
	CB_CHECK_STR(err, "unknown option --repeat");
	CB_CHECK(cb_opts_parse(2, out, &o, CB_OPT_OUT, err, sizeof(err)) == 2);
	CB_CHECK_STR(o.out, "r.jsonl");
	CB_CHECK(o.set == CB_OPT_OUT);
}

CB_TEST(opts_threads_processes)
{
	char *threads[] = { "--threads", "4" }, *procs[] = { "--processes=2" }, *both[] = { "--threads", "2", "--processes", "2" };
	char *zero[] = { "--threads", "0" }, *many[] = { "--processes", "65" };
	char err[256] = "", inst[320];
	struct cb_opts o;

	cb_opts_defaults(&o);
	CB_CHECK(cb_opts_parse(2, threads, &o, CB_OPT_RUN, err, sizeof(err)) == 2);
	CB_CHECK(o.threads == 4 && o.processes == 0);
	CB_CHECK(cb_opts_finish(&o, err, sizeof(err)) == 0);
	cb_opts_instance(&o, inst, sizeof(inst));
	CB_CHECK_STR(inst, "threads=4");
	cb_opts_defaults(&o);
	CB_CHECK(cb_opts_parse(1, procs, &o, CB_OPT_RUN, err, sizeof(err)) == 1);
	cb_opts_instance(&o, inst, sizeof(inst));
	CB_CHECK_STR(inst, "processes=2");
	/* Threads of one mm or processes of their own: one or the other. */
	cb_opts_defaults(&o);
	CB_CHECK(cb_opts_parse(4, both, &o, CB_OPT_RUN, err, sizeof(err)) == 4);
	CB_CHECK(cb_opts_finish(&o, err, sizeof(err)) == -1);
	CB_CHECK_STR(err, "--threads and --processes exclude each other");
	cb_opts_defaults(&o);
	CB_CHECK(cb_opts_parse(2, zero, &o, CB_OPT_RUN, err, sizeof(err)) == -1);
	CB_CHECK(cb_opts_parse(2, many, &o, CB_OPT_RUN, err, sizeof(err)) == -1);
	cb_opts_instance(&o, inst, sizeof(inst));
	CB_CHECK_STR(inst, "");
}
