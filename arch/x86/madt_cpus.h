/*
 * The processors an ACPI MADT describes (ACPI Specification 6.5, 5.2.12
 * "Multiple APIC Description Table (MADT)"; formats in acpi_madt.h), for
 * SMP bring-up: which APIC IDs to send INIT-SIPI-SIPI to, and where the
 * local APICs are. A pure function of the table's bytes, host-tested in
 * tests/unit/test_madt_cpus.c and fuzzed by tests/fuzz/fuzz_madt_cpus.c.
 */
#ifndef KEEL_ARCH_X86_MADT_CPUS_H
#define KEEL_ARCH_X86_MADT_CPUS_H

#include "lib/types.h"

#define MADT_CPUS_MAX 64

/* One processor the firmware marked Enabled. */
struct madt_cpu {
	u32 apic_id;	   /* local APIC ID, or x2APIC ID */
	u32 acpi_uid;	   /* ACPI Processor UID: names the processor in the DSDT */
	bool x2apic_entry; /* from a Processor Local x2APIC Structure (type 9) */
};

struct madt_cpus {
	/* The MADT header's Local APIC Address, or the Local APIC Address
	 * Override's (type 5) when the table has one. Not checked further. */
	u64 lapic_base;
	unsigned count; /* entries of cpu[] in use */
	/* Processor structures (types 0 and 9) not stored, by reason: */
	unsigned skipped_disabled;  /* Enabled clear (Online Capable or not) */
	unsigned skipped_duplicate; /* APIC ID already in cpu[] */
	unsigned skipped_over_max;  /* cpu[] was full */
	/* Processor structures shorter than their type's fixed size or with
	 * the broadcast ID, and Local APIC Address Overrides that are short
	 * or not the first. */
	unsigned skipped_invalid;
	struct madt_cpu cpu[MADT_CPUS_MAX];
};

/*
 * Reads the MADT in table[0..len): checks its signature, its length (at
 * least the 44-byte header, at most len) and its checksum, then walks its
 * interrupt controller structures. Reads nothing outside [table, table +
 * len); the table needs no alignment.
 *
 * cpu[] holds the enabled processors in table order, each APIC ID once.
 * The firmware usually lists the bootstrap processor first, but nothing
 * guarantees it: the caller finds its own entry by the APIC ID it reads
 * from its local APIC and starts the others. A processor that is Online
 * Capable but not Enabled can be hot-added later; it is not started at
 * boot and is counted in skipped_disabled.
 *
 * Returns 0 with *out filled in and err empty. Returns -1 with one line in
 * err naming the failing condition (bad signature, length or checksum, or
 * a structure whose length is below 2 or runs past the table's end); *out
 * is then all zero.
 */
int madt_cpus_parse(const void *table, size_t len, struct madt_cpus *out, char *err, size_t errlen);

#endif
