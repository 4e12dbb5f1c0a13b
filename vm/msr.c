/*
 * Guest MSRs. Every RDMSR/WRMSR exits (the MSR bitmap passes only FS/GS
 * base, which the VMCS switches) and is looked up in a table; an MSR Keel
 * does not list raises #GP, as on a CPU without it. Values are checked as
 * the SDM says the CPU checks them (canonical addresses, reserved bits,
 * valid PAT types), so a guest cannot load Keel's CPU with a bad value.
 */
#include "arch/x86/apic_regs.h"
#include "arch/x86/cpu.h"
#include "arch/x86/msr.h"
#include "vm/guest.h"
#include "vmx/cr.h"
#include "vm/msr.h"
#include "vmx/exit.h"
#include "vmx/vcpu.h"
#include "vmx/vmx_insn.h"

/* A handler returns false when the guest must get #GP instead. */
typedef bool msr_read_fn(struct vcpu *v, u32 msr, u64 *val);
typedef bool msr_write_fn(struct vcpu *v, u32 msr, u64 val);

struct msr_desc {
	u32 msr;
	msr_read_fn *read;
	msr_write_fn *write;
};

static bool canonical(u64 a)
{
	return (u64)((s64)(a << 16) >> 16) == a;
}

static bool efer_read(struct vcpu *v, u32 msr, u64 *val)
{
	*val = vmcs_read(VMCS_GUEST_IA32_EFER);
	return true;
}

static bool efer_write(struct vcpu *v, u32 msr, u64 val)
{
	u64 old = vmcs_read(VMCS_GUEST_IA32_EFER);
	u64 allowed = EFER_SCE | EFER_LME | EFER_LMA;

	if (cpuid(0x80000001, 0).edx & BIT(20))
		allowed |= EFER_NXE;
	if (val & ~allowed)
		return false;
	/* LME cannot change while paging is on (SDM 10.8.5); LMA is the CPU's to set. */
	if ((cr_guest_cr0() & BIT(31)) && ((val ^ old) & EFER_LME))
		return false;
	val = (val & ~EFER_LMA) | (old & EFER_LMA);
	vmcs_write(VMCS_GUEST_IA32_EFER, val);
	return true;
}

static bool pat_read(struct vcpu *v, u32 msr, u64 *val)
{
	*val = vmcs_read(VMCS_GUEST_IA32_PAT);
	return true;
}

/* Each PAT entry must be UC, WC, WT, WP, WB or UC- (SDM 12.12.2). */
static bool pat_write(struct vcpu *v, u32 msr, u64 val)
{
	for (int i = 0; i < 8; i++) {
		u8 t = (u8)(val >> (i * 8));

		if (t == 2 || t == 3 || t > 7)
			return false;
	}
	vmcs_write(VMCS_GUEST_IA32_PAT, val);
	return true;
}

static enum vmcs_field vmcs_field_of(u32 msr)
{
	switch (msr) {
	case IA32_SYSENTER_CS:
		return VMCS_GUEST_IA32_SYSENTER_CS;
	case IA32_SYSENTER_ESP:
		return VMCS_GUEST_IA32_SYSENTER_ESP;
	case IA32_SYSENTER_EIP:
		return VMCS_GUEST_IA32_SYSENTER_EIP;
	case IA32_FS_BASE:
		return VMCS_GUEST_FS_BASE;
	default:
		return VMCS_GUEST_GS_BASE;
	}
}

static bool vmcs_msr_read(struct vcpu *v, u32 msr, u64 *val)
{
	*val = vmcs_read(vmcs_field_of(msr));
	return true;
}

static bool vmcs_msr_write(struct vcpu *v, u32 msr, u64 val)
{
	if (msr == IA32_SYSENTER_CS ? (val >> 32) != 0 : !canonical(val))
		return false;
	vmcs_write(vmcs_field_of(msr), val);
	return true;
}

/* MSRs the VMCS does not switch: Keel loads them on the CPU for this vCPU. */
static u64 *cpu_msr_slot(struct vcpu *v, u32 msr)
{
	switch (msr) {
	case IA32_KERNEL_GS_BASE:
		return &v->msrs.kernel_gs_base;
	case IA32_STAR:
		return &v->msrs.star;
	case IA32_LSTAR:
		return &v->msrs.lstar;
	case IA32_CSTAR:
		return &v->msrs.cstar;
	case IA32_FMASK:
		return &v->msrs.fmask;
	default:
		return &v->msrs.tsc_aux;
	}
}

/* TSC_AUX exists only with RDTSCP (CPUID.80000001H:EDX[27]); without it, #GP. */
static bool msr_exists(u32 msr)
{
	return msr != IA32_TSC_AUX || (cpuid(0x80000001, 0).edx & BIT(27));
}

static bool cpu_msr_read(struct vcpu *v, u32 msr, u64 *val)
{
	if (!msr_exists(msr))
		return false;
	*val = *cpu_msr_slot(v, msr);
	return true;
}

static bool cpu_msr_write(struct vcpu *v, u32 msr, u64 val)
{
	bool is_addr = msr == IA32_KERNEL_GS_BASE || msr == IA32_LSTAR || msr == IA32_CSTAR;

	if (!msr_exists(msr) || (is_addr && !canonical(val)))
		return false;
	if ((msr == IA32_TSC_AUX || msr == IA32_FMASK) && (val >> 32))
		return false;
	*cpu_msr_slot(v, msr) = val;
	wrmsr(msr, val);
	return true;
}

