/*
 * What made an access to a device's MMIO page (docs/mmio.md, "What is not
 * the instruction's access"): the one place Keel decides whether the
 * instruction at RIP made it, and so may be emulated, or the CPU did on
 * its own (event delivery, a page-table walk, a fetch), which ends the
 * guest. Pure: the exit's qualification and IDT-vectoring information in,
 * a cause out; host-tested (tests/unit/test_mmio_cause.c).
 */
#ifndef KEEL_VM_MMIO_CAUSE_H
#define KEEL_VM_MMIO_CAUSE_H

#include "lib/types.h"

enum mmio_cause {
	MMIO_CAUSE_INSN,     /* a data access of the instruction at RIP: emulate it */
	MMIO_CAUSE_DELIVERY, /* event delivery: a frame push, an IDT, GDT or TSS read */
	MMIO_CAUSE_WALK,     /* a paging-structure entry, read or A/D update, in the walk */
	MMIO_CAUSE_FETCH,    /* the instruction fetch itself */
	MMIO_CAUSE_PHYSICAL, /* no linear address: a PDPTE load, a guest-physical access */
	MMIO_CAUSE_ASYNC,    /* asynchronous to instruction execution */
	MMIO_CAUSE_RESERVED, /* an APIC-access type the SDM does not define */
};

/*
 * The cause of an EPT violation on a device page: qual is its exit
 * qualification (SDM Vol. 3C Table 28-7), vectoring the IDT-vectoring
 * information of the exit (28.2.4; bit 31 set: the exit interrupted the
 * delivery of an event).
 */
enum mmio_cause mmio_cause_of_ept(u64 qual, u32 vectoring);
/* The cause of an APIC-access VM exit (Table 28-6), vectoring as above. */
enum mmio_cause mmio_cause_of_apic_access(u64 qual, u32 vectoring);
/* What touched the device, for the report: "page-table walk", ... */
const char *mmio_cause_name(enum mmio_cause c);

#endif
