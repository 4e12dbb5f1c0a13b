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
	msr_check_unknown();
	msr_check_efer();
	msr_check_bases();
	msr_check_syscall();
	msr_check_pat();
	msr_check_reads();
}
