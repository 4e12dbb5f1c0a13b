/*
 * Keel's IDT: one interrupt gate per vector, each to its isr.S stub. One
 * table for every CPU: written once by the boot CPU (idt_init) before any
 * other CPU starts, read-only after; the IST slots its gates name are each
 * CPU's own (its TSS).
 */
#include "arch/x86/idt.h"
#include "arch/x86/exception.h"
#include "arch/x86/gdt.h"

struct idt_pointer {
	u16 limit;
	u64 base;
} __packed;

_Static_assert(sizeof(struct idt_pointer) == 10, "LIDT operand is 10 bytes");

extern const u8 isr_stubs[];

/* Shared, write-once at boot: idt_init, before any other CPU starts (above). */
static struct idt_gate idt[EXC_VECTOR_COUNT] __aligned(16);

/* An interrupt gate, DPL 0, to `handler` in Keel's code segment. */
static struct idt_gate idt_make_gate(uintptr_t handler, unsigned ist)
{
	u64 offset = handler;

	return (struct idt_gate){
	    .lo = (offset & 0xFFFF) | ((u64)GDT_SEL_CODE << IDT_GATE_SELECTOR_SHIFT) |
		  ((u64)ist << IDT_GATE_IST_SHIFT) |
		  ((u64)IDT_TYPE_INTERRUPT_GATE << IDT_GATE_TYPE_SHIFT) | IDT_GATE_P |
		  (((offset >> 16) & 0xFFFF) << IDT_GATE_OFFSET_MID),
	    .hi = offset >> 32,
	};
}

/* The IST slot a vector's gate uses: 0 (stay on the current stack) for most. */
static unsigned idt_ist_for(unsigned vector)
{
	switch (vector) {
	case EXC_DF:
		return GDT_IST_DF;
	case EXC_NMI:
		return GDT_IST_NMI;
	case EXC_MC:
		return GDT_IST_MC;
	default:
		return 0;
	}
}

void idt_load(void)
{
	struct idt_pointer ptr = {.limit = sizeof(idt) - 1, .base = (uintptr_t)idt};

	__asm__ volatile("lidt %0" : : "m"(ptr) : "memory");
}

void idt_init(void)
{
	for (unsigned v = 0; v < EXC_VECTOR_COUNT; v++)
		idt[v] = idt_make_gate((uintptr_t)&isr_stubs[v * ISR_STUB_SIZE], idt_ist_for(v));
	idt_load();
}

uintptr_t idt_base(void)
{
	return (uintptr_t)idt;
}
