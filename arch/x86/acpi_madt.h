/*
 * The Multiple APIC Description Table (ACPI Specification 6.5, 5.2.12
 * "Multiple APIC Description Table (MADT)"), signature "APIC": a header,
 * then a list of interrupt controller structures, each starting with its
 * type and length. These are the structures of a PC with local APICs and
 * I/O APICs (the SAPIC, GIC and other architectures' types are left out):
 * "Processor Local APIC Structure", "I/O APIC Structure", "Interrupt
 * Source Override Structure", "Local APIC NMI Structure", "Local APIC
 * Address Override Structure", "Processor Local x2APIC Structure" and
 * "Local x2APIC NMI Structure" (5.2.12.x),
 * with the MPS INTI flags (5.2.12.5) that say how an interrupt is wired.
 */
#ifndef KEEL_ARCH_X86_ACPI_MADT_H
#define KEEL_ARCH_X86_ACPI_MADT_H

#include "arch/x86/acpi_tables.h"

#define ACPI_MADT_SIGNATURE "APIC"
#define ACPI_MADT_REVISION  6 /* ACPI 6.5 */

struct acpi_madt {
	struct acpi_sdt_header header;
	u32 local_apic_address;
	u32 flags;
} __packed;

_Static_assert(sizeof(struct acpi_madt) == 44, "MADT header is 44 bytes");

/* MADT Flags. */
#define ACPI_MADT_PCAT_COMPAT BIT(0) /* a dual 8259 setup is present too */

/* Interrupt controller structure types. */
#define ACPI_MADT_TYPE_LOCAL_APIC	0
#define ACPI_MADT_TYPE_IO_APIC		1
#define ACPI_MADT_TYPE_INT_SRC_OVR	2
#define ACPI_MADT_TYPE_LOCAL_APIC_NMI	4
#define ACPI_MADT_TYPE_LOCAL_APIC_OVR	5
#define ACPI_MADT_TYPE_LOCAL_X2APIC	9
#define ACPI_MADT_TYPE_LOCAL_X2APIC_NMI 10

struct acpi_madt_local_apic {
	u8 type;
	u8 length;
	u8 acpi_processor_uid;
	u8 apic_id;
	u32 flags;
} __packed;

_Static_assert(sizeof(struct acpi_madt_local_apic) == 8, "Processor Local APIC is 8 bytes");

/* Local APIC Flags (also those of the x2APIC structure). */
#define ACPI_MADT_LAPIC_ENABLED	       BIT(0)
#define ACPI_MADT_LAPIC_ONLINE_CAPABLE BIT(1)

/*
 * APIC IDs from 255 up must be described by x2APIC structures; those below
 * by local APIC structures, whatever mode the processor runs in (5.2.12.12).
 */
#define ACPI_MADT_X2APIC_FIRST_ID 255

struct acpi_madt_io_apic {
	u8 type;
	u8 length;
	u8 io_apic_id;
	u8 reserved;
	u32 io_apic_address;
	u32 global_system_interrupt_base;
} __packed;

_Static_assert(sizeof(struct acpi_madt_io_apic) == 12, "I/O APIC is 12 bytes");

struct acpi_madt_int_src_ovr {
	u8 type;
	u8 length;
	u8 bus; /* 0: ISA */
	u8 source;
	u32 global_system_interrupt;
	u16 flags; /* MPS INTI flags */
} __packed;

_Static_assert(sizeof(struct acpi_madt_int_src_ovr) == 10, "Interrupt Source Override is 10 bytes");

/* MPS INTI flags: polarity in bits 1:0, trigger mode in bits 3:2. */
#define ACPI_MPS_INTI_POLARITY_CONFORMS	   0x0
#define ACPI_MPS_INTI_POLARITY_ACTIVE_HIGH 0x1
#define ACPI_MPS_INTI_POLARITY_ACTIVE_LOW  0x3
#define ACPI_MPS_INTI_TRIGGER_CONFORMS	   (0x0 << 2)
#define ACPI_MPS_INTI_TRIGGER_EDGE	   (0x1 << 2)
#define ACPI_MPS_INTI_TRIGGER_LEVEL	   (0x3 << 2)

struct acpi_madt_local_apic_nmi {
	u8 type;
	u8 length;
	u8 acpi_processor_uid; /* 0xFF: every processor */
	u16 flags;	       /* MPS INTI flags */
	u8 local_apic_lint;
} __packed;

_Static_assert(sizeof(struct acpi_madt_local_apic_nmi) == 6, "Local APIC NMI is 6 bytes");

#define ACPI_MADT_NMI_ALL_PROCESSORS	    0xFF
#define ACPI_MADT_X2APIC_NMI_ALL_PROCESSORS 0xFFFFFFFFU

/*
 * Replaces the MADT header's 32-bit Local APIC Address: when present, every
 * local APIC is at this 64-bit physical address. Only one may be defined
 * (5.2.12.8).
 */
struct acpi_madt_local_apic_ovr {
	u8 type;
	u8 length;
	u16 reserved;
	u64 local_apic_address;
} __packed;

_Static_assert(sizeof(struct acpi_madt_local_apic_ovr) == 12,
	       "Local APIC Address Override is 12 bytes");

struct acpi_madt_local_x2apic {
	u8 type;
	u8 length;
	u16 reserved;
	u32 x2apic_id;
	u32 flags; /* as the local APIC's */
	u32 acpi_processor_uid;
} __packed;

_Static_assert(sizeof(struct acpi_madt_local_x2apic) == 16, "Processor Local x2APIC is 16 bytes");

struct acpi_madt_local_x2apic_nmi {
	u8 type;
	u8 length;
	u16 flags; /* MPS INTI flags */
	u32 acpi_processor_uid;
	u8 local_x2apic_lint;
	u8 reserved[3];
} __packed;

_Static_assert(sizeof(struct acpi_madt_local_x2apic_nmi) == 12, "Local x2APIC NMI is 12 bytes");

#endif
