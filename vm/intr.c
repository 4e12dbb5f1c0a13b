/*
 * Event delivery to a vCPU (vm/intr.h). Only NMIs and external interrupts
 * are decided here; exceptions are queued by the exit handlers (and
 * re-queued by vmx/exit.c when an exit interrupted their delivery), and
 * an event already queued for this entry always goes first.
 */
#include "vm/intr.h"
#include "arch/x86/apic_regs.h"
#include "arch/x86/cpu.h"
#include "arch/x86/cr.h"
#include "vm/guest.h"
#include "vm/irq.h"
#include "vm/vlapic.h"
#include "vmx/vcpu.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "vmx/vmx_controls.h"
#include "vmx/vmx_insn.h"

void intr_kick(struct vcpu *v)
{
	__atomic_store_n(&v->intr_dirty, true, __ATOMIC_RELEASE);
	if (v->guest->vcpu_count > 1)
		vcpu_kick(v); /* another CPU's vCPU: it looks before its next entry */
}

void irq_intr_changed(struct guest *g)
{
	intr_kick(&g->vcpus[0]);
}

void intr_raise_nmi(struct vcpu *v)
{
	__atomic_store_n(&v->nmi_pending, true, __ATOMIC_RELEASE);
	intr_kick(v);
}

/*
 * The guest's APIC bus: a message goes to every local APIC its destination
 * names or, lowest priority, to one of them: the first named (the SDM
 * leaves the arbitration to the implementation, Vol. 3A 11.6.2.4).
 */
bool irq_deliver(struct guest *g, const struct irq_msg *m)
{
	bool taken = false;

	for (unsigned i = 0; i < g->vcpu_count; i++) {
		struct vlapic *l = &g->vcpus[i].lapic;

		if (!l->vcpu || !vlapic_match_msg(l, m->dest, m->logical))
			continue; /* no vCPU yet (the guest is being built), or not for it */
		taken |= vlapic_receive(l, m);
		if (taken && m->delivery_mode == APIC_ICR_DM_LOWEST >> 8) /* to one APIC */
			break;
	}
	return taken;
}

/* An external interrupt Keel must inject itself (the CPU delivers virtual ones). */
static bool ext_pending(struct vcpu *v)
{
	struct vlapic *l = &v->lapic;

	if (!l->apicv && vlapic_pending(l) >= 0)
		return true;
	return vlapic_extint_open(l) && pic8259_intr(v->guest);
}

/* The INTA cycle: the APIC's highest deliverable request, else the 8259's vector. */
static unsigned ext_acknowledge(struct vcpu *v)
{
	struct vlapic *l = &v->lapic;
	int vec = l->apicv ? -1 : vlapic_pending(l);

	if (vec >= 0) {
		vlapic_accept(l, (unsigned)vec);
		return (unsigned)vec;
	}
	return pic8259_inta(v->guest);
}

bool intr_wakeable(struct vcpu *v)
{
	struct vlapic *l = &v->lapic;

	if (vcpu_signal_wakes(v))
		return true;
	if (v->wait_sipi)
		return false; /* only INIT and SIPI reach a vCPU in wait-for-SIPI */
	if (v->halted_if_clear && !v->blocked_on)
		return __atomic_load_n(&v->nmi_pending, __ATOMIC_ACQUIRE); /* `cli; hlt` */
	return v->nmi_pending || vlapic_pending(l) >= 0 ||
	       (vlapic_extint_open(l) && pic8259_intr(v->guest));
}

static void set_windows(struct vcpu *v, u32 want)
{
	u32 ctls =
	    (v->proc_ctls & ~(u32)(PROC_INTERRUPT_WINDOW_EXITING | PROC_NMI_WINDOW_EXITING)) | want;

	if (ctls != v->proc_ctls) {
		vmcs_write(VMCS_PROC_BASED_CTLS, ctls);
		v->proc_ctls = ctls;
	}
}

