/*
 * Keel's CPUID policy (see cpuid_policy.h; docs/platform-cpu.md). Pure C,
 * host-tested. The host's answer is the starting point and each feature
 * register is filtered through a list of the features Keel handles: a flag
 * stays only if its instructions run natively in VMX non-root operation
 * under Keel's controls, or Keel emulates them, and every CR4 bit, XCR0
 * bit and MSR it implies is accepted. Unknown (future) flags are cleared.
 * Everything else (VMX, SMX, MONITOR, performance monitoring, thermal and
 * power management, debug store, PKU, CET, LA57, MPX, AMX, SGX, PT,
 * WAITPKG, XSAVES...) is hidden, with the leaves that describe it.
 */
#include "vm/cpuid_policy.h"
#include "arch/x86/cr.h"
#include "arch/x86/msr.h"
#include "vm/guest_abi.h"

/* Leaf 1: what stays. x2APIC, TSC-deadline and APIC belong to the local APIC
 * glue (vm/cpuid.c), OSXSAVE follows the guest's CR4, hypervisor is set. */
#define KEEP1_ECX                                                                                  \
	(CPUID1_ECX_SSE3 | CPUID1_ECX_PCLMULQDQ | CPUID1_ECX_SSSE3 | CPUID1_ECX_FMA |              \
	 CPUID1_ECX_CX16 | CPUID1_ECX_PCID | CPUID1_ECX_SSE4_1 | CPUID1_ECX_SSE4_2 |               \
	 CPUID1_ECX_X2APIC | CPUID1_ECX_MOVBE | CPUID1_ECX_POPCNT | CPUID1_ECX_TSC_DEADLINE |      \
	 CPUID1_ECX_AES | CPUID1_ECX_XSAVE | CPUID1_ECX_AVX | CPUID1_ECX_F16C | CPUID1_ECX_RDRAND)
#define KEEP1_EDX                                                                                  \
	(CPUID1_EDX_FPU | CPUID1_EDX_VME | CPUID1_EDX_DE | CPUID1_EDX_PSE | CPUID1_EDX_TSC |       \
	 CPUID1_EDX_MSR | CPUID1_EDX_PAE | CPUID1_EDX_MCE | CPUID1_EDX_CX8 | CPUID1_EDX_APIC |     \
	 CPUID1_EDX_SEP | CPUID1_EDX_MTRR | CPUID1_EDX_PGE | CPUID1_EDX_MCA | CPUID1_EDX_CMOV |    \
	 CPUID1_EDX_PAT | CPUID1_EDX_PSE36 | CPUID1_EDX_CLFSH | CPUID1_EDX_MMX | CPUID1_EDX_FXSR | \
	 CPUID1_EDX_SSE | CPUID1_EDX_SSE2 | CPUID1_EDX_SS | CPUID1_EDX_HTT)

/* Leaf 7.0: INVPCID and RDPID also need their VM-execution controls on. */
#define KEEP7_EBX                                                                                  \
	(CPUID7_EBX_FSGSBASE | CPUID7_EBX_TSC_ADJUST | CPUID7_EBX_BMI1 | CPUID7_EBX_HLE |          \
	 CPUID7_EBX_AVX2 | CPUID7_EBX_FDP_EXCPTN_ONLY | CPUID7_EBX_SMEP | CPUID7_EBX_BMI2 |        \
	 CPUID7_EBX_ERMS | CPUID7_EBX_INVPCID | CPUID7_EBX_RTM | CPUID7_EBX_FPU_CSDS |             \
	 CPUID7_EBX_AVX512F | CPUID7_EBX_AVX512DQ | CPUID7_EBX_RDSEED | CPUID7_EBX_ADX |           \
	 CPUID7_EBX_SMAP | CPUID7_EBX_AVX512_IFMA | CPUID7_EBX_CLFLUSHOPT | CPUID7_EBX_CLWB |      \
	 CPUID7_EBX_AVX512PF | CPUID7_EBX_AVX512ER | CPUID7_EBX_AVX512CD | CPUID7_EBX_SHA |        \
	 CPUID7_EBX_AVX512BW | CPUID7_EBX_AVX512VL)
