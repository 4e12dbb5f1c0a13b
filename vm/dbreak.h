/*
 * Data and I/O breakpoints for the accesses Keel makes on a guest's behalf
 * (emulated MMIO instructions, emulated port I/O): which of DR0-DR3 an
 * access meets, as the CPU would judge it (SDM Vol. 3B 17.2.4 "Debug
 * Control Register (DR7)", 17.2.5 "Breakpoint Field Recognition"). Pure:
 * DR7, DR0-DR3 and CR4.DE come in as values; host-tested
 * (tests/unit/test_dbreak.c). The caller makes the #DB a trap after the
 * instruction (vcpu_pend_breakpoints).
 */
#ifndef KEEL_VM_DBREAK_H
#define KEEL_VM_DBREAK_H

#include "lib/types.h"

enum dbreak_access {
	DBREAK_READ,
	DBREAK_WRITE,
	DBREAK_IO, /* a port: meets R/W=10 breakpoints, and only with CR4.DE */
};

/*
 * The B0-B3 bits (DR6 bits 3:0) of the breakpoints enabled in dr7 (L or G)
 * that size bytes at addr (a linear address, or a port for DBREAK_IO)
 * meet: R/W=01 a write, 11 a read or write, 10 with cr4_de an I/O access;
 * the breakpoint covers LEN bytes (00: 1, 01: 2, 11: 4, 10: 8) at DRn with
 * its low bits cleared to that length, and any byte of the access in it
 * is a hit. Instruction breakpoints (R/W=00) never match here.
 */
u32 dbreak_match(u64 dr7, const u64 dr[4], bool cr4_de, enum dbreak_access kind, u64 addr,
		 unsigned size);

#endif
