/*
 * Guest CR0/CR3/CR4 virtualisation. The guest/host masks give Keel the
 * bits the guest may not set freely: those VMX fixes (IA32_VMX_CR0/
 * CR4_FIXED*), CR0.ET (hardwired to 1), CR0.CD/NW, every reserved bit and
 * every CR4 bit whose feature the guest's CPUID does not show
 * (vm/cpuid_policy.c: CR4.VMXE, SMXE, PKE, LA57... read 0 and setting them
 * raises #GP). The guest reads its own values from the read shadows; a
 * write that changes an owned bit exits, and Keel checks the whole value
 * as the CPU would (SDM Vol. 2B, MOV to/from Control Registers; Vol. 3A
 * 2.5, 10.8.5), keeps IA-32e mode (EFER.LMA, the "IA-32e mode guest" entry
 * control) in step with CR0.PG, loads the PDPTEs for PAE paging, and loads
 * the CPU with the value VMX requires. Writes that change only bits the
 * guest owns run natively, checked by the CPU; the exit after them finds
 * EFER.LMA and the entry control already updated (IA32_VMX_MISC[5]).
 */
#include "vmx/cr.h"
#include "arch/x86/cr.h"
#include "arch/x86/msr.h"
#include "lib/console.h"
#include "vm/cpuid_policy.h"
#include "vm/guest.h"
#include "vm/mmio.h"
#include "vmx/vcpu.h"
#include "vmx/vmx.h"
#include "vmx/vmx_controls.h"
#include "vmx/vmx_insn.h"

/* Exit qualification for control-register accesses (SDM Table 28-3) */
#define CR_QUAL_NUMBER(q)    ((q)&0xF)
#define CR_QUAL_ACCESS(q)    (((q) >> 4) & 3)
#define CR_QUAL_GPR(q)	     (((q) >> 8) & 0xF)
#define CR_QUAL_LMSW_DATA(q) (((q) >> 16) & 0xFFFF)
#define CR_ACCESS_MOV_TO     0
#define CR_ACCESS_MOV_FROM   1
#define CR_ACCESS_CLTS	     2
#define CR_ACCESS_LMSW	     3

#define CR_UPPER_HALF 0xFFFFFFFF00000000ULL

/* CR0 bits VMX lets an unrestricted guest clear. */
#define CR0_UNRESTRICTED (CR0_PE | CR0_PG)

static u64 cr0_fixed_bits(void)
{
	return (vmx_caps.cr0_fixed0 | ~vmx_caps.cr0_fixed1) & ~CR0_UNRESTRICTED & ~CR_UPPER_HALF;
}

/*
 * CD and NW are owned too: VM entry never loads them (SDM 27.3.2.1), so the
 * CPU keeps Keel's (caching on) and the guest reads its own from the shadow.
 */
u64 cr0_owned_bits(void)
{
	return cr0_fixed_bits() | CR0_ET | CR0_CD | CR0_NW | CR_UPPER_HALF;
}

/* CR4 bits a guest may set: what its CPUID shows and the CPU supports in VMX operation. */
static u64 cr4_guest_allowed(void)
{
	return cpuid_caps()->cr4_mask & vmx_caps.cr4_fixed1 &
	       ~(CR4_VMXE | CR4_SMXE | CR_UPPER_HALF);
}

/* Every other bit is Keel's: reserved, fixed by VMX, or hidden by CPUID. */
u64 cr4_owned_bits(void)
{
	return ~cr4_guest_allowed();
}

u64 cr0_actual(u64 guest_value)
{
	guest_value &= ~(CR0_CD | CR0_NW);
	return (guest_value | (vmx_caps.cr0_fixed0 & ~CR0_UNRESTRICTED)) & vmx_caps.cr0_fixed1;
}

u64 cr4_actual(u64 guest_value)
{
	return (guest_value | vmx_caps.cr4_fixed0) & vmx_caps.cr4_fixed1;
}

