/*
 * Host tests for vm/place.c: first fit among busy ranges (a multiboot
 * image's segments and modules), and the overlap test the ELF64 loader
 * uses against its fixed layout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "vm/place.h"

#define PG  0x1000ULL
#define MEM (16ULL << 20)

static u64 at;

static bool find(const struct place_range *b, unsigned n, u64 size, u64 from, u64 limit)
{
	at = ~0ULL;
	return place_find(b, n, size, PG, from, limit, &at);
}

/* Nothing busy: the first aligned address at or above from. */
static void test_empty(void **state)
{
	assert_true(find(NULL, 0, 100, PG, MEM));
	assert_int_equal(at, PG);
	assert_true(find(NULL, 0, 100, PG + 1, MEM));
	assert_int_equal(at, 2 * PG);
	assert_true(find(NULL, 0, MEM - PG, PG, MEM)); /* exactly to the limit */
	assert_int_equal(at, PG);
	assert_false(find(NULL, 0, MEM - PG + 1, PG, MEM));
	assert_false(find(NULL, 0, 0, PG, MEM)); /* nothing to place */
}

/* An image at 1 MiB leaves 0x1000 free: the multiboot information stays there. */
static void test_image_above_1m(void **state)
{
	const struct place_range b[] = {{0x100000, 0x110000}, {0x110000, 0x114000}};

	assert_true(find(b, 2, 0x3000, PG, MEM));
	assert_int_equal(at, PG);
}

/* An image at 0x8000: 0x1000-0x8000 holds 7 pages; more goes above the image. */
static void test_image_low(void **state)
{
	const struct place_range b[] = {{0x8000, 0x12345}};

	assert_true(find(b, 1, 7 * PG, PG, MEM));
	assert_int_equal(at, PG);
	assert_true(find(b, 1, 7 * PG + 1, PG, MEM));
	assert_int_equal(at, 0x13000);
}

/* Holes between unsorted ranges; a range that only touches the hole is no overlap. */
static void test_holes(void **state)
{
	const struct place_range b[] = {
	    {0x20000, 0x30000}, {0x1000, 0x8000}, {0x9000, 0x1F000}, {0x30000, 0x30001}};

	assert_true(find(b, 4, PG, PG, MEM));
	assert_int_equal(at, 0x8000);		  /* [0x8000, 0x9000) exactly */
	assert_true(find(b, 4, 2 * PG, PG, MEM)); /* past [0x20000, 0x30000) and one byte */
	assert_int_equal(at, 0x31000);
	assert_true(find(b, 4, PG, 0x9000, MEM)); /* [0x1F000, 0x20000): touches both */
	assert_int_equal(at, 0x1F000);
}

/* The image fills RAM from 0x1000: nowhere. Empty busy ranges block nothing. */
static void test_no_room(void **state)
{
	const struct place_range full[] = {{0, MEM}};
	const struct place_range empty[] = {{0x5000, 0x5000}, {0x9000, 0x1000}};

	assert_false(find(full, 1, 1, PG, MEM));
	assert_true(find(empty, 2, PG, PG, MEM));
	assert_int_equal(at, PG);
	assert_false(find(NULL, 0, PG, MEM, MEM));
	assert_false(find(NULL, 0, PG, MEM + 1, MEM));
}

/* Near 2^64: no wrap in the alignment, the size or the limit. */
static void test_wraps(void **state)
{
	const struct place_range b[] = {{0, ~0ULL - 10}};

	assert_false(place_find(NULL, 0, PG, PG, ~0ULL - 5, ~0ULL, &at));
	assert_false(place_find(b, 1, 1, PG, 0, ~0ULL, &at));
	assert_false(place_find(NULL, 0, ~0ULL, PG, PG, ~0ULL, &at));
	assert_false(place_find(NULL, 0, PG, 3, 0, MEM, &at)); /* not a power of two */
	assert_false(place_find(NULL, 0, PG, 0, 0, MEM, &at));
}

static void test_overlap(void **state)
{
	const struct place_range b[] = {{0x1000, 0x4000}, {0x5000, 0xB000}, {0xFC000, 0x100000}};

	assert_int_equal(place_overlap(b, 3, (struct place_range){0x8000, 0x9000}), 1);
	assert_int_equal(place_overlap(b, 3, (struct place_range){0x4000, 0x5000}), -1);
	assert_int_equal(place_overlap(b, 3, (struct place_range){0xB000, 0xFC000}), -1);
	assert_int_equal(place_overlap(b, 3, (struct place_range){0xFBFFF, 0xFC000}), -1);
	assert_int_equal(place_overlap(b, 3, (struct place_range){0xFBFFF, 0xFC001}), 2);
	assert_int_equal(place_overlap(b, 3, (struct place_range){0, 0x200000}), 0);
	assert_int_equal(place_overlap(b, 3, (struct place_range){0x2000, 0x2000}), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty),     cmocka_unit_test(test_image_above_1m),
	    cmocka_unit_test(test_image_low), cmocka_unit_test(test_holes),
	    cmocka_unit_test(test_no_room),   cmocka_unit_test(test_wraps),
	    cmocka_unit_test(test_overlap),
	};

	return cmocka_run_group_tests_name("place", tests, NULL, NULL);
}
