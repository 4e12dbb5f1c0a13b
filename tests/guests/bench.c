/*
 * Guest "bench": times Keel's paths with RDTSC for `make bench`
 * (tests/bench/run.py, docs/benchmarks.md). Under Bochs with clock
 * sync=none one TSC tick is one instruction (one per REP iteration, one per
 * VM exit and one per VM entry), so every figure is an exact count of the
 * instructions on the path and repeats exactly. Its arguments pick the run:
 *
 *   run=exits [iters=1000] [floor=1]
 *        exit round trips: CPUID leaf 0, leaf 1 (filtered by Keel), leaf
 *        0x40000000 (Keel's own); VMCALL KEEL_HC_NOP; IN from the UART's LSR;
 *        OUT to an unclaimed port. Native, for the method: REP STOSQ and
 *        REP STOSB over 4 KiB. floor=1 says Keel runs with floor=on (CPUID
 *        and VMCALL then bypass Keel's exit counter).
 *   run=touch4k [size=64M]   module line ept=4k: first touch of each 4 KiB
 *        page of fresh memory (one EPT violation each, zeroing included),
 *        then a second touch of each page (no exit)
 *   run=zeropage [size=64M]  module line ept=4k, Keel's zeropage=on: first read of
 *                            each 4 KiB page (the shared zero frame), then first
 *                            write (copy-on-write of zero)
 *   run=reclaim [size=64M] [idle=200M]   module line ept=4k, Keel's reclaim=on:
 *                            pages written, 3/4 cleared, then idle: Keel takes
 *                            the cleared pages' frames back
 *   run=promote [size=64M]   module line ept=2m, Keel's zeropage=on: a read, then the
 *                            first write, in each 2 MiB region (a promotion)
 *   run=touch2m [size=64M]   module line ept=2m: first touch of each 2 MiB
 *        region (one EPT violation per region), then a touch of each 4 KiB
 *        page of the mapped regions (no exit)
 *   run=vcpus [iters=1000] [size=2M] [shared=1]   a guest with two vCPUs
 *        (module line vcpus=2 ept=4k, Keel testhc=on) or one: IPI round
 *        trips between the vCPUs, first touches by both at once, an unmap
 *        while the other vCPU spins or is parked (bench_vcpus.c)
 *   run=touch4k ... order=random [around=1]   the first touches in the order
 *        i * 40503 mod n instead of 0..n-1 (n a power of two); around=1 says Keel
 *        runs with faultaround=on: fewer faults than pages is then right
 *   run=touch4k|touch2m ... warm=N   halt N ticks first, so that Keel's
 *        idle CPU fills its zero pool: the touches then map frames already
 *        zero (bench_idle.c)
 *   run=wake [iters=200] [sleep=10K]   how late a TSC-deadline wait in HLT
 *        ends, while Keel's idle CPU fills the zero pool or not (bench_idle.c)
 *   run=spin [loops=10M] [mark=1]   a loop that never exits, loops
 *        iterations of two instructions (for Keel's guest-switch figure);
 *        mark=1 puts a profile marker (below) before and after the loop
 *   run=profile op=cpuid|vmcall|io-in|io-out|io-pic|touch4k [k=100]   for
 *        `make profile` (tests/bench/profile_run.py): a few warm-up iterations
 *        of the operation, then the marker, k iterations, the marker again.
 *        The marker is Bochs' magic breakpoint, XCHG BX,BX (a no-op
 *        elsewhere); the profiler traces what runs between the two.
 *   run=none                 nothing (for Keel's boot figure)
 *
 * Each timed operation is one block: LFENCE; RDTSC; the operation; LFENCE;
 * RDTSC. A sample is the difference less the ticks of an empty block (the
 * "rdtsc" line, measured first in every run) and less the setup
 * instructions the operation needs inside the block (loading EAX or EDX,
 * which RDTSC overwrites). One line per operation:
 *
 *   BENCH op=NAME iters=N min=A median=B mean=C.CC max=D sum=S exits=E faults=F
 *
 * exits and faults are Keel's counters (KEEL_HC_STATS: VM exits, EPT
 * violations) over the whole loop, less the cost of reading them. Each
 * operation is also a check (one exit per iteration, one fault per page or
 * region, none on a second touch), so a broken bench fails the guest.
 */
#include "tests/guests/bench.h"
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/bootargs.h"
#include "tests/guests/lib/sample.h"
#include "tests/guests/lib/uart.h"
#include "tests/guests/lib/vmcall.h"
#include "lib/string.h"

