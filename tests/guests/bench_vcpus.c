/*
 * The bench guest's run=vcpus (bench.c has the method): figures of a guest
 * with two vCPUs (`vcpus=2` on the module line, `ept=4k`, Keel's
 * `testhc=on`), next to the same operations with one vCPU. vCPU 0 starts
 * vCPU 1 as the smp guest does (smp_boot.c, the MADT's count), drives it
 * by a command word and a wake IPI, and does all the timing and printing:
 *
 *   int-native     INT to the interrupt handler natively: the guest's own
 *                  interrupt entry, from RDTSC before the INT to RDTSC in
 *                  the handler (no exit; what the IPI rows hold of the guest)
 *   ipi-rtt-spin   a fixed IPI to vCPU 1, whose handler sends one back: RDTSC
 *                  before vCPU 0's ICR write to RDTSC in its own handler,
 *                  both vCPUs spinning with interrupts on (vCPUs on two CPUs)
 *   ipi-rtt-hlt    the same, both vCPUs waiting in `sti; hlt`
 *   touch4k-v0/-v1 both vCPUs at once store to interleaved fresh 4 KiB pages
 *                  of the same 2 MiB regions (vCPU 0 the even, vCPU 1 the
 *                  odd ones): each store's RDTSC block on each vCPU
 *   unmap-spin     KEEL_HC_TEST_UNMAP of one touched 4 KiB page while vCPU 1
 *                  spins inside the guest (no exits): a shootdown that kicks
 *   unmap-parked   the same with vCPU 1 parked in `cli; hlt`
 *   unmap-1vcpu    the same in a guest with one vCPU (no other CPU to mind)
 *
 * `-- run=vcpus [iters=1000] [size=2M] [shared=1]`: iters per IPI and
 * unmap row; size the fresh memory touched by the two vCPUs (2 MiB
 * regions); shared=1 says both vCPUs share one CPU (module line cpus=),
 * where a spinning vCPU would keep the other from running: only int-native
 * and ipi-rtt-hlt. With one vCPU in the MADT: int-native and unmap-1vcpu.
 * The page unmapped is touched again (outside the sample) after each
 * unmap, so each iteration's unmap removes a mapped page.
 */
#include "tests/guests/bench.h"
#include "tests/guests/lib/bootargs.h"
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/trap.h"
#include "tests/guests/lib/uart.h"
#include "tests/guests/smp_boot.h"

#define VEC_IPI	 0x40 /* the timed IPI, both ways */
#define VEC_CMD	 0x41 /* wakes vCPU 1 to read a new command */
#define VEC_WAKE 0x43 /* the APIC timer's backstop under HLT */
#define VEC_SOFT 0x44 /* int-native: the same handler path by INT */

#define PARK_SETTLE   100000ULL	 /* ticks for vCPU 1 to reach its HLT once parked */
#define BACKSTOP      100000000U /* APIC timer count bounding a timed HLT wait */
#define DEFAULT_ITERS 1000
#define DEFAULT_SIZE  (2 * MiB)

extern const u8 __image_end[];

/* Commands to vCPU 1 (ap_cmd), each followed by a VEC_CMD IPI. */
enum ap_cmd { AP_IDLE, AP_IPI_SPIN, AP_IPI_HLT, AP_TOUCH, AP_SPIN, AP_PARK };

/* Written by vCPU 0 before vCPU 1 starts, read-only afterwards. */
static u64 touch_base, touch_pages;

/* Shared, atomics: vCPU 0 writes ap_cmd and touch_go, vCPU 1 the rest;
 * arrival_tsc and arrived are vCPU 0's handler's. */
static u32 ap_cmd, ap_alive, ap_ready, ap_done, ap_parked, touch_go, arrived;
static u64 ap_count, arrival_tsc;

/* ---- Handlers (both vCPUs) ---- */

/* The timed IPI and the INT: the TSC first, then vCPU 0 records it and
 * vCPU 1 answers (its ICR high already names vCPU 0: the APICs stay in
 * xAPIC mode, where a write to ICR low alone sends) while an IPI row runs. */
