/*
 * Guest MSRs. Every RDMSR/WRMSR exits (the MSR bitmap passes only FS/GS
 * base, which the VMCS switches) and is looked up in a table of ranges;
 * an MSR Keel does not list raises #GP, as on a CPU without it. An MSR a
 * CPUID flag implies exists exactly when the guest's CPUID shows the flag
 * (vm/cpuid_policy.h: the same struct cpuid_caps). Values are checked as
 * the SDM says the CPU checks them (canonical addresses, reserved bits,
 * valid memory types, read-only bits), so a guest cannot load Keel's CPU
 * with a bad value. docs/platform-cpu.md lists every MSR and its rules.
 */
#include "arch/x86/apic_regs.h"
#include "arch/x86/cpu.h"
#include "arch/x86/cr.h"
#include "arch/x86/msr.h"
#include "lib/console.h"
#include "vm/cpuid_policy.h"
#include "vm/guest.h"
#include "vmx/cr.h"
#include "vm/msr.h"
#include "vm/msr_core.h"
#include "vmx/exit.h"
#include "vmx/vcpu.h"
#include "vmx/vmx_controls.h"
#include "vmx/vmx_insn.h"

/* MSRs and bits not in arch/x86/msr.h (SDM Vol. 4, Table 2-2). */
#define IA32_FLUSH_CMD 0x10B

#define SPEC_CTRL_IBRS	    BIT(0)
#define SPEC_CTRL_STIBP	    BIT(1)
#define SPEC_CTRL_SSBD	    BIT(2)
#define PRED_CMD_IBPB	    BIT(0)
#define FLUSH_CMD_L1D_FLUSH BIT(0)
#define MTRR_DEF_TYPE_TYPE  0xFFULL
#define MTRR_DEF_TYPE_E	    BIT(11)
#define MTRR_TYPE_WB	    6

/*
 * IA32_ARCH_CAPABILITIES bits that only describe the CPU (which flaws it
 * lacks); the rest name MSRs or controls Keel does not offer.
 */
#define ARCH_CAP_INFO                                                                              \
	(BIT(0) /* RDCL_NO */ | BIT(1) /* IBRS_ALL */ | BIT(2) /* RSBA */ | BIT(4) /* SSB_NO */ |  \
	 BIT(5) /* MDS_NO */ | BIT(6) /* IF_PSCHANGE_MC_NO */ | BIT(8) /* TAA_NO */ |              \
	 BIT(13) /* SBDR_SSDP_NO */ | BIT(14) /* FBSDP_NO */ | BIT(15) /* PSDP_NO */ |             \
	 BIT(17) /* FB_CLEAR */ | BIT(19) /* RRSBA */ | BIT(20) /* BHI_NO */ |                     \
	 BIT(24) /* PBRSB_NO */ | BIT(26) /* GDS_NO */ | BIT(27) /* RFDS_NO */)

/* A handler returns false when the guest must get #GP instead. */
typedef bool msr_read_fn(struct vcpu *v, u32 msr, u64 *val);
typedef bool msr_write_fn(struct vcpu *v, u32 msr, u64 val);

struct msr_desc {
	u32 first, last; /* the MSRs [first, last] this entry handles */
	msr_read_fn *read;
	msr_write_fn *write;
};

_Static_assert(ARRAY_SIZE(((struct vcpu_msrs *)0)->mc_bank) == MSR_MC_BANKS,
	       "struct vcpu_msrs holds the registers of each bank");

static bool canonical(u64 a)
{
	return (u64)((s64)(a << 16) >> 16) == a;
}

static const struct cpuid_caps *caps(void)
{
	return cpuid_caps();
}

/* ---- EFER, PAT and the VMCS-held MSRs ---- */

static bool efer_read(struct vcpu *v, u32 msr, u64 *val)
{
	*val = vmcs_read(VMCS_GUEST_IA32_EFER);
	return true;
}

