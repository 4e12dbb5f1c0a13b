/*
 * Guest "spin": never leaves on its own. It prints "PASS before spin", then
 * loops for ever with interrupts off and no instruction that exits
 * (`cli; 1: jmp 1b`). Keel must preempt it like any other guest (the
 * VMX-preemption timer) and end it by its module line's timeout=; the
 * guests beside it must finish normally. Getting past the loop is a failure.
 */
#include "tests/guests/lib/guest.h"

void guest_main(uintptr_t info, uintptr_t magic)
{
	check_pass("before spin");
	__asm__ volatile("cli\n1: jmp 1b" : : : "memory");
	check_fail("spin: the guest ran on after its endless loop");
}
