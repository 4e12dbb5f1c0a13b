/*
 * vCPU lifecycle and the run loop: enter the guest, dispatch each exit,
 * repeat until the guest ends. Also the small helpers exit handlers share
 * (advance RIP, inject an exception, read the CPL).
 */
#include "vmx/vcpu.h"
#include "lib/console.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "vm/guest.h"
#include "vmx/cr.h"
#include "vmx/exit.h"
#include "vmx/exit_fast.h"
#include "vmx/preemption_target.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "vmx/vmx_controls.h"
#include "vmx/vmx_insn.h"
#include "vmx/vpid.h"
#include "arch/x86/cpu.h"
#include "arch/x86/cr.h"
#include "arch/x86/percpu.h"
#include "arch/x86/smp.h"
#include "vm/msr.h"
#include "boot/options.h"
#include "vm/cpuid_policy.h"
#include "vm/guest_abi.h"
#include "vmx/exit_reason.h"
#include "vm/intr.h"
#include "vmx/xstate.h"
#include "vm/vtimer.h"

bool vcpu_create(struct vcpu *v, struct guest *g, const struct vcpu_boot_state *bs)
{
	enum vmx_status s;

	v->guest = g;
	v->launched = false;
	v->cpu = VCPU_NO_CPU;
	v->last_cpu = (int)this_cpu()->index;
	if (pmm_account_alloc(&g->frames, PMM_KIND_DEVICE, PAGE_SIZE, &v->vmcs) != PMM_ACCOUNT_OK) {
		v->vmcs = hpa(0);
		guest_end(g, GUEST_END_OOM, 0, "no memory for the VMCS");
		return false;
	}
	memset(hpa_ptr(v->vmcs), 0, PAGE_SIZE);
	*(u32 *)hpa_ptr(v->vmcs) = VMX_BASIC_REVISION(vmx_caps.basic);
	s = vmx_clear(v->vmcs);
	if (s == VMX_SUCCEED)
		s = vmx_ptrld(v->vmcs);
	if (s == VMX_SUCCEED)
		v->cpu = v->last_cpu; /* active, and current, here */
	if (s != VMX_SUCCEED) {
		guest_end(g, GUEST_END_ERROR, 0, "VMCLEAR/VMPTRLD failed: %s", vmx_status_name(s));
		return false;
	}
	if (!xstate_create(v)) {
		guest_end(g, GUEST_END_OOM, 0, "no memory for the vCPU's register state");
		return false;
	}
	if (!vlapic_create(&v->lapic, v, vlapic_use_apicv())) {
		guest_end(g, GUEST_END_OOM, 0, "no memory or device slot for the local APIC");
		return false;
	}
	if (!vmcs_setup(v, bs)) {
		guest_end(g, GUEST_END_ERROR, 0, "the CPU lacks a VM control Keel needs");
		return false;
	}
	return true;
}

void vcpu_destroy(struct vcpu *v)
{
	vlapic_destroy(&v->lapic);
	xstate_destroy(v);
	if (!hpa_addr(v->vmcs))
		return;
	/* VMCLEAR writes the VMCS back to memory and makes it not current. */
	CHECK(v->cpu == VCPU_NO_CPU || v->cpu == (int)this_cpu()->index);
	CHECK(vmx_clear(v->vmcs) == VMX_SUCCEED);
	v->cpu = VCPU_NO_CPU;
	pmm_account_free(&v->guest->frames, PMM_KIND_DEVICE, PAGE_SIZE, v->vmcs);
	v->vmcs = hpa(0);
}

