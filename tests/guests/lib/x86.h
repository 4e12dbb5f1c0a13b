/*
 * The few CPU primitives test guests use, written to build both as 64-bit
 * and as 32-bit code (Keel's arch/x86/cpu.h is 64-bit only). Port I/O is
 * Keel's arch/x86/io.h, which builds as either.
 */
#ifndef KEEL_GUESTS_X86_H
#define KEEL_GUESTS_X86_H

#include "lib/types.h"
#include "arch/x86/io.h"

/* Intel SDM Vol. 3A 2.5 "Control Registers" */
#define X86_CR0_PE	  BIT(0)
#define X86_CR0_MP	  BIT(1)
#define X86_CR0_ET	  BIT(4)
#define X86_CR0_NE	  BIT(5)
#define X86_CR0_WP	  BIT(16)
#define X86_CR0_PG	  BIT(31)
#define X86_CR4_PAE	  BIT(5)
#define X86_CR4_VMXE	  BIT(13)
#define X86_CR4_OSXSAVE	  BIT(18)
#define X86_RFLAGS_FIXED1 BIT(1)
#define X86_RFLAGS_IF	  BIT(9)
#define X86_RFLAGS_DF	  BIT(10)
#define X86_RFLAGS_VM	  BIT(17)

/* CPUID leaf 1 ECX (Intel SDM Vol. 2A, CPUID, Table 3-10) */
#define X86_CPUID1_ECX_VMX	  BIT(5)
#define X86_CPUID1_ECX_XSAVE	  BIT(26)
#define X86_CPUID1_ECX_OSXSAVE	  BIT(27)
#define X86_CPUID1_ECX_HYPERVISOR BIT(31)

/* MSRs (Intel SDM Vol. 4, Table 2-2) */
#define X86_MSR_IA32_TSC	     0x00000010
#define X86_MSR_IA32_APIC_BASE	     0x0000001B
#define X86_MSR_IA32_FEATURE_CONTROL 0x0000003A
#define X86_MSR_IA32_SYSENTER_CS     0x00000174
#define X86_MSR_IA32_SYSENTER_ESP    0x00000175
#define X86_MSR_IA32_SYSENTER_EIP    0x00000176
#define X86_MSR_IA32_MISC_ENABLE     0x000001A0
#define X86_MSR_IA32_PAT	     0x00000277
#define X86_MSR_IA32_EFER	     0xC0000080
#define X86_MSR_IA32_STAR	     0xC0000081
#define X86_MSR_IA32_LSTAR	     0xC0000082
#define X86_MSR_IA32_CSTAR	     0xC0000083
#define X86_MSR_IA32_FMASK	     0xC0000084
#define X86_MSR_IA32_FS_BASE	     0xC0000100
#define X86_MSR_IA32_GS_BASE	     0xC0000101
#define X86_MSR_IA32_KERNEL_GS_BASE  0xC0000102
#define X86_EFER_SCE		     BIT(0)
#define X86_EFER_LME		     BIT(8)
#define X86_EFER_LMA		     BIT(10)
#define X86_EFER_NXE		     BIT(11)

struct x86_cpuid {
	u32 eax, ebx, ecx, edx;
};

static inline struct x86_cpuid x86_cpuid(u32 leaf, u32 subleaf)
{
	struct x86_cpuid r;

	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

static inline uintptr_t x86_read_cr0(void)
{
	uintptr_t v;

	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static inline uintptr_t x86_read_cr3(void)
{
	uintptr_t v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline uintptr_t x86_read_cr4(void)
{
	uintptr_t v;

	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline void x86_write_cr4(uintptr_t v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

static inline uintptr_t x86_read_flags(void)
{
	uintptr_t v;

	__asm__ volatile("pushf; pop %0" : "=r"(v));
	return v;
}

static inline u64 x86_rdtsc(void)
{
	u32 lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

/* Copies a CPUID register's four bytes into s[0..4) (vendor strings). */
static inline void x86_cpuid_chars(char *s, u32 reg)
{
	for (int i = 0; i < 4; i++)
		s[i] = (char)(reg >> (8 * i));
}

/* RDMSR and WRMSR, unguarded: an MSR that faults here is a failure (lib/trap.h guards them). */
static inline u64 x86_rdmsr(u32 msr)
{
	u32 lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void x86_wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

#endif