static void inject(struct vcpu *v, u32 type, unsigned vec)
{
	vcpu_queue_event(v, VMCS_INTR_INFO_VALID | (type << 8) | vec);
}

static void evaluate(struct vcpu *v)
{
	struct vlapic *l = &v->lapic;
	bool queued = vmcs_read(VMCS_ENTRY_INTR_INFO) & VMCS_INTR_INFO_VALID;
	/*
	 * A single-step or breakpoint #DB Keel made pending after an emulated
	 * instruction (vcpu_retire_instruction, vcpu_pend_breakpoints) ranks
	 * above NMIs and interrupts (SDM Vol. 3A 6.9, Table 6-2), and an
	 * injected event would discard it: let the CPU deliver it first and
	 * come back through the window exits.
	 */
	bool db_pending = vmcs_read(VMCS_GUEST_PENDING_DBG_EXCEPTIONS) &
			  (VMCS_PENDING_DBG_BS | VMCS_PENDING_DBG_ENABLED_BP);
	u64 blocking = vcpu_interruptibility(v);
	u32 want = 0;

	if (v->nmi_pending) {
		if (!queued && !db_pending &&
		    !(blocking & (VMCS_INTR_BLOCKING_STI | VMCS_INTR_BLOCKING_MOV_SS |
				  VMCS_INTR_BLOCKING_NMI))) {
			inject(v, VMCS_INTR_TYPE_NMI, 2);
			v->nmi_pending = false;
			v->nmis_injected++;
			queued = true;
		} else if (v->virtual_nmis) {
			want |= PROC_NMI_WINDOW_EXITING;
		}
	}
	if (ext_pending(v)) {
		if (!queued && !db_pending && (vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_IF) &&
		    !(blocking & (VMCS_INTR_BLOCKING_STI | VMCS_INTR_BLOCKING_MOV_SS))) {
			inject(v, VMCS_INTR_TYPE_EXTERNAL, ext_acknowledge(v));
			v->irqs_injected++;
			/* Another may be pending behind it: look again at the next exit. */
			v->intr_dirty = ext_pending(v);
			if (v->intr_dirty)
				want |= PROC_INTERRUPT_WINDOW_EXITING;
		} else {
			want |= PROC_INTERRUPT_WINDOW_EXITING;
		}
	}
	set_windows(v, want);
	if (v->tpr_shadow && !l->apicv) {
		u32 t = vlapic_tpr_threshold(l);

		if (t != v->tpr_threshold) {
			vmcs_write(VMCS_TPR_THRESHOLD, t);
			v->tpr_threshold = t;
		}
	}
}

void intr_prepare_entry(struct vcpu *v)
{
	struct guest *g = v->guest;
	u64 next = g->vtimer_next; /* vtimer_next(), without the call */

	if (next) {
		u64 now = rdtsc();

		if (next <= now)
			vtimer_expire(g, now);
	}
	/* Cleared before what it announces is read: another CPU may set it again meanwhile. */
	if (!__atomic_exchange_n(&v->intr_dirty, false, __ATOMIC_SEQ_CST))
		return;
	if (v->lapic.apicv && __atomic_load_n(&v->lapic.rvi_dirty, __ATOMIC_ACQUIRE))
		vlapic_sync_rvi(&v->lapic);
	if (v->lapic.apicv && __atomic_load_n(&v->lapic.eoi_exit_dirty, __ATOMIC_ACQUIRE))
		vlapic_sync_eoi_exit(&v->lapic);
	evaluate(v);
}

/* The guest can take an interrupt now: evaluate() injects it. */
void intr_window_handle_exit(struct vcpu *v)
{
	intr_kick(v);
}

void nmi_window_handle_exit(struct vcpu *v)
{
	intr_kick(v);
}

/* The guest lowered TPR (CR8, through the TPR shadow) below a held-back request. */
void tpr_below_threshold_handle_exit(struct vcpu *v)
{
	intr_kick(v);
}
