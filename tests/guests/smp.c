/*
 * Guest "smp": a guest with several vCPUs (Keel's `vcpus=N`), started and
 * used the way a PC operating system does. `-- [rounds=20] [ring=100]
 * [x2apic] [test=unmap|stress [size=64M]|ifmask] [reset=1]`.
 *
 *   madt     the ACPI MADT (RSDP found by the legacy scan of 0xE0000-0xFFFFF,
 *            ACPI 6.5 5.2.5.1) lists N local APICs, IDs 0..N-1, all enabled
 *   start    INIT, INIT de-assert, SIPI, SIPI to each AP (SDM Vol. 3A 9.4.4.1
 *            "Typical BSP Initialization Sequence"; its 10 ms and 200 us
 *            waits shortened to fixed TSC tick counts, SMP_INIT_TICKS and
 *            SMP_SIPI_TICKS: a vCPU needs no settling; smp_boot.c, shared
 *            with the bench guest); each AP climbs to 64-bit mode through
 *            smp_tramp.S, records its CPUID and APIC IDs, EFER and CS,
 *            prints one line under a guest spinlock and says it is alive;
 *            it must enter ap_main exactly once (the second SIPI is
 *            ignored)
 *   pages    `rounds` rounds: each vCPU writes its own 64 KiB of fresh RAM
 *            and its own slot of each page of a shared 64 KiB (the first
 *            round checks they read zero first), a barrier, then each checks
 *            every vCPU's writes, a barrier
 *   ipi      a fixed IPI ring 0 -> 1 -> ... -> N-1 -> 0 `ring` times round;
 *            one all-excluding-self broadcast, one logical-flat IPI to a
 *            set, one NMI to vCPU 1: each taken exactly where it should be
 *   park     every AP ends in `cli; hlt`
 *   x2apic   every vCPU switches its APIC to x2APIC mode first (the BSP
 *            before it starts the APs, each AP before its first APIC
 *            access: SDM Vol. 3A 11.12.5) and reaches it through MSRs only;
 *            the BSP checks each one's mode, ID and derived logical ID and
 *            that the LDR is read-only; the pages and IPIs as above
 *   test=ifmask  instead of the pages and IPIs, smp_ifmask.c's: IF masks a
 *            pending interrupt on vCPU 1 while Keel kicks its CPU
 *   test=    instead of the pages and IPIs, an EPT test of smp_mem.c
 *            (smp.h): `unmap` (a page unmapped while the APs read it) or
 *            `stress` (`size` bytes faulted in by all vCPUs at once,
 *            unmapped between rounds); both need Keel's testhc=on
 *   reset=1  once every check passed, `PASS before reset: ...` and a reset
 *            through port 0xCF9: Keel restarts the whole guest, which does
 *            it all again (timeout= ends it)
 *
 * Only the BSP judges and prints results; APs record into their slot of
 * `slots` and print only their one start line. Every wait is bounded by
 * RDTSC; a vCPU waiting for an interrupt sleeps in `sti; hlt` with its
 * APIC timer (one-shot, SMP_WAKE_COUNT) as the backstop that bounds the HLT.
 */
#include "lib/format.h"
#include "lib/string.h"
#include "tests/guests/lib/bootargs.h"
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/trap.h"
#include "tests/guests/lib/x86.h"
#include "tests/guests/smp.h"
#include "tests/guests/smp_boot.h"

#define PIC_MASTER_DATA 0x21 /* the 8259 pair's mask registers */
#define PIC_SLAVE_DATA	0xA1

/* Vectors. */
#define VEC_NMI	    2
#define VEC_RING    0x40
#define VEC_BCAST   0x41
#define VEC_LOGICAL 0x42
#define VEC_WAKE    0x43 /* the APIC timer's backstop under HLT */

/* Bounds, in TSC ticks (under Bochs about one per instruction). */
#define WAIT_QUIET 8000000ULL /* an IPI that must not come (again) is watched this long */

/* The pages: an own area per vCPU, then the shared area, from the first
 * 2 MiB boundary above the image (fresh RAM, never touched before). */
#define AREA_SIZE    (64 * KiB)
#define AREA_WORDS   (AREA_SIZE / 8)
#define SHARED_PAGES (AREA_SIZE / PAGE_BYTES)
#define SLOT_WORDS   (PAGE_BYTES / 8 / SMP_MAX_VCPUS) /* each shared page: a slot per vCPU */
#define AREAS_SIZE   ((SMP_MAX_VCPUS + 1) * AREA_SIZE)

