/*
 * Guest "storm": one kind of VM-exit storm, kept up until Keel ends the
 * guest by its module line's `timeout=`, or for a number of rounds (issue
 * 12, "no guest can stop, starve or out-remember another"; the bystander
 * guest measures what the storm costs its neighbours).
 *
 *   -- kind=K [rounds=0] [report=N] [stall=256M]
 *
 * rounds=0 storms for ever; otherwise after `rounds` rounds it checks what
 * the kind left behind, prints `PASS K: N rounds` and ends by debug-exit.
 * It prints `storm: K started`, then `storm: K N rounds` every `report`
 * rounds (the defaults below give a line every 1-5 M ticks of its own time
 * under Bochs), and FAILs if `stall` ticks pass without a round. Kinds
 * (one round each):
 *
 *   outsb       REP OUTSB of 64 KiB to the unclaimed port 0x2F0, DF=0
 *   insb        REP INSB of 64 KiB from port 0x2F0 (at the end the buffer
 *               must hold all ones)
 *   stos-mmio   REP STOSD of 1024 dwords into the test MMIO device at
 *               0xFEB00000 (Keel's testmmio=on; without it the first store
 *               ends the guest); at the end its first and last dword hold
 *               the last round's value
 *   cpuid       CPUID leaf 0 (the same answer every time)
 *   nmi         one self NMI through the xAPIC ICR, sent once the previous
 *               one was taken; the handler counts
 *   nmi-hold    one self NMI, whose handler counts it and never returns: the
 *               guest stays in NMI blocking until Keel ends it (one round)
 *   apic-timer  one xAPIC timer interrupt: one-shot, divide by 1, initial
 *               count 1, re-armed in the handler after EOI; the loop spins
 *               with interrupts enabled (runnable, no HLT)
 *   deadline    one TSC-deadline interrupt (FAIL without CPUID.1:ECX[24]):
 *               the handler writes IA32_TSC_DEADLINE = 1 (in the past) after
 *               EOI
 *   apic-move   one IA32_APIC_BASE move (EN and BSP kept) to a new 4 KiB
 *               page, alternately in a new 2 MiB region of the same 1 GiB
 *               region and in a new 1 GiB region; the 1 GiB regions are
 *               spread over the whole physical-address width (CPUID
 *               0x80000008) above 4 GiB and its RAM. Progress lines add
 *               the base and KEEL_HC_STATS's EPT tables:
 *               `storm: apic-move N rounds, base 0x..., ept tables T`.
 *               At the end the APIC goes home to 0xFEE00000 and must answer.
 *
 * The 32-bit kind paging-io is in storm32.c. Any exception is a FAIL (the
 * runtime's), and so is a broken REP result (count left, pointer moved
 * wrongly).
 */
#include "tests/guests/storm.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/trap.h"
#include "tests/guests/lib/vmcall.h"

#define ST_BUF_SIZE   (64 * KiB)
#define ST_MMIO	      0xFEB00000ULL
#define ST_MMIO_WORDS 1024

#define ST_APIC		  0xFEE00000ULL
#define ST_APIC_REG(off)  (((volatile u32 *)(uintptr_t)ST_APIC)[(off) / 4])
#define ST_APIC_VERSION	  0x30
#define ST_APIC_EOI	  0xB0
#define ST_APIC_SPIV	  0xF0
#define ST_APIC_ICR_LO	  0x300
#define ST_APIC_ICR_HI	  0x310
#define ST_APIC_LVT_TIMER 0x320
#define ST_APIC_TMICT	  0x380
#define ST_APIC_TDCR	  0x3E0
#define ST_SPIV_ENABLE	  0x100
#define ST_ICR_SELF	  (1u << 18)
#define ST_ICR_ASSERT	  (1u << 14)
#define ST_ICR_NMI	  (4u << 8)
#define ST_LVT_MASKED	  (1u << 16)
#define ST_LVT_DEADLINE	  (2u << 17)
#define ST_TDCR_DIV1	  0xB
#define ST_VEC_TIMER	  0x60
#define ST_VEC_SPURIOUS	  0xFF

