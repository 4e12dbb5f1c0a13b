/*
 * Host tests for vm/gmem.c, a guest's memory through its EPT, with frames
 * from the real allocator core and accounts (mm/pmm_core.c,
 * mm/pmm_account.c) over a block of host memory that stands in for RAM:
 * the direct map's base (mm_direct_base) is the block's address, so a
 * "host-physical" address is an offset into it. The hardware gmem.c
 * touches is stubbed: INVEPT is counted, this_cpu() reads %gs:0 as in
 * Keel (the test points GS at a struct cpu of its own), and a single CPU
 * means no shootdowns.
 *
 * The fault-injection sweep: a miniature guest life (EPT root, the loader's
 * 2 MiB and 4 KiB pages, faults with a large page zeroed in pieces, a page
 * Keel maps outside RAM, an unmap and a protect that split 2 MiB leaves,
 * teardown) is run once for every N from 1 to one past the allocations it
 * makes, with the account's Nth allocation failing (struct pmm_account's
 * fail_at, what a guest's failalloc=N sets). Each run: the failing step
 * returns a status (never a CHECK), the same step retried succeeds, every
 * page written so far still reads back, and after gmem_destroy every frame
 * is back (the account holds none, the core's free count is what it was).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <asm/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch/x86/percpu.h"
#include "boot/options.h"
#include "mm/pmm.h"
#include "mm/rmap.h"
#include "vm/gmem.h"
#include "mm/zpool.h"
#include "vmx/vmx.h"

/* ---- what gmem.c links against, stubbed ---- */

u64 mm_direct_base;
struct rmap keel_rmap; /* block 0 only: the stand-in RAM is below 1 GiB */
struct vmx_caps vmx_caps;
struct keel_options keel_opts;
struct cpu cpu_table[CPU_MAX];
static unsigned invepts;

void inv_ept(u64 eptp, struct inv_stats *st)
{
	(void)eptp;
	invepts++;
	st->invept_single++;
}

void smp_kick(struct cpu *c)
{
	(void)c;
	fail_msg("smp_kick: no other CPU runs this guest");
}

/* ---- the allocator: the real core over a block of host memory ---- */

#define RAM_SIZE (64 * MiB)

static struct pmm_core core;
static struct zpool pool; /* off unless a test fills it (fill_pool) */
static void *meta, *ram;

enum pmm_account_status pmm_account_alloc_zeroed(struct pmm_account *a, enum pmm_kind kind,
						 u64 size, hpa_t *out, bool *zeroed)
{
	u64 pa = 0;
	enum pmm_account_status st =
	    pmm_core_account_alloc_pooled(&core, &pool, a, kind, size, &pa, zeroed);

	if (st == PMM_ACCOUNT_OK)
		*out = hpa(pa);
	return st;
}

/*
 * Fills the zero pool as an idle CPU would, its 2 MiB runs set to
 * `run_fill` instead of zero, so a test sees whether gmem zeroed them
 * again (its frames stay zero: EPT tables come from them too).
 */
static void fill_pool(u32 frames, u32 runs, u8 run_fill)
{
	u64 size, pa;

	zpool_drain(&pool, &core);
	zpool_init(&pool, frames, runs);
	while ((size = zpool_fill_next(&pool, &core))) {
		assert_true(zpool_fill_take(&pool, &core, size, &pa));
		memset(hpa_ptr(hpa(pa)), size == PMM_FRAME_SIZE ? 0 : run_fill, size);
		zpool_fill_put(&pool, &core, size, pa);
	}
	assert_int_equal(pool.frames, frames);
	assert_int_equal(pool.runs, runs);
}

static void empty_pool(void)
{
	zpool_drain(&pool, &core);
	zpool_init(&pool, 0, 0);
}

void pmm_account_free(struct pmm_account *a, enum pmm_kind kind, u64 size, hpa_t pa)
{
	u64 bad = 0;

	assert_int_equal(pmm_core_account_free(&core, a, kind, size, hpa_addr(pa), &bad), PMM_OK);
}

