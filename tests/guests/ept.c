/*
 * Guest "ept": Keel's per-guest EPT populated on demand (issue 4), as a
 * guest sees it. One image; its arguments pick the test:
 *
 *   test=count [pages=512]     first touch of N pages: N faults, N 4 KiB leaves
 *   test=regions2m [regions=8] ept=2m: every page of N 2 MiB regions, one fault
 *                              each; a partial region at the top of RAM (mem not
 *                              2 MiB aligned) takes 4 KiB leaves
 *   test=zero [pages=|size=]   fresh memory reads as zero
 *   test=pattern [size=64M]    write a pattern, read it back
 *   test=unmap, test=protect   KEEL_HC_TEST_UNMAP / _PROTECT (Keel's testhc=on)
 *   test=rmap                  KEEL_HC_TEST_UNMAP_FRAME: frames taken back by the reverse map
 *   test=zeropage              Keel's zeropage=on: reads and fetches of never-written pages
 *                              share the zero frame; writes copy (4k) or promote (2m)
 *   test=readmost [write=1M]   reads all of RAM, writes little (the overcommit demo)
 *   test=workingset [sampled=0]  Keel's workingset=on: the sampled working set follows
 *                              the pages read
 *   test=dirtylog [mode=1|2]   KEEL_HC_TEST_DIRTY_LOG names exactly the pages written
 *   test=badargs               bad ranges and permissions -> errors, no change
 *   test=nohc                  without testhc=on the test hypercalls are ENOSYS
 *   test=outside addr=GPA access=read|write|fetch
 *                              an access outside RAM: Keel must end the guest
 *   test=touchall              one touch per page of [0, mem): every frame held
 *
 * delay=TICKS first spins that many TSC ticks (see ept_delay()).
 *
 * zeropage=1 says Keel runs with zeropage=on: a first read then maps the
 * shared zero frame (a fault, no frame), and the tests expect that.
 *
 * leaf=4k|2m (default 4k) tells the guest which EPT leaf Keel should use for
 * fresh regions, i.e. the ept= option on its module line. base=GPA moves the
 * fresh memory the tests use (default: the first 2 MiB boundary above the
 * image, so nothing there was populated by the loader).
 *
 * Fault counts come from KEEL_HC_STATS deltas around loops that touch only
 * the pages under test: the stats buffer and the runtime's stack are in .bss,
 * which the loader populated. At the end the guest prints its final counters
 * ("ept stats: ..."), which the emulator test compares with Keel's summary.
 *
 * One file on purpose, longer than most: every issue-4 scenario boots this
 * image, so a module line only has to pick a test (tests/emu/test_ept.py).
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/bootargs.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/vmcall.h"
#include "tests/guests/lib/x86.h"
#include "lib/format.h"
#include "lib/string.h"

#define EPT_PAGE	 (4 * KiB)
#define EPT_REGION	 (2 * MiB)
#define EPT_REGION_PAGES (EPT_REGION / EPT_PAGE)
#define EPT_IDENTITY_END (4 * GiB) /* the boot page tables map [0, 4 GiB) */
#define EPT_CODE_OFF	 0x800	   /* a RET placed mid-page, away from page boundaries */
#define EPT_RET		 0xC3
#define EPT_WHAT	 96

extern const u8 __image_end[];

/* What the command line says; filled once by ept_env_init(). */
static struct {
	const char *args;
	u64 mem;       /* boot info mem_size */
	u64 leaf;      /* EPT_PAGE or EPT_REGION: the leaf fresh regions should get */
	u64 base;      /* fresh memory for the tests, 2 MiB aligned */
	bool zeropage; /* zeropage=1: Keel runs with zeropage=on (reads map the zero frame) */
} env;

/* KEEL_HC_STATS writes here: .bss, populated by the loader. */
static struct keel_guest_stats stats_buf;

/* --- memory access that the compiler cannot merge, drop or reorder --- */

static inline u64 ept_rd(u64 gpa)
{
	u64 v;

	__asm__ volatile("movq (%1), %0" : "=r"(v) : "r"((uintptr_t)gpa) : "memory");
	return v;
}

static inline void ept_wr(u64 gpa, u64 v)
{
	__asm__ volatile("movq %1, (%0)" : : "r"((uintptr_t)gpa), "r"(v) : "memory");
}

/* Calls the code at gpa (a RET the test placed there). */
static inline void ept_call(u64 gpa)
{
	__asm__ volatile("call *%0" : : "r"((uintptr_t)gpa) : "memory", "cc");
}

/*
 * The value the tests keep at qword gpa. Never zero for the seeds used here:
 * (gpa >> 3) * K == seed has its one solution modulo 2^64 above 2^61.
 */
static u64 ept_pattern(u64 gpa, u64 seed)
{
	return ((gpa >> 3) * 0x9E3779B97F4A7C15ULL) ^ seed;
}

/* --- statistics --- */

enum ept_field {
	EF_VIOLATIONS,
	EF_LEAVES_4K,
	EF_LEAVES_2M,
	EF_LEAVES_1G,
	EF_FALLBACKS,
	EF_SPURIOUS,
	EF_FRAMES,
	EF_RESTORES,
	EF_COUNT,
};

static const char *const ept_field_names[EF_COUNT] = {
    "violations", "leaves 4k", "leaves 2m",   "leaves 1g",
    "fallbacks",  "spurious",  "data frames", "restores",
};

static u64 ept_field(const struct keel_guest_stats *s, enum ept_field f)
{
	const u64 v[EF_COUNT] = {s->ept_violations, s->leaves_4k, s->leaves_2m,	  s->leaves_1g,
				 s->fallbacks,	    s->spurious,  s->data_frames, s->restores};

	return v[f];
}

/* Keel's counters now. A failed call is a FAIL and reads as all zeros. */
static struct keel_guest_stats ept_stats(void)
{
	struct keel_guest_stats s;
	long r = vmcall3(KEEL_HC_STATS, (uintptr_t)&stats_buf, sizeof(stats_buf), 0);

	if (r != (long)sizeof(stats_buf)) {
		check_fail("KEEL_HC_STATS: got %lld, want %llu", (long long)r,
			   (unsigned long long)sizeof(stats_buf));
		memset(&stats_buf, 0, sizeof(stats_buf));
	}
	s = stats_buf;
	return s;
}

/* The change of each counter a test expects; fields not in `checked` are not judged. */
struct ept_expect {
	s64 want[EF_COUNT];
	u32 checked; /* BIT(enum ept_field) */
};

#define EPT_ALL_FIELDS ((u32)BIT(EF_COUNT) - 1)

/* n4k new 4 KiB leaves and n2m new 2 MiB leaves, one fault each, nothing else. */
static struct ept_expect ept_new_leaves(u64 n4k, u64 n2m)
{
	struct ept_expect e = {.checked = EPT_ALL_FIELDS};

	e.want[EF_VIOLATIONS] = (s64)(n4k + n2m);
	e.want[EF_LEAVES_4K] = (s64)n4k;
	e.want[EF_LEAVES_2M] = (s64)n2m;
	e.want[EF_FRAMES] = (s64)(n4k + n2m * EPT_REGION_PAGES);
	return e;
}

