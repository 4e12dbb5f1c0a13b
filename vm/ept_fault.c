/*
 * The EPT-violation handler: thin and idempotent (CONTRIBUTING.md, "Memory
 * and TLBs"). Decode the qualification, then: RAM -> populate (or notice
 * the fault was spurious, or go on zeroing a large page) and resume; a
 * device's MMIO page -> emulate the instruction if the access was its own,
 * else end the guest (vm/mmio.c, vm/mmio_cause.c); anything else -> end
 * the guest with a report.
 */
#include "lib/console.h"
#include "vm/guest.h"
#include "vm/mmio.h"
#include "vmx/ept_qual.h"
#include "vmx/exit.h"
#include "vmx/exit_fast.h"
#include "vmx/vcpu.h"
#include "vmx/vmx_insn.h"

static void report_outside(struct vcpu *v, u64 g, const struct ept_qual *d)
{
	u64 rip = vmcs_read(VMCS_GUEST_RIP);

	if (d->linear_valid)
		pr_err("guest %s: EPT violation: %s at gpa 0x%lx outside guest RAM and MMIO, rip "
		       "0x%lx, linear 0x%lx",
		       v->guest->name, ept_qual_access_name(d), g, rip,
		       vmcs_read(VMCS_GUEST_LINEAR_ADDR));
	else
		pr_err("guest %s: EPT violation: %s at gpa 0x%lx outside guest RAM and MMIO, rip "
		       "0x%lx, no linear address",
		       v->guest->name, ept_qual_access_name(d), g, rip);
	guest_end(v->guest, GUEST_END_EPT, 0, "%s at gpa 0x%lx outside guest RAM",
		  ept_qual_access_name(d), g);
}

/*
 * The access will be executed again. If it was an IRET that had already
 * unblocked NMIs (exit qualification bit 12, with virtual NMIs: SDM Vol. 3C
 * 28.2.3 "Information About NMI Unblocking Due to IRET"), blocking by NMI
 * is set again so that the repeated IRET finds the state it started from
 * (SDM Vol. 3C 31.7.1.2 "Resuming Guest Software after Handling an
 * Exception"). The bit is undefined when the exit hit event delivery.
 */
static void keep_nmi_blocking(struct vcpu *v, u64 q)
{
	if (!(q & EPT_QUAL_NMI_UNBLOCKING) || !v->virtual_nmis ||
	    (vmcs_read(VMCS_IDT_VECTORING_INFO) & VMCS_INTR_INFO_VALID))
		return;
	vmcs_write(VMCS_GUEST_INTERRUPTIBILITY,
		   vmcs_read(VMCS_GUEST_INTERRUPTIBILITY) | VMCS_INTR_BLOCKING_NMI);
	v->nmi_blocked = true;
}

/* After gmem_fault or gmem_cow: resume the guest, or end it naming why there is no page. */
static void fault_done(struct vcpu *v, u64 g, enum gmem_status s, u64 q)
{
	if (s == GMEM_OK || s == GMEM_AGAIN || s == GMEM_EXISTS) {
		/*
		 * AGAIN: the large page is still being zeroed; the access faults
		 * again. EXISTS: the page is mapped as the access needs by now.
		 */
		keep_nmi_blocking(v, q);
	} else if (s == GMEM_LIMIT) {
		guest_end(v->guest, GUEST_END_OOM, 0,
			  "out of memory at gpa 0x%lx: it holds its limit, %lu frames", g,
			  v->guest->mem.acct->held);
	} else if (s == GMEM_NOMEM) {
		guest_end(v->guest, GUEST_END_OOM, 0, "out of memory at gpa 0x%lx", g);
	} else {
		guest_end(v->guest, GUEST_END_ERROR, 0, "EPT fault at gpa 0x%lx: %s", g,
			  gmem_status_name(s));
	}
}

/*
 * A fault on an entry that allows something (a permission fault), or a
 * first touch that found its page mapped after all (another vCPU mapped it
 * since this CPU walked): the walk decides. A write to the zero frame is
 * copy-on-write (gmem_cow).
 */
