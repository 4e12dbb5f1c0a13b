/*
 * MMIO emulation: an EPT violation on a guest-physical range a device model
 * claims (dev/dev.h, DEV_MMIO) is completed by decoding the guest's
 * instruction and emulating it against the model (docs/mmio.md).
 */
#ifndef KEEL_VM_MMIO_H
#define KEEL_VM_MMIO_H

#include "lib/types.h"

struct vcpu;

/*
 * If a device claims gpa, emulates the faulting instruction (or ends the
 * guest with a report naming the bytes) and returns true; false if no
 * device claims gpa.
 */
bool mmio_handle(struct vcpu *v, u64 gpa, bool write_fault);

#endif
