/*
 * The virtual local APIC (vm/vlapic.h): glue between the register
 * semantics of vm/apic_core.c and time, delivery, MSRs and the two ways a
 * guest reaches the registers. Section numbers are the Intel SDM's (Vol.
 * 3A chapter 11 for the APIC, Vol. 3C chapter 30 for APIC virtualization).
 */
#include "vm/vlapic.h"
#include "lib/panic.h"
#include "arch/x86/apic_regs.h"
#include "arch/x86/cpu.h"
#include "boot/options.h"
#include "dev/dev.h"
#include "lib/console.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "vm/apic_core.h"
#include "vm/guest.h"
#include "vm/intr.h"
#include "vm/irq.h"
#include "vm/mmio.h"
#include "vmx/apic_access_qual.h"
#include "vmx/exit.h"
#include "vmx/vcpu.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "vmx/vmx_controls.h"
#include "vmx/vmx_insn.h"

bool vlapic_use_apicv(void)
{
	u32 need = PROC2_VIRTUALIZE_APIC_ACCESSES | PROC2_APIC_REGISTER_VIRTUALIZATION |
		   PROC2_VIRTUAL_INTERRUPT_DELIVERY;

	return keel_opts.apicv && (vmx_caps.proc2 >> 32 & need) == need &&
	       (vmx_caps.proc >> 32 & PROC_USE_TPR_SHADOW) &&
	       (vmx_caps.pin >> 32 & PIN_EXTERNAL_INTERRUPT_EXITING);
}

static bool globally_enabled(const struct vlapic *l)
{
	return l->base_msr & APIC_BASE_EN;
}

static bool x2apic_mode(const struct vlapic *l)
{
	return (l->base_msr & (APIC_BASE_EN | APIC_BASE_EXTD)) == (APIC_BASE_EN | APIC_BASE_EXTD);
}

/* The memory-mapped interface answers only in xAPIC mode (11.12.1). */
static bool mmio_enabled(const struct vlapic *l)
{
	return globally_enabled(l) && !x2apic_mode(l);
}

static u64 base_gpa(const struct vlapic *l)
{
	return l->base_msr & APIC_BASE_ADDR_MASK;
}

static struct guest *lguest(const struct vlapic *l)
{
	return l->vcpu->guest;
}

/*
 * A guest has one APIC-access page, vCPU 0's: the CPU virtualizes an access
 * when the guest-physical address translates to the page its VMCS names,
 * so every vCPU's VMCS names the same one and one EPT mapping serves all.
 * vCPU 0's base decides where it is mapped (with several vCPUs the base
 * cannot move: vlapic_wrmsr).
 */
static bool owns_access_page(const struct vlapic *l)
{
	return hpa_addr(l->access_hpa) && l->vcpu->index == 0;
}

/*
 * Removes the APIC-access page from where it is mapped (with INVEPT; the
 * EPT tables only it needed are freed, so moving the APIC about cannot
 * grow the guest's tables). Keel mapped the page itself with a 4 KiB leaf:
 * removing it needs no split and cannot fail.
 */
static void unmap_access_page(struct vlapic *l)
{
	CHECK(gmem_unmap_foreign(&lguest(l)->mem, gpa(l->mapped_gpa)) == GMEM_OK);
	l->mapped_gpa = ~0ULL;
}

/* Some vCPU of the guest reaches its APIC through the access page (xAPIC mode, APICv). */
static bool access_page_wanted(const struct guest *g)
{
	for (unsigned i = 0; i < g->vcpu_count; i++) {
		const struct vlapic *v = &g->vcpus[i].lapic;

		if (v->vcpu && v->apicv && mmio_enabled(v))
			return true;
	}
	return false;
}

/*
 * The APIC-access page follows the base: mapped where the APIC answers,
 * nowhere when it is off, in x2APIC mode, or once APIC virtualization is
 * no longer used (the page would then be plain memory to the guest); with
 * several vCPUs (the base fixed), mapped while any vCPU still uses it.
 * Where it cannot be mapped (inside RAM, or the guest's frame limit leaves
 * no room for its tables) the APIC answers on the emulated path, through
 * EPT violations (vm/mmio.c), and the count says so. Any vCPU's change
 * comes here; vCPU 0's APIC holds the mapping.
 */
static void remap_access_page(struct vlapic *changed)
{
	struct guest *g = lguest(changed);
	struct vlapic *l = &g->vcpus[0].lapic;
	struct gmem *m = &g->mem;
	u64 want = access_page_wanted(g) ? base_gpa(l) : ~0ULL;
	enum gmem_status s;

	if (!owns_access_page(l) || want == l->mapped_gpa)
		return;
	if (l->mapped_gpa != ~0ULL)
		unmap_access_page(l);
	if (want == ~0ULL)
		return;
	s = gmem_map_foreign(m, gpa(want), l->access_hpa);
	if (s == GMEM_OK) {
		l->mapped_gpa = want;
		return;
	}
	/* Said once per build (a guest moving its APIC about could say it often). */
	if (!l->access_unmapped++)
		pr_info("guest %s: apic: no room to map its APIC-access page at 0x%lx (%s): "
			"accesses there are emulated",
			g->name, want, gmem_status_name(s));
}

