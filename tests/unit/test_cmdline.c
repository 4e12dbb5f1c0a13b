/* Host tests for lib/cmdline.c: tokenizing and number parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "lib/cmdline.h"

static void test_tokens(void **state)
{
	const char *s = "  name=a mem=64M  flag\tx= -- guest args  here";
	struct cmdline_iter it;
	struct cmdline_token t;
	const char *rest;
	size_t len;

	cmdline_iter_init(&it, s, strlen(s));
	assert_true(cmdline_next(&it, &t));
	assert_true(cmdline_key_is(&t, "name"));
	assert_true(cmdline_value_is(&t, "a"));
	assert_true(cmdline_next(&it, &t));
	assert_true(cmdline_key_is(&t, "mem"));
	assert_true(cmdline_value_is(&t, "64M"));
	assert_false(cmdline_value_is(&t, "64"));
	assert_true(cmdline_next(&it, &t));
	assert_true(cmdline_key_is(&t, "flag"));
	assert_null(t.value);
	assert_true(cmdline_next(&it, &t));
	assert_true(cmdline_key_is(&t, "x"));
	assert_non_null(t.value);
	assert_int_equal(t.value_len, 0);
	assert_false(cmdline_next(&it, &t));
	rest = cmdline_rest(&it, &len);
	assert_non_null(rest);
	assert_int_equal(len, strlen("guest args  here"));
	assert_memory_equal(rest, "guest args  here", len);
}

static void test_empty_and_null(void **state)
{
	struct cmdline_iter it;
	struct cmdline_token t;
	size_t len;

	cmdline_iter_init(&it, NULL, 0);
	assert_false(cmdline_next(&it, &t));
	assert_null(cmdline_rest(&it, &len));
	cmdline_iter_init(&it, "   ", 3);
	assert_false(cmdline_next(&it, &t));
	cmdline_iter_init(&it, "--", 2);
	assert_false(cmdline_next(&it, &t));
	assert_non_null(cmdline_rest(&it, &len));
	assert_int_equal(len, 0);
	/* "--x" is an ordinary token, not the separator */
	cmdline_iter_init(&it, "--x", 3);
	assert_true(cmdline_next(&it, &t));
	assert_true(cmdline_key_is(&t, "--x"));
}

static void test_length_bound(void **state)
{
	struct cmdline_iter it;
	struct cmdline_token t;

	/* only the first 5 bytes are the command line */
	cmdline_iter_init(&it, "a=1 b=2", 5);
	assert_true(cmdline_next(&it, &t));
	assert_true(cmdline_next(&it, &t));
	assert_true(cmdline_key_is(&t, "b"));
	assert_int_equal(t.value_len, 0);
	assert_false(cmdline_next(&it, &t));
}

static void test_numbers(void **state)
{
	u64 v;

	assert_true(cmdline_parse_u64("0", 1, &v));
	assert_int_equal(v, 0);
	assert_true(cmdline_parse_u64("18446744073709551615", 20, &v));
	assert_true(v == UINT64_MAX);
	assert_false(cmdline_parse_u64("18446744073709551616", 20, &v));
	assert_true(cmdline_parse_u64("0x1F", 4, &v));
	assert_int_equal(v, 31);
	assert_false(cmdline_parse_u64("0x", 2, &v));
	assert_false(cmdline_parse_u64("", 0, &v));
	assert_false(cmdline_parse_u64("12a", 3, &v));
	assert_false(cmdline_parse_u64("-1", 2, &v));
}

static void test_sizes(void **state)
{
	u64 v;

	assert_true(cmdline_parse_size("64M", 3, &v));
	assert_true(v == 64ULL << 20);
	assert_true(cmdline_parse_size("2g", 2, &v));
	assert_true(v == 2ULL << 30);
	assert_true(cmdline_parse_size("4096", 4, &v));
	assert_int_equal(v, 4096);
	assert_true(cmdline_parse_size("1K", 2, &v));
	assert_int_equal(v, 1024);
	assert_false(cmdline_parse_size("M", 1, &v));
	assert_false(cmdline_parse_size("16777216T", 9, &v)); /* 2^64: overflows */
	assert_false(cmdline_parse_size("12X", 3, &v));
	assert_false(cmdline_parse_size("", 0, &v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tokens),	 cmocka_unit_test(test_empty_and_null),
	    cmocka_unit_test(test_length_bound), cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_sizes),
	};

	return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
