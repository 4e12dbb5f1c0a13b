/*
 * Guest "hlt": ends by HLT with interrupts disabled. It prints
 * "PASS before hlt" and halts; Keel's summary must say the guest ended by
 * hlt (the emulator test checks that). Getting past the HLT is a failure.
 */
#include "tests/guests/lib/guest.h"

void guest_main(uintptr_t info, uintptr_t magic)
{
	check_pass("before hlt");
	__asm__ volatile("cli; hlt" : : : "memory");
	check_fail("hlt: the guest ran on after cli; hlt");
}
