/*
 * Guest "xstate": register state that VM exits do not switch must still be
 * each guest's own (vmx/xstate.c). Two or more copies run side by side
 * with different tags:
 *
 *   -- tag=N [rounds=20] [max_iters=N]
 *
 * Each loads XMM0-XMM15, MXCSR, the x87 control word, DR0-DR3, GS.base
 * and IA32_KERNEL_GS_BASE with values derived from its tag (the last two
 * exchanged by a SWAPGS, which does not exit), then, while Keel switches between the
 * guests (KEEL_HC_STATS.switches rises), checks after every switch that
 * every one of them still holds its own value: nothing lost, and nothing
 * of the other guest's seen. DR7 stays 0: the breakpoints are loaded but
 * not enabled. It passes after `rounds` switches.
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/bootargs.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/vmcall.h"
#include "tests/guests/lib/x86.h"

#define CR4_OSFXSR     BIT(9)
#define CR4_OSXMMEXCPT BIT(10)

#define IA32_GS_BASE	    0xC0000101u
#define IA32_KERNEL_GS_BASE 0xC0000102u

/* Canonical addresses: GS.base (after the SWAPGS) and KERNEL_GS_BASE. */
static u64 gs_tag(u64 tag)
{
	return 0xFFFF800000000000ULL | (tag << 32) | 0x6500;
}

static u64 kgs_tag(u64 tag)
{
	return 0xFFFF800000000000ULL | (tag << 32) | 0x6B00;
}

static u64 xmm_in[16][2] __aligned(16), xmm_out[16][2] __aligned(16);
static struct keel_guest_stats stats;

static u64 pattern(u64 tag, unsigned i, unsigned half)
{
	return (tag << 48) | ((u64)i << 8) | half | 0x0000A5A5A5000000ULL;
}

#define XMM_LOAD(n)  __asm__ volatile("movdqa %0, %%xmm" #n : : "m"(xmm_in[n]))
#define XMM_STORE(n) __asm__ volatile("movdqa %%xmm" #n ", %0" : "=m"(xmm_out[n]))

static void load_all(u64 tag)
{
	u32 mxcsr = 0x1F80 | ((u32)(tag & 3) << 13); /* rounding control from the tag */
	u16 fcw = (u16)(0x037F | ((tag & 3) << 10));
	u64 dr[4];

	for (unsigned i = 0; i < 16; i++)
		for (unsigned h = 0; h < 2; h++)
			xmm_in[i][h] = pattern(tag, i, h);
	XMM_LOAD(0);
	XMM_LOAD(1);
	XMM_LOAD(2);
	XMM_LOAD(3);
	XMM_LOAD(4);
	XMM_LOAD(5);
	XMM_LOAD(6);
	XMM_LOAD(7);
	XMM_LOAD(8);
	XMM_LOAD(9);
	XMM_LOAD(10);
	XMM_LOAD(11);
	XMM_LOAD(12);
	XMM_LOAD(13);
	XMM_LOAD(14);
	XMM_LOAD(15);
	__asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
	__asm__ volatile("fldcw %0" : : "m"(fcw));
	for (unsigned i = 0; i < 4; i++)
		dr[i] = 0x100000 * (tag + 1) + 0x1000 * i;
	__asm__ volatile("mov %0, %%db0" : : "r"(dr[0]));
	__asm__ volatile("mov %0, %%db1" : : "r"(dr[1]));
	__asm__ volatile("mov %0, %%db2" : : "r"(dr[2]));
	__asm__ volatile("mov %0, %%db3" : : "r"(dr[3]));
	/* The SWAPGS leaves gs_tag in GS.base and kgs_tag in KERNEL_GS_BASE. */
	x86_wrmsr(IA32_GS_BASE, kgs_tag(tag));
	x86_wrmsr(IA32_KERNEL_GS_BASE, gs_tag(tag));
	__asm__ volatile("swapgs" ::: "memory");
}