#define ST_MSR_APIC_BASE    0x1B
#define ST_MSR_TSC_DEADLINE 0x6E0
#define ST_APIC_BASE_BSP    BIT(8)
#define ST_APIC_BASE_EN	    BIT(11)
#define ST_CPUID1_ECX_TSCDL BIT(24)
#define ST_STRIDE_PRIME	    1000003ULL /* prime: coprime with any smaller region count */
#define ST_SLOT_MIX	    0x9DULL    /* odd: a permutation of the 512 slots or pages */
#define ST_REGIONS_PER_GIB  512
#define ST_PAGES_PER_REGION 512
#define ST_CPUID_EXT_MAX    0x80000000U
#define ST_CPUID_ADDR_SIZES 0x80000008U
#define ST_MAXPHYADDR(eax)  ((eax)&0xFF)

static u8 st_buf[ST_BUF_SIZE] __aligned(4096);
static u32 st_cpuid_max;
static volatile u64 st_nmis_sent;
static struct keel_guest_stats st_stats;
static u64 st_mem;

/* ---- port and MMIO string storms ---- */

static void outsb_step(void)
{
	storm_outsb(st_buf, ST_BUF_SIZE);
	storm_count();
}

static void insb_step(void)
{
	u8 *p = st_buf;
	u64 left = ST_BUF_SIZE;

	__asm__ volatile("cld; rep insb" : "+D"(p), "+c"(left) : "d"((u16)STORM_PORT) : "memory");
	if (left != 0 || p != st_buf + ST_BUF_SIZE)
		storm_die("rep insb of 64 KiB: %llu left, destination moved by %llu",
			  (unsigned long long)left, (unsigned long long)(p - st_buf));
	storm_count();
}

static void insb_stop(void)
{
	u64 bad = 0;

	for (u64 i = 0; i < ST_BUF_SIZE; i++)
		bad += st_buf[i] != 0xFF;
	if (bad == 0)
		check_pass("insb: the buffer holds all ones from the unclaimed port");
	else
		check_fail("insb: %llu of 65536 bytes are not 0xFF", (unsigned long long)bad);
}

static void stos_step(void)
{
	volatile u32 *dev = (volatile u32 *)(uintptr_t)ST_MMIO, *p = dev;
	u64 left = ST_MMIO_WORDS;
	u32 v = (u32)storm.done + 1;

	__asm__ volatile("cld; rep stosl" : "+D"(p), "+c"(left) : "a"(v) : "memory");
	if (left != 0 || p != dev + ST_MMIO_WORDS)
		storm_die("rep stosd of %u dwords into the device: %llu left, moved by %llu",
			  ST_MMIO_WORDS, (unsigned long long)left, (unsigned long long)(p - dev));
	storm_count();
}

static void stos_stop(void)
{
	volatile u32 *dev = (volatile u32 *)(uintptr_t)ST_MMIO;

	check_eq("stos-mmio: first device dword holds the last round's value", dev[0],
		 (u32)storm.done);
	check_eq("stos-mmio: last device dword holds the last round's value",
		 dev[ST_MMIO_WORDS - 1], (u32)storm.done);
}

/* ---- CPUID ---- */

static bool cpuid_start(void)
{
	st_cpuid_max = x86_cpuid(0, 0).eax;
	return true;
}

static void cpuid_step(void)
{
	u32 eax = x86_cpuid(0, 0).eax;

	if (eax != st_cpuid_max)
		storm_die("cpuid leaf 0 EAX changed: 0x%x, first 0x%x", eax, st_cpuid_max);
	storm_count();
}

/* ---- NMIs ---- */

static void on_nmi(struct trap_frame *f)
{
	storm_count();
}

static bool nmi_start(void)
{
	trap_set_handler(2, on_nmi);
	return true;
}

