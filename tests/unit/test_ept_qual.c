/*
 * Host tests for vmx/ept_qual.c: the EPT-violation exit qualification
 * decoder (Intel SDM Vol. 3C, Table 28-7), the spurious-fault check and
 * the access names used in reports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "mm/pt.h"
#include "vmx/ept_qual.h"

static void test_zero(void **state)
{
	struct ept_qual d = ept_qual_decode(0);

	assert_false(d.read || d.write || d.fetch);
	assert_false(d.readable || d.writable || d.executable);
	assert_false(d.linear_valid || d.translated || d.nmi_unblocking || d.present);
}

/* Each named bit sets exactly its own field. */
static void test_each_bit(void **state)
{
	struct ept_qual d;

	d = ept_qual_decode(BIT(0));
	assert_true(d.read);
	assert_false(d.write || d.fetch || d.present);
	d = ept_qual_decode(BIT(1));
	assert_true(d.write);
	assert_false(d.read || d.fetch || d.present);
	d = ept_qual_decode(BIT(2));
	assert_true(d.fetch);
	assert_false(d.read || d.write || d.present);
	d = ept_qual_decode(BIT(3));
	assert_true(d.readable && d.present);
	assert_false(d.writable || d.executable || d.read);
	d = ept_qual_decode(BIT(4));
	assert_true(d.writable && d.present);
	assert_false(d.readable || d.executable || d.write);
	d = ept_qual_decode(BIT(5));
	assert_true(d.executable && d.present);
	assert_false(d.readable || d.writable || d.fetch);
	d = ept_qual_decode(BIT(7));
	assert_true(d.linear_valid);
	assert_false(d.translated || d.present);
	d = ept_qual_decode(BIT(12));
	assert_true(d.nmi_unblocking);
	assert_false(d.linear_valid || d.present || d.read);
	d = ept_qual_decode(BIT(16));
	assert_true(d.async);
	assert_false(d.nmi_unblocking || d.linear_valid || d.present || d.read);
}

/* Bit 6 (user-mode executable) alone does not make the entry "present" (bits 3-5 only). */
static void test_user_exec_not_present(void **state)
{
	struct ept_qual d = ept_qual_decode(BIT(6));

	assert_false(d.present || d.executable);
}

/* Bit 8 means "translated access" only when bit 7 says the linear address is valid. */
static void test_translated_needs_linear_valid(void **state)
{
	assert_false(ept_qual_decode(BIT(8)).translated);
	assert_false(ept_qual_decode(BIT(8)).linear_valid);
	assert_true(ept_qual_decode(BIT(7) | BIT(8)).translated);
	assert_false(ept_qual_decode(BIT(7)).translated);
}

static void test_high_bits_ignored(void **state)
{
	struct ept_qual d = ept_qual_decode(~0ULL & ~0x1FFULL);

	assert_true(d.nmi_unblocking);
	assert_false(d.read || d.write || d.fetch || d.present || d.linear_valid);
}

static void test_satisfied(void **state)
{
	struct ept_qual r = ept_qual_decode(EPT_QUAL_READ);
	struct ept_qual w = ept_qual_decode(EPT_QUAL_WRITE | EPT_QUAL_READABLE);
	struct ept_qual x = ept_qual_decode(EPT_QUAL_FETCH);
	struct ept_qual rw = ept_qual_decode(EPT_QUAL_READ | EPT_QUAL_WRITE);
	struct ept_qual none = ept_qual_decode(0);

	assert_false(ept_qual_satisfied(&r, 0));
	assert_true(ept_qual_satisfied(&r, PT_PERM_R));
	assert_false(ept_qual_satisfied(&r, PT_PERM_W | PT_PERM_X));
	assert_false(ept_qual_satisfied(&w, PT_PERM_R));
	assert_true(ept_qual_satisfied(&w, PT_PERM_W));
	assert_true(ept_qual_satisfied(&w, PT_PERM_RW));
	assert_false(ept_qual_satisfied(&x, PT_PERM_RW));
	assert_true(ept_qual_satisfied(&x, PT_PERM_X));
	assert_false(ept_qual_satisfied(&rw, PT_PERM_R));
	assert_false(ept_qual_satisfied(&rw, PT_PERM_W));
	assert_true(ept_qual_satisfied(&rw, PT_PERM_RW));
	assert_true(ept_qual_satisfied(&rw, PT_PERM_RWX | PT_PERM_USER));
	assert_true(ept_qual_satisfied(&none, 0));
}

static void test_access_names(void **state)
{
	static const char *const want[8] = {
	    "none",  "read",	   "write",	  "read+write",
	    "fetch", "read+fetch", "write+fetch", "read+write+fetch",
	};

	for (unsigned q = 0; q < 8; q++) {
		struct ept_qual d = ept_qual_decode(q | EPT_QUAL_READABLE);

		assert_string_equal(ept_qual_access_name(&d), want[q]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_zero),
	    cmocka_unit_test(test_each_bit),
	    cmocka_unit_test(test_user_exec_not_present),
	    cmocka_unit_test(test_translated_needs_linear_valid),
	    cmocka_unit_test(test_high_bits_ignored),
	    cmocka_unit_test(test_satisfied),
	    cmocka_unit_test(test_access_names),
	};

	return cmocka_run_group_tests_name("ept_qual", tests, NULL, NULL);
}
