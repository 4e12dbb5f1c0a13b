/*
 * Host tests for vmx/sw_event.c: which bytes raise which software event
 * (SDM Vol. 2A "INT n/INTO/INT3/INT1"), as the IDT-vectoring check uses it
 * to tell a software event really in delivery from a stale record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "vmx/sw_event.h"
#include "vmx/vmcs_fields.h"

#define SWI  VMCS_INTR_TYPE_SW_INTERRUPT
#define SWE  VMCS_INTR_TYPE_SW_EXCEPTION
#define PSWE VMCS_INTR_TYPE_PRIV_SW_EXCEPTION

static bool raised(const char *hex_bytes, unsigned len, bool code64, unsigned type, unsigned vec)
{
	return sw_event_raised_by((const u8 *)hex_bytes, len, code64, type, vec);
}

static void test_int_n(void **state)
{
	assert_true(raised("\xCD\x80", 2, false, SWI, 0x80));
	assert_true(raised("\xCD\x21", 2, true, SWI, 0x21));
	assert_false(raised("\xCD\x80", 2, false, SWI, 0x81));	   /* another vector */
	assert_false(raised("\xCD\x80", 2, false, SWE, 0x80));	   /* another type */
	assert_false(raised("\xCD\x80", 1, false, SWI, 0x80));	   /* length short of the byte */
	assert_false(raised("\xCD\x80\x90", 3, false, SWI, 0x80)); /* length past it */
	assert_false(raised("\xCC", 1, false, SWI, 3)); /* INT3 is not a software interrupt */
	assert_false(raised("\x90\x90", 2, false, SWI, 0x90));
}

static void test_exceptions(void **state)
{
	assert_true(raised("\xCC", 1, false, SWE, 3));
	assert_true(raised("\xCC", 1, true, SWE, 3));
	assert_true(raised("\xCE", 1, false, SWE, 4));
	assert_false(raised("\xCE", 1, true, SWE, 4)); /* INTO is #UD in 64-bit code */
	assert_false(raised("\xCC", 1, false, SWE, 4));
	assert_true(raised("\xF1", 1, false, PSWE, 1));
	assert_false(raised("\xF1", 1, false, SWE, 1)); /* INT1 is privileged software */
	assert_false(raised("\xCC", 1, false, PSWE, 3));
	assert_false(raised("\xCD\x03", 2, false, SWE, 3)); /* INT 3 (CD 03) is type 4 */
	assert_true(raised("\xCD\x03", 2, false, SWI, 3));
}

/* Prefixes count in the length; LOCK makes the instruction #UD; REX (anywhere) in 64-bit code only.
 */
static void test_prefixes(void **state)
{
	assert_true(raised("\x66\xCD\x80", 3, false, SWI, 0x80));
	assert_true(raised("\x2E\x67\xF3\xCD\x10", 5, false, SWI, 0x10));
	assert_false(raised("\xF0\xCD\x80", 3, false, SWI, 0x80));
	assert_true(raised("\x48\xCD\x80", 3, true, SWI, 0x80));
	assert_true(raised("\x66\x41\xCC", 3, true, SWE, 3));
	assert_false(raised("\x48\xCD\x80", 3, false, SWI, 0x80));   /* 48 is DEC eAX there */
	assert_true(raised("\x48\x66\xCD\x80", 4, true, SWI, 0x80)); /* REX not last: ignored */
	assert_true(raised("\x49\x2E\xF1", 3, true, PSWE, 1));
	assert_false(raised("\x66\x66", 2, false, SWI, 0x66)); /* prefixes only */
	assert_false(raised("", 0, false, SWI, 0));
}

static void test_other_types(void **state)
{
	assert_false(raised("\xCD\x80", 2, false, VMCS_INTR_TYPE_EXTERNAL, 0x80));
	assert_false(raised("\xCD\x02", 2, false, VMCS_INTR_TYPE_NMI, 2));
	assert_false(raised("\xCC", 1, false, VMCS_INTR_TYPE_HW_EXCEPTION, 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_int_n),
	    cmocka_unit_test(test_exceptions),
	    cmocka_unit_test(test_prefixes),
	    cmocka_unit_test(test_other_types),
	};

	return cmocka_run_group_tests_name("sw_event", tests, NULL, NULL);
}
