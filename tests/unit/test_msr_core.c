/*
 * Host tests for vm/msr_core.c: the value rules of Keel's emulated MSRs.
 * IA32_MISC_ENABLE: each writable bit on a CPU whose CPUID allows it, the
 * same bit #GP where CPUID does not, every reserved and read-only bit #GP,
 * and the effects on CPUID (leaf 0, leaf 1 MONITOR, 0x80000001 NX, through
 * vm/cpuid_policy.c) and on EFER.NXE. The machine-check registers as on a
 * part that reports them. The per-MSR #GP table and its summary line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "arch/x86/msr.h"
#include "vm/cpuid_policy.h"
#include "vm/msr_core.h"

/* Every bit Table 2-2 lets software write, with the CPUID that allows it. */
static const u64 all_writable = MISC_ENABLE_FAST_STRINGS | MISC_ENABLE_TCC | MISC_ENABLE_EIST |
				MISC_ENABLE_MONITOR_FSM | MISC_ENABLE_LIMIT_CPUID |
				MISC_ENABLE_XTPR_DISABLE | MISC_ENABLE_XD_DISABLE;

/* A CPU showing every feature a MISC_ENABLE bit depends on. */
static const struct cpuid_caps full = {
    .max_basic = 0x16,
    .max_ext = 0x80000008,
    .leaf1_ecx = CPUID1_ECX_SSE3 | CPUID1_ECX_MONITOR | CPUID1_ECX_EST | CPUID1_ECX_XTPR,
    .leaf1_edx = CPUID1_EDX_MCA,
    .ext1_edx = CPUIDX1_EDX_NX | CPUIDX1_EDX_LM | CPUIDX1_EDX_SYSCALL,
    .efer_mask = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE,
};

/* What Keel's policy shows: no EIST, MONITOR or xTPR (vm/cpuid_policy.c). */
static const struct cpuid_caps keel = {
    .max_basic = 0x16,
    .max_ext = 0x80000008,
    .leaf1_ecx = CPUID1_ECX_SSE3,
    .leaf1_edx = CPUID1_EDX_MCA,
    .ext1_edx = CPUIDX1_EDX_NX | CPUIDX1_EDX_LM | CPUIDX1_EDX_SYSCALL,
    .efer_mask = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE,
};

static bool misc_ok(const struct cpuid_caps *c, u64 old, u64 val)
{
	return msr_misc_enable_ok(c, old, val, 0);
}

static void test_misc_reset(void **state)
{
	assert_int_equal(msr_misc_enable_reset(&keel),
			 MISC_ENABLE_FAST_STRINGS | MISC_ENABLE_NO_BTS | MISC_ENABLE_NO_PEBS);
	/* The SDM's default for ENABLE MONITOR FSM is 1 where MONITOR exists. */
	assert_int_equal(msr_misc_enable_reset(&full),
			 MISC_ENABLE_FAST_STRINGS | MISC_ENABLE_NO_BTS | MISC_ENABLE_NO_PEBS |
			     MISC_ENABLE_MONITOR_FSM);
}

/* Each writable bit can be set and cleared alone, from the reset value. */
static void test_misc_each_writable_bit(void **state)
{
	u64 reset = msr_misc_enable_reset(&full);

	assert_int_equal(msr_misc_enable_writable(&full), all_writable);
	for (unsigned b = 0; b < 64; b++) {
		if (!(all_writable & BIT(b)))
			continue;
		assert_true(misc_ok(&full, reset, reset ^ BIT(b)));
		assert_true(misc_ok(&full, reset ^ BIT(b), reset));
	}
	assert_true(misc_ok(&full, reset, reset ^ all_writable));
	assert_true(misc_ok(&full, reset, reset)); /* writing the value back */
}

