/*
 * The smp guest's EPT tests (smp.h), run on every vCPU once smp.c has
 * started them. Both need Keel's testhc=on (KEEL_HC_TEST_UNMAP).
 *
 *   test=unmap   `rounds` rounds on one page V of fresh RAM: vCPU 1 checks
 *                V reads zero and fills it with the round's pattern; every
 *                AP reads V in a tight loop (no exits); once each has read
 *                the pattern UNMAP_SEEN times, vCPU 0 unmaps V and then
 *                raises the flag. A reader loads the flag, then a word of V
 *                (x86 keeps loads in order, SDM Vol. 3A 10.2.2): a word
 *                loaded after the flag was seen raised was loaded after the
 *                unmap returned, so it must come from a fresh zero page
 *                (its EPT violation maps one); the old pattern there is a
 *                stale translation, the failure this test exists for. Each
 *                reader goes on for UNMAP_AFTER reads after the flag; then
 *                vCPU 0 checks V reads zero too.
 *   test=stress  `rounds` rounds over `stress_size` bytes of fresh RAM:
 *                page p is written by vCPU p % N, and by every vCPU when
 *                (p / N) % 4 == 0 (the vCPUs walk the pages in the same
 *                order, so these are first touched by several at once):
 *                one word each, at its own slot, which must read zero
 *                first; a barrier; every vCPU checks every page's slots
 *                (each writer's word, zero where nobody wrote); a barrier;
 *                vCPU 0 unmaps the whole region (but after the last
 *                round); a barrier.
 */
#include "lib/format.h"
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/vmcall.h"
#include "tests/guests/smp.h"
#include "tests/guests/smp_tramp.h"

#define UNMAP_SEEN  2000  /* pattern reads each reader makes before vCPU 0 unmaps */
#define UNMAP_AFTER 20000 /* reads each reader makes after it saw the flag */
#define PAGE_WORDS  (PAGE_BYTES / 8)
#define SLOT_STRIDE (PAGE_WORDS / SMP_MAX_VCPUS) /* stress: vCPU i's words start at i * this */

/* One vCPU's findings: written by it, read by the BSP after a barrier. */
struct finding {
	u32 round;   /* unmap: the round (1-based) it reads in */
	u32 done;    /* unmap: the last round whose reads it finished */
	u64 seen;    /* unmap: pattern reads this round before the flag */
	u64 before;  /* unmap: reads before the flag, all rounds */
	u64 after;   /* unmap: reads after the flag, all rounds */
	u32 stale;   /* unmap: reads after the flag that returned the old pattern */
	u32 errors;  /* anything else wrong; the first described in err */
	u64 written; /* stress: words written */
	u64 checked; /* stress: words checked */
	char err[128];
} __aligned(64);

static struct finding found[SMP_MAX_VCPUS];
static u32 um_go, um_filled, um_flag; /* unmap: the round (1-based) started, filled, unmapped */
static u32 unmap_fails;		      /* KEEL_HC_TEST_UNMAP calls that did not return 0 */

static void note(u32 me, const char *fmt, ...) __printf(2, 3);

static void note(u32 me, const char *fmt, ...)
{
	va_list ap;

	if (found[me].errors++)
		return;
	va_start(ap, fmt);
	fmt_vsnprintf(found[me].err, sizeof(found[me].err), fmt, ap);
	va_end(ap);
}

static bool unmap(u64 gpa, u64 len)
{
	long r = vmcall3(KEEL_HC_TEST_UNMAP, gpa, len, 0);

	if (r)
		__atomic_add_fetch(&unmap_fails, 1, __ATOMIC_RELAXED);
	return r == 0;
}

/* ---- test=unmap ---- */

static volatile u64 *victim(void)
{
	return (volatile u64 *)(uintptr_t)area_base;
}

static u64 fill_word(u32 t, u32 w)
{
	return 0x5EEDULL << 48 | (u64)t << 16 | w;
}

