/*
 * Guest "msr": RDMSR/WRMSR as Keel handles them. An MSR Keel does not
 * implement raises #GP(0) without retiring the instruction (RIP at it, EDX:EAX
 * untouched); the MSRs Keel passes through or emulates read as the
 * architecture says and keep what is written; writes the architecture
 * rejects (reserved bits, non-canonical bases, IA32_FEATURE_CONTROL) raise #GP.
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/trap.h"
#include "tests/guests/lib/x86.h"

#define MSR_UNKNOWN	 0x12345678
#define MSR_SENTINEL_LO	 0x5EE5EE5EU
#define MSR_SENTINEL_HI	 0xA11A11A1U
#define MSR_NONCANONICAL 0x8000000000000000ULL
#define MSR_MCG_STATUS	 0x17A
#define MSR_MCG_CTL	 0x17B
#define MSR_MC0_CTL	 0x400

/* IA32_MISC_ENABLE bits (SDM Vol. 4, Table 2-2) and the CPUID flags they go with. */
#define MISC_FAST_STRINGS  BIT(0)
#define MISC_TCC	   BIT(3)
#define MISC_EIST	   BIT(16)
#define MISC_MONITOR_FSM   BIT(18)
#define MISC_LIMIT_CPUID   BIT(22)
#define MISC_XTPR_DISABLE  BIT(23)
#define MISC_XD_DISABLE	   BIT(34)
#define CPUID1_ECX_MONITOR BIT(3)
#define CPUID1_ECX_EST	   BIT(7)
#define CPUID1_ECX_XTPR	   BIT(14)
#define CPUIDX1_EDX_NX	   BIT(20)

/* RDMSR under the trap table: EDX:EAX start as the sentinels and stay so if it faults. */
static u64 msr_read(u32 msr)
{
	return trap_rdmsr(msr, ((u64)MSR_SENTINEL_HI << 32) | MSR_SENTINEL_LO);
}

static void msr_write(u32 msr, u64 v)
{
	trap_wrmsr(msr, v);
}

static void msr_expect_read_gp(const char *what, const char *what_regs, u32 msr)
{
	u64 v = msr_read(msr);

	if (trap_expect(what, TRAP_GP, 0))
		check_eq(what_regs, v, ((u64)MSR_SENTINEL_HI << 32) | MSR_SENTINEL_LO);
}

static void msr_expect_write_gp(const char *what, u32 msr, u64 v)
{
	msr_write(msr, v);
	trap_expect(what, TRAP_GP, 0);
}

/* Writes v, reads it back, restores the old value; all without faults. */
static void msr_check_readback(const char *what, u32 msr, u64 v)
{
	u64 old = msr_read(msr), got;
	u32 faults = trap_last.count;

	msr_write(msr, v);
	faults += trap_last.count;
	got = msr_read(msr);
	faults += trap_last.count;
	if (faults)
		check_fail("%s: %u exception(s) reading, writing 0x%llx or reading back", what,
			   faults, (unsigned long long)v);
	else if (got != v)
		check_fail("%s: wrote 0x%llx, read 0x%llx", what, (unsigned long long)v,
			   (unsigned long long)got);
	else
		check_pass("%s: 0x%llx reads back", what, (unsigned long long)v);
	msr_write(msr, old);
}

/* A bit whose CPUID flag is set reads back; without the flag, setting it raises #GP. */
static void misc_check_flagged(const char *what, const char *gp_what, u64 m, u64 bit, bool flag)
{
	if (flag)
		msr_check_readback(what, X86_MSR_IA32_MISC_ENABLE, m ^ bit);
	else
		msr_expect_write_gp(gp_what, X86_MSR_IA32_MISC_ENABLE, m | bit);
}