/* Every other bit, reserved or read-only (7, 11, 12), #GP when it changes. */
static void test_misc_each_other_bit_gp(void **state)
{
	u64 reset = msr_misc_enable_reset(&full);

	for (unsigned b = 0; b < 64; b++) {
		if (all_writable & BIT(b))
			continue;
		assert_false(misc_ok(&full, reset, reset ^ BIT(b)));
		assert_false(misc_ok(&full, reset, reset ^ BIT(b) ^ MISC_ENABLE_FAST_STRINGS));
	}
	assert_false(misc_ok(&full, reset, reset ^ MISC_ENABLE_PERFMON));
	assert_false(misc_ok(&full, reset, reset & ~MISC_ENABLE_NO_BTS));
	assert_false(misc_ok(&full, reset, reset & ~MISC_ENABLE_NO_PEBS));
	assert_false(misc_ok(&full, reset, ~0ULL));
}

/* A bit whose CPUID flag is clear is reserved: EIST, MONITOR FSM, xTPR, XD, Limit. */
static void test_misc_bits_follow_cpuid(void **state)
{
	struct cpuid_caps c = full;
	u64 reset;

	assert_int_equal(msr_misc_enable_writable(&keel),
			 MISC_ENABLE_FAST_STRINGS | MISC_ENABLE_TCC | MISC_ENABLE_LIMIT_CPUID |
			     MISC_ENABLE_XD_DISABLE);
	reset = msr_misc_enable_reset(&keel);
	assert_false(misc_ok(&keel, reset, reset | MISC_ENABLE_EIST));
	assert_false(misc_ok(&keel, reset, reset | MISC_ENABLE_MONITOR_FSM));
	assert_false(misc_ok(&keel, reset, reset | MISC_ENABLE_XTPR_DISABLE));

	c.leaf1_ecx &= ~(u32)CPUID1_ECX_SSE3; /* "may #GP" without SSE3 */
	assert_false(msr_misc_enable_writable(&c) & MISC_ENABLE_MONITOR_FSM);
	c = full;
	c.ext1_edx &= ~(u32)CPUIDX1_EDX_NX;
	assert_false(misc_ok(&c, 0, MISC_ENABLE_XD_DISABLE));
	c = full;
	c.max_basic = 2; /* Limit CPUID Maxval exists when leaf 0 goes beyond 2 */
	assert_false(misc_ok(&c, 0, MISC_ENABLE_LIMIT_CPUID));
	c.max_basic = 3;
	assert_true(misc_ok(&c, 0, MISC_ENABLE_LIMIT_CPUID));
}

/* XD bit disable makes EFER.NXE reserved; it cannot be set while NXE is. */
static void test_misc_xd_and_efer(void **state)
{
	u64 reset = msr_misc_enable_reset(&keel);

	assert_int_equal(msr_efer_allowed(&keel, reset), keel.efer_mask);
	assert_int_equal(msr_efer_allowed(&keel, reset | MISC_ENABLE_XD_DISABLE),
			 keel.efer_mask & ~EFER_NXE);
	assert_false(msr_misc_enable_ok(&keel, reset, reset | MISC_ENABLE_XD_DISABLE, EFER_NXE));
	assert_true(msr_misc_enable_ok(&keel, reset, reset | MISC_ENABLE_XD_DISABLE, EFER_LME));
	/* Already set: writing it again or clearing it is fine whatever EFER holds. */
	assert_true(msr_misc_enable_ok(&keel, reset | MISC_ENABLE_XD_DISABLE, reset, EFER_NXE));
}

/* The host for the CPUID effects: leaf 0 reports 0x16, the rest is a marker. */
static struct cpuid_regs host(void *ctx, u32 leaf, u32 sub)
{
	if (leaf == 0)
		return (struct cpuid_regs){0x16, 1, 2, 3};
	if (leaf == 0x80000000)
		return (struct cpuid_regs){0x80000008, 0, 0, 0};
	return (struct cpuid_regs){leaf, sub, 0, 0};
}

static struct cpuid_regs leaf_for(u64 misc, u32 leaf)
{
	struct cpuid_guest g = {.xcr0 = 1,
				.rdtscp = true,
				.limit_maxval = misc & MISC_ENABLE_LIMIT_CPUID,
				.monitor_off = !(misc & MISC_ENABLE_MONITOR_FSM),
				.xd_disable = misc & MISC_ENABLE_XD_DISABLE};

