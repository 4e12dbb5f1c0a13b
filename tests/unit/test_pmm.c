/*
 * Host tests for mm/pmm_core.c: the frame allocator over fake memory maps.
 * The core only keeps metadata, so no memory stands in for the frames; after
 * every test the metadata is re-derived from the state bits and compared.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "lib/panic.h"
#include "mm/pmm.h"
#include "mm/zpool.h"

#define FRAME PMM_FRAME_SIZE
#define CHUNK PMM_CHUNK_SIZE

static struct pmm_core p;
static void *meta;

/* A PC-like map: [0, 640K) and [1M, ram_end) RAM, the BIOS area not RAM. */
static void setup_pc(u64 ram_end)
{
	free(meta);
	meta = malloc(pmm_core_meta_size(ram_end));
	memset(meta, 0xa5, pmm_core_meta_size(ram_end)); /* init must clear it */
	pmm_core_init(&p, meta, ram_end);
	pmm_core_add_ram(&p, 0, 0xa0000);
	pmm_core_add_ram(&p, 1 * MiB, ram_end);
	pmm_core_exclude(&p, 0xf0000, 0x100000);
}

static int teardown(void **state)
{
	free(meta);
	meta = NULL;
	return 0;
}

/* Recomputes every count and list from the state bits and compares. */
static void check_invariants(void)
{
	u64 chunks = p.limit / CHUNK, count[4] = {0};
	u64 on_list[PMM_LIST_COUNT] = {0};

	for (u64 c = 0; c < chunks; c++) {
		u32 free = 0;

		for (u64 f = 0; f < PMM_FRAMES_PER_2M; f++) {
			enum pmm_frame_state s = pmm_core_state(&p, c * CHUNK + f * FRAME);

			count[s]++;
			free += s == PMM_FREE;
		}
		assert_int_equal(p.chunks[c].free, free);
		u8 want = free == 512 ? PMM_LIST_WHOLE : free ? PMM_LIST_PARTIAL : PMM_LIST_NONE;
		assert_int_equal(p.chunks[c].list, want);
	}
	for (int l = PMM_LIST_PARTIAL; l < PMM_LIST_COUNT; l++) {
		u32 prev = UINT32_MAX;

		for (u32 c = p.head[l]; c != UINT32_MAX; c = p.chunks[c].next) {
			assert_int_equal(p.chunks[c].list, l);
			assert_int_equal(p.chunks[c].prev, prev);
			prev = c;
			on_list[l]++;
			assert_true(on_list[l] <= chunks);
		}
	}
	for (u64 g = 0; g < p.limit / PMM_GIG_SIZE; g++) {
		u32 whole = 0;

		for (u64 c = g * 512; c < (g + 1) * 512; c++)
			whole += p.chunks[c].list == PMM_LIST_WHOLE;
		assert_int_equal(p.gig_whole[g], whole);
	}
	for (int s = PMM_ABSENT; s <= PMM_FREE; s++)
		assert_int_equal(p.count[s], count[s]);
}

static u64 alloc_frame(void)
{
	u64 pa = 0;

	assert_true(pmm_core_alloc_frame(&p, &pa));
	return pa;
}

static void test_init_ownership(void **state)
{
	setup_pc(64 * MiB);
	assert_int_equal(p.limit, PMM_GIG_SIZE);
	assert_int_equal(p.count[PMM_FREE], (64 * MiB - 1 * MiB) / FRAME);
	assert_int_equal(pmm_core_state(&p, 0x9f000), PMM_ABSENT); /* below 1 MiB */
	assert_int_equal(pmm_core_state(&p, 0xff000), PMM_ABSENT);
	assert_int_equal(pmm_core_state(&p, 1 * MiB), PMM_FREE);
	assert_int_equal(pmm_core_state(&p, 64 * MiB - FRAME), PMM_FREE);
	assert_int_equal(pmm_core_state(&p, 64 * MiB), PMM_ABSENT);
	assert_int_equal(pmm_core_state(&p, 100 * GiB), PMM_ABSENT);
	check_invariants();

	/* RAM is page-aligned inward; exclusions and reservations outward */
	pmm_core_add_ram(&p, 100 * MiB + 1, 100 * MiB + 3 * FRAME - 1);
	assert_int_equal(pmm_core_state(&p, 100 * MiB), PMM_ABSENT);
	assert_int_equal(pmm_core_state(&p, 100 * MiB + FRAME), PMM_FREE);
	assert_int_equal(pmm_core_state(&p, 100 * MiB + 2 * FRAME), PMM_ABSENT);
	pmm_core_exclude(&p, 10 * MiB + 1, 10 * MiB + 2);
	assert_int_equal(pmm_core_state(&p, 10 * MiB), PMM_ABSENT);
	pmm_core_reserve(&p, 12 * MiB - 1, 12 * MiB + 1);
	assert_int_equal(pmm_core_state(&p, 12 * MiB - FRAME), PMM_RESERVED);
	assert_int_equal(pmm_core_state(&p, 12 * MiB), PMM_RESERVED);
	assert_int_equal(pmm_core_state(&p, 12 * MiB + FRAME), PMM_FREE);
	check_invariants();
}