static void raise_error(struct vlapic *l, u32 bits);

/*
 * 11.8.4: a fixed interrupt accepted into IRR, TMR set for a level-triggered
 * one and cleared for an edge-triggered one (the EOI-exit bitmap follows
 * TMR). False for an illegal vector.
 */
static bool request(struct vlapic *l, unsigned vec, bool level)
{
	if (vec < 16) { /* 11.5.3: vectors 0-15 are illegal */
		raise_error(l, APIC_ESR_RECV_ILLEGAL_VECTOR);
		return false;
	}
	if (apic_request(l->page, vec, level))
		__atomic_store_n(&l->eoi_exit_dirty, true, __ATOMIC_RELEASE);
	__atomic_store_n(&l->rvi_dirty, true, __ATOMIC_RELEASE);
	intr_kick(l->vcpu);
	return true;
}

void vlapic_raise(struct vlapic *l, unsigned vec)
{
	(void)request(l, vec, false);
}

/* 11.5.3: an error is latched and signalled through the LVT error entry. */
static void raise_error(struct vlapic *l, u32 bits)
{
	u32 lvt = apic_get(l->page, APIC_LVT_ERROR);

	apic_error(&l->pending_esr, bits);
	if (!(lvt & APIC_LVT_MASKED) && (lvt & APIC_LVT_VECTOR) >= 16)
		vlapic_raise(l, lvt & APIC_LVT_VECTOR);
}

int vlapic_pending(struct vlapic *l)
{
	if (!globally_enabled(l))
		return -1;
	return apic_pending(l->page);
}

void vlapic_accept(struct vlapic *l, unsigned vec)
{
	apic_accept(l->page, vec);
}

bool vlapic_extint_open(const struct vlapic *l)
{
	u32 lint0 = apic_get(l->page, APIC_LVT_LINT0);

	if (!globally_enabled(l))
		return true; /* 11.4.3: the APIC is bypassed, INTR goes to the processor */
	return !(lint0 & APIC_LVT_MASKED) && (lint0 & APIC_LVT_DM_MASK) == APIC_LVT_DM_EXTINT;
}

u32 vlapic_tpr_threshold(struct vlapic *l)
{
	int req = apic_requested(l->page);
	u32 tpr_class = (apic_get(l->page, APIC_TPR) >> 4) & 0xF;
	u32 req_class;

	if (req < 0)
		return 0;
	req_class = ((u32)req >> 4) & 0xF;
	/* Held back by TPR: exit once the guest lowers TPR below the request's class. */
	return req_class <= tpr_class ? req_class : 0;
}

void vlapic_sync_rvi(struct vlapic *l)
{
	int req;
	u64 status = vmcs_read(VMCS_GUEST_INTR_STATUS);

	/* Cleared before IRR is read: a request another CPU adds after is seen next time. */
	__atomic_store_n(&l->rvi_dirty, false, __ATOMIC_SEQ_CST);
	req = apic_requested(l->page);
	vmcs_write(VMCS_GUEST_INTR_STATUS, (status & 0xFF00) | (u64)(req < 0 ? 0 : req));
}

void vlapic_sync_eoi_exit(struct vlapic *l)
{
	static const u32 fields[4] = {VMCS_EOI_EXIT_BITMAP0, VMCS_EOI_EXIT_BITMAP1,
				      VMCS_EOI_EXIT_BITMAP2, VMCS_EOI_EXIT_BITMAP3};

	__atomic_store_n(&l->eoi_exit_dirty, false, __ATOMIC_SEQ_CST); /* as in vlapic_sync_rvi */
	/* Bitmap i covers vectors 64i-64i+63: TMR registers 2i and 2i+1, 16 bytes apart. */
	for (unsigned i = 0; i < 4; i++)
		vmcs_write(fields[i], apic_get(l->page, APIC_TMR + 0x20 * i) |
					  (u64)apic_get(l->page, APIC_TMR + 0x20 * i + 0x10) << 32);
}

/* 11.8.4: the EOI of a vector whose TMR bit is set is sent to the I/O APIC. */
static void eoi_message(struct vlapic *l, int vec)
{
	if (vec >= 0 && apic_vec_test(l->page, APIC_TMR, (unsigned)vec))
		ioapic_eoi(lguest(l), (unsigned)vec);
}

u64 vlapic_read_cr8(struct vlapic *l)
{
	return (apic_get(l->page, APIC_TPR) >> 4) & 0xF;
}

void vlapic_write_cr8(struct vlapic *l, u64 val)
{
	apic_put(l->page, APIC_TPR, (u32)(val & 0xF) << 4);
	apic_update_ppr(l->page);
	intr_kick(l->vcpu);
}