	return cpuid_policy_leaf(&full, host, NULL, leaf, 0, &g);
}

static void test_misc_cpuid_effects(void **state)
{
	u64 reset = msr_misc_enable_reset(&full);

	assert_int_equal(leaf_for(reset, 0).eax, 0x16);
	assert_int_equal(leaf_for(reset | MISC_ENABLE_LIMIT_CPUID, 0).eax, 2);
	assert_true(leaf_for(reset, 1).ecx & CPUID1_ECX_MONITOR);
	assert_false(leaf_for(reset & ~MISC_ENABLE_MONITOR_FSM, 1).ecx & CPUID1_ECX_MONITOR);
	assert_true(leaf_for(reset, 0x80000001).edx & CPUIDX1_EDX_NX);
	assert_false(leaf_for(reset | MISC_ENABLE_XD_DISABLE, 0x80000001).edx & CPUIDX1_EDX_NX);
	/* Each bit changes only its own flag. */
	assert_int_equal(leaf_for(reset | MISC_ENABLE_XD_DISABLE, 0x80000001).edx,
			 leaf_for(reset, 0x80000001).edx & ~(u32)CPUIDX1_EDX_NX);
	assert_int_equal(leaf_for(reset & ~MISC_ENABLE_MONITOR_FSM, 1).ecx,
			 leaf_for(reset, 1).ecx & ~(u32)CPUID1_ECX_MONITOR);
	/* The other writable bits change nothing CPUID shows. */
	for (u32 leaf = 0; leaf < 3; leaf++) {
		struct cpuid_regs a = leaf_for(reset, leaf),
				  b = leaf_for(reset ^ MISC_ENABLE_FAST_STRINGS ^ MISC_ENABLE_TCC ^
						   MISC_ENABLE_EIST ^ MISC_ENABLE_XTPR_DISABLE,
					       leaf);
		assert_memory_equal(&a, &b, sizeof(a));
	}
}

static void test_mc_ctl(void **state)
{
	assert_true(msr_mc_bank_ok(MSR_MC_CTL, 0));
	assert_true(msr_mc_bank_ok(MSR_MC_CTL, ~0ULL));
	assert_false(msr_mc_bank_ok(MSR_MC_CTL, 1));
	assert_false(msr_mc_bank_ok(MSR_MC_CTL, 0xFFFFFFFF));
	assert_false(msr_mc_bank_ok(MSR_MC_CTL, ~0ULL - 1));
}

static void test_mc_status(void **state)
{
	assert_true(msr_mc_bank_ok(MSR_MC_STATUS, 0));
	for (unsigned b = 0; b < 64; b++)
		assert_false(msr_mc_bank_ok(MSR_MC_STATUS, BIT(b)));
}

static void test_mc_addr_misc(void **state)
{
	static const u64 vals[] = {0, 1, 0x123456789ABCDEF0ULL, ~0ULL, BIT(63)};

	for (unsigned i = 0; i < ARRAY_SIZE(vals); i++) {
		assert_true(msr_mc_bank_ok(MSR_MC_ADDR, vals[i]));
		assert_true(msr_mc_bank_ok(MSR_MC_MISC, vals[i]));
	}
}

static void test_mcg_status(void **state)
{
	u64 cap = 2, defined = MCG_STATUS_RIPV | MCG_STATUS_EIPV | MCG_STATUS_MCIP;

	assert_true(msr_mcg_exists(cap, IA32_MCG_STATUS));
	assert_true(msr_mcg_ok(cap, IA32_MCG_STATUS, 0));
	assert_true(msr_mcg_ok(cap, IA32_MCG_STATUS, MCG_STATUS_MCIP)); /* software sets it */
	assert_true(msr_mcg_ok(cap, IA32_MCG_STATUS, defined));
	for (unsigned b = 3; b < 64; b++)
		assert_false(msr_mcg_ok(cap, IA32_MCG_STATUS, BIT(b)));
	/* LMCE_S exists with MCG_LMCE_P. */
	assert_true(msr_mcg_ok(cap | MCG_CAP_LMCE_P, IA32_MCG_STATUS, MCG_STATUS_LMCES));
}

