/*
 * Keel's Global Descriptor Table and Task-State Segment (Intel SDM Vol. 3A,
 * 3.4.5 "Segment Descriptors" and 8.2.3 "TSS Descriptor in 64-bit mode").
 *
 *   selector  descriptor
 *   0x00      null
 *   0x08      64-bit code, DPL 0 (same selector boot/entry.S used)
 *   0x10      data, DPL 0
 *   0x18      64-bit TSS (a 16-byte system descriptor: two slots)
 *
 * The TSS exists for its Interrupt Stack Table: #DF, NMI and #MC switch to
 * stacks of their own, so a fault caused by an exhausted stack is still
 * reported. Descriptors are u64 words built from the masks below.
 */
#ifndef KEEL_ARCH_X86_GDT_H
#define KEEL_ARCH_X86_GDT_H

#include "lib/types.h"

#define GDT_SEL_CODE 0x08
#define GDT_SEL_DATA 0x10
#define GDT_SEL_TSS  0x18

/* Segment descriptor, high dword bits counted in the 64-bit word (Figure 3-8). */
#define SEG_DESC_TYPE_SHIFT	 40
#define SEG_DESC_S		 BIT(44) /* 1 = code or data, 0 = system */
#define SEG_DESC_DPL_SHIFT	 45
#define SEG_DESC_P		 BIT(47)
#define SEG_DESC_LIMIT_HI_SHIFT	 48	 /* limit 19:16 */
#define SEG_DESC_L		 BIT(53) /* 64-bit code segment */
#define SEG_DESC_DB		 BIT(54)
#define SEG_DESC_G		 BIT(55)
#define SEG_DESC_BASE_MID_SHIFT	 32 /* base 23:16 */
#define SEG_DESC_BASE_HIGH_SHIFT 56 /* base 31:24 */

/* Types (Table 3-1 "Code- and Data-Segment Types", Table 3-2 "System-Segment
 * and Gate-Descriptor Types" in IA-32e mode). */
#define SEG_TYPE_DATA_RW_ACCESSED 0x3
#define SEG_TYPE_CODE_XR_ACCESSED 0xB
#define SEG_TYPE_TSS64_AVAILABLE  0x9
#define SEG_TYPE_TSS64_BUSY	  0xB

/* IST slots (1-based as in the IDT gate's IST field). */
#define GDT_IST_DF   1
#define GDT_IST_NMI  2
#define GDT_IST_MC   3
#define GDT_IST_USED 3

/* Loads the GDT and TSS and reloads every segment register. Boot CPU, early. */
void gdt_init(void);

/* Linear addresses of the GDT and TSS (VMCS host-state fields need them). */
uintptr_t gdt_base(void);
uintptr_t gdt_tss_base(void);

/*
 * The bounds [*lo, *hi) of IST stack `ist` (GDT_IST_*); false if ist is not
 * one Keel uses. Stack walks use it to tell a frame pointer is safe to read.
 */
bool gdt_ist_stack(unsigned ist, uintptr_t *lo, uintptr_t *hi);

#endif