/* ---- Timer (11.5.4): counts at the TSC rate divided by TDCR. ---- */

static u32 timer_mode(const struct vlapic *l)
{
	return apic_get(l->page, APIC_LVT_TIMER) & APIC_LVT_TIMER_MODE;
}

static bool tsc_deadline_offered(void)
{
	return true; /* CPUID.1:ECX[24] (vm/cpuid.c) */
}

/* Counts elapsed since the count began, at the divided rate. */
static u64 timer_elapsed(const struct vlapic *l, u64 now)
{
	return now > l->timer_start ? (now - l->timer_start) / l->timer_div : 0;
}

static u32 timer_current(const struct vlapic *l, u64 now)
{
	u32 initial = apic_get(l->page, APIC_TMICT);
	u64 e;

	if (!initial || timer_mode(l) == APIC_TIMER_TSCDEADLINE)
		return 0;
	e = timer_elapsed(l, now);
	if (timer_mode(l) == APIC_TIMER_PERIODIC)
		return initial - (u32)(e % initial);
	return e >= initial ? 0 : initial - (u32)e;
}

/* Arms the vtimer for the end of the current period (counting mode). */
static void timer_arm_count(struct vlapic *l, u64 now)
{
	u32 initial = apic_get(l->page, APIC_TMICT);
	u64 period = (u64)initial * l->timer_div, e;

	if (!initial) {
		vtimer_stop(&l->timer);
		return;
	}
	if (timer_mode(l) == APIC_TIMER_PERIODIC) {
		e = now > l->timer_start ? now - l->timer_start : 0;
		vtimer_arm(&l->timer, now + period - e % period);
	} else if (timer_elapsed(l, now) < initial) {
		vtimer_arm(&l->timer, l->timer_start + period);
	} else {
		vtimer_stop(&l->timer);
	}
}

/*
 * A periodic timer interrupts at most every APIC_TIMER_MIN_PERIOD_US: a
 * period shorter than one VM exit would live-lock the vCPU in timer exits
 * (each entry would last less than an instruction). Periods that elapse
 * in between coalesce into one request, as interrupts held off by IF do.
 * TMCCT still counts at the programmed rate.
 */
#define APIC_TIMER_MIN_PERIOD_US 200

static void timer_fire(struct guest *g, struct vtimer *t, u64 now)
{
	struct vlapic *l = t->ctx;
	u32 lvt = apic_get(l->page, APIC_LVT_TIMER);

	if (timer_mode(l) == APIC_TIMER_TSCDEADLINE) {
		l->tsc_deadline = 0; /* fired: the MSR reads 0 (11.5.4.1) */
	} else if (timer_mode(l) == APIC_TIMER_PERIODIC) {
		u64 min_next = now + clock_to_tsc(APIC_TIMER_MIN_PERIOD_US, 1000000);

		timer_arm_count(l, now);
		if (vtimer_armed(&l->timer) && l->timer.deadline < min_next)
			vtimer_arm(&l->timer, min_next);
	}
	if (!(lvt & APIC_LVT_MASKED)) {
		l->timer_fired++;
		vlapic_raise(l, lvt & APIC_LVT_VECTOR);
	}
}

/* ---- IPIs (11.6): one vCPU per guest, so only this APIC can be a target. ---- */

/*
 * 11.12.9, 11.12.10.2: a 32-bit destination; 0xFFFFFFFF broadcasts; a
 * logical one is a cluster (31:16) and a member mask (15:0), against the
 * logical x2APIC ID derived from the x2APIC ID.
 */
static bool x2apic_match_dest(const struct vlapic *l, u32 dest, bool logical)
{
	u32 ldr = apic_get(l->page, APIC_LDR);

	if (dest == 0xFFFFFFFF)
		return true;
	if (!logical)
		return dest == l->x2apic_id;
	return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xFFFF);
}

/* True if the ICR's destination (shorthand or field) names target; l sends. */
static bool ipi_names(const struct vlapic *l, const struct vlapic *target, u32 lo, u32 hi)
{
	if (!globally_enabled(target))
		return false; /* 11.4.3: without its APIC the processor takes no IPIs */
	switch (lo & APIC_ICR_SHORTHAND) {
	case APIC_ICR_DEST_SELF:
		return target == l;
	case APIC_ICR_DEST_ALL:
		return true;
	case APIC_ICR_DEST_OTHERS:
		return target != l;
	default:
		if (x2apic_mode(l))
			return x2apic_match_dest(target, hi, lo & APIC_ICR_LOGICAL);
		return apic_match_dest(target->page, (u8)(hi >> APIC_ICR_HI_DEST_SHIFT),
				       lo & APIC_ICR_LOGICAL);
	}
}