void vcpu_retire_instruction(struct vcpu *v, u64 rip)
{
	/* RFLAGS.TF, RFLAGS.RF, IA32_DEBUGCTL.BTF, pending debug exceptions BS (SDM Table 25-4). */
	const u64 tf = BIT(8), rf = BIT(16), debugctl_btf = BIT(1),
		  pending_bs = VMCS_PENDING_DBG_BS;
	u64 intr, rflags;

	/* Outside 64-bit mode RIP wraps at 4 GiB (only a RIP past it needs the mode). */
	if (rip > 0xFFFFFFFFULL && !(vmcs_read(VMCS_GUEST_CS_AR) & VMCS_AR_L))
		rip &= 0xFFFFFFFF;
	vmcs_write(VMCS_GUEST_RIP, rip);
	/* The instruction retired: STI/MOV SS blocking ends with it (SDM 25.4.2). */
	intr = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);
	if (intr & (VMCS_INTR_BLOCKING_STI | VMCS_INTR_BLOCKING_MOV_SS))
		vmcs_write(VMCS_GUEST_INTERRUPTIBILITY,
			   intr & ~(u64)(VMCS_INTR_BLOCKING_STI | VMCS_INTR_BLOCKING_MOV_SS));
	/*
	 * As after any instruction that completes (SDM Vol. 3A 18.3.1.1, 18.3.1.4):
	 * RF clears, and with TF set (and IA32_DEBUGCTL.BTF clear) a single-step
	 * #DB follows with DR6.BS. Keel emulated the instruction, so it makes
	 * that trap pending: BS (bit 14) in the pending debug exceptions, which
	 * the CPU delivers right after VM entry with the priority of a trap on
	 * the previous instruction (SDM Vol. 3C 25.4.2, 27.7.3). With blocking
	 * by MOV SS cleared above, the entry checks on BS hold (SDM 27.3.1.5).
	 */
	rflags = vmcs_read(VMCS_GUEST_RFLAGS);
	if (rflags & (tf | rf)) {
		if (rflags & rf)
			vmcs_write(VMCS_GUEST_RFLAGS, rflags & ~rf);
		if ((rflags & tf) && !(vmcs_read(VMCS_GUEST_IA32_DEBUGCTL) & debugctl_btf))
			vmcs_write(VMCS_GUEST_PENDING_DBG_EXCEPTIONS,
				   vmcs_read(VMCS_GUEST_PENDING_DBG_EXCEPTIONS) | pending_bs);
	}
	(void)v;
}

/*
 * Data and I/O breakpoints are traps: the #DB comes after the instruction
 * completes, with DR6.B0-B3 naming the breakpoints met (SDM Vol. 3B
 * 17.2.3, 17.3.1.2). The CPU did not see Keel's accesses, so Keel sets the
 * guest's DR6 (the CPU's own while v is loaded) and makes the trap pending
 * as it does for single-step: B3:B0 and "enabled breakpoint" (bit 12) in
 * the pending debug exceptions, delivered after VM entry (SDM Vol. 3C
 * 25.4.2, 27.7.3).
 */
void vcpu_pend_breakpoints(struct vcpu *v, u32 hits)
{
	(void)v;
	if (!hits)
		return;
	xstate_set_dr6_hits(hits);
	vmcs_write(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, vmcs_read(VMCS_GUEST_PENDING_DBG_EXCEPTIONS) |
							  (hits & VMCS_PENDING_DBG_B0_B3) |
							  VMCS_PENDING_DBG_ENABLED_BP);
}

static bool queues_nmi(u32 info)
{
	return (info & VMCS_INTR_INFO_VALID) && VMCS_INTR_INFO_TYPE(info) == VMCS_INTR_TYPE_NMI;
}

void vcpu_queue_event(struct vcpu *v, u32 info)
{
	vmcs_write(VMCS_ENTRY_INTR_INFO, info);
	v->queued_event = info;
	if (queues_nmi(info))
		v->nmi_blocked = true; /* delivering it blocks NMIs (SDM Vol. 3C 27.6) */
}

/*
 * With virtual NMIs, blocking by NMI in the guest's interruptibility state
 * is virtual-NMI blocking (SDM Vol. 3C 25.4.2 "Guest Non-Register State"):
 * it begins only when an entry delivers an NMI Keel injected (27.6 "Event
 * Injection") or loads the bit Keel set, and ends at the guest's IRET
 * (26.3). nmi_blocked follows it from what Keel does and what the exits
 * record.
 *
 * Bochs 2.7 workaround, the one place (docs/testing.md, "Bochs
 * workarounds"): Bochs keeps the blocking in a mask of its CPU's, not of
 * the VMCS. A VM entry sets the mask when the bit is set but never clears
 * it, and only a guest's IRET does; every exit records the mask. So a guest
 * that leaves its CPU inside its NMI handler leaves the mask set for the
 * next guest entered there, whose exits then record a blocking by NMI it
 * never had: NMI-window exits never come for it (it has no handler to
 * IRET from), and its own entries set the mask again, for the next guest
 * after it. Seen: a self-NMI storm's NMI left pending for good after its
 * CPU ran the other guest, whose VMCS had kept the bit from a run that
 * began while the storm was in its handler. A bit the guest cannot have
 * is dropped here, before Keel decides on an NMI (vm/intr.c) and before
 * the vCPU leaves its CPU (vcpu_run), so that its VMCS sets no mask. On
 * the SDM's CPU the bit is never dropped.
 */
