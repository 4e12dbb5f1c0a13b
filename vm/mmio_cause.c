/*
 * Which MMIO accesses are the instruction's (vm/mmio_cause.h). Only a data
 * access to the translation of a linear address, made while no event was
 * being delivered, is the instruction at RIP accessing the device; Keel's
 * emulator decodes that instruction and repeats its access. Every other
 * access the CPU makes on its own, and the instruction at RIP, if any,
 * never executed (a fault's frame push) or has not yet reached its own
 * access (a walk). What hardware would do there, a device read or write in
 * the middle of the walk or the push, Keel does not imitate: the guest
 * ends with a report (docs/platform.md, "MMIO the CPU makes on its own").
 */
#include "vm/mmio_cause.h"
#include "vmx/apic_access_qual.h"
#include "vmx/ept_qual.h"
#include "vmx/vmcs_fields.h"

/*
 * Table 28-7: bit 7 is clear only for a PDPTE load by MOV CR (and trace
 * pre-translation); with bit 7 set, bit 8 tells the translated address
 * from a paging-structure entry. Vectoring information is checked first:
 * during event delivery the walk, too, is the delivery's.
 */
enum mmio_cause mmio_cause_of_ept(u64 qual, u32 vectoring)
{
	struct ept_qual d = ept_qual_decode(qual);

	if (vectoring & VMCS_INTR_INFO_VALID)
		return MMIO_CAUSE_DELIVERY;
	if (d.async)
		return MMIO_CAUSE_ASYNC;
	if (!d.linear_valid)
		return MMIO_CAUSE_PHYSICAL;
	if (!d.translated)
		return MMIO_CAUSE_WALK;
	if (d.fetch)
		return MMIO_CAUSE_FETCH;
	return MMIO_CAUSE_INSN;
}

/* Table 28-6: types 0 and 1 are the instruction's; 3 and 10 happen in event delivery. */
enum mmio_cause mmio_cause_of_apic_access(u64 qual, u32 vectoring)
{
	if (vectoring & VMCS_INTR_INFO_VALID)
		return MMIO_CAUSE_DELIVERY;
	if (qual & APIC_ACCESS_QUAL_ASYNC)
		return MMIO_CAUSE_ASYNC;
	switch (APIC_ACCESS_QUAL_TYPE(qual)) {
	case APIC_ACCESS_LINEAR_READ:
	case APIC_ACCESS_LINEAR_WRITE:
		return MMIO_CAUSE_INSN;
	case APIC_ACCESS_LINEAR_FETCH:
		return MMIO_CAUSE_FETCH;
	case APIC_ACCESS_LINEAR_DELIVERY:
	case APIC_ACCESS_PHYSICAL_DELIVERY:
		return MMIO_CAUSE_DELIVERY;
	case APIC_ACCESS_PHYSICAL_EXECUTION:
		return MMIO_CAUSE_PHYSICAL;
	default:
		return MMIO_CAUSE_RESERVED;
	}
}

const char *mmio_cause_name(enum mmio_cause c)
{
	static const char *const names[] = {
	    [MMIO_CAUSE_INSN] = "instruction",
	    [MMIO_CAUSE_DELIVERY] = "event delivery",
	    [MMIO_CAUSE_WALK] = "page-table walk",
	    [MMIO_CAUSE_FETCH] = "instruction fetch",
	    [MMIO_CAUSE_PHYSICAL] = "guest-physical access (no linear address)",
	    [MMIO_CAUSE_ASYNC] = "access asynchronous to instruction execution",
	    [MMIO_CAUSE_RESERVED] = "access of a reserved APIC-access type",
	};

	return (unsigned)c < sizeof(names) / sizeof(names[0]) ? names[c] : "?";
}