#define SLOT_ALIVE 0xA11FE

/* Interrupts taken, by kind, counted per vCPU. */
enum hit_kind { HIT_RING, HIT_BCAST, HIT_LOGICAL, HIT_NMI, HIT_KINDS };

/* One vCPU's record: written by that vCPU, read by the BSP after a barrier
 * or an atomic flag. */
struct vcpu_slot {
	u32 alive;     /* SLOT_ALIVE once ap_main has recorded the fields below */
	u32 entries;   /* times ap_main was entered */
	u32 cpuid_id;  /* CPUID.1:EBX[31:24] */
	u32 apic_id;   /* the APIC ID register (xAPIC: bits 31:24) */
	u32 ldr;       /* the logical destination register */
	u64 apic_base; /* IA32_APIC_BASE */
	u64 efer;
	u16 cs;
	u32 parked;
	u32 hits[HIT_KINDS];
	u32 errors; /* wrong words seen in the pages; the first described in err */
	char err[120];
} __aligned(64);

extern u8 __image_end[];

/* Written by the BSP before the first SIPI, read-only afterwards. */
u32 vcpu_count = 1, rounds;
u64 area_base, mem_size, stress_size;
static u32 ring_trips;
static enum smp_test { SMP_PAGES, SMP_UNMAP, SMP_STRESS, SMP_IFMASK } smp_test;

/* Shared, atomics: the per-vCPU records, the barrier, the flags. */
static struct vcpu_slot slots[SMP_MAX_VCPUS];
static struct {
	u32 count, gen;
} bar;
u32 smp_abort;
static u32 print_lock, ipi_done;

/* ---- The ACPI MADT (ACPI 6.5 5.2.12) ---- */

#define MADT_LAPIC_ENABLE BIT(0)

/* Checks the MADT's local APICs; returns N (at least 1, at most SMP_MAX_VCPUS). */
static u32 madt_check(void)
{
	const char *why = "";
	const struct acpi_header *m = acpi_madt_find(&why);
	u32 n = 0, bad = 0;

	if (!m) {
		check_fail("madt lists local APICs: %s", why);
		return 1;
	}
	for (const u8 *e = madt_next_lapic(m, NULL); e; e = madt_next_lapic(m, e)) {
		u32 flags = *(const u32 *)(e + 4);

		if (e[3] != n || !(flags & MADT_LAPIC_ENABLE)) {
			if (!bad++)
				check_fail(
				    "madt local APIC IDs: entry %u has APIC ID %u flags 0x%x, want "
				    "ID %u enabled",
				    n, e[3], flags, n);
		}
		n++;
	}
	if (n < 1 || n > SMP_MAX_VCPUS) {
		check_fail("madt lists %u local APICs: want 1..%u", n, SMP_MAX_VCPUS);
		return n ? SMP_MAX_VCPUS : 1;
	}
	check_pass("madt lists %u local APICs", n);
	if (!bad)
		check_pass("madt local APIC IDs 0..%u, all enabled", n - 1);
	return n;
}

/* ---- Shared-memory synchronisation ---- */

/* All vCPU_count vCPUs meet; false after WAIT_LONG or once smp_abort is set. */
bool barrier(void)
{
	u32 gen = LOAD(bar.gen);
	u64 t0;

	if (INC(bar.count) == vcpu_count) {
		STORE(bar.count, 0);
		STORE(bar.gen, gen + 1);
		return true;
	}
	t0 = x86_rdtsc();
	while (LOAD(bar.gen) == gen) {
		if (LOAD(smp_abort) || x86_rdtsc() - t0 > WAIT_LONG)
			return false;
		cpu_pause();
	}
	return true;
}

bool wait_for(u32 *p, u32 want)
{
	u64 t0 = x86_rdtsc();

	while (LOAD(*p) != want) {
		if (LOAD(smp_abort) || x86_rdtsc() - t0 > WAIT_LONG)
			return false;
		cpu_pause();
	}
	return true;
}

static void slot_record(u32 me)
{
	struct vcpu_slot *s = &slots[me];

	s->cpuid_id = x86_cpuid(1, 0).ebx >> 24;
	s->apic_id = lapic_id();
	s->ldr = lapic_read(APIC_LDR);
	s->apic_base = x86_rdmsr(MSR_APIC_BASE);
	s->efer = x86_rdmsr(X86_MSR_IA32_EFER);
	__asm__ volatile("mov %%cs, %0" : "=r"(s->cs));
}

