/*
 * Guest "isolate": its own data stays its own while Keel switches between
 * guests (issue 5: VPID-tagged TLBs, many guests sharing a CPU).
 *
 * Every copy of this guest maps the same guest-virtual page, PAGING_WINDOW,
 * through its own page tables (lib/paging.h) to a guest-physical page of
 * its choice, and fills it with a pattern derived from its tag. Copies with
 * different tags run side by side; a TLB entry of one guest used by another
 * (a VPID or EPTP tag missing or mixed up, a flush left out on a switch)
 * shows as a foreign pattern at the same GVA.
 *
 *   -- gpa=ADDR tag=N [rounds=50] [unmap=1] [max_iters=N]
 *
 * The guest reads and verifies the page through the GVA over and over and
 * polls KEEL_HC_STATS. Each time `switches` has grown (Keel ran someone
 * else and came back) it verifies once more, counts a round, optionally
 * gives the page back with KEEL_HC_TEST_UNMAP (Keel's testhc=on; the page
 * must then read as a fresh zero page through the same GVA) and writes the
 * next round's pattern through the GVA, which must land at the GPA. It
 * passes after `rounds` rounds without a mismatch and with one VPID all
 * along; it fails if no switch comes within max_iters polls. It prints
 * `vpid N` (KEEL_HC_STATS) for the emulator test to compare across guests.
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/bootargs.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/paging.h"
#include "tests/guests/lib/vmcall.h"

#define ISO_WORDS	    (PAGING_PAGE / sizeof(u64))
#define ISO_ROUNDS	    50
#define ISO_ITERS_PER_ROUND 1000 /* polls per round, ~7K ticks each: own slices to ~7M */
#define ISO_ITERS_BASE	    5000
#define ISO_STATS_SIZE	    sizeof(struct keel_guest_stats)
#define ISO_MIX_TAG	    0x9E3779B97F4A7C15ULL /* odd constants: every word differs */
#define ISO_MIX_INDEX	    0xBF58476D1CE4E5B9ULL
#define ISO_MISMATCH_NONE   (~0ULL)

extern const u8 __image_end[];

struct iso_env {
	u64 gpa, tag, rounds, iters_max;
	bool unmap;
	u64 mem;
};

/* KEEL_HC_STATS writes here (.bss: identity mapped, so its GVA is its GPA). */
static struct keel_guest_stats iso_stats;

/* The pattern word at index i for a tag in a given round. */
static u64 iso_word(u64 tag, u64 round, u64 i)
{
	return (tag + round) * ISO_MIX_TAG ^ (i + 1) * ISO_MIX_INDEX ^ (tag << 40);
}

static void iso_fill(volatile u64 *p, u64 tag, u64 round)
{
	for (u64 i = 0; i < ISO_WORDS; i++)
		p[i] = iso_word(tag, round, i);
}

/* The first index where p differs from the round's pattern, or ISO_MISMATCH_NONE. */
static u64 iso_mismatch(const volatile u64 *p, u64 tag, u64 round)
{
	for (u64 i = 0; i < ISO_WORDS; i++)
		if (p[i] != iso_word(tag, round, i))
			return i;
	return ISO_MISMATCH_NONE;
}

/* Verifies the page at p (named where) holds round's pattern; FAIL names the first bad word. */
static bool iso_verify(const volatile u64 *p, const char *where, u64 tag, u64 round)
{
	u64 i = iso_mismatch(p, tag, round);

	if (i == ISO_MISMATCH_NONE)
		return true;
	check_fail("round %llu: %s + 0x%llx: got 0x%llx, want 0x%llx (tag 0x%llx)",
		   (unsigned long long)round, where, (unsigned long long)(i * sizeof(u64)),
		   (unsigned long long)p[i], (unsigned long long)iso_word(tag, round, i),
		   (unsigned long long)tag);
	return false;
}

/* Fetches the stats; false (with a FAIL) unless Keel copied the whole structure. */
static bool iso_poll(void)
{
	long n = vmcall3(KEEL_HC_STATS, (uintptr_t)&iso_stats, ISO_STATS_SIZE, 0);

	if (n == (long)ISO_STATS_SIZE)
		return true;
	check_fail("KEEL_HC_STATS: returned %lld, want %llu (the whole struct, switches and vpid "
		   "included)",
		   (long long)n, (unsigned long long)ISO_STATS_SIZE);
	return false;
}

