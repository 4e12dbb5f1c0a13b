/*
 * Virtual timers: deadlines on the TSC timeline for the device models a
 * guest has (local APIC timer, 8254 PIT). Keel has no host timer interrupt;
 * the vCPU run loop limits each VMX-preemption-timer slice to the guest's
 * next deadline, and expired timers run before each VM entry and while a
 * halted vCPU waits. Time in a guest is the host TSC (the TSC offset is
 * the guest's own writes to IA32_TSC).
 */
#ifndef KEEL_VM_VTIMER_H
#define KEEL_VM_VTIMER_H

#include "lib/types.h"
#include "vm/guest_cmdline.h"

struct guest;
struct vtimer;

/* Called once when the deadline has passed; may re-arm the timer (periodic). */
typedef void vtimer_fn(struct guest *g, struct vtimer *t, u64 now);

struct vtimer {
	u64 deadline; /* TSC value; 0: stopped */
	vtimer_fn *fn;
	void *ctx;
	struct guest *guest;
};

#define GUEST_MAX_VTIMERS (3 + GUEST_VCPUS_MAX) /* the PIT, the UART's two; an APIC each */

/* Adds t (stopped) to the guest's timers; false if the table is full. */
bool vtimer_register(struct guest *g, struct vtimer *t, vtimer_fn *fn, void *ctx);
/* Arms t for TSC value deadline (a past deadline fires at the next check). */
void vtimer_arm(struct vtimer *t, u64 deadline);
void vtimer_stop(struct vtimer *t);
static inline bool vtimer_armed(const struct vtimer *t)
{
	return t->deadline != 0;
}
/* The earliest armed deadline of the guest's timers, or 0 if none is armed (cached). */
u64 vtimer_next(const struct guest *g);
/* Runs every timer of g whose deadline is <= now. */
void vtimer_expire(struct guest *g, u64 now);

/* TSC ticks per second, measured against the host PIT at boot (arch/x86/tsc.c). */
extern u64 tsc_hz;
/* Ticks of a clock of hz after the TSC ticks `ticks`, and the converse, without overflow. */
u64 tsc_to_clock(u64 ticks, u64 hz);
u64 clock_to_tsc(u64 counts, u64 hz);

#endif
