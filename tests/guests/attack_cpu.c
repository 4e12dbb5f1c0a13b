/*
 * Guest "attack_cpu": control registers, MSRs and instructions a guest may
 * not use, tried on purpose (issue 8, tests/emu/test_hostile.py). Each must
 * get the architectural answer in the guest (#GP(0) or #UD at the
 * instruction) or be accepted where the SDM accepts it; nothing may end the
 * guest or reach Keel. The VMX instructions and XSETBV basics are the
 * vmxud guest's, IA32_FEATURE_CONTROL reads and the listed MSRs the msr
 * guest's; this one adds:
 *
 *   - MOV to CR4: VMXE, bits 63:32 one at a time, bit 15, PAE cleared in
 *     IA-32e mode; MOV to CR0: bits 63:32, NW without CD, PE cleared with PG
 *     set, PG cleared in 64-bit mode; MOV to CR8 above 15; MOV to CR3 with a
 *     bit at or above MAXPHYADDR; MOV to DR6/DR7 with bits 63:32 -> #GP(0)
 *   - WRMSR: every reserved EFER bit, non-canonical SYSENTER_ESP/EIP, LSTAR,
 *     CSTAR, KERNEL_GS_BASE, FS/GS_BASE, SYSENTER_CS above 32 bits,
 *     IA32_FEATURE_CONTROL (any value) -> #GP(0); STAR takes any value
 *   - a sweep of RDMSR, WRMSR of the value read, and WRMSR of all ones over
 *     [0, 0x2000), [0xC0000000, 0xC0002000), [0x40000000, 0x40000200) and
 *     [0x4B564D00, 0x4B564E00): each either completes or raises #GP(0)
 *   - GETSEC, MONITOR, MWAIT -> #UD; RDPMC -> #GP(0); INVD, WBINVD complete
 *   - XSETBV (where CPUID has XSAVE): AVX without SSE, bit 63, XCR 0xFFFFFFFF
 *     -> #GP(0)
 *
 * Afterwards its own state must still be sane (EFER.LME|LMA, CR0, CR4).
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/trap.h"
#include "tests/guests/lib/x86.h"

#define CPU_CR0_NW	  BIT(29)
#define CPU_CR0_CD	  BIT(30)
#define CPU_CR4_BIT15	  BIT(15)
#define CPU_NONCANON	  0x0000800000000000ULL
#define CPU_NONCANON_HIGH 0x8000000000000000ULL
#define CPU_BAD_SHOWN	  4

/* One exception-or-not outcome of a TRAP_INSN, as a small code for the sweeps. */
enum cpu_outcome { CPU_NONE, CPU_GP, CPU_OTHER };

static enum cpu_outcome cpu_outcome(void)
{
	if (trap_last.count == 0)
		return CPU_NONE;
	if (trap_last.count == 1 && trap_last.vector == TRAP_GP && trap_last.error_code == 0 &&
	    trap_last.at_insn)
		return CPU_GP;
	return CPU_OTHER;
}

static void cpu_write_cr0(u64 v)
{
	trap_reset();
	__asm__ volatile(TRAP_INSN("mov %0, %%cr0") : : "r"(v) : "memory");
}

static void cpu_write_cr4(u64 v)
{
	trap_reset();
	__asm__ volatile(TRAP_INSN("mov %0, %%cr4") : : "r"(v) : "memory");
}

static void cpu_write_cr3(u64 v)
{
	trap_reset();
	__asm__ volatile(TRAP_INSN("mov %0, %%cr3") : : "r"(v) : "memory");
}

static void cpu_write_cr8(u64 v)
{
	trap_reset();
	__asm__ volatile(TRAP_INSN("mov %0, %%cr8") : : "r"(v) : "memory");
}

static enum cpu_outcome cpu_wrmsr(u32 msr, u64 v)
{
	trap_wrmsr(msr, v);
	return cpu_outcome();
}

