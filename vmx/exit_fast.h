/*
 * The fast exit's common end, inline in each fast handler (vm/cpuid.c,
 * vm/hypercall.c, vm/io.c) so that a CPUID, a VMCALL or an I/O exit runs
 * in one frame from vmx_exit_fast to VMRESUME (vmx/entry.S, vmx/vcpu.c).
 * A handler that takes its exit ends by returning vmx_exit_fast_done (only
 * the vCPU's registers changed: the instruction retires here) or
 * vmx_exit_fast_device (a device model ran and retired the instruction,
 * or made the vCPU wait; what it changed may need the full preparation of
 * the entry). One that does not declines with VMX_EXIT_SLOW before it
 * changes anything, and the full path takes the exit.
 */
#ifndef KEEL_VMX_EXIT_FAST_H
#define KEEL_VMX_EXIT_FAST_H

#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "vm/guest.h"
#include "vmx/vcpu.h"
#include "vmx/vmx.h"
#include "vmx/vpid.h"

/*
 * The rare turns, out of line (vmx/vcpu.c), reached by tail calls;
 * vmx/entry.S's register-only tier calls vmx_fast_prepare_full,
 * vmx_fast_kicked and vcpu_entry_check_failed too.
 */
int vmx_fast_prepare_full(struct vcpu *v);
int vmx_fast_retire(struct vcpu *v, u64 rip, u64 exit_tsc, u64 target, u32 reason);
int vmx_fast_kicked(void);
/*
 * Panics naming the entry check that failed (vcpu_entry_ok). It never
 * returns; its int lets the fast exit reach it by a tail call.
 */
int vcpu_entry_check_failed(const struct vcpu *v);

/* TSC ticks the VMX-preemption timer reaches: its 32-bit count at its rate. */
static inline u64 vmx_timer_reach(void)
{
	return 0xFFFFFFFFULL << vmx_caps.preemption_timer_shift;
}

/*
 * Arms the VMX-preemption timer for the ticks from now to target, which
 * lies within its reach (arm_timer caps the run's target, and the fast
 * exit's is never later). Returns true if an NMI kick (arch/x86/smp.h)
 * came since the exit: the caller takes it (vmx_kick_taken), so that the
 * entry exits at once. One that came before the write is seen here, one
 * after it wrote 0 itself (vmx_kick_in_root).
 */
static inline bool vmx_write_timer(u64 target, u64 now)
{
	/*
	 * Unchecked (vmcs_read_current): the fast exit read its VMCS this exit,
	 * and arm_timer's is the one vmx_enter's checked VMWRITE of HOST_RSP
	 * uses next; the field exists with the timer (its callers ask).
	 */
	vmcs_write_current(VMCS_PREEMPTION_TIMER_VALUE,
			   (target - now) >> vmx_caps.preemption_timer_shift);
	return this_cpu_kicked();
}

/*
 * Debug builds: the invalidation discipline (an EPT removal or downgrade
 * not yet followed by INVEPT could leave the guest a stale translation to
 * a frame Keel has reused, vm/gmem.c) and VPID ownership, checked before
 * every VM entry, the fast exit's included: a load and a compare each.
 * True when both hold (always, in a release build).
 */
static inline bool vcpu_entry_ok(const struct vcpu *v)
{
#ifndef NDEBUG
	return !v->guest->mem.inv_pending && vpid_entry_ok(v->vpid, v->owner);
#else
	(void)v;
	return true;
#endif
}

/*
 * The end of every fast exit: the exit counted, the guest's time, the
 * preemption timer armed again from the TSC for what is left before
 * target (Keel's ticks in the exit are the run's, not the guest's), and
 * the debug checks.
 */
static inline __attribute__((always_inline)) int vmx_fast_finish(struct vcpu *v, u64 exit_tsc,
								 u64 target, u32 reason)
{
	struct guest *g = v->guest;
	u64 now;

	g->stats.exit_count[reason]++;
	v->guest_ticks += exit_tsc - v->entry_tsc;
	now = rdtsc();
	if (__builtin_expect(now >= target, 0))
		return vmx_fast_prepare_full(v);
	v->entry_tsc = now;
	if (__builtin_expect(!vcpu_entry_ok(v), 0))
		return vcpu_entry_check_failed(v);
	/*
	 * now < target <= fast_until, which is 0 without a preemption timer
	 * (arm_timer). A kick is taken by a tail call: the common end calls
	 * nothing, so the fast exit's frame holds no saved register.
	 */
	if (__builtin_expect(vmx_write_timer(target, now), 0))
		return vmx_fast_kicked();
	return VMX_EXIT_RESUME;
}

/* exit_tsc and target: vmx_exit_fast's; reason: the exit's basic reason. */
static inline __attribute__((always_inline)) int vmx_exit_fast_done(struct vcpu *v, u64 exit_tsc,
								    u64 target, u32 reason)
{
	u64 rip = vmcs_read_current(VMCS_GUEST_RIP),
	    len = vmcs_read_current(VMCS_EXIT_INSTRUCTION_LEN);

	if (__builtin_expect(!vcpu_retires_plainly(rip, len), 0))
		return vmx_fast_retire(v, rip + len, exit_tsc, target, reason);
	vmcs_write_current(VMCS_GUEST_RIP, rip + len);
	return vmx_fast_finish(v, exit_tsc, target, reason);
}

static inline __attribute__((always_inline)) int vmx_exit_fast_device(struct vcpu *v, u64 exit_tsc,
								      u64 target, u32 reason)
{
	struct guest *g = v->guest;

	/*
	 * A timer armed sooner, or Keel's console poll due sooner: the device
	 * may have queued output (vcpu_deadline). Output queued by another CPU
	 * kicks this one (uart_write), so the exits that run no device need
	 * not look.
	 */
	if (v->intr_dirty || v->blocked || !guest_running(g) ||
	    (g->vtimer_next && g->vtimer_next < target) || vcpu_deadline(v) < target) {
		g->stats.exit_count[reason]++;
		v->guest_ticks += exit_tsc - v->entry_tsc;
		return vmx_fast_prepare_full(v);
	}
	return vmx_fast_finish(v, exit_tsc, target, reason);
}

#endif
