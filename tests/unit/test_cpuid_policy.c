/*
 * Host tests for vm/cpuid_policy.c: Keel's CPUID policy on fake CPUs. A
 * CPU that sets every feature bit shows that only what Keel handles is
 * advertised (unknown and unsupported flags cleared); a Skylake-like and
 * a Sandy-Bridge-like CPU show the values a guest gets on Keel's test
 * machines; leaves 0, 0xB, 0xD and 0x80000008 stay coherent with each
 * other, with CR4, XCR0 and EFER (SDM Vol. 2A, CPUID; Vol. 1, 13.2-13.4).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "arch/x86/cr.h"
#include "arch/x86/msr.h"
#include "vm/cpuid_policy.h"
#include "vm/guest_abi.h"

/* A component of the XSAVE area: leaf 0xD subleaf i. */
struct comp {
	u32 size, offset, ecx;
};

struct fake_cpu {
	u32 max_basic, max_ext;
	struct cpuid_regs leaf1, leaf7, ext1, ext8;
	u64 xcr0;   /* leaf 0xD.0 EDX:EAX */
	u32 xsave1; /* leaf 0xD.1 EAX */
	struct comp comp[64];
};

/* Leaves the fake does not model answer this, so pass-through is visible. */
static struct cpuid_regs marker(u32 leaf, u32 sub)
{
	return (struct cpuid_regs){leaf, sub, 0xAAAA5555, 0x5555AAAA};
}

static struct cpuid_regs fake_cpuid(void *ctx, u32 leaf, u32 sub)
{
	const struct fake_cpu *f = ctx;
	struct cpuid_regs r = {0};

	switch (leaf) {
	case 0:
		return (struct cpuid_regs){f->max_basic, 0x756E6547, 0x6C65746E, 0x49656E69};
	case 1:
		return f->leaf1;
	case 7:
		return sub == 0 ? f->leaf7 : (struct cpuid_regs){0, 0xFFFFFFFF, 0xFFFFFFFF, ~0u};
	case 0xD:
		if (sub == 0) {
			r.eax = (u32)f->xcr0;
			r.edx = (u32)(f->xcr0 >> 32);
			r.ebx = 0x1234; /* depends on the host's XCR0: never passed on */
			r.ecx = 0x4321;
		} else if (sub == 1) {
			r.eax = f->xsave1;
			r.ebx = 0x999;
			r.ecx = 0x1FF00; /* XSS bits */
		} else if (sub < 64) {
			r = (struct cpuid_regs){f->comp[sub].size, f->comp[sub].offset,
						f->comp[sub].ecx, 0};
		}
		return r;
	case 0x80000000:
		return (struct cpuid_regs){f->max_ext, 0, 0, 0};
	case 0x80000001:
		return f->ext1;
	case 0x80000007:
		return (struct cpuid_regs){0xFF, 0xFF, 0xFF, 0x1FF}; /* bit 8: invariant TSC */
	case 0x80000008:
		return f->ext8;
	default:
		return marker(leaf, sub);
	}
}

