/*
 * Running the guests GRUB handed Keel (one per module2 line).
 */
#ifndef KEEL_VM_VM_H
#define KEEL_VM_VM_H

#include "boot/mb2.h"

/*
 * Creates each guest from the modules on the boot CPU, places each on one
 * of the CPUs in `online` (bit i: CPU index i is in VMX root operation and
 * idle; bit 0 always), runs every CPU's scheduler over its guests, prints a
 * summary per guest and "keel: guests ok=N failed=M". Returns the run's
 * status: 0 if every guest ended well, else 1.
 */
int vm_run_all(const struct boot_info *bi, u64 online);

#endif