/* First touch of every page of [gpa, gpa + len): one fault per leaf of env.leaf. */
static struct ept_expect ept_touch(u64 len)
{
	if (env.leaf == EPT_REGION)
		return ept_new_leaves(0, len / EPT_REGION);
	return ept_new_leaves(len / EPT_PAGE, 0);
}

/*
 * The first read of every page of len (which must all be unmapped): as
 * ept_touch, or with Keel's zeropage=on (zeropage=1 among the guest's
 * arguments) a fault per 4 KiB page mapping the zero frame, no leaf of RAM
 * and no frame.
 */
static struct ept_expect ept_read_touch(u64 len)
{
	struct ept_expect e = ept_new_leaves(0, 0);

	if (!env.zeropage)
		return ept_touch(len);
	e.want[EF_VIOLATIONS] = (s64)(len / EPT_PAGE);
	return e;
}

/* n faults that only restore full permissions: no new frame, nothing spurious. */
static struct ept_expect ept_perm_faults(u64 n)
{
	struct ept_expect e = {.checked = BIT(EF_VIOLATIONS) | BIT(EF_SPURIOUS) | BIT(EF_FRAMES) |
					  BIT(EF_RESTORES)};

	e.want[EF_VIOLATIONS] = (s64)n;
	e.want[EF_RESTORES] = (s64)n;
	return e;
}

/* One line per judged counter: "PASS what: violations +512". */
static void ept_check(const char *what, const struct keel_guest_stats *a,
		      const struct keel_guest_stats *b, struct ept_expect e)
{
	for (int f = 0; f < EF_COUNT; f++) {
		s64 got = (s64)(ept_field(b, f) - ept_field(a, f));

		if (!(e.checked & BIT(f)))
			continue;
		if (got == e.want[f])
			check_pass("%s: %s %+lld", what, ept_field_names[f], (long long)got);
		else
			check_fail("%s: %s %+lld, want %+lld", what, ept_field_names[f],
				   (long long)got, (long long)e.want[f]);
	}
}

/* ept_check with a formatted description. */
static void ept_checkf(const struct keel_guest_stats *a, const struct keel_guest_stats *b,
		       struct ept_expect e, const char *fmt, ...) __printf(4, 5);
static void ept_checkf(const struct keel_guest_stats *a, const struct keel_guest_stats *b,
		       struct ept_expect e, const char *fmt, ...)
{
	char what[EPT_WHAT];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ept_check(what, a, b, e);
}

/* --- page contents --- */

/* Writes the pattern over every qword of [gpa, gpa + len). */
static void ept_fill(u64 gpa, u64 len, u64 seed)
{
	for (u64 a = gpa; a < gpa + len; a += 8)
		ept_wr(a, ept_pattern(a, seed));
}

/*
 * Counts the qwords of [gpa, gpa + len) that differ from the pattern (seed)
 * or, with seed 0, from zero; the first one goes to *first.
 */
static u64 ept_mismatches(u64 gpa, u64 len, u64 seed, u64 *first)
{
	u64 bad = 0;

	for (u64 a = gpa; a < gpa + len; a += 8) {
		u64 want = seed ? ept_pattern(a, seed) : 0;

		if (ept_rd(a) != want && bad++ == 0)
			*first = a;
	}
	return bad;
}

/* PASS/FAIL: [gpa, gpa + len) holds the pattern (seed) or zeros (seed 0). */
static void ept_check_data(const char *what, u64 gpa, u64 len, u64 seed)
{
	u64 first = 0, bad = ept_mismatches(gpa, len, seed, &first);

	if (bad == 0)
		check_pass("%s: [0x%llx, 0x%llx) reads %s", what, (unsigned long long)gpa,
			   (unsigned long long)(gpa + len), seed ? "the pattern" : "zero");
	else
		check_fail("%s: %llu qwords differ from %s, first at 0x%llx (0x%llx)", what,
			   (unsigned long long)bad, seed ? "the pattern" : "zero",
			   (unsigned long long)first, (unsigned long long)ept_rd(first));
}

/* Reads the first qword of every page of [gpa, gpa + len); returns how many were not zero. */
static u64 ept_read_pages(u64 gpa, u64 len)
{
	u64 nonzero = 0;

	for (u64 a = gpa; a < gpa + len; a += EPT_PAGE)
		nonzero += ept_rd(a) != 0;
	return nonzero;
}

/* Writes the pattern's first qword to every page of [gpa, gpa + len). */
static void ept_write_pages(u64 gpa, u64 len, u64 seed)
{
	for (u64 a = gpa; a < gpa + len; a += EPT_PAGE)
		ept_wr(a, ept_pattern(a, seed));
}

/* --- arguments --- */

static u64 ept_arg(const char *key, u64 dflt)
{
	u64 v;

	return bootargs_size(env.args, key, &v) ? v : dflt;
}

/* PASS/FAIL: [gpa, end) is fresh RAM the identity map reaches. */
static bool ept_range_ok(const char *what, u64 gpa, u64 end)
{
	if (gpa >= (uintptr_t)__image_end && gpa < end && end <= env.mem &&
	    end <= EPT_IDENTITY_END && gpa % env.leaf == 0 && end % EPT_PAGE == 0)
		return true;
	check_fail("%s: range [0x%llx, 0x%llx): want above the image (0x%llx), inside mem 0x%llx, "
		   "aligned to the leaf (0x%llx)",
		   what, (unsigned long long)gpa, (unsigned long long)end,
		   (unsigned long long)(uintptr_t)__image_end, (unsigned long long)env.mem,
		   (unsigned long long)env.leaf);
	return false;
}

/* --- count, regions2m, zero, pattern --- */

/* Writes every page of [gpa, gpa + len) once: one fault per leaf; a second pass: none. */
static void ept_touch_twice(const char *what, u64 gpa, u64 len)
{
	struct keel_guest_stats a = ept_stats(), b, c;

	ept_write_pages(gpa, len, 1);
	b = ept_stats();
	ept_checkf(&a, &b, ept_touch(len), "%s: first touch of %llu pages", what,
		   (unsigned long long)(len / EPT_PAGE));
	if (ept_read_pages(gpa, len) != len / EPT_PAGE)
		check_fail("%s: a page lost its value", what);
	c = ept_stats();
	ept_checkf(&b, &c, ept_new_leaves(0, 0), "%s: second pass", what);
}

static void ept_test_count(void)
{
	u64 pages = ept_arg("pages", 512);

	if (ept_range_ok("count", env.base, env.base + pages * EPT_PAGE))
		ept_touch_twice("count", env.base, pages * EPT_PAGE);
}

