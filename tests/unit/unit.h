/* Minimal unit-test harness: each test prints one line "ok NAME" or "FAIL NAME: where what";
 * tests/run.sh counts those lines. */
#ifndef CB_UNIT_H
#define CB_UNIT_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef void (*cb_test_fn)(void);
void cb_test_register(const char *name, cb_test_fn fn);
void cb_test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The running test prints "skip NAME: why" instead of its verdict; the caller returns. */
void cb_test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define CB_TEST(name)                                                                  \
	static void name(void);                                                        \
	__attribute__((constructor)) static void cb_test_reg_##name(void)              \
	{                                                                              \
		cb_test_register(#name, name);                                         \
	}                                                                              \
	static void name(void)

#define CB_CHECK(cond)                                                                 \
	do {                                                                           \
		if (!(cond))                                                           \
			cb_test_fail(__FILE__, __LINE__, "%s", #cond);                 \
	} while (0)

#define CB_CHECK_U64(a, b)                                                             \
	do {                                                                           \
		uint64_t cb_a_ = (a), cb_b_ = (b);                                     \
		if (cb_a_ != cb_b_)                                                    \
			cb_test_fail(__FILE__, __LINE__, "%s == %" PRIu64 ", want %" PRIu64, \
				     #a, cb_a_, cb_b_);                                \
	} while (0)

#define CB_CHECK_STR(a, b)                                                             \
	do {                                                                           \
		const char *cb_a_ = (a), *cb_b_ = (b);                                 \
		if (!cb_a_ || strcmp(cb_a_, cb_b_) != 0)                               \
			cb_test_fail(__FILE__, __LINE__, "%s == \"%s\", want \"%s\"", #a,  \
				     cb_a_ ? cb_a_ : "(null)", cb_b_);                 \
	} while (0)

#define CB_CHECK_NEAR(a, b, tol)                                                       \
	do {                                                                           \
		double cb_a_ = (a), cb_b_ = (b);                                       \
		if (!(cb_a_ >= cb_b_ - (tol) && cb_a_ <= cb_b_ + (tol)))               \
			cb_test_fail(__FILE__, __LINE__, "%s == %g, want %g +- %g", #a,    \
				     cb_a_, cb_b_, (double)(tol));                     \
	} while (0)

#endif
