/*
 * Host tests for dev/acpi_pm_core.c: the ACPI PM1 registers and the PM
 * timer of Keel's virtual chipset (ACPI 6.5, 4.8.3).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "dev/acpi_pm_core.h"

static void test_reset_state(void **state)
{
	struct acpi_pm_core pm;

	acpi_pm_core_reset(&pm, 1000, 32);
	assert_int_equal(acpi_pm_core_en(&pm), 0);
	assert_int_equal(acpi_pm_core_cnt(&pm), ACPI_PM1_CNT_SCI_EN);
	assert_int_equal(acpi_pm_core_sts(&pm, 1000), 0);
	assert_int_equal(acpi_pm_core_timer(&pm, 1000), 0);
	assert_int_equal(acpi_pm_core_timer(&pm, 1500), 500);
	assert_int_equal(acpi_pm_core_timer(&pm, 999), 0); /* never before its epoch */
}

static void test_enable_bits(void **state)
{
	struct acpi_pm_core pm;

	acpi_pm_core_reset(&pm, 0, 32);
	acpi_pm_core_write_en(&pm, 0xFFFF);
	assert_int_equal(acpi_pm_core_en(&pm), ACPI_PM1_EN_MASK);
	acpi_pm_core_write_en(&pm, ACPI_PM1_EN_GBL | ACPI_PM1_EN_RTC | BIT(1) | BIT(15));
	assert_int_equal(acpi_pm_core_en(&pm), ACPI_PM1_EN_GBL | ACPI_PM1_EN_RTC);
}

static void test_timer_width_and_status(void **state)
{
	struct acpi_pm_core pm;
	u64 half = 1ULL << 31;

	acpi_pm_core_reset(&pm, 0, 32);
	assert_int_equal(acpi_pm_core_sts(&pm, half - 1), 0);
	assert_int_equal(acpi_pm_core_sts(&pm, half), ACPI_PM1_STS_TMR); /* bit 31 went 0 -> 1 */
	acpi_pm_core_write_sts(&pm, half + 5, ACPI_PM1_STS_GBL);	 /* other bits: no effect */
	assert_int_equal(acpi_pm_core_sts(&pm, half + 5), ACPI_PM1_STS_TMR);
	acpi_pm_core_write_sts(&pm, half + 5, ACPI_PM1_STS_TMR); /* write 1 clears */
	assert_int_equal(acpi_pm_core_sts(&pm, half + 6), 0);
	assert_int_equal(acpi_pm_core_sts(&pm, 2 * half), ACPI_PM1_STS_TMR); /* 1 -> 0 wrap */
	assert_int_equal(acpi_pm_core_timer(&pm, 2 * half + 7), 7);

	acpi_pm_core_reset(&pm, 100, 24);
	assert_int_equal(acpi_pm_core_timer(&pm, 100 + (1 << 24) + 3), 3);
	assert_int_equal(acpi_pm_core_sts(&pm, 100 + (1 << 23) - 1), 0);
	assert_int_equal(acpi_pm_core_sts(&pm, 100 + (1 << 23)), ACPI_PM1_STS_TMR);
	acpi_pm_core_reset(&pm, 0, 17); /* anything but 24 is 32 bits */
	assert_int_equal(acpi_pm_core_timer(&pm, 1ULL << 24), 1 << 24);
}

static void test_control_and_sleep(void **state)
{
	struct acpi_pm_core pm;
	unsigned typ = 99;

	acpi_pm_core_reset(&pm, 0, 32);
	/* SCI_EN cannot be cleared; SLP_TYP and BM_RLD stick; GBL_RLS and SLP_EN read 0. */
	assert_int_equal(acpi_pm_core_write_cnt(&pm,
						(3 << ACPI_PM1_CNT_SLP_TYP_SHIFT) |
						    ACPI_PM1_CNT_BM_RLD | ACPI_PM1_CNT_GBL_RLS,
						&typ),
			 ACPI_PM_NONE);
	assert_int_equal(typ, 99);
	assert_int_equal(acpi_pm_core_cnt(&pm), ACPI_PM1_CNT_SCI_EN | ACPI_PM1_CNT_BM_RLD |
						    (3 << ACPI_PM1_CNT_SLP_TYP_SHIFT));
	/* SLP_EN asks for the state in SLP_TYP, whatever it is. */
	assert_int_equal(acpi_pm_core_write_cnt(
			     &pm, (5 << ACPI_PM1_CNT_SLP_TYP_SHIFT) | ACPI_PM1_CNT_SLP_EN, &typ),
			 ACPI_PM_SLEEP);
	assert_int_equal(typ, 5);
	assert_int_equal(acpi_pm_core_cnt(&pm) & ACPI_PM1_CNT_SLP_EN, 0);
	assert_int_equal(acpi_pm_core_write_cnt(&pm, ACPI_PM1_CNT_SLP_EN, &typ), ACPI_PM_SLEEP);
	assert_int_equal(typ, 0);
	assert_int_equal(acpi_pm_core_write_cnt(&pm, 7 << ACPI_PM1_CNT_SLP_TYP_SHIFT, &typ),
			 ACPI_PM_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reset_state),
	    cmocka_unit_test(test_enable_bits),
	    cmocka_unit_test(test_timer_width_and_status),
	    cmocka_unit_test(test_control_and_sleep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
