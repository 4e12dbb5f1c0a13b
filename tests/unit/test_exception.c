/* Host tests for arch/x86/exception_decode.c: vector names and #PF error words. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "arch/x86/exception.h"

static char buf[96];

static const char *name(u64 vector)
{
	exception_decode_name(vector, buf, sizeof(buf));
	return buf;
}

static const char *pf(u64 error_code)
{
	exception_decode_pf(error_code, buf, sizeof(buf));
	return buf;
}

static void test_names(void **state)
{
	assert_string_equal(name(EXC_DE), "#DE divide error");
	assert_string_equal(name(EXC_NMI), "NMI non-maskable interrupt");
	assert_string_equal(name(EXC_UD), "#UD invalid opcode");
	assert_string_equal(name(EXC_DF), "#DF double fault");
	assert_string_equal(name(9), "coprocessor segment overrun");
	assert_string_equal(name(EXC_GP), "#GP general protection");
	assert_string_equal(name(EXC_PF), "#PF page fault");
	assert_string_equal(name(15), "reserved exception");
	assert_string_equal(name(EXC_MF), "#MF x87 floating-point error");
	assert_string_equal(name(EXC_XM), "#XM SIMD floating-point");
	assert_string_equal(name(EXC_CP), "#CP control protection");
	assert_string_equal(name(22), "reserved exception");
	assert_string_equal(name(31), "reserved exception");
	assert_string_equal(name(32), "unexpected interrupt");
	assert_string_equal(name(255), "unexpected interrupt");
	assert_string_equal(name(~0ULL), "unexpected interrupt");
}

static void test_page_fault_words(void **state)
{
	assert_string_equal(pf(0), "read from a not-present page, supervisor, data");
	assert_string_equal(pf(0x3), "write to a present page, supervisor, data");
	assert_string_equal(pf(0x11), "fetch from a present page, supervisor, instruction");
	assert_string_equal(pf(0x6), "write to a not-present page, user, data");
	assert_string_equal(pf(0x9),
			    "read from a present page, supervisor, data, reserved bit set");
	assert_string_equal(pf(0x8063),
			    "write to a present page, supervisor, data, protection key, "
			    "shadow stack, SGX");
}

/* The error-code mask isr.S uses: exactly the vectors of Table 6-1 with one. */
static void test_error_code_vectors(void **state)
{
	const unsigned with[] = {EXC_DF, EXC_TS, EXC_NP, EXC_SS, EXC_GP, EXC_PF, EXC_AC, EXC_CP};
	unsigned mask = 0;

	for (size_t i = 0; i < sizeof(with) / sizeof(with[0]); i++)
		mask |= 1u << with[i];
	assert_int_equal(EXC_ERROR_CODE_MASK, mask);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_page_fault_words),
	    cmocka_unit_test(test_error_code_vectors),
	};

	return cmocka_run_group_tests_name("exception", tests, NULL, NULL);
}