static void test_meta_size(void **state)
{
	u64 one = pmm_core_meta_size(1);

	assert_int_equal(one, pmm_core_meta_size(1 * GiB));
	assert_int_equal(one, GiB / FRAME / 4 + 512 * sizeof(struct pmm_chunk) + 8);
	assert_true(pmm_core_meta_size(1 * GiB + 1) > one);
	assert_int_equal(pmm_core_meta_size(PMM_MAX_PHYS * 2), pmm_core_meta_size(PMM_MAX_PHYS));
}

/* Everything handed out once, nothing outside RAM or reservations. */
static void test_exhaustion_and_reservations(void **state)
{
	setup_pc(32 * MiB);
	pmm_core_reserve(&p, 2 * MiB + 100, 3 * MiB);
	u64 free0 = p.count[PMM_FREE];
	assert_int_equal(free0, (31 * MiB - 1 * MiB) / FRAME);
	u8 *seen = calloc(32 * MiB / FRAME, 1);
	u64 n = 0, pa;

	while (pmm_core_alloc_frame(&p, &pa)) {
		assert_true(pa >= 1 * MiB && pa < 32 * MiB);
		assert_true(pa < 2 * MiB || pa >= 3 * MiB);
		assert_int_equal(pa % FRAME, 0);
		assert_int_equal(seen[pa / FRAME], 0);
		seen[pa / FRAME] = 1;
		n++;
	}
	assert_int_equal(n, free0);
	assert_int_equal(p.count[PMM_FREE], 0);
	assert_false(pmm_core_alloc_2m(&p, &pa));
	assert_false(pmm_core_alloc_1g(&p, &pa));
	check_invariants();
	for (pa = 0; pa < 32 * MiB; pa += FRAME) {
		if (seen[pa / FRAME])
			assert_int_equal(pmm_core_free_frame(&p, pa), PMM_OK);
	}
	assert_int_equal(p.count[PMM_FREE], free0);
	check_invariants();
	free(seen);
}

static void test_2m_runs(void **state)
{
	u64 runs[64], n = 0, pa;

	setup_pc(64 * MiB); /* chunk 0 is partial (frames below 1 MiB) */
	while (pmm_core_alloc_2m(&p, &pa)) {
		assert_int_equal(pa % CHUNK, 0);
		assert_true(pa >= 2 * MiB && pa < 64 * MiB);
		for (u64 i = 0; i < n; i++)
			assert_true(runs[i] != pa);
		for (u64 f = 0; f < CHUNK; f += FRAME)
			assert_int_equal(pmm_core_state(&p, pa + f), PMM_USED);
		runs[n++] = pa;
	}
	assert_int_equal(n, 31);
	assert_int_equal(p.count[PMM_FREE], 256); /* what is left of chunk 0 */
	check_invariants();
	for (u64 i = 0; i < n; i++)
		assert_int_equal(pmm_core_free_2m(&p, runs[i], &pa), PMM_OK);
	assert_int_equal(p.count[PMM_FREE], (63 * MiB) / FRAME);
	check_invariants();
}

/* Frames come from broken chunks while any exist. */
static void test_frames_prefer_broken_chunks(void **state)
{
	u64 pa, chunk;

	setup_pc(64 * MiB);
	for (int i = 0; i < 256; i++)
		assert_true(alloc_frame() < 2 * MiB); /* chunk 0's free half */
	assert_int_equal(p.chunks[0].free, 0);
	/* the next frame breaks one whole chunk; the following 511 stay in it */
	chunk = alloc_frame() / CHUNK;
	for (int i = 0; i < 511; i++)
		assert_int_equal(alloc_frame() / CHUNK, chunk);
	/* a freed frame makes its chunk partial: it is reused first */
	assert_int_equal(pmm_core_free_frame(&p, chunk * CHUNK + 7 * FRAME), PMM_OK);
	assert_int_equal(alloc_frame(), chunk * CHUNK + 7 * FRAME);
	/* 32 chunks, 0 and one more fully used: 30 whole left */
	u64 n = 0;
	while (pmm_core_alloc_2m(&p, &pa))
		n++;
	assert_int_equal(n, 30);
	check_invariants();
}

