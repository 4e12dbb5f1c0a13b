/*
 * The whole revision 6 FADT (ACPI Specification 6.5, 5.2.9 "Fixed ACPI
 * Description Table (FADT)") and the flag words a firmware fills in: the
 * Fixed Feature Flags (Table 5.10) and 5.2.9.3 "IA-PC Boot Architecture
 * Flags".
 *
 * struct acpi_fadt (acpi_tables.h) stops at X_PM1b_CNT_BLK, the last field
 * Keel reads from the host's FADT; struct acpi_fadt6 adds the fields after
 * it, for a FADT Keel writes.
 */
#ifndef KEEL_ARCH_X86_ACPI_FADT6_H
#define KEEL_ARCH_X86_ACPI_FADT6_H

#include "arch/x86/acpi_tables.h"

#define ACPI_FADT_REVISION	 6
#define ACPI_FADT_MINOR_REVISION 5 /* FADT 6.5 */

struct acpi_fadt6 {
	struct acpi_fadt base; /* up to X_PM1b_CNT_BLK */
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	struct acpi_gas sleep_control_reg; /* hardware-reduced ACPI only */
	struct acpi_gas sleep_status_reg;
	u64 hypervisor_vendor_identity;
} __packed;

_Static_assert(offsetof(struct acpi_fadt6, x_pm2_cnt_blk) == 196, "FADT X_PM2_CNT_BLK offset");
_Static_assert(offsetof(struct acpi_fadt6, x_pm_tmr_blk) == 208, "FADT X_PM_TMR_BLK offset");
_Static_assert(offsetof(struct acpi_fadt6, x_gpe0_blk) == 220, "FADT X_GPE0_BLK offset");
_Static_assert(offsetof(struct acpi_fadt6, sleep_control_reg) == 244, "FADT SLEEP_CONTROL_REG");
_Static_assert(offsetof(struct acpi_fadt6, hypervisor_vendor_identity) == 268, "FADT HVID offset");
_Static_assert(sizeof(struct acpi_fadt6) == 276, "FADT revision 6 is 276 bytes");
_Static_assert(offsetof(struct acpi_fadt, pm1a_evt_blk) == 56, "FADT PM1a_EVT_BLK offset");
_Static_assert(offsetof(struct acpi_fadt, pm_tmr_blk) == 76, "FADT PM_TMR_BLK offset");
_Static_assert(offsetof(struct acpi_fadt, century) == 108, "FADT CENTURY offset");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "FADT IAPC_BOOT_ARCH offset");
_Static_assert(offsetof(struct acpi_fadt, x_firmware_ctrl) == 132, "FADT X_FIRMWARE_CTRL offset");
_Static_assert(offsetof(struct acpi_fadt, x_pm1a_evt_blk) == 148, "FADT X_PM1a_EVT_BLK offset");

/* Preferred_PM_Profile (5.2.9). */
#define ACPI_FADT_PM_PROFILE_UNSPECIFIED 0

/* Worst-case C2/C3 latencies (us) above these mean "no C2" / "no C3" (5.2.9). */
#define ACPI_FADT_P_LVL2_LAT_NONE 101
#define ACPI_FADT_P_LVL3_LAT_NONE 1001

/* Register block lengths in bytes (4.8.3, the fixed hardware registers). */
#define ACPI_PM1_EVT_LEN 4 /* PM1x_STS at +0, PM1x_EN at +2 */
#define ACPI_PM1_CNT_LEN 2
#define ACPI_PM_TMR_LEN	 4

/* Fixed Feature Flags (Table 5.10); RESET_REG_SUP and HW_REDUCED_ACPI are in acpi_tables.h. */
#define ACPI_FADT_WBINVD      BIT(0)
#define ACPI_FADT_PROC_C1     BIT(2)
#define ACPI_FADT_PWR_BUTTON  BIT(4) /* 1: no fixed-feature power button */
#define ACPI_FADT_SLP_BUTTON  BIT(5) /* 1: no fixed-feature sleep button */
#define ACPI_FADT_FIX_RTC     BIT(6) /* 1: no RTC wake status in PM1_STS */
#define ACPI_FADT_RTC_S4      BIT(7)
#define ACPI_FADT_TMR_VAL_EXT BIT(8) /* 1: the PM timer is 32 bits, 0: 24 bits */
#define ACPI_FADT_HEADLESS    BIT(12)

/* IA-PC Boot Architecture Flags (5.2.9.3). */
#define ACPI_IAPC_BOOT_ARCH_LEGACY_DEVICES	 BIT(0)
#define ACPI_IAPC_BOOT_ARCH_8042		 BIT(1)
#define ACPI_IAPC_BOOT_ARCH_VGA_NOT_PRESENT	 BIT(2)
#define ACPI_IAPC_BOOT_ARCH_MSI_NOT_SUPPORTED	 BIT(3)
#define ACPI_IAPC_BOOT_ARCH_PCIE_ASPM_CONTROLS	 BIT(4)
#define ACPI_IAPC_BOOT_ARCH_CMOS_RTC_NOT_PRESENT BIT(5)

/* Generic Address Structure access sizes (5.2.3.2). */
#define ACPI_GAS_ACCESS_UNDEFINED 0
#define ACPI_GAS_ACCESS_BYTE	  1
#define ACPI_GAS_ACCESS_WORD	  2
#define ACPI_GAS_ACCESS_DWORD	  3

#endif