static bool iso_args(uintptr_t info, uintptr_t magic, struct iso_env *env)
{
	const char *args = bootargs_keel(info, magic);

	if (!bootargs_size(args, "gpa", &env->gpa) || !bootargs_size(args, "tag", &env->tag)) {
		check_fail("arguments: want gpa=ADDR tag=N, got \"%s\"", args);
		return false;
	}
	if (!bootargs_size(args, "rounds", &env->rounds))
		env->rounds = ISO_ROUNDS;
	if (!bootargs_size(args, "max_iters", &env->iters_max))
		env->iters_max = ISO_ITERS_BASE + env->rounds * ISO_ITERS_PER_ROUND;
	env->unmap = bootargs_has(args, "unmap", "1");
	env->mem = ((const struct keel_boot_info *)info)->mem_size;
	if (env->gpa % PAGING_PAGE || env->gpa < (uintptr_t)__image_end ||
	    env->gpa + PAGING_PAGE > env->mem || env->gpa + PAGING_PAGE > PAGING_IDENTITY_END ||
	    env->rounds == 0) {
		check_fail("arguments: gpa=0x%llx must be page aligned, above the image (0x%llx), "
			   "inside RAM (0x%llx) and the first GiB; rounds=%llu at least 1",
			   (unsigned long long)env->gpa, (unsigned long long)(uintptr_t)__image_end,
			   (unsigned long long)env->mem, (unsigned long long)env->rounds);
		return false;
	}
	return true;
}

/*
 * One round's turnover: gives the page back to Keel when asked (it must come
 * back as a zero page at the same GVA), then writes the next pattern through
 * the GVA and checks it landed at the GPA. Returns false after a FAIL.
 */
static bool iso_turnover(const struct iso_env *env, volatile u64 *gva, u64 round)
{
	const volatile u64 *gpa = (const volatile u64 *)(uintptr_t)env->gpa;

	if (env->unmap) {
		long r = vmcall3(KEEL_HC_TEST_UNMAP, env->gpa, PAGING_PAGE, 0);

		if (r != 0) {
			check_fail("round %llu: KEEL_HC_TEST_UNMAP gpa 0x%llx: returned %lld "
				   "(unmap=1 needs Keel's testhc=on)",
				   (unsigned long long)round, (unsigned long long)env->gpa,
				   (long long)r);
			return false;
		}
		for (u64 i = 0; i < ISO_WORDS; i++) {
			if (gva[i] != 0) {
				check_fail("round %llu: after unmap, GVA + 0x%llx: got 0x%llx, "
					   "want 0 (a fresh page)",
					   (unsigned long long)round,
					   (unsigned long long)(i * sizeof(u64)),
					   (unsigned long long)gva[i]);
				return false;
			}
		}
	}
	iso_fill(gva, env->tag, round);
	return iso_verify(gpa, "GPA", env->tag, round);
}

/* Polls until `rounds` switches were seen; false after a FAIL. */
static bool iso_rounds(const struct iso_env *env, u64 vpid)
{
	volatile u64 *gva = (volatile u64 *)PAGING_WINDOW;
	u64 round = 0, last = iso_stats.switches, iters;

	for (iters = 0; iters < env->iters_max && round < env->rounds; iters++) {
		if (!iso_verify(gva, "GVA", env->tag, round) || !iso_poll())
			return false;
		if (iso_stats.switches == last)
			continue;
		if (iso_stats.switches < last) {
			check_fail("switches went back from %llu to %llu", (unsigned long long)last,
				   (unsigned long long)iso_stats.switches);
			return false;
		}
		if (iso_stats.vpid != vpid) {
			check_fail("round %llu: vpid changed from %llu to %llu",
				   (unsigned long long)round, (unsigned long long)vpid,
				   (unsigned long long)iso_stats.vpid);
			return false;
		}
		last = iso_stats.switches;
		/* Back from a switch: the pattern must be ours, then the next one. */
		if (!iso_verify(gva, "GVA after a switch", env->tag, round))
			return false;
		round++;
		if (!iso_turnover(env, gva, round))
			return false;
	}
	if (round < env->rounds) {
		check_fail("rounds: %llu of %llu after %llu polls (switches %llu): Keel did not "
			   "switch away often enough",
			   (unsigned long long)round, (unsigned long long)env->rounds,
			   (unsigned long long)iters, (unsigned long long)last);
		return false;
	}
	check_pass("%llu rounds, switches %llu, polls %llu: pattern 0x%llx intact at GVA 0x%llx",
		   (unsigned long long)round, (unsigned long long)last, (unsigned long long)iters,
		   (unsigned long long)env->tag, (unsigned long long)PAGING_WINDOW);
	return true;
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	struct iso_env env;
	u64 vpid;

	idt_init();
	print("isolate: a private page at GVA 0x%llx across switches\n",
	      (unsigned long long)PAGING_WINDOW);
	if (!iso_args(info, magic, &env) || !iso_poll())
		return;
	vpid = iso_stats.vpid;
	print("vpid %llu\n", (unsigned long long)vpid);
	iso_fill((volatile u64 *)(uintptr_t)env.gpa, env.tag, 0);
	paging_build();
	*paging_window_pte(0) = paging_leaf(env.gpa, 0);
	paging_load();
	if (!iso_verify((const volatile u64 *)PAGING_WINDOW, "GVA", env.tag, 0))
		return;
	check_pass("gpa 0x%llx mapped at GVA 0x%llx with tag 0x%llx", (unsigned long long)env.gpa,
		   (unsigned long long)PAGING_WINDOW, (unsigned long long)env.tag);
	iso_rounds(&env, vpid);
}