#define KEEP7_ECX                                                                                  \
	(CPUID7_ECX_PREFETCHWT1 | CPUID7_ECX_AVX512_VBMI | CPUID7_ECX_UMIP |                       \
	 CPUID7_ECX_AVX512_VBMI2 | CPUID7_ECX_GFNI | CPUID7_ECX_VAES | CPUID7_ECX_VPCLMULQDQ |     \
	 CPUID7_ECX_AVX512_VNNI | CPUID7_ECX_AVX512_BITALG | CPUID7_ECX_AVX512_VPOPCNTDQ |         \
	 CPUID7_ECX_RDPID | CPUID7_ECX_CLDEMOTE | CPUID7_ECX_MOVDIRI | CPUID7_ECX_MOVDIR64B)
#define KEEP7_EDX                                                                                  \
	(CPUID7_EDX_AVX512_4VNNIW | CPUID7_EDX_AVX512_4FMAPS | CPUID7_EDX_FSRM |                   \
	 CPUID7_EDX_AVX512_VP2INTERSECT | CPUID7_EDX_MD_CLEAR | CPUID7_EDX_SERIALIZE |             \
	 CPUID7_EDX_TSXLDTRK | CPUID7_EDX_AVX512_FP16 | CPUID7_EDX_IBRS_IBPB | CPUID7_EDX_STIBP |  \
	 CPUID7_EDX_L1D_FLUSH | CPUID7_EDX_ARCH_CAPABILITIES | CPUID7_EDX_SSBD)

#define KEEPX1_ECX (CPUIDX1_ECX_LAHF | CPUIDX1_ECX_LZCNT | CPUIDX1_ECX_PREFETCHW)
#define KEEPX1_EDX                                                                                 \
	(CPUIDX1_EDX_SYSCALL | CPUIDX1_EDX_NX | CPUIDX1_EDX_PDPE1GB | CPUIDX1_EDX_RDTSCP |         \
	 CPUIDX1_EDX_LM)

/* Instructions that need AVX state (VEX or EVEX encoded only). */
#define AVX_1_ECX (CPUID1_ECX_FMA | CPUID1_ECX_AVX | CPUID1_ECX_F16C)
#define AVX_7_EBX CPUID7_EBX_AVX2
#define AVX_7_ECX (CPUID7_ECX_VAES | CPUID7_ECX_VPCLMULQDQ)
/* Instructions that need AVX-512 state. */
#define AVX512_7_EBX                                                                               \
	(CPUID7_EBX_AVX512F | CPUID7_EBX_AVX512DQ | CPUID7_EBX_AVX512_IFMA | CPUID7_EBX_AVX512PF | \
	 CPUID7_EBX_AVX512ER | CPUID7_EBX_AVX512CD | CPUID7_EBX_AVX512BW | CPUID7_EBX_AVX512VL)
#define AVX512_7_ECX                                                                               \
	(CPUID7_ECX_AVX512_VBMI | CPUID7_ECX_AVX512_VBMI2 | CPUID7_ECX_AVX512_VNNI |               \
	 CPUID7_ECX_AVX512_BITALG | CPUID7_ECX_AVX512_VPOPCNTDQ)
#define AVX512_7_EDX                                                                               \
	(CPUID7_EDX_AVX512_4VNNIW | CPUID7_EDX_AVX512_4FMAPS | CPUID7_EDX_AVX512_VP2INTERSECT |    \
	 CPUID7_EDX_AVX512_FP16)

/* The user state components Keel lets XCR0 enable: x87, SSE, AVX, AVX-512. */
#define KEEP_XCR0 (XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_AVX512)

#define LINEAR_BITS_4LEVEL 48U

static const struct cpuid_regs zero;

static u64 cr4_from_features(const struct cpuid_caps *c)
{
	u64 m = CR4_PCE; /* architectural with RDPMC (which takes #GP: no counters) */

	if (c->leaf1_edx & CPUID1_EDX_VME)
		m |= CR4_VME | CR4_PVI;
	if (c->leaf1_edx & CPUID1_EDX_TSC)
		m |= CR4_TSD;
	if (c->leaf1_edx & CPUID1_EDX_DE)
		m |= CR4_DE;
	if (c->leaf1_edx & CPUID1_EDX_PSE)
		m |= CR4_PSE;
	if (c->leaf1_edx & CPUID1_EDX_PAE)
		m |= CR4_PAE;
	if (c->leaf1_edx & CPUID1_EDX_MCE)
		m |= CR4_MCE;
	if (c->leaf1_edx & CPUID1_EDX_PGE)
		m |= CR4_PGE;
	if (c->leaf1_edx & CPUID1_EDX_FXSR)
		m |= CR4_OSFXSR;
	if (c->leaf1_edx & CPUID1_EDX_SSE)
		m |= CR4_OSXMMEXCPT;
	if (c->leaf7_ecx & CPUID7_ECX_UMIP)
		m |= CR4_UMIP;
	if (c->leaf7_ebx & CPUID7_EBX_FSGSBASE)
		m |= CR4_FSGSBASE;
	if (c->leaf1_ecx & CPUID1_ECX_PCID)
		m |= CR4_PCIDE;
	if (c->leaf1_ecx & CPUID1_ECX_XSAVE)
		m |= CR4_OSXSAVE;
	if (c->leaf7_ebx & CPUID7_EBX_SMEP)
		m |= CR4_SMEP;
	if (c->leaf7_ebx & CPUID7_EBX_SMAP)
		m |= CR4_SMAP;
	return m;
}

