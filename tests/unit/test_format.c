/* Host tests for lib/format.c: Keel's vsnprintf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "lib/format.h"

/* Some cases below are deliberately odd formats; the compiler need not vet them. */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-overflow"

static char buf[128];

#define EXPECT(want, ...)                                                                          \
	do {                                                                                       \
		int n = fmt_snprintf(buf, sizeof(buf), __VA_ARGS__);                               \
		assert_string_equal(buf, want);                                                    \
		assert_int_equal(n, (int)strlen(want));                                            \
	} while (0)

static void test_integers(void **state)
{
	EXPECT("42", "%d", 42);
	EXPECT("-42", "%d", -42);
	EXPECT("-2147483648", "%d", (int)0x80000000);
	EXPECT("4294967295", "%u", 0xFFFFFFFFu);
	EXPECT("18446744073709551615", "%lu", (unsigned long)-1);
	EXPECT("-9223372036854775808", "%ld", (long)(1UL << 63));
	EXPECT("ff", "%x", 255);
	EXPECT("FF", "%X", 255);
	EXPECT("deadbeefcafe", "%lx", 0xdeadbeefcafeUL);
	EXPECT("17", "%o", 15);
	EXPECT("255", "%hhu", 0x1ff);
	EXPECT("-1", "%hd", 0xffff);
	EXPECT("123", "%zu", (size_t)123);
	EXPECT("+5", "%+d", 5);
	EXPECT(" 5", "% d", 5);
}

static void test_width_and_padding(void **state)
{
	EXPECT("   42", "%5d", 42);
	EXPECT("42   |", "%-5d|", 42);
	EXPECT("00042", "%05d", 42);
	EXPECT("-0042", "%05d", -42);
	EXPECT("0000000000001000", "%016lx", 0x1000UL);
	EXPECT("  ab", "%4x", 0xab);
	EXPECT("0x00001000", "%010p", (void *)0x1000);
	EXPECT("   7", "%*d", 4, 7);
	EXPECT("007", "%.3d", 7);
	EXPECT("", "%.0d", 0);
}

static void test_pointer(void **state)
{
	EXPECT("0x1000", "%p", (void *)0x1000);
	EXPECT("0x0", "%p", (void *)0);
}

static void test_strings_and_chars(void **state)
{
	EXPECT("hello", "%s", "hello");
	EXPECT("  hi", "%4s", "hi");
	EXPECT("hi  |", "%-4s|", "hi");
	EXPECT("hel", "%.3s", "hello");
	EXPECT("ab", "%.*s", 2, "abc");
	EXPECT("(null)", "%s", (char *)NULL);
	EXPECT("x", "%c", 'x');
	EXPECT("100%", "100%%");
	EXPECT("%q", "%q");
}

static void test_truncation(void **state)
{
	char small[5];
	int n = fmt_snprintf(small, sizeof(small), "%s", "abcdefgh");

	assert_int_equal(n, 8);
	assert_string_equal(small, "abcd");
	n = fmt_snprintf(small, 1, "%d", 12345);
	assert_int_equal(n, 5);
	assert_string_equal(small, "");
	n = fmt_snprintf(NULL, 0, "%d", 12345);
	assert_int_equal(n, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_integers),   cmocka_unit_test(test_width_and_padding),
	    cmocka_unit_test(test_pointer),    cmocka_unit_test(test_strings_and_chars),
	    cmocka_unit_test(test_truncation),
	};

	return cmocka_run_group_tests_name("format", tests, NULL, NULL);
}
