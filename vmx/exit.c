/*
 * The VM-exit dispatch table and the handlers too small for a file of
 * their own. Every handler either completes the guest's instruction
 * (advancing RIP), injects the architectural exception, or ends the guest
 * with a report.
 */
#include "vmx/exit.h"
#include "arch/x86/cr.h"
#include "arch/x86/lapic.h"
#include "arch/x86/smp.h"
#include "lib/console.h"
#include "vm/decode.h"
#include "vm/gaccess.h"
#include "vm/guest.h"
#include "vmx/cr.h"
#include "vmx/exit_reason.h"
#include "vmx/sw_event.h"
#include "vmx/vcpu.h"
#include "vmx/vmcs.h"
#include "vmx/vmx_insn.h"
#include "arch/x86/cpu.h"
#include "vm/intr.h"
#include "vm/vlapic.h"
#include "vm/apic_core.h"
#include "arch/x86/apic_regs.h"
#include "vmx/vmx.h"

typedef void exit_handler_fn(struct vcpu *v);

void exit_report_unhandled(struct vcpu *v, const char *why)
{
	u32 reason = (u32)vmcs_read(VMCS_EXIT_REASON);
	u32 basic = EXIT_REASON_BASIC(reason);

	pr_err("guest %s: %s: exit %s (%u), qualification 0x%lx, rip 0x%lx, linear 0x%lx, "
	       "gpa 0x%lx",
	       v->guest->name, why, exit_reason_name(basic), basic,
	       vmcs_read(VMCS_EXIT_QUALIFICATION), vmcs_read(VMCS_GUEST_RIP),
	       vmcs_read(VMCS_GUEST_LINEAR_ADDR), vmcs_read(VMCS_GUEST_PHYSICAL_ADDR));
	guest_end(v->guest, GUEST_END_UNHANDLED, 0, "unhandled exit %s", exit_reason_name(basic));
}

static void handle_unhandled(struct vcpu *v)
{
	exit_report_unhandled(v, "no handler");
}

static void handle_triple_fault(struct vcpu *v)
{
	if (v->guest->triple_resets)
		guest_reset(v->guest, "triple fault at rip 0x%lx (ontriple=reset)",
			    vmcs_read(VMCS_GUEST_RIP));
	else
		guest_end(v->guest, GUEST_END_TRIPLE_FAULT, 0, "triple fault at rip 0x%lx",
			  vmcs_read(VMCS_GUEST_RIP));
}

/* Exceptions (none are intercepted: #MC would be) and host NMIs taken in the guest. */
static void handle_exception_nmi(struct vcpu *v)
{
	u32 info = (u32)vmcs_read(VMCS_EXIT_INTR_INFO);

	if (VMCS_INTR_INFO_TYPE(info) == VMCS_INTR_TYPE_NMI) {
		if (!vmx_nmi_exit())
			pr_warn("NMI while guest %s ran: ignored", v->guest->name);
		return;
	}
	exit_report_unhandled(v, "unexpected exception exit");
}

/* The interrupt was acknowledged on exit; Keel enables no interrupt sources yet. */
/*
 * A host interrupt arrived while the guest ran. "Acknowledge interrupt on
 * exit" took it from the local APIC (SDM Vol. 3C 28.2.2): its vector is in
 * the exit's interruption information and it is Keel's to end. The only
 * ones Keel takes are an idle CPU's wake-up IPI and its timer
 * (arch/x86/smp.h); anything else is said and ended.
 */
static void handle_external_interrupt(struct vcpu *v)
{
	u32 info = (u32)vmcs_read(VMCS_EXIT_INTR_INFO);
	unsigned vector = VMCS_INTR_INFO_VECTOR(info);

	if (!(info & VMCS_INTR_INFO_VALID) || smp_interrupt(vector))
		return;
	pr_warn("guest %s: exit for host interrupt vector %u, which Keel does not use",
		v->guest->name, vector);
	lapic_eoi();
}