static void ept_test_regions2m(void)
{
	u64 regions = ept_arg("regions", 8), len = regions * EPT_REGION;
	u64 top = ALIGN_DOWN(env.mem, EPT_REGION);

	if (env.leaf != EPT_REGION) {
		check_fail("regions2m: needs leaf=2m (and ept=2m on the module line)");
		return;
	}
	if (!ept_range_ok("regions2m", env.base, env.base + len))
		return;
	if (env.base + len > top) {
		check_fail("regions2m: %llu regions from 0x%llx do not fit below 0x%llx",
			   (unsigned long long)regions, (unsigned long long)env.base,
			   (unsigned long long)top);
		return;
	}
	ept_touch_twice("regions2m", env.base, len);
	if (top == env.mem)
		return;
	/* The tail region is not wholly RAM: 4 KiB leaves, one fault per page. */
	env.leaf = EPT_PAGE;
	ept_touch_twice("regions2m: partial region at the top of RAM", top, env.mem - top);
	env.leaf = EPT_REGION;
}

static void ept_test_zero(void)
{
	u64 len = ept_arg("size", ept_arg("pages", 256) * EPT_PAGE);
	struct keel_guest_stats a, b;

	if (!ept_range_ok("zero", env.base, env.base + len))
		return;
	a = ept_stats();
	ept_check_data("zero: fresh memory", env.base, len, 0);
	b = ept_stats();
	ept_check(len % env.leaf ? "zero: reads (partial last leaf)" : "zero: reads", &a, &b,
		  env.zeropage ? ept_read_touch(len) : ept_touch(ALIGN_UP(len, env.leaf)));
	/* Leave the frames dirty for whichever guest gets them next. */
	ept_fill(env.base, len, 0x5A5A5A5A5A5A5A5AULL);
}

static void ept_test_pattern(void)
{
	u64 len = ept_arg("size", 64 * MiB);
	struct keel_guest_stats a, b, c;

	if (!ept_range_ok("pattern", env.base, env.base + len))
		return;
	if (len % env.leaf) {
		check_fail("pattern: size 0x%llx is not a multiple of the leaf",
			   (unsigned long long)len);
		return;
	}
	a = ept_stats();
	ept_fill(env.base, len, 0xA5A5A5A5A5A5A5A5ULL);
	b = ept_stats();
	ept_checkf(&a, &b, ept_touch(len), "pattern: writing %llu MiB",
		   (unsigned long long)(len / MiB));
	ept_check_data("pattern: read back", env.base, len, 0xA5A5A5A5A5A5A5A5ULL);
	c = ept_stats();
	ept_check("pattern: reading back", &b, &c, ept_new_leaves(0, 0));
}

/* --- test hypercalls --- */

static long ept_unmap(u64 gpa, u64 len)
{
	return vmcall3(KEEL_HC_TEST_UNMAP, gpa, len, 0);
}

static long ept_protect(u64 gpa, u64 len, u64 perms)
{
	return vmcall3(KEEL_HC_TEST_PROTECT, gpa, len, perms);
}

static void ept_check_ret(const char *what, long got, long want)
{
	if (got == want)
		check_pass("%s returns %lld", what, (long long)want);
	else
		check_fail("%s: returned %lld, want %lld", what, (long long)got, (long long)want);
}

/* Two of four filled pages unmapped: the others keep their data, the two fault once, read zero. */
static void ept_unmap_middle(u64 p)
{
	struct keel_guest_stats a, b, c, d;
	struct ept_expect call = {.checked = BIT(EF_VIOLATIONS) | BIT(EF_FRAMES)};
	struct ept_expect again =
	    env.zeropage ? ept_read_touch(2 * EPT_PAGE) : ept_new_leaves(2, 0);

	ept_fill(p, 4 * EPT_PAGE, 7);
	ept_check_data("unmap: before", p, 4 * EPT_PAGE, 7);
	a = ept_stats();
	ept_check_ret("unmap: TEST_UNMAP(2 of 4 pages)", ept_unmap(p + EPT_PAGE, 2 * EPT_PAGE), 0);
	b = ept_stats();
	call.want[EF_FRAMES] = -2;
	ept_check("unmap: the call", &a, &b, call);
	ept_check_data("unmap: the page below keeps its data", p, EPT_PAGE, 7);
	ept_check_data("unmap: the page above keeps its data", p + 3 * EPT_PAGE, EPT_PAGE, 7);
	c = ept_stats();
	ept_check("unmap: neighbours", &b, &c, ept_new_leaves(0, 0));
	ept_check_data("unmap: unmapped pages", p + EPT_PAGE, 2 * EPT_PAGE, 0);
	d = ept_stats();
	/*
	 * The 2 MiB region is partly mapped now: 4 KiB leaves in either mode.
	 * Whether that counts as a fallback is not part of the contract.
	 */
	again.checked &= ~BIT(EF_FALLBACKS);
	ept_check("unmap: touching the unmapped pages again", &c, &d, again);
}

/* Unmapping a page never touched: 0, nothing freed; its first touch is an ordinary one. */
static void ept_unmap_untouched(u64 p)
{
	struct keel_guest_stats a = ept_stats(), b, c;

	ept_check_ret("unmap: TEST_UNMAP(a page never touched)", ept_unmap(p, EPT_PAGE), 0);
	b = ept_stats();
	ept_check("unmap: untouched page", &a, &b, ept_new_leaves(0, 0));
	ept_check_data("unmap: untouched page", p, EPT_PAGE, 0);
	c = ept_stats();
	ept_check("unmap: first touch after unmapping it", &b, &c,
		  env.zeropage ? ept_read_touch(EPT_PAGE) : ept_touch(env.leaf));
}

/* A whole 2 MiB region filled, unmapped, touched again: zeros, the leaves of a fresh region. */
static void ept_unmap_region(u64 r)
{
	struct keel_guest_stats a, b, c;
	struct ept_expect e = ept_new_leaves(0, 0);

	ept_write_pages(r, EPT_REGION, 9);
	a = ept_stats();
	ept_check_ret("unmap: TEST_UNMAP(a whole 2 MiB region)", ept_unmap(r, EPT_REGION), 0);
	b = ept_stats();
	e.want[EF_FRAMES] = -(s64)EPT_REGION_PAGES;
	ept_check("unmap: whole region", &a, &b, e);
	if (ept_read_pages(r, EPT_REGION))
		check_fail("unmap: whole region: a page still has data after the unmap");
	else
		check_pass("unmap: whole region reads zero again");
	c = ept_stats();
	ept_check("unmap: whole region touched again", &b, &c, ept_read_touch(EPT_REGION));
}

static void ept_test_unmap(void)
{
	if (!ept_range_ok("unmap", env.base, env.base + 3 * EPT_REGION))
		return;
	ept_unmap_middle(env.base);
	ept_unmap_untouched(env.base + EPT_REGION);
	ept_unmap_region(env.base + 2 * EPT_REGION);
}

/* --- the reverse map: KEEL_HC_TEST_UNMAP_FRAME --- */

static long ept_unmap_frame(u64 gpa)
{
	return vmcall3(KEEL_HC_TEST_UNMAP_FRAME, gpa, 0, 0);
}