static void ipi_handler(struct trap_frame *f)
{
	u64 t = x86_rdtsc();
	u32 cmd;

	if (self_index() == 0) {
		STORE(arrival_tsc, t);
		STORE(arrived, 1);
	} else if ((cmd = LOAD(ap_cmd)) == AP_IPI_SPIN || cmd == AP_IPI_HLT) {
		lapic_write(APIC_ICR_LO, ICR_ASSERT | ICR_FIXED | VEC_IPI);
	}
	if (f->vector != VEC_SOFT)
		lapic_write(APIC_EOI, 0);
}

static void eoi_handler(struct trap_frame *f)
{
	lapic_write(APIC_EOI, 0);
}

/* ---- vCPU 1 ---- */

/* Sleeps until vCPU 0 gives another command than cmd (its VEC_CMD wakes it). */
static void ap_wait_not(u32 cmd)
{
	while (LOAD(ap_cmd) == cmd)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
}

/* Its pages of the interleaved touch: the odd ones, each store timed. */
static void ap_touch(void)
{
	u64 *v = &bench_samples[BENCH_MAX_SAMPLES / 2];

	STORE(ap_ready, 1);
	while (!LOAD(touch_go))
		cpu_pause();
	for (u64 i = 1, n = 0; i < touch_pages; i += 2)
		v[n++] = bench_t_store(touch_base + i * BENCH_PAGE);
	STORE(ap_done, 1);
	ap_wait_not(AP_TOUCH);
}

void ap_main(u32 me)
{
	smp_ap_load_idt();
	lapic_setup(me, VEC_WAKE);
	lapic_write(APIC_ICR_HI, ICR_DEST(0));
	STORE(ap_alive, 1);
	for (;;) {
		switch (LOAD(ap_cmd)) {
		case AP_IPI_SPIN:
			__asm__ volatile("sti" ::: "memory");
			while (LOAD(ap_cmd) == AP_IPI_SPIN)
				cpu_pause();
			__asm__ volatile("cli" ::: "memory");
			break;
		case AP_TOUCH:
			ap_touch();
			break;
		case AP_SPIN:
			__asm__ volatile("sti" ::: "memory");
			while (LOAD(ap_cmd) == AP_SPIN)
				INC(ap_count);
			__asm__ volatile("cli" ::: "memory");
			break;
		case AP_PARK:
			STORE(ap_parked, 1);
			for (;;)
				__asm__ volatile("cli; hlt" ::: "memory");
		default: /* AP_IDLE, AP_IPI_HLT: the handler answers */
			__asm__ volatile("sti; hlt; cli" ::: "memory");
		}
	}
}

/* ---- vCPU 0 ---- */

static void ap_command(u32 cmd)
{
	STORE(ap_cmd, cmd);
	lapic_write(APIC_ICR_LO, ICR_ASSERT | ICR_FIXED | VEC_CMD); /* ICR high: vCPU 1 */
}

/* Spins until cond or WAIT_LONG ticks; true when it held. */
#define SPIN_UNTIL(cond)                                                                           \
	({                                                                                         \
		u64 t0_ = x86_rdtsc();                                                             \
		bool ok_;                                                                          \
		while (!(ok_ = (cond)) && x86_rdtsc() - t0_ < WAIT_LONG)                           \
			cpu_pause();                                                               \
		ok_;                                                                               \
	})

static u64 tsc_fenced(void)
{
	__asm__ volatile("lfence" ::: "memory");
	return x86_rdtsc();
}

/* One INT to the handler: RDTSC before it to RDTSC in the handler. */
static u64 t_int(void)
{
	u64 t0;

	STORE(arrived, 0);
	t0 = tsc_fenced();
	__asm__ volatile("int %0" : : "i"(VEC_SOFT) : "memory");
	return LOAD(arrived) ? LOAD(arrival_tsc) - t0 : 0;
}

/* One round trip: the ICR write, then the reply awaited spinning or in HLT
 * (the APIC timer as backstop); 0 if it did not come within WAIT_LONG. */
