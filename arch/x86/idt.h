/*
 * Keel's Interrupt Descriptor Table (Intel SDM Vol. 3A, 6.14.1 "64-Bit Mode
 * IDT", Figure 6-8 "64-Bit IDT Gate Descriptors"). All 256 vectors have an
 * interrupt gate (IF cleared on entry) to a stub in isr.S; #DF, NMI and #MC
 * switch to their own IST stacks (gdt.h).
 *
 * A gate is 16 bytes, built from the masks below (no bitfields):
 *   lo: offset 15:0 | selector << 16 | IST << 32 | type << 40 | DPL << 45 |
 *       P << 47 | offset 31:16 << 48
 *   hi: offset 63:32
 */
#ifndef KEEL_ARCH_X86_IDT_H
#define KEEL_ARCH_X86_IDT_H

#include "lib/types.h"

#define IDT_GATE_SELECTOR_SHIFT 16
#define IDT_GATE_IST_SHIFT	32
#define IDT_GATE_TYPE_SHIFT	40
#define IDT_GATE_P		BIT(47)
#define IDT_GATE_OFFSET_MID	48
#define IDT_TYPE_INTERRUPT_GATE 0xE

struct idt_gate {
	u64 lo;
	u64 hi;
};

_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gates are 16 bytes");

/* Builds and loads the IDT; needs gdt_init() first (gates name its IST slots). */
void idt_init(void);

/* Loads the IDT idt_init built on this CPU (the other CPUs at start-up). */
void idt_load(void);

/* Linear address of the IDT (the VMCS host IDTR base). */
uintptr_t idt_base(void);

#endif
