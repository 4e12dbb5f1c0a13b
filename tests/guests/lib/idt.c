/*
 * The guest's IDT: all 256 vectors, each an interrupt gate (IF cleared on
 * entry) to its stub. Exceptions go to the trap table; interrupt vectors to
 * handlers set with trap_set_handler() (tests/guests/lib/trap.h).
 */
#include "tests/guests/lib/idt.h"

struct idt_pointer {
	u16 limit;
	uintptr_t base;
} __packed;
_Static_assert(sizeof(struct idt_pointer) == 2 + sizeof(uintptr_t),
	       "LIDT operand: 6 bytes (32-bit) or 10 bytes (64-bit)");

static u64 idt_table[IDT_VECTORS * IDT_GATE_WORDS] __aligned(16);
_Static_assert(sizeof(idt_table) == IDT_VECTORS * (IDT_GATE_WORDS == 2 ? 16 : 8),
	       "SDM 6.11/6.14.1: 8-byte gates, 16-byte in IA-32e mode");

u64 idt_gate_low(uintptr_t handler, u16 cs)
{
	u64 off = handler;

	return (off & 0xFFFF) | ((u64)cs << IDT_GATE_SEL_SHIFT) |
	       (IDT_GATE_TYPE_INTR << IDT_GATE_TYPE_SHIFT) | IDT_GATE_P |
	       (((off >> 16) & 0xFFFF) << 48);
}

static u16 idt_current_cs(void)
{
	u16 cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs;
}

static void idt_load(uintptr_t base, u16 limit)
{
	struct idt_pointer p = {.limit = limit, .base = base};

	__asm__ volatile("lidt %0" : : "m"(p) : "memory");
}

void idt_init(void)
{
	u16 cs = idt_current_cs();

	for (u32 v = 0; v < IDT_VECTORS; v++) {
		idt_table[v * IDT_GATE_WORDS] = idt_gate_low(idt_stubs[v], cs);
#ifdef __x86_64__
		idt_table[v * IDT_GATE_WORDS + 1] = (u64)idt_stubs[v] >> 32;
#endif
	}
	idt_load((uintptr_t)idt_table, sizeof(idt_table) - 1);
}

void idt_load_empty(void)
{
	idt_load(0, 0);
}