u64 vcpu_interruptibility(struct vcpu *v)
{
	u64 b = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);

	if (!v->virtual_nmis)
		return b;
	if (!(b & VMCS_INTR_BLOCKING_NMI)) {
		/* An NMI queued for an entry not yet made still blocks after it. */
		if (!queues_nmi(v->queued_event))
			v->nmi_blocked = false;
	} else if (!v->nmi_blocked) {
		b &= ~(u64)VMCS_INTR_BLOCKING_NMI;
		vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, b);
		v->nmi_blocking_dropped++;
	}
	return b;
}

/*
 * Faults are delivered with RF set in the RFLAGS image they push (SDM Vol. 3A
 * 18.3.1.1), so the faulting instruction, restarted, does not raise an
 * instruction-breakpoint #DB again. A fault the CPU raises in the guest gets
 * that from the CPU; one Keel injects gets it here. Traps and aborts
 * (#DB, #BP, #OF, #DF, #MC) and NMIs push RF as it is.
 */
static bool exception_is_fault(unsigned vector)
{
	return vector < 32 &&
	       !(BIT(vector) & (BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(8) | BIT(18)));
}

void vcpu_inject_exception(struct vcpu *v, unsigned vector, bool has_error, u32 error)
{
	u64 info = VMCS_INTR_INFO_VALID | ((u64)VMCS_INTR_TYPE_HW_EXCEPTION << 8) | vector;

	/* Real mode delivers no error code (SDM 27.2.1.3). */
	if (has_error && (cr_guest_cr0() & 1)) {
		info |= VMCS_INTR_INFO_ERROR_CODE;
		vmcs_write(VMCS_ENTRY_EXCEPTION_ERROR_CODE, error);
	}
	if (exception_is_fault(vector))
		vmcs_write(VMCS_GUEST_RFLAGS, vmcs_read(VMCS_GUEST_RFLAGS) | RFLAGS_RF);
	vcpu_queue_event(v, (u32)info);
}

/* A VMLAUNCH/VMRESUME that failed as an instruction (not a VM-entry failure exit). */
static void entry_instruction_failed(struct vcpu *v, int status)
{
	u64 err = 0;

	if (status == VMX_FAIL_VALID)
		err = vmcs_read(VMCS_VM_INSTRUCTION_ERROR);
	pr_err("guest %s: %s failed: %s, error %lu (%s)", v->guest->name,
	       v->launched ? "VMRESUME" : "VMLAUNCH", vmx_status_name(status), err,
	       status == VMX_FAIL_VALID ? vmx_error_name(err) : "no current VMCS");
	if (status == VMX_FAIL_VALID && (err == 7 || err == 8))
		vmcs_dump_guest_state();
	guest_end(v->guest, GUEST_END_ENTRY_FAILURE, 0, "VM entry failed: %s",
		  status == VMX_FAIL_VALID ? vmx_error_name(err) : vmx_status_name(status));
}

int vcpu_entry_check_failed(const struct vcpu *v)
{
	if (v->guest->mem.inv_pending)
		panic("guest %s: EPT entry removed or downgraded without INVEPT before VM entry",
		      v->guest->name);
	vpid_check_failed(v->vpid, v->guest->name);
}

extern u64 boot_entry_tsc;

/*
 * Boot cost: TSC at the multiboot2 entry (boot/entry.S) to the first
 * VMLAUNCH, and that TSC itself: a guest's TSC is Keel's (no offset), so
 * `make bench` compares it with what a guest reads (its Linux row).
 */
static void note_first_launch(void)
{
	static bool done; /* Shared, atomic: the first CPU to launch says it */
	u64 now = rdtsc();

	if (__atomic_load_n(&done, __ATOMIC_RELAXED) ||
	    __atomic_exchange_n(&done, true, __ATOMIC_RELAXED))
		return;
	pr_info("bench: boot to first VMLAUNCH %lu ticks, TSC %lu", now - boot_entry_tsc, now);
}