static enum cpu_outcome cpu_rdmsr(u32 msr, u64 *v)
{
	*v = trap_rdmsr(msr, 0);
	return cpu_outcome();
}

/* PASS when every bit of `bits` written alone (with base) raised #GP(0). */
static void cpu_bits_gp(const char *what, void (*write)(u64), u64 base, u64 bits)
{
	u64 bad = 0;

	for (u32 b = 0; b < 64; b++) {
		if (!(bits & BIT(b)))
			continue;
		write(base | BIT(b));
		if (cpu_outcome() != CPU_GP)
			bad |= BIT(b);
	}
	if (bad)
		check_fail("%s: bits 0x%llx did not raise #GP(0)", what, (unsigned long long)bad);
	else
		check_pass("%s: each of bits 0x%llx raises #GP(0)", what, (unsigned long long)bits);
}

static void cpu_check_cr(void)
{
	u64 cr0 = x86_read_cr0(), cr4 = x86_read_cr4(), cr3 = x86_read_cr3();
	u32 maxphy = x86_cpuid(0x80000008, 0).eax & 0xFF;

	cpu_write_cr4(cr4 | X86_CR4_VMXE);
	trap_expect("mov cr4 with VMXE raises #GP(0)", TRAP_GP, 0);
	cpu_bits_gp("mov cr4 reserved", cpu_write_cr4, cr4, ~0ULL << 32 | CPU_CR4_BIT15);
	cpu_write_cr4(cr4 & ~(u64)X86_CR4_PAE);
	trap_expect("mov cr4 clearing PAE in IA-32e mode raises #GP(0)", TRAP_GP, 0);
	cpu_bits_gp("mov cr0 reserved", cpu_write_cr0, cr0, ~0ULL << 32);
	cpu_write_cr0((cr0 | CPU_CR0_NW) & ~CPU_CR0_CD);
	trap_expect("mov cr0 with NW and not CD raises #GP(0)", TRAP_GP, 0);
	cpu_write_cr0(cr0 & ~(u64)X86_CR0_PE);
	trap_expect("mov cr0 clearing PE with PG set raises #GP(0)", TRAP_GP, 0);
	cpu_write_cr0(cr0 & ~(u64)X86_CR0_PG);
	trap_expect("mov cr0 clearing PG in 64-bit mode raises #GP(0)", TRAP_GP, 0);
	cpu_write_cr8(16);
	trap_expect("mov cr8 = 16 raises #GP(0)", TRAP_GP, 0);
	cpu_write_cr8(~0ULL);
	trap_expect("mov cr8 = ~0 raises #GP(0)", TRAP_GP, 0);
	cpu_bits_gp("mov cr3 beyond MAXPHYADDR", cpu_write_cr3, cr3, BIT(maxphy) | BIT(62));
	check_eq("CR0 unchanged", x86_read_cr0(), cr0);
	check_eq("CR4 unchanged", x86_read_cr4(), cr4);
	check_eq("CR3 unchanged", x86_read_cr3(), cr3);
}

static void cpu_check_dr(void)
{
	u64 v = BIT(32) | 0x400;

	trap_reset();
	__asm__ volatile(TRAP_INSN("mov %0, %%dr7") : : "r"(v) : "memory");
	trap_expect("mov dr7 with bit 32 raises #GP(0)", TRAP_GP, 0);
	trap_reset();
	__asm__ volatile(TRAP_INSN("mov %0, %%dr6") : : "r"(v) : "memory");
	trap_expect("mov dr6 with bit 32 raises #GP(0)", TRAP_GP, 0);
}

static void cpu_msr_gp(const char *what, u32 msr, u64 v)
{
	if (cpu_wrmsr(msr, v) == CPU_GP)
		check_pass("wrmsr %s = 0x%llx raises #GP(0)", what, (unsigned long long)v);
	else
		check_fail("wrmsr %s = 0x%llx: %s", what, (unsigned long long)v,
			   trap_last.count ? trap_name(trap_last.vector) : "accepted");
}

