/*
 * The CPUID values a guest sees (vm/cpuid_policy.c; docs/platform-cpu.md
 * lists them and says why). The policy is pure: the host's CPUID comes in
 * through a callback, so host unit tests (tests/unit/test_cpuid_policy.c)
 * run it on recorded CPU models. vm/cpuid.c is the glue: the real CPUID,
 * the guest's state from the VMCS, the CPUID exit.
 *
 * What the policy advertises is what Keel handles: every CR4 bit, XCR0 bit,
 * EFER bit and MSR that a feature flag implies is accepted by vmx/cr.c,
 * vm/xsetbv.c and vm/msr.c (they ask the same struct cpuid_caps); every
 * other feature flag is clear.
 */
#ifndef KEEL_VM_CPUID_POLICY_H
#define KEEL_VM_CPUID_POLICY_H

#include "arch/x86/cpu.h"

/* The host CPU's CPUID(leaf, sub). */
typedef struct cpuid_regs cpuid_host_fn(void *ctx, u32 leaf, u32 sub);

/* Highest leaves a guest is told about. */
#define CPUID_POLICY_MAX_BASIC 0x1FU
#define CPUID_POLICY_MAX_EXT   0x80000008U

/* CPUID.1 feature bits (SDM Vol. 2A, CPUID, Tables 3-10 and 3-11). */
#define CPUID1_ECX_SSE3		BIT(0)
#define CPUID1_ECX_PCLMULQDQ	BIT(1)
#define CPUID1_ECX_DTES64	BIT(2)
#define CPUID1_ECX_MONITOR	BIT(3)
#define CPUID1_ECX_DS_CPL	BIT(4)
#define CPUID1_ECX_VMX		BIT(5)
#define CPUID1_ECX_SMX		BIT(6)
#define CPUID1_ECX_EST		BIT(7)
#define CPUID1_ECX_TM2		BIT(8)
#define CPUID1_ECX_SSSE3	BIT(9)
#define CPUID1_ECX_FMA		BIT(12)
#define CPUID1_ECX_CX16		BIT(13)
#define CPUID1_ECX_XTPR		BIT(14)
#define CPUID1_ECX_PDCM		BIT(15)
#define CPUID1_ECX_PCID		BIT(17)
#define CPUID1_ECX_SSE4_1	BIT(19)
#define CPUID1_ECX_SSE4_2	BIT(20)
#define CPUID1_ECX_X2APIC	BIT(21)
#define CPUID1_ECX_MOVBE	BIT(22)
#define CPUID1_ECX_POPCNT	BIT(23)
#define CPUID1_ECX_TSC_DEADLINE BIT(24)
#define CPUID1_ECX_AES		BIT(25)
#define CPUID1_ECX_XSAVE	BIT(26)
#define CPUID1_ECX_OSXSAVE	BIT(27)
#define CPUID1_ECX_AVX		BIT(28)
#define CPUID1_ECX_F16C		BIT(29)
#define CPUID1_ECX_RDRAND	BIT(30)
#define CPUID1_ECX_HYPERVISOR	BIT(31)
#define CPUID1_EDX_FPU		BIT(0)
#define CPUID1_EDX_VME		BIT(1)
#define CPUID1_EDX_DE		BIT(2)
#define CPUID1_EDX_PSE		BIT(3)
#define CPUID1_EDX_TSC		BIT(4)
#define CPUID1_EDX_MSR		BIT(5)
#define CPUID1_EDX_PAE		BIT(6)
#define CPUID1_EDX_MCE		BIT(7)
#define CPUID1_EDX_CX8		BIT(8)
#define CPUID1_EDX_APIC		BIT(9)
#define CPUID1_EDX_SEP		BIT(11)
#define CPUID1_EDX_MTRR		BIT(12)
#define CPUID1_EDX_PGE		BIT(13)
#define CPUID1_EDX_MCA		BIT(14)
#define CPUID1_EDX_CMOV		BIT(15)
#define CPUID1_EDX_PAT		BIT(16)
#define CPUID1_EDX_PSE36	BIT(17)
#define CPUID1_EDX_PSN		BIT(18)
#define CPUID1_EDX_CLFSH	BIT(19)
#define CPUID1_EDX_DS		BIT(21)
#define CPUID1_EDX_ACPI		BIT(22)
#define CPUID1_EDX_MMX		BIT(23)
#define CPUID1_EDX_FXSR		BIT(24)
#define CPUID1_EDX_SSE		BIT(25)
#define CPUID1_EDX_SSE2		BIT(26)
#define CPUID1_EDX_SS		BIT(27)
#define CPUID1_EDX_HTT		BIT(28)
#define CPUID1_EDX_TM		BIT(29)
#define CPUID1_EDX_PBE		BIT(31)