/*
 * A filled 2 MiB region; the frames behind two of its pages taken back by
 * the frame alone (Keel finds guest and page through its reverse map). The
 * first call names the leaf that mapped the frame (2 MiB with leaf=2m: the
 * rest of it stays mapped as 4 KiB leaves, so the second call names a
 * 4 KiB one); the two pages read zero and fault once each; every other
 * page keeps its data; a page no longer mapped is EINVAL.
 */
static void ept_test_rmap(void)
{
	u64 r = env.base, p = r + 5 * EPT_PAGE;
	struct ept_expect call = {.checked = BIT(EF_VIOLATIONS) | BIT(EF_FRAMES)};
	struct ept_expect again =
	    env.zeropage ? ept_read_touch(2 * EPT_PAGE) : ept_new_leaves(2, 0);
	struct keel_guest_stats a, b, c, d;

	if (!ept_range_ok("rmap", r, r + EPT_REGION))
		return;
	ept_fill(r, EPT_REGION, 11);
	a = ept_stats();
	ept_check_ret("rmap: TEST_UNMAP_FRAME(a page of a filled region)", ept_unmap_frame(p),
		      env.leaf == EPT_REGION ? 2 : 1);
	ept_check_ret("rmap: TEST_UNMAP_FRAME(the page after it)", ept_unmap_frame(p + EPT_PAGE),
		      1);
	ept_check_ret("rmap: TEST_UNMAP_FRAME(the first page again)", ept_unmap_frame(p),
		      KEEL_HC_EINVAL);
	b = ept_stats();
	call.want[EF_FRAMES] = -2;
	ept_check("rmap: the calls", &a, &b, call);
	ept_check_data("rmap: the pages below keep their data", r, p - r, 11);
	ept_check_data("rmap: the pages above keep their data", p + 2 * EPT_PAGE,
		       r + EPT_REGION - p - 2 * EPT_PAGE, 11);
	c = ept_stats();
	ept_check("rmap: the rest of the region", &b, &c, ept_new_leaves(0, 0));
	ept_check_data("rmap: the two pages taken back", p, 2 * EPT_PAGE, 0);
	d = ept_stats();
	again.checked &= ~BIT(EF_FALLBACKS); /* as in ept_unmap_middle */
	ept_check("rmap: touching them again", &c, &d, again);
}

/* --- zero-page sharing: Keel's zeropage=on --- */

/* The zero-page counters' changes from a to b must be these. */
static void ept_zero_check(const char *what, const struct keel_guest_stats *a,
			   const struct keel_guest_stats *b, s64 maps, u64 faults, u64 cow,
			   u64 promotions)
{
	char w[EPT_WHAT];

	fmt_snprintf(w, sizeof(w), "%s: zero-page mappings", what);
	check_eq(w, (s64)(b->zero_maps - a->zero_maps), maps);
	fmt_snprintf(w, sizeof(w), "%s: zero-page read faults", what);
	check_eq(w, b->zero_faults - a->zero_faults, faults);
	fmt_snprintf(w, sizeof(w), "%s: copy-on-write faults", what);
	check_eq(w, b->cow - a->cow, cow);
	fmt_snprintf(w, sizeof(w), "%s: promotions", what);
	check_eq(w, b->promotions - a->promotions, promotions);
}

/*
 * Runs the never-written page at p from its start: zeros decode as
 * ADD [RAX], AL, and with RAX pointing at a 256-byte aligned scratch
 * buffer AL is 0, so each adds nothing, up to the RET placed at the start
 * of the page after p.
 */
static void ept_run_zeros(u64 p)
{
	static u8 scratch[256] __attribute__((aligned(256)));
	uintptr_t rax = (uintptr_t)scratch;

	*(volatile u8 *)(uintptr_t)(p + EPT_PAGE) = EPT_RET;
	__asm__ volatile("call *%1" : "+a"(rax) : "r"((uintptr_t)p) : "memory", "cc");
}

/*
 * Three regions from base. Region 0: n pages read, never written, read
 * zero and map the shared zero frame (one read fault each, no frame). The
 * last page of region 1 is fetched (run) without a write: a fetch fault
 * maps the zero frame too (read and execute allowed). Then every read page
 * of region 0 is written: with 4 KiB leaves each write is a copy-on-write
 * fault (a frame of its own, with an INVEPT); with 2 MiB leaves the first
 * write replaces the region's zero mappings by one 2 MiB leaf (a
 * promotion) and the rest do not fault. Keel's own write (KEEL_HC_STATS
 * into a page read as zero) gets a copy too, and the pages still read as
 * zero stay zero throughout.
 */
static void ept_test_zeropage(void)
{
	u64 r = env.base, n = 64, fetch = r + 2 * EPT_REGION - EPT_PAGE;
	u64 stats_page = r + EPT_REGION, nonzero;
	bool big = env.leaf == EPT_REGION;
	struct keel_guest_stats a, b, c, d, e;
	struct ept_expect reads = ept_new_leaves(0, 0), writes;

	if (!ept_range_ok("zeropage", r, r + 3 * EPT_REGION))
		return;
	a = ept_stats();
	nonzero = ept_read_pages(r, n * EPT_PAGE);
	b = ept_stats();
	check_eq("zeropage: never-written pages read zero (non-zero pages)", nonzero, 0);
	reads.want[EF_VIOLATIONS] = (s64)n;
	ept_check("zeropage: reading 64 pages", &a, &b, reads);
	ept_zero_check("zeropage: reading 64 pages", &a, &b, (s64)n, n, 0, 0);
	/* a fetch: the RET's page (region 2) is written first, outside the counts */
	*(volatile u8 *)(uintptr_t)(fetch + EPT_PAGE) = 0;
	b = ept_stats();
	ept_run_zeros(fetch);
	c = ept_stats();
	reads.want[EF_VIOLATIONS] = 1;
	ept_check("zeropage: running a never-written page", &b, &c, reads);
	ept_zero_check("zeropage: running a never-written page", &b, &c, 1, 1, 0, 0);
	/* writes */
	ept_fill(r, n * EPT_PAGE, 5);
	d = ept_stats();
	writes = big ? ept_new_leaves(0, 1) : ept_new_leaves(n, 0);
	writes.checked &= ~BIT(EF_FALLBACKS);
	ept_check("zeropage: writing the 64 pages", &c, &d, writes);
	ept_zero_check("zeropage: writing the 64 pages", &c, &d, -(s64)n, 0, big ? 0 : n,
		       big ? 1 : 0);
	check_true(d.invept - c.invept >= (big ? 1 : n),
		   "zeropage: an INVEPT for each zero mapping replaced");
	ept_check_data("zeropage: the written pages", r, n * EPT_PAGE, 5);
	ept_check_data("zeropage: the rest of region 0", r + n * EPT_PAGE,
		       EPT_REGION - n * EPT_PAGE, 0);
	/* Keel's write into a page read as zero (a hypercall's buffer) */
	(void)ept_rd(stats_page);
	d = ept_stats();
	check_eq("zeropage: KEEL_HC_STATS into a zero page",
		 vmcall3(KEEL_HC_STATS, stats_page, sizeof(e), 0), (long)sizeof(e));
	e = *(volatile struct keel_guest_stats *)(uintptr_t)stats_page;
	check_true(e.exits > d.exits, "zeropage: the stats landed in a page of its own");
	/* 4 KiB whatever the leaf: Keel's own writes never promote */
	check_eq("zeropage: Keel's write was a copy-on-write", ept_stats().cow - d.cow, 1);
	ept_check_data("zeropage: pages of region 1 still read zero", stats_page + EPT_PAGE,
		       16 * EPT_PAGE, 0);
	ept_check_data("zeropage: the page run reads zero", fetch, EPT_PAGE, 0);
}

