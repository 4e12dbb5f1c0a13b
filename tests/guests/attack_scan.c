/*
 * Guest "attack_scan": a guest scanning guest-physical space for memory
 * that is not its own (issue 8, tests/emu/test_hostile.py).
 *
 *   -- [stride=2M] [keel=LO-HI] [probe=GPA|half|top|width] [access=read|write|fetch]
 *
 * First the in-RAM scan, which must not end it: one qword at every
 * `stride` from the first stride boundary above its image to the end of
 * its RAM, plus one per 4 KiB page of [LO, HI) (the test passes Keel's own
 * host-physical image range: as a guest-physical range it is just this
 * guest's RAM). Each must read zero (fresh memory, nothing left over from
 * Keel or another guest) or the value this scan wrote there; the scan then
 * writes a pattern, and a second pass must read every pattern back. With a
 * large mem= and ept=4k this touches the guest-physical addresses equal to
 * the whole host RAM, the witness's frames included, a frame each.
 *
 * Then, with probe=, one access outside its RAM, which must end it
 * (`ended by ept-violation`, Keel's report naming the address):
 *   GPA    that address (below 4 GiB through the boot page tables, above
 *          through its own tables: lib/paging.h's window, a 4 KiB leaf)
 *   half   2^(MAXPHYADDR-1), top: 2^MAXPHYADDR - 4 KiB (CPUID 0x80000008)
 *   width  2^MAXPHYADDR: not a physical address at all. A leaf pointing
 *          there has reserved bits set, so the CPU raises #PF (P|RSVD) in
 *          the guest before any EPT walk; the guest catches it, passes, and
 *          ends by debug-exit.
 * It prints `probe: ACCESS at gpa 0x...` first, for the test to match with
 * Keel's report.
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/bootargs.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/paging.h"
#include "tests/guests/lib/trap.h"
#include "tests/guests/lib/x86.h"
#include "lib/cmdline.h"

#define SCAN_PAGE	4096ULL
#define SCAN_BOOT_MAP	(4 * GiB) /* the boot page tables map [0, 4 GiB) */
#define SCAN_MIX	0xD6E8FEB86659FD93ULL
#define SCAN_BAD_SHOWN	4
#define SCAN_PF_RSVD	BIT(3)
#define SCAN_CPUID_ADDR 0x80000008U

extern const u8 __image_end[];

static struct {
	const char *args;
	u64 mem, stride, keel_lo, keel_hi, maxphy;
} env;

static u64 scan_bad;

static u64 scan_word(u64 gpa)
{
	return (gpa | 1) * SCAN_MIX;
}

static inline u64 scan_rd(u64 a)
{
	return *(volatile u64 *)(uintptr_t)a;
}

static inline void scan_wr(u64 a, u64 v)
{
	*(volatile u64 *)(uintptr_t)a = v;
}

/* One in-RAM address: pass 0 reads zero (or our word) and writes; pass 1 reads our word. */
static void scan_one(u64 a, int pass)
{
	u64 got = scan_rd(a), want = scan_word(a);

	if (pass == 0 && got == 0)
		scan_wr(a, want);
	else if (got != want && scan_bad++ < SCAN_BAD_SHOWN)
		check_fail("pass %d: gpa 0x%llx reads 0x%llx, want %s0x%llx", pass,
			   (unsigned long long)a, (unsigned long long)got, pass ? "" : "0 or ",
			   (unsigned long long)want);
}

/* Both passes over the strided range and the LO-HI pages; returns the addresses visited. */
static u64 scan_ram(void)
{
	u64 lo = ALIGN_UP((u64)(uintptr_t)__image_end, env.stride);
	u64 klo = MAX(env.keel_lo, ALIGN_UP((u64)(uintptr_t)__image_end, SCAN_PAGE));
	u64 khi = MIN(env.keel_hi, env.mem), n = 0;

	for (int pass = 0; pass < 2; pass++) {
		n = 0;
		for (u64 a = lo; a < env.mem; a += env.stride, n++)
			scan_one(a, pass);
		for (u64 a = klo; a < khi; a += SCAN_PAGE, n++)
			scan_one(a, pass);
	}
	return n;
}

static void scan_check_ram(void)
{
	u64 n;

	print("scan: every 0x%llx from the image end to mem 0x%llx, and the pages of "
	      "[0x%llx, 0x%llx)\n",
	      (unsigned long long)env.stride, (unsigned long long)env.mem,
	      (unsigned long long)env.keel_lo, (unsigned long long)env.keel_hi);
	n = scan_ram();
	if (scan_bad == 0)
		check_pass("in-RAM scan: %llu addresses read fresh zeros, then their own data",
			   (unsigned long long)n);
}