/* One IPI for target, by its delivery mode (SDM Vol. 3A 11.6.1). */
static void ipi_deliver(struct vlapic *target, u32 lo)
{
	unsigned vec = lo & APIC_ICR_VECTOR;

	switch (lo & APIC_ICR_DM_MASK) {
	case APIC_ICR_DM_FIXED:
	case APIC_ICR_DM_LOWEST:
		vlapic_raise(target, vec);
		break;
	case APIC_ICR_DM_NMI:
		intr_raise_nmi(target->vcpu);
		break;
	case APIC_ICR_DM_INIT:
		if ((lo & APIC_ICR_LEVEL) && !(lo & APIC_ICR_ASSERT))
			break; /* INIT level de-assert: no effect on this processor family */
		vcpu_signal_init(target->vcpu);
		break;
	case APIC_ICR_DM_SIPI:
		vcpu_signal_sipi(target->vcpu, vec);
		break;
	default: /* SMI, reserved modes: ignored */
		break;
	}
}

/*
 * An IPI (11.6): to every vCPU of the guest its destination names, the
 * sender included. Lowest priority goes to one of them: the first named
 * (the SDM leaves the arbitration to the implementation, 11.6.2.4). A
 * destination that names nobody drops it, as on a bus with nobody to
 * accept it.
 */
static void send_ipi(struct vlapic *l)
{
	struct guest *g = lguest(l);
	u32 lo = apic_get(l->page, APIC_ICR_LO), hi = apic_get(l->page, APIC_ICR_HI);
	u32 dm = lo & APIC_ICR_DM_MASK;
	unsigned vec = lo & APIC_ICR_VECTOR;

	l->ipis++;
	if ((dm == APIC_ICR_DM_FIXED || dm == APIC_ICR_DM_LOWEST) && vec < 16) {
		raise_error(l, APIC_ESR_SEND_ILLEGAL_VECTOR);
		return;
	}
	for (unsigned i = 0; i < g->vcpu_count; i++) {
		struct vlapic *t = &g->vcpus[i].lapic;

		if (!t->vcpu || !ipi_names(l, t, lo, hi))
			continue;
		ipi_deliver(t, lo);
		if (dm == APIC_ICR_DM_LOWEST)
			break;
	}
}

/* ---- Interrupt messages from the I/O APIC (vm/irq.h) ---- */

bool vlapic_match_msg(const struct vlapic *l, u8 dest, bool logical)
{
	if (!globally_enabled(l))
		return false; /* 11.4.3: without its APIC the processor takes no messages */
	if (x2apic_mode(l))
		return x2apic_match_dest(l, dest == 0xFF ? 0xFFFFFFFF : dest, logical);
	return apic_match_dest(l->page, dest, logical);
}

bool vlapic_receive(struct vlapic *l, const struct irq_msg *m)
{
	switch ((u32)m->delivery_mode << APIC_LVT_DM_SHIFT) {
	case APIC_ICR_DM_FIXED:
	case APIC_ICR_DM_LOWEST:
		return request(l, m->vector, m->level);
	case APIC_ICR_DM_NMI:
		intr_raise_nmi(l->vcpu);
		return true;
	case APIC_ICR_DM_INIT:
		vcpu_signal_init(l->vcpu);
		return true;
	default: /* SMI (no SMM), ExtINT (the 8259 reaches the vCPU through LINT0), reserved */
		return false;
	}
}

/* ---- Register access, shared by the MMIO and APIC-write paths. ---- */

static u32 reg_read(struct vlapic *l, unsigned off)
{
	bool illegal;
	u32 v;

	if (off == APIC_TMCCT)
		return timer_current(l, rdtsc());
	v = apic_read(l->page, off, &illegal);
	if (illegal)
		raise_error(l, APIC_ESR_ILLEGAL_REGISTER);
	return v;
}

/*
 * An EOI written on the emulated path while the vCPU uses virtual-interrupt
 * delivery (its APIC-access page is not mapped where the APIC answers: no
 * room for the tables, remap_access_page): what the CPU's EOI
 * virtualization does for one written to the page (SDM Vol. 3C 30.1.4
 * "EOI Virtualization"), SVI set to the highest vector still in service,
 * or 0, and the requests evaluated again at the next VM entry. apic_write
 * has cleared the ISR bit. Left out, SVI keeps the old vector, the virtual
 * PPR keeps its class (30.1.3 "PPR Virtualization") and no interrupt of
 * that class or below is delivered again. Only the vCPU itself writes its
 * EOI, on its own exit: the current VMCS is l's.
 */
static void emulated_eoi_svi(struct vlapic *l)
{
	int svi = apic_vec_highest(l->page, APIC_ISR);
	u64 status = vmcs_read(VMCS_GUEST_INTR_STATUS);

	vmcs_write(VMCS_GUEST_INTR_STATUS, (status & 0xFF) | (u64)(svi < 0 ? 0 : svi) << 8);
	__atomic_store_n(&l->rvi_dirty, true, __ATOMIC_RELEASE);
}