static void test_double_free_and_bad_frees(void **state)
{
	u64 pa, run, bad;

	setup_pc(64 * MiB);
	pmm_core_reserve(&p, 20 * MiB, 20 * MiB + FRAME);
	pa = alloc_frame();
	assert_int_equal(pmm_core_free_frame(&p, pa), PMM_OK);
	assert_int_equal(pmm_core_free_frame(&p, pa), PMM_ERR_ALREADY_FREE);
	assert_int_equal(pmm_core_free_frame(&p, pa + 1), PMM_ERR_UNALIGNED);
	assert_int_equal(pmm_core_free_frame(&p, 0x9f000), PMM_ERR_NOT_OWNED);
	assert_int_equal(pmm_core_free_frame(&p, 64 * MiB), PMM_ERR_NOT_OWNED);
	assert_int_equal(pmm_core_free_frame(&p, 5 * GiB), PMM_ERR_NOT_OWNED);
	assert_int_equal(pmm_core_free_frame(&p, 20 * MiB), PMM_ERR_RESERVED);

	assert_true(pmm_core_alloc_2m(&p, &run));
	assert_int_equal(pmm_core_free_2m(&p, run + FRAME, &bad), PMM_ERR_UNALIGNED);
	assert_int_equal(pmm_core_free_frame(&p, run + 5 * FRAME), PMM_OK);
	/* a run with one frame already freed is refused, naming that frame */
	assert_int_equal(pmm_core_free_2m(&p, run, &bad), PMM_ERR_ALREADY_FREE);
	assert_int_equal(bad, run + 5 * FRAME);
	pa = alloc_frame(); /* the partial chunk is used first: same frame back */
	assert_int_equal(pa, run + 5 * FRAME);
	assert_int_equal(pmm_core_free_2m(&p, run, &bad), PMM_OK);
	assert_int_equal(pmm_core_free_2m(&p, run, &bad), PMM_ERR_ALREADY_FREE);
	assert_int_equal(bad, run);
	assert_int_equal(pmm_core_free_2m(&p, 20 * MiB, &bad), PMM_ERR_RESERVED);
	assert_int_equal(pmm_core_free_2m(&p, 2 * GiB, &bad), PMM_ERR_NOT_OWNED);
	assert_int_equal(pmm_core_free_1g(&p, 0, &bad), PMM_ERR_NOT_OWNED);
	assert_int_equal(pmm_core_free_1g(&p, 2 * MiB, &bad), PMM_ERR_UNALIGNED);
	assert_int_equal(p.count[PMM_FREE], (63 * MiB - FRAME) / FRAME);
	check_invariants();
}

static void test_release(void **state)
{
	u64 bad = 0, free0;

	setup_pc(64 * MiB);
	pmm_core_reserve(&p, 10 * MiB, 12 * MiB); /* a module */
	free0 = p.count[PMM_FREE];
	assert_int_equal(p.count[PMM_RESERVED], 512);
	assert_int_equal(pmm_core_release(&p, 10 * MiB, 12 * MiB, &bad), PMM_OK);
	assert_int_equal(p.count[PMM_FREE], free0 + 512);
	assert_int_equal(p.count[PMM_RESERVED], 0);
	assert_int_equal(pmm_core_release(&p, 10 * MiB, 12 * MiB, &bad), PMM_ERR_ALREADY_FREE);
	assert_int_equal(bad, 10 * MiB);

	/* releasing a range holding an allocation changes nothing */
	pmm_core_reserve(&p, 30 * MiB, 30 * MiB + 4 * FRAME);
	u64 keep = p.count[PMM_FREE];
	u64 pa = 0;
	while (pa != 30 * MiB + 4 * FRAME)
		assert_true(pmm_core_alloc_frame(&p, &pa)); /* walks up to it */
	assert_int_equal(pmm_core_release(&p, 30 * MiB, 30 * MiB + 5 * FRAME, &bad),
			 PMM_ERR_ALLOCATED);
	assert_int_equal(bad, 30 * MiB + 4 * FRAME);
	assert_int_equal(pmm_core_state(&p, 30 * MiB), PMM_RESERVED);
	assert_true(p.count[PMM_FREE] < keep);

	/* rounding inward: a page shared with a neighbour stays reserved */
	pmm_core_reserve(&p, 40 * MiB + 0x800, 40 * MiB + 0x3800);
	assert_int_equal(pmm_core_release(&p, 40 * MiB + 0x800, 40 * MiB + 0x3800, &bad), PMM_OK);
	assert_int_equal(pmm_core_state(&p, 40 * MiB), PMM_RESERVED);
	assert_int_equal(pmm_core_state(&p, 40 * MiB + FRAME), PMM_FREE);
	assert_int_equal(pmm_core_state(&p, 40 * MiB + 2 * FRAME), PMM_FREE);
	assert_int_equal(pmm_core_state(&p, 40 * MiB + 3 * FRAME), PMM_RESERVED);
	/* frames not owned are skipped */
	assert_int_equal(pmm_core_release(&p, 0, 0x100000, &bad), PMM_OK);
	check_invariants();
}

