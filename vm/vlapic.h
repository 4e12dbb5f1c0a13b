/*
 * A vCPU's local APIC (xAPIC mode): the register page (vm/apic_core.c, the
 * VMX virtual-APIC page as well), the timer, IPIs, IA32_APIC_BASE and
 * IA32_TSC_DEADLINE. Two ways in, chosen per vCPU at creation:
 *
 *  - APIC virtualization (the CPU has APIC-register virtualization and
 *    virtual-interrupt delivery): the APIC-access page is mapped at the
 *    APIC base; the CPU serves reads from the page, completes TPR and EOI
 *    writes and delivers interrupts itself (RVI/SVI), and reports the other
 *    writes as APIC-write exits after storing them;
 *  - emulation: the APIC base is an MMIO region (dev/dev.h); each access is
 *    an EPT violation whose instruction vm/mmio.c emulates. CR8 reaches the
 *    TPR through the TPR shadow when the CPU has one.
 *
 * docs/platform.md describes what a guest sees.
 */
#ifndef KEEL_VM_VLAPIC_H
#define KEEL_VM_VLAPIC_H

#include "lib/types.h"
#include "mm/addr.h"
#include "vm/vtimer.h"

struct vcpu;
struct irq_msg;

struct vlapic {
	struct vcpu *vcpu;
	u32 *page;	  /* registers: the virtual-APIC page */
	hpa_t page_hpa;	  /* 0 until created */
	hpa_t access_hpa; /* APIC-access page (APIC virtualization), else 0 */
	u64 base_msr;	  /* IA32_APIC_BASE */
	u32 x2apic_id;	  /* 32-bit APIC ID (the vCPU's index); its low 8 bits are the xAPIC ID */
	u64 mapped_gpa;	  /* where the APIC-access page is mapped in the EPT, or ~0 */
	bool apicv;	  /* APIC-register virtualization + virtual-interrupt delivery */
	bool x2apic_used; /* the guest entered x2APIC mode (summary) */
	bool rvi_dirty;	  /* IRR changed behind the CPU: RVI to recompute before entry */
	bool eoi_exit_dirty; /* TMR changed: the EOI-exit bitmap to rewrite before entry */
	u32 pending_esr;     /* errors not yet moved into ESR by an ESR write */
	struct vtimer timer;
	u64 timer_start;     /* TSC when the current count (from TMICT) began */
	unsigned timer_div;  /* divide value in force */
	u64 tsc_deadline;    /* IA32_TSC_DEADLINE as the guest wrote it, 0: disarmed */
	u64 timer_fired;     /* interrupts the timer raised (summary) */
	u64 ipis;	     /* IPIs the guest sent (summary) */
	u64 access_unmapped; /* times the APIC-access page could not be mapped (creation, base
				moves) */
};

/* Whether APIC virtualization will be used (CPU support and the apicv= option). */
bool vlapic_use_apicv(void);
/* Allocates the pages, resets the APIC to the state a BIOS leaves, claims the MMIO range. */
bool vlapic_create(struct vlapic *l, struct vcpu *v, bool apicv);
/* Writes the APIC fields of the current VMCS (virtual-APIC page, access page...). */
void vlapic_vmcs_setup(struct vlapic *l);
/* The most frames an APIC holds: its register page and the APIC-access page. */
#define VLAPIC_FRAMES 2
/* Unmaps and frees what vlapic_create took (before the guest's EPT goes). */
void vlapic_destroy(struct vlapic *l);

/* INIT (vmx/vcpu.c, the vCPU's VMCS current): the registers reset, the ID kept. */
void vlapic_init_reset(struct vlapic *l);

/* MSRs: false means #GP. */
bool vlapic_rdmsr(struct vlapic *l, u32 msr, u64 *val);
bool vlapic_wrmsr(struct vlapic *l, u32 msr, u64 val);
/* True for the MSRs vlapic_rdmsr/wrmsr answer. */
bool vlapic_owns_msr(u32 msr);

/* The guest wrote IA32_TSC or TSC_ADJUST: an armed TSC deadline moves with its TSC. */
void vlapic_tsc_offset_changed(struct vlapic *l);
/* An edge-triggered fixed interrupt for this APIC (timer, IPI, device). */
void vlapic_raise(struct vlapic *l, unsigned vec);
/* True if an interrupt message with this destination is for this APIC (SDM 11.6.2). */
bool vlapic_match_msg(const struct vlapic *l, u8 dest, bool logical);
/*
 * An interrupt message for this APIC (an I/O APIC's, vm/irq.h): fixed and
 * lowest priority go to IRR (TMR set if level-triggered), NMI to the vCPU;
 * true if accepted. INIT ends the guest (a vCPU reset is not modelled);
 * SMI, ExtINT and the reserved modes are not accepted.
 */
bool vlapic_receive(struct vlapic *l, const struct irq_msg *m);
/* The highest request the APIC would dispatch now, or -1 (software delivery). */
int vlapic_pending(struct vlapic *l);
/* The processor accepted vec (software delivery): IRR -> ISR. */
void vlapic_accept(struct vlapic *l, unsigned vec);
/* True when the 8259's INTR reaches the processor (LINT0 ExtINT, or APIC off). */
bool vlapic_extint_open(const struct vlapic *l);
/* TPR threshold for the TPR shadow: the class of a request held back by TPR, else 0. */
u32 vlapic_tpr_threshold(struct vlapic *l);
/* Recomputes RVI from IRR into the current VMCS (APIC virtualization). */
void vlapic_sync_rvi(struct vlapic *l);
/*
 * Writes the EOI-exit bitmap of the current VMCS from TMR (APIC
 * virtualization): the EOI of a level-triggered vector exits, so it can
 * reach the I/O APIC.
 */
void vlapic_sync_eoi_exit(struct vlapic *l);
/* CR8 without a TPR shadow (CR8-load/store exiting). */
u64 vlapic_read_cr8(struct vlapic *l);
void vlapic_write_cr8(struct vlapic *l, u64 val);

/* Exit handlers: APIC access (emulate the instruction), APIC write and virtualized EOI (traps). */
void apic_access_handle_exit(struct vcpu *v);
void apic_write_handle_exit(struct vcpu *v);
void virtualized_eoi_handle_exit(struct vcpu *v);

#endif