static void fault_on_mapped(struct vcpu *v, u64 g, u64 q)
{
	struct ept_qual d = ept_qual_decode(q);
	struct gmem *m = &v->guest->mem;
	struct pt_walk w;

	if (!pt_lookup(&m->ept, g, &w)) {
		fault_done(v, g, gmem_fault(m, g, vcpu_deadline(v), d.write), q);
		return;
	}
	if (d.write && m->dirty.mode == GMEM_DIRTY_WP)
		gmem_dirty_note(m, g); /* the dirty log's write protection caught it */
	if (d.write && gmem_is_zero(m, w.pa)) {
		fault_done(v, g, gmem_cow(m, g, vcpu_deadline(v)), q);
		return;
	}
	if (ept_qual_satisfied(&d, w.perms)) {
		m->stats.spurious++;
		keep_nmi_blocking(v, q);
		return;
	}
	/* Mapped with less than RAM allows (a protect earlier): give it back. */
	if (gmem_restore(m, gpa(g)) != GMEM_OK)
		guest_end(v->guest, GUEST_END_ERROR, 0,
			  "EPT fault at gpa 0x%lx: cannot restore permissions", g);
	keep_nmi_blocking(v, q);
}

/*
 * Not present (qualification bits 5:3 clear): a first touch, straight to
 * gmem_fault without a walk to look first. Should the page be mapped after
 * all, gmem says EXISTS, having given its new frame back, and the walk
 * decides. until: when long work (zeroing a large page) stops to resume.
 */
static void first_touch(struct vcpu *v, u64 g, u64 q, u64 until)
{
	struct gmem *m = &v->guest->mem;
	enum gmem_status s;

	/* A fault that finds its large page still being zeroed counts as a fill resume. */
	if (!gmem_filling(m, g))
		m->stats.violations++;
	s = gmem_fault(m, g, until, q & EPT_QUAL_WRITE);
	if (likely(s == GMEM_OK)) { /* the common case, without a call */
		/* A new page, writable at once: this is its first write. */
		if (unlikely(m->dirty.mode == GMEM_DIRTY_WP) && (q & EPT_QUAL_WRITE))
			gmem_dirty_note(m, g);
		keep_nmi_blocking(v, q);
	} else if (s == GMEM_EXISTS) {
		fault_on_mapped(v, g, q);
	} else {
		fault_done(v, g, s, q);
	}
}

void ept_handle_violation(struct vcpu *v)
{
	u64 q = vmcs_read(VMCS_EXIT_QUALIFICATION);
	struct ept_qual d = ept_qual_decode(q);
	u64 g = vmcs_read(VMCS_GUEST_PHYSICAL_ADDR);
	struct gmem *m = &v->guest->mem;

	if (g >= m->ram_size) {
		u32 idt = (u32)vmcs_read(VMCS_IDT_VECTORING_INFO);

		if (!mmio_handle_exit(v, g, mmio_cause_of_ept(q, idt), idt, d.write))
			report_outside(v, g, &d);
		return;
	}
	if (!d.present) {
		first_touch(v, g, q, vcpu_deadline(v));
		return;
	}
	if (!gmem_filling(m, g))
		m->stats.violations++;
	fault_on_mapped(v, g, q);
}

void pml_handle_full(struct vcpu *v)
{
	struct gmem *m = &v->guest->mem;

	/* Every entry is used: the index went below 0 (it reads 0xFFFF now). */
	if (m->dirty.mode == GMEM_DIRTY_PML)
		gmem_dirty_drain(m, 0);
	vmcs_write(VMCS_GUEST_PML_INDEX, PAGE_SIZE / 8 - 1);
	/* The write that found the log full has not happened: it is executed again. */
	keep_nmi_blocking(v, vmcs_read(VMCS_EXIT_QUALIFICATION));
}

/*
 * The fast exit's share (vmx_exit_fast): a first touch of RAM that did not
 * interrupt an event's delivery (which would have to be delivered again,
 * exit_dispatch) nor follow an IRET that unblocked NMIs. Everything else,
 * MMIO included, declines before it changes anything.
 */
int ept_exit_fast(struct vcpu *v, u64 exit_tsc, u64 target)
{
	u64 q = vmcs_read_current(VMCS_EXIT_QUALIFICATION);
	u64 g = vmcs_read_current(VMCS_GUEST_PHYSICAL_ADDR);
	struct ept_qual d = ept_qual_decode(q);

	if (d.present || d.nmi_unblocking || g >= v->guest->mem.ram_size ||
	    (vmcs_read_current(VMCS_IDT_VECTORING_INFO) & VMCS_INTR_INFO_VALID))
		return VMX_EXIT_SLOW;
	first_touch(v, g, q, target);
	return vmx_exit_fast_device(v, exit_tsc, target, EXIT_REASON_EPT_VIOLATION);
}