/* XD bit disable hides NX and makes EFER.NXE reserved; not settable while NXE is set. */
static void misc_check_xd(u64 m)
{
	u64 efer = msr_read(X86_MSR_IA32_EFER) & ~(u64)X86_EFER_NXE;

	if (!(x86_cpuid(0x80000001, 0).edx & CPUIDX1_EDX_NX)) {
		msr_expect_write_gp(
		    "wrmsr IA32_MISC_ENABLE XD bit disable without NX raises #GP(0)",
		    X86_MSR_IA32_MISC_ENABLE, m | MISC_XD_DISABLE);
		return;
	}
	msr_write(X86_MSR_IA32_EFER, efer | X86_EFER_NXE);
	msr_expect_write_gp("wrmsr IA32_MISC_ENABLE XD bit disable while EFER.NXE raises #GP(0)",
			    X86_MSR_IA32_MISC_ENABLE, m | MISC_XD_DISABLE);
	msr_write(X86_MSR_IA32_EFER, efer);
	msr_check_readback("IA32_MISC_ENABLE XD bit disable", X86_MSR_IA32_MISC_ENABLE,
			   m | MISC_XD_DISABLE);
	msr_write(X86_MSR_IA32_MISC_ENABLE, m | MISC_XD_DISABLE);
	check_eq("with XD bit disable, CPUID.80000001H:EDX.NX reads 0",
		 x86_cpuid(0x80000001, 0).edx & CPUIDX1_EDX_NX, 0);
	msr_expect_write_gp("wrmsr IA32_EFER.NXE with XD bit disable raises #GP(0)",
			    X86_MSR_IA32_EFER, efer | X86_EFER_NXE);
	msr_write(X86_MSR_IA32_MISC_ENABLE, m);
	check_eq("XD bit disable cleared: NX back", x86_cpuid(0x80000001, 0).edx & CPUIDX1_EDX_NX,
		 CPUIDX1_EDX_NX);
	msr_check_readback("IA32_EFER.NXE without XD bit disable", X86_MSR_IA32_EFER,
			   efer | X86_EFER_NXE);
	msr_write(X86_MSR_IA32_EFER, efer);
}

/* IA32_MISC_ENABLE: the writable bits take effect; the others raise #GP. */
static void msr_check_misc_enable(void)
{
	u64 m = msr_read(X86_MSR_IA32_MISC_ENABLE);
	u32 max_basic = x86_cpuid(0, 0).eax, ecx1 = x86_cpuid(1, 0).ecx;

	print("IA32_MISC_ENABLE = 0x%llx\n", (unsigned long long)m);
	msr_check_readback("IA32_MISC_ENABLE fast strings off", X86_MSR_IA32_MISC_ENABLE,
			   m & ~MISC_FAST_STRINGS);
	msr_check_readback("IA32_MISC_ENABLE automatic thermal control circuit",
			   X86_MSR_IA32_MISC_ENABLE, m ^ MISC_TCC);
	msr_check_readback("IA32_MISC_ENABLE Limit CPUID Maxval", X86_MSR_IA32_MISC_ENABLE,
			   m | MISC_LIMIT_CPUID);
	msr_write(X86_MSR_IA32_MISC_ENABLE, m | MISC_LIMIT_CPUID);
	check_eq("with Limit CPUID Maxval, CPUID.0:EAX is 2", x86_cpuid(0, 0).eax, 2);
	msr_write(X86_MSR_IA32_MISC_ENABLE, m);
	check_eq("Limit CPUID Maxval cleared: CPUID.0:EAX back", x86_cpuid(0, 0).eax, max_basic);
	check_true(!(m & MISC_MONITOR_FSM) && !(ecx1 & CPUID1_ECX_MONITOR),
		   "ENABLE MONITOR FSM clear: CPUID.1:ECX.MONITOR clear");
	misc_check_flagged(
	    "IA32_MISC_ENABLE ENABLE MONITOR FSM",
	    "wrmsr IA32_MISC_ENABLE ENABLE MONITOR FSM without MONITOR raises #GP(0)", m,
	    MISC_MONITOR_FSM, ecx1 & CPUID1_ECX_MONITOR);
	misc_check_flagged("IA32_MISC_ENABLE EIST",
			   "wrmsr IA32_MISC_ENABLE EIST without CPUID EIST raises #GP(0)", m,
			   MISC_EIST, ecx1 & CPUID1_ECX_EST);
	misc_check_flagged("IA32_MISC_ENABLE xTPR message disable",
			   "wrmsr IA32_MISC_ENABLE xTPR disable without CPUID xTPR raises #GP(0)",
			   m, MISC_XTPR_DISABLE, ecx1 & CPUID1_ECX_XTPR);
	misc_check_xd(m);
	msr_expect_write_gp("wrmsr IA32_MISC_ENABLE reserved bit 1 raises #GP(0)",
			    X86_MSR_IA32_MISC_ENABLE, m | BIT(1));
	msr_expect_write_gp("wrmsr IA32_MISC_ENABLE reserved bit 35 raises #GP(0)",
			    X86_MSR_IA32_MISC_ENABLE, m | BIT(35));
	msr_expect_write_gp("wrmsr IA32_MISC_ENABLE read-only bit 11 raises #GP(0)",
			    X86_MSR_IA32_MISC_ENABLE, m ^ BIT(11));
	check_eq("IA32_MISC_ENABLE unchanged after the checks", msr_read(X86_MSR_IA32_MISC_ENABLE),
		 m);
}