static void cpu_check_msrs(void)
{
	static const struct {
		const char *name;
		u32 msr;
	} addr_msrs[] = {
	    {"SYSENTER_ESP", X86_MSR_IA32_SYSENTER_ESP},
	    {"SYSENTER_EIP", X86_MSR_IA32_SYSENTER_EIP},
	    {"LSTAR", X86_MSR_IA32_LSTAR},
	    {"CSTAR", X86_MSR_IA32_CSTAR},
	    {"KERNEL_GS_BASE", X86_MSR_IA32_KERNEL_GS_BASE},
	    {"FS_BASE", X86_MSR_IA32_FS_BASE},
	    {"GS_BASE", X86_MSR_IA32_GS_BASE},
	};
	u64 efer = 0, star = 0, fc = 0;
	u64 efer_ok = X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
	u64 bad = 0;

	cpu_rdmsr(X86_MSR_IA32_EFER, &efer);
	for (u32 b = 0; b < 64; b++)
		if (!(efer_ok & BIT(b)) && cpu_wrmsr(X86_MSR_IA32_EFER, efer | BIT(b)) != CPU_GP)
			bad |= BIT(b);
	if (bad)
		check_fail("wrmsr EFER: reserved bits 0x%llx accepted", (unsigned long long)bad);
	else
		check_pass("wrmsr EFER: each reserved bit raises #GP(0)");
	for (size_t i = 0; i < ARRAY_SIZE(addr_msrs); i++) {
		cpu_msr_gp(addr_msrs[i].name, addr_msrs[i].msr, CPU_NONCANON);
		cpu_msr_gp(addr_msrs[i].name, addr_msrs[i].msr, CPU_NONCANON_HIGH);
	}
	cpu_msr_gp("SYSENTER_CS", X86_MSR_IA32_SYSENTER_CS, BIT(32));
	cpu_msr_gp("FEATURE_CONTROL", X86_MSR_IA32_FEATURE_CONTROL, 0);
	cpu_msr_gp("FEATURE_CONTROL", X86_MSR_IA32_FEATURE_CONTROL, 0x5);
	cpu_rdmsr(X86_MSR_IA32_FEATURE_CONTROL, &fc);
	check_eq("FEATURE_CONTROL reads locked, VMX off", fc & 7, 1);
	if (cpu_wrmsr(X86_MSR_IA32_STAR, ~0ULL) == CPU_NONE &&
	    cpu_rdmsr(X86_MSR_IA32_STAR, &star) == CPU_NONE)
		check_eq("wrmsr STAR = ~0 is accepted and reads back", star, ~0ULL);
	else
		check_fail("wrmsr/rdmsr STAR = ~0 faulted");
	cpu_wrmsr(X86_MSR_IA32_STAR, 0);
}

/* The sweep over one range: counts MSRs read and writes accepted; FAIL on a non-#GP outcome. */
static void cpu_sweep(u32 lo, u32 hi, u64 *readable, u64 *accepted, u64 *bad)
{
	for (u32 msr = lo; msr < hi; msr++) {
		u64 v;
		enum cpu_outcome r = cpu_rdmsr(msr, &v), w1 = CPU_NONE, w2;

		if (r == CPU_NONE) {
			++*readable;
			w1 = cpu_wrmsr(msr, v);
		}
		w2 = cpu_wrmsr(msr, ~0ULL);
		*accepted += (w1 == CPU_NONE && r == CPU_NONE) + (w2 == CPU_NONE);
		if ((r == CPU_OTHER || w1 == CPU_OTHER || w2 == CPU_OTHER) &&
		    (*bad)++ < CPU_BAD_SHOWN)
			check_fail("msr 0x%x: an exception other than #GP(0) (vector %u)", msr,
				   trap_last.vector);
	}
}