/* CPUID.(EAX=7,ECX=0) (SDM Vol. 2A, CPUID, Table 3-8). */
#define CPUID7_EBX_FSGSBASE	       BIT(0)
#define CPUID7_EBX_TSC_ADJUST	       BIT(1)
#define CPUID7_EBX_SGX		       BIT(2)
#define CPUID7_EBX_BMI1		       BIT(3)
#define CPUID7_EBX_HLE		       BIT(4)
#define CPUID7_EBX_AVX2		       BIT(5)
#define CPUID7_EBX_FDP_EXCPTN_ONLY     BIT(6)
#define CPUID7_EBX_SMEP		       BIT(7)
#define CPUID7_EBX_BMI2		       BIT(8)
#define CPUID7_EBX_ERMS		       BIT(9)
#define CPUID7_EBX_INVPCID	       BIT(10)
#define CPUID7_EBX_RTM		       BIT(11)
#define CPUID7_EBX_PQM		       BIT(12)
#define CPUID7_EBX_FPU_CSDS	       BIT(13)
#define CPUID7_EBX_MPX		       BIT(14)
#define CPUID7_EBX_PQE		       BIT(15)
#define CPUID7_EBX_AVX512F	       BIT(16)
#define CPUID7_EBX_AVX512DQ	       BIT(17)
#define CPUID7_EBX_RDSEED	       BIT(18)
#define CPUID7_EBX_ADX		       BIT(19)
#define CPUID7_EBX_SMAP		       BIT(20)
#define CPUID7_EBX_AVX512_IFMA	       BIT(21)
#define CPUID7_EBX_CLFLUSHOPT	       BIT(23)
#define CPUID7_EBX_CLWB		       BIT(24)
#define CPUID7_EBX_PT		       BIT(25)
#define CPUID7_EBX_AVX512PF	       BIT(26)
#define CPUID7_EBX_AVX512ER	       BIT(27)
#define CPUID7_EBX_AVX512CD	       BIT(28)
#define CPUID7_EBX_SHA		       BIT(29)
#define CPUID7_EBX_AVX512BW	       BIT(30)
#define CPUID7_EBX_AVX512VL	       BIT(31)
#define CPUID7_ECX_PREFETCHWT1	       BIT(0)
#define CPUID7_ECX_AVX512_VBMI	       BIT(1)
#define CPUID7_ECX_UMIP		       BIT(2)
#define CPUID7_ECX_PKU		       BIT(3)
#define CPUID7_ECX_OSPKE	       BIT(4)
#define CPUID7_ECX_WAITPKG	       BIT(5)
#define CPUID7_ECX_AVX512_VBMI2	       BIT(6)
#define CPUID7_ECX_CET_SS	       BIT(7)
#define CPUID7_ECX_GFNI		       BIT(8)
#define CPUID7_ECX_VAES		       BIT(9)
#define CPUID7_ECX_VPCLMULQDQ	       BIT(10)
#define CPUID7_ECX_AVX512_VNNI	       BIT(11)
#define CPUID7_ECX_AVX512_BITALG       BIT(12)
#define CPUID7_ECX_AVX512_VPOPCNTDQ    BIT(14)
#define CPUID7_ECX_LA57		       BIT(16)
#define CPUID7_ECX_RDPID	       BIT(22)
#define CPUID7_ECX_CLDEMOTE	       BIT(25)
#define CPUID7_ECX_MOVDIRI	       BIT(27)
#define CPUID7_ECX_MOVDIR64B	       BIT(28)
#define CPUID7_ECX_SGX_LC	       BIT(30)
#define CPUID7_EDX_AVX512_4VNNIW       BIT(2)
#define CPUID7_EDX_AVX512_4FMAPS       BIT(3)
#define CPUID7_EDX_FSRM		       BIT(4)
#define CPUID7_EDX_AVX512_VP2INTERSECT BIT(8)
#define CPUID7_EDX_MD_CLEAR	       BIT(10)
#define CPUID7_EDX_SERIALIZE	       BIT(14)
#define CPUID7_EDX_TSXLDTRK	       BIT(16)
#define CPUID7_EDX_PCONFIG	       BIT(18)
#define CPUID7_EDX_AVX512_FP16	       BIT(23)
#define CPUID7_EDX_IBRS_IBPB	       BIT(26)
#define CPUID7_EDX_STIBP	       BIT(27)
#define CPUID7_EDX_L1D_FLUSH	       BIT(28)
#define CPUID7_EDX_ARCH_CAPABILITIES   BIT(29)
#define CPUID7_EDX_SSBD		       BIT(31)

/* CPUID.80000001H (SDM Vol. 2A, CPUID, Table 3-8). */
#define CPUIDX1_ECX_LAHF      BIT(0)
#define CPUIDX1_ECX_LZCNT     BIT(5)
#define CPUIDX1_ECX_PREFETCHW BIT(8)
#define CPUIDX1_EDX_SYSCALL   BIT(11)
#define CPUIDX1_EDX_NX	      BIT(20)
#define CPUIDX1_EDX_PDPE1GB   BIT(26)
#define CPUIDX1_EDX_RDTSCP    BIT(27)
#define CPUIDX1_EDX_LM	      BIT(29)