u64 cr_guest_cr0(void)
{
	u64 mask = vmcs_read(VMCS_CR0_GUEST_HOST_MASK);

	return (vmcs_read(VMCS_GUEST_CR0) & ~mask) | (vmcs_read(VMCS_CR0_READ_SHADOW) & mask);
}

u64 cr_guest_cr4(void)
{
	u64 mask = vmcs_read(VMCS_CR4_GUEST_HOST_MASK);

	return (vmcs_read(VMCS_GUEST_CR4) & ~mask) | (vmcs_read(VMCS_CR4_READ_SHADOW) & mask);
}

static u64 gpr_read(struct vcpu *v, unsigned n)
{
	return n == GPR_RSP ? vmcs_read(VMCS_GUEST_RSP) : v->regs.gpr[n];
}

static void gpr_write(struct vcpu *v, unsigned n, u64 val)
{
	if (n == GPR_RSP)
		vmcs_write(VMCS_GUEST_RSP, val);
	else
		v->regs.gpr[n] = val;
}

/* The architectural CR0 bits; the reserved ones read 0 whatever is written (SDM 2.5). */
#define CR0_ARCH_BITS                                                                              \
	(CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_NW | CR0_CD | \
	 CR0_PG)

/* PDPTE bits reserved in PAE paging, besides those above MAXPHYADDR (SDM 4.4.1, Table 4-8). */
#define PDPTE_RESERVED (BIT(1) | BIT(2) | BIT(5) | BIT(6) | BIT(7) | BIT(8))

/* The guest's control registers as an emulated MOV leaves them. */
struct cr_state {
	u64 cr0, cr3, cr4, efer;
	bool ia32e_entry; /* the "IA-32e mode guest" VM-entry control */
};

static void cr_state_read(struct cr_state *s)
{
	s->cr0 = cr_guest_cr0();
	s->cr3 = vmcs_read(VMCS_GUEST_CR3);
	s->cr4 = cr_guest_cr4();
	s->efer = vmcs_read(VMCS_GUEST_IA32_EFER);
	s->ia32e_entry = vmcs_read(VMCS_ENTRY_CTLS) & ENTRY_IA32E_MODE_GUEST;
}

static bool pae_paging(const struct cr_state *s)
{
	return (s->cr0 & CR0_PG) && (s->cr4 & CR4_PAE) && !(s->efer & EFER_LMA);
}

/*
 * A CR0.PG change: IA-32e mode is activated when paging comes on with
 * EFER.LME (CR4.PAE needed, CS.L clear) and deactivated when paging goes
 * off, which is allowed only from compatibility mode and with CR4.PCIDE
 * clear. False if the guest gets #GP.
 */
static bool paging_change(struct cr_state *s, u64 old_cr0)
{
	bool pg_on = !(old_cr0 & CR0_PG) && (s->cr0 & CR0_PG);
	bool pg_off = (old_cr0 & CR0_PG) && !(s->cr0 & CR0_PG);

	if (pg_on && (s->efer & EFER_LME)) {
		if (!(s->cr4 & CR4_PAE) || (vmcs_read(VMCS_GUEST_CS_AR) & VMCS_AR_L))
			return false;
		s->efer |= EFER_LMA;
		s->ia32e_entry = true;
	} else if (pg_off) {
		if (s->cr4 & CR4_PCIDE)
			return false;
		if (s->efer & EFER_LMA) {
			if (vmcs_read(VMCS_GUEST_CS_AR) & VMCS_AR_L)
				return false; /* not from 64-bit mode */
			s->efer &= ~EFER_LMA;
			s->ia32e_entry = false;
		}
	}
	return true;
}

/*
 * The PDPTEs lie outside RAM: where the CPU loads them itself this is an
 * EPT violation with no linear address, and Keel's load ends the guest the
 * same way (docs/mmio.md, "What is not the instruction's access"): on a
 * device page with the line naming it, elsewhere as outside RAM and MMIO.
 */
