#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/trap.h"
#include "tests/guests/lib/x86.h"

#define APIC ((volatile u32 *)0xFEE00000ULL)
#define R(off) APIC[(off) / 4]
static volatile unsigned hits, nmis;
static void h40(struct trap_frame *f) { hits++; R(0xB0) = 0; }
static void hnmi(struct trap_frame *f) { nmis++; }
static u64 rdtsc_(void) { u32 lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((u64)hi << 32) | lo; }

void guest_main(uintptr_t info, uintptr_t magic)
{
	idt_init();
	trap_set_handler(0x40, h40);
	trap_set_handler(0x60, h40);
	trap_set_handler(2, hnmi);
	print("id %x ver %x spiv %x lint0 %x tpr %x\n", R(0x20), R(0x30), R(0xF0), R(0x350), R(0x80));
	R(0x310) = 0; R(0x300) = 0x40 | (1 << 18);
	print("after self ipi (IF=0): irr2 %x hits %u\n", R(0x220), hits);
	__asm__ volatile("sti; nop; cli");
	check_eq("self IPI delivered", hits, 1);
	R(0x300) = (4 << 8) | (1 << 18);
	__asm__ volatile("nop");
	check_eq("self NMI delivered", nmis, 1);
	R(0x3E0) = 0xB; R(0x320) = 0x60; R(0x380) = 100000;
	u32 c1 = R(0x390);
	print("tmcct %u\n", c1);
	u64 t0 = rdtsc_();
	__asm__ volatile("sti; hlt; cli");
	u64 t1 = rdtsc_();
	check_eq("timer interrupt after hlt", hits, 2);
	print("halted %lu ticks, tmcct %u\n", (unsigned long)(t1 - t0), R(0x390));
	R(0x320) = 0x60 | (1 << 17); R(0x380) = 20000;
	__asm__ volatile("sti");
	for (int i = 0; i < 5; i++) __asm__ volatile("hlt");
	__asm__ volatile("cli");
	check_eq("periodic", hits, 7);
	R(0x320) = 0x10000;
}
