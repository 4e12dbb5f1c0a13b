/*
 * Keel's use of the machine's other CPUs: which ones there are (the ACPI
 * MADT), starting them into VMX root operation, and the boot report line.
 */
#ifndef KEEL_BOOT_CPUS_H
#define KEEL_BOOT_CPUS_H

#include "boot/mb2.h"
#include "boot/options.h"
#include "lib/types.h"

/*
 * Starts every enabled CPU the MADT lists, or at most `limit` CPUs in all
 * (the boot CPU counted; 0: no limit), one at a time. Each must come up in
 * VMX root operation with the boot CPU's VMX capabilities; one that does
 * not, or does not answer in time, is named in one line and left out.
 * Prints `smp: N of M CPUs in VMX root operation (APIC IDs ...)` and
 * returns the CPUs in VMX root operation, bit i for CPU index i (bit 0, the
 * boot CPU, always; CPU i is cpu_table[i]). Needs ACPI, the local APIC,
 * Keel's tables and the boot CPU in VMX root operation.
 */
u64 cpus_start(const struct boot_info *bi, unsigned limit, enum test_action test);

#endif
