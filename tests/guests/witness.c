/*
 * Guest "witness": the well-behaved guest of the hostile suite (issue 8,
 * tests/emu/test_hostile.py). It runs next to the attack_* guests and keeps
 * checking that nothing they do reaches it:
 *
 *   -- [pages=256] [zeros=0] [alone=16M] [min_switches=4] [max=4G]
 *
 * It fills `pages` 4 KiB pages of its RAM (from the first 2 MiB boundary
 * above its image) with a pattern derived from each word's address, takes a
 * checksum of its own code and read-only data, and reads KEEL_HC_STATS.
 * With zeros=N it also reads N pages it never writes, in the next 2 MiB
 * region (with Keel's zeropage=on they map the zero frame every guest
 * shares), and checks on every round that they still read zero.
 * Then it verifies one page after another, round and round, polling
 * KEEL_HC_STATS between pages. Keel's `switches` counter rises each time the
 * scheduler runs another guest; once it has risen at least `min_switches`
 * times and has not risen for `alone` TSC ticks, every other guest has
 * ended, and the witness verifies everything once more and leaves.
 *
 * Fails on: a word that changed, a changed code checksum, an EPT violation
 * or a change of data frames after the set-up (Keel took a page of its RAM
 * away), a KEEL_HC_STATS error, or `max` ticks without being left alone.
 * It ends by KEEL_HC_EXIT with status 0 on pass (the failure count else),
 * so Keel's summary reads `ended by hypercall status=0`.
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/bootargs.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/vmcall.h"
#include "tests/guests/lib/x86.h"

#define WIT_PAGE      4096ULL
#define WIT_WORDS     (WIT_PAGE / sizeof(u64))
#define WIT_MIX	      0x9E3779B97F4A7C15ULL
#define WIT_SEED      0x5717E55ULL
#define WIT_BAD_SHOWN 4 /* mismatching words printed before going quiet */

extern const u8 __image_start[], __image_end[], __trap_table_end[];

static struct {
	const char *args;
	u64 mem, base, pages, alone, min_switches, max;
	u64 zeros, zero_base; /* pages only read, from zero_base */
} env;

/* KEEL_HC_STATS writes here (.bss, populated by the loader). */
static struct keel_guest_stats wit_buf;
static u64 wit_bad;

static u64 wit_arg(const char *key, u64 dflt)
{
	u64 v;

	return bootargs_size(env.args, key, &v) ? v : dflt;
}

static u64 wit_word(u64 gpa)
{
	return (gpa >> 3) * WIT_MIX ^ WIT_SEED;
}

/* Keel's counters now; a failed call is a FAIL. */
static struct keel_guest_stats wit_stats(void)
{
	long r = vmcall3(KEEL_HC_STATS, (uintptr_t)&wit_buf, sizeof(wit_buf), 0);

	if (r != (long)sizeof(wit_buf))
		check_fail("KEEL_HC_STATS returned %lld", (long long)r);
	return wit_buf;
}

/* A checksum of the code and read-only data (everything up to the trap table's end). */
static u64 wit_checksum(void)
{
	uintptr_t a = (uintptr_t)__image_start, end = (uintptr_t)__trap_table_end;
	u64 sum = 0;

	for (; a + 8 <= end; a += 8)
		sum = (sum ^ *(const volatile u64 *)a) * WIT_MIX + 1;
	return sum;
}

static void wit_fill(void)
{
	for (u64 a = env.base; a < env.base + env.pages * WIT_PAGE; a += 8)
		*(volatile u64 *)(uintptr_t)a = wit_word(a);
}

/*
 * Verifies page i (of the filled pages, then of the zero pages); a changed
 * word is a FAIL (the first few are printed).
 */
static void wit_verify_page(u64 i)
{
	bool zero = i >= env.pages;
	u64 page = zero ? env.zero_base + (i - env.pages) * WIT_PAGE : env.base + i * WIT_PAGE;

	for (u64 w = 0; w < WIT_WORDS; w++) {
		u64 a = page + w * 8, got = *(volatile u64 *)(uintptr_t)a;
		u64 want = zero ? 0 : wit_word(a);

		if (got == want)
			continue;
		if (wit_bad++ < WIT_BAD_SHOWN)
			check_fail("word at gpa 0x%llx changed: 0x%llx, want 0x%llx",
				   (unsigned long long)a, (unsigned long long)got,
				   (unsigned long long)want);
	}
}