/* floor=on (vmx_exit_floor_fast): RIP past the exit's instruction, nothing else. */
static void floor_advance(void)
{
	vmcs_write_current(VMCS_GUEST_RIP, vmcs_read_current(VMCS_GUEST_RIP) +
					       vmcs_read_current(VMCS_EXIT_INSTRUCTION_LEN));
}

/* v arrives on this CPU from another: flush what this CPU may still hold for it. */
static void vcpu_arrive(struct vcpu *v, int me)
{
	inv_ept(v->guest->mem.eptp, &v->guest->mem.stats.inv);
	if (v->vpid)
		inv_vpid(v->vpid, &v->inv);
	v->last_cpu = me;
}

void vcpu_load(struct vcpu *v)
{
	int me = (int)this_cpu()->index;

	/* Active on one CPU at a time: released where it was before it moves. */
	CHECK(v->cpu == me || v->cpu == VCPU_NO_CPU);
	CHECK(vmx_ptrld(v->vmcs) == VMX_SUCCEED);
	if (v->cpu != me) {
		v->cpu = me;
		vmcs_host_cpu_state();
		if (v->last_cpu != me)
			vcpu_arrive(v, me);
	}
	write_cr2(v->regs.cr2);
	msr_load_guest(v);
	xstate_restore(v);
	xcr0_load(v);
}

/*
 * Reads the clock before an entry: false once the run's time is up
 * (vcpu_deadline). Otherwise arms the VMX-preemption timer for what is left
 * of the run or the guest's next timer deadline (vm/vtimer.h), whichever
 * comes first.
 * The timer counts only while the guest runs, so it is written anew
 * before every entry from the TSC: the ticks Keel spent on the exit are
 * taken off what the guest has left (and the "save VMX-preemption timer
 * value" exit control is not needed).
 */
static inline bool arm_timer(struct vcpu *v)
{
	u64 now = rdtsc(), target = vcpu_deadline(v), next = v->guest->vtimer_next;

	if (now >= target)
		return false;
	v->entry_tsc = now;
	/* Within the timer's reach: an exit there, and the full path arms it again. */
	target = preemption_target(now, target, next, vmx_timer_reach());
	/*
	 * The fast exit may take this vCPU's exits until then if nothing else
	 * is for the entry to do: a guest of one vCPU (several need the
	 * guest lock and the shootdown protocol) and no event injected on this
	 * entry (its exit may need to deliver it again), with a preemption
	 * timer to arm (the fast exit's end asks no more).
	 */
	v->fast_until = vmx_caps.preemption_timer && v->guest->vcpu_count == 1 &&
				!v->queued_event && v->launched
			    ? target
			    : 0;
	if (vmx_caps.preemption_timer && __builtin_expect(vmx_write_timer(target, now), 0))
		vmx_kick_taken();
	return true;
}

/*
 * Debug builds: an external interrupt Keel injects must be one the guest
 * can take now (RFLAGS.IF set, no STI or MOV SS blocking: SDM Vol. 3A
 * 6.8.1, 6.8.3), also when it is delivered again after an exit cut its
 * delivery short (the RFLAGS saved is then the one the delivery started
 * from). Delivered otherwise it interrupts code that runs with interrupts
 * off: a Linux guest deadlocks in its scheduler.
 */
static void check_injection(const struct vcpu *v)
{
#ifndef NDEBUG
	u32 ev = v->queued_event;
	u64 rflags, blocking;

	if (!(ev & VMCS_INTR_INFO_VALID) || VMCS_INTR_INFO_TYPE(ev) != VMCS_INTR_TYPE_EXTERNAL)
		return;
	rflags = vmcs_read(VMCS_GUEST_RFLAGS);
	blocking = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);
	if ((rflags & RFLAGS_IF) &&
	    !(blocking & (VMCS_INTR_BLOCKING_STI | VMCS_INTR_BLOCKING_MOV_SS)))
		return;
	panic("guest %s: vCPU %u: external interrupt %u injected while the guest cannot take one "
	      "(RFLAGS 0x%lx, interruptibility 0x%lx) at rip 0x%lx, after exit %u with "
	      "IDT-vectoring 0x%x (taken as 0x%x)",
	      v->guest->name, v->index, ev & 0xFF, rflags, blocking, vmcs_read(VMCS_GUEST_RIP),
	      v->last_exit, v->last_idt, v->last_idt_fixed);