static void test_mcg_ctl_and_cap(void **state)
{
	u64 cap = 2;

	assert_false(msr_mcg_exists(cap, IA32_MCG_CTL));
	assert_false(msr_mcg_ok(cap, IA32_MCG_CTL, 0));
	cap |= MCG_CAP_CTL_P;
	assert_true(msr_mcg_exists(cap, IA32_MCG_CTL));
	assert_true(msr_mcg_ok(cap, IA32_MCG_CTL, 0));
	assert_true(msr_mcg_ok(cap, IA32_MCG_CTL, ~0ULL));
	assert_false(msr_mcg_ok(cap, IA32_MCG_CTL, 1));
	assert_false(msr_mcg_ok(cap, IA32_MCG_CTL, 0xFFFFFFFF));
	/* IA32_MCG_CAP is read-only, with or without MCG_CTL_P. */
	assert_true(msr_mcg_exists(cap, IA32_MCG_CAP));
	assert_false(msr_mcg_ok(cap, IA32_MCG_CAP, cap));
	assert_false(msr_mcg_ok(2, IA32_MCG_CAP, 2));
	assert_false(msr_mcg_exists(cap, IA32_MISC_ENABLE));
}

static void test_gp_count(void **state)
{
	struct msr_gp_count t = {0};
	char buf[200];

	assert_false(msr_gp_any(&t));
	assert_int_equal(msr_gp_format(&t, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	msr_gp_note(&t, 0x1A0);
	msr_gp_note(&t, 0x401);
	msr_gp_note(&t, 0x1A0);
	assert_true(msr_gp_any(&t));
	msr_gp_format(&t, buf, sizeof(buf));
	assert_string_equal(buf, "0x1a0 x2, 0x401 x1");
}

/* Past MSR_GP_SLOTS distinct MSRs, the rest go to "other"; known ones still count. */
static void test_gp_count_other(void **state)
{
	struct msr_gp_count t = {0};
	char buf[200], small[12];
	size_t n;

	for (u32 m = 0; m < MSR_GP_SLOTS + 3; m++)
		msr_gp_note(&t, 0x400 + m);
	msr_gp_note(&t, 0x400);
	assert_int_equal(t.used, MSR_GP_SLOTS);
	assert_int_equal(t.other, 3);
	assert_int_equal(t.count[0], 2);
	n = msr_gp_format(&t, buf, sizeof(buf));
	assert_int_equal(n, strlen(buf));
	assert_string_equal(buf, "0x400 x2, 0x401 x1, 0x402 x1, 0x403 x1, 0x404 x1, 0x405 x1, "
				 "0x406 x1, 0x407 x1, other x3");
	/* Cut short, still terminated. */
	n = msr_gp_format(&t, small, sizeof(small));
	assert_int_equal(n, strlen(small));
	assert_true(n < sizeof(small));
	assert_int_equal(n, sizeof(small) - 1);
	assert_memory_equal(small, "0x400 x2, 0x401", n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_misc_reset),
	    cmocka_unit_test(test_misc_each_writable_bit),
	    cmocka_unit_test(test_misc_each_other_bit_gp),
	    cmocka_unit_test(test_misc_bits_follow_cpuid),
	    cmocka_unit_test(test_misc_xd_and_efer),
	    cmocka_unit_test(test_misc_cpuid_effects),
	    cmocka_unit_test(test_mc_ctl),
	    cmocka_unit_test(test_mc_status),
	    cmocka_unit_test(test_mc_addr_misc),
	    cmocka_unit_test(test_mcg_status),
	    cmocka_unit_test(test_mcg_ctl_and_cap),
	    cmocka_unit_test(test_gp_count),
	    cmocka_unit_test(test_gp_count_other),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