static void test_1g_runs(void **state)
{
	u64 pa, other, bad;

	setup_pc(3 * GiB); /* gig 0 is broken by the low 1 MiB; gigs 1, 2 whole */
	assert_true(pmm_core_alloc_1g(&p, &pa));
	assert_int_equal(pa % PMM_GIG_SIZE, 0);
	assert_true(pa == 1 * GiB || pa == 2 * GiB);
	assert_int_equal(pmm_core_state(&p, pa + GiB - FRAME), PMM_USED);
	assert_true(pmm_core_alloc_1g(&p, &other));
	assert_true(other != pa && (other == 1 * GiB || other == 2 * GiB));
	assert_false(pmm_core_alloc_1g(&p, &bad));
	assert_int_equal(pmm_core_free_frame(&p, other + 3 * FRAME), PMM_OK);
	assert_int_equal(pmm_core_free_1g(&p, other, &bad), PMM_ERR_ALREADY_FREE);
	assert_int_equal(bad, other + 3 * FRAME);
	assert_true(pmm_core_alloc_frame(&p, &bad));
	assert_int_equal(pmm_core_free_1g(&p, other, &bad), PMM_OK);
	assert_int_equal(pmm_core_free_1g(&p, pa, &bad), PMM_OK);
	check_invariants();
	/* one used frame in a gig keeps it from being a 1 GiB run */
	pmm_core_reserve(&p, 1 * GiB + 5 * MiB, 1 * GiB + 5 * MiB + 1);
	assert_true(pmm_core_alloc_1g(&p, &pa));
	assert_int_equal(pa, 2 * GiB);
	assert_false(pmm_core_alloc_1g(&p, &pa));
	check_invariants();
}

/* Random alloc/free cycles: counts return exactly; no frame given twice. */
static void test_random_cycles(void **state)
{
	enum { SLOTS = 600 };
	static u64 slot_pa[SLOTS];
	static u8 slot_kind[SLOTS]; /* 0 empty, 1 frame, 2 run */
	u64 seed = 42, free0, pa;

	setup_pc(128 * MiB);
	pmm_core_reserve(&p, 7 * MiB, 9 * MiB + 123);
	free0 = p.count[PMM_FREE];
	memset(slot_kind, 0, sizeof(slot_kind));
	for (int step = 0; step < 20000; step++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		u32 s = (u32)((seed >> 33) % SLOTS);

		if (slot_kind[s] == 1)
			assert_int_equal(pmm_core_free_frame(&p, slot_pa[s]), PMM_OK);
		else if (slot_kind[s] == 2)
			assert_int_equal(pmm_core_free_2m(&p, slot_pa[s], &pa), PMM_OK);
		if (slot_kind[s]) {
			slot_kind[s] = 0;
			continue;
		}
		bool run = (seed >> 20) % 8 == 0;
		if (run ? pmm_core_alloc_2m(&p, &slot_pa[s])
			: pmm_core_alloc_frame(&p, &slot_pa[s]))
			slot_kind[s] = run ? 2 : 1;
		if (slot_kind[s]) {
			u64 pa_s = slot_pa[s];
			assert_false(pa_s + (run ? CHUNK : FRAME) > 7 * MiB &&
				     pa_s < 9 * MiB + FRAME);
		}
		if (step % 4000 == 0)
			check_invariants();
	}
	for (u32 s = 0; s < SLOTS; s++) {
		if (slot_kind[s] == 1)
			assert_int_equal(pmm_core_free_frame(&p, slot_pa[s]), PMM_OK);
		else if (slot_kind[s] == 2)
			assert_int_equal(pmm_core_free_2m(&p, slot_pa[s], &pa), PMM_OK);
	}
	assert_int_equal(p.count[PMM_FREE], free0);
	assert_int_equal(p.count[PMM_USED], 0);
	check_invariants();
}

/* ---- accounts: promised limits (mm/pmm_account.c) ---- */

