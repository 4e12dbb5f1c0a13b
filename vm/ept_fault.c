/*
 * The EPT-violation handler: thin and idempotent (STYLE.md rule 12).
 * Decode the qualification, then: RAM -> populate (or notice the fault was
 * spurious) and resume; anything else -> end the guest with a report. MMIO
 * emulation arrives with the device models that need it.
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

void ept_handle_violation(struct vcpu *v)
{
	struct ept_qual d = ept_qual_decode(vmcs_read(VMCS_EXIT_QUALIFICATION));
	u64 g = vmcs_read(VMCS_GUEST_PHYSICAL_ADDR);
	struct gmem *m = &v->guest->mem;
	struct pt_walk w;
	enum gmem_status s;
	hpa_t h;

	if (g >= m->ram_size) {
		if (!mmio_handle(v, g, d.write))
			report_outside(v, g, &d);
		return;
	}
	m->stats.violations++;
	if (pt_lookup(&m->ept, g, &w)) {
		if (ept_qual_satisfied(&d, w.perms)) {
			m->stats.spurious++;
			return;
		}
		/* Mapped with less than RAM allows (a protect earlier): give it back. */
		if (gmem_restore(m, gpa(g)) != GMEM_OK)
			guest_end(v->guest, GUEST_END_ERROR, 0,
				  "EPT fault at gpa 0x%lx: cannot restore permissions", g);
		return;
	}
	s = gmem_populate_unmapped(m, g, &h);
	if (s == GMEM_NOMEM)
		guest_end(v->guest, GUEST_END_OOM, 0, "out of memory at gpa 0x%lx", g);
	else if (s != GMEM_OK)
		guest_end(v->guest, GUEST_END_ERROR, 0, "EPT fault at gpa 0x%lx: %s", g,
			  gmem_status_name(s));
}