/*
 * Reads every page of RAM above the image (they must read zero), writes
 * only `write=` bytes (default 1 MiB) from base and reads the rest again:
 * with Keel's zeropage=on the reads share the zero frame, so the guest
 * holds its image's frames, what it wrote and EPT tables only. Eight
 * mem=256M guests, each let hold maxmem=40M, run on a 512 MiB machine so
 * (tests/emu/test_ept.py, the overcommit boot); without the zero page the
 * first 40 MiB of reads end each by out-of-memory.
 */
static void ept_test_readmost(void)
{
	u64 top = env.base, len = env.mem - top, wr = ept_arg("write", MiB), nonzero;
	struct keel_guest_stats s;

	if (!ept_range_ok("readmost", top, top + wr))
		return;
	print("readmost: reading 0x%llx pages, writing 0x%llx\n",
	      (unsigned long long)(len / EPT_PAGE), (unsigned long long)(wr / EPT_PAGE));
	nonzero = ept_read_pages(top, len);
	ept_fill(top, wr, 21);
	nonzero += ept_read_pages(top + wr, len - wr);
	s = ept_stats();
	check_eq("readmost: pages never written read zero (non-zero pages)", nonzero, 0);
	ept_check_data("readmost: the pages written", top, wr, 21);
	print("readmost: data frames %llu, zero-page mappings %llu, read faults %llu, copies "
	      "%llu, promotions %llu\n",
	      (unsigned long long)s.data_frames, (unsigned long long)s.zero_maps,
	      (unsigned long long)s.zero_faults, (unsigned long long)s.cow,
	      (unsigned long long)s.promotions);
}

/* Ticks of the guest's time between two of Keel's working-set samples (GMEM_WS_INTERVAL). */
#define EPT_WS_INTERVAL (1ULL << 24)

/*
 * Keel's workingset=on: reads 256 pages of base round and round for 3.5
 * sample intervals, then only 32 of them for 3.5 more. Keel's last sample
 * of each phase must count that phase's pages and at most 64 more (the
 * guest's code, stack, data and page tables), which shows it clears the
 * accessed flags between samples. With sampled=0 (a CPU without EPT
 * accessed/dirty flags) Keel must have taken no sample at all.
 */
static void ept_test_workingset(void)
{
	static const u64 phase_pages[] = {256, 32};
	bool sampled = ept_arg("sampled", 1) != 0;

	if (!ept_range_ok("workingset", env.base, env.base + 256 * EPT_PAGE))
		return;
	for (size_t i = 0; i < ARRAY_SIZE(phase_pages); i++) {
		u64 n = phase_pages[i], t0 = x86_rdtsc(), passes = 0;
		struct keel_guest_stats s;
		char what[EPT_WHAT];

		while (x86_rdtsc() - t0 < 7 * EPT_WS_INTERVAL / 2) {
			ept_read_pages(env.base, n * EPT_PAGE);
			passes++;
		}
		s = ept_stats();
		print("workingset: %llu pages read %llu times: %llu samples, the last %llu pages\n",
		      (unsigned long long)n, (unsigned long long)passes,
		      (unsigned long long)s.ws_samples, (unsigned long long)s.ws_last);
		if (!sampled) {
			check_eq("workingset: no sample without EPT A/D flags", s.ws_samples, 0);
			continue;
		}
		fmt_snprintf(
		    what, sizeof(what),
		    "workingset: the last sample counts the %llu pages read, and at most 64 "
		    "more",
		    (unsigned long long)n);
		check_true(s.ws_last >= n && s.ws_last <= n + 64, what);
		check_true(s.ws_samples >= 2 * (i + 1), "workingset: a sample per interval");
	}
}

/* --- the dirty log: KEEL_HC_TEST_DIRTY_LOG --- */

#define EPT_DIRTY_MAX 1024

/* KEEL_HC_TEST_DIRTY_LOG reads into this: .bss, populated by the loader. */
static u64 dirty_buf[EPT_DIRTY_MAX];

static long ept_dirty_log(u64 op)
{
	return vmcall3(KEEL_HC_TEST_DIRTY_LOG, op, (uintptr_t)dirty_buf, EPT_DIRTY_MAX);
}

/*
 * Reads the log; PASS/FAIL: of the 64 pages from base exactly those whose
 * numbers are in want[] were logged, and at most 32 pages outside them
 * (the guest's stack and page tables).
 */
static void ept_dirty_check(const char *what, const u64 *want, unsigned nwant)
{
	long n = ept_dirty_log(1);
	unsigned in_region = 0, found = 0, outside = 0;

	if (n < 0) {
		check_fail("%s: TEST_DIRTY_LOG(read) returned %ld", what, n);
		return;
	}
	for (long i = 0; i < n; i++) {
		u64 a = dirty_buf[i];

		if (i > 0 && dirty_buf[i - 1] >= a)
			check_fail("%s: the log is not ascending at entry %ld", what, i);
		if (a < env.base || a >= env.base + 64 * EPT_PAGE) {
			outside++;
			continue;
		}
		in_region++;
		for (unsigned k = 0; k < nwant; k++)
			found += a == env.base + want[k] * EPT_PAGE;
	}
	print("%s: %ld pages logged, %u of them in the test's 64, %u outside\n", what, n, in_region,
	      outside);
	if (found == nwant && in_region == nwant && outside <= 32)
		check_pass("%s: the log names the %u pages written and no other of the 64", what,
			   nwant);
	else
		check_fail("%s: %u of the %u pages written logged, %u of the 64 logged, %u outside",
			   what, found, nwant, in_region, outside);
}

/*
 * 64 pages from base, written before the log starts (mapped, and written:
 * not in the log). Then nine of them written: the log names those nine,
 * not the other 55 (and some of the guest's own pages). Read again after
 * two more writes: only those two, since a read starts afresh. Keel says
 * how it logs (mode=1: PML, the default; mode=2: write protection).
 */