#else
	(void)v;
#endif
}

/*
 * Everything that must hold before a VM entry: events, timers, the debug
 * checks. The common exit (nothing changed, no timer armed) tests two
 * fields and goes on.
 */
static inline bool prepare_entry(struct vcpu *v)
{
	if (__builtin_expect(v->intr_dirty || v->guest->vtimer_next, 0)) {
		if (__atomic_load_n(&v->signals, __ATOMIC_ACQUIRE) && !vcpu_take_signals(v))
			return false;
		intr_prepare_entry(v);
	}
	if (!arm_timer(v))
		return false;
	if (!vcpu_entry_ok(v))
		vcpu_entry_check_failed(v);
	check_injection(v);
	return true;
}

/* Marks what the vCPU waits on in wait-for-SIPI (blocked_on). */
static const char wait_for_sipi;

void vcpu_signal_init(struct vcpu *v)
{
	__atomic_fetch_or(&v->signals, VCPU_SIG_INIT, __ATOMIC_RELEASE);
	intr_kick(v);
}

void vcpu_signal_sipi(struct vcpu *v, unsigned vector)
{
	__atomic_store_n(&v->sipi_vector, (u8)vector, __ATOMIC_RELAXED);
	__atomic_fetch_or(&v->signals, VCPU_SIG_SIPI, __ATOMIC_RELEASE);
	intr_kick(v);
}

bool vcpu_signal_wakes(const struct vcpu *v)
{
	u32 sig = __atomic_load_n(&v->signals, __ATOMIC_ACQUIRE);

	return (sig & VCPU_SIG_INIT) || ((sig & VCPU_SIG_SIPI) && v->wait_sipi);
}

void vcpu_wait_for_sipi(struct vcpu *v)
{
	v->wait_sipi = true;
	vcpu_block_on(v, &wait_for_sipi);
}

/*
 * Takes the INIT and SIPI left for v, its VMCS current (SDM Vol. 3A 8.4.1,
 * 10.1 Table 10-1): INIT puts an AP in wait-for-SIPI with its APIC as INIT
 * leaves it, and resets the guest if it is vCPU 0; a SIPI outside
 * wait-for-SIPI is dropped, one inside starts the AP in real mode at the
 * vector's page. Returns false if v cannot run now.
 */
bool vcpu_take_signals(struct vcpu *v)
{
	u32 sig = __atomic_exchange_n(&v->signals, 0, __ATOMIC_ACQ_REL);

	if (sig & VCPU_SIG_INIT) {
		if (v->index == 0) {
			guest_reset(v->guest, "INIT to vCPU 0, the bootstrap processor");
			return false;
		}
		vlapic_init_reset(&v->lapic);
		v->nmi_pending = false;
		vcpu_queue_event(v, 0);
		vcpu_wait_for_sipi(v);
	}
	if ((sig & VCPU_SIG_SIPI) && v->wait_sipi) {
		vmcs_start_at_sipi(v, __atomic_load_n(&v->sipi_vector, __ATOMIC_RELAXED));
		v->wait_sipi = false;
		v->blocked = false;
	}
	return guest_running(v->guest) && !v->blocked;
}

void vcpu_release(struct vcpu *v)
{
	CHECK(v->cpu == (int)this_cpu()->index);
	CHECK(vmx_clear(v->vmcs) == VMX_SUCCEED);
	v->last_cpu = v->cpu;
	v->cpu = VCPU_NO_CPU;
	v->launched = false;
}

bool vcpu_here(const struct vcpu *v)
{
	return __atomic_load_n(&v->home_cpu, __ATOMIC_ACQUIRE) == (int)this_cpu()->index;
}

void vcpu_kick(const struct vcpu *v)
{
	int cpu = __atomic_load_n(&v->home_cpu, __ATOMIC_ACQUIRE);

	if (cpu != (int)this_cpu()->index && cpu >= 0 && cpu < CPU_MAX)
		smp_kick(&cpu_table[cpu]);
}

void vcpu_put(struct vcpu *v)
{
	v->regs.cr2 = read_cr2();
	msr_save_guest(v);
	xstate_save(v);
}

/* True if v may be entered again at once, without going back to the scheduler. */
static bool resume_now(struct vcpu *v)
{
	if (!guest_running(v->guest) || v->blocked)
		return false;
	return prepare_entry(v);
}