/* XCR0 bits: what the host's leaf 0xD offers of KEEP_XCR0, in valid groups. */
static u64 xcr0_from_host(const struct cpuid_regs *l1, cpuid_host_fn *host, void *ctx,
			  u32 max_basic)
{
	struct cpuid_regs d;
	u64 m;

	if (!(l1->ecx & CPUID1_ECX_XSAVE) || max_basic < 0xD)
		return 0;
	d = host(ctx, 0xD, 0);
	m = (((u64)d.edx << 32) | d.eax) & KEEP_XCR0;
	if (!(m & XCR0_X87) || !(m & XCR0_SSE))
		return 0;
	if (!(m & XCR0_AVX) || (m & XCR0_AVX512) != XCR0_AVX512)
		m &= ~(u64)XCR0_AVX512;
	return m;
}

void cpuid_caps_init(struct cpuid_caps *c, cpuid_host_fn *host, void *ctx)
{
	struct cpuid_regs h0 = host(ctx, 0, 0), e0 = host(ctx, 0x80000000, 0);
	struct cpuid_regs l1 = zero, l7 = zero, x1 = zero;

	*c = (struct cpuid_caps){0};
	c->max_basic = MIN(h0.eax, CPUID_POLICY_MAX_BASIC);
	c->max_ext = (e0.eax & 0x80000000) ? MIN(e0.eax, CPUID_POLICY_MAX_EXT) : 0;
	if (c->max_basic >= 1)
		l1 = host(ctx, 1, 0);
	if (c->max_basic >= 7)
		l7 = host(ctx, 7, 0);
	if (c->max_ext >= 0x80000001)
		x1 = host(ctx, 0x80000001, 0);
	c->leaf1_ecx = l1.ecx & KEEP1_ECX;
	c->leaf1_edx = l1.edx & KEEP1_EDX;
	c->leaf7_ebx = l7.ebx & KEEP7_EBX;
	c->leaf7_ecx = l7.ecx & KEEP7_ECX;
	c->leaf7_edx = l7.edx & KEEP7_EDX;
	c->ext1_ecx = x1.ecx & KEEPX1_ECX;
	c->ext1_edx = x1.edx & KEEPX1_EDX;

	c->xcr0_mask = xcr0_from_host(&l1, host, ctx, c->max_basic);
	if (!c->xcr0_mask)
		c->leaf1_ecx &= ~(u32)CPUID1_ECX_XSAVE;
	if (!(c->xcr0_mask & XCR0_AVX)) {
		c->leaf1_ecx &= ~(u32)AVX_1_ECX;
		c->leaf7_ebx &= ~(u32)AVX_7_EBX;
		c->leaf7_ecx &= ~(u32)AVX_7_ECX;
	}
	if (!(c->xcr0_mask & XCR0_AVX512)) {
		c->leaf7_ebx &= ~(u32)AVX512_7_EBX;
		c->leaf7_ecx &= ~(u32)AVX512_7_ECX;
		c->leaf7_edx &= ~(u32)AVX512_7_EDX;
	}
	c->xsave_max = c->xcr0_mask ? cpuid_xsave_size(host, ctx, c->xcr0_mask, false) : 0;
	c->cr4_mask = cr4_from_features(c);
	if (c->ext1_edx & CPUIDX1_EDX_SYSCALL)
		c->efer_mask |= EFER_SCE;
	if (c->ext1_edx & CPUIDX1_EDX_LM)
		c->efer_mask |= EFER_LME | EFER_LMA;
	if (c->ext1_edx & CPUIDX1_EDX_NX)
		c->efer_mask |= EFER_NXE;
}

