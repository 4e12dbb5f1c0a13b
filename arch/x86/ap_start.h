/*
 * The start-up trampoline's layout, shared by arch/x86/ap_start.S and
 * arch/x86/smp.c (offsets checked with _Static_assert there). The boot CPU
 * copies the trampoline to a page below 1 MiB, AP_START_PAGES pages in
 * all, and fills its data block; a CPU sent a STARTUP IPI with that page's
 * number starts at its first byte in real mode (Intel SDM Vol. 3A 9.4.4
 * "MP Initialization Example", 11.6.1 "Interrupt Command Register"):
 *
 *   page 0  code (real mode -> protected mode -> long mode), data block at
 *           AP_DATA
 *   page 1  PML4 \
 *   page 2  PDPT  } a temporary identity map of [0, 1 GiB) in 2 MiB pages,
 *   page 3  PD   /  which holds the trampoline and Keel's image
 *
 * The temporary map is there because Keel's own tables map low memory
 * without execute rights; the trampoline jumps into Keel's image
 * (ap_entry64) before it loads Keel's CR3.
 */
#ifndef KEEL_ARCH_X86_AP_START_H
#define KEEL_ARCH_X86_AP_START_H

#define AP_START_PAGES	4
#define AP_TEMP_MAP_END 0x40000000 /* 1 GiB: the temporary map's reach */

/* The data block, at AP_DATA in page 0. */
#define AP_DATA	     0xF00
#define AP_GDTR	     0x02 /* u16 limit, u32 base: LGDT's operand */
#define AP_PM32	     0x08 /* u32 offset, u16 selector: far pointer to pm32 */
#define AP_LM64	     0x10 /* u32 offset, u16 selector: far pointer to lm64 */
#define AP_CR3_TEMP  0x18 /* u32: page 1's address */
#define AP_EFER	     0x1C /* u32: IA32_EFER bits to set (LME, NXE) */
#define AP_CR3	     0x20 /* u64: Keel's CR3 */
#define AP_STACK     0x28 /* u64: the CPU's stack top */
#define AP_CPU	     0x30 /* u64: its struct cpu */
#define AP_ENTRY     0x38 /* u64: ap_entry64 */
#define AP_SILENT    0x40 /* u32: nonzero: halt at once (test=smp-silent) */
#define AP_ALIVE     0x44 /* u32: written 1 by the CPU in real mode */
#define AP_GDT	     0x48 /* 4 descriptors: null, code32, data, code64 */
#define AP_DATA_SIZE 0x68

/* The trampoline GDT's selectors. */
#define AP_SEL_CODE32 0x08
#define AP_SEL_DATA   0x10
#define AP_SEL_CODE64 0x18

#endif