_Static_assert(__builtin_offsetof(struct vcpu, regs) == 0, "vmx_exit_handler's container");

/*
 * An exit of a vCPU whose guest has several: the CPU says it left the guest
 * (a TLB shootdown waits for that, vm/gmem.c), the handling and the entry
 * checks run under the guest lock, and the CPU says it enters again.
 */
static __attribute__((noinline)) int exit_shared(struct vcpu *v, u32 injected)
{
	struct guest *g = v->guest;
	unsigned cpu = this_cpu()->index;
	int resume;

	gmem_leave(&g->mem, cpu);
	guest_lock(g);
	g->exiting = v;
	exit_dispatch(v, injected);
	resume = resume_now(v);
	if (resume) /* debug builds: the other CPUs' part of the invalidation discipline */
		gmem_check_shootdown(&g->mem, cpu, g->name);
	guest_unlock(g);
	if (resume)
		gmem_enter(&g->mem, cpu);
	return resume;
}

int vmx_exit_handler(struct vcpu_regs *regs)
{
	struct vcpu *v = (struct vcpu *)regs;
	struct guest *g = v->guest;
	u32 injected = v->queued_event; /* what the entry that led here injected */

	v->guest_ticks += rdtsc() - v->entry_tsc;
	v->launched = true;
	v->queued_event = 0;
	if (__builtin_expect(g->vcpu_count > 1, 0))
		return exit_shared(v, injected);
	g->exiting = v;
	exit_dispatch(v, injected);
	return resume_now(v);
}

/*
 * The fast exit's rare turns (vmx/exit_fast.h), out of line: the full
 * preparation of the entry (the deadline reached meanwhile, or a device
 * changed what it must do), and an instruction that does not retire
 * plainly.
 */
int vmx_fast_prepare_full(struct vcpu *v)
{
	return resume_now(v) ? VMX_EXIT_RESUME : VMX_EXIT_LEAVE;
}

/* An NMI kick came before the fast exit armed the timer (vmx_write_timer). */
int vmx_fast_kicked(void)
{
	vmx_kick_taken();
	return VMX_EXIT_RESUME;
}

int vmx_fast_retire(struct vcpu *v, u64 rip, u64 exit_tsc, u64 target, u32 reason)
{
	vcpu_retire_instruction(v, rip);
	return vmx_fast_finish(v, exit_tsc, target, reason);
}

/* The exits the fast exit may take, by basic reason (all below 64). */
typedef int exit_fast_fn(struct vcpu *v, u64 exit_tsc, u64 target);
static exit_fast_fn *const exit_fast_handlers[64] = {
    [EXIT_REASON_CPUID] = cpuid_exit_fast,
    [EXIT_REASON_VMCALL] = hypercall_exit_fast,
    [EXIT_REASON_IO_INSTRUCTION] = io_exit_fast,
    [EXIT_REASON_EPT_VIOLATION] = ept_exit_fast,
};

/*
 * The fast exit, called by vmx/entry.S for every exit its register-only
 * tier does not take (a CPUID or VMCALL there declines to here), with ten
 * registers stored (RBP and R12-R15 are still the guest's, in their
 * registers). It takes CPUID, VMCALL, IN/OUT and a first touch of RAM
 * (exit_fast_handlers) while fast_until allows
 * (arm_timer): the vCPU alone in its guest, no event injected on the
 * entry, its run's deadline and timers not reached (what may bring
 * them sooner is a device, which vmx_exit_fast_device asks after, or
 * another CPU, which kicks this one), no event source changed
 * (intr_dirty). Everything the full path does for these exits
 * happens here too, in fewer steps: the handler (which declines, having
 * changed nothing, what it does not take fast), the exit counted, the
 * guest's time, the preemption timer armed again from the TSC and the
 * debug checks (vmx_exit_fast_done). VMX_EXIT_SLOW sends the exit to the
 * full path.
 */
int vmx_exit_fast(struct vcpu_regs *regs, u64 reason)
{
	struct vcpu *v = (struct vcpu *)regs;
	exit_fast_fn *fn;
	u64 now, target;

	/* The full path's exits pay only this look. */
	if (reason >= ARRAY_SIZE(exit_fast_handlers))
		return VMX_EXIT_SLOW;
	fn = exit_fast_handlers[reason];
	if (!fn)
		return VMX_EXIT_SLOW;
	now = rdtsc();
	target = v->fast_until;
	if (now >= target || __atomic_load_n(&v->intr_dirty, __ATOMIC_RELAXED))
		return VMX_EXIT_SLOW;
	return fn(v, now, target);
}