/* The GVA to reach gpa with: identity below 4 GiB, else the window of our own tables. */
static u64 scan_map(u64 gpa)
{
	if (gpa < SCAN_BOOT_MAP)
		return gpa;
	paging_build();
	*paging_window_pte(0) = paging_leaf(gpa & ~(SCAN_PAGE - 1), 0);
	paging_load();
	return PAGING_WINDOW + (gpa & (SCAN_PAGE - 1));
}

/* 2^MAXPHYADDR: a leaf there has a reserved bit set; the CPU must raise #PF(P|RSVD). */
static void scan_beyond_width(u64 gpa)
{
	u64 va = scan_map(gpa), v = 0;

	print("probe: read at gpa 0x%llx (2^MAXPHYADDR): want #PF with RSVD\n",
	      (unsigned long long)gpa);
	trap_reset();
	__asm__ volatile(TRAP_INSN("movq (%1), %0") : "+r"(v) : "r"(va) : "memory");
	trap_expect("a leaf beyond MAXPHYADDR raises #PF(P|RSVD)", TRAP_PF, 1 | SCAN_PF_RSVD);
}

/* An access outside RAM: Keel must end the guest; returning is a FAIL. */
static void scan_probe(u64 gpa)
{
	bool write = bootargs_has(env.args, "access", "write");
	bool fetch = bootargs_has(env.args, "access", "fetch");
	u64 va;

	if (gpa < env.mem) {
		check_fail("probe 0x%llx lies inside RAM (mem 0x%llx)", (unsigned long long)gpa,
			   (unsigned long long)env.mem);
		return;
	}
	va = scan_map(gpa);
	print("probe: %s at gpa 0x%llx (linear 0x%llx)\n",
	      write   ? "write"
	      : fetch ? "fetch"
		      : "read",
	      (unsigned long long)gpa, (unsigned long long)va);
	if (write)
		scan_wr(va, 1);
	else if (fetch)
		__asm__ volatile("call *%0" : : "r"((uintptr_t)va) : "memory", "cc");
	else
		(void)scan_rd(va);
	check_fail("probe: the access at gpa 0x%llx returned", (unsigned long long)gpa);
}

static void scan_probe_arg(void)
{
	const char *v;
	size_t n;
	u64 gpa;

	if (!bootargs_find(env.args, "probe", &v, &n))
		return;
	if (bootargs_has(env.args, "probe", "width")) {
		scan_beyond_width(BIT(env.maxphy));
		return;
	}
	if (bootargs_has(env.args, "probe", "half"))
		gpa = BIT(env.maxphy - 1);
	else if (bootargs_has(env.args, "probe", "top"))
		gpa = BIT(env.maxphy) - SCAN_PAGE;
	else if (!bootargs_size(env.args, "probe", &gpa)) {
		check_fail("probe=%.*s: want a GPA, half, top or width", (int)n, v);
		return;
	}
	scan_probe(gpa);
}

static bool scan_range_arg(void)
{
	const char *v;
	size_t n, dash;

	if (!bootargs_find(env.args, "keel", &v, &n))
		return true;
	for (dash = 0; dash < n && v[dash] != '-'; dash++)
		;
	if (dash < n && cmdline_parse_size(v, dash, &env.keel_lo) &&
	    cmdline_parse_size(v + dash + 1, n - dash - 1, &env.keel_hi) &&
	    env.keel_lo < env.keel_hi)
		return true;
	check_fail("keel=%.*s: want LO-HI", (int)n, v);
	return false;
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	const struct keel_boot_info *bi = (const struct keel_boot_info *)info;

	idt_init();
	env.args = bootargs_keel(info, magic);
	if (!*env.args) {
		check_fail("no Keel boot info");
		return;
	}
	env.mem = bi->mem_size;
	env.maxphy = x86_cpuid(SCAN_CPUID_ADDR, 0).eax & 0xFF;
	if (!bootargs_size(env.args, "stride", &env.stride))
		env.stride = 2 * MiB;
	print("scan: mem 0x%llx, MAXPHYADDR %llu\n", (unsigned long long)env.mem,
	      (unsigned long long)env.maxphy);
	if (env.stride < SCAN_PAGE || env.stride % 8 || !scan_range_arg())
		return;
	scan_check_ram();
	scan_probe_arg();
}
