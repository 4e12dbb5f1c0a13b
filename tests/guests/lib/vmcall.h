/*
 * Keel hypercalls (vm/guest_abi.h): VMCALL with the function in RAX and
 * arguments in RDI, RSI, RDX (EAX, EDI, ESI, EDX in 32-bit guests); the
 * result comes back in RAX. The _trap variants list the VMCALL in
 * .trap_table, so a #UD (no hypervisor answering) is caught, not fatal:
 * check trap_last.count afterwards.
 */
#ifndef KEEL_GUESTS_VMCALL_H
#define KEEL_GUESTS_VMCALL_H

#include "lib/types.h"
#include "tests/guests/lib/trap.h"

static inline long vmcall3(unsigned long fn, unsigned long a0, unsigned long a1, unsigned long a2)
{
	unsigned long ret = fn;

	__asm__ volatile("vmcall" : "+a"(ret) : "D"(a0), "S"(a1), "d"(a2) : "memory");
	return (long)ret;
}

static inline long vmcall0(unsigned long fn)
{
	return vmcall3(fn, 0, 0, 0);
}

/* As vmcall3, but a fault on the VMCALL resumes after it with RAX unchanged
 * (fn). Needs idt_init(). */
static inline long vmcall3_trap(unsigned long fn, unsigned long a0, unsigned long a1,
				unsigned long a2)
{
	unsigned long ret = fn;

	__asm__ volatile(TRAP_INSN("vmcall") : "+a"(ret) : "D"(a0), "S"(a1), "d"(a2) : "memory");
	return (long)ret;
}

#endif
