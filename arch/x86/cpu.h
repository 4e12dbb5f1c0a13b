/*
 * CPU primitives: CPUID, MSRs, control registers, TSC, halting.
 */
#ifndef KEEL_ARCH_X86_CPU_H
#define KEEL_ARCH_X86_CPU_H

#include "lib/types.h"

struct cpuid_regs {
	u32 eax, ebx, ecx, edx;
};

/* CPUID.1:ECX[31]: reserved on hardware, set by hypervisors (SDM Vol. 2A, Table 3-10). */
#define CPUID_1_ECX_TSC_DEADLINE BIT(24)
#define CPUID_1_ECX_HYPERVISOR	 BIT(31)

static inline struct cpuid_regs cpuid(u32 leaf, u32 subleaf)
{
	struct cpuid_regs r;

	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

#define DEFINE_CR_ACCESSORS(n)                                                                     \
	static inline u64 read_cr##n(void)                                                         \
	{                                                                                          \
		u64 v;                                                                             \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                                  \
		return v;                                                                          \
	}                                                                                          \
	static inline void write_cr##n(u64 v)                                                      \
	{                                                                                          \
		__asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory");                         \
	}
DEFINE_CR_ACCESSORS(0)
DEFINE_CR_ACCESSORS(2)
DEFINE_CR_ACCESSORS(3)
DEFINE_CR_ACCESSORS(4)
#undef DEFINE_CR_ACCESSORS

static inline u64 read_rflags(void)
{
	u64 v;

	__asm__ volatile("pushfq; popq %0" : "=r"(v));
	return v;
}

/*
 * An IRET to the next instruction, on the same stack: ends the blocking of
 * NMIs an NMI left (SDM Vol. 3A 6.7.1 "Handling Multiple NMIs"), here after
 * a VM exit caused by one.
 */
static inline void cpu_iret_to_self(void)
{
	u64 tmp;

	__asm__ volatile("mov %%ss, %k0\n\t"
			 "push %0\n\t"
			 "lea 8(%%rsp), %0\n\t"
			 "push %0\n\t"
			 "pushfq\n\t"
			 "mov %%cs, %k0\n\t"
			 "push %0\n\t"
			 "lea 1f(%%rip), %0\n\t"
			 "push %0\n\t"
			 "iretq\n"
			 "1:"
			 : "=&r"(tmp)
			 :
			 : "memory", "cc");
}

/* arch/x86/halt.S: STI; HLT; CLI, unless *flag is set (then only CLI). */
void cpu_halt_unless(const u8 *flag);
extern const u8 cpu_halt_window[], cpu_halt_window_end[];

static inline void cpu_relax(void)
{
	__asm__ volatile("pause");
}

static inline __noreturn void cpu_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

static inline void invlpg(const void *va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

#endif