#define BENCH_REGION_PAGES   (BENCH_REGION / BENCH_PAGE)
#define BENCH_IDENTITY_END   (4 * GiB) /* Keel's boot page tables map [0, 4 GiB) */
#define BENCH_UART_LSR	     0x3FD     /* COM1 line status (Keel's UART model) */
#define BENCH_UNCLAIMED_PORT 0x2F0     /* no device: reads all ones, writes dropped */
#define BENCH_PIC_IMR	     0x21      /* master 8259's interrupt mask (Keel's PIC model) */
#define BENCH_DEFAULT_ITERS  1000
#define BENCH_DEFAULT_SIZE   (64 * MiB)
#define BENCH_DEFAULT_LOOPS  (10 * MiB) /* "10M", as the command line reads it */
#define BENCH_SCATTER	     40503	/* order=random: page i * this mod n (odd: a permutation) */

extern const u8 __image_end[];

u64 bench_samples[BENCH_MAX_SAMPLES];
static u8 bench_buf[BENCH_PAGE] __aligned(BENCH_PAGE);
static struct keel_guest_stats bench_stats_buf;

struct bench_env bench_env;

static u64 bench_t_empty(void)
{
	u64 d;

	__asm__ volatile(BENCH_T0 BENCH_T1 : "=&a"(d) : : "rdx", "r8", "memory", "cc");
	return d;
}

/* Setup: one MOV to EAX. */
static u64 bench_t_cpuid(u32 leaf)
{
	u64 d;
	u32 sub = 0;

	__asm__ volatile(BENCH_T0 "mov %[leaf], %%eax\n\tcpuid" BENCH_T1
			 : "=&a"(d), "+c"(sub)
			 : [leaf] "r"(leaf)
			 : "rbx", "rdx", "r8", "memory", "cc");
	return d;
}

static u64 bench_t_cpuid0(void)
{
	return bench_t_cpuid(0);
}

static u64 bench_t_cpuid1(void)
{
	return bench_t_cpuid(1);
}

static u64 bench_t_cpuid_hv(void)
{
	return bench_t_cpuid(KEEL_CPUID_BASE);
}

/* Setup: one MOV to EAX (the function). */
static u64 bench_t_vmcall_nop(void)
{
	u64 d;

	__asm__ volatile(BENCH_T0 "mov %[fn], %%eax\n\tvmcall" BENCH_T1
			 : "=&a"(d)
			 : [fn] "i"(KEEL_HC_NOP)
			 : "rdx", "r8", "memory", "cc");
	return d;
}

/* Setup: one MOV to EDX (the port). */
static u64 bench_t_in_lsr(void)
{
	u64 d;

	__asm__ volatile(BENCH_T0 "mov %[port], %%edx\n\tinb %%dx, %%al" BENCH_T1
			 : "=&a"(d)
			 : [port] "i"(BENCH_UART_LSR)
			 : "rdx", "r8", "memory", "cc");
	return d;
}

/* Setup: one MOV to EDX (the port). */
static u64 bench_t_in_pic(void)
{
	u64 d;

	__asm__ volatile(BENCH_T0 "mov %[port], %%edx\n\tinb %%dx, %%al" BENCH_T1
			 : "=&a"(d)
			 : [port] "i"(BENCH_PIC_IMR)
			 : "rdx", "r8", "memory", "cc");
	return d;
}

/* Setup: one MOV to EDX (the port). AL holds low TSC bits: any value will do. */
static u64 bench_t_out_unclaimed(void)
{
	u64 d;

	__asm__ volatile(BENCH_T0 "mov %[port], %%edx\n\toutb %%al, %%dx" BENCH_T1
			 : "=&a"(d)
			 : [port] "i"(BENCH_UNCLAIMED_PORT)
			 : "rdx", "r8", "memory", "cc");
	return d;
}

/* No setup: RDI and RCX are loaded before the block. */
static u64 bench_t_stosq_4k(void)
{
	u64 d, n = BENCH_PAGE / 8;
	void *p = bench_buf;

	__asm__ volatile(BENCH_T0 "rep stosq" BENCH_T1
			 : "=&a"(d), "+D"(p), "+c"(n)
			 :
			 : "rdx", "r8", "memory", "cc");
	return d;
}