/* XCR0 state components (SDM Vol. 1, 13.1 "XSAVE-Supported Features"). */
#define XCR0_X87    BIT(0)
#define XCR0_SSE    BIT(1)
#define XCR0_AVX    BIT(2)
#define XCR0_MPX    (BIT(3) | BIT(4))
#define XCR0_AVX512 (BIT(5) | BIT(6) | BIT(7))

/* CPUID.(EAX=0DH,ECX=1):EAX */
#define CPUIDD1_EAX_XSAVEOPT BIT(0)
#define CPUIDD1_EAX_XSAVEC   BIT(1)
#define CPUIDD1_EAX_XGETBV1  BIT(2)
#define CPUIDD1_EAX_XSAVES   BIT(3)

/* The legacy region and the XSAVE header: where XSAVE areas start. */
#define XSAVE_LEGACY_SIZE 576U

/*
 * What a guest is told that depends on the host alone, worked out once
 * (cpuid_caps_init) and consulted by the CPUID exit and by every handler
 * that must agree with it.
 */
struct cpuid_caps {
	u32 max_basic; /* leaf 0 EAX, at most CPUID_POLICY_MAX_BASIC */
	u32 max_ext;   /* leaf 0x80000000 EAX, at most CPUID_POLICY_MAX_EXT */
	u32 leaf1_ecx, leaf1_edx;
	u32 leaf7_ebx, leaf7_ecx, leaf7_edx;
	u32 ext1_ecx, ext1_edx;
	u64 xcr0_mask; /* XCR0 bits a guest may set (leaf 0xD EDX:EAX) */
	u32 xsave_max; /* leaf 0xD.0 ECX: XSAVE area size for all of xcr0_mask */
	u64 cr4_mask;  /* CR4 bits the advertised features let a guest set */
	u64 efer_mask; /* EFER bits WRMSR accepts (LMA is the CPU's: kept, never written) */
};

/* Guest state and VM-execution controls a few leaves depend on. */
struct cpuid_guest {
	u64 cr4;	   /* leaf 1 ECX.OSXSAVE follows CR4.OSXSAVE */
	u64 xcr0;	   /* leaf 0xD sizes of the enabled state */
	bool invpcid;	   /* "enable INVPCID" is on: leaf 7 EBX.INVPCID */
	bool rdtscp;	   /* "enable RDTSCP" is on: RDTSCP and RDPID */
	bool limit_maxval; /* IA32_MISC_ENABLE[22]: leaf 0 reports at most 2 */
	bool monitor_off;  /* IA32_MISC_ENABLE[18] clear: leaf 1 ECX.MONITOR reads 0 */
	bool xd_disable;   /* IA32_MISC_ENABLE[34]: 0x80000001 EDX.NX reads 0 */
};

/* Fills c from the host's CPUID. */
void cpuid_caps_init(struct cpuid_caps *c, cpuid_host_fn *host, void *ctx);

/*
 * The guest's CPUID(leaf, sub). A leaf above the highest basic or extended
 * leaf answers as the highest basic leaf does (SDM Vol. 2A, CPUID: "If a
 * value entered for CPUID.EAX is higher than the maximum input value...").
 * Leaves 0x40000000-0x4FFFFFFF are Keel's (vm/guest_abi.h).
 */
struct cpuid_regs cpuid_policy_leaf(const struct cpuid_caps *c, cpuid_host_fn *host, void *ctx,
				    u32 leaf, u32 sub, const struct cpuid_guest *g);

/*
 * True if, with limit_maxval, monitor_off and xd_disable at their reset
 * values (vm/msr_core.h, msr_misc_enable_reset), the answer for leaf depends on the
 * leaf, the subleaf and (leaf 1) CR4.OSXSAVE alone, not on the rest of
 * struct cpuid_guest: the glue may remember it.
 */
bool cpuid_policy_cacheable(const struct cpuid_caps *c, u32 leaf);

/*
 * Size of an XSAVE area holding the components in mask: the standard
 * format (offsets from leaf 0xD) or the compacted one (XSAVEC).
 */
u32 cpuid_xsave_size(cpuid_host_fn *host, void *ctx, u64 mask, bool compacted);

/* Glue (vm/cpuid.c): the host's caps, worked out on first use. */
const struct cpuid_caps *cpuid_caps(void);

/*
 * The guest's view of CPUID(leaf, sub) for a guest with this CR4 and
 * INVPCID setting, XCR0 = x87 (the hypervisor leaves need neither).
 */
struct cpuid_regs cpuid_policy(u32 leaf, u32 sub, u64 guest_cr4, bool invpcid);

#endif