static void pdptes_outside_ram(struct vcpu *v, u64 at)
{
	if (mmio_handle_exit(v, at, MMIO_CAUSE_PHYSICAL, 0, false))
		return;
	pr_err("guest %s: PDPTE load at gpa 0x%lx outside guest RAM and MMIO, rip 0x%lx",
	       v->guest->name, at, vmcs_read(VMCS_GUEST_RIP));
	guest_end(v->guest, GUEST_END_EPT, 0, "PDPTE load at gpa 0x%lx outside guest RAM", at);
}

/*
 * PAE paging takes its four PDPTEs from the VMCS at VM entry when EPT is on
 * (SDM 27.3.2.4): an emulated MOV that starts PAE paging or changes what it
 * depends on loads them from guest memory, as the CPU would, and raises
 * #GP if one that is present has a reserved bit set (SDM 4.4.1).
 */
static bool load_pdptes(struct vcpu *v, const struct cr_state *s)
{
	u64 pdpte[4], reserved = PDPTE_RESERVED | ~(BIT(vmx_caps.maxphyaddr) - 1);
	u64 at = s->cr3 & 0xFFFFFFE0ULL;
	enum gmem_status st = gmem_read(&v->guest->mem, gpa(at), pdpte, sizeof(pdpte));

	if (st == GMEM_OUTSIDE) {
		pdptes_outside_ram(v, at);
		return false;
	}
	if (st != GMEM_OK)
		return false;
	for (int i = 0; i < 4; i++)
		if ((pdpte[i] & 1) && (pdpte[i] & reserved))
			return false;
	for (int i = 0; i < 4; i++)
		vmcs_write(VMCS_GUEST_PDPTE0 + 2 * i, pdpte[i]);
	return true;
}

/*
 * Commits an emulated MOV: PDPTEs first (the last check that can fail),
 * then the registers. Changes the SDM says invalidate the TLB (CR0.PG,
 * CR0.WP, CR4 paging bits, any MOV to CR3) flush this vCPU's VPID: with
 * VPIDs on, VM entry keeps the guest's translations (SDM 29.4.3.3).
 */
static bool cr_state_commit(struct vcpu *v, const struct cr_state *old, const struct cr_state *s,
			    bool cr3_written)
{
	u64 cr4_paging = CR4_PAE | CR4_PGE | CR4_PSE | CR4_PCIDE | CR4_SMEP | CR4_SMAP;
	bool tlb = cr3_written || ((old->cr0 ^ s->cr0) & (CR0_PG | CR0_WP)) ||
		   ((old->cr4 ^ s->cr4) & cr4_paging);
	/* When PAE paging reloads its PDPTEs (SDM 4.4.1). */
	bool pdptes = cr3_written || ((old->cr0 ^ s->cr0) & (CR0_CD | CR0_NW | CR0_PG)) ||
		      ((old->cr4 ^ s->cr4) & (CR4_PAE | CR4_PGE | CR4_PSE | CR4_SMEP));

	if (pae_paging(s) && pdptes && !load_pdptes(v, s))
		return false;
	vmcs_write(VMCS_CR0_READ_SHADOW, s->cr0);
	vmcs_write(VMCS_GUEST_CR0, cr0_actual(s->cr0));
	vmcs_write(VMCS_CR4_READ_SHADOW, s->cr4);
	vmcs_write(VMCS_GUEST_CR4, cr4_actual(s->cr4));
	if (cr3_written)
		vmcs_write(VMCS_GUEST_CR3, s->cr3);
	if (s->efer != old->efer)
		vmcs_write(VMCS_GUEST_IA32_EFER, s->efer);
	if (s->ia32e_entry != old->ia32e_entry) {
		u64 entry = vmcs_read(VMCS_ENTRY_CTLS) & ~(u64)ENTRY_IA32E_MODE_GUEST;

		vmcs_write(VMCS_ENTRY_CTLS, entry | (s->ia32e_entry ? ENTRY_IA32E_MODE_GUEST : 0));
	}
	/* The guest's own translations may now be wrong: drop them (VPID 0 flushes at entry). */
	if (tlb && v->vpid)
		inv_vpid(v->vpid, &v->inv);
	return true;
}