/*
 * Verifies pages round-robin until the others are gone (see the header);
 * returns the number of switches seen. *passes counts whole passes.
 */
static u64 wit_watch(const struct keel_guest_stats *s0, u64 *passes)
{
	u64 sw = s0->switches, t0 = x86_rdtsc(), last = t0, all = env.pages + env.zeros;

	for (u64 i = 0;; i++) {
		struct keel_guest_stats s;
		u64 now;

		wit_verify_page(i % all);
		if (i % all == all - 1)
			++*passes;
		s = wit_stats();
		now = x86_rdtsc();
		if (s.switches != sw) {
			sw = s.switches;
			last = now;
		} else if (now - last > env.alone && sw - s0->switches >= env.min_switches) {
			return sw - s0->switches;
		}
		if (now - t0 > env.max) {
			check_fail("not left alone within %llu ticks (%llu switches)",
				   (unsigned long long)env.max,
				   (unsigned long long)(sw - s0->switches));
			return sw - s0->switches;
		}
	}
}

static void wit_run(void)
{
	struct keel_guest_stats s0, s1;
	u64 sum0, passes = 0, switches;

	print("witness: %llu pages at gpa 0x%llx, alone after %llu ticks\n",
	      (unsigned long long)env.pages, (unsigned long long)env.base,
	      (unsigned long long)env.alone);
	wit_fill();
	for (u64 i = env.pages; i < env.pages + env.zeros; i++)
		wit_verify_page(i); /* the first reads: they fault before s0 */
	sum0 = wit_checksum();
	s0 = wit_stats();
	switches = wit_watch(&s0, &passes);
	for (u64 i = 0; i < env.pages + env.zeros; i++)
		wit_verify_page(i);
	s1 = wit_stats();
	print("witness: %llu passes, %llu switches, %llu exits\n", (unsigned long long)passes,
	      (unsigned long long)switches, (unsigned long long)(s1.exits - s0.exits));
	check_true(switches >= env.min_switches, "the other guests ran while the witness watched");
	check_eq("words changed under the witness", wit_bad, 0);
	check_eq("code and read-only data checksum unchanged", wit_checksum(), sum0);
	check_eq("no EPT violation after the set-up (no page taken away)", s1.ept_violations,
		 s0.ept_violations);
	check_eq("data frames held unchanged", s1.data_frames, s0.data_frames);
	if (env.zeros) {
		print("witness: %llu pages read, never written: %llu map the shared zero frame\n",
		      (unsigned long long)env.zeros, (unsigned long long)s1.zero_maps);
		check_true(s1.zero_maps >= env.zeros,
			   "the pages never written map the shared zero frame");
	}
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	const struct keel_boot_info *bi = (const struct keel_boot_info *)info;
	u32 v;

	idt_init();
	env.args = bootargs_keel(info, magic);
	if (!*env.args) {
		check_fail("no Keel boot info");
		return;
	}
	env.mem = bi->mem_size;
	env.base = ALIGN_UP((u64)(uintptr_t)__image_end, 2 * MiB);
	env.pages = wit_arg("pages", 256);
	env.alone = wit_arg("alone", 16 * MiB);
	env.min_switches = wit_arg("min_switches", 4);
	env.max = wit_arg("max", 4 * GiB);
	env.zeros = wit_arg("zeros", 0);
	env.zero_base = ALIGN_UP(env.base + env.pages * WIT_PAGE, 2 * MiB);
	if (env.pages == 0 || env.base + env.pages * WIT_PAGE > env.mem ||
	    env.zero_base + env.zeros * WIT_PAGE > env.mem) {
		check_fail("pages=%llu zeros=%llu do not fit above 0x%llx in mem 0x%llx",
			   (unsigned long long)env.pages, (unsigned long long)env.zeros,
			   (unsigned long long)env.base, (unsigned long long)env.mem);
		return;
	}
	wit_run();
	v = check_report();
	vmcall3(KEEL_HC_EXIT, v, 0, 0);
}