/*
 * HLT with interrupts enabled blocks the vCPU until an event for it
 * arrives (the scheduler runs others). With interrupts disabled only an
 * NMI, INIT or SIPI can wake it: in a guest with several vCPUs another may
 * send one (an AP parked in `cli; hlt`), so it blocks too, the guest ending
 * once every vCPU sleeps for good (vm/sched.c); a guest's only vCPU ends it.
 */
static void handle_hlt(struct vcpu *v)
{
	bool if_set = vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_IF;

	vcpu_skip_instruction(v);
	if (if_set || v->guest->vcpu_count > 1) {
		v->blocked = true;
		v->blocked_on = NULL;
		v->halted_if_clear = !if_set;
		v->halt_rip = vmcs_read(VMCS_GUEST_RIP);
		return;
	}
	guest_end(v->guest, GUEST_END_HLT, 0, "HLT with interrupts disabled at rip 0x%lx",
		  vmcs_read(VMCS_GUEST_RIP));
}

/* VMX instructions (and GETSEC, MONITOR/MWAIT, hidden by CPUID) are #UD for guests. */
static void handle_inject_ud(struct vcpu *v)
{
	vcpu_inject_ud(v);
}

/* RDPMC: CPUID advertises no performance counters. */
static void handle_inject_gp(struct vcpu *v)
{
	vcpu_inject_gp(v);
}

/* INVD and WBINVD: caches are coherent for Keel's guests; complete as a no-op. */
static void handle_skip(struct vcpu *v)
{
	vcpu_skip_instruction(v);
}

/*
 * The VMX-preemption timer ran out: the run's time is up (the check before
 * the next entry sends the vCPU back to the scheduler), or one of the
 * guest's timers is due (vm/intr.c runs it before the next entry). Where
 * the guest was is kept for Keel's monitor.
 */
static void handle_preemption_timer(struct vcpu *v)
{
	/* Where a running vCPU was, for Keel's monitor (a guest that seems stuck). */
	v->timer_rip = vmcs_read(VMCS_GUEST_RIP);
	v->timer_rflags = vmcs_read(VMCS_GUEST_RFLAGS);
}

static void handle_cr_access(struct vcpu *v)
{
	cr_handle_exit(v);
}

static void handle_entry_failure(struct vcpu *v)
{
	u32 reason = (u32)vmcs_read(VMCS_EXIT_REASON);

	pr_err("guest %s: VM-entry failure: exit reason 0x%x (%s, entry-failure bit %s), "
	       "qualification 0x%lx",
	       v->guest->name, reason, exit_reason_name(EXIT_REASON_BASIC(reason)),
	       (reason & EXIT_REASON_ENTRY_FAILURE) ? "set" : "clear",
	       vmcs_read(VMCS_EXIT_QUALIFICATION));
	vmcs_dump_guest_state();
	guest_end(v->guest, GUEST_END_ENTRY_FAILURE, 0, "VM-entry failure: %s",
		  exit_reason_name(EXIT_REASON_BASIC(reason)));
}

static void handle_ept_misconfig(struct vcpu *v)
{
	exit_report_unhandled(v, "EPT misconfiguration (a Keel EPT bug)");
}