static void ept_test_dirtylog(void)
{
	static const u64 first[] = {1, 2, 3, 5, 8, 13, 21, 34, 55}, second[] = {4, 60};

	if (!ept_range_ok("dirtylog", env.base, env.base + 764 * EPT_PAGE))
		return;
	ept_fill(env.base, 64 * EPT_PAGE, 3);
	ept_check_ret("dirtylog: TEST_DIRTY_LOG(start)", ept_dirty_log(0),
		      (long)ept_arg("mode", 1));
	ept_check_ret("dirtylog: TEST_DIRTY_LOG(start) again", ept_dirty_log(0), KEEL_HC_EINVAL);
	for (unsigned k = 0; k < ARRAY_SIZE(first); k++)
		ept_wr(env.base + first[k] * EPT_PAGE + 8, 1);
	ept_dirty_check("dirtylog: nine pages written", first, ARRAY_SIZE(first));
	for (unsigned k = 0; k < ARRAY_SIZE(second); k++)
		ept_wr(env.base + second[k] * EPT_PAGE + 16, 2);
	ept_dirty_check("dirtylog: two more, after a read", second, ARRAY_SIZE(second));
	/* 700 fresh pages: more than a PML log page holds (512), so it fills once */
	{
		u64 from = env.base + 64 * EPT_PAGE, to = from + 700 * EPT_PAGE, got = 0;
		long n;

		ept_write_pages(from, to - from, 4);
		n = ept_dirty_log(1);
		for (long i = 0; i < n; i++)
			got += dirty_buf[i] >= from && dirty_buf[i] < to;
		check_eq("dirtylog: 700 pages written past a full log page, logged", got, 700);
	}
	ept_check_ret("dirtylog: TEST_DIRTY_LOG(stop)", ept_dirty_log(2), 0);
	ept_check_ret("dirtylog: TEST_DIRTY_LOG(read) once stopped", ept_dirty_log(1),
		      KEEL_HC_EINVAL);
	ept_check_data("dirtylog: the pages never written again", env.base, EPT_PAGE, 3);
}

/* PROTECT(p, len, perms) must return 0. */
static void ept_protect_ok(u64 p, u64 len, u64 perms)
{
	char what[EPT_WHAT];

	fmt_snprintf(what, sizeof(what), "protect: TEST_PROTECT(%llu page(s), %s%s%s)",
		     (unsigned long long)(len / EPT_PAGE), perms & KEEL_PERM_R ? "R" : "",
		     perms & KEEL_PERM_W ? "W" : "", perms & KEEL_PERM_X ? "X" : "");
	ept_check_ret(what, ept_protect(p, len, perms), 0);
}

/* The code page p: the pattern, with a RET at EPT_CODE_OFF. */
static void ept_code_page(u64 p)
{
	ept_fill(p, EPT_PAGE, 3);
	ept_wr(p + EPT_CODE_OFF, ept_pattern(p + EPT_CODE_OFF, 3) & ~0xFFULL);
	*(volatile u8 *)(uintptr_t)(p + EPT_CODE_OFF) = EPT_RET;
}

/* PASS/FAIL: p still holds ept_code_page's contents. */
static void ept_check_code_page(const char *what, u64 p)
{
	u64 first = 0, bad = ept_mismatches(p, EPT_CODE_OFF, 3, &first);

	bad += ept_mismatches(p + EPT_CODE_OFF + 8, EPT_PAGE - EPT_CODE_OFF - 8, 3, &first);
	bad +=
	    ept_rd(p + EPT_CODE_OFF) != ((ept_pattern(p + EPT_CODE_OFF, 3) & ~0xFFULL) | EPT_RET);
	if (bad == 0)
		check_pass("%s: data intact", what);
	else
		check_fail("%s: %llu qwords changed", what, (unsigned long long)bad);
}

/* A write the permissions deny: one fault, the write lands, a second write does not fault. */
static void ept_protect_write(const char *what, u64 p)
{
	struct keel_guest_stats a = ept_stats(), b, c;
	u64 q = p + 8, v = ept_pattern(q, 3);

	ept_wr(q, ~v);
	b = ept_stats();
	ept_check(what, &a, &b, ept_perm_faults(1));
	check_eq("protect: the denied write landed", ept_rd(q), ~v);
	ept_wr(q, v);
	c = ept_stats();
	ept_check("protect: a second write", &b, &c, ept_perm_faults(0));
}

/* A fetch the permissions deny: one fault, then the RET runs and returns. */
static void ept_protect_fetch(const char *what, u64 p)
{
	struct keel_guest_stats a = ept_stats(), b;

	ept_call(p + EPT_CODE_OFF);
	b = ept_stats();
	ept_check(what, &a, &b, ept_perm_faults(1));
}

/* Accesses the permissions allow (a read, and a fetch or write when perms say): no fault. */
static void ept_protect_allowed(const char *what, u64 p, u64 perms)
{
	struct keel_guest_stats a = ept_stats(), b;

	(void)ept_rd(p + 16);
	if (perms & KEEL_PERM_X)
		ept_call(p + EPT_CODE_OFF);
	if (perms & KEEL_PERM_W)
		ept_wr(p + 16, ept_rd(p + 16));
	b = ept_stats();
	ept_check(what, &a, &b, ept_perm_faults(0));
}

/*
 * Three pages below, at and above p hold the pattern; p also holds a RET.
 * In ept=2m mode they share one 2 MiB leaf, which PROTECT of one page must
 * split: the neighbours keep their permissions.
 */
static void ept_test_protect(void)
{
	u64 p = env.base + EPT_PAGE, below = p - EPT_PAGE, above = p + EPT_PAGE;
	const u64 rx = KEEL_PERM_R | KEEL_PERM_X, rw = KEEL_PERM_R | KEEL_PERM_W;

	if (!ept_range_ok("protect", env.base, env.base + EPT_REGION))
		return;
	ept_fill(below, 3 * EPT_PAGE, 3);
	ept_code_page(p);
	ept_call(p + EPT_CODE_OFF);

	ept_protect_ok(p, EPT_PAGE, rx);
	ept_check_code_page("protect RX: the page", p);
	ept_protect_allowed("protect RX: read and fetch", p, rx);
	ept_protect_allowed("protect RX: the page below stays writable", below, rw);
	ept_protect_allowed("protect RX: the page above stays writable", above, rw);
	ept_protect_write("protect RX: a write faults once", p);
	ept_check_code_page("protect RX: after the write fault", p);

	ept_protect_ok(p, EPT_PAGE, rw);
	ept_protect_allowed("protect RW: read and write", p, rw);
	ept_protect_fetch("protect RW: a fetch faults once", p);
	ept_check_code_page("protect RW: after the fetch fault", p);

	ept_protect_ok(p, EPT_PAGE, KEEL_PERM_R);
	ept_protect_allowed("protect R: read", p, KEEL_PERM_R);
	ept_protect_fetch("protect R: a fetch faults once", p);
	ept_protect_allowed("protect R: full permissions after the fault", p, rx | rw);

	ept_protect_ok(below, 3 * EPT_PAGE, KEEL_PERM_R);
	ept_protect_write("protect R x3: page 0: a write faults once", below);
	ept_protect_write("protect R x3: page 1: a write faults once", p);
	ept_protect_write("protect R x3: page 2: a write faults once", above);
	ept_check_code_page("protect R x3: page 1", p);
	ept_check_data("protect R x3: page 0", below, EPT_PAGE, 3);
	ept_check_data("protect R x3: page 2", above, EPT_PAGE, 3);
}