static u64 bench_t_stosb_4k(void)
{
	u64 d, n = BENCH_PAGE;
	void *p = bench_buf;

	__asm__ volatile(BENCH_T0 "rep stosb" BENCH_T1
			 : "=&a"(d), "+D"(p), "+c"(n)
			 :
			 : "rdx", "r8", "memory", "cc");
	return d;
}

/* One timed 8-byte load from gpa; no setup. */
static u64 bench_t_load(u64 gpa)
{
	u64 d, v;

	__asm__ volatile(BENCH_T0 "movq (%[p]), %[v]" BENCH_T1
			 : "=&a"(d), [v] "=&r"(v)
			 : [p] "r"((uintptr_t)gpa)
			 : "rdx", "r8", "memory", "cc");
	return d;
}

u64 bench_t_store(u64 gpa)
{
	u64 d;

	__asm__ volatile(BENCH_T0 "movq %%rax, (%[p])" BENCH_T1
			 : "=&a"(d)
			 : [p] "r"((uintptr_t)gpa)
			 : "rdx", "r8", "memory", "cc");
	return d;
}

/* --- Keel's counters --- */

/* A failure reads as zeros. */
void bench_stats(struct keel_guest_stats *s)
{
	long r = vmcall3(KEEL_HC_STATS, (uintptr_t)&bench_stats_buf, sizeof(bench_stats_buf), 0);

	if (r != (long)sizeof(bench_stats_buf)) {
		check_fail("KEEL_HC_STATS: got %lld, want %llu", (long long)r,
			   (unsigned long long)sizeof(bench_stats_buf));
		memset(&bench_stats_buf, 0, sizeof(bench_stats_buf));
	}
	*s = bench_stats_buf;
}

struct bench_delta bench_delta(const struct keel_guest_stats *a, const struct keel_guest_stats *b)
{
	u64 exits = b->exits - a->exits;

	return (struct bench_delta){
	    .exits = exits > bench_env.stats_exits ? exits - bench_env.stats_exits : 0,
	    .faults = b->ept_violations - a->ept_violations,
	    .leaves_4k = b->leaves_4k - a->leaves_4k,
	    .leaves_2m = b->leaves_2m - a->leaves_2m,
	};
}

/* --- reporting --- */

void bench_report_biased(const char *op, u64 *v, size_t n, u64 bias, const struct bench_delta *d)
{
	struct sample_summary s = sample_summarize(v, n, bias);
	u64 mean = sample_mean_centi(&s);

	print("BENCH op=%s iters=%llu min=%llu median=%llu mean=%llu.%02llu max=%llu sum=%llu "
	      "exits=%llu faults=%llu\n",
	      op, (unsigned long long)s.count, (unsigned long long)s.min,
	      (unsigned long long)s.median, (unsigned long long)(mean / 100),
	      (unsigned long long)(mean % 100), (unsigned long long)s.max,
	      (unsigned long long)s.sum, (unsigned long long)d->exits,
	      (unsigned long long)d->faults);
}

void bench_report(const char *op, size_t n, u64 setup, const struct bench_delta *d)
{
	bench_report_biased(op, bench_samples, n, bench_env.overhead + setup, d);
}

void bench_expect(const char *op, const char *what, u64 got, u64 want)
{
	if (got == want)
		check_pass("%s: %s %llu", op, what, (unsigned long long)got);
	else
		check_fail("%s: %s %llu, want %llu", op, what, (unsigned long long)got,
			   (unsigned long long)want);
}

/* --- set-up --- */

u64 bench_arg(const char *key, u64 dflt)
{
	u64 v;

	return bootargs_size(bench_env.args, key, &v) ? v : dflt;
}

/* The empty block's ticks (all samples alike under Bochs: the median). */
static void bench_calibrate(void)
{
	struct keel_guest_stats a, b;
	struct bench_delta d = {0};
	size_t n = BENCH_DEFAULT_ITERS;

	bench_stats(&a);
	bench_stats(&b);
	bench_env.stats_exits = b.exits - a.exits;
	for (size_t i = 0; i < n; i++)
		bench_samples[i] = bench_t_empty();
	bench_env.overhead = 0;
	bench_report("rdtsc", n, 0, &d);
	bench_env.overhead = bench_samples[(n - 1) / 2];
}

/* --- run=exits --- */

struct bench_op {
	const char *name;
	u64 (*time)(void);
	u64 setup;	/* instructions inside the block besides the operation */
	u64 exits;	/* VM exits per iteration Keel's counter sees */
	bool floorable; /* floor=on takes it past Keel's counter */
};