static void test_account_limit_and_kinds(void **state)
{
	struct pmm_account a;
	u64 free0, pa, frames[8], run;

	setup_pc(64 * MiB);
	free0 = p.count[PMM_FREE];
	assert_false(pmm_core_account_open(&p, &a, free0 + 1));
	assert_true(pmm_core_account_open(&p, &a, 600));
	assert_int_equal(pmm_core_unpromised(&p), free0 - 600);
	assert_int_equal(p.count[PMM_FREE], free0); /* promised, not taken */

	for (int i = 0; i < 8; i++)
		assert_int_equal(pmm_core_account_alloc(&p, &a, PMM_KIND_TABLE, FRAME, &frames[i]),
				 PMM_ACCOUNT_OK);
	assert_int_equal(pmm_core_account_alloc(&p, &a, PMM_KIND_DATA, CHUNK, &run),
			 PMM_ACCOUNT_OK);
	assert_int_equal(run % CHUNK, 0);
	assert_int_equal(a.held, 8 + 512);
	assert_int_equal(a.held_kind[PMM_KIND_TABLE], 8);
	assert_int_equal(a.held_kind[PMM_KIND_DATA], 512);
	assert_int_equal(p.promised, 600 - 520);
	/* 80 frames left under the limit: a second 2 MiB run is refused, a frame is not */
	assert_int_equal(pmm_core_account_alloc(&p, &a, PMM_KIND_DATA, CHUNK, &pa),
			 PMM_ACCOUNT_LIMIT);
	assert_int_equal(a.refused, 1);
	for (int i = 0; i < 80; i++)
		assert_int_equal(pmm_core_account_alloc(&p, &a, PMM_KIND_DEVICE, FRAME, &pa),
				 PMM_ACCOUNT_OK);
	assert_int_equal(pmm_core_account_alloc(&p, &a, PMM_KIND_DEVICE, FRAME, &pa),
			 PMM_ACCOUNT_LIMIT);
	assert_int_equal(a.held, 600);
	assert_int_equal(a.peak, 600);
	assert_int_equal(p.promised, 0);

	/* frees give the promise back; peaks stay */
	u64 bad;
	assert_int_equal(pmm_core_account_free(&p, &a, PMM_KIND_DATA, CHUNK, run, &bad), PMM_OK);
	assert_int_equal(a.held_kind[PMM_KIND_DATA], 0);
	assert_int_equal(a.peak_kind[PMM_KIND_DATA], 512);
	assert_int_equal(p.promised, 512);
	/* a kind cannot give back more than it holds */
	assert_int_equal(pmm_core_account_free(&p, &a, PMM_KIND_DATA, FRAME, frames[0], &bad),
			 PMM_ERR_ALREADY_FREE);
	assert_false(pmm_core_account_close(&p, &a)); /* still holds frames */
	check_invariants();
}

/*
 * Fault injection (a guest's failalloc=): allocs counts every call, refused
 * or not, and only the fail_at-th fails, taking nothing and promising on.
 */
static void test_account_injection(void **state)
{
	struct pmm_account a;
	u64 pa[4], free_before;

	setup_pc(64 * MiB);
	free_before = p.count[PMM_FREE];
	assert_true(pmm_core_account_open(&p, &a, 3));
	assert_int_equal(a.fail_at, 0);
	a.fail_at = 2;
	assert_int_equal(pmm_core_account_alloc(&p, &a, PMM_KIND_DATA, FRAME, &pa[0]),
			 PMM_ACCOUNT_OK);
	pa[1] = 0xdead;
	assert_int_equal(pmm_core_account_alloc(&p, &a, PMM_KIND_TABLE, FRAME, &pa[1]),
			 PMM_ACCOUNT_INJECTED);
	assert_int_equal(pa[1], 0xdead); /* untouched */
	assert_int_equal(a.held, 1);
	assert_int_equal(a.refused, 0);
	assert_int_equal(pmm_core_unpromised(&p) + 3, p.count[PMM_FREE] + 1);
	assert_int_equal(pmm_core_account_alloc(&p, &a, PMM_KIND_TABLE, FRAME, &pa[1]),
			 PMM_ACCOUNT_OK);
	assert_int_equal(pmm_core_account_alloc(&p, &a, PMM_KIND_DEVICE, FRAME, &pa[2]),
			 PMM_ACCOUNT_OK);
	/* Past the limit: refused, and counted as a call all the same. */
	assert_int_equal(pmm_core_account_alloc(&p, &a, PMM_KIND_DATA, FRAME, &pa[3]),
			 PMM_ACCOUNT_LIMIT);
	assert_int_equal(a.allocs, 5);
	for (unsigned i = 0; i < 3; i++) {
		u64 bad;
		enum pmm_kind k = i == 0   ? PMM_KIND_DATA
				  : i == 1 ? PMM_KIND_TABLE
					   : PMM_KIND_DEVICE;

		assert_int_equal(pmm_core_account_free(&p, &a, k, FRAME, pa[i], &bad), PMM_OK);
	}
	assert_true(pmm_core_account_close(&p, &a));
	assert_int_equal(p.count[PMM_FREE], free_before);
}

/*
 * What an account was promised stays there: plain allocations and another
 * account exhaust the rest, and the first still gets every frame up to its
 * limit.
 */