/* Machine-check registers as on a part that reports them (IA32_MCG_CAP: no MCG_CTL). */
static void msr_check_mca(void)
{
	msr_check_readback("IA32_MC0_CTL all ones", MSR_MC0_CTL, ~0ULL);
	msr_check_readback("IA32_MC0_CTL zero", MSR_MC0_CTL, 0);
	msr_expect_write_gp("wrmsr IA32_MC0_CTL = 1 raises #GP(0)", MSR_MC0_CTL, 1);
	msr_check_readback("IA32_MC0_STATUS zero", MSR_MC0_CTL + 1, 0);
	msr_expect_write_gp("wrmsr IA32_MC0_STATUS = 1 raises #GP(0)", MSR_MC0_CTL + 1, 1);
	msr_check_readback("IA32_MC0_ADDR", MSR_MC0_CTL + 2, 0x12345678ABCDULL);
	msr_check_readback("IA32_MC1_MISC", MSR_MC0_CTL + 7, 0xFEDCBA9876543210ULL);
	msr_check_readback("IA32_MCG_STATUS MCIP", MSR_MCG_STATUS, BIT(2));
	msr_expect_write_gp("wrmsr IA32_MCG_STATUS reserved bit 3 raises #GP(0)", MSR_MCG_STATUS,
			    BIT(3));
	msr_expect_read_gp("rdmsr IA32_MCG_CTL (no MCG_CTL_P) raises #GP(0)",
			   "rdmsr IA32_MCG_CTL leaves EDX:EAX untouched", MSR_MCG_CTL);
}

static void msr_check_unknown(void)
{
	msr_expect_read_gp("rdmsr 0x12345678 raises #GP(0), not retired",
			   "rdmsr 0x12345678 leaves EDX:EAX untouched", MSR_UNKNOWN);
	msr_expect_write_gp("wrmsr 0x12345678 raises #GP(0), not retired", MSR_UNKNOWN, 0x1234);
	msr_expect_read_gp("rdmsr 0x40000000 raises #GP(0), not retired",
			   "rdmsr 0x40000000 leaves EDX:EAX untouched", 0x40000000);
	msr_expect_write_gp("wrmsr IA32_FEATURE_CONTROL raises #GP(0)",
			    X86_MSR_IA32_FEATURE_CONTROL, 0x5);
}

static void msr_check_efer(void)
{
	u64 efer = msr_read(X86_MSR_IA32_EFER);

	if (!trap_expect_none("rdmsr IA32_EFER"))
		return;
	check_eq("IA32_EFER has LME|LMA", efer & (X86_EFER_LME | X86_EFER_LMA),
		 X86_EFER_LME | X86_EFER_LMA);
	msr_check_readback("IA32_EFER.SCE", X86_MSR_IA32_EFER, efer ^ X86_EFER_SCE);
	msr_expect_write_gp("wrmsr IA32_EFER with reserved bit 1 raises #GP(0)", X86_MSR_IA32_EFER,
			    efer | BIT(1));
	check_eq("IA32_EFER unchanged after the faulting write", msr_read(X86_MSR_IA32_EFER), efer);
}