/* ---- Interrupt handlers (every vCPU) ---- */

static void hit(enum hit_kind k)
{
	u32 me = self_index();

	if (me < SMP_MAX_VCPUS)
		INC(slots[me].hits[k]);
}

static void ring_handler(struct trap_frame *f)
{
	u32 me = self_index();
	u32 n = me < SMP_MAX_VCPUS ? INC(slots[me].hits[HIT_RING]) : 0;

	lapic_write(APIC_EOI, 0);
	if (me != 0 || n < ring_trips)
		lapic_send((me + 1) % vcpu_count, ICR_ASSERT | ICR_FIXED | VEC_RING);
}

static void bcast_handler(struct trap_frame *f)
{
	hit(HIT_BCAST);
	lapic_write(APIC_EOI, 0);
}

static void logical_handler(struct trap_frame *f)
{
	hit(HIT_LOGICAL);
	lapic_write(APIC_EOI, 0);
}

static void nmi_handler(struct trap_frame *f)
{
	hit(HIT_NMI);
}

static void wake_handler(struct trap_frame *f)
{
	lapic_write(APIC_EOI, 0);
}

/* ---- The pages ---- */

static volatile u64 *own_area(u32 who)
{
	return (volatile u64 *)(uintptr_t)(area_base + who * AREA_SIZE);
}

static volatile u64 *shared_slot(u32 page, u32 who)
{
	return (volatile u64 *)(uintptr_t)(area_base + SMP_MAX_VCPUS * AREA_SIZE +
					   page * PAGE_BYTES + who * SLOT_WORDS * 8);
}

/* What vCPU `who` writes in round r at word w: own area (0xA0) or its slots (0xC0). */
static u64 pattern(u64 kind, u32 who, u32 r, u32 w)
{
	return kind << 56 | (u64)who << 48 | (u64)r << 24 | w;
}

static void page_error(u32 me, const char *what, u32 who, volatile u64 *at, u64 got, u64 want)
{
	struct vcpu_slot *s = &slots[me];

	if (s->errors++ == 0)
		fmt_snprintf(s->err, sizeof(s->err),
			     "%s of vCPU %u at 0x%llx: got 0x%llx, want 0x%llx", what, who,
			     (unsigned long long)(uintptr_t)at, (unsigned long long)got,
			     (unsigned long long)want);
}

/* Checks (check) or writes the n words at p against pattern(kind, who, r, first + i);
 * fresh: they must read zero first. */
static void words(u32 me, const char *what, volatile u64 *p, u32 n, u64 kind, u32 who, u32 r,
		  u32 first, bool fresh, bool check)
{
	for (u32 i = 0; i < n; i++) {
		u64 want = pattern(kind, who, r, first + i), got = p[i];

		if (check ? got != want : fresh && got != 0)
			page_error(me, check ? what : "fresh RAM", who, &p[i], got,
				   check ? want : 0);
		if (!check)
			p[i] = want;
	}
}

static void pages_pass(u32 me, u32 r, bool check)
{
	for (u32 who = 0; who < vcpu_count; who++) {
		if (!check && who != me)
			continue;
		words(me, "own area", own_area(who), AREA_WORDS, 0xA0, who, r, 0, r == 0, check);
		for (u32 p = 0; p < SHARED_PAGES; p++)
			words(me, "shared page slot", shared_slot(p, who), SLOT_WORDS, 0xC0, who, r,
			      p * SLOT_WORDS, r == 0, check);
	}
}

/* Every vCPU: `rounds` rounds of write, barrier, check all, barrier. */
static bool pages_run(u32 me)
{
	for (u32 r = 0; r < rounds; r++) {
		pages_pass(me, r, false);
		if (!barrier())
			return false;
		pages_pass(me, r, true);
		if (!barrier())
			return false;
	}
	return true;
}

static bool pages_report(bool ran)
{
	bool ok = ran;

	if (!ran)
		check_fail("own and shared pages: a barrier was not reached by all %u vCPUs within "
			   "%llu ticks (%u waiting)",
			   vcpu_count, WAIT_LONG, LOAD(bar.count));
	for (u32 i = 0; ran && i < vcpu_count; i++) {
		if (slots[i].errors) {
			check_fail(
			    "own and shared pages: vCPU %u saw %u wrong words, the first: %s", i,
			    slots[i].errors, slots[i].err);
			ok = false;
		}
	}
	if (ok)
		check_pass("own and shared pages over %u rounds", rounds);
	return ran;
}

