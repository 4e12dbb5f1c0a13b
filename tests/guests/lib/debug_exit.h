/*
 * The debug-exit port (vm/guest_abi.h: QEMU isa-debug-exit semantics):
 * writing v ends the guest with status (v << 1) | 1.
 */
#ifndef KEEL_GUESTS_DEBUG_EXIT_H
#define KEEL_GUESTS_DEBUG_EXIT_H

#include "lib/types.h"

/*
 * Writes v to the debug-exit port with a 32-bit OUT. Should that not end
 * the guest, disables interrupts and halts (which Keel also treats as the
 * end of the guest); never returns.
 */
__noreturn void debug_exit(u32 v);

#endif
