/*
 * The ACPI tables Keel gives each guest (docs/platform-acpi.md): an RSDP
 * (revision 2), an RSDT and an XSDT listing the FADT and the MADT, a
 * revision 6 FADT describing Keel's virtual chipset, the FACS and a DSDT
 * whose only object is \_S5_. Pure C: the tables are built into a caller's
 * buffer, with the pointers between them computed from the guest-physical
 * address the buffer will have.
 *
 * The ports, the reset register and the SCI below are facts of the guest's
 * platform: the device models must answer where the FADT says they are.
 */
#ifndef KEEL_DEV_ACPI_GEN_H
#define KEEL_DEV_ACPI_GEN_H

#include "lib/types.h"

/* Where a PC BIOS leaves the RSDP for the legacy scan (ACPI 5.2.5.1). */
#define ACPI_GEN_BIOS_AREA     0xE0000ULL
#define ACPI_GEN_BIOS_AREA_END 0x100000ULL

/* Keel's virtual chipset: the defaults acpi_gen_config_pc() chooses. */
#define ACPI_GEN_PM1A_EVT_PORT 0x600 /* PM1_STS 0x600-0x601, PM1_EN 0x602-0x603 */
#define ACPI_GEN_PM1A_CNT_PORT 0x604 /* PM1_CNT 0x604-0x605 */
#define ACPI_GEN_PM_TMR_PORT   0x608 /* PM_TMR 0x608-0x60B, 3.579545 MHz */

/* Fixed in every guest's tables. */
#define ACPI_GEN_SCI_IRQ     9	   /* SCI_INT: ISA IRQ 9, GSI 9, level, active high */
#define ACPI_GEN_RESET_PORT  0xCF9 /* RESET_REG: an 8-bit I/O register */
#define ACPI_GEN_RESET_VALUE 0x06  /* RESET_VALUE: SYS_RST | RST_CPU */
#define ACPI_GEN_SLP_TYP_S5  5	   /* \_S5_'s SLP_TYPa and SLP_TYPb */
#define ACPI_GEN_CENTURY     0x32  /* CMOS register of the century */
#define ACPI_GEN_LAPIC_GPA   0xFEE00000U
#define ACPI_GEN_IOAPIC_GPA  0xFEC00000U

/* Processors one set of tables can describe (x2APIC structures from 255 on). */
#define ACPI_GEN_MAX_CPUS 4096

/* What a guest's tables describe. */
struct acpi_gen_config {
	/* Processors: APIC IDs and ACPI processor UIDs 0..cpu_count-1, all enabled. */
	u32 cpu_count;
	/* One I/O APIC at ACPI_GEN_IOAPIC_GPA, GSI base 0, ID ioapic_id, with
	 * the PC's overrides (IRQ 0 -> GSI 2, the SCI level-triggered). False:
	 * the MADT lists local APICs only and interrupts go through the 8259s. */
	bool ioapic;
	u8 ioapic_id;
	/* I/O ports of the register blocks; pm_tmr_port 0: no PM timer. */
	u16 pm1a_evt_port;
	u16 pm1a_cnt_port;
	u16 pm_tmr_port;
	bool pm_tmr_32bit; /* TMR_VAL_EXT: the timer has 32 bits, not 24 */
};

/* Where the tables went, as guest-physical addresses. */
struct acpi_gen_layout {
	u64 gpa; /* of buf[0] */
	u64 rsdp;
	u64 rsdt;
	u64 xsdt;
	u64 fadt;
	u64 facs;
	u64 dsdt;
	u64 madt;
	size_t size;	     /* bytes of buf the tables take, from buf[0] */
	const char *problem; /* why acpi_gen_build failed, or NULL */
};

/*
 * Fills *cfg with Keel's PC: cpu_count processors, an I/O APIC with the
 * first ID no processor has (0 past 254), the ports above, a 32-bit PM
 * timer.
 */
void acpi_gen_config_pc(struct acpi_gen_config *cfg, u32 cpu_count);

/*
 * Builds every table into buf[0..size), which will sit at guest-physical
 * gpa: the RSDP at the first 16-byte boundary at or after gpa, then the
 * rest (out->size bytes in all, padding zeroed). The tables must end below
 * 4 GiB (the RSDT and the FADT's DSDT field are 32-bit).
 *
 * Returns true with *out filled in. Returns false, having written nothing
 * to buf, when the configuration is invalid, the tables would not end
 * below 4 GiB, or size < out->size (out->size is then the size needed);
 * out->problem says which.
 */
bool __must_check acpi_gen_build(const struct acpi_gen_config *cfg, u8 *buf, size_t size, u64 gpa,
				 struct acpi_gen_layout *out);

#endif
