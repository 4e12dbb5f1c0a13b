/* Host tests for vmx/vpid_core.c: VPID ownership and flush discipline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "vmx/vpid_core.h"

static struct vpid_pool *pool;

static int setup(void **state)
{
	pool = malloc(sizeof(*pool));
	vpid_pool_init(pool);
	return pool ? 0 : -1;
}

static int teardown(void **state)
{
	free(pool);
	return 0;
}

static void test_never_zero_and_needs_flush(void **state)
{
	u16 v = vpid_pool_alloc(pool, 7);

	assert_int_not_equal(v, 0);
	assert_false(vpid_pool_ready(pool, v, 7)); /* not flushed yet */
	vpid_pool_flushed(pool, v);
	assert_true(vpid_pool_ready(pool, v, 7));
	assert_false(vpid_pool_ready(pool, v, 8)); /* someone else's */
	assert_false(vpid_pool_ready(pool, 0, 7));
	assert_int_equal(vpid_pool_alloc(pool, 0), 0); /* token 0 means no owner */
}

/* The check before every VM entry: vpid_pool_ready, or VPID 0 (VPIDs off). */
static void test_entry_check(void **state)
{
	u16 v = vpid_pool_alloc(pool, 7), w = vpid_pool_alloc(pool, 9);

	assert_true(vpid_pool_entry_ok(pool, 0, 7));  /* no VPID */
	assert_false(vpid_pool_entry_ok(pool, v, 7)); /* not flushed yet */
	vpid_pool_flushed(pool, v);
	assert_true(vpid_pool_entry_ok(pool, v, 7));
	assert_false(vpid_pool_entry_ok(pool, v, 9)); /* someone else's */
	assert_false(vpid_pool_entry_ok(pool, w, 7));
	assert_true(vpid_pool_release(pool, v, 7));
	assert_false(vpid_pool_entry_ok(pool, v, 7)); /* released */
	vpid_pool_flushed(pool, w);
	assert_true(vpid_pool_entry_ok(pool, w, 9));
	for (u32 i = 1; i < VPID_COUNT; i++) /* agrees with vpid_pool_ready where VPIDs are on */
		assert_int_equal(vpid_pool_entry_ok(pool, (u16)i, 9),
				 vpid_pool_ready(pool, (u16)i, 9));
}

static void test_no_two_live_share(void **state)
{
	static u8 seen[VPID_COUNT];

	memset(seen, 0, sizeof(seen));
	for (u32 i = 1; i <= VPID_MAX; i++) {
		u16 v = vpid_pool_alloc(pool, i);

		assert_int_not_equal(v, 0);
		assert_int_equal(seen[v], 0);
		seen[v] = 1;
	}
	/* Exhausted: every VPID 1..65535 is live. */
	assert_int_equal(vpid_pool_alloc(pool, 99999), 0);
	assert_int_equal(pool->live, VPID_MAX);
}

static void test_release_and_reuse_needs_a_new_flush(void **state)
{
	u16 a = vpid_pool_alloc(pool, 1), b;

	vpid_pool_flushed(pool, a);
	assert_false(vpid_pool_release(pool, a, 2)); /* not the owner */
	assert_true(vpid_pool_release(pool, a, 1));
	assert_false(vpid_pool_release(pool, a, 1)); /* twice */
	assert_false(vpid_pool_ready(pool, a, 1));
	/* Fill the pool so the released VPID must come back... */
	for (u32 i = 0; i < VPID_MAX - 1; i++)
		assert_int_not_equal(vpid_pool_alloc(pool, 100 + i), 0);
	b = vpid_pool_alloc(pool, 5);
	assert_int_equal(b, a);
	/* ...and it is not ready for its new owner until flushed again. */
	assert_false(vpid_pool_ready(pool, b, 5));
	vpid_pool_flushed(pool, b);
	assert_true(vpid_pool_ready(pool, b, 5));
}

static void test_released_vpid_reused_late(void **state)
{
	u16 a = vpid_pool_alloc(pool, 1), b;

	assert_true(vpid_pool_release(pool, a, 1));
	b = vpid_pool_alloc(pool, 2);
	assert_int_not_equal(a, b); /* round-robin: the freshest release is not first */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_never_zero_and_needs_flush, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_entry_check, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_two_live_share, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_release_and_reuse_needs_a_new_flush, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_released_vpid_reused_late, setup, teardown),
	};

	return cmocka_run_group_tests_name("vpid", tests, NULL, NULL);
}