u32 cpuid_xsave_size(cpuid_host_fn *host, void *ctx, u64 mask, bool compacted)
{
	u32 size = XSAVE_LEGACY_SIZE;

	for (u32 i = 2; i < 63; i++) {
		struct cpuid_regs s;

		if (!(mask & BIT(i)))
			continue;
		s = host(ctx, 0xD, i);
		if (compacted)
			size = ((s.ecx & BIT(1)) ? ALIGN_UP(size, 64U) : size) + s.eax;
		else
			size = MAX(size, s.ebx + s.eax);
	}
	return size;
}

/* Four signature bytes as a register holds them (folded at compile time). */
static inline u32 sig_word(const char *s)
{
	return (u32)(u8)s[0] | (u32)(u8)s[1] << 8 | (u32)(u8)s[2] << 16 | (u32)(u8)s[3] << 24;
}

static struct cpuid_regs hypervisor_leaf(u32 leaf)
{
	struct cpuid_regs r = zero;

	if (leaf == KEEL_CPUID_BASE) {
		r.eax = KEEL_CPUID_MAX;
		r.ebx = sig_word(KEEL_CPUID_SIGNATURE);
		r.ecx = sig_word(KEEL_CPUID_SIGNATURE + 4);
		r.edx = sig_word(KEEL_CPUID_SIGNATURE + 8);
	} else if (leaf == KEEL_CPUID_BASE + 1) {
		r.eax = KEEL_HC_ABI_VERSION;
	}
	return r;
}

static struct cpuid_regs leaf1(const struct cpuid_caps *c, struct cpuid_regs h,
			       const struct cpuid_guest *g)
{
	h.ecx = c->leaf1_ecx | CPUID1_ECX_HYPERVISOR;
	if ((g->cr4 & CR4_OSXSAVE) && (c->leaf1_ecx & CPUID1_ECX_XSAVE))
		h.ecx |= CPUID1_ECX_OSXSAVE;
	if (g->monitor_off) /* IA32_MISC_ENABLE[18] (SDM Vol. 4, Table 2-2) */
		h.ecx &= ~(u32)CPUID1_ECX_MONITOR;
	h.edx = c->leaf1_edx;
	/* EBX: initial APIC ID 0 (bits 31:24), one logical processor (23:16). */
	h.ebx = (h.ebx & 0xFFFF) | (1u << 16);
	return h;
}

static struct cpuid_regs leaf7(const struct cpuid_caps *c, u32 sub, const struct cpuid_guest *g)
{
	struct cpuid_regs r = zero;

	if (sub != 0)
		return r; /* EAX = 0: subleaf 0 is the only one */
	r.ebx = c->leaf7_ebx;
	r.ecx = c->leaf7_ecx;
	r.edx = c->leaf7_edx;
	if (!g->invpcid)
		r.ebx &= ~(u32)CPUID7_EBX_INVPCID;
	if (!g->rdtscp)
		r.ecx &= ~(u32)CPUID7_ECX_RDPID;
	return r;
}

/* Leaves 0xB and 0x1F: one logical processor, x2APIC ID 0 (SDM Vol. 2A, Table 3-8). */
static struct cpuid_regs topology(u32 sub)
{
	struct cpuid_regs r = zero;

	if (sub == 0) {
		r.ebx = 1;	 /* one logical processor at the SMT level */
		r.ecx = 1u << 8; /* level type 1 (SMT), level number 0 */
	} else {
		r.ecx = sub & 0xFF; /* level type 0: no such level */
	}
	return r;
}

static struct cpuid_regs xsave_leaf(const struct cpuid_caps *c, cpuid_host_fn *host, void *ctx,
				    u32 sub, const struct cpuid_guest *g)
{
	struct cpuid_regs r = zero, h;
	u64 xcr0 = (g->xcr0 & c->xcr0_mask) | XCR0_X87;

	if (!c->xcr0_mask || sub >= 63)
		return r;
	if (sub == 0) {
		r.eax = (u32)c->xcr0_mask;
		r.edx = (u32)(c->xcr0_mask >> 32);
		r.ebx = cpuid_xsave_size(host, ctx, xcr0, false);
		r.ecx = c->xsave_max;
	} else if (sub == 1) {
		h = host(ctx, 0xD, 1);
		r.eax = h.eax & (CPUIDD1_EAX_XSAVEOPT | CPUIDD1_EAX_XSAVEC | CPUIDD1_EAX_XGETBV1);
		if (r.eax & CPUIDD1_EAX_XSAVEC)
			r.ebx = cpuid_xsave_size(host, ctx, xcr0, true);
	} else if (c->xcr0_mask & BIT(sub)) {
		h = host(ctx, 0xD, sub);
		r.eax = h.eax;		/* size */
		r.ebx = h.ebx;		/* offset in the standard format */
		r.ecx = h.ecx & BIT(1); /* 64-byte aligned when compacted; user state */
	}
	return r;
}