/* Sends the next self NMI once the previous one was taken. */
static void nmi_step(void)
{
	if (st_nmis_sent != storm.done)
		return;
	st_nmis_sent++;
	ST_APIC_REG(ST_APIC_ICR_HI) = 0;
	ST_APIC_REG(ST_APIC_ICR_LO) = ST_ICR_SELF | ST_ICR_ASSERT | ST_ICR_NMI;
}

/* The handler never returns: NMIs stay blocked (no IRET) until Keel ends the guest. */
static void on_nmi_hold(struct trap_frame *f)
{
	(void)f;
	storm_count();
	for (;;)
		__asm__ volatile("pause");
}

static bool nmi_hold_start(void)
{
	trap_set_handler(2, on_nmi_hold);
	return true;
}

/* ---- APIC timer storms ---- */

static void on_timer(struct trap_frame *f)
{
	ST_APIC_REG(ST_APIC_EOI) = 0;
	if (storm_count())
		ST_APIC_REG(ST_APIC_TMICT) = 1;
}

/* A WRMSR that is not expected to fault: an exception is the runtime's FAIL. */
static void st_wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

static void on_deadline(struct trap_frame *f)
{
	ST_APIC_REG(ST_APIC_EOI) = 0;
	if (storm_count())
		st_wrmsr(ST_MSR_TSC_DEADLINE, 1);
}

static void timer_setup(u32 lvt)
{
	ST_APIC_REG(ST_APIC_SPIV) = ST_SPIV_ENABLE | ST_VEC_SPURIOUS;
	ST_APIC_REG(ST_APIC_TDCR) = ST_TDCR_DIV1;
	ST_APIC_REG(ST_APIC_LVT_TIMER) = lvt;
}

static bool apic_timer_start(void)
{
	trap_set_handler(ST_VEC_TIMER, on_timer);
	timer_setup(ST_VEC_TIMER);
	ST_APIC_REG(ST_APIC_TMICT) = 1;
	__asm__ volatile("sti" ::: "memory");
	return true;
}

static bool deadline_start(void)
{
	if (!(x86_cpuid(1, 0).ecx & ST_CPUID1_ECX_TSCDL)) {
		check_fail("deadline: CPUID.1:ECX[24] (TSC-deadline timer) is clear");
		return false;
	}
	trap_set_handler(ST_VEC_TIMER, on_deadline);
	timer_setup(ST_VEC_TIMER | ST_LVT_DEADLINE);
	st_wrmsr(ST_MSR_TSC_DEADLINE, 1);
	__asm__ volatile("sti" ::: "memory");
	return true;
}

/* The interrupt kinds' step: nothing to do, the handler counts. */
static void idle_step(void)
{
	__asm__ volatile("" ::: "memory");
}

static void timer_stop(void)
{
	__asm__ volatile("cli" ::: "memory");
	ST_APIC_REG(ST_APIC_LVT_TIMER) = ST_LVT_MASKED;
	ST_APIC_REG(ST_APIC_TMICT) = 0;
}

/* ---- IA32_APIC_BASE moves ---- */

static struct {
	u64 lo_gib, gibs, stride, base;
} st_move;