/* The number of registers not holding this guest's value (0: all intact). */
static unsigned check_all(u64 tag, bool report)
{
	u32 mxcsr;
	u16 fcw;
	u64 dr[4], gs, kgs;
	unsigned bad = 0;

	XMM_STORE(0);
	XMM_STORE(1);
	XMM_STORE(2);
	XMM_STORE(3);
	XMM_STORE(4);
	XMM_STORE(5);
	XMM_STORE(6);
	XMM_STORE(7);
	XMM_STORE(8);
	XMM_STORE(9);
	XMM_STORE(10);
	XMM_STORE(11);
	XMM_STORE(12);
	XMM_STORE(13);
	XMM_STORE(14);
	XMM_STORE(15);
	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
	__asm__ volatile("fnstcw %0" : "=m"(fcw));
	__asm__ volatile("mov %%db0, %0" : "=r"(dr[0]));
	__asm__ volatile("mov %%db1, %0" : "=r"(dr[1]));
	__asm__ volatile("mov %%db2, %0" : "=r"(dr[2]));
	__asm__ volatile("mov %%db3, %0" : "=r"(dr[3]));
	gs = x86_rdmsr(IA32_GS_BASE);
	kgs = x86_rdmsr(IA32_KERNEL_GS_BASE);
	for (unsigned i = 0; i < 16; i++)
		for (unsigned h = 0; h < 2; h++)
			if (xmm_out[i][h] != pattern(tag, i, h)) {
				if (report)
					check_fail(
					    "xmm%u[%u]: got 0x%llx, want 0x%llx (tag of 0x%llx)", i,
					    h, (unsigned long long)xmm_out[i][h],
					    (unsigned long long)pattern(tag, i, h),
					    (unsigned long long)(xmm_out[i][h] >> 48));
				bad++;
			}
	if (mxcsr != (0x1F80 | ((u32)(tag & 3) << 13)) ||
	    fcw != (u16)(0x037F | ((tag & 3) << 10))) {
		if (report)
			check_fail("MXCSR 0x%x / FCW 0x%x: not this guest's", mxcsr, fcw);
		bad++;
	}
	for (unsigned i = 0; i < 4; i++)
		if (dr[i] != 0x100000 * (tag + 1) + 0x1000 * i) {
			if (report)
				check_fail("DR%u: got 0x%llx, want 0x%llx", i,
					   (unsigned long long)dr[i],
					   (unsigned long long)(0x100000 * (tag + 1) + 0x1000 * i));
			bad++;
		}
	if (gs != gs_tag(tag) || kgs != kgs_tag(tag)) {
		if (report)
			check_fail("GS.base 0x%llx / KERNEL_GS_BASE 0x%llx: want 0x%llx / 0x%llx",
				   (unsigned long long)gs, (unsigned long long)kgs,
				   (unsigned long long)gs_tag(tag),
				   (unsigned long long)kgs_tag(tag));
		bad++;
	}
	return bad;
}

static u64 switches(void)
{
	vmcall3(KEEL_HC_STATS, (unsigned long)&stats, sizeof(stats), 0);
	return stats.switches;
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	const char *args = bootargs_keel(info, magic);
	u64 tag = 0, rounds = 20, max_iters = 2000000, round = 0, last, iters = 0;
	u64 cr4;

	idt_init();
	if (!bootargs_size(args, "tag", &tag)) {
		check_fail("want -- tag=N");
		return;
	}
	bootargs_size(args, "rounds", &rounds);
	bootargs_size(args, "max_iters", &max_iters);
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_OSFXSR | CR4_OSXMMEXCPT));
	print("xstate: tag %llu, %llu rounds\n", (unsigned long long)tag,
	      (unsigned long long)rounds);
	load_all(tag);
	check_eq("own registers read back before any switch", check_all(tag, true), 0);
	last = switches();
	while (round < rounds && iters++ < max_iters) {
		u64 s = switches();

		if (s == last)
			continue;
		last = s;
		round++;
		if (check_all(tag, true)) {
			check_fail("round %llu: registers changed across a switch",
				   (unsigned long long)round);
			return;
		}
	}
	if (round < rounds)
		check_fail("only %llu switches in %llu polls", (unsigned long long)round,
			   (unsigned long long)iters);
	else
		check_pass("XMM0-15, MXCSR, FCW, DR0-3, GS bases intact across %llu switches",
			   (unsigned long long)round);
}
