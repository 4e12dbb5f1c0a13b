/*
 * A guest's interrupt lines: how device models raise interrupts and how
 * the vCPU's injection logic (vm/intr.c) finds them.
 *
 * The PC wiring Keel models: the 8259 pair's INTR output reaches the CPU
 * through the local APIC's LINT0 when it is programmed ExtINT (the state a
 * BIOS leaves, "virtual wire" mode) or directly when the local APIC is
 * globally disabled (IA32_APIC_BASE.EN = 0). There is no I/O APIC: ISA IRQs
 * go through the 8259 pair only.
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

#endif