/* True if all of V reads zero; else notes the first word that does not. */
static bool victim_zero(u32 me, u32 t, const char *when)
{
	for (u32 w = 0; w < PAGE_WORDS; w++) {
		u64 got = victim()[w];

		if (got) {
			note(me, "round %u, %s: word %u of the page reads 0x%llx, want 0", t, when,
			     w, (unsigned long long)got);
			return false;
		}
	}
	return true;
}

/* One reader's loop in round t: until UNMAP_AFTER reads after the flag. */
static bool unmap_read(u32 me, u32 t)
{
	struct finding *f = &found[me];
	u64 t0 = x86_rdtsc(), seen = 0, after = 0;
	u32 w = 0;

	STORE(f->seen, 0);
	STORE(f->round, t);
	while (after < UNMAP_AFTER) {
		u32 flag = LOAD(um_flag); /* then the word: loads stay in order */
		u64 got = victim()[w], want = fill_word(t, w);

		if (flag == t) {
			after++;
			if (got == want && !f->stale++)
				note(me, "round %u: word %u read the old 0x%llx after the flag", t,
				     w, (unsigned long long)got);
			else if (got != want && got)
				note(me, "round %u: word %u read 0x%llx after the flag, want 0", t,
				     w, (unsigned long long)got);
		} else if (got == want) {
			STORE(f->seen, ++seen);
		} else if (got) {
			note(me, "round %u: word %u read 0x%llx before the flag, want 0x%llx or 0",
			     t, w, (unsigned long long)got, (unsigned long long)want);
		}
		w = (w + 1) % PAGE_WORDS;
		if (x86_rdtsc() - t0 > WAIT_LONG || LOAD(smp_abort)) {
			note(me, "round %u: %llu reads after the flag within %llu ticks, want %u",
			     t, (unsigned long long)after, WAIT_LONG, UNMAP_AFTER);
			return false;
		}
	}
	f->before += seen;
	f->after += after;
	STORE(f->done, t);
	return true;
}

/* vCPU 0's part of round t: wait for the readers, unmap, flag, wait, check. */
static bool unmap_round(u32 t)
{
	u64 t0 = x86_rdtsc();

	STORE(um_go, t);
	for (u32 i = 1; i < vcpu_count; i++) {
		while (LOAD(found[i].round) != t || LOAD(found[i].seen) < UNMAP_SEEN) {
			if (LOAD(smp_abort) || x86_rdtsc() - t0 > WAIT_LONG) {
				note(0, "round %u: vCPU %u did not read the pattern %u times", t, i,
				     UNMAP_SEEN);
				return false;
			}
			cpu_pause();
		}
	}
	if (!unmap(area_base, PAGE_BYTES))
		note(0, "round %u: KEEL_HC_TEST_UNMAP of the page did not return 0", t);
	STORE(um_flag, t);
	for (u32 i = 1; i < vcpu_count; i++) {
		if (!wait_for(&found[i].done, t)) {
			note(0, "round %u: vCPU %u did not finish its reads", t, i);
			return false;
		}
	}
	return victim_zero(0, t, "on vCPU 0 after the readers");
}

bool unmap_run(u32 me)
{
	for (u32 t = 1; t <= rounds; t++) {
		if (me == 0) {
			if (!unmap_round(t))
				return false;
			continue;
		}
		if (!wait_for(&um_go, t))
			return false;
		if (me == 1) {
			(void)victim_zero(me, t, "before the fill");
			for (u32 w = 0; w < PAGE_WORDS; w++)
				victim()[w] = fill_word(t, w);
			STORE(um_filled, t);
		} else if (!wait_for(&um_filled, t)) {
			return false;
		}
		if (!unmap_read(me, t))
			return false;
	}
	return true;
}