static u64 t_ipi(bool hlt)
{
	u64 t0;
	bool ok;

	STORE(arrived, 0);
	if (hlt)
		lapic_write(APIC_TMICT, BACKSTOP);
	t0 = tsc_fenced();
	lapic_write(APIC_ICR_LO, ICR_ASSERT | ICR_FIXED | VEC_IPI);
	if (hlt)
		ok = ({
			while (!LOAD(arrived) && x86_rdtsc() - t0 < WAIT_LONG)
				__asm__ volatile("sti; hlt; cli" ::: "memory");
			LOAD(arrived);
		});
	else
		ok = SPIN_UNTIL(LOAD(arrived));
	if (hlt)
		lapic_write(APIC_TMICT, 0);
	return ok ? LOAD(arrival_tsc) - t0 : 0;
}

/* Setup: one MOV to EAX (the function); RDI and RSI loaded before. */
static u64 t_unmap(u64 gpa)
{
	u64 d, len = BENCH_PAGE;

	__asm__ volatile(BENCH_T0 "mov %[fn], %%eax\n\tvmcall" BENCH_T1
			 : "=&a"(d), "+D"(gpa), "+S"(len)
			 : [fn] "i"(KEEL_HC_TEST_UNMAP)
			 : "rdx", "r8", "memory", "cc");
	return d;
}

/* int-native, ipi-rtt-*: raw RDTSC differences (no bias), so the IPI rows
 * hold the guest's own interrupt entry that int-native shows alone. */
enum { KIND_INT, KIND_HLT, KIND_SPIN };

static void run_interrupts(const char *op, u64 iters, int kind)
{
	struct keel_guest_stats a, b;
	struct bench_delta d;
	u64 lost = 0;

	uart_wait_idle();
	bench_stats(&a);
	if (kind == 2)
		__asm__ volatile("sti" ::: "memory"); /* the reply comes while vCPU 0 spins */
	for (u64 i = 0; i < iters; i++) {
		bench_samples[i] = kind == KIND_INT ? t_int() : t_ipi(kind == KIND_HLT);
		lost += bench_samples[i] == 0;
	}
	__asm__ volatile("cli" ::: "memory");
	bench_stats(&b);
	d = bench_delta(&a, &b);
	bench_report_biased(op, bench_samples, iters, 0, &d);
	bench_expect(op, "handler arrivals missing", lost, 0);
}

static void run_touch(void)
{
	struct keel_guest_stats a, b;
	struct bench_delta d;
	u64 n = 0;

	ap_command(AP_TOUCH);
	if (!SPIN_UNTIL(LOAD(ap_ready))) {
		check_fail("touch4k-v1: vCPU 1 not ready within %llu ticks", WAIT_LONG);
		return;
	}
	uart_wait_idle();
	bench_stats(&a);
	STORE(touch_go, 1);
	for (u64 i = 0; i < touch_pages; i += 2)
		bench_samples[n++] = bench_t_store(touch_base + i * BENCH_PAGE);
	if (!SPIN_UNTIL(LOAD(ap_done))) {
		check_fail("touch4k-v1: vCPU 1 not done within %llu ticks", WAIT_LONG);
		return;
	}
	bench_stats(&b);
	d = bench_delta(&a, &b);
	bench_report("touch4k-v0", n, 0, &d);
	bench_report_biased("touch4k-v1", &bench_samples[BENCH_MAX_SAMPLES / 2], touch_pages - n,
			    bench_env.overhead, &d);
	bench_expect("touch4k-v0/v1", "faults", d.faults, touch_pages);
	bench_expect("touch4k-v0/v1", "4 KiB leaves", d.leaves_4k, touch_pages);
	ap_command(AP_IDLE);
}

/* `iters` unmaps of the page at gpa, each followed by a touch that maps it
 * again; with spin, each unmap waits until vCPU 1 has run in the guest since
 * the last. */