/* ---- The APs ---- */

static void ap_hello(u32 me)
{
	u64 t0 = x86_rdtsc();

	while (__atomic_exchange_n(&print_lock, 1, __ATOMIC_ACQUIRE) &&
	       x86_rdtsc() - t0 < WAIT_LONG)
		cpu_pause();
	print("vCPU %u up: APIC ID %u, EFER 0x%llx\n", me, slots[me].apic_id,
	      (unsigned long long)slots[me].efer);
	STORE(print_lock, 0);
}

static __noreturn void park(u32 me)
{
	STORE(slots[me].parked, 1);
	for (;;)
		__asm__ volatile("cli; hlt" ::: "memory");
}

/* What every vCPU runs between its start and the IPIs (or its park). */
static bool work_run(u32 me)
{
	switch (smp_test) {
	case SMP_UNMAP:
		return unmap_run(me);
	case SMP_STRESS:
		return stress_run(me);
	case SMP_IFMASK:
		return ifmask_run(me);
	default:
		return pages_run(me);
	}
}

void ap_main(u32 me)
{
	if (INC(slots[me].entries) != 1)
		park(me); /* started again: the BSP's checks say so */
	smp_ap_load_idt();
	if (lapic_x2apic)
		x2apic_enter(); /* before any APIC access: lapic_read goes through MSRs */
	slot_record(me);
	lapic_setup(me, VEC_WAKE);
	ap_hello(me);
	STORE(slots[me].alive, SLOT_ALIVE);
	if (barrier() && work_run(me) && barrier())
		(void)WAIT_UNTIL(LOAD(ipi_done) || LOAD(smp_abort), 4 * WAIT_LONG);
	park(me);
}

/* True when every AP's slot field at offset off (alive, parked) holds want. */
static bool aps_all(size_t off, u32 want)
{
	for (u32 i = 1; i < vcpu_count; i++)
		if (__atomic_load_n((u32 *)((u8 *)&slots[i] + off), __ATOMIC_ACQUIRE) != want)
			return false;
	return true;
}

/* What is wrong with vCPU i's start, or NULL. */
static const char *started_problem(u32 i, char *buf, size_t len)
{
	const struct vcpu_slot *s = &slots[i];

	if (i && LOAD(s->alive) != SLOT_ALIVE)
		fmt_snprintf(buf, len, "not alive within %llu ticks (entered %u times)", WAIT_LONG,
			     LOAD(s->entries));
	else if (i && s->entries != 1)
		fmt_snprintf(buf, len, "entered ap_main %u times, want 1", s->entries);
	else if (s->cpuid_id != i || s->apic_id != i)
		fmt_snprintf(buf, len, "CPUID initial APIC ID %u, APIC ID register %u, want %u",
			     s->cpuid_id, s->apic_id, i);
	else if (!(s->efer & X86_EFER_LMA) || s->cs != SMP_TRAMP_CS64)
		fmt_snprintf(buf, len, "EFER 0x%llx CS 0x%x, want LMA and CS 0x%x",
			     (unsigned long long)s->efer, s->cs, SMP_TRAMP_CS64);
	else
		return NULL;
	return buf;
}

/* INIT, INIT de-assert, SIPI, SIPI to every AP (smp_start_aps), then
 * each AP's start judged. */
static bool aps_start(void)
{
	enum smp_start st = smp_start_aps(vcpu_count);
	bool ok = true;
	char why[96];

	if (st == SMP_START_TOO_BIG) {
		check_fail("all %u vCPUs started: trampoline of %zu bytes, want at most %u",
			   vcpu_count, smp_tramp_len(), SMP_TRAMP_SIZE);
		return false;
	}
	if (st == SMP_START_ICR_BUSY)
		print("start: an ICR stayed busy for %u reads\n", ICR_POLLS);
	(void)WAIT_UNTIL(aps_all(offsetof(struct vcpu_slot, alive), SLOT_ALIVE), WAIT_LONG);
	for (u32 i = 0; i < vcpu_count; i++) {
		if (started_problem(i, why, sizeof(why))) {
			check_fail("all %u vCPUs started: vCPU %u %s", vcpu_count, i, why);
			ok = false;
		}
	}
	if (ok)
		check_pass("all %u vCPUs started", vcpu_count);
	return ok;
}

