/*
 * Guest "vmxud": the VMX instructions are not for guests. Each of VMXON,
 * VMXOFF, VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMLAUNCH, VMRESUME,
 * INVEPT, INVVPID and VMFUNC must raise #UD at the instruction and leave the
 * guest running. Then XSETBV: #UD while CR4.OSXSAVE is clear; where
 * CPUID.1:ECX.XSAVE says XSAVE exists, the guest sets CR4.OSXSAVE (CPUID's
 * OSXSAVE bit must follow) and XCR0 = 0 or an unsupported bit raise #GP(0)
 * while XCR0 = 1 (x87 only) is accepted.
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/trap.h"
#include "tests/guests/lib/x86.h"

/* Operands: a 4 KiB region for the pointer instructions, a 128-bit
 * INVEPT/INVVPID descriptor. Never used for real: every instruction faults. */
static u8 vmxud_region[4096] __aligned(4096);
static u64 vmxud_desc[2] __aligned(16);

static void vmxud_check_vmx(void)
{
	u64 pa = (uintptr_t)vmxud_region, field = 0x4400 /* VM-instruction error */, val = 0;
	u64 type = 1;

#define VMXUD(what, ...)                                                                           \
	do {                                                                                       \
		trap_reset();                                                                      \
		__asm__ volatile(__VA_ARGS__);                                                     \
		trap_expect(what " raises #UD", TRAP_UD, 0);                                       \
	} while (0)

	VMXUD("vmxon", TRAP_INSN("vmxon %0") : : "m"(pa) : "memory");
	VMXUD("vmxoff", TRAP_INSN("vmxoff") : : : "memory", "cc");
	VMXUD("vmclear", TRAP_INSN("vmclear %0") : : "m"(pa) : "memory", "cc");
	VMXUD("vmptrld", TRAP_INSN("vmptrld %0") : : "m"(pa) : "memory", "cc");
	VMXUD("vmptrst", TRAP_INSN("vmptrst %0") : "=m"(pa) : : "memory", "cc");
	VMXUD("vmread", TRAP_INSN("vmread %1, %0") : "+r"(val) : "r"(field) : "memory", "cc");
	VMXUD("vmwrite", TRAP_INSN("vmwrite %0, %1") : : "r"(val), "r"(field) : "memory", "cc");
	VMXUD("vmlaunch", TRAP_INSN("vmlaunch") : : : "memory", "cc");
	VMXUD("vmresume", TRAP_INSN("vmresume") : : : "memory", "cc");
	VMXUD("invept", TRAP_INSN("invept %0, %1") : : "m"(vmxud_desc), "r"(type) : "memory", "cc");
	VMXUD("invvpid", TRAP_INSN("invvpid %0, %1")
	      :
	      : "m"(vmxud_desc), "r"(type)
	      : "memory", "cc");
	VMXUD("vmfunc", TRAP_INSN("vmfunc") : : "a"(0), "c"(0) : "memory", "cc");
#undef VMXUD
}

static void vmxud_xsetbv(u32 xcr, u64 v)
{
	trap_reset();
	__asm__ volatile(TRAP_INSN("xsetbv")
			 :
			 : "c"(xcr), "a"((u32)v), "d"((u32)(v >> 32))
			 : "memory");
}

static u64 vmxud_xgetbv(u32 xcr)
{
	u32 lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(xcr));
	return ((u64)hi << 32) | lo;
}

static void vmxud_write_cr4(uintptr_t v)
{
	trap_reset();
	__asm__ volatile(TRAP_INSN("mov %0, %%cr4") : : "r"(v) : "memory");
}

/* The lowest XCR0 bit CPUID.(EAX=0DH,ECX=0) does not list as supported. */
static u64 vmxud_unsupported_xcr0_bit(void)
{
	struct x86_cpuid r = x86_cpuid(0xD, 0);
	u64 supported = ((u64)r.edx << 32) | r.eax;

	for (u32 bit = 1; bit < 64; bit++)
		if (!(supported & BIT(bit)))
			return BIT(bit);
	return BIT(63);
}

static void vmxud_check_xsave(uintptr_t cr4)
{
	u64 bad = vmxud_unsupported_xcr0_bit();

	vmxud_write_cr4(cr4 | X86_CR4_OSXSAVE);
	if (!trap_expect_none("setting CR4.OSXSAVE (CPUID says XSAVE)"))
		return;
	check_eq("CPUID.1:ECX.OSXSAVE follows CR4.OSXSAVE = 1",
		 x86_cpuid(1, 0).ecx & X86_CPUID1_ECX_OSXSAVE, X86_CPUID1_ECX_OSXSAVE);
	vmxud_xsetbv(0, 0);
	trap_expect("xsetbv XCR0 = 0 (x87 clear) raises #GP(0)", TRAP_GP, 0);
	vmxud_xsetbv(0, 1 | bad);
	if (!trap_expect("xsetbv XCR0 with an unsupported bit raises #GP(0)", TRAP_GP, 0))
		print("  (the bit was 0x%llx)\n", (unsigned long long)bad);
	vmxud_xsetbv(1, 1);
	trap_expect("xsetbv to XCR1 raises #GP(0)", TRAP_GP, 0);
	vmxud_xsetbv(0, 1);
	if (trap_expect_none("xsetbv XCR0 = 1 (x87 only) is accepted"))
		check_eq("xgetbv reads XCR0 = 1 back", vmxud_xgetbv(0), 1);
	vmxud_write_cr4(cr4);
	trap_expect_none("clearing CR4.OSXSAVE again");
	check_eq("CPUID.1:ECX.OSXSAVE follows CR4.OSXSAVE = 0",
		 x86_cpuid(1, 0).ecx & X86_CPUID1_ECX_OSXSAVE, 0);
}

static void vmxud_check_xsetbv(void)
{
	uintptr_t cr4 = x86_read_cr4();
	bool xsave = x86_cpuid(1, 0).ecx & X86_CPUID1_ECX_XSAVE;

	print("CPUID.1:ECX.XSAVE = %d, CR4 = 0x%llx\n", xsave, (unsigned long long)cr4);
	if (!check_eq("CR4.OSXSAVE is clear at entry", cr4 & X86_CR4_OSXSAVE, 0))
		return;
	vmxud_xsetbv(0, 1);
	trap_expect("xsetbv with CR4.OSXSAVE = 0 raises #UD", TRAP_UD, 0);
	if (xsave)
		vmxud_check_xsave(cr4);
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	idt_init();
	print("vmxud: VMX instructions raise #UD; XSETBV checks its operand\n");
	vmxud_check_vmx();
	vmxud_check_xsetbv();
}
