/*
 * Guest "bystander": measures its own share of the CPU while other guests
 * run beside it (issue 12, "no guest can stop, starve or out-remember
 * another"), and optionally whether it can still get fresh memory.
 *
 *   -- [window=40M] [gap=5000] [touch=0] [touch_after=0]
 *
 * It reads RDTSC in a tight loop for `window` ticks of elapsed TSC. A
 * delta between two consecutive reads of at most `gap` ticks is its own
 * time (ran); a larger one is time away (another guest ran, or Keel held
 * the CPU). The loop makes no exit of its own: no print, no VMCALL, no
 * port or MMIO access. Then it prints exactly one line
 *
 *   bystander: share P permille over W ticks (ran R, away A, longest away L, away periods N)
 *
 * (W = R + A, P = 1000 * R / W rounded down) and the check line
 * `PASS share measured`. The window starts when the guest first runs, and
 * Keel starts guests in module order: put the bystander first, or a
 * neighbour whose first slice never ends hides the starvation from it.
 *
 * touch=SIZE: SIZE bytes of RAM it never touched, from the first 2 MiB
 * boundary above its image (its stack is in the image), are touched: each
 * 4 KiB page must read zero, gets one write of a page-dependent word, and
 * is read back after all are written: `PASS touched N MiB of fresh RAM`.
 * The touch comes after the window, or once `touch_after` ticks have gone
 * by since the guest started: before the window ends that splits the
 * window in two (the touch's own time is not part of W); after it the
 * guest waits, reading RDTSC, until then. If Keel ends the guest for lack
 * of memory during the touch, it prints nothing more: that is what a
 * scenario with a memory-hungry neighbour watches for.
 *
 * Ends by the debug-exit port with check_report()'s value.
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/bootargs.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/x86.h"

#define BY_PAGE	     4096ULL
#define BY_MIX	     0x9E3779B97F4A7C15ULL
#define BY_SEED	     0xB75A4DE6ULL
#define BY_BAD_SHOWN 4 /* wrong pages printed before going quiet */

extern const u8 __image_end[];

static struct {
	const char *args;
	u64 mem, window, gap, touch, touch_after;
} env;

/* What the measuring loop found, summed over its parts. */
static struct {
	u64 ran, away, longest, periods;
} meas;

static u64 by_arg(const char *key, u64 dflt)
{
	u64 v;

	return bootargs_size(env.args, key, &v) ? v : dflt;
}

static u64 by_word(u64 gpa)
{
	return (gpa >> 12) * BY_MIX ^ BY_SEED;
}

/*
 * Reads RDTSC until `until` (an absolute TSC value) and sorts each delta
 * into meas. Nothing in here exits.
 */
static void by_measure(u64 until)
{
	u64 prev = x86_rdtsc();

	while (prev < until) {
		u64 now = x86_rdtsc(), d = now - prev;

		if (d <= env.gap) {
			meas.ran += d;
		} else {
			meas.away += d;
			meas.periods++;
			if (d > meas.longest)
				meas.longest = d;
		}
		prev = now;
	}
}

static void by_report(void)
{
	u64 w = meas.ran + meas.away;

	print("bystander: share %llu permille over %llu ticks (ran %llu, away %llu, longest away "
	      "%llu, away periods %llu)\n",
	      (unsigned long long)(w ? 1000 * meas.ran / w : 0), (unsigned long long)w,
	      (unsigned long long)meas.ran, (unsigned long long)meas.away,
	      (unsigned long long)meas.longest, (unsigned long long)meas.periods);
	check_pass("share measured");
}

/* Touches env.touch bytes of fresh RAM above the image (see the header). */
static void by_touch(void)
{
	u64 base = ALIGN_UP((u64)(uintptr_t)__image_end, 2 * MiB), end = base + env.touch;
	u64 bad = 0;

	for (u64 a = base; a < end; a += BY_PAGE) {
		volatile u64 *p = (volatile u64 *)(uintptr_t)a;
		u64 got = *p;

		if (got != 0 && bad++ < BY_BAD_SHOWN)
			check_fail("fresh page at gpa 0x%llx reads 0x%llx, want 0",
				   (unsigned long long)a, (unsigned long long)got);
		*p = by_word(a);
	}
	for (u64 a = base; a < end; a += BY_PAGE) {
		u64 got = *(volatile u64 *)(uintptr_t)a;

		if (got != by_word(a) && bad++ < BY_BAD_SHOWN)
			check_fail("page at gpa 0x%llx reads back 0x%llx, want 0x%llx",
				   (unsigned long long)a, (unsigned long long)got,
				   (unsigned long long)by_word(a));
	}
	if (bad == 0)
		check_pass("touched %llu MiB of fresh RAM", (unsigned long long)(env.touch / MiB));
}

static bool by_args_ok(void)
{
	u64 base = ALIGN_UP((u64)(uintptr_t)__image_end, 2 * MiB);

	if (env.window == 0) {
		check_fail("window=0: nothing to measure");
		return false;
	}
	if (env.touch_after && !env.touch) {
		check_fail("touch_after=%llu without touch=SIZE",
			   (unsigned long long)env.touch_after);
		return false;
	}
	if (env.touch && (!IS_ALIGNED(env.touch, BY_PAGE) || base + env.touch > env.mem)) {
		check_fail(
		    "touch=%llu: not whole pages, or does not fit above 0x%llx in mem 0x%llx",
		    (unsigned long long)env.touch, (unsigned long long)base,
		    (unsigned long long)env.mem);
		return false;
	}
	return true;
}

/* Where the touch splits the window: its end unless touch_after falls inside it. */
static u64 by_split(void)
{
	if (env.touch && env.touch_after && env.touch_after < env.window)
		return env.touch_after;
	return env.window;
}

static void by_run(u64 t0)
{
	u64 split = by_split();

	by_measure(t0 + split);
	if (split < env.window) {
		by_touch();
		by_measure(x86_rdtsc() + (env.window - split));
		by_report();
		return;
	}
	by_report();
	if (!env.touch)
		return;
	while (x86_rdtsc() - t0 < env.touch_after)
		continue;
	by_touch();
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	const struct keel_boot_info *bi = (const struct keel_boot_info *)info;
	u64 t0 = x86_rdtsc();

	idt_init();
	env.args = bootargs_keel(info, magic);
	if (!*env.args) {
		check_fail("no Keel boot info");
		return;
	}
	env.mem = bi->mem_size;
	env.window = by_arg("window", 40 * MiB);
	env.gap = by_arg("gap", 5000);
	env.touch = by_arg("touch", 0);
	env.touch_after = by_arg("touch_after", 0);
	if (by_args_ok())
		by_run(t0);
}
