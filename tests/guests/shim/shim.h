/*
 * Keel's ELF64 entry-state constants (vm/guest_abi.h) in a form assembly can
 * include; shim.c checks each against the C header with _Static_assert.
 */
#ifndef KEEL_GUESTS_SHIM_H
#define KEEL_GUESTS_SHIM_H

#define SHIM_BOOT_INFO_GPA 0x1000
#define SHIM_GDT_GPA	   0x4000
#define SHIM_PT_GPA	   0x5000
#define SHIM_STACK_TOP	   0x80000
#define SHIM_CS64	   0x08
#define SHIM_DS		   0x10
#define SHIM_BOOT_MAGIC	   0x4C45454B

/* Intel SDM Vol. 3A 2.5, 2.2.1: the entry state's CR0, CR4 and EFER. */
#define SHIM_CR0      0x80010033 /* PG | WP | NE | ET | MP | PE */
#define SHIM_CR4      0x00000020 /* PAE */
#define SHIM_EFER     0x00000100 /* LME (LMA follows once paging is on) */
#define SHIM_MSR_EFER 0xC0000080

#ifndef __ASSEMBLER__
#include "lib/types.h"

/* Switches to 64-bit mode in Keel's entry state and jumps to entry. */
__noreturn void shim_enter(u32 entry);
#endif

#endif