static const struct bench_op bench_exit_ops[] = {
    {"cpuid-0", bench_t_cpuid0, 1, 1, true},
    {"cpuid-1", bench_t_cpuid1, 1, 1, true},
    {"cpuid-40000000", bench_t_cpuid_hv, 1, 1, true},
    {"vmcall-nop", bench_t_vmcall_nop, 1, 1, true},
    {"in-uart-lsr", bench_t_in_lsr, 1, 1, false},
    {"out-unclaimed", bench_t_out_unclaimed, 1, 1, false},
    {"in-pic-imr", bench_t_in_pic, 1, 1, false},
    {"native-stosq-4k", bench_t_stosq_4k, 0, 0, false},
    {"native-stosb-4k", bench_t_stosb_4k, 0, 0, false},
};

static void bench_one_op(const struct bench_op *op, size_t iters)
{
	struct keel_guest_stats a, b;
	struct bench_delta d;

	uart_wait_idle(); /* Keel polls its console while output waits: not inside a sample */
	bench_stats(&a);
	for (size_t i = 0; i < iters; i++)
		bench_samples[i] = op->time();
	bench_stats(&b);
	d = bench_delta(&a, &b);
	bench_report(op->name, iters, op->setup, &d);
	if (bench_env.floor && op->floorable)
		return; /* the floor path does not count its exits */
	bench_expect(op->name, "exits", d.exits, op->exits * iters);
}

static void bench_exits(void)
{
	u64 iters = bench_arg("iters", BENCH_DEFAULT_ITERS);

	if (iters == 0 || iters > BENCH_MAX_SAMPLES) {
		check_fail("exits: iters=%llu: want 1 to %u", (unsigned long long)iters,
			   BENCH_MAX_SAMPLES);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(bench_exit_ops); i++)
		bench_one_op(&bench_exit_ops[i], iters);
}

/* --- run=touch4k, run=touch2m --- */

/*
 * Fresh memory for the touch runs: [base, base + size) above the image,
 * 2 MiB aligned, inside RAM and the identity map, at most BENCH_MAX_SAMPLES
 * pages. Returns base, or 0 after a FAIL line.
 */
static u64 bench_fresh(const char *op, u64 size, u64 step)
{
	u64 base = ALIGN_UP((u64)(uintptr_t)__image_end, BENCH_REGION);

	if (size == 0 || size % step || size / BENCH_PAGE > BENCH_MAX_SAMPLES ||
	    base + size > bench_env.mem || base + size > BENCH_IDENTITY_END) {
		check_fail("%s: size=0x%llx: want a multiple of 0x%llx up to %u pages, and "
			   "[0x%llx, +size) inside mem 0x%llx",
			   op, (unsigned long long)size, (unsigned long long)step,
			   BENCH_MAX_SAMPLES, (unsigned long long)base,
			   (unsigned long long)bench_env.mem);
		return 0;
	}
	return base;
}

/*
 * Times t (one timed load or store) at each of n addresses base + i * step,
 * i in order or, with `scatter` odd, in the order i * scatter mod n (n a
 * power of two: a permutation that jumps around); returns the counters'
 * change, *a and *b Keel's counters before and after.
 */
static struct bench_delta bench_touches(u64 (*t)(u64), u64 base, u64 n, u64 step, u64 scatter,
					struct keel_guest_stats *a, struct keel_guest_stats *b)
{
	uart_wait_idle();
	bench_stats(a);
	for (u64 i = 0; i < n; i++)
		bench_samples[i] = t(base + (scatter ? (i * scatter) & (n - 1) : i) * step);
	bench_stats(b);
	return bench_delta(a, b);
}

static struct bench_delta bench_stores(u64 base, u64 n, u64 step, u64 scatter)
{
	struct keel_guest_stats a, b;

	return bench_touches(bench_t_store, base, n, step, scatter, &a, &b);
}

