/*
 * Host tests for vm/dbreak.c: which enabled DR0-DR3 breakpoint an emulated
 * access meets (SDM Vol. 3B 17.2.4, 17.2.5).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "vm/dbreak.h"

/* DR7 for breakpoint n: L bit, R/W and LEN fields. */
static u64 bp(unsigned n, unsigned rw, unsigned len)
{
	return BIT(2 * n) | (u64)rw << (16 + 4 * n) | (u64)len << (18 + 4 * n);
}

static void test_write_and_rw(void **state)
{
	u64 dr[4] = {0xfeb00010, 0xfeb00020, 0, 0};
	u64 dr7 = bp(0, 1, 3) | bp(1, 3, 0); /* DR0: write, 4 bytes; DR1: read/write, 1 byte */

	(void)state;
	assert_int_equal(dbreak_match(dr7, dr, false, DBREAK_WRITE, 0xfeb00010, 4), 1);
	assert_int_equal(dbreak_match(dr7, dr, false, DBREAK_READ, 0xfeb00010, 4), 0);
	assert_int_equal(dbreak_match(dr7, dr, false, DBREAK_WRITE, 0xfeb00013, 1), 1);
	assert_int_equal(dbreak_match(dr7, dr, false, DBREAK_WRITE, 0xfeb00014, 4), 0);
	assert_int_equal(dbreak_match(dr7, dr, false, DBREAK_WRITE, 0xfeb0000e, 4), 1);
	assert_int_equal(dbreak_match(dr7, dr, false, DBREAK_READ, 0xfeb00020, 1), 2);
	assert_int_equal(dbreak_match(dr7, dr, false, DBREAK_WRITE, 0xfeb0001c, 8), 2);
	/* both at once */
	assert_int_equal(dbreak_match(dr7, dr, false, DBREAK_WRITE, 0xfeb00010, 0x11), 3);
	/* not enabled: nothing; G bits count as L bits do */
	assert_int_equal(dbreak_match(dr7 & ~1ULL, dr, false, DBREAK_WRITE, 0xfeb00010, 4), 0);
	assert_int_equal(dbreak_match((dr7 & ~1ULL) | 2, dr, false, DBREAK_WRITE, 0xfeb00010, 4),
			 1);
}

static void test_len_and_alignment(void **state)
{
	u64 dr[4] = {0, 0, 0x1003, 0x2000};
	u64 dr7 = bp(2, 3, 3) | bp(3, 3, 2); /* DR2: 4 bytes (low bits ignored), DR3: 8 bytes */

	(void)state;
	assert_int_equal(dbreak_match(dr7, dr, false, DBREAK_READ, 0x1000, 1), 4);
	assert_int_equal(dbreak_match(dr7, dr, false, DBREAK_READ, 0x1004, 1), 0);
	assert_int_equal(dbreak_match(dr7, dr, false, DBREAK_READ, 0x2007, 1), 8);
	assert_int_equal(dbreak_match(dr7, dr, false, DBREAK_READ, 0x2008, 1), 0);
	assert_int_equal(dbreak_match(dr7, dr, false, DBREAK_READ, 0xfff, 2), 4);
}

static void test_execute_and_io(void **state)
{
	u64 dr[4] = {0x3f8, 0x3f8, 0x1000, 0};
	u64 dr7 = bp(0, 2, 0) | bp(1, 3, 0) | bp(2, 0, 0); /* DR0: I/O, DR1: data, DR2: execute */

	(void)state;
	assert_int_equal(dbreak_match(dr7, dr, true, DBREAK_IO, 0x3f8, 1), 1);
	assert_int_equal(dbreak_match(dr7, dr, false, DBREAK_IO, 0x3f8, 1), 0); /* CR4.DE off */
	assert_int_equal(dbreak_match(dr7, dr, true, DBREAK_IO, 0x3f6, 4), 1);
	assert_int_equal(dbreak_match(dr7, dr, true, DBREAK_IO, 0x3f9, 1), 0);
	/* a data access meets neither the I/O nor the execute breakpoint */
	assert_int_equal(dbreak_match(dr7, dr, true, DBREAK_WRITE, 0x3f8, 1), 2);
	assert_int_equal(dbreak_match(dr7, dr, true, DBREAK_READ, 0x1000, 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_write_and_rw),
	    cmocka_unit_test(test_len_and_alignment),
	    cmocka_unit_test(test_execute_and_io),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