static int setup(void **state)
{
	(void)state;
	ram = aligned_alloc(2 * MiB, RAM_SIZE);
	meta = aligned_alloc(8, pmm_core_meta_size(RAM_SIZE));
	keel_rmap.block[0] = calloc(RMAP_BLOCK_SLOTS, sizeof(u64));
	assert_non_null(ram);
	assert_non_null(meta);
	assert_non_null(keel_rmap.block[0]);
	mm_direct_base = (u64)(uintptr_t)ram;
	pmm_core_init(&core, meta, RAM_SIZE);
	pmm_core_add_ram(&core, PMM_LOW_LIMIT, RAM_SIZE);
	vmx_caps = (struct vmx_caps){.maxphyaddr = 39, .ept_2m = true, .ept_1g = true};
	cpu_table[0].self = &cpu_table[0];
	assert_int_equal(syscall(SYS_arch_prctl, ARCH_SET_GS, (unsigned long)&cpu_table[0]), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(ram);
	free(meta);
	free(keel_rmap.block[0]);
	keel_rmap.block[0] = NULL;
	return 0;
}

/*
 * gmem_destroy, then what Keel leaves out for its time: a scan of the whole
 * reverse map for any slot still naming the guest's owner number.
 */
static void destroy(struct gmem *m)
{
	u16 owner = m->rmap_owner;

	gmem_destroy(m);
	assert_int_equal(rmap_count_owner(&keel_rmap, owner), 0);
}

/* ---- a miniature guest life ---- */

/*
 * The guest's RAM, largest leaf and frame limit. 8 MiB with 2 MiB leaves,
 * its limit what mem= needs; or 1 GiB with 1 GiB leaves under a 16 MiB
 * limit (maxmem=), where every 1 GiB attempt is refused at the limit and
 * 2 MiB pages follow; an injected failure of that attempt is a fallback.
 */
struct shape {
	u64 ram;
	unsigned level;
	u64 limit; /* frames; 0: what the RAM needs */
	bool zero; /* zero-page sharing, with its steps (16 MiB of RAM at least) */
};

/* The sweep's shared zero frame (a shape with zero set). */
static hpa_t sweep_zero;
#define APIC_GPA 0xFEE00000ULL

struct life {
	struct gmem m;
	struct pmm_account acct;
	hpa_t foreign; /* a frame Keel owns, mapped outside RAM */
	u64 written[16];
	unsigned nwritten;
	unsigned failed_steps;
	u64 fallbacks;
};

/* A distinct word for each page written. */
static u64 mark(u64 g)
{
	return 0x5eed000000000000ULL | g;
}

/* Every page written so far reads back its mark (through the EPT). */
static void check_written(struct life *l)
{
	for (unsigned i = 0; i < l->nwritten; i++) {
		u64 v = 0;

		assert_true(gmem_peek(&l->m, gpa(l->written[i]), &v, sizeof(v)));
		assert_int_equal(v, mark(l->written[i]));
	}
}

static void note_write(struct life *l, u64 g)
{
	u64 v = mark(g);

	assert_int_equal(gmem_write(&l->m, gpa(g), &v, sizeof(v)), GMEM_OK);
	l->written[l->nwritten++] = g;
}

/*
 * A step's status: OK, or the injected failure reported as GMEM_NOMEM
 * (then, with the failure spent, the step is tried once more and must
 * succeed). Returns the status of the last try.
 */
#define STEP(l, expr)                                                                              \
	do {                                                                                       \
		enum gmem_status s_ = (expr);                                                      \
		if (s_ != GMEM_OK) {                                                               \
			assert_int_equal(s_, GMEM_NOMEM);                                          \
			(l)->failed_steps++;                                                       \
			check_written(l);                                                          \
			s_ = (expr);                                                               \
		}                                                                                  \
		assert_int_equal(s_, GMEM_OK);                                                     \
		check_written(l);                                                                  \
	} while (0)

/* gmem_fault until it maps (AGAIN while a large page is zeroed, which `until` 0 makes happen). */
static enum gmem_status fault(struct life *l, u64 g)
{
	enum gmem_status s;
	unsigned rounds = 0;

	do {
		s = gmem_fault(&l->m, g, 0, true);
		assert_true(++rounds < 100);
	} while (s == GMEM_AGAIN);
	return s;
}

static enum gmem_status write_at(struct life *l, u64 g)
{
	u64 v = mark(g);
	enum gmem_status s = gmem_write(&l->m, gpa(g), &v, sizeof(v));

	if (s == GMEM_OK)
		l->written[l->nwritten++] = g;
	return s;
}

/* gmem_cow until it maps (AGAIN while a promotion's 2 MiB is zeroed), then a mark. */
static enum gmem_status cow_and_mark(struct life *l, u64 g)
{
	enum gmem_status s;
	unsigned rounds = 0;

	do {
		s = gmem_cow(&l->m, g, 0);
		assert_true(++rounds < 100);
	} while (s == GMEM_AGAIN);
	if (s == GMEM_OK)
		note_write(l, g);
	return s;
}

static enum gmem_status fault_and_mark(struct life *l, u64 g)
{
	enum gmem_status s = fault(l, g);

	if (s == GMEM_OK)
		note_write(l, g);
	return s;
}

/*
 * The life, with the account's fail_at-th allocation failing (0: none) and
 * `foreign` the page it maps above RAM. Returns the allocations it made.
 */
static u64 live(const struct shape *sh, u64 fail_at, hpa_t foreign, struct life *l)
{
	u64 free_before;
	u64 limit = sh->limit ? sh->limit
			      : sh->ram / PAGE_SIZE + pt_tables_for(sh->ram) + GMEM_FOREIGN_TABLES;
	u64 allocs;
	bool made;

	if (pool.want_frames || pool.want_runs) /* each life starts with the pool full */
		fill_pool(pool.want_frames, pool.want_runs, 0);
	/* The pool's frames are out of the core until the guest takes and frees them. */
	free_before = core.count[PMM_FREE] + zpool_held(&pool);
	memset(l, 0, sizeof(*l));
	l->foreign = foreign;
	assert_true(pmm_core_account_open(&core, &l->acct, limit));
	l->acct.fail_at = fail_at;
	/* The EPT root: a failure here is the guest's "no memory for its EPT". */
	made = gmem_init(&l->m, sh->ram, sh->level, &l->acct);
	if (!made) {
		assert_int_equal(l->acct.held, 0);
		l->failed_steps++;
		made = gmem_init(&l->m, sh->ram, sh->level, &l->acct);
	}
	assert_true(made);
	if (sh->zero)
		gmem_zero_sharing(&l->m, sweep_zero);
	/* The loader: a 2 MiB leaf (falls back to 4 KiB ones), then more pages of it. */
	STEP(l, write_at(l, 0x100000));
	STEP(l, write_at(l, 0x1ff000));
	gmem_run(&l->m);
	/* Faults: a 2 MiB page zeroed in pieces, and another. */
	STEP(l, fault_and_mark(l, 0x400000));
	STEP(l, fault_and_mark(l, 0x600000));
	/* Keel's own write into a region not yet mapped (string I/O, a hypercall buffer). */
	STEP(l, write_at(l, 0x203000));
	/* A page Keel owns, mapped above RAM (the APIC-access page): its own tables. */
	STEP(l, gmem_map_foreign(&l->m, gpa(APIC_GPA), l->foreign));
	/* An unmap and a protect inside 2 MiB leaves: each split needs a table. */
	STEP(l, gmem_unmap(&l->m, gpa(0x401000), PAGE_SIZE));
	STEP(l, gmem_protect(&l->m, gpa(0x602000), PAGE_SIZE, PT_PERM_R));
	check_written(l);
	/* The unmapped page faults in again as a fresh zero page. */
	STEP(l, fault(l, 0x401000));
	{
		u64 v = 1;

		assert_true(gmem_peek(&l->m, gpa(0x401000), &v, sizeof(v)));
		assert_int_equal(v, 0);
	}
	if (sh->zero) {
		u64 v, fb;

		/* Reads map the zero frame (tables may fail); a write promotes the region. */
		STEP(l, gmem_fault(&l->m, 0x800000, 0, false));
		STEP(l, gmem_read(&l->m, gpa(0x801000), &v, sizeof(v)));
		fb = l->m.stats.fallbacks;
		STEP(l, cow_and_mark(l, 0x801000));
		/* promoted, or its 2 MiB run failed and the page was copied at 4 KiB */
		assert_int_equal(l->m.stats.promotions + l->m.stats.fallbacks - fb, 1);
		/* A region Keel writes into first: 4 KiB copies, no promotion. */
		STEP(l, gmem_fault(&l->m, 0xA00000, 0, false));
		STEP(l, gmem_fault(&l->m, 0xA01000, 0, false));
		STEP(l, write_at(l, 0xA00000));
		STEP(l, cow_and_mark(l, 0xA01000));
		assert_int_equal(l->m.stats.cow + l->m.stats.promotions, 3);
	}
	assert_int_equal(gmem_unmap_foreign(&l->m, gpa(APIC_GPA)), GMEM_OK);
	l->fallbacks = l->m.stats.fallbacks;
	allocs = l->acct.allocs;
	destroy(&l->m);
	assert_int_equal(l->acct.held, 0);
	assert_true(pmm_core_account_close(&core, &l->acct));
	assert_int_equal(core.count[PMM_FREE] + zpool_held(&pool), free_before);
	return allocs;
}

static void sweep(const struct shape *sh)
{
	struct life *l = calloc(1, sizeof(*l));
	u64 pa = 0, total, with_fallback = 0;

	assert_non_null(l);
	assert_true(pmm_core_alloc_frame(&core, &pa));
	if (sh->zero) {
		u64 z = 0;

		assert_true(pmm_core_alloc_frame(&core, &z));
		memset(hpa_ptr(hpa(z)), 0, PAGE_SIZE);
		sweep_zero = hpa(z);
	}
	total = live(sh, 0, hpa(pa), l);
	assert_int_equal(l->failed_steps, 0);
	assert_int_equal(l->fallbacks, 0);
	assert_true(total > 10);
	for (u64 n = 1; n <= total + 1; n++) {
		live(sh, n, hpa(pa), l);
		/* One failure: a step reported it, or a large page fell back to small ones. */
		if (n <= total)
			assert_int_equal(l->failed_steps + l->fallbacks, 1);
		else
			assert_int_equal(l->failed_steps + l->fallbacks, 0);
		with_fallback += l->fallbacks;
	}
	print_message("gmem life, %lu MiB up to level %u: %lu allocations, each failed in turn "
		      "(%lu fell back)\n",
		      (unsigned long)(sh->ram / MiB), sh->level, (unsigned long)total,
		      (unsigned long)with_fallback);
	/* The loader's and both faults' large runs fell back, and tables of theirs. */
	assert_true(with_fallback >= 3);
	assert_int_equal(pmm_core_free_frame(&core, pa), PMM_OK);
	if (sh->zero) {
		for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
			assert_int_equal(((const u64 *)hpa_ptr(sweep_zero))[i], 0);
		assert_int_equal(pmm_core_free_frame(&core, hpa_addr(sweep_zero)), PMM_OK);
	}
	free(l);
}

static void test_every_allocation_fails_in_turn(void **state)
{
	const struct shape sh = {8 * MiB, 2, 0, false};

	(void)state;
	sweep(&sh);
}

static void test_every_allocation_fails_in_turn_1g(void **state)
{
	const struct shape sh = {GiB, 3, 4096, false};

	(void)state;
	sweep(&sh);
}

/*
 * With zero-page sharing: reads that map the zero frame, a write that
 * promotes a region (its 2 MiB run may fail: 4 KiB copies then), Keel's
 * write and a guest's write copying at 4 KiB; every allocation fails in
 * turn as before, and the zero frame is never written.
 */
static void test_every_allocation_fails_in_turn_zero(void **state)
{
	const struct shape sh = {16 * MiB, 2, 0, true};

	(void)state;
	sweep(&sh);
}

/* The same with a warm zero pool: its frames and runs are charged and fail like any other. */
static void test_every_allocation_fails_in_turn_pooled(void **state)
{
	const struct shape sh = {8 * MiB, 2, 0, false};

	(void)state;
	fill_pool(64, 2, 0);
	sweep(&sh);
	empty_pool();
}

/*
 * A first touch maps what the pool gave as it is (the pool zeroed it: the
 * fault path must not zero it again), and counts it; with the pool empty
 * or off the fault path zeroes. Frames the pool gave are the guest's:
 * charged to its account and freed back to the core at its end.
 */
static void test_pool_frames_map_as_they_are(void **state)
{
	struct pmm_account acct;
	struct gmem m;
	u64 free_before = core.count[PMM_FREE], v = 0;

	(void)state;
	fill_pool(4, 1, 0xA5); /* not zero: shows which frames were zeroed again */
	assert_true(pmm_core_account_open(&core, &acct, 2048));
	assert_true(gmem_init(&m, 8 * MiB, 2, &acct)); /* the EPT root: a pool frame */
	assert_int_equal(m.stats.prezeroed[1], 1);
	gmem_run(&m);
	/* a 2 MiB fault: the pool's run, mapped at once (no AGAIN, nothing zeroed) */
	assert_int_equal(gmem_fault(&m, 0x200000, 0, true), GMEM_OK);
	assert_true(gmem_peek(&m, gpa(0x200000), &v, sizeof(v)));
	assert_int_equal(v, 0xA5A5A5A5A5A5A5A5ULL);
	assert_int_equal(m.stats.prezeroed[0], 1);
	assert_int_equal(m.stats.fill_resumes, 0);
	/* the next 2 MiB region: the pool has no run left, so it is zeroed (in pieces) */
	for (unsigned i = 0; i < 100 && gmem_fault(&m, 0x400000, 0, true) == GMEM_AGAIN; i++)
		;
	assert_true(gmem_peek(&m, gpa(0x400000), &v, sizeof(v)));
	assert_int_equal(v, 0);
	assert_int_equal(pool.st.misses[1], 1);
	destroy(&m);
	assert_int_equal(acct.held, 0);
	assert_true(pmm_core_account_close(&core, &acct));
	empty_pool();
	assert_int_equal(core.count[PMM_FREE], free_before);
}

/*
 * A fault on a page another vCPU mapped since the CPU walked: gmem_fault
 * says EXISTS without taking a run or leaving a fill in progress (a fill
 * left behind for a mapped region would send every other region's faults
 * to 4 KiB pages), and a 4 KiB one gives its frame back.
 */
static void test_fault_on_mapped_page(void **state)
{
	struct pmm_account acct;
	struct gmem m;
	u64 allocs, held;

	(void)state;
	assert_true(pmm_core_account_open(&core, &acct, 4096));
	assert_true(gmem_init(&m, 8 * MiB, 2, &acct));
	gmem_run(&m);
	for (unsigned i = 0; i < 100 && gmem_fault(&m, 0x200000, 0, true) == GMEM_AGAIN; i++)
		;
	assert_int_equal(m.stats.leaves[2], 1);
	allocs = acct.allocs;
	held = acct.held;
	assert_int_equal(gmem_fault(&m, 0x3ff000, 0, true), GMEM_EXISTS);
	assert_int_equal(acct.allocs, allocs); /* no run taken */
	assert_false(gmem_filling(&m, 0x3ff000));
	assert_int_equal(hpa_addr(m.fill.run), 0);
	/* the next region still gets its 2 MiB leaf */
	for (unsigned i = 0; i < 100 && gmem_fault(&m, 0x400000, 0, true) == GMEM_AGAIN; i++)
		;
	assert_int_equal(m.stats.leaves[2], 2);
	assert_int_equal(m.stats.leaves[1], 0);
	destroy(&m);
	/* 4 KiB leaves only: the frame taken for the lost race goes back */
	assert_true(gmem_init(&m, 8 * MiB, 1, &acct));
	gmem_run(&m);
	assert_int_equal(gmem_fault(&m, 0x5000, 0, true), GMEM_OK);
	held = acct.held;
	assert_int_equal(gmem_fault(&m, 0x5000, 0, true), GMEM_EXISTS);
	assert_int_equal(acct.held, held);
	destroy(&m);
	assert_int_equal(acct.held, 0);
	assert_true(pmm_core_account_close(&core, &acct));
}

/* Mapped (through the EPT) or not. */
static bool mapped(struct gmem *m, u64 g)
{
	u64 v;

	return gmem_peek(m, gpa(g), &v, sizeof(v));
}

/*
 * Fault-around (4 KiB leaves): the window doubles from 1 to 16 pages while
 * the faults stay sequential, resets at one that is not, stops at its
 * 2 MiB's end and never maps for an overcommitted guest.
 */
static void test_fault_around(void **state)
{
	struct pmm_account acct;
	struct gmem m;
	/* sequential faults land on 0, 1, 3, 6, 11, 20, 37: the windows 0, 1, 2, 4, 8, 16, 16 */
	static const u64 faults[] = {0, 1, 3, 6, 11, 20, 37};
	u64 base = 0x200000;

	(void)state;
	assert_true(pmm_core_account_open(&core, &acct, 8 * MiB / PAGE_SIZE + 64));
	assert_true(gmem_init(&m, 8 * MiB, 1, &acct));
	gmem_run(&m);
	gmem_fault_around(&m, 100); /* capped */
	assert_int_equal(m.around.max, GMEM_AROUND_MAX);
	for (unsigned i = 0; i < ARRAY_SIZE(faults); i++) {
		assert_false(mapped(&m, base + faults[i] * PAGE_SIZE));
		assert_int_equal(gmem_fault(&m, base + faults[i] * PAGE_SIZE + 8, 0, true),
				 GMEM_OK);
	}
	for (u64 p = 0; p <= 53; p++) /* the last window: 38 to 53 */
		assert_true(mapped(&m, base + p * PAGE_SIZE));
	assert_false(mapped(&m, base + 54 * PAGE_SIZE));
	assert_int_equal(m.stats.around, 1 + 2 + 4 + 8 + 16 + 16);
	assert_int_equal(m.around.sequential, 6);
	assert_int_equal(m.data_frames, 54);
	/* another page: the window starts again; the 2 MiB's end stops it */
	assert_int_equal(gmem_fault(&m, base + 0x1FE000, 0, true), GMEM_OK);
	assert_int_equal(gmem_fault(&m, base + 0x1FF000, 0, true),
			 GMEM_OK); /* sequential, at the end */
	assert_false(mapped(&m, base + 0x200000));
	assert_int_equal(m.stats.around, 47);
	destroy(&m);
	assert_int_equal(acct.held, 0);
	assert_true(pmm_core_account_close(&core, &acct));
	/* overcommitted (a limit below its RAM): sequential faults map only themselves */
	assert_true(pmm_core_account_open(&core, &acct, 64));
	assert_true(gmem_init(&m, 8 * MiB, 1, &acct));
	gmem_run(&m);
	gmem_fault_around(&m, GMEM_AROUND_MAX);
	for (u64 p = 0; p < 8; p++)
		assert_int_equal(gmem_fault(&m, base + p * PAGE_SIZE, 0, true), GMEM_OK);
	assert_int_equal(m.stats.around, 0);
	assert_int_equal(m.data_frames, 8);
	destroy(&m);
	assert_true(pmm_core_account_close(&core, &acct));
}

/* ---- zero-page sharing ---- */

/* A frame of zeros from the core, as vm.c takes the shared zero frame. */
static hpa_t zero_frame_new(void)
{
	u64 pa = 0;

	assert_true(pmm_core_alloc_frame(&core, &pa));
	memset(hpa_ptr(hpa(pa)), 0, PAGE_SIZE);
	return hpa(pa);
}

/* The zero frame is still all zero: no path wrote through a zero mapping. */
static void expect_zero_frame(hpa_t z)
{
	const u64 *q = hpa_ptr(z);

	for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
		assert_int_equal(q[i], 0);
}

/*
 * A guest memory with zero-page sharing for the tests below: 8 MiB of RAM
 * with leaves up to `level`, under a 4,096-frame account, its own zero
 * frame; not running yet (gmem_run). zero_life_end checks that the end
 * gives every frame back and leaves the zero frame taken and all zero.
 */
struct zero_life {
	struct pmm_account acct;
	struct gmem m;
	hpa_t z;
};

static void zero_life_begin(struct zero_life *l, unsigned level)
{
	l->z = zero_frame_new();
	assert_true(pmm_core_account_open(&core, &l->acct, 4096));
	assert_true(gmem_init(&l->m, 8 * MiB, level, &l->acct));
	gmem_zero_sharing(&l->m, l->z);
}

static void zero_life_end(struct zero_life *l)
{
	expect_zero_frame(l->z);
	destroy(&l->m);
	assert_int_equal(l->m.zero_maps, 0);
	assert_int_equal(l->acct.held, 0);
	assert_true(pmm_core_account_close(&core, &l->acct));
	assert_int_equal(pmm_core_state(&core, hpa_addr(l->z)), PMM_USED);
	expect_zero_frame(l->z);
	assert_int_equal(pmm_core_free_frame(&core, hpa_addr(l->z)), PMM_OK);
}

/* The host frame page g maps (it must be mapped). */
static u64 frame_of(struct gmem *m, u64 g)
{
	struct pt_walk w;

	assert_true(pt_lookup(&m->ept, g, &w));
	return ALIGN_DOWN(hpa_addr(w.pa), PAGE_SIZE);
}

static enum gmem_status cow(struct gmem *m, u64 g)
{
	enum gmem_status s;
	unsigned rounds = 0;

	do {
		s = gmem_cow(m, g, 0);
		assert_true(++rounds < 100);
	} while (s == GMEM_AGAIN);
	return s;
}

/*
 * 4 KiB leaves: reads of never-written pages (the guest's faults and
 * Keel's own reads) map the one zero frame read and execute only and take
 * no frame; a write (the guest's, or Keel's) gives the page a zeroed frame
 * of its own with one INVEPT, recorded in the reverse map; a protect never
 * makes the zero frame writable; an unmap or the guest's end drops its
 * mappings and never frees it.
 */
static void test_zero_page_4k(void **state)
{
	struct zero_life l;
	struct gmem *m = &l.m;
	u64 base = 0x200000, v = 1, tables, inv, own;
	struct gmem *owner;
	struct pt_walk w;
	unsigned level;
	gpa_t at;

	(void)state;
	zero_life_begin(&l, 1);
	gmem_run(m);
	for (u64 p = 0; p < 4; p++)
		assert_int_equal(gmem_fault(m, base + p * PAGE_SIZE, 0, false), GMEM_OK);
	assert_int_equal(gmem_read(m, gpa(base + 4 * PAGE_SIZE + 8), &v, sizeof(v)), GMEM_OK);
	assert_int_equal(v, 0);
	assert_int_equal(m->zero_maps, 5);
	assert_int_equal(m->stats.zero_faults, 4);
	assert_int_equal(m->data_frames, 0);
	tables = gmem_table_pages(m);
	assert_int_equal(l.acct.held, tables); /* tables only: no data frame */
	for (u64 p = 0; p < 5; p++) {
		assert_true(pt_lookup(&m->ept, base + p * PAGE_SIZE, &w));
		assert_int_equal(hpa_addr(w.pa), hpa_addr(l.z));
		assert_int_equal(w.perms, PT_PERM_RX);
	}
	assert_false(gmem_frame_owner(l.z, &owner, &at, &level)); /* not in the reverse map */
	/* a protect asking for everything: still no W on the zero frame */
	assert_int_equal(gmem_protect(m, gpa(base), 5 * PAGE_SIZE, PT_PERM_RWX), GMEM_OK);
	assert_true(pt_lookup(&m->ept, base, &w));
	assert_int_equal(w.perms, PT_PERM_RX);
	/* the guest's write: copy-on-write of zero, with INVEPT */
	inv = invepts;
	assert_int_equal(cow(m, base + PAGE_SIZE + 16), GMEM_OK);
	assert_int_equal(invepts, inv + 1);
	own = frame_of(m, base + PAGE_SIZE);
	assert_true(own != hpa_addr(l.z));
	assert_true(pt_lookup(&m->ept, base + PAGE_SIZE, &w));
	assert_int_equal(w.perms, PT_PERM_RWX);
	assert_int_equal(m->stats.cow, 1);
	assert_int_equal(m->zero_maps, 4);
	assert_int_equal(m->data_frames, 1);
	assert_true(gmem_frame_owner(hpa(own), &owner, &at, &level));
	assert_ptr_equal(owner, m);
	assert_int_equal(gpa_addr(at), base + PAGE_SIZE);
	assert_true(gmem_peek(m, gpa(base + PAGE_SIZE), &v, sizeof(v)));
	assert_int_equal(v, 0);
	/* a page with a frame of its own is no zero page: nothing to do */
	assert_int_equal(gmem_cow(m, base + PAGE_SIZE, 0), GMEM_EXISTS);
	assert_int_equal(gmem_cow(m, base + 7 * PAGE_SIZE, 0), GMEM_EXISTS); /* unmapped */
	/* Keel's write into a zero page: a frame of its own too, the zero frame untouched */
	v = 0x1234;
	assert_int_equal(gmem_write(m, gpa(base + 2 * PAGE_SIZE + 8), &v, sizeof(v)), GMEM_OK);
	assert_true(frame_of(m, base + 2 * PAGE_SIZE) != hpa_addr(l.z));
	assert_int_equal(m->stats.cow, 2);
	v = 0;
	assert_int_equal(gmem_read(m, gpa(base + 2 * PAGE_SIZE + 8), &v, sizeof(v)), GMEM_OK);
	assert_int_equal(v, 0x1234);
	expect_zero_frame(l.z);
	/* an unmap drops a zero mapping and frees nothing */
	assert_int_equal(gmem_unmap(m, gpa(base), PAGE_SIZE), GMEM_OK);
	assert_int_equal(m->zero_maps, 2);
	assert_int_equal(pmm_core_state(&core, hpa_addr(l.z)), PMM_USED);
	zero_life_end(&l);
}

/*
 * 2 MiB leaves: reads map the zero frame at 4 KiB; the first write in a
 * region that maps nothing else (a fault on an unmapped page, or on a
 * zero page) replaces the region's zero mappings by one 2 MiB leaf, its
 * table freed after the INVEPT (a promotion). A region that holds a frame
 * of its own stays at 4 KiB.
 */
static void test_zero_page_promotion(void **state)
{
	struct zero_life l;
	struct gmem *m = &l.m;
	u64 r1 = 0x200000, r2 = 0x400000, r3 = 0x600000, tables, inv, v;
	struct pt_walk w;

	(void)state;
	zero_life_begin(&l, 2);
	gmem_run(m);
	for (u64 r = r1; r <= r3; r += 2 * MiB)
		for (u64 p = 0; p < 3; p++)
			assert_int_equal(gmem_fault(m, r + p * 0x10000, 0, false), GMEM_OK);
	assert_int_equal(m->zero_maps, 9);
	tables = gmem_table_pages(m);
	/* region 1: a write to a zero page promotes */
	inv = invepts;
	assert_int_equal(cow(m, r1 + 0x10000), GMEM_OK);
	assert_true(pt_lookup(&m->ept, r1 + 0x10000, &w));
	assert_int_equal(w.level, 2);
	assert_int_equal(w.perms, PT_PERM_RWX);
	assert_int_equal(m->stats.promotions, 1);
	assert_int_equal(m->stats.cow, 0);
	assert_int_equal(m->zero_maps, 6);
	assert_int_equal(gmem_table_pages(m), tables - 1);
	assert_true(invepts > inv);
	assert_true(gmem_peek(m, gpa(r1), &v, sizeof(v)));
	assert_int_equal(v, 0);
	/* region 2: a write fault on a page not mapped yet promotes as well */
	assert_int_equal(cow(m, r2 + 0x30000), GMEM_EXISTS); /* not a zero page */
	{
		enum gmem_status s;
		unsigned rounds = 0;

		while ((s = gmem_fault(m, r2 + 0x30000, 0, true)) == GMEM_AGAIN)
			assert_true(++rounds < 100);
		assert_int_equal(s, GMEM_OK);
	}
	assert_true(pt_lookup(&m->ept, r2, &w));
	assert_int_equal(w.level, 2);
	assert_int_equal(m->stats.promotions, 2);
	assert_int_equal(m->zero_maps, 3);
	/* region 3: Keel's write gives one page a frame of its own: no promotion after */
	v = 7;
	assert_int_equal(gmem_write(m, gpa(r3 + 0x10000), &v, sizeof(v)), GMEM_OK);
	assert_int_equal(cow(m, r3), GMEM_OK);
	assert_true(pt_lookup(&m->ept, r3, &w));
	assert_int_equal(w.level, 1);
	assert_int_equal(m->stats.promotions, 2);
	assert_int_equal(m->stats.cow, 2);
	assert_int_equal(m->zero_maps, 1);
	assert_int_equal(m->data_frames, 2 * 512 + 2);
	zero_life_end(&l);
}

/* Runs reclaim steps (the guest idle: `ran` fixed) until one says there is nothing to do. */
static unsigned reclaim_all(struct gmem *m, u64 ran, unsigned budget)
{
	unsigned steps = 0;

	while (gmem_reclaim_step(m, ran, budget))
		assert_true(++steps < 100000);
	return steps;
}

/*
 * Reclaim, 4 KiB leaves: pages written then cleared go back (the zero
 * frame in their place, one INVEPT per batch before the frames are
 * freed); pages with data stay; a pass over an idle guest is not made
 * twice; once the guest ran, the next pass finds what it cleared since.
 */
static void test_reclaim_4k(void **state)
{
	struct zero_life l;
	struct gmem *m = &l.m;
	u64 base = 0x200000, v = 0, frames, inv;
	struct pt_walk w;

	(void)state;
	zero_life_begin(&l, 1);
	gmem_run(m);
	for (u64 p = 0; p < 40; p++) {
		v = p % 4 ? 0 : 0xABC0 + p; /* every fourth page keeps a word */
		assert_int_equal(gmem_write(m, gpa(base + p * PAGE_SIZE + 4088), &v, sizeof(v)),
				 GMEM_OK);
	}
	frames = m->data_frames;
	assert_int_equal(frames, 40);
	inv = invepts;
	/* steps of at most 16 frames' worth of loads: 30 frames back in 2 or 3 INVEPTs */
	assert_true(reclaim_all(m, 1, 16 * PAGE_SIZE / 8) > 1);
	assert_int_equal(m->reclaim.returned, 30);
	assert_int_equal(m->data_frames, 10);
	assert_int_equal(m->zero_maps, 30);
	assert_int_equal(m->reclaim.passes, 1);
	assert_true(invepts - inv >= 2 && invepts - inv <= 3); /* one per step that freed */
	assert_int_equal(l.acct.held, gmem_table_pages(m) + 10);
	for (u64 p = 0; p < 40; p++) {
		assert_true(gmem_peek(m, gpa(base + p * PAGE_SIZE + 4088), &v, sizeof(v)));
		assert_int_equal(v, p % 4 ? 0 : 0xABC0 + p);
		assert_true(pt_lookup(&m->ept, base + p * PAGE_SIZE, &w));
		assert_int_equal(gmem_is_zero(m, w.pa), p % 4 != 0);
	}
	/* idle since the pass: nothing to do */
	assert_false(gmem_reclaim_step(m, 1, PAGE_SIZE / 8));
	/* the guest runs and clears a page it kept: the next pass takes it */
	v = 0;
	assert_int_equal(gmem_write(m, gpa(base + 4 * PAGE_SIZE + 4088), &v, sizeof(v)), GMEM_OK);
	reclaim_all(m, 2, PAGE_SIZE / 8);
	assert_int_equal(m->reclaim.returned, 31);
	assert_int_equal(m->reclaim.passes, 2);
	zero_life_end(&l);
}

/*
 * Reclaim, 2 MiB leaves: a leaf all zero is unmapped whole (512 frames
 * back); one with a word in its last page stays; a leaf whose check the
 * guest interrupts by running is checked again from its first page, so a
 * word written behind the scan keeps the leaf.
 */
static void test_reclaim_2m(void **state)
{
	struct zero_life l;
	struct gmem *m = &l.m;
	u64 r1 = 0x200000, r2 = 0x400000, r3 = 0x600000, v = 7;
	struct pt_walk w;

	(void)state;
	zero_life_begin(&l, 2);
	/* three 2 MiB leaves (Keel's writes before the guest runs map large ones) */
	assert_int_equal(gmem_write(m, gpa(r1), &v, sizeof(v)), GMEM_OK);
	assert_int_equal(gmem_write(m, gpa(r2 + 2 * MiB - 8), &v, sizeof(v)), GMEM_OK);
	assert_int_equal(gmem_write(m, gpa(r3 + 2 * MiB - 8), &v, sizeof(v)), GMEM_OK);
	gmem_run(m);
	v = 0;
	assert_int_equal(gmem_write(m, gpa(r1), &v, sizeof(v)), GMEM_OK); /* r1 all zero again */
	assert_true(pt_lookup(&m->ept, r1, &w));
	assert_int_equal(w.level, 2);
	/* start a pass and stop inside r3 ... */
	while (m->reclaim.cursor <= r3 + 16 * PAGE_SIZE)
		assert_true(gmem_reclaim_step(m, 1, PAGE_SIZE / 8));
	assert_int_equal(m->reclaim.returned, 512); /* r1 */
	assert_false(pt_lookup(&m->ept, r1, &w));
	/* ... r3 clears its last page and runs: its check starts over, and the leaf goes */
	assert_int_equal(gmem_write(m, gpa(r3 + 2 * MiB - 8), &v, sizeof(v)), GMEM_OK);
	reclaim_all(m, 2, PAGE_SIZE / 8);
	assert_int_equal(m->reclaim.returned, 1024);
	assert_false(pt_lookup(&m->ept, r3, &w));
	assert_true(pt_lookup(&m->ept, r2, &w)); /* a word in its last page */
	/* the guest ran: a new pass, stopped inside r2; a word written behind the scan keeps r2 */
	while (m->reclaim.cursor <= r2 + 16 * PAGE_SIZE)
		assert_true(gmem_reclaim_step(m, 3, PAGE_SIZE / 8));
	v = 0;
	assert_int_equal(gmem_write(m, gpa(r2 + 2 * MiB - 8), &v, sizeof(v)), GMEM_OK);
	v = 9;
	assert_int_equal(gmem_write(m, gpa(r2 + PAGE_SIZE), &v, sizeof(v)), GMEM_OK);
	reclaim_all(m, 4, PAGE_SIZE / 8);
	assert_true(pt_lookup(&m->ept, r2, &w));
	assert_int_equal(m->reclaim.returned, 1024);
	zero_life_end(&l);
}

/*
 * The dirty log's pure part. Write protection: start leaves all of RAM
 * read/execute only; a page is noted once; past GMEM_DIRTY_MAX pages are
 * counted as overflow; rearm forgets them and protects again. PML: the
 * log page comes from the account and goes back at stop; draining takes
 * entries from the index given up, drops their low 12 bits and what lies
 * outside RAM.
 */
static void test_dirty_log(void **state)
{
	struct pmm_account acct;
	struct gmem m;
	u64 v = 1, held, *log;
	struct pt_walk w;

	(void)state;
	assert_true(pmm_core_account_open(&core, &acct, 4096));
	assert_true(gmem_init(&m, 8 * MiB, 1, &acct));
	gmem_run(&m);
	for (u64 p = 0; p < 4; p++)
		assert_int_equal(gmem_write(&m, gpa(0x200000 + p * PAGE_SIZE), &v, sizeof(v)),
				 GMEM_OK);
	assert_int_equal(gmem_dirty_start(&m, false), GMEM_OK);
	assert_int_equal(gmem_dirty_start(&m, false), GMEM_EXISTS);
	assert_true(pt_lookup(&m.ept, 0x201000, &w));
	assert_int_equal(w.perms, PT_PERM_RX);
	gmem_dirty_note(&m, 0x201008);
	gmem_dirty_note(&m, 0x201ff0);
	gmem_dirty_note(&m, 0x203000);
	assert_int_equal(m.dirty.count, 2);
	assert_int_equal(*gmem_dirty_entry(&m.dirty, 0), 0x201000);
	for (u64 p = 0; p < GMEM_DIRTY_MAX + 5; p++)
		gmem_dirty_note(&m, 0x400000 + p * PAGE_SIZE);
	assert_int_equal(m.dirty.count, GMEM_DIRTY_MAX);
	assert_int_equal(m.dirty.overflow, 7);
	assert_int_equal(gmem_restore(&m, gpa(0x202000)), GMEM_OK); /* a write fault's answer */
	gmem_dirty_rearm(&m);
	assert_int_equal(m.dirty.count, 0);
	assert_int_equal(m.dirty.overflow, 0);
	assert_true(pt_lookup(&m.ept, 0x202000, &w));
	assert_int_equal(w.perms, PT_PERM_RX);
	gmem_dirty_stop(&m);
	assert_int_equal(m.dirty.mode, GMEM_DIRTY_OFF);
	/* PML */
	gmem_track_ad(&m);
	held = acct.held;
	assert_int_equal(gmem_dirty_start(&m, true), GMEM_OK);
	assert_int_equal(m.dirty.mode, GMEM_DIRTY_PML);
	assert_int_equal(acct.held, held + 1 + GMEM_DIRTY_FRAMES); /* the log page and the list */
	log = hpa_ptr(m.dirty.pml);
	log[509] = 0x300123;	     /* an offset in it */
	log[510] = 8 * MiB + 0x1000; /* past RAM */
	log[511] = 0x201000;
	gmem_dirty_drain(&m, 509);
	assert_int_equal(m.dirty.count, 2);
	assert_int_equal(*gmem_dirty_entry(&m.dirty, 0), 0x300000);
	assert_int_equal(*gmem_dirty_entry(&m.dirty, 1), 0x201000);
	destroy(&m); /* stops the log: its page goes back too */
	assert_int_equal(acct.held, 0);
	assert_true(pmm_core_account_close(&core, &acct));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_allocation_fails_in_turn),
	    cmocka_unit_test(test_every_allocation_fails_in_turn_1g),
	    cmocka_unit_test(test_every_allocation_fails_in_turn_zero),
	    cmocka_unit_test(test_every_allocation_fails_in_turn_pooled),
	    cmocka_unit_test(test_pool_frames_map_as_they_are),
	    cmocka_unit_test(test_fault_on_mapped_page),
	    cmocka_unit_test(test_fault_around),
	    cmocka_unit_test(test_zero_page_4k),
	    cmocka_unit_test(test_zero_page_promotion),
	    cmocka_unit_test(test_reclaim_4k),
	    cmocka_unit_test(test_reclaim_2m),
	    cmocka_unit_test(test_dirty_log),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