/* Every feature bit set, future leaves: only what Keel handles may show. */
static struct fake_cpu everything = {
    .max_basic = 0x23,
    .max_ext = 0x80000021,
    .leaf1 = {0x00050654, 0x12345678, 0xFFFFFFFF, 0xFFFFFFFF},
    .leaf7 = {0x2, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF},
    .ext1 = {0x11, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF},
    .ext8 = {0x3934, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, /* 52 physical, 57 linear */
    .xcr0 = 0x602FF,					  /* x87..AVX-512, PT, PKRU, AMX */
    .xsave1 = 0x1F,
    .comp =
	{
	    [2] = {256, 576, 0},    /* AVX */
	    [3] = {64, 960, 0},	    /* BNDREGS */
	    [4] = {64, 1024, 0},    /* BNDCSR */
	    [5] = {64, 1088, 0},    /* opmask */
	    [6] = {512, 1152, 0},   /* ZMM_Hi256 */
	    [7] = {1024, 1664, 0},  /* Hi16_ZMM */
	    [9] = {8, 2688, 0},	    /* PKRU */
	    [17] = {64, 2752, 2},   /* TILECFG */
	    [18] = {8192, 2816, 2}, /* TILEDATA */
	},
};

/* Bochs' corei7_skylake_x as Keel's tests see it (bochs cpudb). */
static struct fake_cpu skylake = {
    .max_basic = 0x16,
    .max_ext = 0x80000008,
    .leaf1 = {0x00050654, 0x00010800, 0x77FAF3BF, 0xBFEBFBFF},
    .leaf7 = {0, 0xD19F25E9, 0, 0},
    .ext1 = {0, 0, 0x121, 0x2C100800},
    .ext8 = {0x3028, 0, 0, 0},
    .xcr0 = 0xE7,
    .xsave1 = 0xF,
    .comp = {[2] = {256, 576, 0}, [5] = {64, 1088, 0}, [6] = {512, 1152, 0}, [7] = {1024, 1664, 0}},
};

/* Sandy Bridge: leaf 0 stops at 0xD, no leaf-7 features, AVX. */
static struct fake_cpu sandy = {
    .max_basic = 0xD,
    .max_ext = 0x80000008,
    .leaf1 = {0x000206A7, 0x00100800, 0x1FBAE3FF, 0xBFEBFBFF},
    .leaf7 = {0, 0, 0, 0},
    .ext1 = {0, 0, 0x1, 0x28100800},
    .ext8 = {0x3024, 0, 0, 0},
    .xcr0 = 0x7,
    .xsave1 = 0x1,
    .comp = {[2] = {256, 576, 0}},
};

/* No XSAVE: leaf 0xD and everything AVX must vanish. */
static struct fake_cpu old = {
    .max_basic = 0xA,
    .max_ext = 0x80000008,
    .leaf1 = {0x000106A5, 0x00100800, 0x009CE3BD, 0xBFEBFBFF},
    .ext1 = {0, 0, 0x1, 0x28100800},
    .ext8 = {0x3024, 0, 0, 0},
};

static struct cpuid_caps caps;
static struct cpuid_guest guest;
static struct fake_cpu *cpu;

static void use(struct fake_cpu *f)
{
	cpu = f;
	cpuid_caps_init(&caps, fake_cpuid, f);
	guest = (struct cpuid_guest){.xcr0 = XCR0_X87, .invpcid = true, .rdtscp = true};
}

static struct cpuid_regs q(u32 leaf, u32 sub)
{
	return cpuid_policy_leaf(&caps, fake_cpuid, cpu, leaf, sub, &guest);
}

static void assert_regs(struct cpuid_regs a, struct cpuid_regs b)
{
	assert_int_equal(a.eax, b.eax);
	assert_int_equal(a.ebx, b.ebx);
	assert_int_equal(a.ecx, b.ecx);
	assert_int_equal(a.edx, b.edx);
}

static void assert_zero(struct cpuid_regs r)
{
	assert_regs(r, (struct cpuid_regs){0});
}

static void test_leaf1_hides(void **state)
{
	struct cpuid_regs r;

	use(&everything);
	r = q(1, 0);
	/* Hidden: DTES64, MONITOR, DS-CPL, VMX, SMX, EST, TM2, CNXT-ID, SDBG, xTPR, PDCM, DCA. */
	assert_int_equal(
	    r.ecx & 0x0004DFFC & ~(CPUID1_ECX_SSSE3 | CPUID1_ECX_FMA | CPUID1_ECX_CX16), 0);
	assert_true(r.ecx & CPUID1_ECX_HYPERVISOR);
	assert_false(r.ecx & CPUID1_ECX_OSXSAVE);
	/* Hidden: PSN, DS, ACPI, TM, PBE and the reserved bits 10, 20, 30. */
	assert_int_equal(
	    r.edx & (BIT(10) | BIT(18) | BIT(20) | BIT(21) | BIT(22) | BIT(29) | BIT(30) | BIT(31)),
	    0);
	assert_true(r.edx & CPUID1_EDX_MCA);
	assert_true(r.edx & CPUID1_EDX_MTRR);
	/* One logical processor, initial APIC ID 0, the rest of EBX the CPU's. */
	assert_int_equal(r.ebx, 0x00015678);
	assert_int_equal(r.eax, 0x00050654);
	guest.cr4 = CR4_OSXSAVE;
	assert_true(q(1, 0).ecx & CPUID1_ECX_OSXSAVE);
}

static void test_leaf7_hides(void **state)
{
	struct cpuid_regs r;

	use(&everything);
	r = q(7, 0);
	assert_int_equal(r.eax, 0); /* no subleaf 1 */
	assert_false(r.ebx & (CPUID7_EBX_SGX | CPUID7_EBX_PQM | CPUID7_EBX_MPX | CPUID7_EBX_PQE |
			      CPUID7_EBX_PT | BIT(22)));
	assert_false(r.ecx & (CPUID7_ECX_PKU | CPUID7_ECX_OSPKE | CPUID7_ECX_WAITPKG |
			      CPUID7_ECX_CET_SS | CPUID7_ECX_LA57 | CPUID7_ECX_SGX_LC | BIT(31)));
	assert_false(r.edx & (CPUID7_EDX_PCONFIG | BIT(20) /* CET_IBT */ | BIT(24) /* AMX */ |
			      BIT(30) /* CORE_CAPABILITIES */ | BIT(5) /* UINTR */));
	assert_true(r.ebx & CPUID7_EBX_AVX512F);
	assert_true(r.edx & CPUID7_EDX_SSBD);
	assert_true(r.ebx & CPUID7_EBX_INVPCID);
	assert_true(r.ecx & CPUID7_ECX_RDPID);
	assert_zero(q(7, 1));
	guest.invpcid = guest.rdtscp = false;
	r = q(7, 0);
	assert_false(r.ebx & CPUID7_EBX_INVPCID);
	assert_false(r.ecx & CPUID7_ECX_RDPID);
	assert_false(q(0x80000001, 0).edx & CPUIDX1_EDX_RDTSCP);
}

static void test_hidden_leaves(void **state)
{
	use(&everything);
	for (u32 leaf = 3; leaf <= CPUID_POLICY_MAX_BASIC; leaf++) {
		bool shown = leaf == 4 || leaf == 7 || leaf == 0xB || leaf == 0xD || leaf == 0x15 ||
			     leaf == 0x16 || leaf == 0x18 || leaf == 0x1F;

		if (!shown)
			assert_zero(q(leaf, 0));
	}
	assert_regs(q(2, 0), marker(2, 0));
	assert_regs(q(0x16, 0), marker(0x16, 0));
}

static void test_max_leaves(void **state)
{
	use(&everything);
	assert_int_equal(q(0, 0).eax, CPUID_POLICY_MAX_BASIC);
	assert_int_equal(q(0, 0).ebx, 0x756E6547); /* vendor passed on */
	assert_int_equal(q(0x80000000, 0).eax, CPUID_POLICY_MAX_EXT);
	/* Beyond the ranges: the highest basic leaf's answer (0x1F: topology). */
	assert_regs(q(0x20, 0), q(0x1F, 0));
	assert_regs(q(0x80000009, 1), q(0x1F, 1));
	assert_regs(q(0x7FFFFFFF, 0), q(0x1F, 0));
	use(&sandy);
	assert_int_equal(q(0, 0).eax, 0xD);
	assert_regs(q(0xE, 0), q(0xD, 0));
	assert_regs(q(0x1F, 0), q(0xD, 0));
	assert_regs(q(0x80000021, 2), q(0xD, 2));
}

static void test_limit_maxval(void **state)
{
	use(&skylake);
	guest.limit_maxval = true;
	assert_int_equal(q(0, 0).eax, 2);
	assert_regs(q(3, 0), q(2, 0));
	assert_regs(q(0xB, 0), marker(2, 0));
	assert_int_equal(q(0x80000000, 0).eax, 0x80000008);
}

static void test_topology(void **state)
{
	use(&skylake);
	assert_regs(q(0xB, 0), (struct cpuid_regs){0, 1, 0x100, 0});
	assert_regs(q(0xB, 1), (struct cpuid_regs){0, 0, 1, 0});
	assert_regs(q(0xB, 7), (struct cpuid_regs){0, 0, 7, 0});
	/* Skylake's leaf 0 stops at 0x16: leaf 0x1F is out of range. */
	assert_regs(q(0x1F, 0), marker(0x16, 0));
	use(&old);
	assert_regs(q(0xB, 0), q(0xA, 0)); /* hidden with leaf 0 below 0xB */
	assert_zero(q(0xB, 0));
}

static void test_leaf4(void **state)
{
	struct cpuid_regs r;

	use(&everything);
	r = q(4, 0);
	assert_int_equal(r.eax, marker(4, 0).eax & 0x03FFFFFF & ~(0xFFFu << 14));
	assert_int_equal(r.ebx, 0);
}

static void test_xsave_everything(void **state)
{
	struct cpuid_regs r;

	use(&everything);
	/* PT (8, supervisor), MPX, PKRU, AMX dropped: x87, SSE, AVX, AVX-512. */
	assert_int_equal(caps.xcr0_mask, 0xE7);
	r = q(0xD, 0);
	assert_int_equal(r.eax, 0xE7);
	assert_int_equal(r.edx, 0);
	assert_int_equal(r.ebx, XSAVE_LEGACY_SIZE); /* XCR0 = x87 */
	assert_int_equal(r.ecx, 1664 + 1024);	    /* all of 0xE7 */
	guest.xcr0 = XCR0_X87 | XCR0_SSE | XCR0_AVX;
	assert_int_equal(q(0xD, 0).ebx, 832);
	guest.xcr0 = 0xE7;
	assert_int_equal(q(0xD, 0).ebx, q(0xD, 0).ecx);
	/* Subleaf 1: no XSAVES, no XFD, no supervisor state. */
	r = q(0xD, 1);
	assert_int_equal(r.eax, CPUIDD1_EAX_XSAVEOPT | CPUIDD1_EAX_XSAVEC | CPUIDD1_EAX_XGETBV1);
	assert_int_equal(r.ebx, 576 + 256 + 64 + 512 + 1024);
	assert_int_equal(r.ecx, 0);
	assert_int_equal(r.edx, 0);
	assert_regs(q(0xD, 2), (struct cpuid_regs){256, 576, 0, 0});
	assert_zero(q(0xD, 3));
	assert_zero(q(0xD, 9));
	assert_zero(q(0xD, 17));
	assert_zero(q(0xD, 63));
	assert_zero(q(0xD, 64));
	assert_true(caps.cr4_mask & CR4_OSXSAVE);
}

static void test_xsave_avx512_needs_all(void **state)
{
	struct fake_cpu partial = skylake;

	partial.xcr0 = 0x67; /* Hi16_ZMM missing */
	use(&partial);
	assert_int_equal(caps.xcr0_mask, 0x7);
	assert_false(q(7, 0).ebx & CPUID7_EBX_AVX512F);
	assert_true(q(7, 0).ebx & CPUID7_EBX_AVX2);
	assert_int_equal(q(0xD, 0).ecx, 832);
}

static void test_no_xsave(void **state)
{
	struct cpuid_regs r;

	use(&old);
	assert_int_equal(caps.xcr0_mask, 0);
	guest.cr4 = CR4_OSXSAVE;
	r = q(1, 0);
	assert_false(r.ecx & (CPUID1_ECX_XSAVE | CPUID1_ECX_OSXSAVE | CPUID1_ECX_AVX));
	assert_zero(q(0xD, 0)); /* 0xD > max 0xA: leaf 0xA, hidden */
	assert_false(caps.cr4_mask & CR4_OSXSAVE);

	struct fake_cpu avx_no_state = sandy;

	avx_no_state.xcr0 = 0x3; /* XSAVE without AVX state */
	use(&avx_no_state);
	r = q(1, 0);
	assert_true(r.ecx & CPUID1_ECX_XSAVE);
	assert_false(r.ecx & (CPUID1_ECX_AVX | CPUID1_ECX_FMA | CPUID1_ECX_F16C));
}

static void test_cr4_efer(void **state)
{
	u64 never = CR4_VMXE | CR4_SMXE | CR4_LA57 | CR4_PKE | BIT(19) | BIT(23) | BIT(24) |
		    BIT(25) | BIT(28) | ~0xFFFFFFFFULL;

	use(&everything);
	assert_int_equal(caps.cr4_mask & never, 0);
	/* Bits 0-11 (UMIP included, LA57 not), FSGSBASE, PCIDE, OSXSAVE, SMEP, SMAP. */
	assert_int_equal(caps.cr4_mask, 0x370FFF);
	assert_int_equal(caps.efer_mask, EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE);
	use(&sandy);
	/* No UMIP, FSGSBASE, SMEP, SMAP; PCID and OSXSAVE yes. */
	assert_int_equal(caps.cr4_mask, 0x607FF);
	use(&skylake);
	assert_int_equal(caps.cr4_mask, 0x3707FF);
}

static void test_extended(void **state)
{
	struct cpuid_regs r;

	use(&everything);
	r = q(0x80000001, 0);
	assert_int_equal(r.eax, 0x11);
	assert_int_equal(r.ebx, 0);
	assert_int_equal(r.ecx, CPUIDX1_ECX_LAHF | CPUIDX1_ECX_LZCNT | CPUIDX1_ECX_PREFETCHW);
	assert_int_equal(r.edx, CPUIDX1_EDX_SYSCALL | CPUIDX1_EDX_NX | CPUIDX1_EDX_PDPE1GB |
				    CPUIDX1_EDX_RDTSCP | CPUIDX1_EDX_LM);
	/* MAXPHYADDR the CPU's, 48 linear bits (no LA57), WBNOINVD only. */
	assert_regs(q(0x80000008, 0), (struct cpuid_regs){0x3034, BIT(9), 0, 0});
	assert_regs(q(0x80000007, 0), (struct cpuid_regs){0, 0, 0, BIT(8)});
	assert_regs(q(0x80000002, 0), marker(0x80000002, 0));
	use(&skylake);
	assert_regs(q(0x80000008, 0), (struct cpuid_regs){0x3028, 0, 0, 0});
}

static void test_hypervisor_leaves(void **state)
{
	struct cpuid_regs r;
	char sig[13] = {0};

	use(&skylake);
	r = q(KEEL_CPUID_BASE, 0);
	assert_int_equal(r.eax, KEEL_CPUID_MAX);
	memcpy(sig, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	memcpy(sig + 8, &r.edx, 4);
	assert_string_equal(sig, KEEL_CPUID_SIGNATURE);
	assert_int_equal(q(KEEL_CPUID_BASE + 1, 0).eax, KEEL_HC_ABI_VERSION);
	assert_zero(q(KEEL_CPUID_BASE + 2, 0));
	assert_zero(q(0x4FFFFFFF, 0));
}

/* The Skylake model end to end: what the cpustate guest sees on corei7_skylake_x. */
static void test_skylake(void **state)
{
	u32 gone1 = CPUID1_ECX_DTES64 | CPUID1_ECX_MONITOR | CPUID1_ECX_DS_CPL | CPUID1_ECX_VMX |
		    CPUID1_ECX_EST | CPUID1_ECX_TM2 | CPUID1_ECX_XTPR | CPUID1_ECX_PDCM;
	u32 gone1d = CPUID1_EDX_DS | CPUID1_EDX_ACPI | CPUID1_EDX_TM | CPUID1_EDX_PBE;
	struct cpuid_regs r;

	use(&skylake);
	r = q(1, 0);
	assert_int_equal(r.ecx, (0x77FAF3BF & ~gone1) | CPUID1_ECX_HYPERVISOR);
	assert_int_equal(r.edx, 0xBFEBFBFF & ~gone1d);
	r = q(7, 0);
	assert_int_equal(r.ebx, 0xD19F25E9); /* nothing Keel lacks on this model */
	assert_int_equal(r.ecx, 0);
	assert_int_equal(r.edx, 0);
	assert_int_equal(caps.xcr0_mask, 0xE7);
	assert_int_equal(q(0xD, 0).ecx, 2688);
}

static void test_cacheable(void **state)
{
	use(&skylake);
	assert_true(cpuid_policy_cacheable(&caps, 0));
	assert_true(cpuid_policy_cacheable(&caps, 1));
	assert_true(cpuid_policy_cacheable(&caps, 0xB));
	assert_true(cpuid_policy_cacheable(&caps, KEEL_CPUID_BASE));
	assert_true(cpuid_policy_cacheable(&caps, 0x80000008));
	assert_false(cpuid_policy_cacheable(&caps, 7));
	assert_false(cpuid_policy_cacheable(&caps, 0xD));
	assert_false(cpuid_policy_cacheable(&caps, 0x80000001));
	assert_true(cpuid_policy_cacheable(&caps, 0x17)); /* answers as 0x16 */
	use(&sandy);
	assert_false(cpuid_policy_cacheable(&caps, 0xE));	 /* answers as 0xD */
	assert_false(cpuid_policy_cacheable(&caps, 0x80000009)); /* answers as 0xD */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_leaf1_hides),
	    cmocka_unit_test(test_leaf7_hides),
	    cmocka_unit_test(test_hidden_leaves),
	    cmocka_unit_test(test_max_leaves),
	    cmocka_unit_test(test_limit_maxval),
	    cmocka_unit_test(test_topology),
	    cmocka_unit_test(test_leaf4),
	    cmocka_unit_test(test_xsave_everything),
	    cmocka_unit_test(test_xsave_avx512_needs_all),
	    cmocka_unit_test(test_no_xsave),
	    cmocka_unit_test(test_cr4_efer),
	    cmocka_unit_test(test_extended),
	    cmocka_unit_test(test_hypervisor_leaves),
	    cmocka_unit_test(test_skylake),
	    cmocka_unit_test(test_cacheable),
	};

	return cmocka_run_group_tests_name("cpuid_policy", tests, NULL, NULL);
}