static exit_handler_fn *const exit_handlers[EXIT_REASON_COUNT] = {
    [EXIT_REASON_EXCEPTION_NMI] = handle_exception_nmi,
    [EXIT_REASON_EXTERNAL_INTERRUPT] = handle_external_interrupt,
    [EXIT_REASON_TRIPLE_FAULT] = handle_triple_fault,
    [EXIT_REASON_CPUID] = cpuid_handle_exit,
    [EXIT_REASON_GETSEC] = handle_inject_ud,
    [EXIT_REASON_HLT] = handle_hlt,
    [EXIT_REASON_INVD] = handle_skip,
    [EXIT_REASON_RDPMC] = handle_inject_gp,
    [EXIT_REASON_VMCALL] = hypercall_handle_exit,
    [EXIT_REASON_VMCLEAR] = handle_inject_ud,
    [EXIT_REASON_VMLAUNCH] = handle_inject_ud,
    [EXIT_REASON_VMPTRLD] = handle_inject_ud,
    [EXIT_REASON_VMPTRST] = handle_inject_ud,
    [EXIT_REASON_VMREAD] = handle_inject_ud,
    [EXIT_REASON_VMRESUME] = handle_inject_ud,
    [EXIT_REASON_VMWRITE] = handle_inject_ud,
    [EXIT_REASON_VMXOFF] = handle_inject_ud,
    [EXIT_REASON_VMXON] = handle_inject_ud,
    [EXIT_REASON_CR_ACCESS] = handle_cr_access,
    [EXIT_REASON_IO_INSTRUCTION] = io_handle_exit,
    [EXIT_REASON_RDMSR] = msr_handle_rdmsr,
    [EXIT_REASON_WRMSR] = msr_handle_wrmsr,
    [EXIT_REASON_INVALID_GUEST_STATE] = handle_entry_failure,
    [EXIT_REASON_MSR_LOADING] = handle_entry_failure,
    [EXIT_REASON_MACHINE_CHECK] = handle_entry_failure,
    [EXIT_REASON_MWAIT] = handle_inject_ud,
    [EXIT_REASON_MONITOR] = handle_inject_ud,
    [EXIT_REASON_PAUSE] = handle_skip,
    [EXIT_REASON_EPT_VIOLATION] = ept_handle_violation,
    [EXIT_REASON_EPT_MISCONFIG] = handle_ept_misconfig,
    [EXIT_REASON_PML_FULL] = pml_handle_full,
    [EXIT_REASON_INVEPT] = handle_inject_ud,
    [EXIT_REASON_PREEMPTION_TIMER] = handle_preemption_timer,
    [EXIT_REASON_INVVPID] = handle_inject_ud,
    [EXIT_REASON_WBINVD] = handle_skip,
    [EXIT_REASON_XSETBV] = xsetbv_handle_exit,
    [EXIT_REASON_VMFUNC] = handle_inject_ud,
    [EXIT_REASON_INTERRUPT_WINDOW] = intr_window_handle_exit,
    [EXIT_REASON_NMI_WINDOW] = nmi_window_handle_exit,
    [EXIT_REASON_TPR_BELOW_THRESHOLD] = tpr_below_threshold_handle_exit,
    [EXIT_REASON_APIC_ACCESS] = apic_access_handle_exit,
    [EXIT_REASON_APIC_WRITE] = apic_write_handle_exit,
    [EXIT_REASON_VIRTUALIZED_EOI] = virtualized_eoi_handle_exit,
};

/*
 * True if the exit may have cut a virtual-interrupt delivery short: SVI
 * names a vector now in service and the guest could take an interrupt
 * (RFLAGS.IF set, no STI or MOV SS blocking), as virtual-interrupt
 * delivery requires (SDM Vol. 3C 30.2.1).
 */
static bool virtual_delivery_possible(struct vcpu *v, unsigned svi)
{
	return svi && apic_vec_test(v->lapic.page, APIC_ISR, svi) &&
	       (vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_IF) &&
	       !(vmcs_read(VMCS_GUEST_INTERRUPTIBILITY) &
		 (VMCS_INTR_BLOCKING_STI | VMCS_INTR_BLOCKING_MOV_SS));
}

/*
 * True if the instruction at the guest's CS:RIP, of the length the exit
 * reports, is one that raises the software event `idt` names (INT n,
 * INT3, INTO, INT1): a software event in delivery leaves RIP on the
 * instruction that raised it and its length in the exit's instruction
 * length (SDM Vol. 3C 28.2.4, 28.2.5). False also if the bytes cannot be
 * read.
 */