static void bench_touch4k(void)
{
	u64 size = bench_arg("size", BENCH_DEFAULT_SIZE), n = size / BENCH_PAGE;
	bool random = bootargs_has(bench_env.args, "order", "random");
	bool around = bootargs_has(bench_env.args, "around", "1");
	u64 base = bench_fresh("touch4k", size, BENCH_PAGE);
	struct bench_delta d;

	if (!base)
		return;
	if (random && (n & (n - 1))) {
		check_fail("touch4k: order=random needs a power-of-two page count, not %llu",
			   (unsigned long long)n);
		return;
	}
	bench_idle(bench_arg("warm", 0));
	d = bench_stores(base, n, BENCH_PAGE, random ? BENCH_SCATTER : 0);
	bench_report("touch4k", n, 0, &d);
	if (around) {
		/* Keel faultaround=on: pages mapped ahead fault no more, and up to 16 past the
		 * last one touched may be mapped too */
		if (d.faults <= n && d.leaves_4k >= n && d.leaves_4k <= n + 16)
			check_pass("touch4k: %llu faults, %llu 4 KiB leaves for %llu pages "
				   "(fault-around)",
				   (unsigned long long)d.faults, (unsigned long long)d.leaves_4k,
				   (unsigned long long)n);
		else
			check_fail("touch4k: %llu faults, %llu 4 KiB leaves for %llu pages",
				   (unsigned long long)d.faults, (unsigned long long)d.leaves_4k,
				   (unsigned long long)n);
	} else {
		bench_expect("touch4k", "faults", d.faults, n);
		bench_expect("touch4k", "4 KiB leaves", d.leaves_4k, n);
	}
	d = bench_stores(base, n, BENCH_PAGE, 0);
	bench_report("retouch4k", n, 0, &d);
	bench_expect("retouch4k", "exits", d.exits, 0);
}

static void bench_touch2m(void)
{
	u64 size = bench_arg("size", BENCH_DEFAULT_SIZE), regions = size / BENCH_REGION;
	u64 base = bench_fresh("touch2m", size, BENCH_REGION);
	struct bench_delta d;

	if (!base)
		return;
	bench_idle(bench_arg("warm", 0));
	d = bench_stores(base, regions, BENCH_REGION, 0);
	bench_report("touch2m", regions, 0, &d);
	bench_expect("touch2m", "faults", d.faults, regions);
	bench_expect("touch2m", "2 MiB leaves", d.leaves_2m, regions);
	d = bench_stores(base, regions * BENCH_REGION_PAGES, BENCH_PAGE, 0);
	bench_report("retouch2m", regions * BENCH_REGION_PAGES, 0, &d);
	bench_expect("retouch2m", "exits", d.exits, 0);
}

/*
 * Keel's zeropage=on, ept=4k: the first read of each never-written page
 * (it maps the shared zero frame: zero-read), then the first write to each
 * (copy-on-write of zero: cow4k).
 */
static void bench_zeropage(void)
{
	u64 size = bench_arg("size", BENCH_DEFAULT_SIZE), n = size / BENCH_PAGE;
	u64 base = bench_fresh("zeropage", size, BENCH_PAGE);
	struct keel_guest_stats a, b;
	struct bench_delta d;

	if (!base)
		return;
	d = bench_touches(bench_t_load, base, n, BENCH_PAGE, 0, &a, &b);
	bench_report("zero-read", n, 0, &d);
	bench_expect("zero-read", "faults", d.faults, n);
	bench_expect("zero-read", "zero-page read faults", b.zero_faults - a.zero_faults, n);
	bench_expect("zero-read", "4 KiB leaves", d.leaves_4k, 0);
	d = bench_touches(bench_t_store, base, n, BENCH_PAGE, 0, &a, &b);
	bench_report("cow4k", n, 0, &d);
	bench_expect("cow4k", "faults", d.faults, n);
	bench_expect("cow4k", "copy-on-write faults", b.cow - a.cow, n);
}

/*
 * Keel's reclaim=on, ept=4k: size bytes written in 4 KiB pages, then 3/4 of
 * them set back to zero (a buffer cleared and freed), then an idle wait
 * (idle=, TSC ticks halted) while Keel scans. Keel must have taken back a
 * frame for each page cleared (each now maps the zero frame: writing it
 * again is a copy-on-write fault); the pages kept hold their data.
 */
/* The word run=reclaim keeps at qword w of page i (never zero). */
static u64 bench_reclaim_word(u64 i, u64 w)
{
	return i * 8 + w + 1;
}