static void test_account_promise_kept(void **state)
{
	struct pmm_account a, b;
	u64 free0, pa, n = 0;

	setup_pc(32 * MiB);
	free0 = p.count[PMM_FREE];
	assert_true(pmm_core_account_open(&p, &a, 1000));
	assert_true(pmm_core_account_open(&p, &b, 2000));
	assert_false(pmm_core_account_open(&p, &b, free0)); /* b untouched by the refusal */
	assert_int_equal(b.limit, 2000);
	while (pmm_core_alloc_frame(&p, &pa))
		n++;
	assert_int_equal(n, free0 - 3000);
	assert_false(pmm_core_alloc_2m(&p, &pa));
	assert_false(pmm_core_alloc_1g(&p, &pa));
	/* b takes all it may; a still gets its 1000 */
	for (u64 i = 0; i < 2000; i++)
		assert_int_equal(pmm_core_account_alloc(&p, &b, PMM_KIND_TABLE, FRAME, &pa),
				 PMM_ACCOUNT_OK);
	assert_int_equal(pmm_core_account_alloc(&p, &b, PMM_KIND_TABLE, FRAME, &pa),
			 PMM_ACCOUNT_LIMIT);
	for (u64 i = 0; i < 1000; i++)
		assert_int_equal(pmm_core_account_alloc(&p, &a, PMM_KIND_DATA, FRAME, &pa),
				 PMM_ACCOUNT_OK);
	assert_int_equal(p.count[PMM_FREE], 0);
	assert_int_equal(p.promised, 0);
	check_invariants();
}

/* Random opens, allocs, frees and closes keep free >= promised and the sums right. */
static void test_account_random(void **state)
{
	enum { ACCTS = 4, HELD = 4096 };
	struct pmm_account acct[ACCTS];
	bool open[ACCTS] = {false};
	struct {
		u64 pa, size;
		int acct;
		enum pmm_kind kind;
	} *held = calloc(HELD, sizeof(*held));
	u64 nheld = 0, rng = 0x1234567, bad;

	setup_pc(96 * MiB);
	for (int step = 0; step < 20000; step++) {
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		int k = (int)(rng % ACCTS), op = (int)((rng >> 8) % 8);
		u64 size = (rng >> 16) % 16 == 0 ? CHUNK : FRAME;
		enum pmm_kind kind = (enum pmm_kind)((rng >> 24) % PMM_KIND_COUNT);

		if (!open[k]) {
			open[k] = pmm_core_account_open(&p, &acct[k], (rng >> 32) % 3000);
		} else if (op < 5 && nheld < HELD) {
			u64 pa;
			enum pmm_account_status st =
			    pmm_core_account_alloc(&p, &acct[k], kind, size, &pa);

			if (size == FRAME && acct[k].held < acct[k].limit)
				assert_int_equal(st, PMM_ACCOUNT_OK);
			if (st == PMM_ACCOUNT_OK) {
				held[nheld].pa = pa;
				held[nheld].size = size;
				held[nheld].acct = k;
				held[nheld].kind = kind;
				nheld++;
			}
		} else if (op < 7 && nheld) {
			u64 i = (rng >> 40) % nheld;

			assert_int_equal(pmm_core_account_free(&p, &acct[held[i].acct],
							       held[i].kind, held[i].size,
							       held[i].pa, &bad),
					 PMM_OK);
			held[i] = held[--nheld];
		} else if (acct[k].held == 0) {
			assert_true(pmm_core_account_close(&p, &acct[k]));
			open[k] = false;
		}
		u64 promised = 0;
		for (int j = 0; j < ACCTS; j++)
			if (open[j])
				promised += acct[j].limit - acct[j].held;
		assert_int_equal(p.promised, promised);
		assert_true(p.count[PMM_FREE] >= p.promised);
	}
	check_invariants();
	free(held);
}

static void test_place(void **state)
{
	const struct pmm_range ram[] = {
	    {0, 0xa0000},
	    {1 * MiB, 16 * MiB},
	    {32 * MiB, 64 * MiB},
	    {5 * GiB, 6 * GiB},
	};
	const struct pmm_range avoid[] = {
	    {2 * MiB, 3 * MiB + 1},
	    {1 * MiB, 0x180000},
	    {10 * MiB, 11 * MiB},
	};
	u64 pa = 0;

	assert_true(pmm_place(ram, 4, avoid, 3, 0x1000, 4 * GiB, &pa));
	assert_int_equal(pa, 0x180000);
	assert_true(pmm_place(ram, 4, avoid, 3, 1 * MiB, 4 * GiB, &pa));
	assert_int_equal(pa, 3 * MiB + FRAME); /* [0x180000, 2M) too small */
	assert_true(pmm_place(ram, 4, avoid, 3, 8 * MiB, 4 * GiB, &pa));
	assert_int_equal(pa, 32 * MiB); /* neither gap in [1M, 16M) fits */
	assert_false(pmm_place(ram, 4, avoid, 3, 33 * MiB, 4 * GiB, &pa));
	assert_true(pmm_place(ram, 4, avoid, 3, 33 * MiB, 8 * GiB, &pa));
	assert_int_equal(pa, 5 * GiB);
	assert_false(pmm_place(ram, 1, NULL, 0, FRAME, 4 * GiB, &pa)); /* below 1 MiB only */
}