/* MOV to CR0 (and CLTS/LMSW): true if done, false if the guest gets #GP. */
static bool mov_cr0(struct vcpu *v, u64 val)
{
	struct cr_state old, s;

	if (val & CR_UPPER_HALF)
		return false;
	cr_state_read(&old);
	s = old;
	s.cr0 = (val & CR0_ARCH_BITS) | CR0_ET;
	if (((s.cr0 & CR0_PG) && !(s.cr0 & CR0_PE)) || ((s.cr0 & CR0_NW) && !(s.cr0 & CR0_CD)))
		return false;
	return paging_change(&s, old.cr0) && cr_state_commit(v, &old, &s, false);
}

/*
 * MOV to CR4. With the masks as set up, only a write of a bit the guest
 * may not set exits; the rest of the checks keep the path exact anyway.
 */
static bool mov_cr4(struct vcpu *v, u64 val)
{
	struct cr_state old, s;

	cr_state_read(&old);
	s = old;
	s.cr4 = val;
	if (val & ~cr4_guest_allowed())
		return false;
	if ((s.efer & EFER_LMA) && !(val & CR4_PAE))
		return false; /* PAE cannot be cleared in IA-32e mode */
	/* PCIDE can be set only in IA-32e mode with CR3[11:0] = 0. */
	if ((val & ~old.cr4 & CR4_PCIDE) && (!(s.efer & EFER_LMA) || (old.cr3 & 0xFFF)))
		return false;
	return cr_state_commit(v, &old, &s, false);
}

/*
 * MOV to CR3 (only with CR3-load exiting on): bits at and above MAXPHYADDR
 * are reserved; with CR4.PCIDE, bit 63 asks to keep the PCID's
 * translations and is not stored (flushing anyway is allowed).
 */
static bool mov_cr3(struct vcpu *v, u64 val)
{
	struct cr_state old, s;

	cr_state_read(&old);
	s = old;
	if (old.cr4 & CR4_PCIDE)
		val &= ~BIT(63);
	if (val >> vmx_caps.maxphyaddr)
		return false;
	s.cr3 = val;
	return cr_state_commit(v, &old, &s, true);
}

static bool mov_to_cr(struct vcpu *v, unsigned cr, u64 val)
{
	switch (cr) {
	case 0:
		return mov_cr0(v, val);
	case 3:
		return mov_cr3(v, val);
	case 4:
		return mov_cr4(v, val);
	case 8:
		if (val > 15)
			return false;
		vlapic_write_cr8(&v->lapic, val);
		return true;
	default:
		return false;
	}
}

void cr_handle_exit(struct vcpu *v)
{
	u64 q = vmcs_read(VMCS_EXIT_QUALIFICATION);
	unsigned cr = CR_QUAL_NUMBER(q);
	u64 cr0 = cr_guest_cr0();
	bool ok = true;

	switch (CR_QUAL_ACCESS(q)) {
	case CR_ACCESS_MOV_TO:
		ok = mov_to_cr(v, cr, gpr_read(v, CR_QUAL_GPR(q)));
		break;
	case CR_ACCESS_MOV_FROM:
		if (cr == 3)
			gpr_write(v, CR_QUAL_GPR(q), vmcs_read(VMCS_GUEST_CR3));
		else if (cr == 8)
			gpr_write(v, CR_QUAL_GPR(q), vlapic_read_cr8(&v->lapic));
		else
			ok = false;
		break;
	case CR_ACCESS_CLTS:
		ok = mov_cr0(v, cr0 & ~CR0_TS);
		break;
	case CR_ACCESS_LMSW: /* loads CR0[3:0]; cannot clear PE */
		ok = mov_cr0(v, (cr0 & ~0xEULL) | (CR_QUAL_LMSW_DATA(q) & 0xF) | (cr0 & CR0_PE));
		break;
	}
	if (ok)
		vcpu_skip_instruction(v);
	else if (guest_running(v->guest)) /* not ended by pdptes_outside_ram */
		vcpu_inject_gp(v);
}
