/*
 * ACPI fixed hardware of Keel's virtual chipset (ACPI 6.5, 4.8.3 "Fixed
 * Hardware Registers"): the PM1 status, enable and control registers and
 * the power-management timer, as pure state machines. dev/acpi_pm.c puts
 * them at the ports the guest's FADT names (dev/acpi_gen.h).
 *
 * Nothing in Keel raises an ACPI event: the status bits that stand for
 * events (power and sleep buttons, RTC alarm, global lock release) stay 0
 * and no SCI is asserted. The enable bits store what the guest writes, as
 * ACPICA checks that they stick. TMR_STS follows the timer: it is set each
 * time the counter's top bit changes and cleared by writing 1.
 */
#ifndef KEEL_DEV_ACPI_PM_CORE_H
#define KEEL_DEV_ACPI_PM_CORE_H

#include "lib/types.h"

/* PM1 status (4.8.3.1.1, Table 4.16). */
#define ACPI_PM1_STS_TMR	 BIT(0)
#define ACPI_PM1_STS_BM		 BIT(4)
#define ACPI_PM1_STS_GBL	 BIT(5)
#define ACPI_PM1_STS_PWRBTN	 BIT(8)
#define ACPI_PM1_STS_SLPBTN	 BIT(9)
#define ACPI_PM1_STS_RTC	 BIT(10)
#define ACPI_PM1_STS_PCIEXP_WAKE BIT(14)
#define ACPI_PM1_STS_WAK	 BIT(15)

/* PM1 enable (4.8.3.1.2, Table 4.17): the bits that exist; the rest read 0. */
#define ACPI_PM1_EN_TMR		    BIT(0)
#define ACPI_PM1_EN_GBL		    BIT(5)
#define ACPI_PM1_EN_PWRBTN	    BIT(8)
#define ACPI_PM1_EN_SLPBTN	    BIT(9)
#define ACPI_PM1_EN_RTC		    BIT(10)
#define ACPI_PM1_EN_PCIEXP_WAKE_DIS BIT(14)
#define ACPI_PM1_EN_MASK                                                                           \
	(ACPI_PM1_EN_TMR | ACPI_PM1_EN_GBL | ACPI_PM1_EN_PWRBTN | ACPI_PM1_EN_SLPBTN |             \
	 ACPI_PM1_EN_RTC | ACPI_PM1_EN_PCIEXP_WAKE_DIS)

/* PM1 control (4.8.3.2.1, Table 4.18). */
#define ACPI_PM1_CNT_SCI_EN	   BIT(0)
#define ACPI_PM1_CNT_BM_RLD	   BIT(1)
#define ACPI_PM1_CNT_GBL_RLS	   BIT(2) /* write-only */
#define ACPI_PM1_CNT_SLP_TYP_SHIFT 10
#define ACPI_PM1_CNT_SLP_TYP_MASK  (7u << ACPI_PM1_CNT_SLP_TYP_SHIFT)
#define ACPI_PM1_CNT_SLP_EN	   BIT(13) /* write-only */

/* The PM timer counts at 3.579545 MHz (4.8.3.3). */
#define ACPI_PM_TMR_HZ 3579545ULL

struct acpi_pm_core {
	u16 en;
	u16 cnt;	   /* SCI_EN, BM_RLD and SLP_TYP as they read */
	u64 tmr_epoch;	   /* timer clocks at reset: the counter starts from 0 there */
	u64 tmr_period;	   /* the counter's top-bit period when TMR_STS was last cleared */
	unsigned tmr_bits; /* 24 or 32 (the FADT's TMR_VAL_EXT) */
};

/* What a PM1_CNT write asks for. */
enum acpi_pm_request {
	ACPI_PM_NONE = 0,
	ACPI_PM_SLEEP, /* SLP_EN written: enter the sleeping state SLP_TYP */
};

/* Reset state, with the timer starting at `clocks` (its clock now) and ACPI mode on. */
void acpi_pm_core_reset(struct acpi_pm_core *pm, u64 clocks, unsigned tmr_bits);

/* The timer's value at `clocks`: tmr_bits wide, wrapping. */
u32 acpi_pm_core_timer(const struct acpi_pm_core *pm, u64 clocks);

u16 acpi_pm_core_sts(const struct acpi_pm_core *pm, u64 clocks);
/* Writing 1 clears a status bit (only TMR_STS can be set). */
void acpi_pm_core_write_sts(struct acpi_pm_core *pm, u64 clocks, u16 val);

u16 acpi_pm_core_en(const struct acpi_pm_core *pm);
void acpi_pm_core_write_en(struct acpi_pm_core *pm, u16 val);

u16 acpi_pm_core_cnt(const struct acpi_pm_core *pm);
/*
 * Writes PM1_CNT: SLP_TYP and BM_RLD are stored, SCI_EN stays set (there
 * is no SMI handler to hand the chipset to); with SLP_EN the return is
 * ACPI_PM_SLEEP and *slp_typ the type asked for.
 */
enum acpi_pm_request acpi_pm_core_write_cnt(struct acpi_pm_core *pm, u16 val, unsigned *slp_typ);

#endif
