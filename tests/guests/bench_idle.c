/*
 * The bench guest's idle time (tests/guests/bench.c, issue 17): waits in
 * `sti; hlt` on the local APIC's TSC-deadline timer (SDM Vol. 3A 10.5.4.1),
 * so that Keel sees every vCPU halted and its idle CPU fills the zero pool
 * (mm/zpool.h), and times how late such a wait ends.
 *
 *   warm=N (touch runs)   halt for N ticks before the first touch: the pool
 *        is full when the touches begin (Keel: zeropool=on)
 *   run=wake [iters=200] [sleep=10K]   iters waits of `sleep` ticks each;
 *        a sample is the TSC in the timer's handler less the deadline: what
 *        Keel's idle loop (and any zeroing in it) adds to a wake-up
 */
#include "tests/guests/bench.h"
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/trap.h"
#include "tests/guests/lib/x86.h"
#include "tests/guests/smp_boot.h"

#define VEC_DEADLINE	     0x45
#define MSR_TSC_DEADLINE     0x6E0
#define LVT_TIMER_DEADLINE   (2u << 17) /* LVT timer mode 10b: TSC-deadline */
#define CPUID_1_ECX_DEADLINE BIT(24)
#define IDLE_DEFAULT_ITERS   200
#define IDLE_DEFAULT_SLEEP   10000
/* One wait ends at most this long after its deadline, or the run fails. */
#define IDLE_LATE_MAX 100000000ULL

/* Written by the timer's handler, read by the waiter (one vCPU). */
static volatile u64 idle_fired_tsc;
static volatile bool idle_fired;

static void deadline_handler(struct trap_frame *f)
{
	idle_fired_tsc = x86_rdtsc();
	idle_fired = true;
	lapic_write(APIC_EOI, 0);
}

static bool idle_setup(void)
{
	static bool ready;

	if (ready)
		return true;
	if (!(x86_cpuid(1, 0).ecx & CPUID_1_ECX_DEADLINE)) {
		check_fail("bench: idle: no TSC-deadline timer (CPUID.1:ECX[24])");
		return false;
	}
	idt_init();
	trap_set_handler(VEC_DEADLINE, deadline_handler);
	lapic_setup(0, LVT_TIMER_DEADLINE | VEC_DEADLINE);
	ready = true;
	return true;
}

/* Halts until the TSC reaches deadline; returns the handler's TSC (0 after a FAIL line). */
static u64 idle_until(u64 deadline)
{
	idle_fired = false;
	x86_wrmsr(MSR_TSC_DEADLINE, deadline);
	while (!idle_fired) {
		if (x86_rdtsc() > deadline + IDLE_LATE_MAX) {
			check_fail("bench: idle: the deadline 0x%llx did not fire",
				   (unsigned long long)deadline);
			return 0;
		}
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	}
	return idle_fired_tsc;
}

void bench_idle(u64 ticks)
{
	if (ticks && idle_setup())
		idle_until(x86_rdtsc() + ticks);
}

void bench_wake(void)
{
	u64 iters = bench_arg("iters", IDLE_DEFAULT_ITERS);
	u64 sleep = bench_arg("sleep", IDLE_DEFAULT_SLEEP);
	struct keel_guest_stats a, b;
	struct bench_delta d;

	if (iters == 0 || iters > BENCH_MAX_SAMPLES) {
		check_fail("wake: iters=%llu: want 1 to %u", (unsigned long long)iters,
			   BENCH_MAX_SAMPLES);
		return;
	}
	if (!idle_setup())
		return;
	bench_stats(&a);
	for (u64 i = 0; i < iters; i++) {
		u64 deadline = x86_rdtsc() + sleep, fired = idle_until(deadline);

		if (!fired)
			return;
		if (fired < deadline) {
			check_fail("wake: the timer fired %llu ticks before its deadline",
				   (unsigned long long)(deadline - fired));
			return;
		}
		bench_samples[i] = fired - deadline;
	}
	check_pass("wake: %llu waits in HLT, each woken at or after its deadline",
		   (unsigned long long)iters);
	bench_stats(&b);
	d = bench_delta(&a, &b);
	/* raw: the samples are differences of two TSC readings, no timed block */
	bench_report_biased("wake", bench_samples, iters, 0, &d);
}
