/*
 * ACPI in Keel: finding the tables once at boot, then the two things Keel
 * uses them for: powering off (S5 through the PM1 control registers) and
 * resetting (the FADT's reset register). A missing or bad table gives one
 * line at boot and leaves that feature off; power.c then tries other ways.
 */
#ifndef KEEL_ARCH_X86_ACPI_H
#define KEEL_ARCH_X86_ACPI_H

#include "lib/types.h"

/*
 * Finds the RSDP (the copy in rsdp[0..len) from the boot loader's ACPI tag,
 * or when rsdp is NULL by the legacy scan of the EBDA area and
 * 0xE0000-0xFFFFF), then the FADT, and \_S5_ in the DSDT (or an SSDT). Prints
 * what it found or why it could not. Needs the direct map of 0-4 GiB.
 */
void acpi_init(const void *rsdp, size_t len);

/*
 * The MADT ("APIC") found by acpi_init, and its length from its header
 * (acpi_table_find checked that much is mapped); NULL if there is none.
 */
const void *acpi_madt_table(size_t *len);

/* True if the FADT's OEM ID is `oem` (6 characters, space-padded as in the table). */
bool acpi_oem_is(const char *oem);

/* Enters S5 (soft off). Returns only if ACPI cannot power off or it did not happen. */
void acpi_power_off(void);

/* Writes the FADT reset value to the reset register. Returns only if that did not reset. */
void acpi_reset(void);

#endif