/* After val is (or, on the APIC-write path, was) written to register off. */
static void reg_write(struct vlapic *l, unsigned off, u32 val)
{
	u32 old_mode = timer_mode(l);
	u64 now = rdtsc();
	u32 count = timer_current(l, now);
	int eoi_vec = off == APIC_EOI ? apic_vec_highest(l->page, APIC_ISR) : -1;

	if (off == APIC_ESR) { /* 11.5.3: a write moves the errors seen since into ESR */
		apic_put(l->page, APIC_ESR, l->pending_esr);
		l->pending_esr = 0;
		return;
	}
	switch (apic_write(l->page, off, val, tsc_deadline_offered())) {
	case APIC_ACT_EOI:
		eoi_message(l, eoi_vec);
		if (l->apicv)
			emulated_eoi_svi(l);
		intr_kick(l->vcpu);
		break;
	case APIC_ACT_LINT:
		intr_kick(l->vcpu);
		break;
	case APIC_ACT_SEND_IPI:
		send_ipi(l);
		break;
	case APIC_ACT_TIMER_COUNT:
		if (old_mode == APIC_TIMER_TSCDEADLINE) {
			apic_put(l->page, APIC_TMICT, 0); /* ignored in TSC-deadline mode */
			break;
		}
		l->timer_start = now;
		timer_arm_count(l, now);
		break;
	case APIC_ACT_TIMER_LVT:
		if (timer_mode(l) != old_mode) { /* a mode change disarms the timer */
			apic_put(l->page, APIC_TMICT, 0);
			l->tsc_deadline = 0;
			vtimer_stop(&l->timer);
		}
		break;
	case APIC_ACT_TIMER_DIV:
		/* Keep the current count; later counts go at the new rate. */
		l->timer_div = apic_timer_divisor(apic_get(l->page, APIC_TDCR));
		if (apic_get(l->page, APIC_TMICT) && old_mode != APIC_TIMER_TSCDEADLINE) {
			u32 initial = apic_get(l->page, APIC_TMICT);
			u64 done = count ? initial - count : initial;

			l->timer_start = now - done * l->timer_div;
			timer_arm_count(l, now);
		}
		break;
	case APIC_ACT_ILLEGAL:
		raise_error(l, APIC_ESR_ILLEGAL_REGISTER);
		break;
	case APIC_ACT_NONE:
		if (off == APIC_TPR)
			intr_kick(l->vcpu);
		break;
	}
}

/* MMIO: registers are 32 bits wide on 16-byte boundaries; other bytes read 0. */
/* One region for the guest: each vCPU reaches its own APIC there. */
static u64 mmio_read(struct guest *g, void *state, u64 offset, unsigned size)
{
	struct vlapic *l = &g->exiting->lapic;
	unsigned reg = (unsigned)offset & ~0xFu, in = (unsigned)offset & 0xF;
	u64 v;

	if (!mmio_enabled(l))
		return ~0ULL; /* 11.4.3, 11.12.1: the range no longer belongs to the APIC */
	if (in >= 4)
		return 0;
	v = reg_read(l, reg) >> (in * 8);
	return size >= 8 ? v : v & ((1ULL << (size * 8)) - 1);
}

static void mmio_write(struct guest *g, void *state, u64 offset, unsigned size, u64 val)
{
	struct vlapic *l = &g->exiting->lapic;

	if (!mmio_enabled(l))
		return;
	/* Only whole aligned 32-bit writes reach a register (11.4.1). */
	if ((offset & 0xF) || size < 4) {
		raise_error(l, APIC_ESR_ILLEGAL_REGISTER);
		return;
	}
	reg_write(l, (unsigned)offset, (u32)val);
}

static const struct dev_ops vlapic_ops = {
    .name = "local APIC",
    .read = mmio_read,
    .write = mmio_write,
};

/*
 * APIC-access exit (30.4): an access the CPU did not virtualize. The
 * instruction's own read or write is emulated; an access during event
 * delivery, a fetch or a guest-physical one ends the guest, as on the
 * apicv=off path (vm/mmio_cause.c). The offset is defined for the linear
 * types only (Table 28-6): the others are reported at the page's base.
 */
void apic_access_handle_exit(struct vcpu *v)
{
	u64 q = vmcs_read(VMCS_EXIT_QUALIFICATION);
	u32 type = APIC_ACCESS_QUAL_TYPE(q), idt = (u32)vmcs_read(VMCS_IDT_VECTORING_INFO);
	u64 at = base_gpa(&v->lapic) +
		 (type <= APIC_ACCESS_LINEAR_DELIVERY ? APIC_ACCESS_QUAL_OFFSET(q) : 0);

	if (!mmio_handle_exit(v, at, mmio_cause_of_apic_access(q, idt), idt,
			      type == APIC_ACCESS_LINEAR_WRITE))
		exit_report_unhandled(v, "APIC access the emulator refused");
}

/* APIC-write exit (30.4.3.3): trap-like; the value is already in the page. */
void apic_write_handle_exit(struct vcpu *v)
{
	struct vlapic *l = &v->lapic;
	unsigned off = vmcs_read(VMCS_EXIT_QUALIFICATION) & 0xFF0;

	reg_write(l, off, apic_get(l->page, off));
}