static void run_unmap(const char *op, u64 gpa, u64 iters, bool spin)
{
	struct keel_guest_stats a, b;
	struct bench_delta d;
	bool ok = true;

	*(volatile u64 *)(uintptr_t)gpa = 1;
	uart_wait_idle();
	bench_stats(&a);
	for (u64 i = 0; i < iters; i++) {
		u64 c = LOAD(ap_count);

		if (spin && !SPIN_UNTIL(LOAD(ap_count) != c))
			ok = false;
		bench_samples[i] = t_unmap(gpa);
		*(volatile u64 *)(uintptr_t)gpa = i;
	}
	bench_stats(&b);
	d = bench_delta(&a, &b);
	bench_report(op, iters, 1, &d);
	bench_expect(op, "faults (a touch after each unmap)", d.faults, iters);
	if (!ok)
		check_fail("%s: vCPU 1 did not spin in the guest between unmaps", op);
}

/* Starts vCPU 1 and waits until it is alive; false after a FAIL line. */
static bool start_ap(void)
{
	enum smp_start st = smp_start_aps(2);

	if (st != SMP_START_SENT || !WAIT_UNTIL(LOAD(ap_alive), WAIT_LONG)) {
		check_fail("vcpus: vCPU 1 did not start (start %d, alive %u)", st, LOAD(ap_alive));
		return false;
	}
	lapic_write(APIC_ICR_HI, ICR_DEST(1));
	return true;
}

static u32 madt_vcpus(void)
{
	const char *why = "";
	const struct acpi_header *m = acpi_madt_find(&why);
	u32 n = 0;

	for (const u8 *e = m ? madt_next_lapic(m, NULL) : NULL; e; e = madt_next_lapic(m, e))
		n++;
	if (!m)
		check_fail("vcpus: %s", why);
	return n;
}

void bench_vcpus(void)
{
	u64 iters = bench_arg("iters", DEFAULT_ITERS), size = bench_arg("size", DEFAULT_SIZE);
	bool shared = bootargs_has(bench_env.args, "shared", "1");
	u32 n = madt_vcpus();
	u64 base = ALIGN_UP((u64)(uintptr_t)__image_end, BENCH_REGION);

	if (iters == 0 || iters > BENCH_MAX_SAMPLES / 2 || size == 0 || size % BENCH_REGION ||
	    size / BENCH_PAGE > BENCH_MAX_SAMPLES / 2 || base + size + BENCH_PAGE > bench_env.mem ||
	    n < 1 || n > 2) {
		check_fail("vcpus: iters=%llu size=0x%llx with %u vCPUs, mem 0x%llx: want 1 or 2 "
			   "vCPUs, iters up to %u, size 2 MiB regions inside mem",
			   (unsigned long long)iters, (unsigned long long)size, n,
			   (unsigned long long)bench_env.mem, BENCH_MAX_SAMPLES / 2);
		return;
	}
	touch_base = base;
	touch_pages = size / BENCH_PAGE;
	idt_init();
	trap_set_handler(VEC_IPI, ipi_handler);
	trap_set_handler(VEC_SOFT, ipi_handler);
	trap_set_handler(VEC_CMD, eoi_handler);
	trap_set_handler(VEC_WAKE, eoi_handler);
	lapic_setup(0, VEC_WAKE);
	run_interrupts("int-native", iters, KIND_INT);
	if (n == 1) {
		run_unmap("unmap-1vcpu", base + size, iters, false);
		return;
	}
	if (!start_ap())
		return;
	if (!shared) {
		ap_command(AP_IPI_SPIN);
		run_interrupts("ipi-rtt-spin", iters, KIND_SPIN);
	}
	ap_command(AP_IPI_HLT);
	run_interrupts("ipi-rtt-hlt", iters, KIND_HLT);
	if (!shared) {
		run_touch();
		ap_command(AP_SPIN);
		run_unmap("unmap-spin", base + size, iters, true);
	}
	ap_command(AP_PARK);
	if (!WAIT_UNTIL(LOAD(ap_parked), WAIT_LONG))
		check_fail("vcpus: vCPU 1 not parked within %llu ticks", WAIT_LONG);
	if (!shared) {
		spin_ticks(PARK_SETTLE);
		run_unmap("unmap-parked", base + size, iters, false);
	}
}
