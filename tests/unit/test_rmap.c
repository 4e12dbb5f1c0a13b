/*
 * Host tests for mm/rmap_core.c, the reverse map's logic: slots in blocks
 * the test allocates (two GiB of host-physical space, the second absent),
 * leaves of every size recorded, found from any of their frames, split,
 * removed, and every wrong request refused without a change.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "mm/pt.h"
#include "mm/rmap.h"

#define K4 (4 * KiB)
#define M2 (2 * MiB)
#define G1 (1 * GiB)

static struct rmap r;

static int setup(void **state)
{
	(void)state;
	memset(&r, 0, sizeof(r));
	r.block[0] = calloc(RMAP_BLOCK_SLOTS, sizeof(u64));
	r.block[2] = calloc(RMAP_BLOCK_SLOTS, sizeof(u64));
	assert_non_null(r.block[0]);
	assert_non_null(r.block[2]);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(r.block[0]);
	free(r.block[2]);
	return 0;
}

/* The leaf found for frame must be exactly (owner, gpa, level, head). */
static void expect_leaf(u64 frame, u16 owner, u64 gpa, unsigned level, u64 head)
{
	struct rmap_leaf l;

	assert_true(rmap_find(&r, hpa(frame), &l));
	assert_int_equal(l.owner, owner);
	assert_int_equal(l.gpa, gpa);
	assert_int_equal(l.level, level);
	assert_int_equal(hpa_addr(l.head), head);
}

static void expect_none(u64 frame)
{
	struct rmap_leaf l;

	assert_false(rmap_find(&r, hpa(frame), &l));
}

static void test_4k_leaf(void **state)
{
	(void)state;
	expect_none(0x123000);
	assert_int_equal(rmap_add(&r, hpa(0x123000), 7, 0x5000, 1), RMAP_OK);
	expect_leaf(0x123000, 7, 0x5000, 1, 0x123000);
	expect_leaf(0x123abc, 7, 0x5000, 1, 0x123000); /* any byte of the frame */
	expect_none(0x124000);
	expect_none(0x122000);
	assert_int_equal(rmap_count_owner(&r, 7), 1);
	/* A second leaf on the same frame is refused. */
	assert_int_equal(rmap_add(&r, hpa(0x123000), 8, 0x9000, 1), RMAP_TAKEN);
	/* Removing needs the exact leaf. */
	assert_int_equal(rmap_remove(&r, hpa(0x123000), 8, 0x5000, 1), RMAP_MISMATCH);
	assert_int_equal(rmap_remove(&r, hpa(0x123000), 7, 0x6000, 1), RMAP_MISMATCH);
	expect_leaf(0x123000, 7, 0x5000, 1, 0x123000);
	assert_int_equal(rmap_remove(&r, hpa(0x123000), 7, 0x5000, 1), RMAP_OK);
	expect_none(0x123000);
	assert_int_equal(rmap_remove(&r, hpa(0x123000), 7, 0x5000, 1), RMAP_MISMATCH);
	assert_int_equal(rmap_count_owner(&r, 7), 0);
}

/* Every frame of a 2 MiB leaf finds it through the slot at the start of its run. */
static void test_2m_leaf_and_split(void **state)
{
	u64 head = 0x40000000ULL - M2; /* the last 2 MiB of GiB 0 */
	u64 gpa = 0x7e00000;

	(void)state;
	assert_int_equal(rmap_add(&r, hpa(head), 3, gpa, 2), RMAP_OK);
	expect_leaf(head, 3, gpa, 2, head);
	expect_leaf(head + 5 * K4, 3, gpa, 2, head);
	expect_leaf(head + M2 - 1, 3, gpa, 2, head);
	/* A 4 KiB leaf inside it is refused: the frame backs the large leaf. */
	assert_int_equal(rmap_add(&r, hpa(head + 5 * K4), 3, 0x1000, 1), RMAP_TAKEN);
	assert_int_equal(rmap_count_owner(&r, 3), 1);
	/* Split: 512 leaves of 4 KiB, each frame its own slot, the same guest pages. */
	assert_int_equal(rmap_split(&r, hpa(head), 3, gpa + K4, 2), RMAP_INVALID);
	assert_int_equal(rmap_split(&r, hpa(head), 4, gpa, 2), RMAP_MISMATCH);
	assert_int_equal(rmap_split(&r, hpa(head), 3, gpa, 2), RMAP_OK);
	assert_int_equal(rmap_count_owner(&r, 3), 512);
	for (u64 i = 0; i < 512; i++)
		expect_leaf(head + i * K4, 3, gpa + i * K4, 1, head + i * K4);
	/* The old 2 MiB leaf is gone: removing it as such fails. */
	assert_int_equal(rmap_remove(&r, hpa(head), 3, gpa, 2), RMAP_MISMATCH);
	assert_int_equal(rmap_remove(&r, hpa(head + 5 * K4), 3, gpa + 5 * K4, 1), RMAP_OK);
	expect_none(head + 5 * K4);
	expect_leaf(head + 6 * K4, 3, gpa + 6 * K4, 1, head + 6 * K4);
	/* A 4 KiB leaf at the run's first frame does not cover the rest. */
	for (u64 i = 1; i < 512; i++)
		if (i != 5)
			assert_int_equal(rmap_remove(&r, hpa(head + i * K4), 3, gpa + i * K4, 1),
					 RMAP_OK);
	expect_leaf(head, 3, gpa, 1, head);
	expect_none(head + K4);
	assert_int_equal(rmap_remove(&r, hpa(head), 3, gpa, 1), RMAP_OK);
	assert_int_equal(rmap_count_owner(&r, 3), 0);
}