/* Fills z as an idle CPU would (no memory here: the core keeps metadata only). */
static void zfill(struct zpool *z)
{
	u64 size, pa;

	while ((size = zpool_fill_next(z, &p))) {
		assert_true(zpool_fill_take(z, &p, size, &pa));
		zpool_fill_put(z, &p, size, pa);
	}
}

/*
 * The zero pool fills up to its targets from unpromised frames only,
 * leaving ZPOOL_RESERVE of them; an account adopts pool frames as its own
 * (charged, limit and fault injection as any allocation, the promise
 * shrinking so free >= promised holds); draining gives everything back.
 */
static void test_zero_pool(void **state)
{
	struct zpool *z = calloc(1, sizeof(*z));
	struct pmm_account a;
	u64 free0, pa, pa2, bad, taken[ZPOOL_RUNS_MAX];
	unsigned ntaken = 0;
	bool zeroed;

	setup_pc(64 * MiB);
	free0 = p.count[PMM_FREE];
	zpool_init(z, 0, 0);
	assert_int_equal(zpool_fill_next(z, &p), 0); /* off */
	assert_false(zpool_take(z, FRAME, &pa));
	assert_int_equal(z->st.misses[0], 0); /* off: not a miss */
	zpool_init(z, 100000, 100);	      /* capped at the maxima */
	assert_int_equal(z->want_frames, ZPOOL_FRAMES_MAX);
	assert_int_equal(z->want_runs, ZPOOL_RUNS_MAX);
	zfill(z);
	assert_int_equal(z->frames, ZPOOL_FRAMES_MAX);
	assert_int_equal(z->runs, ZPOOL_RUNS_MAX);
	assert_int_equal(z->st.zeroed[0], ZPOOL_FRAMES_MAX);
	assert_int_equal(p.count[PMM_FREE], free0 - zpool_held(z));
	check_invariants();
	/* an account adopts a frame and a run: charged, zeroed, promise given up */
	assert_true(pmm_core_account_open(&p, &a, 1024));
	assert_int_equal(
	    pmm_core_account_alloc_pooled(&p, z, &a, PMM_KIND_DATA, FRAME, &pa, &zeroed),
	    PMM_ACCOUNT_OK);
	assert_true(zeroed);
	assert_int_equal(pmm_core_state(&p, pa), PMM_USED);
	assert_int_equal(
	    pmm_core_account_alloc_pooled(&p, z, &a, PMM_KIND_DATA, CHUNK, &pa2, &zeroed),
	    PMM_ACCOUNT_OK);
	assert_true(zeroed);
	assert_int_equal(pa2 % CHUNK, 0);
	assert_int_equal(a.held, 513);
	assert_int_equal(p.promised, 1024 - 513);
	assert_true(p.count[PMM_FREE] >= p.promised);
	assert_int_equal(z->st.hits[0], 1);
	assert_int_equal(z->st.hits[1], 1);
	/* without a pool (or zeroed) the core gives, not zero */
	assert_int_equal(
	    pmm_core_account_alloc_pooled(&p, NULL, &a, PMM_KIND_DATA, FRAME, &pa, &zeroed),
	    PMM_ACCOUNT_OK);
	assert_false(zeroed);
	/* the limit and fault injection apply to pool frames too */
	a.fail_at = a.allocs + 1;
	assert_int_equal(
	    pmm_core_account_alloc_pooled(&p, z, &a, PMM_KIND_DATA, FRAME, &pa, &zeroed),
	    PMM_ACCOUNT_INJECTED);
	assert_int_equal(z->frames, ZPOOL_FRAMES_MAX - 1); /* nothing taken */
	assert_int_equal(
	    pmm_core_account_alloc_pooled(&p, z, &a, PMM_KIND_DATA, CHUNK, &pa, &zeroed),
	    PMM_ACCOUNT_LIMIT);
	assert_int_equal(z->runs, ZPOOL_RUNS_MAX - 1);
	check_invariants();
	/* the account frees what it adopted into the core, as any frame */
	assert_int_equal(pmm_core_account_free(&p, &a, PMM_KIND_DATA, CHUNK, pa2, &bad), PMM_OK);
	/* runs run out: a miss, then the core's own run */
	while (z->runs) {
		assert_true(zpool_take(z, CHUNK, &taken[ntaken]));
		ntaken++;
	}
	assert_int_equal(
	    pmm_core_account_alloc_pooled(&p, z, &a, PMM_KIND_DATA, CHUNK, &pa2, &zeroed),
	    PMM_ACCOUNT_OK);
	assert_false(zeroed);
	assert_int_equal(z->st.misses[1], 1);
	assert_int_equal(pmm_core_account_free(&p, &a, PMM_KIND_DATA, CHUNK, pa2, &bad), PMM_OK);
	/* the runs taken by hand go back as an abandoned fill would; the rest drains */
	for (unsigned i = 0; i < ntaken; i++)
		zpool_fill_abandon(&p, CHUNK, taken[i]);
	assert_int_equal(zpool_drain(z, &p), ZPOOL_FRAMES_MAX - 1);
	assert_int_equal(pmm_core_account_free(&p, &a, PMM_KIND_DATA, FRAME, pa, &bad), PMM_OK);
	check_invariants();
	free(z);
}

