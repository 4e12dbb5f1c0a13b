/*
 * Where an entry's VMX-preemption timer runs out (arm_timer, vmx/vcpu.c):
 * pure arithmetic on TSC values, host-tested (tests/unit/test_preemption_target.c).
 */
#ifndef KEEL_VMX_PREEMPTION_TARGET_H
#define KEEL_VMX_PREEMPTION_TARGET_H

#include "lib/types.h"

/*
 * The TSC at which the vCPU's run must stop for Keel: the run's deadline
 * (deadline, later than now) or the guest's next timer (next, 0 for none),
 * whichever comes first, within the timer's reach of now, and never before
 * now. A guest timer that came due after the entry's look at the timers
 * (intr_prepare_entry) and before now gives now: the timer is written as 0,
 * and a VM exit comes before the guest runs an instruction (SDM Vol. 3C,
 * "VMX-Preemption Timer"), where the full path runs the timer. Without the
 * floor, target - now wrapped and the timer was armed for its whole reach:
 * the guest's timer interrupt came that much late, or at its next exit.
 */
static inline u64 preemption_target(u64 now, u64 deadline, u64 next, u64 reach)
{
	u64 target = deadline;

	if (next && next < target)
		target = next > now ? next : now;
	return MIN(target, now + reach);
}

#endif
