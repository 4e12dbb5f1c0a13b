/*
 * The host's local APIC, as Keel uses it: to read this CPU's APIC ID and to
 * send the INIT and STARTUP IPIs that start the other CPUs (Intel SDM Vol.
 * 3A 11.6.1 "Interrupt Command Register", 9.4.4 "MP Initialization
 * Example"). Works in xAPIC mode (the registers at IA32_APIC_BASE through
 * the direct map) and in x2APIC mode (MSRs 0x800-0x8FF), whichever the
 * firmware left enabled. The only interrupt Keel takes from it is the
 * wake-up IPI of an idle CPU (arch/x86/smp.h).
 */
#ifndef KEEL_ARCH_X86_LAPIC_H
#define KEEL_ARCH_X86_LAPIC_H

#include "lib/types.h"

/*
 * Finds the boot CPU's local APIC; false, with one line in why, if it is
 * disabled in IA32_APIC_BASE or absent (CPUID.1:EDX.APIC).
 */
bool lapic_init(char *why, size_t len);

/* This CPU's APIC ID (32 bits in x2APIC mode, 8 in xAPIC mode). */
u32 lapic_id(void);

/* True in x2APIC mode: APIC IDs above 254 are reachable. */
bool lapic_x2apic(void);

/*
 * Sends an INIT IPI, or a STARTUP IPI with the page number of the code
 * below 1 MiB, to `apic_id`. False if the local APIC still showed the
 * previous IPI as pending after `timeout` TSC ticks (xAPIC only; in x2APIC
 * mode the ICR has no delivery status).
 */
bool lapic_send_init(u32 apic_id, u64 timeout);
/* A fixed interrupt, edge, physical destination. */
bool lapic_send_fixed(u32 apic_id, u8 vector, u64 timeout);
/* An NMI, physical destination. */
bool lapic_send_nmi(u32 apic_id, u64 timeout);

/* Software-enables this CPU's local APIC with that spurious-interrupt vector. */
void lapic_enable(u8 spurious_vector);

/* This CPU's local APIC timer has TSC-deadline mode (CPUID.1:ECX[24]). */
bool lapic_has_tsc_deadline(void);
/*
 * Arms this CPU's APIC timer in TSC-deadline mode to raise `vector` once
 * the TSC reaches `tsc`; 0 disarms it. Only with lapic_has_tsc_deadline.
 */
void lapic_timer_at(u8 vector, u64 tsc);

/* Ends the interrupt in service on this CPU. */
void lapic_eoi(void);
bool lapic_send_startup(u32 apic_id, u8 page, u64 timeout);

#endif
