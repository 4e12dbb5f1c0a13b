/*
 * The guest's interrupt descriptor table: one interrupt gate per vector
 * 0-255, each leading to a stub in idt64.S / idt32.S that builds a
 * struct trap_frame and calls trap_dispatch(). Intel SDM Vol. 3A 6.11 "IDT
 * Descriptors" (32-bit) and 6.14.1 "64-Bit Mode IDT" (64-bit).
 *
 * Gate words are built with masks and shifts (no bitfields):
 *
 *   63      48 47 46-45 44 43-40 39-32 31      16 15       0
 *  +----------+--+-----+--+-----+-----+----------+----------+
 *  |offset hi |P | DPL |0 |type |IST/0| selector |offset lo |   + in 64-bit
 *  +----------+--+-----+--+-----+-----+----------+----------+     mode a second
 *                                                                 word: offset 63:32
 */
#ifndef KEEL_GUESTS_IDT_H
#define KEEL_GUESTS_IDT_H

#include "lib/types.h"

#define IDT_VECTORS 256

#define IDT_GATE_TYPE_INTR  0xEULL /* interrupt gate (32-bit, or 64-bit in IA-32e mode) */
#define IDT_GATE_P	    BIT(47)
#define IDT_GATE_TYPE_SHIFT 40
#define IDT_GATE_SEL_SHIFT  16

#ifdef __x86_64__
#define IDT_GATE_WORDS 2
#else
#define IDT_GATE_WORDS 1
#endif

/* The stub addresses, vector by vector (defined in idt64.S / idt32.S). */
extern const uintptr_t idt_stubs[IDT_VECTORS];

/* The first word of an interrupt gate to handler through code selector cs. */
u64 idt_gate_low(uintptr_t handler, u16 cs);

/*
 * Fills the IDT with the exception stubs (current CS as the selector) and
 * loads it. Exceptions then go to trap_dispatch().
 */
void idt_init(void);

/* Loads an IDT with limit 0: any exception or interrupt then shuts the
 * processor down (triple fault). For the tests that want exactly that. */
void idt_load_empty(void);

#endif