/*
 * EOI-induced exit (30.1.4 "EOI Virtualization"): trap-like, the
 * qualification is the vector whose ISR bit the CPU has just cleared. Only
 * vectors set in the EOI-exit bitmap exit, and the bitmap is TMR
 * (vlapic_sync_eoi_exit): the EOI of a level-triggered interrupt, for the
 * I/O APIC. The CPU skipped evaluating pending virtual interrupts; the
 * next VM entry does it.
 */
void virtualized_eoi_handle_exit(struct vcpu *v)
{
	eoi_message(&v->lapic, (int)(vmcs_read(VMCS_EXIT_QUALIFICATION) & 0xFF));
	intr_kick(v);
}

/* ---- MSRs ---- */

static bool x2apic_read(struct vlapic *l, u32 msr, u64 *val);
static bool x2apic_write(struct vlapic *l, u32 msr, u64 val);

bool vlapic_owns_msr(u32 msr)
{
	return msr == MSR_IA32_APIC_BASE || msr == MSR_IA32_TSC_DEADLINE ||
	       (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST);
}

bool vlapic_rdmsr(struct vlapic *l, u32 msr, u64 *val)
{
	if (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST)
		return x2apic_mode(l) && x2apic_read(l, msr, val);
	if (msr == MSR_IA32_APIC_BASE) {
		*val = l->base_msr;
		return true;
	}
	if (msr == MSR_IA32_TSC_DEADLINE) {
		*val = timer_mode(l) == APIC_TIMER_TSCDEADLINE ? l->tsc_deadline : 0;
		return true;
	}
	return false;
}

/*
 * The x2APIC mode has no APIC-access page or virtual-interrupt delivery
 * here (Keel does not use "virtualize x2APIC mode"): the vCPU goes over to
 * the software path for good. The register page, ISR included, is what the
 * CPU left in it; RVI and SVI are no longer used.
 */
static void leave_apicv(struct vlapic *l)
{
	if (!l->apicv)
		return;
	vmcs_write(VMCS_PROC_BASED_CTLS2,
		   vmcs_read(VMCS_PROC_BASED_CTLS2) &
		       ~(u64)(PROC2_VIRTUALIZE_APIC_ACCESSES | PROC2_APIC_REGISTER_VIRTUALIZATION |
			      PROC2_VIRTUAL_INTERRUPT_DELIVERY));
	l->apicv = false;
	remap_access_page(l);
}

/* 11.12.5: EN/EXTD 00 disabled, 10 xAPIC, 11 x2APIC; 01 is invalid. */
static bool base_transition_valid(u64 from, u64 to)
{
	u64 m = APIC_BASE_EN | APIC_BASE_EXTD, f = from & m, t = to & m;

	if (t == APIC_BASE_EXTD)
		return false;
	if (f == m && t == APIC_BASE_EN)
		return false; /* x2APIC -> xAPIC only through disabled */
	if (f == 0 && t == m)
		return false; /* disabled -> x2APIC only through xAPIC */
	return true;
}

/* Every register to its reset value but the ID, the timer stopped (the current VMCS is l's). */
static void reset_registers(struct vlapic *l)
{
	u8 id = (u8)(apic_get(l->page, APIC_ID) >> 24);

	vtimer_stop(&l->timer);
	l->tsc_deadline = 0;
	l->pending_esr = 0;
	apic_reset(l->page, id);
	l->rvi_dirty = true;
	l->eoi_exit_dirty = true;
	if (l->apicv) /* nothing in service or requested: SVI and RVI are 0 */
		vmcs_write(VMCS_GUEST_INTR_STATUS, 0);
}

/*
 * 11.4.7.3: INIT resets the APIC's registers but the ID (and arbitration
 * ID); IA32_APIC_BASE, and so the mode, is unchanged. In x2APIC mode the
 * logical ID is derived from the x2APIC ID again (11.12.10.2).
 */
void vlapic_init_reset(struct vlapic *l)
{
	reset_registers(l);
	if (x2apic_mode(l))
		apic_put(l->page, APIC_LDR,
			 ((l->x2apic_id >> 4) << 16) | (1u << (l->x2apic_id & 0xF)));
	intr_kick(l->vcpu);
}

static void set_base(struct vlapic *l, u64 val)
{
	bool was_on = globally_enabled(l), on = val & APIC_BASE_EN;
	bool was_x2 = x2apic_mode(l), x2 = (val & APIC_BASE_EXTD) && on;

	if (was_on && !on) /* 11.4.3: disabling resets it; it stays so when re-enabled */
		reset_registers(l);
	if (x2 && !was_x2) {
		/* 11.12.5.1: the ID carries over; the logical ID derives from it (11.12.10.2). */
		apic_put(l->page, APIC_LDR,
			 ((l->x2apic_id >> 4) << 16) | (1u << (l->x2apic_id & 0xF)));
		apic_put(l->page, APIC_ICR_HI, 0);
		leave_apicv(l);
		l->x2apic_used = true;
	}
	l->base_msr = val;
	/* Only vCPU 0's APIC holds the region: the others' calls find none and change nothing. */
	dev_rebase(lguest(l), l, base_gpa(l), mmio_enabled(l));
	remap_access_page(l);
	intr_kick(l->vcpu);
}

