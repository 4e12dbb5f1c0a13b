/*
 * Demo guest "hello" (64-bit ELF): a banner, a few CPUID facts, what Keel's
 * boot info says, and the hypercall ABI version; then it leaves by the
 * debug-exit port with v = 0 (status 1: success).
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/vmcall.h"
#include "tests/guests/lib/x86.h"

static void hello_cpu(void)
{
	struct x86_cpuid r = x86_cpuid(0, 0), f = x86_cpuid(1, 0);
	char vendor[13], brand[49];
	u32 family = (f.eax >> 8) & 0xF, model = (f.eax >> 4) & 0xF;

	x86_cpuid_chars(vendor, r.ebx);
	x86_cpuid_chars(vendor + 4, r.edx);
	x86_cpuid_chars(vendor + 8, r.ecx);
	vendor[12] = '\0';
	if (family == 0xF)
		family += (f.eax >> 20) & 0xFF;
	if (family == 0x6 || family >= 0xF)
		model |= ((f.eax >> 16) & 0xF) << 4;
	print("CPU: %s, family 0x%x model 0x%x stepping %u\n", vendor, family, model, f.eax & 0xF);
	brand[0] = brand[48] = '\0';
	if (x86_cpuid(0x80000000, 0).eax >= 0x80000004) {
		for (u32 i = 0; i < 3; i++) {
			r = x86_cpuid(0x80000002 + i, 0);
			x86_cpuid_chars(brand + 16 * i, r.eax);
			x86_cpuid_chars(brand + 16 * i + 4, r.ebx);
			x86_cpuid_chars(brand + 16 * i + 8, r.ecx);
			x86_cpuid_chars(brand + 16 * i + 12, r.edx);
		}
		print("CPU brand: %s\n", brand);
	}
	r = x86_cpuid(KEEL_CPUID_BASE, 0);
	x86_cpuid_chars(vendor, r.ebx);
	x86_cpuid_chars(vendor + 4, r.ecx);
	x86_cpuid_chars(vendor + 8, r.edx);
	print("hypervisor present: %s, signature \"%s\"\n",
	      f.ecx & X86_CPUID1_ECX_HYPERVISOR ? "yes" : "no", vendor);
}

static void hello_boot_info(uintptr_t info, uintptr_t magic)
{
	const struct keel_boot_info *bi = (const struct keel_boot_info *)info;

	if (magic != KEEL_BOOT_MAGIC || bi->magic != KEEL_BOOT_MAGIC) {
		print("no Keel boot info (magic 0x%llx)\n", (unsigned long long)magic);
		return;
	}
	print("RAM: %llu MiB; command line: \"%s\"; %u module(s)\n",
	      (unsigned long long)(bi->mem_size / MiB), (const char *)(uintptr_t)bi->cmdline,
	      bi->module_count);
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	long version;

	idt_init();
	print("Hello from a Keel guest: 64-bit ELF, entered in long mode at 0x%llx\n",
	      (unsigned long long)(uintptr_t)&guest_main);
	hello_cpu();
	hello_boot_info(info, magic);
	trap_reset();
	version = vmcall3_trap(KEEL_HC_VERSION, 0, 0, 0);
	if (trap_last.count)
		print("hypercalls: VMCALL raised %s\n", trap_name(trap_last.vector));
	else
		print("hypercall ABI version 0x%lx\n", version);
	print("Goodbye: leaving by the debug-exit port with v=0\n");
	debug_exit(0);
}
