/*
 * MMIO emulation: an EPT violation on a guest-physical range a device model
 * claims (dev/dev.h, DEV_MMIO) is completed by decoding the guest's
 * instruction and emulating it against the model (docs/mmio.md).
 */
#ifndef KEEL_VM_MMIO_H
#define KEEL_VM_MMIO_H

#include "lib/types.h"
#include "vm/mmio_cause.h"

struct vcpu;

/*
 * An exit on a device's page, cause decided by mmio_cause_of_ept or
 * mmio_cause_of_apic_access (vectoring: the exit's IDT-vectoring
 * information, for the report): the instruction's own access is emulated
 * (or, if the decoder or the device refuses it, the guest ends with a
 * report naming the bytes); any other ends the guest with a line naming
 * what touched the device. Returns false, doing nothing, if no device
 * claims gpa.
 */
bool mmio_handle_exit(struct vcpu *v, u64 gpa, enum mmio_cause cause, u32 vectoring,
		      bool write_fault);

#endif