static bool sw_event_at_rip(struct vcpu *v, u32 idt)
{
	bool code64 = vmcs_read(VMCS_GUEST_CS_AR) & VMCS_AR_L;
	u64 rip = vmcs_read(VMCS_GUEST_RIP);
	u64 at = code64 ? rip : (u32)(vmcs_read(VMCS_GUEST_CS_BASE) + rip);
	u64 len = vmcs_read(VMCS_EXIT_INSTRUCTION_LEN);
	struct gaccess_fault f;
	u8 bytes[DECODE_MAX_LEN];

	if (len == 0 || len > sizeof(bytes) || gaccess_read(v, at, bytes, len, &f) != GACCESS_OK)
		return false;
	return sw_event_raised_by(bytes, (unsigned)len, code64, VMCS_INTR_INFO_TYPE(idt),
				  idt & 0xFF);
}

static bool sw_event_type(u32 type)
{
	return type == VMCS_INTR_TYPE_SW_INTERRUPT || type == VMCS_INTR_TYPE_SW_EXCEPTION ||
	       type == VMCS_INTR_TYPE_PRIV_SW_EXCEPTION;
}

/*
 * Bochs 2.7 workaround, the one place (docs/testing.md, "Bochs"): when the
 * delivery of a *virtual* interrupt (virtual-interrupt delivery, SDM Vol.
 * 3C 30.2.2) is interrupted by an exit, Bochs reports in the IDT-vectoring
 * information the last event it recorded on that CPU (seen: an NMI from an
 * earlier entry, a #GP Keel had injected into another guest, a software
 * interrupt) instead of the virtual interrupt, whose vector the CPU has
 * just put in SVI. A record is taken for what it says only if that event
 * can be in delivery:
 *
 * - An NMI or external interrupt only if Keel injected it on this very
 *   entry or, with virtual-interrupt delivery, if it is that virtual
 *   interrupt: so when Keel injected nothing, it is the virtual interrupt
 *   whatever the field says, and if no virtual interrupt could have been in
 *   delivery (RFLAGS.IF clear, STI or MOV SS blocking, SVI not in service),
 *   nothing was: the record is stale and nothing is re-injected. Seen with
 *   guests on several CPUs, whose kicks make external-interrupt exits
 *   common: re-injecting the in-service vector delivered an interrupt to a
 *   Linux guest right after its CLI. On hardware this rewrites nothing:
 *   there the field already says exactly that.
 * - A software interrupt or exception (Bochs only: vmx_caps.bochs_vectoring)
 *   only if the instruction at RIP raises it (sw_event_at_rip); otherwise
 *   it is the virtual interrupt if one could be in delivery, else nothing.
 * - A hardware exception can be in delivery for real (the guest raised it),
 *   so only on Bochs, and only when the exit may have cut a virtual-
 *   interrupt delivery short, is it taken for the stale record it then is.
 */
static u32 bochs_fix_vectoring(struct vcpu *v, u32 idt, u32 injected)
{
	u32 type = VMCS_INTR_INFO_TYPE(idt);
	bool sw_stale = vmx_caps.bochs_vectoring && sw_event_type(type);
	bool async = type == VMCS_INTR_TYPE_NMI || type == VMCS_INTR_TYPE_EXTERNAL;
	unsigned svi;

	if (injected & VMCS_INTR_INFO_VALID)
		return idt;
	if (sw_stale && sw_event_at_rip(v, idt))
		return idt; /* the guest's own INT n, INT3, INTO or INT1 */
	if (!v->lapic.apicv)
		return sw_stale ? 0 : idt;
	svi = (unsigned)((vmcs_read(VMCS_GUEST_INTR_STATUS) >> 8) & 0xFF);
	if (!virtual_delivery_possible(v, svi))
		return async || sw_stale ? 0 : idt; /* nothing could be in delivery */
	if (!async && !vmx_caps.bochs_vectoring)
		return idt;
	return VMCS_INTR_INFO_VALID | (VMCS_INTR_TYPE_EXTERNAL << 8) | svi;
}

