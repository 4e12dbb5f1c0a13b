/*
 * Host tests for the bench guest's sample summaries (tests/guests/lib/sample.c):
 * heap sort against qsort on edge cases and random arrays, and the summary's
 * min, lower median, max, sum, bias and rounded mean.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "tests/guests/lib/sample.h"

#define SAMPLE_RANDOM_MAX 2000

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return (x > y) - (x < y);
}

/* Sorts a copy of v both ways and compares. */
static void check_sort(const u64 *v, size_t n)
{
	u64 *a = malloc((n + 1) * sizeof(u64)), *b = malloc((n + 1) * sizeof(u64));

	memcpy(a, v, n * sizeof(u64));
	memcpy(b, v, n * sizeof(u64));
	sample_sort(a, n);
	qsort(b, n, sizeof(u64), cmp_u64);
	assert_memory_equal(a, b, n * sizeof(u64));
	free(a);
	free(b);
}

static void test_sort_edges(void **state)
{
	const u64 one[] = {7};
	const u64 two[] = {9, 3};
	const u64 same[] = {5, 5, 5, 5, 5};
	const u64 desc[] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0};
	const u64 big[] = {UINT64_MAX, 0, UINT64_MAX - 1, 1, UINT64_MAX};

	check_sort(one, 0);
	check_sort(one, 1);
	check_sort(two, 2);
	check_sort(same, 5);
	check_sort(desc, 10);
	check_sort(big, 5);
}

static void test_sort_random(void **state)
{
	static u64 v[SAMPLE_RANDOM_MAX];
	u64 x = 0x123456789ABCDEFULL;

	for (size_t n = 1; n <= SAMPLE_RANDOM_MAX; n = n * 3 + 1) {
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13; /* xorshift64 */
			x ^= x >> 7;
			x ^= x << 17;
			v[i] = x % (n / 2 + 1); /* plenty of duplicates */
		}
		check_sort(v, n);
	}
}

static void test_summarize(void **state)
{
	u64 v[] = {40, 10, 30, 20};
	struct sample_summary s = sample_summarize(v, 4, 0);

	assert_int_equal(s.count, 4);
	assert_int_equal(s.min, 10);
	assert_int_equal(s.median, 20); /* lower median of an even count */
	assert_int_equal(s.max, 40);
	assert_int_equal(s.sum, 100);
	assert_int_equal(sample_mean_centi(&s), 2500);
	assert_int_equal(v[0], 10); /* left sorted */
	assert_int_equal(v[3], 40);
}

static void test_summarize_bias(void **state)
{
	u64 v[] = {7, 3, 5, 2, 9};
	struct sample_summary s = sample_summarize(v, 5, 4);

	/* 3 and 2 clamp to 0; 7, 5, 9 become 3, 1, 5. */
	assert_int_equal(s.min, 0);
	assert_int_equal(s.median, 1);
	assert_int_equal(s.max, 5);
	assert_int_equal(s.sum, 9);
	assert_int_equal(sample_mean_centi(&s), 180);
}

static void test_mean_rounding(void **state)
{
	u64 a[] = {1, 1, 2}; /* 4/3 = 1.333.. -> 133 */
	u64 b[] = {1, 2, 2}; /* 5/3 = 1.666.. -> 167 */
	u64 c[] = {0, 1};    /* 0.5 -> 50 */
	struct sample_summary sa = sample_summarize(a, 3, 0), sb = sample_summarize(b, 3, 0);
	struct sample_summary sc = sample_summarize(c, 2, 0), empty = sample_summarize(c, 0, 0);

	assert_int_equal(sample_mean_centi(&sa), 133);
	assert_int_equal(sample_mean_centi(&sb), 167);
	assert_int_equal(sample_mean_centi(&sc), 50);
	assert_int_equal(empty.count, 0);
	assert_int_equal(empty.sum, 0);
	assert_int_equal(sample_mean_centi(&empty), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sort_edges),	  cmocka_unit_test(test_sort_random),
	    cmocka_unit_test(test_summarize),	  cmocka_unit_test(test_summarize_bias),
	    cmocka_unit_test(test_mean_rounding),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
