/*
 * Guest control registers: which CR0/CR4 bits Keel owns through the
 * guest/host masks, the values the CPU really holds, and the handler for
 * control-register-access exits (SDM Vol. 3C 25.6.6 "Guest/Host Masks and
 * Read Shadows for CR0 and CR4", 28.1.3 "Instructions That Cause VM Exits
 * Conditionally", Table 28-3 exit qualification).
 */
#ifndef KEEL_VMX_CR_H
#define KEEL_VMX_CR_H

#include "lib/types.h"

struct vcpu;

/* Bits of CR0/CR4 whose guest writes exit to Keel. */
u64 cr0_owned_bits(void);
u64 cr4_owned_bits(void);
/* The value the CPU must hold for a guest-visible (shadow) value. */
u64 cr0_actual(u64 guest_value);
u64 cr4_actual(u64 guest_value);
/*
 * The guest's view of CR0/CR4: owned bits from the read shadow, the rest
 * from the CPU's value (the guest changes those without an exit).
 */
u64 cr_guest_cr0(void);
u64 cr_guest_cr4(void);
/* CR-access exit: MOV to/from CR0/CR3/CR4/CR8, CLTS, LMSW. */
void cr_handle_exit(struct vcpu *v);

#endif
