/*
 * Leaving through the debug-exit port.
 */
#include "tests/guests/lib/debug_exit.h"
#include "tests/guests/lib/print.h"
#include "arch/x86/io.h"
#include "vm/guest_abi.h"

void debug_exit(u32 v)
{
	outl(KEEL_DEBUG_EXIT_PORT, v);
	/* Still here: the port is not there. HLT with IF=0 ends a Keel guest;
	 * elsewhere it stops the CPU until an NMI, after which we halt again. */
	print("debug-exit port did not end the guest; halting\n");
	for (;;)
		__asm__ volatile("cli; hlt");
}