/*
 * An exit that interrupted the delivery of an event (IDT-vectoring info
 * valid: say an EPT violation on the guest's IDT or stack while it took an
 * interrupt) leaves the event undelivered. Unless the handler queued
 * something else, inject the same event again (SDM Vol. 3C 28.2.4
 * "Information for VM Exits During Event Delivery", 30.3 "Reflecting
 * Exceptions to Guest Software").
 */
static void reinject_vectored_event(struct vcpu *v, u32 injected)
{
	u32 idt = (u32)vmcs_read(VMCS_IDT_VECTORING_INFO);
	u32 type;

	v->last_idt = idt;
	v->last_idt_fixed = 0;
	if (!(idt & VMCS_INTR_INFO_VALID) || !guest_running(v->guest) ||
	    (vmcs_read(VMCS_ENTRY_INTR_INFO) & VMCS_INTR_INFO_VALID))
		return;
	idt = bochs_fix_vectoring(v, idt, injected);
	v->last_idt_fixed = idt;
	if (!(idt & VMCS_INTR_INFO_VALID))
		return;
	type = VMCS_INTR_INFO_TYPE(idt);
	if (idt & VMCS_INTR_INFO_ERROR_CODE)
		vmcs_write(VMCS_ENTRY_EXCEPTION_ERROR_CODE,
			   vmcs_read(VMCS_IDT_VECTORING_ERROR_CODE));
	if (type == VMCS_INTR_TYPE_SW_INTERRUPT || type == VMCS_INTR_TYPE_SW_EXCEPTION ||
	    type == VMCS_INTR_TYPE_PRIV_SW_EXCEPTION)
		vmcs_write(VMCS_ENTRY_INSTRUCTION_LEN, vmcs_read(VMCS_EXIT_INSTRUCTION_LEN));
	/* Bits 30:12 of the entry field are reserved: keep vector, type, error-code, valid. */
	vcpu_queue_event(v, idt & (VMCS_INTR_INFO_VALID | VMCS_INTR_INFO_ERROR_CODE | 0x7FF));
}

/*
 * Exits that can happen while the CPU delivers an event (SDM 28.2.4): only
 * after these can IDT-vectoring information be valid. Instruction exits
 * (CPUID, I/O, MSRs, VMCALL...) never do, so they skip the VMREAD.
 */
static bool may_interrupt_delivery(u32 basic)
{
	return basic == EXIT_REASON_EXCEPTION_NMI || basic == EXIT_REASON_EPT_VIOLATION ||
	       basic == EXIT_REASON_EPT_MISCONFIG || basic == EXIT_REASON_APIC_ACCESS ||
	       basic == EXIT_REASON_TASK_SWITCH || basic == EXIT_REASON_TRIPLE_FAULT ||
	       basic == EXIT_REASON_EXTERNAL_INTERRUPT || basic == EXIT_REASON_PML_FULL ||
	       basic == EXIT_REASON_SPP;
}

void exit_dispatch(struct vcpu *v, u32 injected)
{
	u32 reason = (u32)vmcs_read(VMCS_EXIT_REASON);
	u32 basic = EXIT_REASON_BASIC(reason);
	exit_handler_fn *fn;

	if (basic < EXIT_REASON_COUNT)
		v->guest->stats.exit_count[basic]++;
	else
		v->guest->stats.exits_unlisted++;
	v->last_exit = reason;
	v->last_idt = 0;
	v->last_idt_fixed = 0;
	if (reason & EXIT_REASON_ENTRY_FAILURE) {
		handle_entry_failure(v);
		return;
	}
	if (basic >= EXIT_REASON_COUNT) {
		exit_report_unhandled(v, "exit reason outside the SDM's table");
		return;
	}
	fn = exit_handlers[basic];
	(fn ? fn : handle_unhandled)(v);
	if (may_interrupt_delivery(basic))
		reinject_vectored_event(v, injected);
}