static struct cpuid_regs basic_leaf(const struct cpuid_caps *c, cpuid_host_fn *host, void *ctx,
				    u32 leaf, u32 sub, const struct cpuid_guest *g, u32 max_basic)
{
	struct cpuid_regs r;

	switch (leaf) {
	case 0:
		r = host(ctx, 0, 0);
		r.eax = max_basic;
		return r;
	case 1:
		return leaf1(c, host(ctx, 1, 0), g);
	case 2:	   /* cache and TLB descriptors */
	case 0x15: /* TSC and core crystal clock */
	case 0x16: /* processor frequency */
	case 0x18: /* address translation parameters */
		return host(ctx, leaf, sub);
	case 4: /* deterministic cache parameters: one core, one thread per cache */
		r = host(ctx, 4, sub);
		r.eax &= 0x03FFFFFF & ~(0xFFFu << 14);
		return r;
	case 7:
		return leaf7(c, sub, g);
	case 0xB:
	case 0x1F:
		return topology(sub);
	case 0xD:
		return xsave_leaf(c, host, ctx, sub, g);
	default: /* 3 (PSN), 5 (MONITOR), 6 (power), 0xA (PMU), RDT, SGX, PT, ...: hidden */
		return zero;
	}
}

static struct cpuid_regs ext_leaf(const struct cpuid_caps *c, cpuid_host_fn *host, void *ctx,
				  u32 leaf, const struct cpuid_guest *g)
{
	struct cpuid_regs r = zero, h;

	switch (leaf) {
	case 0x80000000:
		r.eax = c->max_ext;
		return r;
	case 0x80000001:
		r.eax = host(ctx, leaf, 0).eax;
		r.ecx = c->ext1_ecx;
		r.edx = c->ext1_edx;
		if (!g->rdtscp)
			r.edx &= ~(u32)CPUIDX1_EDX_RDTSCP;
		if (g->xd_disable) /* IA32_MISC_ENABLE[34] (SDM Vol. 4, Table 2-2) */
			r.edx &= ~(u32)CPUIDX1_EDX_NX;
		return r;
	case 0x80000007: /* invariant TSC only */
		r.edx = host(ctx, leaf, 0).edx & BIT(8);
		return r;
	case 0x80000008: /* MAXPHYADDR as the CPU has it; 48 linear bits (no LA57) */
		h = host(ctx, leaf, 0);
		r.eax = (h.eax & 0xFF) | (MIN((h.eax >> 8) & 0xFF, LINEAR_BITS_4LEVEL) << 8);
		r.ebx = h.ebx & BIT(9); /* WBNOINVD: exits as WBINVD does */
		return r;
	default: /* brand string, cache descriptors */
		return host(ctx, leaf, 0);
	}
}

/* The leaf that answers for `leaf`: itself, or the highest basic leaf when beyond a maximum. */
static u32 answering_leaf(const struct cpuid_caps *c, u32 leaf, u32 max_basic)
{
	if ((leaf & 0xF0000000) == KEEL_CPUID_BASE || (leaf >= 0x80000000 && leaf <= c->max_ext))
		return leaf;
	return leaf > max_basic ? max_basic : leaf;
}

struct cpuid_regs cpuid_policy_leaf(const struct cpuid_caps *c, cpuid_host_fn *host, void *ctx,
				    u32 leaf, u32 sub, const struct cpuid_guest *g)
{
	u32 max_basic = g->limit_maxval ? MIN(c->max_basic, 2U) : c->max_basic;

	leaf = answering_leaf(c, leaf, max_basic);
	if ((leaf & 0xF0000000) == KEEL_CPUID_BASE)
		return hypervisor_leaf(leaf);
	if (leaf >= 0x80000000)
		return ext_leaf(c, host, ctx, leaf, g);
	return basic_leaf(c, host, ctx, leaf, sub, g, max_basic);
}

bool cpuid_policy_cacheable(const struct cpuid_caps *c, u32 leaf)
{
	leaf = answering_leaf(c, leaf, c->max_basic);
	return leaf != 7 && leaf != 0xD && leaf != 0x80000001;
}