static void bench_reclaim(void)
{
	u64 size = bench_arg("size", BENCH_DEFAULT_SIZE), n = size / BENCH_PAGE,
	    cleared = n - n / 4;
	u64 base = bench_fresh("reclaim", size, BENCH_PAGE), bad = 0;
	struct keel_guest_stats a, b, c;

	if (!base)
		return;
	for (u64 i = 0; i < n; i++)
		for (u64 w = 0; w < BENCH_PAGE / 8; w += 64)
			*(volatile u64 *)(uintptr_t)(base + i * BENCH_PAGE + w * 8) =
			    bench_reclaim_word(i, w);
	for (u64 i = 0; i < cleared; i++)
		memset((void *)(uintptr_t)(base + i * BENCH_PAGE), 0, BENCH_PAGE);
	bench_stats(&a);
	bench_idle(bench_arg("idle", 200 * MiB));
	bench_stats(&b);
	if (b.reclaimed - a.reclaimed >= cleared && a.data_frames - b.data_frames >= cleared)
		check_pass("reclaim: %llu frames taken back while idle, %llu pages cleared",
			   (unsigned long long)(b.reclaimed - a.reclaimed),
			   (unsigned long long)cleared);
	else
		check_fail("reclaim: %llu frames taken back while idle (data frames %llu -> %llu), "
			   "want at least the %llu pages cleared",
			   (unsigned long long)(b.reclaimed - a.reclaimed),
			   (unsigned long long)a.data_frames, (unsigned long long)b.data_frames,
			   (unsigned long long)cleared);
	for (u64 i = 0; i < n; i++)
		for (u64 w = 0; w < BENCH_PAGE / 8; w += 64)
			bad += *(volatile u64 *)(uintptr_t)(base + i * BENCH_PAGE + w * 8) !=
			       (i < cleared ? 0 : bench_reclaim_word(i, w));
	bench_expect("reclaim", "words changed", bad, 0);
	bench_stats(&b);
	for (u64 i = 0; i < cleared; i++)
		*(volatile u64 *)(uintptr_t)(base + i * BENCH_PAGE) = 1;
	bench_stats(&c);
	bench_expect("reclaim", "copy-on-write faults writing the cleared pages", c.cow - b.cow,
		     cleared);
}

/*
 * Keel's zeropage=on, ept=2m: a read of the first page of each 2 MiB
 * region (a zero mapping, at 4 KiB), then the first write to each: a
 * promotion, the region's zero mappings replaced by a 2 MiB leaf zeroed
 * for it (promote2m).
 */
static void bench_promote(void)
{
	u64 size = bench_arg("size", BENCH_DEFAULT_SIZE), regions = size / BENCH_REGION;
	u64 base = bench_fresh("promote", size, BENCH_REGION);
	struct keel_guest_stats a, b;
	struct bench_delta d;

	if (!base)
		return;
	for (u64 i = 0; i < regions; i++)
		(void)bench_t_load(base + i * BENCH_REGION);
	d = bench_touches(bench_t_store, base, regions, BENCH_REGION, 0, &a, &b);
	bench_report("promote2m", regions, 0, &d);
	bench_expect("promote2m", "faults", d.faults, regions);
	bench_expect("promote2m", "promotions", b.promotions - a.promotions, regions);
	bench_expect("promote2m", "2 MiB leaves", d.leaves_2m, regions);
}

/* --- run=spin, run=none --- */

/* Bochs' magic breakpoint (magic_break: enabled=1): the profiler's marker. */
static inline void bench_mark(void)
{
	__asm__ volatile("xchg %%bx, %%bx" : : : "memory");
}

static void bench_spin(void)
{
	u64 loops = bench_arg("loops", BENCH_DEFAULT_LOOPS), n = loops;
	bool mark = bootargs_has(bench_env.args, "mark", "1");

	if (mark)
		bench_mark();
	if (n)
		__asm__ volatile("1: dec %0\n\tjnz 1b" : "+r"(n) : : "cc");
	if (mark)
		bench_mark();
	check_pass("spin: %llu loops", (unsigned long long)loops);
}

/* --- run=profile --- */

#define BENCH_PROFILE_WARMUP 4

static const struct bench_op *bench_profile_op(void)
{
	static const struct {
		const char *arg, *op;
	} names[] = {{"cpuid", "cpuid-0"},
		     {"vmcall", "vmcall-nop"},
		     {"io-in", "in-uart-lsr"},
		     {"io-out", "out-unclaimed"},
		     {"io-pic", "in-pic-imr"}};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!bootargs_has(bench_env.args, "op", names[i].arg))
			continue;
		for (size_t j = 0; j < ARRAY_SIZE(bench_exit_ops); j++)
			if (!strcmp(bench_exit_ops[j].name, names[i].op))
				return &bench_exit_ops[j];
	}
	return NULL;
}

