/*
 * Guest "triple": ends by triple fault. It prints "PASS before triple
 * fault", loads an IDT with limit 0 and executes INT3: the #BP cannot be
 * delivered (#GP), nor can the #GP (#DF), nor the #DF: shutdown. UD2 backs
 * it up. Keel's summary must name the triple fault; running on is a failure.
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/idt.h"

void guest_main(uintptr_t info, uintptr_t magic)
{
	check_pass("before triple fault");
	idt_load_empty();
	__asm__ volatile("int3; ud2" : : : "memory");
	check_fail("triple: the guest ran on after int3 with an empty IDT");
}
