/*
 * The contract between the guests that start APs (smp.c, bench.c through
 * smp_boot.c) and their AP trampoline (smp_tramp.S): where the trampoline
 * runs, the selectors of its GDT, the control-register values it loads,
 * and the C function it ends in. Plain numbers, so the assembly can use
 * them; smp_boot.c checks each against
 * vm/guest_abi.h and tests/guests/lib/x86.h with _Static_assert.
 *
 * The trampoline page in guest-physical memory (vm/guest_abi.h: free RAM
 * between the page tables' end 0xB000 and the BSP's entry stack at 0x80000,
 * which grows down; the image keeps the APs' stacks in its .bss):
 *
 *   0x10000  16-bit code: LGDT, CR0.PE, far jump            <- SIPI vector 0x10
 *            32-bit code: CR4.PAE, CR3, EFER.LME, CR0.PG, far jump
 *            64-bit code: index = CPUID.1:EBX[31:24], its stack, ap_main(index)
 *            GDT: null, 0x08 64-bit code, 0x10 data, 0x18 32-bit code
 *            GDTR, then smp_tramp_cr3 (written by the BSP before the SIPI)
 */
#ifndef KEEL_GUESTS_SMP_TRAMP_H
#define KEEL_GUESTS_SMP_TRAMP_H

#define SMP_TRAMP_BASE	 0x10000 /* 4 KiB aligned, below 1 MiB */
#define SMP_TRAMP_VECTOR 0x10	 /* SIPI vector VV: the AP starts at CS = VV << 8, IP = 0 */
#define SMP_TRAMP_SIZE	 0x1000

#define SMP_MAX_VCPUS	  8
#define SMP_AP_STACK_SIZE 16384

/* The trampoline's GDT: 0x08 and 0x10 are Keel's selectors (vm/guest_abi.h),
 * so the one IDT the BSP built (gates through CS 0x08) serves the APs too. */
#define SMP_TRAMP_CS64 0x08
#define SMP_TRAMP_DS   0x10
#define SMP_TRAMP_CS32 0x18

/* SDM Vol. 3A 2.5 and 9.8.5 "Initializing IA-32e Mode". */
#define SMP_TRAMP_CR0_PROT 0x00000011 /* PE | ET */
#define SMP_TRAMP_CR0_LONG 0x80010033 /* PE | MP | ET | NE | WP | PG: the BSP's entry CR0 */
#define SMP_TRAMP_CR4_PAE  0x00000020
#define SMP_TRAMP_MSR_EFER 0xC0000080
#define SMP_TRAMP_EFER_LME 0x00000100

#ifndef __ASSEMBLER__
#include "lib/types.h"

/* The trampoline's bytes in the image, and its one variable. */
extern const u8 smp_tramp_start[], smp_tramp_end[], smp_tramp_cr3[];
/* Each AP's stack (smp_boot.c): AP i runs on smp_ap_stacks[i] (index 0 unused). */
extern u8 smp_ap_stacks[SMP_MAX_VCPUS][SMP_AP_STACK_SIZE];
/* Where the trampoline ends (each guest its own), in 64-bit mode on its
 * own stack, interrupts off; index is the AP's initial APIC ID (< SMP_MAX_VCPUS). Never returns. */
__noreturn void ap_main(u32 index);
#endif

#endif
