/*
 * What the storm guests share (storm.c, ELF64; storm32.c, 32-bit Multiboot
 * v1): their arguments, the round counter with its progress lines, the
 * loop that drives a kind, and REP OUTSB to the unclaimed port.
 *
 *   -- kind=K [rounds=0] [report=N] [stall=256M]
 *
 * A kind names its rounds' work: a step the loop calls again and again
 * (one round, or for interrupt-driven kinds a poll or a trigger), and the
 * storm_count() that ends each round, in the step or in an interrupt
 * handler. storm_count() prints `storm: KIND N rounds` every `report`
 * rounds (0: never); the loop ends after `rounds` rounds (0: never, Keel's
 * `timeout=` ends the guest) with `PASS KIND: N rounds`, or with a FAIL
 * when `stall` ticks of TSC pass without a round.
 */
#ifndef KEEL_GUESTS_STORM_H
#define KEEL_GUESTS_STORM_H

#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/bootargs.h"
#include "tests/guests/lib/x86.h"

#define STORM_PORT  0x2F0 /* unclaimed in Keel's platform: reads all ones, writes dropped */
#define STORM_STALL (256 * MiB)

struct storm_kind {
	const char *name;
	u64 report;		    /* default rounds between progress lines */
	bool (*start)(void);	    /* set-up; false after a FAIL line */
	void (*step)(void);	    /* called until the rounds are done */
	void (*progress)(u64 done); /* the progress line; NULL: the plain one */
	void (*stop)(void);	    /* after the last round: quieten down, final checks */
};

static struct {
	const struct storm_kind *kind;
	u64 rounds, report, stall;
	volatile u64 done;
} storm;

/*
 * Ends a round: counts it and prints the progress line when one is due.
 * Returns true while more rounds are wanted (an interrupt handler re-arms
 * its source only then).
 */
static inline bool storm_count(void)
{
	u64 n = storm.done + 1;

	storm.done = n;
	if (storm.report && n % storm.report == 0) {
		if (storm.kind->progress)
			storm.kind->progress(n);
		else
			print("storm: %s %llu rounds\n", storm.kind->name, (unsigned long long)n);
	}
	return !storm.rounds || n < storm.rounds;
}

static inline bool storm_finished(void)
{
	return storm.rounds && storm.done >= storm.rounds;
}

/* An invariant of the storm broke: FAIL and end the guest at once. */
#define storm_die(...)                                                                             \
	do {                                                                                       \
		check_fail(__VA_ARGS__);                                                           \
		check_finish();                                                                    \
	} while (0)

/* REP OUTSB of n bytes from buf to STORM_PORT, DF=0; RCX and RSI must end right. */
static inline void storm_outsb(const u8 *buf, uintptr_t n)
{
	const u8 *p = buf;
	uintptr_t left = n;

	__asm__ volatile("cld; rep outsb" : "+S"(p), "+c"(left) : "d"((u16)STORM_PORT) : "memory");
	if (left != 0 || p != buf + n)
		storm_die("rep outsb of %u bytes: %u left, source moved by %u", (unsigned)n,
			  (unsigned)left, (unsigned)(p - buf));
}

/* The kind named by kind=, or NULL after a FAIL line. */
static inline const struct storm_kind *storm_find(const char *args, const struct storm_kind *kinds,
						  size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (bootargs_has(args, "kind", kinds[i].name))
			return &kinds[i];
	check_fail("kind=: missing or not one this guest knows (args \"%s\")", args);
	return NULL;
}

/* Calls the step until the rounds are done, or FAILs when no round comes for storm.stall ticks. */
static inline void storm_loop(void)
{
	u64 since = 0;

	while (!storm_finished()) {
		u64 before = storm.done, now;

		storm.kind->step();
		if (storm.done != before) {
			since = 0;
			continue;
		}
		now = x86_rdtsc();
		if (!since) {
			since = now;
		} else if (now - since > storm.stall) {
			check_fail("%s: no round for %llu ticks after %llu rounds",
				   storm.kind->name, (unsigned long long)storm.stall,
				   (unsigned long long)storm.done);
			return;
		}
	}
	if (storm.kind->stop)
		storm.kind->stop();
	check_pass("%s: %llu rounds", storm.kind->name, (unsigned long long)storm.done);
}

/* The whole guest: parses args, picks the kind, runs it. */
static inline void storm_run(const char *args, const struct storm_kind *kinds, size_t n)
{
	storm.kind = storm_find(args, kinds, n);
	if (!storm.kind)
		return;
	storm.report = storm.kind->report;
	storm.stall = STORM_STALL;
	bootargs_size(args, "rounds", &storm.rounds);
	bootargs_size(args, "report", &storm.report);
	bootargs_size(args, "stall", &storm.stall);
	print("storm: %s started\n", storm.kind->name);
	if (storm.kind->start && !storm.kind->start())
		return;
	storm_loop();
}

#endif