static bool tsc_read(struct vcpu *v, u32 msr, u64 *val)
{
	*val = rdtsc() + vmcs_read(VMCS_TSC_OFFSET);
	return true;
}

/* A TSC write sets the offset the CPU adds to RDTSC in this guest. */
static bool tsc_write(struct vcpu *v, u32 msr, u64 val)
{
	vmcs_write(VMCS_TSC_OFFSET, val - rdtsc());
	return true;
}

/* Fixed read-only values: what a guest may read and not change. */
static bool fixed_read(struct vcpu *v, u32 msr, u64 *val)
{
	switch (msr) {
	case IA32_FEATURE_CONTROL:
		*val = FEATURE_CONTROL_LOCK; /* locked, VMX off */
		break;
	case IA32_MISC_ENABLE:
		*val = BIT(0) | BIT(11) | BIT(12); /* fast strings; BTS, PEBS unavailable */
		break;
	default: /* PLATFORM_ID, BIOS_SIGN_ID, MCG_CAP (no banks), MCG_STATUS */
		*val = 0;
		break;
	}
	return true;
}

static bool fixed_write(struct vcpu *v, u32 msr, u64 val)
{
	u64 cur;

	if (msr == IA32_BIOS_SIGN_ID)
		return true; /* the microcode-revision probe writes 0 here first */
	fixed_read(v, msr, &cur);
	return msr != IA32_FEATURE_CONTROL && val == cur;
}

/* IA32_APIC_BASE and IA32_TSC_DEADLINE belong to the local APIC model. */
static bool apic_msr_read(struct vcpu *v, u32 msr, u64 *val)
{
	return vlapic_rdmsr(&v->lapic, msr, val);
}

static bool apic_msr_write(struct vcpu *v, u32 msr, u64 val)
{
	return vlapic_wrmsr(&v->lapic, msr, val);
}

static const struct msr_desc msr_table[] = {
    {MSR_IA32_APIC_BASE, apic_msr_read, apic_msr_write},
    {MSR_IA32_TSC_DEADLINE, apic_msr_read, apic_msr_write},
    {IA32_TIME_STAMP_COUNTER, tsc_read, tsc_write},
    {IA32_PLATFORM_ID, fixed_read, NULL},
    {IA32_FEATURE_CONTROL, fixed_read, fixed_write},
    {IA32_BIOS_SIGN_ID, fixed_read, fixed_write},
    {IA32_SYSENTER_CS, vmcs_msr_read, vmcs_msr_write},
    {IA32_SYSENTER_ESP, vmcs_msr_read, vmcs_msr_write},
    {IA32_SYSENTER_EIP, vmcs_msr_read, vmcs_msr_write},
    {IA32_MCG_CAP, fixed_read, NULL},
    {IA32_MCG_STATUS, fixed_read, fixed_write},
    {IA32_MISC_ENABLE, fixed_read, fixed_write},
    {IA32_PAT, pat_read, pat_write},
    {IA32_EFER, efer_read, efer_write},
    {IA32_STAR, cpu_msr_read, cpu_msr_write},
    {IA32_LSTAR, cpu_msr_read, cpu_msr_write},
    {IA32_CSTAR, cpu_msr_read, cpu_msr_write},
    {IA32_FMASK, cpu_msr_read, cpu_msr_write},
    {IA32_FS_BASE, vmcs_msr_read, vmcs_msr_write},
    {IA32_GS_BASE, vmcs_msr_read, vmcs_msr_write},
    {IA32_KERNEL_GS_BASE, cpu_msr_read, cpu_msr_write},
    {IA32_TSC_AUX, cpu_msr_read, cpu_msr_write},
};

static const struct msr_desc *msr_find(u32 msr)
{
	for (unsigned i = 0; i < ARRAY_SIZE(msr_table); i++)
		if (msr_table[i].msr == msr)
			return &msr_table[i];
	return NULL;
}

void msr_handle_rdmsr(struct vcpu *v)
{
	u32 msr = (u32)v->regs.gpr[GPR_RCX];
	const struct msr_desc *d = msr_find(msr);
	u64 val;

	if (!d || !d->read || !d->read(v, msr, &val)) {
		vcpu_inject_gp(v);
		return;
	}
	v->regs.gpr[GPR_RAX] = (u32)val;
	v->regs.gpr[GPR_RDX] = val >> 32;
	vcpu_skip_instruction(v);
}

void msr_handle_wrmsr(struct vcpu *v)
{
	u32 msr = (u32)v->regs.gpr[GPR_RCX];
	u64 val = (v->regs.gpr[GPR_RDX] << 32) | (u32)v->regs.gpr[GPR_RAX];
	const struct msr_desc *d = msr_find(msr);

	if (!d || !d->write || !d->write(v, msr, val)) {
		vcpu_inject_gp(v);
		return;
	}
	vcpu_skip_instruction(v);
}

void msr_load_guest(const struct vcpu *v)
{
	wrmsr(IA32_KERNEL_GS_BASE, v->msrs.kernel_gs_base);
	wrmsr(IA32_STAR, v->msrs.star);
	wrmsr(IA32_LSTAR, v->msrs.lstar);
	wrmsr(IA32_CSTAR, v->msrs.cstar);
	wrmsr(IA32_FMASK, v->msrs.fmask);
	if (cpuid(0x80000001, 0).edx & BIT(27))
		wrmsr(IA32_TSC_AUX, v->msrs.tsc_aux);
}
