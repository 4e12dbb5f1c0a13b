/*
 * A guest's interrupt lines: how device models raise interrupts and how
 * the vCPU's injection logic (vm/intr.c) finds them.
 *
 * The PC wiring Keel models (docs/platform-legacy.md): each ISA IRQ line
 * goes to the 8259 pair and to the I/O APIC pin the guest's MADT names
 * (dev/platform.h, platform_set_irq). The 8259 pair's INTR output reaches
 * the CPU through the local APIC's LINT0 when it is programmed ExtINT (the
 * state a BIOS leaves, "virtual wire" mode) or directly when the local
 * APIC is globally disabled (IA32_APIC_BASE.EN = 0). The I/O APIC sends
 * interrupt messages to the local APICs (irq_deliver), and a local APIC
 * that ends a level-triggered interrupt sends the EOI back (ioapic_eoi).
 */
#ifndef KEEL_VM_IRQ_H
#define KEEL_VM_IRQ_H

#include "lib/types.h"

struct guest;

/*
 * 8259 pair (dev/pic8259.c). Lines 0-15; level is the line's state (edge
 * triggered: a rising edge sets the request). The model calls
 * irq_intr_changed(g) when its INTR output may have changed.
 */
void pic8259_set_irq(struct guest *g, unsigned irq, bool level);
/* True while INTR is asserted (an unmasked request above every in-service one). */
bool pic8259_intr(struct guest *g);
/* The INTA cycle: the vector to deliver; moves the request in service (AEOI honoured). */
u8 pic8259_inta(struct guest *g);

/* The INTR line into the CPU may have changed: wakes a halted vCPU if so. */
void irq_intr_changed(struct guest *g);

/*
 * I/O APIC (dev/ioapic.c). Input pins 0-23; level true while the source
 * asserts its line (edge-triggered entries act on the rising edge).
 */
void ioapic_set_irq(struct guest *g, unsigned pin, bool level);
/*
 * The EOI message a local APIC sends when it ends a level-triggered
 * interrupt (its TMR bit set, SDM Vol. 3A 11.8.4): every entry of the I/O
 * APIC with that vector clears remote IRR.
 */
void ioapic_eoi(struct guest *g, unsigned vector);

/*
 * An interrupt message for the local APICs (SDM Vol. 3A 11.6.1): what an
 * I/O APIC entry sends. delivery_mode has the encoding of ICR bits 10:8
 * (0 fixed, 1 lowest priority, 2 SMI, 4 NMI, 5 INIT, 7 ExtINT).
 */
struct irq_msg {
	u8 vector;
	u8 delivery_mode;
	u8 dest;      /* an 8-bit physical APIC ID or logical destination */
	bool logical; /* destination mode */
	bool level;   /* level-triggered: the accepting APIC sets TMR and sends the EOI back */
};

/* Delivers m to the local APICs of g it names (vm/intr.c); true if one accepted it. */
bool irq_deliver(struct guest *g, const struct irq_msg *m);

#endif
