/*
 * The ACPI PM1 registers and PM timer (dev/acpi_pm_core.h): pure, host-
 * tested (tests/unit/test_acpi_pm.c).
 */
#include "dev/acpi_pm_core.h"

void acpi_pm_core_reset(struct acpi_pm_core *pm, u64 clocks, unsigned tmr_bits)
{
	pm->en = 0;
	pm->cnt = ACPI_PM1_CNT_SCI_EN;
	pm->tmr_epoch = clocks;
	pm->tmr_bits = tmr_bits == 24 ? 24 : 32;
	pm->tmr_period = 0;
}

static u64 elapsed(const struct acpi_pm_core *pm, u64 clocks)
{
	return clocks >= pm->tmr_epoch ? clocks - pm->tmr_epoch : 0;
}

u32 acpi_pm_core_timer(const struct acpi_pm_core *pm, u64 clocks)
{
	return (u32)(elapsed(pm, clocks) & (BIT(pm->tmr_bits) - 1));
}

/* How many times the counter's top bit has changed since the epoch. */
static u64 top_bit_period(const struct acpi_pm_core *pm, u64 clocks)
{
	return elapsed(pm, clocks) >> (pm->tmr_bits - 1);
}

u16 acpi_pm_core_sts(const struct acpi_pm_core *pm, u64 clocks)
{
	return top_bit_period(pm, clocks) != pm->tmr_period ? ACPI_PM1_STS_TMR : 0;
}

void acpi_pm_core_write_sts(struct acpi_pm_core *pm, u64 clocks, u16 val)
{
	if (val & ACPI_PM1_STS_TMR)
		pm->tmr_period = top_bit_period(pm, clocks);
}

u16 acpi_pm_core_en(const struct acpi_pm_core *pm)
{
	return pm->en;
}

void acpi_pm_core_write_en(struct acpi_pm_core *pm, u16 val)
{
	pm->en = val & ACPI_PM1_EN_MASK;
}

u16 acpi_pm_core_cnt(const struct acpi_pm_core *pm)
{
	return pm->cnt;
}

enum acpi_pm_request acpi_pm_core_write_cnt(struct acpi_pm_core *pm, u16 val, unsigned *slp_typ)
{
	pm->cnt = ACPI_PM1_CNT_SCI_EN | (val & (ACPI_PM1_CNT_BM_RLD | ACPI_PM1_CNT_SLP_TYP_MASK));
	if (!(val & ACPI_PM1_CNT_SLP_EN))
		return ACPI_PM_NONE;
	*slp_typ = (val & ACPI_PM1_CNT_SLP_TYP_MASK) >> ACPI_PM1_CNT_SLP_TYP_SHIFT;
	return ACPI_PM_SLEEP;
}