static void cpu_check_sweep(void)
{
	static const u32 ranges[][2] = {
	    {0, 0x2000},
	    {0xC0000000, 0xC0002000},
	    {0x40000000, 0x40000200},
	    {0x4B564D00, 0x4B564E00},
	};
	u64 readable = 0, accepted = 0, bad = 0, efer = 0;

	for (size_t i = 0; i < ARRAY_SIZE(ranges); i++)
		cpu_sweep(ranges[i][0], ranges[i][1], &readable, &accepted, &bad);
	cpu_wrmsr(X86_MSR_IA32_STAR, 0);
	print("msr sweep: %llu readable, %llu writes accepted\n", (unsigned long long)readable,
	      (unsigned long long)accepted);
	if (bad == 0)
		check_pass("msr sweep: every RDMSR/WRMSR completed or raised #GP(0)");
	cpu_rdmsr(X86_MSR_IA32_EFER, &efer);
	check_eq("EFER still has LME and LMA", efer & (X86_EFER_LME | X86_EFER_LMA),
		 X86_EFER_LME | X86_EFER_LMA);
}

static void cpu_check_insns(void)
{
	trap_reset();
	__asm__ volatile(TRAP_INSN("getsec") : : "a"(0) : "memory", "ebx", "ecx");
	trap_expect("getsec raises #UD", TRAP_UD, 0);
	trap_reset();
	__asm__ volatile(TRAP_INSN("monitor") : : "a"(0x100000), "c"(0), "d"(0) : "memory");
	trap_expect("monitor raises #UD", TRAP_UD, 0);
	trap_reset();
	__asm__ volatile(TRAP_INSN("mwait") : : "a"(0), "c"(0) : "memory");
	trap_expect("mwait raises #UD", TRAP_UD, 0);
	trap_reset();
	__asm__ volatile(TRAP_INSN("rdpmc") : : "c"(0) : "memory", "eax", "edx");
	trap_expect("rdpmc raises #GP(0)", TRAP_GP, 0);
	trap_reset();
	__asm__ volatile(TRAP_INSN("invd") : : : "memory");
	trap_expect_none("invd completes");
	trap_reset();
	__asm__ volatile(TRAP_INSN("wbinvd") : : : "memory");
	trap_expect_none("wbinvd completes");
}

static void cpu_xsetbv(u32 xcr, u64 v)
{
	trap_reset();
	__asm__ volatile(TRAP_INSN("xsetbv")
			 :
			 : "c"(xcr), "a"((u32)v), "d"((u32)(v >> 32))
			 : "memory");
}

static void cpu_check_xsetbv(void)
{
	u64 cr4 = x86_read_cr4();

	if (!(x86_cpuid(1, 0).ecx & X86_CPUID1_ECX_XSAVE)) {
		print("no XSAVE: XSETBV values not tried\n");
		return;
	}
	cpu_write_cr4(cr4 | X86_CR4_OSXSAVE);
	if (!trap_expect_none("set CR4.OSXSAVE"))
		return;
	cpu_xsetbv(0, 0x5); /* x87 | AVX without SSE */
	trap_expect("xsetbv XCR0 = x87|AVX (no SSE) raises #GP(0)", TRAP_GP, 0);
	cpu_xsetbv(0, BIT(63) | 1);
	trap_expect("xsetbv XCR0 bit 63 raises #GP(0)", TRAP_GP, 0);
	cpu_xsetbv(0xFFFFFFFF, 1);
	trap_expect("xsetbv XCR 0xFFFFFFFF raises #GP(0)", TRAP_GP, 0);
	cpu_xsetbv(0, 1);
	trap_expect_none("xsetbv XCR0 = 1 still accepted");
	cpu_write_cr4(cr4);
	trap_expect_none("clear CR4.OSXSAVE");
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	idt_init();
	print("attack_cpu: forbidden CR, DR, MSR and instruction uses\n");
	cpu_check_cr();
	cpu_check_dr();
	cpu_check_msrs();
	cpu_check_insns();
	cpu_check_xsetbv();
	cpu_check_sweep();
}