/* ---- The x2APIC MSR interface (11.12.1.2, Table 11-6) ---- */

/* Register offset of an x2APIC MSR, or 0 if the MSR is not one of them. */
static unsigned x2apic_reg(u32 msr)
{
	unsigned off = (msr - MSR_X2APIC_FIRST) << 4;

	if (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST)
		return 0;
	if (off == APIC_ID || off == APIC_VERSION || off == APIC_TPR || off == APIC_PPR ||
	    off == APIC_EOI || off == APIC_LDR || off == APIC_SPIV ||
	    (off >= APIC_ISR && off <= APIC_ESR) || off == APIC_ICR_LO ||
	    (off >= APIC_LVT_TIMER && off <= APIC_TMCCT) || off == APIC_TDCR ||
	    off == X2APIC_SELF_IPI)
		return off;
	return 0; /* APR, RRD, DFR, ICR high, CMCI (not modelled) and the reserved rest */
}

static bool x2apic_read(struct vlapic *l, u32 msr, u64 *val)
{
	unsigned off = x2apic_reg(msr);

	if (!off || off == APIC_EOI || off == X2APIC_SELF_IPI)
		return false; /* no such register, or write-only */
	if (off == APIC_ID)
		*val = l->x2apic_id;
	else if (off == APIC_ICR_LO)
		*val = ((u64)apic_get(l->page, APIC_ICR_HI) << 32) |
		       (apic_get(l->page, APIC_ICR_LO) & ~(u32)APIC_ICR_BUSY);
	else
		*val = reg_read(l, off);
	return true;
}

/* Bits a WRMSR may set (the rest are reserved: #GP); 0 for read-only registers. */
static u64 x2apic_writable(unsigned off)
{
	switch (off) {
	case APIC_TPR:
	case X2APIC_SELF_IPI:
		return 0xFF;
	case APIC_SPIV:
		return APIC_SPIV_VECTOR | APIC_SPIV_ENABLE | APIC_SPIV_FOCUS_OFF;
	case APIC_ICR_LO:
		return 0xFFFFFFFF00000000ULL | APIC_ICR_VECTOR | APIC_ICR_DM_MASK |
		       APIC_ICR_LOGICAL | APIC_ICR_ASSERT | APIC_ICR_LEVEL | APIC_ICR_SHORTHAND;
	case APIC_LVT_TIMER:
	case APIC_LVT_LINT0:
	case APIC_LVT_LINT1:
	case APIC_LVT_ERROR:
	case APIC_LVT_THERM:
	case APIC_LVT_PMC:
		return apic_lvt_writable(off, tsc_deadline_offered());
	case APIC_TMICT:
		return 0xFFFFFFFF;
	case APIC_TDCR:
		return APIC_TDCR_MASK;
	default: /* EOI and ESR take only 0 (below); ID, version, PPR, LDR, ISR/TMR/IRR, TMCCT */
		return 0;
	}
}

static bool x2apic_write(struct vlapic *l, u32 msr, u64 val)
{
	unsigned off = x2apic_reg(msr);

	if (!off)
		return false;
	if (off == APIC_EOI || off == APIC_ESR) {
		if (val)
			return false; /* 11.12.1.2: a non-zero write is #GP */
		reg_write(l, off, 0);
		return true;
	}
	if (!x2apic_writable(off) || (val & ~x2apic_writable(off)))
		return false;
	if (off == X2APIC_SELF_IPI) { /* 11.12.11: a fixed, edge IPI to itself */
		l->ipis++;
		if (val < 16)
			raise_error(l, APIC_ESR_SEND_ILLEGAL_VECTOR);
		else
			vlapic_raise(l, (unsigned)val);
		return true;
	}
	if (off == APIC_ICR_LO)
		apic_put(l->page, APIC_ICR_HI, (u32)(val >> 32));
	reg_write(l, off, (u32)val);
	return true;
}

