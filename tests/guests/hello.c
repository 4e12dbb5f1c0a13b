/*
 * Demo guest "hello" (64-bit ELF): a banner, a few CPUID facts, what Keel's
 * boot info says, the hypercall ABI version, the date from its RTC and
 * three ticks of its local APIC timer taken in HLT; then it leaves by the
 * debug-exit port with v = 0 (status 1: success).
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/trap.h"
#include "tests/guests/lib/vmcall.h"
#include "tests/guests/lib/x86.h"

/* One CMOS register (port 0x70 index, 0x71 data), BCD decoded when register B says BCD. */
static u32 hello_cmos(u8 reg)
{
	u8 v, b;

	__asm__ volatile("outb %%al, $0x70; inb $0x71, %%al" : "=a"(b) : "a"((u8)0x0B));
	__asm__ volatile("outb %%al, $0x70; inb $0x71, %%al" : "=a"(v) : "a"(reg));
	return (b & 4) ? v : (u32)(v >> 4) * 10 + (v & 0xF);
}

static void hello_rtc(void)
{
	u8 a = 0x80;

	for (int i = 0; i < 1000 && (a & 0x80); i++) /* update in progress: wait, bounded */
		__asm__ volatile("outb %%al, $0x70; inb $0x71, %%al" : "=a"(a) : "a"((u8)0x0A));
	print("RTC: 20%02u-%02u-%02u %02u:%02u:%02u\n", hello_cmos(9), hello_cmos(8), hello_cmos(7),
	      hello_cmos(4), hello_cmos(2), hello_cmos(0));
}

#define HELLO_APIC(off) (((volatile u32 *)0xFEE00000ULL)[(off) / 4])
#define HELLO_TIMER_VEC 0x30

static volatile u32 hello_ticks;

static void hello_tick(struct trap_frame *f)
{
	hello_ticks++;
	HELLO_APIC(0xB0) = 0; /* EOI */
}

/* Three periodic local-APIC timer interrupts, each waking the guest from HLT. */
static void hello_timer(void)
{
	u64 t0, t1;

	trap_set_handler(HELLO_TIMER_VEC, hello_tick);
	HELLO_APIC(0x3E0) = 0xB;			  /* divide by 1 */
	HELLO_APIC(0x320) = (1u << 17) | HELLO_TIMER_VEC; /* periodic */
	t0 = x86_rdtsc();
	HELLO_APIC(0x380) = 1000000;
	__asm__ volatile("sti" ::: "memory");
	while (hello_ticks < 3)
		__asm__ volatile("hlt" ::: "memory");
	__asm__ volatile("cli" ::: "memory");
	t1 = x86_rdtsc();
	HELLO_APIC(0x320) = 1u << 16; /* masked */
	HELLO_APIC(0x380) = 0;
	print("APIC timer: 3 ticks of 1000000 counts, woken from HLT each time, in %lu TSC ticks\n",
	      (unsigned long)(t1 - t0));
}

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
	hello_rtc();
	hello_timer();
	print("Goodbye: leaving by the debug-exit port with v=0\n");
	debug_exit(0);
}