/*
 * The pool never stands in the way: with RAM of two chunks, one taken as a
 * run and one broken by the pool's frame, and one frame of the first freed
 * again, an account's 2 MiB run exists only once the pool is drained, and
 * the pooled allocation drains it. A pool at its targets gives a late fill
 * back to the core.
 */
static void test_zero_pool_gives_way(void **state)
{
	struct zpool *z = calloc(1, sizeof(*z));
	struct pmm_account a;
	u64 run, frame, pa, bad, free0;
	bool zeroed;

	free(meta);
	meta = malloc(pmm_core_meta_size(8 * MiB));
	pmm_core_init(&p, meta, 8 * MiB);
	pmm_core_add_ram(&p, 2 * MiB, 6 * MiB);
	assert_true(pmm_core_alloc_2m(&p, &run));
	zpool_init(z, 1, 0);
	assert_true(zpool_fill_take(z, &p, FRAME, &frame)); /* breaks the other chunk */
	zpool_fill_put(z, &p, FRAME, frame);
	assert_int_equal(pmm_core_free_frame(&p, run), PMM_OK);
	assert_int_equal(p.head[PMM_LIST_WHOLE], PMM_NIL);
	assert_true(pmm_core_account_open(&p, &a, 512));
	assert_int_equal(pmm_core_account_alloc(&p, &a, PMM_KIND_DATA, CHUNK, &pa),
			 PMM_ACCOUNT_NO_RUN); /* without the pool: no run */
	assert_int_equal(
	    pmm_core_account_alloc_pooled(&p, z, &a, PMM_KIND_DATA, CHUNK, &pa, &zeroed),
	    PMM_ACCOUNT_OK); /* drained, then the run */
	assert_false(zeroed);
	assert_int_equal(pa, frame);
	assert_int_equal(z->frames, 0);
	assert_int_equal(z->st.drained[0], 1);
	assert_int_equal(z->st.misses[1], 1);
	assert_int_equal(pmm_core_account_free(&p, &a, PMM_KIND_DATA, CHUNK, pa, &bad), PMM_OK);
	assert_true(pmm_core_account_close(&p, &a));
	check_invariants();
	/* a fill that finds the pool full (another CPU filled it) goes back to the core */
	assert_true(zpool_fill_take(z, &p, FRAME, &frame));
	assert_true(zpool_fill_take(z, &p, FRAME, &pa));
	zpool_fill_put(z, &p, FRAME, frame);
	free0 = p.count[PMM_FREE];
	zpool_fill_put(z, &p, FRAME, pa);
	assert_int_equal(p.count[PMM_FREE], free0 + 1);
	assert_int_equal(z->frames, 1);
	assert_int_equal(zpool_drain(z, &p), 1);
	check_invariants();
	free(z);
}

static void test_status_names(void **state)
{
	assert_string_equal(pmm_status_name(PMM_ERR_ALREADY_FREE),
			    "frame already free (double free)");
	assert_string_equal(pmm_status_name(PMM_ERR_NOT_OWNED), "frame not owned by the allocator");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_init_ownership, teardown),
	    cmocka_unit_test(test_meta_size),
	    cmocka_unit_test_teardown(test_exhaustion_and_reservations, teardown),
	    cmocka_unit_test_teardown(test_2m_runs, teardown),
	    cmocka_unit_test_teardown(test_frames_prefer_broken_chunks, teardown),
	    cmocka_unit_test_teardown(test_double_free_and_bad_frees, teardown),
	    cmocka_unit_test_teardown(test_release, teardown),
	    cmocka_unit_test_teardown(test_1g_runs, teardown),
	    cmocka_unit_test_teardown(test_random_cycles, teardown),
	    cmocka_unit_test_teardown(test_account_limit_and_kinds, teardown),
	    cmocka_unit_test_teardown(test_account_injection, teardown),
	    cmocka_unit_test_teardown(test_account_promise_kept, teardown),
	    cmocka_unit_test_teardown(test_account_random, teardown),
	    cmocka_unit_test_teardown(test_zero_pool, teardown),
	    cmocka_unit_test_teardown(test_zero_pool_gives_way, teardown),
	    cmocka_unit_test(test_place),
	    cmocka_unit_test(test_status_names),
	};

	return cmocka_run_group_tests_name("pmm", tests, NULL, NULL);
}