/* ---- IPIs (the BSP sends, every vCPU counts) ---- */

static bool hits_reached(enum hit_kind k, u32 mask, u32 want)
{
	for (u32 i = 0; i < vcpu_count; i++)
		if ((mask & BIT(i)) && LOAD(slots[i].hits[k]) < want)
			return false;
	return true;
}

/* After an IPI was sent: PASS when vCPUs in mask took it `want` times and
 * the others never, counted once the expected ones are in and WAIT_QUIET later. */
static void ipi_judge(const char *what, enum hit_kind k, u32 mask, u32 want)
{
	bool ok = true;

	(void)WAIT_UNTIL(hits_reached(k, mask, want), WAIT_LONG);
	(void)WAIT_UNTIL(false, WAIT_QUIET);
	for (u32 i = 0; i < vcpu_count; i++) {
		u32 got = LOAD(slots[i].hits[k]), w = (mask & BIT(i)) ? want : 0;

		if (got != w) {
			check_fail("%s: vCPU %u took it %u times, want %u", what, i, got, w);
			ok = false;
		}
	}
	if (ok)
		check_pass("%s", what);
}

static void ipi_checks(void)
{
	u32 all = (u32)BIT(vcpu_count) - 1, set = (0xAA | 1) & all;
	char what[96];

	fmt_snprintf(what, sizeof(what), "ipi ring: %u trips over %u vCPUs", ring_trips,
		     vcpu_count);
	lapic_send(1, ICR_ASSERT | ICR_FIXED | VEC_RING);
	ipi_judge(what, HIT_RING, all, ring_trips);

	lapic_send(0, ICR_OTHERS | ICR_ASSERT | ICR_FIXED | VEC_BCAST);
	ipi_judge("ipi all-excluding-self: once on each AP, not on vCPU 0", HIT_BCAST, all & ~1U,
		  1);

	fmt_snprintf(what, sizeof(what), "ipi logical flat to 0x%x: once on each vCPU in the set",
		     set);
	lapic_send(set, ICR_LOGICAL | ICR_ASSERT | ICR_FIXED | VEC_LOGICAL);
	ipi_judge(what, HIT_LOGICAL, set, 1);

	lapic_send(1, ICR_ASSERT | ICR_NMI);
	ipi_judge("nmi ipi to vCPU 1: once there, nowhere else", HIT_NMI, BIT(1), 1);
}

/* The end: every AP parked, none started twice. */
static void aps_parked(void)
{
	bool ok = true;

	(void)WAIT_UNTIL(aps_all(offsetof(struct vcpu_slot, parked), 1), WAIT_LONG);
	for (u32 i = 1; i < vcpu_count; i++) {
		if (!LOAD(slots[i].parked) || LOAD(slots[i].entries) != 1) {
			check_fail(
			    "all %u APs parked: vCPU %u parked %u, entered %u times, want 1 and 1",
			    vcpu_count - 1, i, LOAD(slots[i].parked), LOAD(slots[i].entries));
			ok = false;
		}
	}
	if (ok)
		check_pass("all %u APs parked, each started once", vcpu_count - 1);
}

/*
 * x2APIC mode on every vCPU (11.12): IA32_APIC_BASE has EN and EXTD, the
 * x2APIC ID (MSR 0x802) is the index, the logical ID (LDR, MSR 0x80D) is
 * derived from it, cluster ID << 16 | 1 << (ID & 15) (11.12.10.2), and the
 * LDR is read-only there: a WRMSR raises #GP(0).
 */
static void x2apic_check(void)
{
	bool ok = true;

	for (u32 i = 0; i < vcpu_count; i++) {
		const struct vcpu_slot *s = &slots[i];
		u32 ldr = (i >> 4) << 16 | BIT(i & 15);
		u64 want = APIC_BASE_EN | APIC_BASE_EXTD;

		if ((s->apic_base & want) != want || s->apic_id != i || s->ldr != ldr) {
			check_fail(
			    "x2apic on all %u vCPUs: vCPU %u has IA32_APIC_BASE 0x%llx, ID %u, "
			    "LDR 0x%x; want EN and EXTD, ID %u, LDR 0x%x",
			    vcpu_count, i, (unsigned long long)s->apic_base, s->apic_id, s->ldr, i,
			    ldr);
			ok = false;
		}
	}
	if (ok)
		check_pass("x2apic on all %u vCPUs: EN and EXTD, IDs 0..%u, logical IDs cluster 0 "
			   "bit i",
			   vcpu_count, vcpu_count - 1);
	trap_wrmsr(X2APIC_MSR(APIC_LDR), 0xFFFF);
	trap_expect("x2apic LDR (MSR 0x80d) is read-only: WRMSR raises #GP(0)", TRAP_GP, 0);
}