static void msr_check_bases(void)
{
	msr_check_readback("IA32_FS_BASE", X86_MSR_IA32_FS_BASE, 0x0000123456789000ULL);
	msr_check_readback("IA32_GS_BASE", X86_MSR_IA32_GS_BASE, 0xFFFF800012345000ULL);
	msr_check_readback("IA32_KERNEL_GS_BASE", X86_MSR_IA32_KERNEL_GS_BASE,
			   0x00007FFF00001000ULL);
	msr_expect_write_gp("wrmsr IA32_FS_BASE non-canonical raises #GP(0)", X86_MSR_IA32_FS_BASE,
			    MSR_NONCANONICAL);
	msr_expect_write_gp("wrmsr IA32_LSTAR non-canonical raises #GP(0)", X86_MSR_IA32_LSTAR,
			    MSR_NONCANONICAL);
}

static void msr_check_syscall(void)
{
	msr_check_readback("IA32_STAR", X86_MSR_IA32_STAR, 0x0023001000000000ULL);
	msr_check_readback("IA32_LSTAR", X86_MSR_IA32_LSTAR, 0xFFFFFFFF81000000ULL);
	msr_check_readback("IA32_CSTAR", X86_MSR_IA32_CSTAR, 0xFFFFFFFF81000100ULL);
	msr_check_readback("IA32_FMASK", X86_MSR_IA32_FMASK, 0x47700);
	msr_check_readback("IA32_SYSENTER_CS", X86_MSR_IA32_SYSENTER_CS, 0x10);
	msr_check_readback("IA32_SYSENTER_ESP", X86_MSR_IA32_SYSENTER_ESP, 0xFFFF800000002000ULL);
	msr_check_readback("IA32_SYSENTER_EIP", X86_MSR_IA32_SYSENTER_EIP, 0xFFFF800000003000ULL);
}

static void msr_check_pat(void)
{
	/* SDM Vol. 3A 11.12.2: each byte a memory type; 2 and 3 are reserved. */
	msr_check_readback("IA32_PAT", X86_MSR_IA32_PAT, 0x0007010600070106ULL);
	msr_expect_write_gp("wrmsr IA32_PAT with reserved type 2 raises #GP(0)", X86_MSR_IA32_PAT,
			    0x0007040600070402ULL);
}

static void msr_check_reads(void)
{
	u64 t0 = x86_rdtsc(), tsc = msr_read(X86_MSR_IA32_TSC), t1;

	t1 = x86_rdtsc();
	if (trap_expect_none("rdmsr IA32_TSC")) {
		if (t0 <= tsc && tsc <= t1)
			check_pass("IA32_TSC lies between two RDTSCs");
		else
			check_fail("IA32_TSC: 0x%llx not within RDTSC [0x%llx, 0x%llx]",
				   (unsigned long long)tsc, (unsigned long long)t0,
				   (unsigned long long)t1);
	}
	/* IA32_APIC_BASE exists only with CPUID.1:EDX.APIC[9]; without it RDMSR is #GP. */
	bool has_apic = x86_cpuid(1, 0).edx & (1u << 9);
	u64 apic = msr_read(X86_MSR_IA32_APIC_BASE);
	if (!has_apic)
		trap_expect("rdmsr IA32_APIC_BASE without CPUID.1:EDX.APIC", 13, 0);
	else if (trap_expect_none("rdmsr IA32_APIC_BASE"))
		print("IA32_APIC_BASE = 0x%llx\n", (unsigned long long)apic);
	u64 misc = msr_read(X86_MSR_IA32_MISC_ENABLE);
	if (trap_expect_none("rdmsr IA32_MISC_ENABLE"))
		print("IA32_MISC_ENABLE = 0x%llx\n", (unsigned long long)misc);
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	idt_init();
	print("msr: RDMSR/WRMSR handling\n");
	msr_check_misc_enable();
	msr_check_mca();
	msr_check_unknown();
	msr_check_efer();
	msr_check_bases();
	msr_check_syscall();
	msr_check_pat();
	msr_check_reads();
}
