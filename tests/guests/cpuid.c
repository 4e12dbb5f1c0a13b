/*
 * Guest "cpuid": Keel's CPUID policy as a guest sees it. Leaf 1 hides VMX
 * (ECX bit 5) and sets the hypervisor-present bit (ECX bit 31); leaf
 * 0x40000000 gives the highest hypervisor leaf and "KeelKeelKeel"; leaf
 * 0x40000001 the hypercall ABI version; leaf 0 stays sane.
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/x86.h"
#include "lib/string.h"

static bool cpuid_printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7E)
			return false;
	return true;
}

static void cpuid_check_leaf0(void)
{
	struct x86_cpuid r = x86_cpuid(0, 0);
	char vendor[13];

	x86_cpuid_chars(vendor, r.ebx);
	x86_cpuid_chars(vendor + 4, r.edx);
	x86_cpuid_chars(vendor + 8, r.ecx);
	vendor[12] = '\0';
	if (r.eax >= 1)
		check_pass("leaf 0: max basic leaf 0x%x >= 1", r.eax);
	else
		check_fail("leaf 0: max basic leaf: got 0x%x, want >= 1", r.eax);
	if (cpuid_printable(vendor, 12))
		check_pass("leaf 0: vendor \"%s\" is printable", vendor);
	else
		check_fail("leaf 0: vendor has unprintable bytes: %08x %08x %08x", r.ebx, r.edx,
			   r.ecx);
}

static void cpuid_check_leaf1(void)
{
	struct x86_cpuid r = x86_cpuid(1, 0);

	check_eq("leaf 1: ECX.VMX (bit 5) is clear", r.ecx & X86_CPUID1_ECX_VMX, 0);
	check_eq("leaf 1: ECX.hypervisor (bit 31) is set", r.ecx & X86_CPUID1_ECX_HYPERVISOR,
		 X86_CPUID1_ECX_HYPERVISOR);
}

static void cpuid_check_hypervisor(void)
{
	struct x86_cpuid r = x86_cpuid(KEEL_CPUID_BASE, 0);
	char sig[13];

	x86_cpuid_chars(sig, r.ebx);
	x86_cpuid_chars(sig + 4, r.ecx);
	x86_cpuid_chars(sig + 8, r.edx);
	sig[12] = '\0';
	check_eq("leaf 0x40000000: EAX is the highest hypervisor leaf", r.eax, KEEL_CPUID_MAX);
	if (memcmp(sig, KEEL_CPUID_SIGNATURE, 12) == 0)
		check_pass("leaf 0x40000000: signature \"%s\"", sig);
	else if (cpuid_printable(sig, 12))
		check_fail("leaf 0x40000000: signature: got \"%s\", want \"%s\"", sig,
			   KEEL_CPUID_SIGNATURE);
	else
		check_fail("leaf 0x40000000: signature: got %08x %08x %08x, want \"%s\"", r.ebx,
			   r.ecx, r.edx, KEEL_CPUID_SIGNATURE);
	r = x86_cpuid(KEEL_CPUID_BASE + 1, 0);
	check_eq("leaf 0x40000001: EAX is the hypercall ABI version", r.eax, KEEL_HC_ABI_VERSION);
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	idt_init();
	print("cpuid: Keel's CPUID policy\n");
	cpuid_check_leaf0();
	cpuid_check_leaf1();
	cpuid_check_hypervisor();
}