/* --- bad arguments --- */

struct ept_bad {
	const char *what;
	u32 fn;
	u64 gpa, len, perms; /* gpa: an offset from what `rel` names */
	u32 rel;	     /* EPT_REL_*: what gpa is relative to */
	long want, or_want;  /* accepted results */
};

#define EPT_REL_ABS  0
#define EPT_REL_BASE 1 /* env.base + gpa */
#define EPT_REL_MEM  2 /* env.mem + gpa (gpa may be "negative") */

#define EPT_RWX (KEEL_PERM_R | KEEL_PERM_W | KEEL_PERM_X)
#define EI	KEEL_HC_EINVAL
#define EF	KEEL_HC_EFAULT

static const struct ept_bad ept_bads[] = {
    {"UNMAP unaligned gpa", KEEL_HC_TEST_UNMAP, 8, EPT_PAGE, 0, EPT_REL_BASE, EI, EI},
    {"UNMAP unaligned length", KEEL_HC_TEST_UNMAP, 0, 100, 0, EPT_REL_BASE, EI, EI},
    {"UNMAP length 4 KiB + 1", KEEL_HC_TEST_UNMAP, 0, EPT_PAGE + 1, 0, EPT_REL_BASE, EI, EI},
    {"UNMAP at mem", KEEL_HC_TEST_UNMAP, 0, EPT_PAGE, 0, EPT_REL_MEM, EF, EI},
    {"UNMAP across mem", KEEL_HC_TEST_UNMAP, -EPT_PAGE, 2 * EPT_PAGE, 0, EPT_REL_MEM, EF, EI},
    {"UNMAP at 2^52", KEEL_HC_TEST_UNMAP, 1ULL << 52, EPT_PAGE, 0, EPT_REL_ABS, EF, EI},
    {"UNMAP wrapping the top", KEEL_HC_TEST_UNMAP, -EPT_PAGE, 2 * EPT_PAGE, 0, EPT_REL_ABS, EF, EI},
    {"UNMAP length wrapping", KEEL_HC_TEST_UNMAP, 0, -EPT_PAGE, 0, EPT_REL_BASE, EF, EI},
    {"PROTECT unaligned gpa", KEEL_HC_TEST_PROTECT, 8, EPT_PAGE, KEEL_PERM_R, EPT_REL_BASE, EI, EI},
    {"PROTECT unaligned length", KEEL_HC_TEST_PROTECT, 0, 100, KEEL_PERM_R, EPT_REL_BASE, EI, EI},
    {"PROTECT at mem", KEEL_HC_TEST_PROTECT, 0, EPT_PAGE, KEEL_PERM_R, EPT_REL_MEM, EF, EI},
    {"PROTECT across mem", KEEL_HC_TEST_PROTECT, -EPT_PAGE, 2 * EPT_PAGE, KEEL_PERM_R, EPT_REL_MEM,
     EF, EI},
    {"PROTECT wrapping the top", KEEL_HC_TEST_PROTECT, -EPT_PAGE, 2 * EPT_PAGE, KEEL_PERM_R,
     EPT_REL_ABS, EF, EI},
    {"PROTECT length wrapping", KEEL_HC_TEST_PROTECT, 0, -EPT_PAGE, KEEL_PERM_R, EPT_REL_BASE, EF,
     EI},
    {"PROTECT unknown permission bit 8", KEEL_HC_TEST_PROTECT, 0, EPT_PAGE, EPT_RWX | 8,
     EPT_REL_BASE, EI, EI},
    /* Write without read is an EPT misconfiguration (SDM Vol. 3C 29.3.3.1). */
    {"PROTECT W without R", KEEL_HC_TEST_PROTECT, 0, EPT_PAGE, KEEL_PERM_W, EPT_REL_BASE, EI, EI},
    {"PROTECT WX without R", KEEL_HC_TEST_PROTECT, 0, EPT_PAGE, KEEL_PERM_W | KEEL_PERM_X,
     EPT_REL_BASE, EI, EI},
    {"STATS at mem", KEEL_HC_STATS, 0, sizeof(struct keel_guest_stats), 0, EPT_REL_MEM, EF, EF},
    {"STATS across mem", KEEL_HC_STATS, -8, sizeof(struct keel_guest_stats), 0, EPT_REL_MEM, EF,
     EF},
    {"STATS wrapping the top", KEEL_HC_STATS, -8, sizeof(struct keel_guest_stats), 0, EPT_REL_ABS,
     EF, EF},
};

static void ept_bad_call(const struct ept_bad *t)
{
	u64 g = t->gpa + (t->rel == EPT_REL_BASE ? env.base : t->rel == EPT_REL_MEM ? env.mem : 0);
	long r = vmcall3(t->fn, g, t->len, t->perms);

	if (r == t->want || r == t->or_want)
		check_pass("badargs: %s returns %lld", t->what, (long long)r);
	else if (t->want == t->or_want)
		check_fail("badargs: %s (gpa 0x%llx len 0x%llx): returned %lld, want %lld", t->what,
			   (unsigned long long)g, (unsigned long long)t->len, (long long)r,
			   (long long)t->want);
	else
		check_fail("badargs: %s (gpa 0x%llx len 0x%llx): returned %lld, want %lld or %lld",
			   t->what, (unsigned long long)g, (unsigned long long)t->len, (long long)r,
			   (long long)t->want, (long long)t->or_want);
}

/* STATS with a short length copies only that many bytes. */
static void ept_stats_short(void)
{
	long r;

	memset(&stats_buf, 0xA5, sizeof(stats_buf));
	r = vmcall3(KEEL_HC_STATS, (uintptr_t)&stats_buf, 8, 0);
	ept_check_ret("badargs: STATS with length 8", r, 8);
	check_true(stats_buf.exits != 0xA5A5A5A5A5A5A5A5ULL && stats_buf.exits != 0,
		   "badargs: STATS with length 8 writes exits");
	check_eq("badargs: STATS with length 8 leaves the next field alone",
		 stats_buf.ept_violations, 0xA5A5A5A5A5A5A5A5ULL);
}

static void ept_test_badargs(void)
{
	u64 last = env.mem - EPT_PAGE;
	struct keel_guest_stats a, b, c;

	if (!ept_range_ok("badargs", env.base, env.base + EPT_PAGE))
		return;
	ept_fill(env.base, EPT_PAGE, 5);
	ept_fill(last, EPT_PAGE, 5);
	a = ept_stats();
	for (size_t i = 0; i < ARRAY_SIZE(ept_bads); i++)
		ept_bad_call(&ept_bads[i]);
	ept_stats_short();
	b = ept_stats();
	ept_check("badargs: the failed calls", &a, &b, ept_new_leaves(0, 0));
	/* All or nothing: nothing was unmapped or protected by a refused call. */
	ept_check_data("badargs: page at base", env.base, EPT_PAGE, 5);
	ept_check_data("badargs: last page of RAM", last, EPT_PAGE, 5);
	ept_fill(env.base, EPT_PAGE, 6);
	ept_fill(last, EPT_PAGE, 6);
	c = ept_stats();
	ept_check("badargs: reading and writing both pages", &b, &c, ept_new_leaves(0, 0));
}