void unmap_report(void)
{
	bool ok = !unmap_fails;

	for (u32 i = 0; i < vcpu_count; i++) {
		const struct finding *f = &found[i];

		if (i)
			print("unmap: vCPU %u read the page %llu times before the flags, %llu "
			      "after, %u stale\n",
			      i, (unsigned long long)f->before, (unsigned long long)f->after,
			      f->stale);
		if (f->errors) {
			check_fail("unmap while vCPUs 1..%u read: vCPU %u: %u wrong, the first: %s",
				   vcpu_count - 1, i, f->errors, f->err);
			ok = false;
		}
	}
	if (ok)
		check_pass(
		    "unmap while vCPUs 1..%u read, over %u rounds: every read after the flag "
		    "zero, none stale; the page zero before each fill and on vCPU 0",
		    vcpu_count - 1, rounds);
}

/* ---- test=stress ---- */

static bool stress_writes(u32 who, u64 p)
{
	return p % vcpu_count == who || (p / vcpu_count) % 4 == 0;
}

static volatile u64 *stress_word(u32 who, u64 p)
{
	return (volatile u64 *)(uintptr_t)(area_base + p * PAGE_BYTES) + who * SLOT_STRIDE +
	       p % SLOT_STRIDE;
}

static u64 stress_pattern(u32 who, u32 r, u64 p)
{
	return 0xE0ULL << 56 | (u64)who << 48 | (u64)r << 32 | p;
}

/* Writes this vCPU's word of each of its pages, each read as zero first. */
static void stress_write(u32 me, u32 r, u64 pages)
{
	for (u64 p = 0; p < pages; p++) {
		volatile u64 *w = stress_word(me, p);
		u64 got;

		if (!stress_writes(me, p))
			continue;
		got = *w;
		if (got)
			note(me, "round %u: page %llu slot %u read 0x%llx before the write, want 0",
			     r, (unsigned long long)p, me, (unsigned long long)got);
		*w = stress_pattern(me, r, p);
		found[me].written++;
	}
}

/* Checks every vCPU's slot of every page: its word, or zero if it writes none there. */
static void stress_check(u32 me, u32 r, u64 pages)
{
	for (u64 p = 0; p < pages; p++) {
		for (u32 who = 0; who < vcpu_count; who++) {
			u64 want = stress_writes(who, p) ? stress_pattern(who, r, p) : 0;
			u64 got = *stress_word(who, p);

			if (got != want)
				note(me, "round %u: page %llu slot %u reads 0x%llx, want 0x%llx", r,
				     (unsigned long long)p, who, (unsigned long long)got,
				     (unsigned long long)want);
		}
		found[me].checked += vcpu_count;
	}
}

bool stress_run(u32 me)
{
	u64 pages = stress_size / PAGE_BYTES;

	for (u32 r = 0; r < rounds; r++) {
		stress_write(me, r, pages);
		if (!barrier())
			return false;
		stress_check(me, r, pages);
		if (!barrier())
			return false;
		if (me == 0 && r + 1 < rounds)
			(void)unmap(area_base, stress_size);
		if (!barrier())
			return false;
	}
	return true;
}

void stress_report(void)
{
	u64 pages = stress_size / PAGE_BYTES, written = 0, checked = 0;
	bool ok = true;

	for (u32 i = 0; i < vcpu_count; i++) {
		written += found[i].written;
		checked += found[i].checked;
		if (found[i].errors) {
			check_fail("stress: vCPU %u: %u wrong words, the first: %s", i,
				   found[i].errors, found[i].err);
			ok = false;
		}
	}
	print("stress: %u vCPUs, %llu pages, %u rounds: words written %llu, checked %llu\n",
	      vcpu_count, (unsigned long long)pages, rounds, (unsigned long long)written,
	      (unsigned long long)checked);
	if (unmap_fails) {
		check_fail("stress: KEEL_HC_TEST_UNMAP of the region failed %u times", unmap_fails);
		ok = false;
	}
	if (ok)
		check_pass("stress: %u vCPUs over %llu MiB, %u rounds: every word zero before its "
			   "write, every write seen by every vCPU, the region unmapped between "
			   "rounds",
			   vcpu_count, (unsigned long long)(stress_size >> 20), rounds);
}