bool vlapic_wrmsr(struct vlapic *l, u32 msr, u64 val)
{
	if (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST)
		return x2apic_mode(l) && x2apic_write(l, msr, val);
	if (msr == MSR_IA32_APIC_BASE) {
		u64 reserved =
		    ~(APIC_BASE_ADDR_MASK | APIC_BASE_BSP | APIC_BASE_EN | APIC_BASE_EXTD) |
		    ~(((1ULL << vmx_caps.maxphyaddr) - 1));

		if ((val & reserved) || !base_transition_valid(l->base_msr, val))
			return false;
		/*
		 * With several vCPUs the APIC stays at its default base: the
		 * guest's vCPUs share one MMIO region and one APIC-access page
		 * (owns_access_page). Moving it is refused with #GP, a limit
		 * docs/platform.md states; no OS Keel runs moves it.
		 */
		if (lguest(l)->vcpu_count > 1 && (val & APIC_BASE_ADDR_MASK) != APIC_DEFAULT_BASE)
			return false;
		set_base(l, (val & ~APIC_BASE_BSP) | (l->base_msr & APIC_BASE_BSP));
		return true;
	}
	if (msr == MSR_IA32_TSC_DEADLINE) {
		if (timer_mode(l) != APIC_TIMER_TSCDEADLINE)
			return true; /* 11.5.4.1: ignored in the other modes */
		l->tsc_deadline = val;
		if (!val)
			vtimer_stop(&l->timer);
		else
			vtimer_arm(&l->timer, val - vmcs_read(VMCS_TSC_OFFSET));
		return true;
	}
	return false;
}

void vlapic_tsc_offset_changed(struct vlapic *l)
{
	if (timer_mode(l) == APIC_TIMER_TSCDEADLINE && l->tsc_deadline && vtimer_armed(&l->timer))
		vtimer_arm(&l->timer, l->tsc_deadline - vmcs_read(VMCS_TSC_OFFSET));
}

/* ---- Lifecycle ---- */

/* A page for the APIC, charged to the guest as a device page. */
static bool take_page(struct guest *g, hpa_t *out)
{
	if (pmm_account_alloc(&g->frames, PMM_KIND_DEVICE, PAGE_SIZE, out) == PMM_ACCOUNT_OK)
		return true;
	*out = hpa(0);
	return false;
}

bool vlapic_create(struct vlapic *l, struct vcpu *v, bool apicv)
{
	struct guest *g = v->guest;

	bool bsp = v->index == 0;

	memset(l, 0, sizeof(*l));
	l->vcpu = v;
	l->mapped_gpa = ~0ULL;
	l->apicv = apicv;
	l->x2apic_id = v->index;
	if (!take_page(g, &l->page_hpa))
		return false;
	l->page = hpa_ptr(l->page_hpa);
	apic_reset(l->page, (u8)v->index);
	/* The BSP's as a BIOS leaves it; an AP's as INIT leaves it (11.4.7.3). */
	if (bsp)
		apic_bios_state(l->page);
	l->timer_div = apic_timer_divisor(0);
	l->base_msr = APIC_DEFAULT_BASE | APIC_BASE_EN | (bsp ? APIC_BASE_BSP : 0);
	if (!vtimer_register(g, &l->timer, timer_fire, l))
		return false;
	if (!bsp) {
		l->access_hpa = g->vcpus[0].lapic.access_hpa; /* owns_access_page */
		l->apicv = apicv && hpa_addr(l->access_hpa);
		return true;
	}
	if (!dev_register(g, DEV_MMIO, APIC_DEFAULT_BASE, APIC_PAGE_SIZE, &vlapic_ops, l))
		return false;
	if (!apicv)
		return true;
	if (!take_page(g, &l->access_hpa)) {
		/* No frame for it: the APIC is emulated, as with apicv=off (the APs follow). */
		l->apicv = false;
		pr_info("guest %s: apic: no frame for its APIC-access page: emulated", g->name);
		return true;
	}
	memset(hpa_ptr(l->access_hpa), 0, PAGE_SIZE);
	/* No room for its tables: accesses are emulated until a base write maps it. */
	remap_access_page(l);
	return true;
}

void vlapic_vmcs_setup(struct vlapic *l)
{
	vmcs_write(VMCS_VIRTUAL_APIC_ADDR, hpa_addr(l->page_hpa));
	vmcs_write(VMCS_TPR_THRESHOLD, 0);
	if (!l->apicv)
		return;
	vmcs_write(VMCS_APIC_ACCESS_ADDR, hpa_addr(l->access_hpa));
	/* TMR is clear: no EOI exits until a level-triggered interrupt sets a bit in it. */
	vmcs_write(VMCS_EOI_EXIT_BITMAP0, 0);
	vmcs_write(VMCS_EOI_EXIT_BITMAP1, 0);
	vmcs_write(VMCS_EOI_EXIT_BITMAP2, 0);
	vmcs_write(VMCS_EOI_EXIT_BITMAP3, 0);
	vmcs_write(VMCS_GUEST_INTR_STATUS, 0);
}

void vlapic_destroy(struct vlapic *l)
{
	if (!l->vcpu)
		return; /* never created (the guest failed before its vCPU) */
	if (l->mapped_gpa != ~0ULL)
		unmap_access_page(l);
	if (owns_access_page(l))
		pmm_account_free(&lguest(l)->frames, PMM_KIND_DEVICE, PAGE_SIZE, l->access_hpa);
	if (hpa_addr(l->page_hpa))
		pmm_account_free(&lguest(l)->frames, PMM_KIND_DEVICE, PAGE_SIZE, l->page_hpa);
	l->access_hpa = hpa(0);
	l->page_hpa = hpa(0);
}
