/*
 * The Firmware ACPI Control Structure (ACPI Specification 6.5, 5.2.10
 * "Firmware ACPI Control Structure (FACS)"): the memory the
 * OS and the firmware share for the global lock and the waking vector.
 * It has a length but no checksum, and must sit on a 64-byte boundary.
 */
#ifndef KEEL_ARCH_X86_ACPI_FACS_H
#define KEEL_ARCH_X86_ACPI_FACS_H

#include "lib/types.h"

#define ACPI_FACS_SIGNATURE "FACS"
#define ACPI_FACS_VERSION   2
#define ACPI_FACS_ALIGN	    64

struct acpi_facs {
	char signature[4];
	u32 length;
	u32 hardware_signature;
	u32 firmware_waking_vector;
	u32 global_lock;
	u32 flags;
	u64 x_firmware_waking_vector;
	u8 version;
	u8 reserved0[3];
	u32 ospm_flags;
	u8 reserved1[24];
} __packed;

_Static_assert(offsetof(struct acpi_facs, global_lock) == 16, "FACS Global Lock offset");
_Static_assert(offsetof(struct acpi_facs, x_firmware_waking_vector) == 24, "FACS X_ vector");
_Static_assert(offsetof(struct acpi_facs, version) == 32, "FACS Version offset");
_Static_assert(sizeof(struct acpi_facs) == 64, "FACS is 64 bytes");

#endif
