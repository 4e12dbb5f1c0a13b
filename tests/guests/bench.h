/*
 * What the bench guest's two files share (bench.c: set-up, the timing
 * frame, Keel's counters and the BENCH lines; bench_vcpus.c: run=vcpus,
 * the figures of a guest with two vCPUs). docs/benchmarks.md has the
 * method.
 */
#ifndef KEEL_GUESTS_BENCH_H
#define KEEL_GUESTS_BENCH_H

#include "lib/types.h"
#include "vm/guest_abi.h"

#define BENCH_MAX_SAMPLES 32768 /* 128 MiB of 4 KiB pages */
#define BENCH_PAGE	  (4 * KiB)
#define BENCH_REGION	  (2 * MiB)

/*
 * The timing frame. T0 leaves the start TSC in R8; T1 leaves the
 * difference in RAX. Both clobber RDX and R8; the operation between them
 * must keep R8.
 */
#define BENCH_T0 "lfence\n\trdtsc\n\tshl $32, %%rdx\n\tor %%rdx, %%rax\n\tmov %%rax, %%r8\n\t"
#define BENCH_T1 "\n\tlfence\n\trdtsc\n\tshl $32, %%rdx\n\tor %%rdx, %%rax\n\tsub %%r8, %%rax"

/* Written by vCPU 0 before any timing, read-only afterwards. */
struct bench_env {
	const char *args;
	u64 mem;	 /* boot info mem_size */
	u64 overhead;	 /* ticks of an empty timed block */
	u64 stats_exits; /* exits counted across two back-to-back KEEL_HC_STATS */
	bool floor;	 /* Keel runs with floor=on */
};
extern struct bench_env bench_env;

/* The samples: vCPU 0's from index 0, another vCPU's from the half. */
extern u64 bench_samples[BENCH_MAX_SAMPLES];

/* What happened between two readings of Keel's counters (the guest's, all
 * vCPUs together): exits (less the readings' own) and faults. */
struct bench_delta {
	u64 exits;
	u64 faults;
	u64 leaves_4k;
	u64 leaves_2m;
};

/* KEEL_HC_STATS into *s (vCPU 0 only: one buffer); a failure is a FAIL line. */
void bench_stats(struct keel_guest_stats *s);
struct bench_delta bench_delta(const struct keel_guest_stats *a, const struct keel_guest_stats *b);

/* Summarises v[0..n) less the empty block and `setup` ticks (bias: less
 * exactly that) and prints the BENCH line. */
void bench_report(const char *op, size_t n, u64 setup, const struct bench_delta *d);
void bench_report_biased(const char *op, u64 *v, size_t n, u64 bias, const struct bench_delta *d);
/* PASS/FAIL: the counter moved by exactly `want` over the loop of op. */
void bench_expect(const char *op, const char *what, u64 got, u64 want);
/* Argument `key` of the guest's command line (a size: 10M, 4K, ...), or dflt. */
u64 bench_arg(const char *key, u64 dflt);
/* One timed 8-byte store to gpa; no setup. */
u64 bench_t_store(u64 gpa);

/* run=vcpus (bench_vcpus.c). */
void bench_vcpus(void);
/* Idle time (bench_idle.c): halt for `ticks` (warm=), and run=wake. */
void bench_idle(u64 ticks);
void bench_wake(void);

#endif
