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
static void keep_nmi_blocking(struct vcpu *v, const struct ept_qual *d)
{
	if (!d->nmi_unblocking || !v->virtual_nmis ||
	    (vmcs_read(VMCS_IDT_VECTORING_INFO) & VMCS_INTR_INFO_VALID))
		return;
	vmcs_write(VMCS_GUEST_INTERRUPTIBILITY,
		   vmcs_read(VMCS_GUEST_INTERRUPTIBILITY) | VMCS_INTR_BLOCKING_NMI);
}

/* After gmem_fault: resume the guest, or end it naming why there is no page. */
static void fault_done(struct vcpu *v, u64 g, enum gmem_status s, const struct ept_qual *d)
{
	if (s == GMEM_OK || s == GMEM_AGAIN) {
		/* AGAIN: the large page is still being zeroed; the access faults again. */
		keep_nmi_blocking(v, d);
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

void ept_handle_violation(struct vcpu *v)
{
	u64 q = vmcs_read(VMCS_EXIT_QUALIFICATION);
	struct ept_qual d = ept_qual_decode(q);
	u64 g = vmcs_read(VMCS_GUEST_PHYSICAL_ADDR);
	struct gmem *m = &v->guest->mem;
	struct pt_walk w;
	enum gmem_status s;

	if (g >= m->ram_size) {
		u32 idt = (u32)vmcs_read(VMCS_IDT_VECTORING_INFO);

		if (!mmio_handle_exit(v, g, mmio_cause_of_ept(q, idt), idt, d.write))
			report_outside(v, g, &d);
		return;
	}
	/* A fault that finds its large page still being zeroed counts as a fill resume. */
	if (!gmem_filling(m, g))
		m->stats.violations++;
	/*
	 * Not present (qualification bits 5:3 clear): a first touch, straight
	 * to gmem_fault without a walk to look first. Should the page be mapped
	 * after all (another vCPU mapped it since this CPU walked), gmem says
	 * EXISTS, having given its new frame back, and the walk below decides.
	 */
	if (!d.present) {
		s = gmem_fault(m, g, vcpu_deadline(v));
		if (s != GMEM_EXISTS) {
			fault_done(v, g, s, &d);
			return;
		}
	}
	if (pt_lookup(&m->ept, g, &w)) {
		if (ept_qual_satisfied(&d, w.perms)) {
			m->stats.spurious++;
			keep_nmi_blocking(v, &d);
			return;
		}
		/* Mapped with less than RAM allows (a protect earlier): give it back. */
		if (gmem_restore(m, gpa(g)) != GMEM_OK)
			guest_end(v->guest, GUEST_END_ERROR, 0,
				  "EPT fault at gpa 0x%lx: cannot restore permissions", g);
		keep_nmi_blocking(v, &d);
		return;
	}
	fault_done(v, g, gmem_fault(m, g, vcpu_deadline(v)), &d);
}