/* Without testhc=on: both test hypercalls are unknown functions and change nothing. */
static void ept_test_nohc(void)
{
	struct keel_guest_stats a, b;

	if (!ept_range_ok("nohc", env.base, env.base + EPT_PAGE))
		return;
	ept_fill(env.base, EPT_PAGE, 4);
	a = ept_stats();
	ept_check_ret("nohc: TEST_UNMAP", ept_unmap(env.base, EPT_PAGE), KEEL_HC_ENOSYS);
	ept_check_ret("nohc: TEST_PROTECT", ept_protect(env.base, EPT_PAGE, KEEL_PERM_R),
		      KEEL_HC_ENOSYS);
	ept_check_data("nohc: the page", env.base, EPT_PAGE, 4);
	ept_fill(env.base, EPT_PAGE, 8);
	b = ept_stats();
	ept_check("nohc: page still mapped and writable", &a, &b, ept_new_leaves(0, 0));
}

/* --- ending by Keel --- */

static void ept_test_outside(void)
{
	u64 addr = ept_arg("addr", 0);
	const char *v;
	size_t n;

	if (!bootargs_find(env.args, "access", &v, &n) || addr < env.mem ||
	    addr >= EPT_IDENTITY_END ||
	    !(bootargs_has(env.args, "access", "read") ||
	      bootargs_has(env.args, "access", "write") ||
	      bootargs_has(env.args, "access", "fetch"))) {
		check_fail("outside: want access=read|write|fetch and addr= in [mem, 4 GiB)");
		return;
	}
	check_pass("outside: %.*s at gpa 0x%llx (mem 0x%llx); Keel must end this guest", (int)n, v,
		   (unsigned long long)addr, (unsigned long long)env.mem);
	if (bootargs_has(env.args, "access", "write"))
		ept_wr(addr, 1);
	else if (bootargs_has(env.args, "access", "fetch"))
		ept_call(addr);
	else
		(void)ept_rd(addr);
	check_fail("outside: the access at gpa 0x%llx returned", (unsigned long long)addr);
}

/* Reads the first qword of each page of [gpa, gpa + len), then writes the pattern there;
 * returns how many were not zero. */
static u64 ept_claim_pages(u64 gpa, u64 len)
{
	u64 nonzero = 0;

	for (u64 a = gpa; a < gpa + len; a += EPT_PAGE) {
		nonzero += ept_rd(a) != 0;
		ept_wr(a, ept_pattern(a, 0xC1));
	}
	return nonzero;
}

/*
 * Touches every page of RAM once: the pages above the image must read zero
 * and are left dirty (a later guest given the same frames must see zeros
 * again); the ones below are only read. Under overcommit Keel ends the guest
 * on the way.
 */
static void ept_test_touchall(void)
{
	u64 top = ALIGN_UP((u64)(uintptr_t)__image_end, EPT_PAGE);
	struct keel_guest_stats a = ept_stats(), b;
	u64 nonzero;

	print("touchall: touching 0x%llx pages\n", (unsigned long long)(env.mem / EPT_PAGE));
	nonzero = ept_claim_pages(top, env.mem - top);
	ept_read_pages(0, top);
	b = ept_stats();
	check_eq("touchall: pages above the image read zero (non-zero pages)", nonzero, 0);
	check_eq("touchall: every frame of RAM held (data frames)", b.data_frames,
		 env.mem / EPT_PAGE);
	/* With zeropage=on a read first maps the zero frame: that fault maps no leaf of RAM. */
	check_eq("touchall: one leaf per fault",
		 (b.leaves_4k + b.leaves_2m + b.leaves_1g + b.zero_faults) -
		     (a.leaves_4k + a.leaves_2m + a.leaves_1g + a.zero_faults),
		 b.ept_violations - a.ept_violations);
	check_eq("touchall: no spurious faults", b.spurious - a.spurious, 0);
}

/* --- main --- */

static const struct {
	const char *name;
	void (*run)(void);
} ept_tests[] = {
    {"count", ept_test_count},	     {"regions2m", ept_test_regions2m},
    {"zero", ept_test_zero},	     {"pattern", ept_test_pattern},
    {"unmap", ept_test_unmap},	     {"protect", ept_test_protect},
    {"badargs", ept_test_badargs},   {"nohc", ept_test_nohc},
    {"outside", ept_test_outside},   {"touchall", ept_test_touchall},
    {"rmap", ept_test_rmap},	     {"zeropage", ept_test_zeropage},
    {"readmost", ept_test_readmost}, {"workingset", ept_test_workingset},
    {"dirtylog", ept_test_dirtylog},
};

static bool ept_env_init(uintptr_t info, uintptr_t magic)
{
	const struct keel_boot_info *bi = (const struct keel_boot_info *)info;

	env.args = bootargs_keel(info, magic);
	if (!*env.args) {
		check_fail("boot info: no Keel boot info (magic 0x%llx)",
			   (unsigned long long)magic);
		return false;
	}
	env.mem = bi->mem_size;
	env.leaf = bootargs_has(env.args, "leaf", "2m") ? EPT_REGION : EPT_PAGE;
	env.base = ept_arg("base", ALIGN_UP((u64)(uintptr_t)__image_end, EPT_REGION));
	env.zeropage = bootargs_has(env.args, "zeropage", "1");
	return true;
}

/*
 * Spins for `ticks` TSC ticks. Guests that Keel schedules together use it to
 * start their work in a set order (the TSC runs on while others run).
 */
static void ept_delay(u64 ticks)
{
	u64 t0 = x86_rdtsc();

	while (x86_rdtsc() - t0 < ticks)
		__asm__ volatile("pause");
}

static void ept_print_stats(void)
{
	struct keel_guest_stats s = ept_stats();

	print("ept stats: violations %llu, leaves 4k %llu 2m %llu 1g %llu, fallbacks %llu, "
	      "spurious %llu\n",
	      (unsigned long long)s.ept_violations, (unsigned long long)s.leaves_4k,
	      (unsigned long long)s.leaves_2m, (unsigned long long)s.leaves_1g,
	      (unsigned long long)s.fallbacks, (unsigned long long)s.spurious);
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	idt_init();
	if (!ept_env_init(info, magic))
		return;
	(void)ept_stats(); /* warms every page the call touches */
	for (size_t i = 0; i < ARRAY_SIZE(ept_tests); i++) {
		if (!bootargs_has(env.args, "test", ept_tests[i].name))
			continue;
		print("ept: test=%s mem=0x%llx leaf=%s base=0x%llx\n", ept_tests[i].name,
		      (unsigned long long)env.mem, env.leaf == EPT_REGION ? "2m" : "4k",
		      (unsigned long long)env.base);
		ept_delay(ept_arg("delay", 0));
		ept_tests[i].run();
		ept_print_stats();
		return;
	}
	check_fail("arguments: no known test= in \"%s\"", env.args);
}