/* test=unmap or test=stress (smp_mem.c) on every vCPU, judged by the BSP. */
static void mem_test(void)
{
	bool ran = barrier() && work_run(0) && barrier();

	if (!ran)
		check_fail("test=%s: not every vCPU came through within %llu ticks (%u at the "
			   "barrier)",
			   smp_test == SMP_UNMAP    ? "unmap"
			   : smp_test == SMP_STRESS ? "stress"
						    : "ifmask",
			   WAIT_LONG, LOAD(bar.count));
	if (smp_test == SMP_UNMAP)
		unmap_report();
	else if (smp_test == SMP_STRESS)
		stress_report();
	else
		ifmask_report();
	if (!ran)
		STORE(smp_abort, 1);
}

static u32 arg(const char *args, const char *key, u32 dflt)
{
	u64 v;

	return bootargs_size(args, key, &v) ? (u32)v : dflt;
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	const char *args = bootargs_keel(info, magic);
	const char *flag;
	size_t flag_len;
	u64 need;

	mem_size = *args ? ((const struct keel_boot_info *)info)->mem_size : 0;
	rounds = arg(args, "rounds", 20);
	ring_trips = arg(args, "ring", 100);
	stress_size = ALIGN_DOWN((u64)arg(args, "size", 64 * MiB), PAGE_BYTES);
	smp_test = bootargs_has(args, "test", "unmap")	  ? SMP_UNMAP
		   : bootargs_has(args, "test", "stress") ? SMP_STRESS
		   : bootargs_has(args, "test", "ifmask") ? SMP_IFMASK
							  : SMP_PAGES;
	lapic_x2apic = bootargs_find(args, "x2apic", &flag, &flag_len);
	area_base = ALIGN_UP((u64)(uintptr_t)__image_end, 2 * MiB);
	idt_init();
	trap_set_handler(VEC_NMI, nmi_handler);
	trap_set_handler(VEC_RING, ring_handler);
	trap_set_handler(VEC_BCAST, bcast_handler);
	trap_set_handler(VEC_LOGICAL, logical_handler);
	trap_set_handler(VEC_WAKE, wake_handler);
	if (smp_test == SMP_IFMASK)
		ifmask_setup();
	outb(PIC_MASTER_DATA, 0xFF);
	outb(PIC_SLAVE_DATA, 0xFF);
	if (lapic_x2apic && !(x86_cpuid(1, 0).ecx & CPUID_1_ECX_X2APIC)) {
		check_fail("x2apic: CPUID.1:ECX.x2APIC[bit 21] is 0");
		return;
	}
	if (lapic_x2apic)
		x2apic_enter();
	lapic_setup(0, VEC_WAKE);
	slot_record(0);

	vcpu_count = madt_check();
	if (vcpu_count == 1) {
		print("one vCPU: no AP to start, no page to share, no IPI to send\n");
		return;
	}
	need = area_base + (smp_test == SMP_STRESS ? stress_size : AREAS_SIZE);
	if (need > mem_size) {
		check_fail("fresh RAM: need RAM up to 0x%llx, mem_size 0x%llx",
			   (unsigned long long)need, (unsigned long long)mem_size);
		return;
	}
	if (!aps_start()) {
		STORE(smp_abort, 1);
	} else if (smp_test != SMP_PAGES) {
		mem_test();
	} else {
		if (lapic_x2apic)
			x2apic_check();
		if (!pages_report(barrier() && pages_run(0) && barrier()))
			STORE(smp_abort, 1);
		else
			ipi_checks();
	}
	STORE(ipi_done, 1);
	aps_parked();
	if (bootargs_has(args, "reset", "1") && !check_failures()) {
		/*
		 * reset=1: all passed, so the whole guest is reset through the
		 * reset control register (docs/platform-legacy.md): Keel builds it
		 * again and it starts its APs again, for ever (the test's
		 * timeout= ends it).
		 */
		check_pass("before reset: every check passed on %u vCPUs", vcpu_count);
		outb(0xCF9, 0x06);
		for (;;)
			__asm__ volatile("cli; hlt");
	}
}