/* A 1 GiB leaf: found from its last frame; split into 512 leaves of 2 MiB. */
static void test_1g_leaf_and_split(void **state)
{
	u64 head = 2 * G1, gpa = G1;

	(void)state;
	assert_int_equal(rmap_add(&r, hpa(head), 9, gpa, 3), RMAP_OK);
	expect_leaf(head + G1 - K4, 9, gpa, 3, head);
	assert_int_equal(rmap_add(&r, hpa(head + M2), 9, 0, 2), RMAP_TAKEN);
	assert_int_equal(rmap_split(&r, hpa(head), 9, gpa, 3), RMAP_OK);
	assert_int_equal(rmap_count_owner(&r, 9), 512);
	expect_leaf(head + 3 * M2 + 7 * K4, 9, gpa + 3 * M2, 2, head + 3 * M2);
	/* And one of those into 4 KiB leaves. */
	assert_int_equal(rmap_split(&r, hpa(head + 3 * M2), 9, gpa + 3 * M2, 2), RMAP_OK);
	assert_int_equal(rmap_count_owner(&r, 9), 1023);
	expect_leaf(head + 3 * M2 + 7 * K4, 9, gpa + 3 * M2 + 7 * K4, 1, head + 3 * M2 + 7 * K4);
	expect_leaf(head + 4 * M2 + 7 * K4, 9, gpa + 4 * M2, 2, head + 4 * M2);
	for (u64 i = 0; i < 512; i++)
		assert_int_equal(
		    rmap_remove(&r, hpa(head + 3 * M2 + i * K4), 9, gpa + 3 * M2 + i * K4, 1),
		    RMAP_OK);
	for (u64 i = 0; i < 512; i++)
		if (i != 3)
			assert_int_equal(rmap_remove(&r, hpa(head + i * M2), 9, gpa + i * M2, 2),
					 RMAP_OK);
	assert_int_equal(rmap_count_owner(&r, 9), 0);
	expect_none(head);
}

/* Requests the map cannot hold change nothing. */
static void test_refused(void **state)
{
	(void)state;
	/* GiB 1 has no block; above the blocks altogether. */
	assert_int_equal(rmap_add(&r, hpa(G1 + K4), 1, 0, 1), RMAP_OUTSIDE);
	assert_int_equal(rmap_add(&r, hpa((u64)RMAP_BLOCKS * G1), 1, 0, 1), RMAP_OUTSIDE);
	expect_none(G1 + K4);
	expect_none((u64)RMAP_BLOCKS * G1 + 5 * M2);
	/* Levels, owners, alignment, addresses beyond 52 bits. */
	assert_int_equal(rmap_add(&r, hpa(0x200000), 1, 0, 0), RMAP_INVALID);
	assert_int_equal(rmap_add(&r, hpa(0x200000), 1, 0, 4), RMAP_INVALID);
	assert_int_equal(rmap_add(&r, hpa(0x200000), 0, 0, 1), RMAP_INVALID);
	assert_int_equal(rmap_add(&r, hpa(0x200000), RMAP_OWNERS, 0, 1), RMAP_INVALID);
	assert_int_equal(rmap_add(&r, hpa(0x201000), 1, 0, 2), RMAP_INVALID);
	assert_int_equal(rmap_add(&r, hpa(0x200000), 1, 0x1000, 2), RMAP_INVALID);
	assert_int_equal(rmap_add(&r, hpa(0x200000), 1, 1ULL << 52, 1), RMAP_INVALID);
	assert_int_equal(rmap_split(&r, hpa(0x200000), 1, 0, 1), RMAP_INVALID);
	expect_none(0x200000);
	/* The largest owner and guest frame number survive the encoding. */
	assert_int_equal(rmap_add(&r, hpa(0x200000), RMAP_OWNERS - 1, (1ULL << 52) - K4, 1),
			 RMAP_OK);
	expect_leaf(0x200000, RMAP_OWNERS - 1, (1ULL << 52) - K4, 1, 0x200000);
	assert_int_equal(rmap_remove(&r, hpa(0x200000), RMAP_OWNERS - 1, (1ULL << 52) - K4, 1),
			 RMAP_OK);
	assert_string_equal(rmap_status_name(RMAP_TAKEN), "frame already mapped");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_4k_leaf),
	    cmocka_unit_test(test_2m_leaf_and_split),
	    cmocka_unit_test(test_1g_leaf_and_split),
	    cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
