#include <stdarg.h>
#include <stdlib.h>

#include "unit.h"

#define MAX_TESTS 512

static struct {
	const char *name;
	cb_test_fn fn;
} tests[MAX_TESTS];
static int ntests;
static int current_failed, current_skipped;
static char current_why[512];

void cb_test_register(const char *name, cb_test_fn fn)
{
	if (ntests == MAX_TESTS) {
		fprintf(stderr, "unit: more than %d tests\n", MAX_TESTS);
		exit(2);
	}
	tests[ntests].name = name;
	tests[ntests].fn = fn;
	ntests++;
}

void cb_test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int off;

	/* Keep the first failure of a test: later ones are usually consequences. */
	if (current_failed++)
		return;
	off = snprintf(current_why, sizeof(current_why), "%s:%d: ", file, line);
	va_start(ap, fmt);
	vsnprintf(current_why + off, sizeof(current_why) - off, fmt, ap);
	va_end(ap);
}

void cb_test_skip(const char *fmt, ...)
{
	va_list ap;

	current_skipped = 1;
	va_start(ap, fmt);
	vsnprintf(current_why, sizeof(current_why), fmt, ap);
	va_end(ap);
}

int main(int argc, char **argv)
{
	int failed = 0;

	for (int i = 0; i < ntests; i++) {
		if (argc > 1 && !strstr(tests[i].name, argv[1]))
			continue;
		current_failed = 0;
		current_skipped = 0;
		tests[i].fn();
		if (current_skipped && !current_failed) {
			printf("skip unit/%s: %s\n", tests[i].name, current_why);
		} else if (current_failed) {
			printf("FAIL unit/%s: %s\n", tests[i].name, current_why);
			failed++;
		} else {
			printf("ok unit/%s\n", tests[i].name);
		}
		fflush(stdout);
	}
	return failed ? 1 : 0;
}