static bool efer_write(struct vcpu *v, u32 msr, u64 val)
{
	u64 old = vmcs_read(VMCS_GUEST_IA32_EFER);

	if (val & ~msr_efer_allowed(caps(), v->msrs.misc_enable))
		return false;
	/* LME cannot change while paging is on (SDM 10.8.5); LMA is the CPU's to set. */
	if ((cr_guest_cr0() & CR0_PG) && ((val ^ old) & EFER_LME))
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

/* ---- MSRs the VMCS does not switch: Keel loads them on the CPU for this vCPU ---- */

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

/*
 * TSC_AUX exists with RDTSCP or RDPID, which the guest has exactly when
 * "enable RDTSCP" is on (vm/cpuid_policy.c shows both then); without, #GP.
 */
static bool msr_exists(u32 msr)
{
	return msr != IA32_TSC_AUX || (vmcs_read(VMCS_PROC_BASED_CTLS2) & PROC2_ENABLE_RDTSCP);
}

/*
 * The CPU holds the loaded vCPU's values; the slots hold them while another
 * vCPU is loaded (msr_save_guest). KERNEL_GS_BASE is the one a guest
 * changes without an exit (SWAPGS exchanges it with GS.base), so it is
 * read from the CPU, never from its slot, while the vCPU is loaded.
 */
static bool cpu_msr_read(struct vcpu *v, u32 msr, u64 *val)
{
	if (!msr_exists(msr))
		return false;
	*val = msr == IA32_KERNEL_GS_BASE ? rdmsr(msr) : *cpu_msr_slot(v, msr);
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

/* ---- The TSC: the guest's is the CPU's plus the VMCS TSC offset ---- */

static bool tsc_read(struct vcpu *v, u32 msr, u64 *val)
{
	*val = rdtsc() + vmcs_read(VMCS_TSC_OFFSET);
	return true;
}

/* A TSC write sets the offset: the guest's RDTSC continues from the value written. */
static bool tsc_write(struct vcpu *v, u32 msr, u64 val)
{
	vmcs_write(VMCS_TSC_OFFSET, val - rdtsc());
	vlapic_tsc_offset_changed(&v->lapic);
	return true;
}

/*
 * IA32_TSC_ADJUST (SDM 18.17.3): the guest's TSC is the CPU's plus the
 * offset, which starts at 0, so the offset is exactly the guest's
 * TSC_ADJUST: a TSC write moves both by the same amount, and a TSC_ADJUST
 * write moves the TSC.
 */
static bool tsc_adjust_read(struct vcpu *v, u32 msr, u64 *val)
{
	if (!(caps()->leaf7_ebx & CPUID7_EBX_TSC_ADJUST))
		return false;
	*val = vmcs_read(VMCS_TSC_OFFSET);
	return true;
}

static bool tsc_adjust_write(struct vcpu *v, u32 msr, u64 val)
{
	if (!(caps()->leaf7_ebx & CPUID7_EBX_TSC_ADJUST))
		return false;
	vmcs_write(VMCS_TSC_OFFSET, val);
	vlapic_tsc_offset_changed(&v->lapic);
	return true;
}

/* ---- Fixed values ---- */

static bool fixed_read(struct vcpu *v, u32 msr, u64 *val)
{
	*val = msr == IA32_FEATURE_CONTROL ? FEATURE_CONTROL_LOCK /* locked, VMX off */
					   : 0; /* PLATFORM_ID, BIOS_SIGN_ID (no microcode) */
	return true;
}

/* IA32_BIOS_SIGN_ID: the microcode-revision probe writes 0 here first; the value is dropped. */
static bool ignore_write(struct vcpu *v, u32 msr, u64 val)
{
	return true;
}

/*
 * IA32_MISC_ENABLE (SDM Vol. 4, Table 2-2): the bits CPUID allows change
 * (msr_misc_enable_writable), the others are fixed and a write changing
 * one raises #GP. Limit CPUID Maxval, ENABLE MONITOR FSM and XD bit
 * disable change CPUID (vm/cpuid.c); XD bit disable makes EFER.NXE reserved.
 */
static bool misc_enable_read(struct vcpu *v, u32 msr, u64 *val)
{
	*val = v->msrs.misc_enable;
	return true;
}

static bool misc_enable_write(struct vcpu *v, u32 msr, u64 val)
{
	if (!msr_misc_enable_ok(caps(), v->msrs.misc_enable, val, vmcs_read(VMCS_GUEST_IA32_EFER)))
		return false;
	v->msrs.misc_enable = val;
	v->msrs.cpuid_custom =
	    ((val ^ msr_misc_enable_reset(caps())) & MISC_ENABLE_CPUID_BITS) != 0;
	return true;
}

/* ---- MTRRs (SDM 12.11): no variable or fixed ranges, a default type ---- */

static bool mtrr_read(struct vcpu *v, u32 msr, u64 *val)
{
	if (!(caps()->leaf1_edx & CPUID1_EDX_MTRR))
		return false;
	/* IA32_MTRRCAP: VCNT 0, no fixed ranges, no WC, no SMRR. */
	*val = msr == IA32_MTRR_DEF_TYPE ? v->msrs.mtrr_def_type : 0;
	return true;
}

/* IA32_MTRR_DEF_TYPE: a valid type (UC, WC, WT, WP, WB) and E; FE is reserved without FIX. */
static bool mtrr_write(struct vcpu *v, u32 msr, u64 val)
{
	u64 type = val & MTRR_DEF_TYPE_TYPE;

	if (!(caps()->leaf1_edx & CPUID1_EDX_MTRR) || msr != IA32_MTRR_DEF_TYPE)
		return false;
	if ((val & ~(MTRR_DEF_TYPE_TYPE | MTRR_DEF_TYPE_E)) || type == 2 || type == 3 || type > 6)
		return false;
	v->msrs.mtrr_def_type = val;
	return true;
}

/*
 * ---- Machine check (SDM Vol. 3B 16.3) ----
 * IA32_MCG_CAP: MSR_MC_BANKS banks, no MCG_CTL, no CMCI, no extended
 * registers. No machine check is ever reported, but the registers behave
 * as on a part that reports them (msr_mcg_ok, msr_mc_bank_ok): what is
 * accepted is kept and read back. Beyond the banks, #GP.
 */
#define MCG_CAP_VALUE ((u64)MSR_MC_BANKS)

static bool mca_exists(void)
{
	return caps()->leaf1_edx & CPUID1_EDX_MCA;
}

static bool mcg_read(struct vcpu *v, u32 msr, u64 *val)
{
	if (!mca_exists() || !msr_mcg_exists(MCG_CAP_VALUE, msr))
		return false;
	*val = msr == IA32_MCG_CAP	? MCG_CAP_VALUE
	       : msr == IA32_MCG_STATUS ? v->msrs.mcg_status
					: v->msrs.mcg_ctl;
	return true;
}

static bool mcg_write(struct vcpu *v, u32 msr, u64 val)
{
	if (!mca_exists() || !msr_mcg_ok(MCG_CAP_VALUE, msr, val))
		return false;
	*(msr == IA32_MCG_STATUS ? &v->msrs.mcg_status : &v->msrs.mcg_ctl) = val;
	return true;
}

static bool mc_bank_read(struct vcpu *v, u32 msr, u64 *val)
{
	unsigned i = (msr - IA32_MC0_CTL) / 4, reg = (msr - IA32_MC0_CTL) % 4;

	if (!mca_exists())
		return false;
	*val = v->msrs.mc_bank[i][reg];
	return true;
}

static bool mc_bank_write(struct vcpu *v, u32 msr, u64 val)
{
	unsigned i = (msr - IA32_MC0_CTL) / 4, reg = (msr - IA32_MC0_CTL) % 4;

	if (!mca_exists() || !msr_mc_bank_ok((enum msr_mc_reg)reg, val))
		return false;
	v->msrs.mc_bank[i][reg] = val;
	return true;
}

/*
 * ---- Speculation controls (CPUID.(EAX=7,ECX=0):EDX[26-31]) ----
 * Present exactly when CPUID shows them. IA32_SPEC_CTRL keeps the guest's
 * value and loads it on the CPU while the guest runs; the commands run on
 * the CPU at once; IA32_ARCH_CAPABILITIES is the CPU's, descriptive bits only.
 */
static u64 spec_ctrl_bits(void)
{
	u32 edx = caps()->leaf7_edx;

	return ((edx & CPUID7_EDX_IBRS_IBPB) ? SPEC_CTRL_IBRS : 0) |
	       ((edx & CPUID7_EDX_STIBP) ? SPEC_CTRL_STIBP : 0) |
	       ((edx & CPUID7_EDX_SSBD) ? SPEC_CTRL_SSBD : 0);
}

static bool spec_read(struct vcpu *v, u32 msr, u64 *val)
{
	u32 edx = caps()->leaf7_edx;

	if (msr == IA32_SPEC_CTRL && spec_ctrl_bits()) {
		*val = v->msrs.spec_ctrl;
		return true;
	}
	if (msr == IA32_ARCH_CAPABILITIES && (edx & CPUID7_EDX_ARCH_CAPABILITIES)) {
		*val = rdmsr(IA32_ARCH_CAPABILITIES) & ARCH_CAP_INFO;
		return true;
	}
	return false; /* PRED_CMD and FLUSH_CMD are write-only */
}

static bool spec_write(struct vcpu *v, u32 msr, u64 val)
{
	u32 edx = caps()->leaf7_edx;
	u64 ok;

	switch (msr) {
	case IA32_SPEC_CTRL:
		ok = spec_ctrl_bits();
		if (!ok || (val & ~ok))
			return false;
		v->msrs.spec_ctrl = val;
		break;
	case IA32_PRED_CMD:
		if (!(edx & CPUID7_EDX_IBRS_IBPB) || (val & ~PRED_CMD_IBPB))
			return false;
		break;
	case IA32_FLUSH_CMD:
		if (!(edx & CPUID7_EDX_L1D_FLUSH) || (val & ~FLUSH_CMD_L1D_FLUSH))
			return false;
		break;
	default: /* IA32_ARCH_CAPABILITIES is read-only */
		return false;
	}
	if (val || msr == IA32_SPEC_CTRL)
		wrmsr(msr, val);
	return true;
}

/* IA32_APIC_BASE, IA32_TSC_DEADLINE and the x2APIC MSRs belong to the local APIC model. */
static bool apic_msr_read(struct vcpu *v, u32 msr, u64 *val)
{
	return vlapic_rdmsr(&v->lapic, msr, val);
}

static bool apic_msr_write(struct vcpu *v, u32 msr, u64 val)
{
	return vlapic_wrmsr(&v->lapic, msr, val);
}

#define ONE(msr, rd, wr)                                                                           \
	{                                                                                          \
		(msr), (msr), (rd), (wr)                                                           \
	}

static const struct msr_desc msr_table[] = {
    ONE(MSR_IA32_APIC_BASE, apic_msr_read, apic_msr_write),
    ONE(MSR_IA32_TSC_DEADLINE, apic_msr_read, apic_msr_write),
    {MSR_X2APIC_FIRST, MSR_X2APIC_LAST, apic_msr_read, apic_msr_write}, /* x2APIC mode only */
    ONE(IA32_TIME_STAMP_COUNTER, tsc_read, tsc_write),
    ONE(IA32_PLATFORM_ID, fixed_read, NULL),
    ONE(IA32_FEATURE_CONTROL, fixed_read, NULL),
    ONE(IA32_TSC_ADJUST, tsc_adjust_read, tsc_adjust_write),
    ONE(IA32_SPEC_CTRL, spec_read, spec_write),
    ONE(IA32_PRED_CMD, spec_read, spec_write),
    ONE(IA32_BIOS_SIGN_ID, fixed_read, ignore_write),
    ONE(IA32_MTRRCAP, mtrr_read, mtrr_write),
    ONE(IA32_ARCH_CAPABILITIES, spec_read, spec_write),
    ONE(IA32_FLUSH_CMD, spec_read, spec_write),
    ONE(IA32_SYSENTER_CS, vmcs_msr_read, vmcs_msr_write),
    ONE(IA32_SYSENTER_ESP, vmcs_msr_read, vmcs_msr_write),
    ONE(IA32_SYSENTER_EIP, vmcs_msr_read, vmcs_msr_write),
    ONE(IA32_MCG_CAP, mcg_read, mcg_write),
    ONE(IA32_MCG_STATUS, mcg_read, mcg_write),
    ONE(IA32_MCG_CTL, mcg_read, mcg_write),
    ONE(IA32_MISC_ENABLE, misc_enable_read, misc_enable_write),
    ONE(IA32_PAT, pat_read, pat_write),
    ONE(IA32_MTRR_DEF_TYPE, mtrr_read, mtrr_write),
    {IA32_MC0_CTL, IA32_MC0_CTL + 4 * MSR_MC_BANKS - 1, mc_bank_read, mc_bank_write},
    ONE(IA32_EFER, efer_read, efer_write),
    ONE(IA32_STAR, cpu_msr_read, cpu_msr_write),
    ONE(IA32_LSTAR, cpu_msr_read, cpu_msr_write),
    ONE(IA32_CSTAR, cpu_msr_read, cpu_msr_write),
    ONE(IA32_FMASK, cpu_msr_read, cpu_msr_write),
    ONE(IA32_FS_BASE, vmcs_msr_read, vmcs_msr_write),
    ONE(IA32_GS_BASE, vmcs_msr_read, vmcs_msr_write),
    ONE(IA32_KERNEL_GS_BASE, cpu_msr_read, cpu_msr_write),
    ONE(IA32_TSC_AUX, cpu_msr_read, cpu_msr_write),
};

static const struct msr_desc *msr_find(u32 msr)
{
	for (unsigned i = 0; i < ARRAY_SIZE(msr_table); i++)
		if (msr >= msr_table[i].first && msr <= msr_table[i].last)
			return &msr_table[i];
	return NULL;
}

/*
 * A #GP for RDMSR/WRMSR: counted per MSR for the guest's summary (vm/vm.c)
 * and logged at loglevel=debug, so a guest's author can see which access
 * the CPU Keel presents refuses.
 */
static void msr_inject_gp(struct vcpu *v, u32 msr, bool write, u64 val)
{
	msr_gp_note(&v->msrs.gp, msr);
	if (write)
		pr_debug("guest %s: msr: #GP for wrmsr 0x%x value 0x%lx", v->guest->name, msr, val);
	else
		pr_debug("guest %s: msr: #GP for rdmsr 0x%x", v->guest->name, msr);
	vcpu_inject_gp(v);
}

void msr_handle_rdmsr(struct vcpu *v)
{
	u32 msr = (u32)v->regs.gpr[GPR_RCX];
	const struct msr_desc *d = msr_find(msr);
	u64 val;

	if (!d || !d->read || !d->read(v, msr, &val)) {
		msr_inject_gp(v, msr, false, 0);
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
		msr_inject_gp(v, msr, true, val);
		return;
	}
	vcpu_skip_instruction(v);
}

/* The values after RESET that Keel's emulated MSRs start from (zero otherwise). */
static void msr_reset(struct vcpu *v)
{
	v->msrs.misc_enable = msr_misc_enable_reset(caps());
	v->msrs.cpuid_custom = false;
	/* As firmware leaves it: MTRRs on, everything write-back (EPT maps RAM WB). */
	v->msrs.mtrr_def_type = MTRR_DEF_TYPE_E | MTRR_TYPE_WB;
	v->msrs.reset_done = true;
}

void msr_save_guest(struct vcpu *v)
{
	v->msrs.kernel_gs_base = rdmsr(IA32_KERNEL_GS_BASE); /* SWAPGS changes it, no exit */
}

void msr_load_guest(struct vcpu *v)
{
	if (!v->msrs.reset_done)
		msr_reset(v);
	wrmsr(IA32_KERNEL_GS_BASE, v->msrs.kernel_gs_base);
	wrmsr(IA32_STAR, v->msrs.star);
	wrmsr(IA32_LSTAR, v->msrs.lstar);
	wrmsr(IA32_CSTAR, v->msrs.cstar);
	wrmsr(IA32_FMASK, v->msrs.fmask);
	if (caps()->ext1_edx & CPUIDX1_EDX_RDTSCP)
		wrmsr(IA32_TSC_AUX, v->msrs.tsc_aux);
	/* Keel itself runs with the last guest's value: it only costs speed. */
	if (spec_ctrl_bits())
		wrmsr(IA32_SPEC_CTRL, v->msrs.spec_ctrl);
}