/*
 * floor=on: the shortest handler for CPUID and VMCALL(KEEL_HC_NOP), the
 * floor `make bench` compares Keel's real path with. Registers are already
 * saved by vmx_exit; read the reason, answer, advance RIP, resume. CPUID
 * still answers with Keel's policy for the hypervisor leaves and the
 * native values otherwise; any other exit takes the real path. The
 * preemption timer is not re-armed here: a bench option, not for use.
 */

/* Keel's own leaves, out of line: the native ones keep no frame. */
static __attribute__((noinline)) int floor_policy_leaf(u64 *gpr)
{
	struct cpuid_regs c = cpuid_policy((u32)gpr[GPR_RAX], (u32)gpr[GPR_RCX], 0, false);

	gpr[GPR_RAX] = c.eax;
	gpr[GPR_RBX] = c.ebx;
	gpr[GPR_RCX] = c.ecx;
	gpr[GPR_RDX] = c.edx;
	floor_advance();
	return VMX_EXIT_RESUME;
}

/* vmx/entry.S's vmx_exit_floor. */
int vmx_exit_floor_fast(struct vcpu_regs *regs)
{
	u64 reason = vmcs_read(VMCS_EXIT_REASON);
	u64 *gpr = regs->gpr;

	if (reason == EXIT_REASON_CPUID) {
		u64 a, b, c, d;

		if ((gpr[GPR_RAX] & 0xF0000000) == 0x40000000)
			return floor_policy_leaf(gpr);
		/*
		 * Native CPUID with C's RBX kept by hand (RSI carries EBX's
		 * answer): no frame. CPUID clears the upper halves of RAX, RBX,
		 * RCX and RDX (SDM Vol. 2A, CPUID), so the answers go whole.
		 */
		__asm__ volatile("mov %%rbx, %%rsi; cpuid; xchg %%rbx, %%rsi"
				 : "=a"(a), "=S"(b), "=c"(c), "=d"(d)
				 : "a"(gpr[GPR_RAX]), "c"(gpr[GPR_RCX]));
		gpr[GPR_RAX] = a;
		gpr[GPR_RBX] = b;
		gpr[GPR_RCX] = c;
		gpr[GPR_RDX] = d;
	} else if (reason == EXIT_REASON_VMCALL && gpr[GPR_RAX] == KEEL_HC_NOP) {
		gpr[GPR_RAX] = 0;
	} else {
		return vmx_exit_fast(regs, reason);
	}
	floor_advance();
	return VMX_EXIT_RESUME;
}

void vcpu_run(struct vcpu *v, u64 until)
{
	u64 start = rdtsc();
	bool first = true;

	v->run_start_tsc = start;
	v->run_until = until;
	v->run_entry_tsc = 0;
	if (__atomic_load_n(&v->signals, __ATOMIC_ACQUIRE)) {
		guest_lock(v->guest);
		v->guest->exiting = v;
		(void)vcpu_take_signals(v);
		guest_unlock(v->guest);
	}
	if (!v->launched)
		note_first_launch(); /* before the entry checks: the line may start the console's
					clock */
	while (guest_running(v->guest) && !v->blocked) {
		struct guest *g = v->guest;
		bool ready;
		int r;

		guest_lock(g);
		g->exiting = v;
		ready = prepare_entry(v);
		if (ready && g->mem.shared)
			gmem_check_shootdown(&g->mem, this_cpu()->index, g->name);
		guest_unlock(g);
		if (!ready)
			break;
		if (g->mem.shared)
			gmem_enter(&g->mem, this_cpu()->index);
		if (first) {
			v->run_entry_tsc = v->entry_tsc;
			first = false;
		}
		r = vmx_enter(&v->regs, v->launched);
		if (r != 0 && g->mem.shared)
			gmem_leave(&g->mem, this_cpu()->index);
		if (r != 0) {
			entry_instruction_failed(v, r);
			break;
		}
	}
	(void)vcpu_interruptibility(v); /* no blocking by NMI it cannot have goes with it */
	v->last_exit_tsc = rdtsc();
	v->used_ticks += v->last_exit_tsc - start;
}