/* Warm-up, marker, k timed stores to fresh pages, marker; the BENCH line of
 * the k, and a check of one fault each. */
static void bench_profile_touch(u64 k)
{
	u64 n = k + BENCH_PROFILE_WARMUP, base = bench_fresh("profile", n * BENCH_PAGE, BENCH_PAGE);
	struct keel_guest_stats a, b;
	struct bench_delta d;

	if (!base)
		return;
	for (u64 i = 0; i < BENCH_PROFILE_WARMUP; i++)
		bench_t_store(base + i * BENCH_PAGE);
	uart_wait_idle();
	bench_stats(&a);
	bench_mark();
	for (u64 i = 0; i < k; i++)
		bench_samples[i] = bench_t_store(base + (i + BENCH_PROFILE_WARMUP) * BENCH_PAGE);
	bench_mark();
	bench_stats(&b);
	d = bench_delta(&a, &b);
	bench_report("touch4k", k, 0, &d);
	bench_expect("touch4k", "faults", d.faults, k);
}

static void bench_profile(void)
{
	u64 k = bench_arg("k", 100);
	const struct bench_op *op = bench_profile_op();
	struct keel_guest_stats a, b;
	struct bench_delta d;

	if (k == 0 || k > BENCH_MAX_SAMPLES - BENCH_PROFILE_WARMUP) {
		check_fail("profile: k=%llu: want 1 to %u", (unsigned long long)k,
			   BENCH_MAX_SAMPLES - BENCH_PROFILE_WARMUP);
		return;
	}
	if (bootargs_has(bench_env.args, "op", "touch4k")) {
		bench_profile_touch(k);
		return;
	}
	if (!op) {
		check_fail("profile: no op=cpuid|vmcall|io-in|io-out|io-pic|touch4k in '%s'",
			   bench_env.args);
		return;
	}
	for (size_t i = 0; i < BENCH_PROFILE_WARMUP; i++)
		op->time();
	uart_wait_idle();
	bench_stats(&a);
	bench_mark();
	for (size_t i = 0; i < k; i++)
		bench_samples[i] = op->time();
	bench_mark();
	bench_stats(&b);
	d = bench_delta(&a, &b);
	bench_report(op->name, k, op->setup, &d);
	bench_expect(op->name, "exits", d.exits, op->exits * k);
}

/* Writes every page of the sample array, so no fault lands in a timed loop. */
static void bench_pretouch(void)
{
	for (size_t i = 0; i < BENCH_MAX_SAMPLES; i += BENCH_PAGE / sizeof(u64))
		bench_samples[i] = 0;
	memset(bench_buf, 0, sizeof(bench_buf));
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	bench_env.args = bootargs_keel(info, magic);
	bench_env.mem =
	    magic == KEEL_BOOT_MAGIC ? ((const struct keel_boot_info *)info)->mem_size : 0;
	bench_env.floor = bootargs_has(bench_env.args, "floor", "1");
	if (bootargs_has(bench_env.args, "run", "none")) {
		check_pass("none: entered");
		return;
	}
	if (bootargs_has(bench_env.args, "run", "spin")) {
		bench_spin();
		return;
	}
	bench_pretouch();
	bench_calibrate();
	if (bootargs_has(bench_env.args, "run", "exits"))
		bench_exits();
	else if (bootargs_has(bench_env.args, "run", "touch4k"))
		bench_touch4k();
	else if (bootargs_has(bench_env.args, "run", "touch2m"))
		bench_touch2m();
	else if (bootargs_has(bench_env.args, "run", "zeropage"))
		bench_zeropage();
	else if (bootargs_has(bench_env.args, "run", "reclaim"))
		bench_reclaim();
	else if (bootargs_has(bench_env.args, "run", "promote"))
		bench_promote();
	else if (bootargs_has(bench_env.args, "run", "vcpus"))
		bench_vcpus();
	else if (bootargs_has(bench_env.args, "run", "wake"))
		bench_wake();
	else if (bootargs_has(bench_env.args, "run", "profile"))
		bench_profile();
	else
		check_fail("no "
			   "run=exits|touch4k|touch2m|zeropage|reclaim|promote|vcpus|wake|profile|"
			   "spin|none in "
			   "'%s'",
			   bench_env.args);
}
