/*
 * Guest CR0/CR4 virtualisation. The guest/host masks give Keel the bits
 * the guest may not set freely: those VMX fixes (IA32_VMX_CR0/CR4_FIXED*),
 * CR0.ET (hardwired to 1 on real CPUs) and every reserved bit. The guest
 * reads its own values from the read shadows; Keel checks each write as
 * the CPU would (#GP on reserved or inconsistent bits), keeps IA-32e mode
 * (EFER.LMA, the "IA-32e mode guest" entry control) in step with CR0.PG,
 * and loads the CPU with the value VMX requires.
 */
#include "vmx/cr.h"
#include "arch/x86/cr.h"
#include "arch/x86/msr.h"
#include "vm/guest.h"
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

u64 cr4_owned_bits(void)
{
	return ((vmx_caps.cr4_fixed0 | ~vmx_caps.cr4_fixed1) & ~CR_UPPER_HALF) | CR_UPPER_HALF |
	       CR4_VMXE | CR4_SMXE;
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

/* CR4 bits a guest may set: what the CPU supports, less what Keel hides. */
static u64 cr4_guest_allowed(void)
{
	u64 allowed = vmx_caps.cr4_fixed1 & ~(CR4_VMXE | CR4_SMXE | CR_UPPER_HALF);

	if (!vmx_caps.xsave)
		allowed &= ~CR4_OSXSAVE;
	return allowed;
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

/* Keeps EFER.LMA and the IA-32e entry control in step with a CR0.PG change. */
static bool update_long_mode(u64 old_cr0, u64 new_cr0)
{
	u64 efer = vmcs_read(VMCS_GUEST_IA32_EFER);
	u64 entry = vmcs_read(VMCS_ENTRY_CTLS);
	bool pg_on = !(old_cr0 & CR0_PG) && (new_cr0 & CR0_PG);
	bool pg_off = (old_cr0 & CR0_PG) && !(new_cr0 & CR0_PG);

	if (pg_on && (efer & EFER_LME)) {
		if (!(cr_guest_cr4() & CR4_PAE))
			return false; /* IA-32e paging needs PAE */
		efer |= EFER_LMA;
		entry |= ENTRY_IA32E_MODE_GUEST;
	} else if (pg_off && (efer & EFER_LMA)) {
		if (vmcs_read(VMCS_GUEST_CS_AR) & VMCS_AR_L)
			return false; /* only from compatibility mode */
		efer &= ~EFER_LMA;
		entry &= ~ENTRY_IA32E_MODE_GUEST;
	}
	vmcs_write(VMCS_GUEST_IA32_EFER, efer);
	vmcs_write(VMCS_ENTRY_CTLS, entry);
	return true;
}

/* MOV to CR0 (and CLTS/LMSW): true if done, false if the guest gets #GP. */
static bool write_cr0(u64 val)
{
	u64 old = cr_guest_cr0();

	if (val & CR_UPPER_HALF)
		return false;
	if (((val & CR0_PG) && !(val & CR0_PE)) || ((val & CR0_NW) && !(val & CR0_CD)))
		return false;
	val |= CR0_ET;
	if (!update_long_mode(old, val))
		return false;
	vmcs_write(VMCS_CR0_READ_SHADOW, val);
	vmcs_write(VMCS_GUEST_CR0, cr0_actual(val));
	return true;
}

static bool write_cr4(u64 val)
{
	u64 efer = vmcs_read(VMCS_GUEST_IA32_EFER);

	if (val & ~cr4_guest_allowed())
		return false;
	if ((efer & EFER_LMA) && !(val & CR4_PAE))
		return false; /* PAE cannot be cleared in IA-32e mode */
	vmcs_write(VMCS_CR4_READ_SHADOW, val);
	vmcs_write(VMCS_GUEST_CR4, cr4_actual(val));
	return true;
}

static bool mov_to_cr(struct vcpu *v, unsigned cr, u64 val)
{
	switch (cr) {
	case 0:
		return write_cr0(val);
	case 3: /* bits above MAXPHYADDR are reserved (PCID's bit 63 is not offered) */
		if (val >> vmx_caps.maxphyaddr)
			return false;
		vmcs_write(VMCS_GUEST_CR3, val);
		return true;
	case 4:
		return write_cr4(val);
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
		ok = write_cr0(cr0 & ~CR0_TS);
		break;
	case CR_ACCESS_LMSW: /* loads CR0[3:0]; cannot clear PE */
		ok = write_cr0((cr0 & ~0xEULL) | (CR_QUAL_LMSW_DATA(q) & 0xF) | (cr0 & CR0_PE));
		break;
	}
	if (ok)
		vcpu_skip_instruction(v);
	else
		vcpu_inject_gp(v);
}
