/*
 * What every test guest includes: the guest ABI, the runtime's output and
 * check helpers, and the one function each guest defines.
 *
 * A guest is one C file defining guest_main(); the runtime (this folder)
 * provides the entry code, a UART console, print(), PASS/FAIL markers,
 * exception catching and the debug-exit port. See tests/guests/README.md.
 */
#ifndef KEEL_GUESTS_GUEST_H
#define KEEL_GUESTS_GUEST_H

#include "lib/types.h"
#include "vm/guest_abi.h"
#include "tests/guests/lib/check.h"
#include "tests/guests/lib/crt.h"
#include "tests/guests/lib/debug_exit.h"
#include "tests/guests/lib/print.h"

/*
 * The guest's body. info/magic are what the loader handed over: for ELF64
 * guests the GPA of struct keel_boot_info and KEEL_BOOT_MAGIC; for
 * multiboot v1 guests the address of struct mb1_info and 0x2BADB002.
 * Returning ends the guest through check_finish().
 */
void guest_main(uintptr_t info, uintptr_t magic);

#endif
