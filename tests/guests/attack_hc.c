/*
 * Guest "attack_hc": VMCALL with every function number and garbage
 * arguments (issue 8, tests/emu/test_hostile.py). Keel must answer each
 * with a result or a clear error code and never fault. Run without Keel's
 * testhc=on.
 *
 *   - functions 0..0xFFFF except KEEL_HC_EXIT (2), with RDI = RSI = RDX = ~0:
 *     VERSION gives the ABI version, NOP 0, STATS KEEL_HC_EFAULT (the buffer
 *     is no RAM), every other one KEEL_HC_ENOSYS (the test-only functions
 *     too: testhc is off)
 *   - function numbers that only look like known ones in their low bits
 *     (2^32 + 3, 2^63 + 3, 2^32 + 0x1000, ~0, -2): ENOSYS, the guest goes on
 *   - KEEL_HC_STATS with buffers at the end of RAM (partly outside), past it,
 *     on the local APIC's address, at 2^52, at ~0 - 7 with a length that
 *     wraps: EFAULT; length 0: 0 and nothing written; length 1: 1 and one
 *     byte written; length ~0: the whole structure and no more; a buffer
 *     exactly at the top of RAM (never touched before): the whole structure
 *   - RBX, RCX, RBP and R8-R15 survive every call
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/vmcall.h"
#include "lib/string.h"

#define HC_FUNCS     0x10000UL
#define HC_STATS_LEN sizeof(struct keel_guest_stats)
#define HC_SENTINEL  0xA5
#define HC_LAPIC     0xFEE00000UL
#define HC_BAD_SHOWN 4

static u8 hc_buf[2 * sizeof(struct keel_guest_stats)];
static u64 hc_mem;

static long hc_want(unsigned long fn)
{
	switch (fn) {
	case KEEL_HC_VERSION:
		return KEEL_HC_ABI_VERSION;
	case KEEL_HC_NOP:
		return 0;
	case KEEL_HC_STATS:
		return KEEL_HC_EFAULT;
	default:
		return KEEL_HC_ENOSYS;
	}
}

/* VMCALL fn with garbage arguments; false if a callee-visible register changed. */
static bool hc_call_keeps_regs(unsigned long fn, long *ret)
{
	register u64 r8 __asm__("r8") = 0x0808080808080808ULL;
	register u64 r15 __asm__("r15") = 0x1515151515151515ULL;
	u64 rbx = 0xB0B0B0B0B0B0B0B0ULL, rcx = 0xC0C0C0C0C0C0C0C0ULL;
	unsigned long rax = fn;

	__asm__ volatile("vmcall"
			 : "+a"(rax), "+b"(rbx), "+c"(rcx), "+r"(r8), "+r"(r15)
			 : "D"(~0UL), "S"(~0UL), "d"(~0UL)
			 : "memory");
	*ret = (long)rax;
	return rbx == 0xB0B0B0B0B0B0B0B0ULL && rcx == 0xC0C0C0C0C0C0C0C0ULL &&
	       r8 == 0x0808080808080808ULL && r15 == 0x1515151515151515ULL;
}

static void hc_check_all_functions(void)
{
	u64 bad = 0;

	for (unsigned long fn = 0; fn < HC_FUNCS; fn++) {
		long r;
		bool regs;

		if (fn == KEEL_HC_EXIT)
			continue;
		regs = hc_call_keeps_regs(fn, &r);
		if ((r != hc_want(fn) || !regs) && bad++ < HC_BAD_SHOWN)
			check_fail("vmcall 0x%lx: returned %ld, want %ld%s", fn, r, hc_want(fn),
				   regs ? "" : "; registers changed");
	}
	if (bad == 0)
		check_pass("vmcall 0..0xffff (but EXIT) with garbage arguments: each its answer");
}

static void hc_check_wide_numbers(void)
{
	static const unsigned long fns[] = {
	    (1UL << 32) + KEEL_HC_STATS,
	    (1UL << 63) + KEEL_HC_STATS,
	    (1UL << 32) + KEEL_HC_EXIT,
	    (1UL << 32) + KEEL_HC_TEST_BASE,
	    ~0UL,
	    (unsigned long)-2L,
	};

	for (size_t i = 0; i < ARRAY_SIZE(fns); i++) {
		long r;

		hc_call_keeps_regs(fns[i], &r);
		if (r == KEEL_HC_ENOSYS)
			check_pass("vmcall 0x%lx returns ENOSYS", fns[i]);
		else
			check_fail("vmcall 0x%lx returned %ld, want ENOSYS", fns[i], r);
	}
}

static void hc_stats_case(const char *what, u64 dst, u64 len, long want)
{
	long r = vmcall3(KEEL_HC_STATS, dst, len, 0);

	if (r == want)
		check_pass("STATS %s (0x%llx, 0x%llx) returns %ld", what, (unsigned long long)dst,
			   (unsigned long long)len, want);
	else
		check_fail("STATS %s (0x%llx, 0x%llx) returned %ld, want %ld", what,
			   (unsigned long long)dst, (unsigned long long)len, r, want);
}

/* Bytes of hc_buf from n on that are not the sentinel any more. */
static u64 hc_touched_from(u64 n)
{
	u64 bad = 0;

	for (u64 i = n; i < sizeof(hc_buf); i++)
		bad += hc_buf[i] != HC_SENTINEL;
	return bad;
}

static void hc_check_stats_args(void)
{
	u64 buf = (uintptr_t)hc_buf;

	hc_stats_case("straddling the end of RAM", hc_mem - 8, HC_STATS_LEN, KEEL_HC_EFAULT);
	hc_stats_case("just past RAM", hc_mem, HC_STATS_LEN, KEEL_HC_EFAULT);
	hc_stats_case("on the local APIC", HC_LAPIC, HC_STATS_LEN, KEEL_HC_EFAULT);
	hc_stats_case("at 2^52", 1ULL << 52, HC_STATS_LEN, KEEL_HC_EFAULT);
	hc_stats_case("wrapping", ~0ULL - 7, 16, KEEL_HC_EFAULT);
	hc_stats_case("at ~0", ~0ULL, ~0ULL, KEEL_HC_EFAULT);
	hc_stats_case("at the top of RAM, untouched", hc_mem - HC_STATS_LEN, HC_STATS_LEN,
		      (long)HC_STATS_LEN);
	memset(hc_buf, HC_SENTINEL, sizeof(hc_buf));
	hc_stats_case("length 0", buf, 0, 0);
	check_eq("STATS length 0 wrote nothing (bytes changed)", hc_touched_from(0), 0);
	hc_stats_case("length 1", buf, 1, 1);
	check_eq("STATS length 1 wrote one byte (bytes changed after it)", hc_touched_from(1), 0);
	hc_stats_case("length ~0", buf, ~0ULL, (long)HC_STATS_LEN);
	check_eq("STATS length ~0 wrote the structure only (bytes changed after it)",
		 hc_touched_from(HC_STATS_LEN), 0);
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	const struct keel_boot_info *bi = (const struct keel_boot_info *)info;

	idt_init();
	if (magic != KEEL_BOOT_MAGIC) {
		check_fail("no Keel boot info");
		return;
	}
	hc_mem = bi->mem_size;
	print("attack_hc: every function number, garbage arguments, mem 0x%llx\n",
	      (unsigned long long)hc_mem);
	hc_check_stats_args();
	hc_check_wide_numbers();
	hc_check_all_functions();
}