static u64 st_gcd(u64 a, u64 b)
{
	while (b) {
		u64 t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static bool apic_move_start(void)
{
	u32 maxphy;

	if (x86_cpuid(ST_CPUID_EXT_MAX, 0).eax < ST_CPUID_ADDR_SIZES) {
		check_fail("apic-move: no CPUID leaf 0x80000008");
		return false;
	}
	maxphy = ST_MAXPHYADDR(x86_cpuid(ST_CPUID_ADDR_SIZES, 0).eax);
	/* Whole 1 GiB regions above 4 GiB (the MMIO pages) and above its RAM. */
	st_move.lo_gib = MAX(4ULL, ALIGN_UP(st_mem, GiB) / GiB);
	if (maxphy < 32 || maxphy > 52 || (1ULL << (maxphy - 30)) <= st_move.lo_gib + 1) {
		check_fail("apic-move: MAXPHYADDR %u leaves no 1 GiB regions above 0x%llx", maxphy,
			   (unsigned long long)(st_move.lo_gib * GiB));
		return false;
	}
	st_move.gibs = (1ULL << (maxphy - 30)) - st_move.lo_gib;
	st_move.stride = ST_STRIDE_PRIME % st_move.gibs;
	while (st_gcd(st_move.stride, st_move.gibs) != 1)
		st_move.stride++;
	print("storm: apic-move over MAXPHYADDR %u: 1 GiB regions %llu to %llu, stride %llu\n",
	      maxphy, (unsigned long long)st_move.lo_gib,
	      (unsigned long long)(st_move.lo_gib + st_move.gibs - 1),
	      (unsigned long long)st_move.stride);
	return true;
}

/*
 * Move k: pair p = k / 2 visits 1 GiB region number p of a permutation of
 * all of them (lap p / gibs); the even move lands in one 2 MiB region of
 * it, the odd one in another; each lap uses two new 2 MiB regions per
 * 1 GiB region, and a page that moves with k.
 */
static u64 apic_move_base(u64 k)
{
	u64 p = k / 2, lap = p / st_move.gibs;
	u64 gib = st_move.lo_gib + (p % st_move.gibs) * st_move.stride % st_move.gibs;
	u64 slot = ((2 * lap + (k & 1)) * ST_SLOT_MIX) % ST_REGIONS_PER_GIB;
	u64 page = (k * ST_SLOT_MIX) % ST_PAGES_PER_REGION;

	return gib * GiB + slot * (2 * MiB) + page * 4096;
}

static void apic_move_step(void)
{
	u64 base = apic_move_base(storm.done);

	trap_wrmsr(ST_MSR_APIC_BASE, base | ST_APIC_BASE_EN | ST_APIC_BASE_BSP);
	if (trap_last.count)
		storm_die("apic-move: IA32_APIC_BASE = 0x%llx raised %s after %llu moves",
			  (unsigned long long)base, trap_name(trap_last.vector),
			  (unsigned long long)storm.done);
	st_move.base = base;
	storm_count();
}

static void apic_move_progress(u64 done)
{
	long r = vmcall3(KEEL_HC_STATS, (uintptr_t)&st_stats, sizeof(st_stats), 0);

	print("storm: apic-move %llu rounds, base 0x%llx, ept tables %lld\n",
	      (unsigned long long)done, (unsigned long long)st_move.base,
	      r == (long)sizeof(st_stats) ? (long long)st_stats.ept_tables : -1LL);
}

static void apic_move_stop(void)
{
	trap_wrmsr(ST_MSR_APIC_BASE, ST_APIC | ST_APIC_BASE_EN | ST_APIC_BASE_BSP);
	if (!trap_expect_none("apic-move: IA32_APIC_BASE back to 0xFEE00000"))
		return;
	check_eq("apic-move: the APIC answers at home (version register bits 7:4)",
		 (ST_APIC_REG(ST_APIC_VERSION) >> 4) & 0xF, 1);
}

static const struct storm_kind st_kinds[] = {
    {"outsb", 1, NULL, outsb_step, NULL, NULL},
    {"insb", 1, NULL, insb_step, NULL, insb_stop},
    {"stos-mmio", 1, NULL, stos_step, NULL, stos_stop},
    {"cpuid", 10000, cpuid_start, cpuid_step, NULL, NULL},
    {"nmi", 5000, nmi_start, nmi_step, NULL, NULL},
    {"nmi-hold", 1, nmi_hold_start, nmi_step, NULL, NULL},
    {"apic-timer", 4000, apic_timer_start, idle_step, NULL, timer_stop},
    {"deadline", 4000, deadline_start, idle_step, NULL, timer_stop},
    {"apic-move", 1000, apic_move_start, apic_move_step, apic_move_progress, apic_move_stop},
};

void guest_main(uintptr_t info, uintptr_t magic)
{
	const char *args = bootargs_keel(info, magic);

	idt_init();
	if (!*args) {
		check_fail("no Keel boot info");
		return;
	}
	st_mem = ((const struct keel_boot_info *)info)->mem_size;
	storm_run(args, st_kinds, ARRAY_SIZE(st_kinds));
}
