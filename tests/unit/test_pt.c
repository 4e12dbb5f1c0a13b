/*
 * Host tests for mm/pt.c, the architecture-neutral page-table code, run
 * through a fake encoding whose bits sit where neither IA-32e nor EPT puts
 * them (so the generic code cannot lean on either), and through the real
 * IA-32e (mm/pt_x86.c) and EPT (vmx/ept_fmt.c) encodings, whose bit layouts
 * are checked against values computed by hand from the SDM tables.
 *
 * Table "physical addresses" are host pointers from aligned_alloc, so ASan
 * catches a walk through a freed table and LeakSanitizer a lost one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/pt.h"
#include "mm/pte_x86.h"
#include "vmx/ept.h"

/* ---- table memory with failure injection ---- */

struct arena {
	long live;	 /* tables handed out and not yet freed */
	long allocs;	 /* allocation attempts since armed */
	long fail_at;	 /* 0: never fail; N: the Nth attempt fails */
	bool fail_after; /* with fail_at: every attempt from the Nth on fails */
};

static bool arena_alloc(void *ctx, hpa_t *out)
{
	struct arena *a = ctx;
	void *p;

	a->allocs++;
	if (a->fail_at && (a->allocs == a->fail_at || (a->fail_after && a->allocs > a->fail_at)))
		return false;
	p = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	assert_non_null(p);
	memset(p, 0, PAGE_SIZE);
	*out = hpa((u64)(uintptr_t)p);
	a->live++;
	return true;
}

static void arena_free(void *ctx, hpa_t t)
{
	struct arena *a = ctx;

	assert_true(a->live > 0);
	free((void *)(uintptr_t)hpa_addr(t));
	a->live--;
}

static u64 *arena_table(void *ctx, hpa_t t)
{
	return (u64 *)(uintptr_t)hpa_addr(t);
}

static void arena_arm(struct arena *a, long fail_at)
{
	a->allocs = 0;
	a->fail_at = fail_at;
	a->fail_after = false;
}

/* ---- the fake encoding: every field somewhere else ---- */

#define FAKE_LEAF      BIT(1) /* set in every leaf, level 1 included */
#define FAKE_R	       BIT(3)
#define FAKE_W	       BIT(4)
#define FAKE_X	       BIT(5)
#define FAKE_USER      BIT(6)
#define FAKE_GLOBAL    BIT(7)
#define FAKE_A	       BIT(8)
#define FAKE_D	       BIT(9)
#define FAKE_PFN_SHIFT 10 /* frame number (address >> 12) in bits 49:10 */
#define FAKE_PFN_MASK  (((1ULL << 40) - 1) << FAKE_PFN_SHIFT)
#define FAKE_MT_SHIFT  52
#define FAKE_MT_MASK   (7ULL << FAKE_MT_SHIFT)
#define FAKE_VALID     BIT(62)

static bool fake_present(u64 e)
{
	return e & FAKE_VALID;
}

static bool fake_leaf(u64 e, unsigned level)
{
	assert_true(e & FAKE_VALID); /* the generic code only asks about present entries */
	return e & FAKE_LEAF;
}

static bool fake_perms_ok(unsigned perms)
{
	return perms & PT_PERM_RWX;
}

static bool fake_memtype_ok(enum pt_memtype mt)
{
	return mt == PT_MEM_WB || mt == PT_MEM_UC || mt == PT_MEM_WT;
}

static u64 fake_pfn(hpa_t a)
{
	assert_int_equal(hpa_addr(a) & (PAGE_SIZE - 1), 0);
	return (hpa_addr(a) >> PAGE_SHIFT) << FAKE_PFN_SHIFT;
}

static u64 fake_make_table(hpa_t next)
{
	return FAKE_VALID | fake_pfn(next);
}

static u64 fake_make_leaf(hpa_t pa, unsigned level, unsigned perms, enum pt_memtype mt)
{
	u64 e = FAKE_VALID | FAKE_LEAF | fake_pfn(pa) | ((u64)mt << FAKE_MT_SHIFT);

	assert_true(level >= 1 && level <= 3);
	assert_int_equal(hpa_addr(pa) & (pt_level_size(level) - 1), 0);
	e |= (perms & PT_PERM_R) ? FAKE_R : 0;
	e |= (perms & PT_PERM_W) ? FAKE_W : 0;
	e |= (perms & PT_PERM_X) ? FAKE_X : 0;
	e |= (perms & PT_PERM_USER) ? FAKE_USER : 0;
	e |= (perms & PT_PERM_GLOBAL) ? FAKE_GLOBAL : 0;
	return e;
}

static hpa_t fake_addr(u64 e, unsigned level)
{
	return hpa(((e & FAKE_PFN_MASK) >> FAKE_PFN_SHIFT) << PAGE_SHIFT);
}

static unsigned fake_perms(u64 e, unsigned level)
{
	return ((e & FAKE_R) ? PT_PERM_R : 0) | ((e & FAKE_W) ? PT_PERM_W : 0) |
	       ((e & FAKE_X) ? PT_PERM_X : 0) | ((e & FAKE_USER) ? PT_PERM_USER : 0) |
	       ((e & FAKE_GLOBAL) ? PT_PERM_GLOBAL : 0);
}

static enum pt_memtype fake_memtype(u64 e, unsigned level)
{
	return (enum pt_memtype)((e & FAKE_MT_MASK) >> FAKE_MT_SHIFT);
}

static const struct pt_fmt fake_fmt = {
    .name = "fake",
    .leaf_levels = PT_LEVEL_MASK(1) | PT_LEVEL_MASK(2) | PT_LEVEL_MASK(3),
    .perm_mask = PT_PERM_RWX | PT_PERM_USER | PT_PERM_GLOBAL,
    .present = fake_present,
    .leaf = fake_leaf,
    .perms_ok = fake_perms_ok,
    .memtype_ok = fake_memtype_ok,
    .make_table = fake_make_table,
    .make_leaf = fake_make_leaf,
    .addr = fake_addr,
    .perms = fake_perms,
    .memtype = fake_memtype,
    .accessed = FAKE_A,
    .dirty = FAKE_D,
};

/* ---- fixture ---- */

struct fix {
	struct arena arena;
	struct pt_mem mem;
	struct pt pt;
};

static struct fix *fix_new(const struct pt_fmt *fmt, const struct pt_cfg *cfg)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->mem = (struct pt_mem){arena_alloc, arena_free, arena_table, &f->arena};
	assert_int_equal(pt_init(&f->pt, fmt, &f->mem, cfg), PT_OK);
	assert_int_equal(f->pt.table_count, 1);
	assert_int_equal(f->arena.live, 1);
	return f;
}

static void fix_free(struct fix *f)
{
	pt_destroy(&f->pt, NULL, NULL);
	assert_int_equal(f->pt.table_count, 0);
	assert_int_equal(f->arena.live, 0);
	free(f);
}

/* ---- snapshots: every entry of the tree, to prove "nothing changed" ---- */

struct snap {
	size_t n, cap;
	u64 *v; /* (level << 56 | index path) and the raw entry, in pairs */
};

static void snap_level(const struct pt *pt, unsigned level, hpa_t t, u64 va, struct snap *s)
{
	const u64 *table = arena_table(NULL, t);

	for (unsigned i = 0; i < PT_ENTRY_COUNT; i++) {
		u64 e = table[i];
		u64 eva = va + i * pt_level_size(level);

		if (e == 0)
			continue;
		if (s->n + 2 > s->cap) {
			s->cap = s->cap ? 2 * s->cap : 1024;
			s->v = realloc(s->v, s->cap * sizeof(u64));
			assert_non_null(s->v);
		}
		s->v[s->n++] = ((u64)level << 56) | eva;
		s->v[s->n++] = e;
		if (pt->fmt->present(e) && !pt->fmt->leaf(e, level))
			snap_level(pt, level - 1, pt->fmt->addr(e, level), eva, s);
	}
}

static struct snap snap_take(const struct pt *pt)
{
	struct snap s = {0};

	snap_level(pt, PT_LEVELS, pt->root, 0, &s);
	return s;
}

static void snap_same(struct snap *a, struct snap *b)
{
	assert_int_equal(a->n, b->n);
	if (a->n)
		assert_memory_equal(a->v, b->v, a->n * sizeof(u64));
	free(a->v);
	free(b->v);
}

/* ---- helpers ---- */

static void expect_map(struct fix *f, u64 va, u64 pa, unsigned level, unsigned perms,
		       enum pt_memtype mt)
{
	struct pt_walk w;

	assert_true(pt_lookup(&f->pt, va, &w));
	assert_int_equal(w.level, level);
	assert_int_equal(hpa_addr(w.pa), pa);
	assert_int_equal(w.perms, perms);
	assert_int_equal(w.mt, mt);
}

static void expect_unmapped(struct fix *f, u64 va)
{
	struct pt_walk w;

	assert_false(pt_lookup(&f->pt, va, &w));
}

struct leaf_log {
	int count;
	u64 va[16];
	u64 pa[16];
	unsigned level[16];
};

static void log_leaf(void *ctx, u64 va, hpa_t pa, unsigned level)
{
	struct leaf_log *l = ctx;

	if (l->count < 16) {
		l->va[l->count] = va;
		l->pa[l->count] = hpa_addr(pa);
		l->level[l->count] = level;
	}
	l->count++;
}

/* ---- tests: fake encoding ---- */

static void test_map_lookup_each_level(void **state)
{
	struct fix *f = fix_new(&fake_fmt, NULL);
	struct pt_walk w;

	assert_int_equal(pt_map(&f->pt, 0x1000, hpa(0x5000), PAGE_SIZE, 1, PT_PERM_RW, PT_MEM_WB),
			 PT_OK);
	assert_int_equal(f->pt.table_count, 4); /* root, PDPT, PD, PT */
	assert_int_equal(
	    pt_map(&f->pt, 3 * MiB * 2, hpa(5 * GiB), 2 * MiB, 2, PT_PERM_RX, PT_MEM_UC), PT_OK);
	assert_int_equal(f->pt.table_count, 4); /* same PD */
	assert_int_equal(
	    pt_map(&f->pt, 512 * GiB, hpa(3 * GiB), GiB, 3, PT_PERM_R | PT_PERM_GLOBAL, PT_MEM_WT),
	    PT_OK);
	assert_int_equal(f->pt.table_count, 5); /* a PDPT for PML4[1] */

	expect_map(f, 0x1abc, 0x5abc, 1, PT_PERM_RW, PT_MEM_WB);
	expect_map(f, 6 * MiB + 0x12345, 5 * GiB + 0x12345, 2, PT_PERM_RX, PT_MEM_UC);
	expect_map(f, 512 * GiB + 0x3456789, 3 * GiB + 0x3456789, 3, PT_PERM_R | PT_PERM_GLOBAL,
		   PT_MEM_WT);
	expect_unmapped(f, 0);
	expect_unmapped(f, 0x2000);
	expect_unmapped(f, 8 * MiB);
	expect_unmapped(f, 513 * GiB);
	expect_unmapped(f, BIT(48)); /* beyond the input width */

	/* the raw leaf: every field at the fake position */
	assert_true(pt_lookup(&f->pt, 0x1000, &w));
	assert_int_equal(w.entry, FAKE_VALID | FAKE_LEAF | FAKE_R | FAKE_W | (0x5ULL << 10) |
				      ((u64)PT_MEM_WB << 52));
	fix_free(f);
}

static void test_overlap_refused_without_change(void **state)
{
	struct fix *f = fix_new(&fake_fmt, NULL);
	struct snap before, after;
	long live;

	assert_int_equal(pt_map(&f->pt, 2 * MiB, hpa(2 * MiB), 2 * MiB, 2, PT_PERM_RW, PT_MEM_WB),
			 PT_OK);
	assert_int_equal(pt_map(&f->pt, 8 * MiB, hpa(8 * MiB), PAGE_SIZE, 1, PT_PERM_RW, PT_MEM_WB),
			 PT_OK);
	before = snap_take(&f->pt);
	live = f->arena.live;

	/* 4 KiB leaves running into the 2 MiB leaf, from an empty region */
	assert_int_equal(pt_map(&f->pt, 1 * MiB, hpa(1 * MiB), 2 * MiB, 1, PT_PERM_RW, PT_MEM_WB),
			 PT_ERR_EXISTS);
	/* the same page again */
	assert_int_equal(pt_map(&f->pt, 8 * MiB, hpa(0), PAGE_SIZE, 1, PT_PERM_R, PT_MEM_WB),
			 PT_ERR_EXISTS);
	/* a 2 MiB leaf where a table of 4 KiB leaves is */
	assert_int_equal(pt_map(&f->pt, 8 * MiB, hpa(0), 2 * MiB, 2, PT_PERM_R, PT_MEM_WB),
			 PT_ERR_EXISTS);
	/* a 1 GiB leaf where the PD holding both is */
	assert_int_equal(pt_map(&f->pt, 0, hpa(0), GiB, 3, PT_PERM_R, PT_MEM_WB), PT_ERR_EXISTS);
	/* best-fit over a long fresh stretch that ends in the 4 KiB page */
	assert_int_equal(pt_map_best(&f->pt, 4 * MiB, hpa(4 * MiB), 4 * MiB + PAGE_SIZE, 3,
				     PT_PERM_R, PT_MEM_WB),
			 PT_ERR_EXISTS);
	after = snap_take(&f->pt);
	snap_same(&before, &after);
	assert_int_equal(f->arena.live, live);
	assert_int_equal(f->pt.table_count, live);

	/* without the page it fits; best-fit descends into the page's table */
	assert_int_equal(
	    pt_map_best(&f->pt, 4 * MiB, hpa(4 * MiB), 4 * MiB, 3, PT_PERM_R, PT_MEM_WB), PT_OK);
	assert_int_equal(pt_map_best(&f->pt, 8 * MiB + PAGE_SIZE, hpa(8 * MiB + PAGE_SIZE),
				     2 * MiB - PAGE_SIZE, 3, PT_PERM_R, PT_MEM_WB),
			 PT_OK);
	assert_int_equal(f->pt.table_count, live);
	expect_map(f, 4 * MiB, 4 * MiB, 2, PT_PERM_R, PT_MEM_WB);
	expect_map(f, 8 * MiB, 8 * MiB, 1, PT_PERM_RW, PT_MEM_WB);
	expect_map(f, 10 * MiB - 1, 10 * MiB - 1, 1, PT_PERM_R, PT_MEM_WB);
	fix_free(f);
}

/* Fails the Nth allocation for every N the request makes: nothing changes. */
static void check_nomem_each(struct fix *f, int (*op)(struct fix *f), long tables)
{
	struct snap before, after;
	long live = f->arena.live;
	u64 count = f->pt.table_count;

	for (long n = 1; n <= tables; n++) {
		before = snap_take(&f->pt);
		arena_arm(&f->arena, n);
		assert_int_equal(op(f), PT_ERR_NOMEM);
		after = snap_take(&f->pt);
		snap_same(&before, &after);
		assert_int_equal(f->arena.live, live);
		assert_int_equal(f->pt.table_count, count);
	}
	arena_arm(&f->arena, 0);
	assert_int_equal(op(f), PT_OK);
	assert_int_equal(f->pt.table_count, count + tables); /* the dry run counted exactly */
	assert_int_equal(f->arena.allocs, tables);
}

/* 4 KiB pages from just below 2 MiB across a 1 GiB line into PML4[1]. */
static int op_map_wide(struct fix *f)
{
	return pt_map(&f->pt, 512 * GiB - 4 * KiB, hpa(0x10000000), 2 * MiB + 8 * KiB, 1,
		      PT_PERM_RW, PT_MEM_WB);
}

static int op_unmap_in_1g(struct fix *f)
{
	return pt_unmap(&f->pt, GiB + 2 * MiB - PAGE_SIZE, 2 * MiB + 2 * PAGE_SIZE, NULL);
}

static int op_protect_in_1g(struct fix *f)
{
	return pt_protect(&f->pt, 2 * GiB + 5 * PAGE_SIZE, PAGE_SIZE, PT_PERM_R, NULL);
}

static void test_nomem_all_or_nothing(void **state)
{
	struct fix *f = fix_new(&fake_fmt, NULL);

	assert_int_equal(pt_map(&f->pt, 0, hpa(0), PAGE_SIZE, 1, PT_PERM_R, PT_MEM_WB), PT_OK);
	assert_int_equal(pt_map(&f->pt, GiB, hpa(GiB), 2 * GiB, 3, PT_PERM_RW, PT_MEM_WB), PT_OK);
	/*
	 * PML4[0]: PDPT[511] needs a PD and a PT; PML4[1]: a PDPT, a PD and two PTs.
	 */
	check_nomem_each(f, op_map_wide, 6);
	expect_map(f, 512 * GiB - 4 * KiB, 0x10000000, 1, PT_PERM_RW, PT_MEM_WB);
	expect_map(f, 512 * GiB + 2 * MiB, 0x10000000 + 2 * MiB + 4 * KiB, 1, PT_PERM_RW,
		   PT_MEM_WB);
	expect_unmapped(f, 512 * GiB + 2 * MiB + 4 * KiB);
	/* splitting a 1 GiB leaf around a 2 MiB line: a PD and two PTs */
	check_nomem_each(f, op_unmap_in_1g, 3);
	expect_unmapped(f, GiB + 2 * MiB);
	expect_map(f, GiB + 2 * MiB - 2 * PAGE_SIZE, GiB + 2 * MiB - 2 * PAGE_SIZE, 1, PT_PERM_RW,
		   PT_MEM_WB);
	/* protecting one page of a 1 GiB leaf: a PD and a PT */
	check_nomem_each(f, op_protect_in_1g, 2);
	expect_map(f, 2 * GiB + 5 * PAGE_SIZE, 2 * GiB + 5 * PAGE_SIZE, 1, PT_PERM_R, PT_MEM_WB);
	expect_map(f, 2 * GiB + 6 * PAGE_SIZE, 2 * GiB + 6 * PAGE_SIZE, 1, PT_PERM_RW, PT_MEM_WB);
	expect_map(f, 2 * GiB + 4 * MiB, 2 * GiB + 4 * MiB, 2, PT_PERM_RW, PT_MEM_WB);

	/* pt_init itself */
	{
		struct arena a = {.fail_at = 1};
		struct pt_mem mem = {arena_alloc, arena_free, arena_table, &a};
		struct pt pt;

		assert_int_equal(pt_init(&pt, &fake_fmt, &mem, NULL), PT_ERR_NOMEM);
		assert_int_equal(a.live, 0);
	}
	fix_free(f);
}

static void test_unmap_splits_2m(void **state)
{
	struct fix *f = fix_new(&fake_fmt, NULL);
	struct leaf_log log = {0};
	struct pt_change chg = {.on_leaf = log_leaf, .ctx = &log};
	const u64 pa = 0x7600000;

	assert_int_equal(
	    pt_map(&f->pt, 2 * MiB, hpa(pa), 2 * MiB, 2, PT_PERM_RW | PT_PERM_GLOBAL, PT_MEM_WT),
	    PT_OK);
	assert_int_equal(pt_unmap(&f->pt, 2 * MiB + 0x3000, PAGE_SIZE, &chg), PT_OK);
	assert_int_equal(chg.leaf_count, 1);
	assert_int_equal(chg.split_count, 1);
	assert_int_equal(chg.start, 2 * MiB + 0x3000);
	assert_int_equal(chg.end, 2 * MiB + 0x4000);
	assert_true(chg.flush);
	assert_int_equal(log.count, 1);
	assert_int_equal(log.va[0], 2 * MiB + 0x3000);
	assert_int_equal(log.pa[0], pa + 0x3000);
	assert_int_equal(log.level[0], 1);
	assert_int_equal(f->pt.table_count, 4); /* root, PDPT, PD, the split PT */

	expect_unmapped(f, 2 * MiB + 0x3000);
	expect_unmapped(f, 2 * MiB + 0x3fff);
	for (u64 off = 0; off < 2 * MiB; off += PAGE_SIZE)
		if (off != 0x3000)
			expect_map(f, 2 * MiB + off, pa + off, 1, PT_PERM_RW | PT_PERM_GLOBAL,
				   PT_MEM_WT);

	/* the hole can be mapped again; a hole unmapped again changes nothing */
	assert_int_equal(
	    pt_map(&f->pt, 2 * MiB + 0x3000, hpa(0x1000), PAGE_SIZE, 1, PT_PERM_R, PT_MEM_WB),
	    PT_OK);
	expect_map(f, 2 * MiB + 0x3000, 0x1000, 1, PT_PERM_R, PT_MEM_WB);
	assert_int_equal(pt_unmap(&f->pt, 16 * MiB, 4 * MiB, &chg), PT_OK);
	assert_int_equal(chg.leaf_count, 0);
	assert_int_equal(chg.start, chg.end);
	assert_false(chg.flush);

	/* unmapping the whole 2 MiB now removes 512 leaves; the PT stays */
	log.count = 0;
	assert_int_equal(pt_unmap(&f->pt, 2 * MiB, 2 * MiB, &chg), PT_OK);
	assert_int_equal(chg.leaf_count, 512);
	assert_int_equal(chg.split_count, 0);
	assert_int_equal(log.count, 512);
	assert_int_equal(f->pt.table_count, 4);
	expect_unmapped(f, 2 * MiB);
	fix_free(f);
}

/* on_split: each large leaf replaced, by its own first addresses and level, outermost first. */
static void test_split_callback(void **state)
{
	struct fix *f = fix_new(&fake_fmt, NULL);
	struct leaf_log log = {0};
	struct pt_change chg = {.on_split = log_leaf, .ctx = &log};
	const u64 base = 4 * GiB, pa = 7 * GiB;

	assert_int_equal(pt_map(&f->pt, base, hpa(pa), GiB, 3, PT_PERM_RWX, PT_MEM_WB), PT_OK);
	assert_int_equal(
	    pt_unmap(&f->pt, base + 2 * MiB - PAGE_SIZE, 2 * MiB + 2 * PAGE_SIZE, &chg), PT_OK);
	assert_int_equal(log.count, 3);
	assert_int_equal(log.va[0], base);
	assert_int_equal(log.pa[0], pa);
	assert_int_equal(log.level[0], 3);
	assert_int_equal(log.va[1], base);
	assert_int_equal(log.pa[1], pa);
	assert_int_equal(log.level[1], 2);
	assert_int_equal(log.va[2], base + 4 * MiB);
	assert_int_equal(log.pa[2], pa + 4 * MiB);
	assert_int_equal(log.level[2], 2);
	/* pt_protect reports its splits too; a whole leaf is not split. */
	log.count = 0;
	assert_int_equal(pt_protect(&f->pt, base + 8 * MiB + PAGE_SIZE, PAGE_SIZE, PT_PERM_R, &chg),
			 PT_OK);
	assert_int_equal(log.count, 1);
	assert_int_equal(log.va[0], base + 8 * MiB);
	assert_int_equal(log.pa[0], pa + 8 * MiB);
	assert_int_equal(log.level[0], 2);
	log.count = 0;
	assert_int_equal(pt_protect(&f->pt, base + 10 * MiB, 2 * MiB, PT_PERM_R, &chg), PT_OK);
	assert_int_equal(log.count, 0);
	fix_free(f);
}

/*
 * The zero-page machinery: pt_remap points one present leaf at another
 * frame (and refuses a hole, a table or another level), pt_maps_only sees
 * whether a table maps one frame alone, and keep_ro stays read-only
 * whatever pt_protect or pt_remap asks.
 */
static void test_remap_maps_only_keep_ro(void **state)
{
	struct fix *f = fix_new(&fake_fmt, NULL);
	const u64 base = 4 * GiB, zero = 9 * GiB, own = 10 * GiB;
	struct pt_walk w;

	(void)state;
	f->pt.keep_ro = hpa(zero);
	for (u64 p = 0; p < 3; p++)
		assert_int_equal(pt_map(&f->pt, base + p * PAGE_SIZE, hpa(zero), PAGE_SIZE, 1,
					PT_PERM_RX, PT_MEM_WB),
				 PT_OK);
	assert_true(pt_maps_only(&f->pt, base, 2, hpa(zero)));
	assert_true(pt_maps_only(&f->pt, base + MiB, 3, hpa(zero))); /* through its PD */
	assert_false(pt_maps_only(&f->pt, base, 2, hpa(own)));
	assert_false(pt_maps_only(&f->pt, base + 2 * MiB, 2, hpa(zero))); /* no table there */
	/* protect widening the range: the zero frame's leaves stay without W */
	assert_int_equal(pt_protect(&f->pt, base, 2 * PAGE_SIZE, PT_PERM_RWX, NULL), PT_OK);
	assert_true(pt_lookup(&f->pt, base, &w));
	assert_int_equal(w.perms, PT_PERM_RX);
	/* remap: one entry changes, to the frame and permissions asked */
	assert_int_equal(pt_remap(&f->pt, base + PAGE_SIZE, 1, hpa(own), PT_PERM_RWX), PT_OK);
	expect_map(f, base + PAGE_SIZE, own, 1, PT_PERM_RWX, PT_MEM_WB);
	expect_map(f, base, zero, 1, PT_PERM_RX, PT_MEM_WB);
	assert_false(pt_maps_only(&f->pt, base, 2, hpa(zero)));
	/* ... and never makes keep_ro writable */
	assert_int_equal(pt_remap(&f->pt, base + 2 * PAGE_SIZE, 1, hpa(zero), PT_PERM_RWX), PT_OK);
	expect_map(f, base + 2 * PAGE_SIZE, zero, 1, PT_PERM_RX, PT_MEM_WB);
	/* a hole, the wrong level, misalignment, bad permissions: refused, nothing changes */
	assert_int_equal(pt_remap(&f->pt, base + 3 * PAGE_SIZE, 1, hpa(own), PT_PERM_RWX),
			 PT_ERR_INVAL);
	assert_int_equal(pt_remap(&f->pt, base, 2, hpa(own), PT_PERM_RWX), PT_ERR_INVAL);
	assert_int_equal(pt_remap(&f->pt, base + 8, 1, hpa(own), PT_PERM_RWX), PT_ERR_ALIGN);
	assert_int_equal(pt_remap(&f->pt, base, 1, hpa(own), 0), PT_ERR_INVAL);
	expect_unmapped(f, base + 3 * PAGE_SIZE);
	expect_map(f, base, zero, 1, PT_PERM_RX, PT_MEM_WB);
	/* a large leaf: remapped at its own level only */
	assert_int_equal(
	    pt_map(&f->pt, base + 2 * MiB, hpa(own), 2 * MiB, 2, PT_PERM_RW, PT_MEM_WB), PT_OK);
	assert_int_equal(pt_remap(&f->pt, base + 2 * MiB, 1, hpa(zero), PT_PERM_R), PT_ERR_INVAL);
	assert_int_equal(pt_remap(&f->pt, base + 2 * MiB, 2, hpa(own + 2 * MiB), PT_PERM_R), PT_OK);
	expect_map(f, base + 2 * MiB, own + 2 * MiB, 2, PT_PERM_R, PT_MEM_WB);
	fix_free(f);
}

/* The leaf entry that maps va in the fake encoding, for a test to set the CPU's flags in. */
static u64 *fake_leaf_entry(struct fix *f, u64 va)
{
	u64 *table = arena_table(&f->arena, f->pt.root);

	for (unsigned level = PT_LEVELS; level >= 1; level--) {
		u64 *e = &table[(va >> (PAGE_SHIFT + PT_LEVEL_BITS * (level - 1))) & 511];

		assert_true(fake_present(*e));
		if (fake_leaf(*e, level))
			return e;
		table = arena_table(&f->arena, fake_addr(*e, level));
	}
	fail_msg("no leaf maps 0x%llx", (unsigned long long)va);
	return NULL;
}

static void count_leaf(void *ctx, u64 va, hpa_t pa, unsigned level);

/*
 * pt_harvest: counts the pages of the leaves with the flags asked (a 2 MiB
 * leaf as 512), names each, clears only the flags asked, and leaves
 * everything else of the entry alone.
 */
static void test_harvest(void **state)
{
	struct fix *f = fix_new(&fake_fmt, NULL);
	const u64 base = 4 * GiB, pa = 7 * GiB;
	u64 pages = 0, named = 0;
	struct pt_walk w;

	(void)state;
	for (u64 p = 0; p < 8; p++)
		assert_int_equal(pt_map(&f->pt, base + p * PAGE_SIZE, hpa(pa + p * PAGE_SIZE),
					PAGE_SIZE, 1, PT_PERM_RWX, PT_MEM_WB),
				 PT_OK);
	assert_int_equal(
	    pt_map(&f->pt, base + 2 * MiB, hpa(pa + 2 * MiB), 2 * MiB, 2, PT_PERM_RW, PT_MEM_WB),
	    PT_OK);
	*fake_leaf_entry(f, base + PAGE_SIZE) |= FAKE_A;
	*fake_leaf_entry(f, base + 3 * PAGE_SIZE) |= FAKE_A | FAKE_D;
	*fake_leaf_entry(f, base + 2 * MiB) |= FAKE_A | FAKE_D;
	/* dirty ones, nothing cleared */
	pt_harvest(&f->pt, base, 4 * MiB, FAKE_D, 0, count_leaf, &named, &pages);
	assert_int_equal(pages, 1 + 512);
	assert_int_equal(named, PAGE_SIZE + 2 * MiB); /* count_leaf adds their sizes */
	/* accessed ones, accessed cleared */
	pages = 0;
	pt_harvest(&f->pt, base, 4 * MiB, FAKE_A, FAKE_A, NULL, NULL, &pages);
	assert_int_equal(pages, 2 + 512);
	pages = 0;
	pt_harvest(&f->pt, base, 4 * MiB, FAKE_A, 0, NULL, NULL, &pages);
	assert_int_equal(pages, 0);
	/* dirty stays, the rest of the entry too */
	assert_int_equal(*fake_leaf_entry(f, base + 3 * PAGE_SIZE) & (FAKE_A | FAKE_D), FAKE_D);
	expect_map(f, base + 3 * PAGE_SIZE, pa + 3 * PAGE_SIZE, 1, PT_PERM_RWX, PT_MEM_WB);
	assert_true(pt_lookup(&f->pt, base + 2 * MiB + 5, &w));
	assert_int_equal(w.level, 2);
	/* a range that covers part of the 2 MiB leaf counts it whole */
	pages = 0;
	pt_harvest(&f->pt, base + 3 * MiB, PAGE_SIZE, FAKE_D, FAKE_D, NULL, NULL, &pages);
	assert_int_equal(pages, 512);
	assert_int_equal(*fake_leaf_entry(f, base + 2 * MiB) & FAKE_D, 0);
	fix_free(f);
}

static void test_unmap_splits_1g_twice(void **state)
{
	struct fix *f = fix_new(&fake_fmt, NULL);
	struct leaf_log log = {0};
	struct pt_change chg = {.on_leaf = log_leaf, .ctx = &log};
	const u64 base = 4 * GiB, pa = 7 * GiB;

	assert_int_equal(pt_map(&f->pt, base, hpa(pa), GiB, 3, PT_PERM_RWX, PT_MEM_WB), PT_OK);
	/* one page each side of a whole 2 MiB leaf */
	assert_int_equal(
	    pt_unmap(&f->pt, base + 2 * MiB - PAGE_SIZE, 2 * MiB + 2 * PAGE_SIZE, &chg), PT_OK);
	assert_int_equal(chg.split_count, 3);
	assert_int_equal(chg.leaf_count, 3);
	assert_int_equal(log.count, 3);
	assert_int_equal(log.level[0], 1);
	assert_int_equal(log.pa[0], pa + 2 * MiB - PAGE_SIZE);
	assert_int_equal(log.level[1], 2);
	assert_int_equal(log.pa[1], pa + 2 * MiB);
	assert_int_equal(log.level[2], 1);
	assert_int_equal(log.pa[2], pa + 4 * MiB);
	assert_int_equal(chg.start, base + 2 * MiB - PAGE_SIZE);
	assert_int_equal(chg.end, base + 4 * MiB + PAGE_SIZE);
	assert_int_equal(f->pt.table_count, 2 + 3);

	expect_map(f, base, pa, 1, PT_PERM_RWX, PT_MEM_WB);
	expect_map(f, base + 2 * MiB - 2 * PAGE_SIZE, pa + 2 * MiB - 2 * PAGE_SIZE, 1, PT_PERM_RWX,
		   PT_MEM_WB);
	expect_unmapped(f, base + 2 * MiB - PAGE_SIZE);
	expect_unmapped(f, base + 3 * MiB);
	expect_unmapped(f, base + 4 * MiB);
	expect_map(f, base + 4 * MiB + PAGE_SIZE, pa + 4 * MiB + PAGE_SIZE, 1, PT_PERM_RWX,
		   PT_MEM_WB);
	expect_map(f, base + 6 * MiB, pa + 6 * MiB, 2, PT_PERM_RWX, PT_MEM_WB);
	expect_map(f, base + GiB - 1, pa + GiB - 1, 2, PT_PERM_RWX, PT_MEM_WB);
	fix_free(f);
}

static void test_protect(void **state)
{
	struct fix *f = fix_new(&fake_fmt, NULL);
	struct pt_change chg = {0};

	assert_int_equal(
	    pt_map(&f->pt, 0x100000, hpa(0x900000), 16 * PAGE_SIZE, 1, PT_PERM_RW, PT_MEM_UC),
	    PT_OK);
	/* downgrade the middle four */
	assert_int_equal(pt_protect(&f->pt, 0x104000, 4 * PAGE_SIZE, PT_PERM_R, &chg), PT_OK);
	assert_int_equal(chg.leaf_count, 4);
	assert_true(chg.flush);
	assert_int_equal(chg.start, 0x104000);
	assert_int_equal(chg.end, 0x108000);
	expect_map(f, 0x103000, 0x903000, 1, PT_PERM_RW, PT_MEM_UC);
	expect_map(f, 0x104000, 0x904000, 1, PT_PERM_R, PT_MEM_UC);
	expect_map(f, 0x107000, 0x907000, 1, PT_PERM_R, PT_MEM_UC);
	expect_map(f, 0x108000, 0x908000, 1, PT_PERM_RW, PT_MEM_UC);
	/* an upgrade needs no flush; leaves already so are not rewritten */
	assert_int_equal(pt_protect(&f->pt, 0x100000, 16 * PAGE_SIZE, PT_PERM_RW, &chg), PT_OK);
	assert_int_equal(chg.leaf_count, 4);
	assert_false(chg.flush);
	/* losing only the global bit still needs a flush */
	assert_int_equal(pt_protect(&f->pt, 0x100000, PAGE_SIZE, PT_PERM_RW | PT_PERM_GLOBAL, &chg),
			 PT_OK);
	assert_false(chg.flush);
	assert_int_equal(pt_protect(&f->pt, 0x100000, PAGE_SIZE, PT_PERM_RW, &chg), PT_OK);
	assert_true(chg.flush);
	/* holes are skipped */
	assert_int_equal(pt_protect(&f->pt, 64 * MiB, 2 * MiB, PT_PERM_R, &chg), PT_OK);
	assert_int_equal(chg.leaf_count, 0);
	assert_false(chg.flush);

	/* part of a 2 MiB leaf: split, the rest keeps its rights */
	assert_int_equal(pt_map(&f->pt, 4 * MiB, hpa(32 * MiB), 2 * MiB, 2, PT_PERM_RWX, PT_MEM_WB),
			 PT_OK);
	assert_int_equal(pt_protect(&f->pt, 5 * MiB, 1 * MiB, PT_PERM_RX, &chg), PT_OK);
	assert_int_equal(chg.split_count, 1);
	assert_int_equal(chg.leaf_count, 256);
	assert_true(chg.flush);
	expect_map(f, 5 * MiB - 1, 33 * MiB - 1, 1, PT_PERM_RWX, PT_MEM_WB);
	expect_map(f, 5 * MiB, 33 * MiB, 1, PT_PERM_RX, PT_MEM_WB);
	expect_map(f, 6 * MiB - 1, 34 * MiB - 1, 1, PT_PERM_RX, PT_MEM_WB);
	/* the whole of a large leaf: rewritten in place, no split */
	assert_int_equal(pt_map(&f->pt, 8 * MiB, hpa(32 * MiB), 2 * MiB, 2, PT_PERM_RWX, PT_MEM_WB),
			 PT_OK);
	assert_int_equal(pt_protect(&f->pt, 8 * MiB, 2 * MiB, PT_PERM_R, &chg), PT_OK);
	assert_int_equal(chg.split_count, 0);
	assert_int_equal(chg.leaf_count, 1);
	expect_map(f, 9 * MiB, 33 * MiB, 2, PT_PERM_R, PT_MEM_WB);
	/* not expressible: nothing */
	assert_int_equal(pt_protect(&f->pt, 8 * MiB, 2 * MiB, 0, &chg), PT_ERR_INVAL);
	fix_free(f);
}

/* ---- emptied tables: unlinked and handed to on_table ---- */

struct table_log {
	struct arena *arena; /* frees each table handed over, at once */
	unsigned count;
	unsigned level[8];
};

static void release_table(void *ctx, hpa_t t, unsigned level)
{
	struct table_log *log = ctx;

	if (log->count < 8)
		log->level[log->count] = level;
	log->count++;
	arena_free(log->arena, t);
}

static int unmap_releasing(struct fix *f, u64 va, u64 size, struct table_log *log,
			   struct pt_change *chg)
{
	*chg = (struct pt_change){.on_table = release_table, .ctx = log};
	log->arena = &f->arena;
	log->count = 0;
	return pt_unmap(&f->pt, va, size, chg);
}

static void test_unmap_releases_empty_tables(void **state)
{
	struct fix *f = fix_new(&fake_fmt, NULL);
	struct table_log log = {0};
	struct pt_change chg;
	const u64 va = 5 * GiB + 6 * MiB;

	/* One page: root, PDPT, PD, PT. Unmapping it empties all three below the root. */
	assert_int_equal(pt_map(&f->pt, va, hpa(0x5000), PAGE_SIZE, 1, PT_PERM_RW, PT_MEM_WB),
			 PT_OK);
	assert_int_equal(f->pt.table_count, 4);
	assert_int_equal(unmap_releasing(f, va, PAGE_SIZE, &log, &chg), PT_OK);
	assert_int_equal(chg.leaf_count, 1);
	assert_int_equal(chg.table_count, 3);
	assert_true(chg.flush);
	assert_int_equal(log.count, 3);
	assert_int_equal(log.level[0], 1); /* deepest first: PT, PD, PDPT */
	assert_int_equal(log.level[1], 2);
	assert_int_equal(log.level[2], 3);
	assert_true(chg.start <= va && chg.end >= va + PAGE_SIZE);
	assert_int_equal(f->pt.table_count, 1);
	assert_int_equal(f->arena.live, 1);
	expect_unmapped(f, va);

	/* Two pages in one PT: the first unmap frees nothing, the second frees all three. */
	assert_int_equal(pt_map(&f->pt, va, hpa(0x5000), PAGE_SIZE, 1, PT_PERM_RW, PT_MEM_WB),
			 PT_OK);
	assert_int_equal(
	    pt_map(&f->pt, va + PAGE_SIZE, hpa(0x6000), PAGE_SIZE, 1, PT_PERM_RW, PT_MEM_WB),
	    PT_OK);
	assert_int_equal(unmap_releasing(f, va, PAGE_SIZE, &log, &chg), PT_OK);
	assert_int_equal(chg.table_count, 0);
	assert_int_equal(log.count, 0);
	assert_int_equal(f->pt.table_count, 4);
	expect_map(f, va + PAGE_SIZE, 0x6000, 1, PT_PERM_RW, PT_MEM_WB);
	assert_int_equal(unmap_releasing(f, va + PAGE_SIZE, PAGE_SIZE, &log, &chg), PT_OK);
	assert_int_equal(chg.table_count, 3);
	assert_int_equal(f->pt.table_count, 1);

	/* Pages in two PDs of one PDPT: unmapping one frees its PT and PD, not the PDPT. */
	assert_int_equal(pt_map(&f->pt, va, hpa(0x5000), PAGE_SIZE, 1, PT_PERM_RW, PT_MEM_WB),
			 PT_OK);
	assert_int_equal(pt_map(&f->pt, va + GiB, hpa(0x6000), PAGE_SIZE, 1, PT_PERM_RW, PT_MEM_WB),
			 PT_OK);
	assert_int_equal(f->pt.table_count, 6);
	assert_int_equal(unmap_releasing(f, va, PAGE_SIZE, &log, &chg), PT_OK);
	assert_int_equal(log.count, 2);
	assert_int_equal(log.level[0], 1);
	assert_int_equal(log.level[1], 2);
	assert_int_equal(f->pt.table_count, 4);
	expect_map(f, va + GiB, 0x6000, 1, PT_PERM_RW, PT_MEM_WB);

	/* A large leaf removed whole leaves its PD empty: freed with the PDPT. */
	assert_int_equal(unmap_releasing(f, va + GiB, PAGE_SIZE, &log, &chg), PT_OK);
	assert_int_equal(pt_map(&f->pt, 2 * GiB, hpa(4 * GiB), 2 * MiB, 2, PT_PERM_RW, PT_MEM_WB),
			 PT_OK);
	assert_int_equal(f->pt.table_count, 3);
	assert_int_equal(unmap_releasing(f, 2 * GiB, 2 * MiB, &log, &chg), PT_OK);
	assert_int_equal(log.count, 2);
	assert_int_equal(f->pt.table_count, 1);

	/* Holes only: nothing removed, nothing freed, no flush. */
	assert_int_equal(unmap_releasing(f, 0, 4 * MiB, &log, &chg), PT_OK);
	assert_int_equal(chg.table_count, 0);
	assert_false(chg.flush);
	fix_free(f);
}

/*
 * The last 4 KiB map's level-1 table is remembered for the next one in the
 * same 2 MiB; an unmap that unlinks that table must make the next map
 * build a new path, not write into the table it freed.
 */
static void test_leaf_table_hint(void **state)
{
	struct fix *f = fix_new(&fake_fmt, NULL);
	struct table_log log = {0};
	struct pt_change chg;
	const u64 va = 3 * GiB + 8 * MiB;

	/* the first map builds the path (the general way: no hint yet) */
	assert_int_equal(pt_map(&f->pt, va, hpa(0x5000), PAGE_SIZE, 1, PT_PERM_RW, PT_MEM_WB),
			 PT_OK);
	assert_int_equal(f->pt.hint_region, 0);
	/* the next walks it and keeps its table; the one after goes through the hint */
	assert_int_equal(
	    pt_map(&f->pt, va + 3 * PAGE_SIZE, hpa(0x9000), PAGE_SIZE, 1, PT_PERM_RW, PT_MEM_WB),
	    PT_OK);
	assert_int_equal(f->pt.hint_region, va / (2 * MiB) + 1);
	assert_int_equal(
	    pt_map(&f->pt, va + PAGE_SIZE, hpa(0x6000), PAGE_SIZE, 1, PT_PERM_RW, PT_MEM_WB),
	    PT_OK);
	expect_map(f, va + PAGE_SIZE, 0x6000, 1, PT_PERM_RW, PT_MEM_WB);
	expect_map(f, va + 3 * PAGE_SIZE, 0x9000, 1, PT_PERM_RW, PT_MEM_WB);
	assert_int_equal(f->pt.table_count, 4);
	/* a taken slot still goes to the general path, which refuses it */
	assert_int_equal(pt_map(&f->pt, va, hpa(0x7000), PAGE_SIZE, 1, PT_PERM_RW, PT_MEM_WB),
			 PT_ERR_EXISTS);
	/* all gone: PT, PD and PDPT unlinked and freed; the hint with them */
	assert_int_equal(unmap_releasing(f, va, 4 * PAGE_SIZE, &log, &chg), PT_OK);
	assert_int_equal(chg.table_count, 3);
	assert_int_equal(f->pt.hint_region, 0);
	assert_int_equal(
	    pt_map(&f->pt, va + 2 * PAGE_SIZE, hpa(0x8000), PAGE_SIZE, 1, PT_PERM_RW, PT_MEM_WB),
	    PT_OK);
	assert_int_equal(f->pt.table_count, 4);
	expect_map(f, va + 2 * PAGE_SIZE, 0x8000, 1, PT_PERM_RW, PT_MEM_WB);
	expect_unmapped(f, va);
	/* a protect forgets it too */
	assert_int_equal(pt_protect(&f->pt, va + 2 * PAGE_SIZE, PAGE_SIZE, PT_PERM_R, &chg), PT_OK);
	assert_int_equal(f->pt.hint_region, 0);
	fix_free(f);
}

/*
 * A page moved over and over to new 2 MiB and 1 GiB regions across the
 * whole address width (what a guest moving its APIC base does to its EPT):
 * with emptied tables released, the tables never exceed one path.
 */
static void test_moving_page_keeps_tables_bounded(void **state)
{
	struct fix *f = fix_new(&fake_fmt, NULL);
	struct table_log log = {0};
	struct pt_change chg;
	u64 prev = 0;

	for (u64 i = 1; i <= 20000; i++) {
		u64 va = ((i * 0x9E3779B97F4A7C15ULL) >> 16) % BIT(48) & ~(u64)(PAGE_SIZE - 1);

		if (prev)
			assert_int_equal(unmap_releasing(f, prev, PAGE_SIZE, &log, &chg), PT_OK);
		assert_int_equal(
		    pt_map(&f->pt, va, hpa(0x5000), PAGE_SIZE, 1, PT_PERM_RW, PT_MEM_WB), PT_OK);
		assert_true(f->pt.table_count <= 4);
		assert_int_equal(f->arena.live, (long)f->pt.table_count);
		prev = va;
	}
	fix_free(f);
}

static void test_tables_for(void **state)
{
	assert_int_equal(pt_tables_for(0), 1);
	assert_int_equal(pt_tables_for(PAGE_SIZE), 4);
	assert_int_equal(pt_tables_for(16 * MiB), 1 + 1 + 1 + 8);
	assert_int_equal(pt_tables_for(GiB), 1 + 1 + 1 + 512);
	assert_int_equal(pt_tables_for(GiB + PAGE_SIZE), 1 + 1 + 2 + 513);
	assert_int_equal(pt_tables_for(512 * GiB), 1 + 1 + 512 + 512 * 512);

	/* The bound holds: every page of 24 MiB + 4 KiB mapped 4 KiB at a time. */
	struct fix *f = fix_new(&fake_fmt, NULL);
	const u64 size = 24 * MiB + PAGE_SIZE;

	for (u64 va = 0; va < size; va += PAGE_SIZE)
		assert_int_equal(pt_map(&f->pt, va, hpa(va), PAGE_SIZE, 1, PT_PERM_RW, PT_MEM_WB),
				 PT_OK);
	assert_int_equal(f->pt.table_count, pt_tables_for(size));
	fix_free(f);
}

static void count_leaf(void *ctx, u64 va, hpa_t pa, unsigned level)
{
	u64 *bytes = ctx;

	*bytes += pt_level_size(level);
}

static void test_destroy_frees_every_table(void **state)
{
	struct fix *f = fix_new(&fake_fmt, NULL);
	u64 bytes = 0;

	assert_int_equal(pt_map_best(&f->pt, PAGE_SIZE, hpa(PAGE_SIZE), 3 * GiB - PAGE_SIZE, 3,
				     PT_PERM_RW, PT_MEM_WB),
			 PT_OK);
	assert_int_equal(
	    pt_map(&f->pt, 200 * GiB * 1024, hpa(0), 4 * PAGE_SIZE, 1, PT_PERM_R, PT_MEM_WB),
	    PT_OK);
	assert_int_equal(pt_unmap(&f->pt, GiB + 0x5000, PAGE_SIZE, NULL), PT_OK);
	assert_int_equal((long)f->pt.table_count, f->arena.live);
	pt_destroy(&f->pt, count_leaf, &bytes);
	assert_int_equal(bytes, 3 * GiB - 2 * PAGE_SIZE + 4 * PAGE_SIZE);
	assert_int_equal(f->pt.table_count, 0);
	assert_int_equal(f->arena.live, 0);
	pt_destroy(&f->pt, NULL, NULL); /* a second destroy is harmless */
	free(f);
}

static void test_best_fit_levels(void **state)
{
	struct fix *f = fix_new(&fake_fmt, NULL);

	/* [1 GiB - 4 KiB, 2 GiB + 2 MiB + 4 KiB): 4K, 1G, 2M, 4K */
	assert_int_equal(pt_map_best(&f->pt, GiB - PAGE_SIZE, hpa(GiB - PAGE_SIZE),
				     GiB + 2 * MiB + 2 * PAGE_SIZE, 3, PT_PERM_RW, PT_MEM_WB),
			 PT_OK);
	expect_map(f, GiB - PAGE_SIZE, GiB - PAGE_SIZE, 1, PT_PERM_RW, PT_MEM_WB);
	expect_map(f, GiB, GiB, 3, PT_PERM_RW, PT_MEM_WB);
	expect_map(f, 2 * GiB, 2 * GiB, 2, PT_PERM_RW, PT_MEM_WB);
	expect_map(f, 2 * GiB + 2 * MiB, 2 * GiB + 2 * MiB, 1, PT_PERM_RW, PT_MEM_WB);
	expect_unmapped(f, 2 * GiB + 2 * MiB + PAGE_SIZE);
	/* max_level caps it; a pa off the va's alignment forces 4 KiB leaves */
	assert_int_equal(pt_map_best(&f->pt, 8 * GiB, hpa(8 * GiB), GiB, 2, PT_PERM_R, PT_MEM_WB),
			 PT_OK);
	expect_map(f, 8 * GiB + 0x345678, 8 * GiB + 0x345678, 2, PT_PERM_R, PT_MEM_WB);
	assert_int_equal(
	    pt_map_best(&f->pt, 16 * GiB, hpa(PAGE_SIZE), 4 * MiB, 3, PT_PERM_R, PT_MEM_WB), PT_OK);
	expect_map(f, 16 * GiB + 2 * MiB, 2 * MiB + PAGE_SIZE, 1, PT_PERM_R, PT_MEM_WB);
	fix_free(f);

	/* a CPU without 1 GiB leaves */
	{
		struct pt_cfg cfg = {48, 52, PT_LEVEL_MASK(1) | PT_LEVEL_MASK(2)};

		f = fix_new(&fake_fmt, &cfg);
		assert_int_equal(pt_map_best(&f->pt, 0, hpa(0), 4 * GiB, 3, PT_PERM_R, PT_MEM_WB),
				 PT_OK);
		expect_map(f, GiB, GiB, 2, PT_PERM_R, PT_MEM_WB);
		assert_int_equal(f->pt.table_count, 1 + 1 + 4);
		assert_int_equal(pt_map(&f->pt, 8 * GiB, hpa(0), GiB, 3, PT_PERM_R, PT_MEM_WB),
				 PT_ERR_INVAL);
		fix_free(f);
	}
}

static void test_argument_errors(void **state)
{
	struct pt_cfg narrow = {39, 36, PT_LEVEL_MASK(1) | PT_LEVEL_MASK(2) | PT_LEVEL_MASK(3)};
	struct fix *f = fix_new(&fake_fmt, &narrow);
	struct pt *pt = &f->pt;
	struct pt_walk w;

	assert_int_equal(pt_map(pt, 0x1001, hpa(0), PAGE_SIZE, 1, PT_PERM_R, PT_MEM_WB),
			 PT_ERR_ALIGN);
	assert_int_equal(pt_map(pt, 0x1000, hpa(0x10), PAGE_SIZE, 1, PT_PERM_R, PT_MEM_WB),
			 PT_ERR_ALIGN);
	assert_int_equal(pt_map(pt, 0x1000, hpa(0), 0x800, 1, PT_PERM_R, PT_MEM_WB), PT_ERR_ALIGN);
	assert_int_equal(pt_map(pt, 2 * MiB, hpa(PAGE_SIZE), 2 * MiB, 2, PT_PERM_R, PT_MEM_WB),
			 PT_ERR_ALIGN);
	assert_int_equal(pt_map(pt, PAGE_SIZE, hpa(0), 2 * MiB, 2, PT_PERM_R, PT_MEM_WB),
			 PT_ERR_ALIGN);
	assert_int_equal(pt_map(pt, 0, hpa(0), 0, 1, PT_PERM_R, PT_MEM_WB), PT_ERR_RANGE);
	assert_int_equal(
	    pt_map(pt, BIT(39) - PAGE_SIZE, hpa(0), 2 * PAGE_SIZE, 1, PT_PERM_R, PT_MEM_WB),
	    PT_ERR_RANGE);
	assert_int_equal(
	    pt_map(pt, BIT(39) - PAGE_SIZE, hpa(0), PAGE_SIZE, 1, PT_PERM_R, PT_MEM_WB), PT_OK);
	assert_int_equal(pt_map(pt, -PAGE_SIZE, hpa(0), 2 * PAGE_SIZE, 1, PT_PERM_R, PT_MEM_WB),
			 PT_ERR_RANGE);
	assert_int_equal(
	    pt_map(pt, 0, hpa(BIT(36) - PAGE_SIZE), 2 * PAGE_SIZE, 1, PT_PERM_R, PT_MEM_WB),
	    PT_ERR_RANGE);
	assert_int_equal(
	    pt_map(pt, 0, hpa(BIT(36) - PAGE_SIZE), PAGE_SIZE, 1, PT_PERM_R, PT_MEM_WB), PT_OK);
	assert_int_equal(pt_map(pt, 0, hpa(0), GiB, 4, PT_PERM_R, PT_MEM_WB), PT_ERR_INVAL);
	assert_int_equal(pt_map(pt, 0, hpa(0), PAGE_SIZE, 0, PT_PERM_R, PT_MEM_WB), PT_ERR_INVAL);
	assert_int_equal(pt_map(pt, GiB, hpa(0), PAGE_SIZE, 1, 0, PT_MEM_WB), PT_ERR_INVAL);
	assert_int_equal(pt_map(pt, GiB, hpa(0), PAGE_SIZE, 1, BIT(7) | PT_PERM_R, PT_MEM_WB),
			 PT_ERR_INVAL);
	assert_int_equal(pt_map(pt, GiB, hpa(0), PAGE_SIZE, 1, PT_PERM_R, PT_MEM_WC), PT_ERR_INVAL);
	assert_int_equal(pt_map_best(pt, GiB, hpa(0), PAGE_SIZE, 0, PT_PERM_R, PT_MEM_WB),
			 PT_ERR_INVAL);
	assert_int_equal(pt_unmap(pt, 0x800, PAGE_SIZE, NULL), PT_ERR_ALIGN);
	assert_int_equal(pt_unmap(pt, 0, 0, NULL), PT_ERR_RANGE);
	assert_int_equal(pt_unmap(pt, 0, BIT(39) + PAGE_SIZE, NULL), PT_ERR_RANGE);
	assert_int_equal(pt_protect(pt, 0, PAGE_SIZE + 1, PT_PERM_R, NULL), PT_ERR_ALIGN);
	assert_false(pt_lookup(pt, BIT(39), &w));
	assert_int_equal(f->pt.table_count, 1 + 3 + 2); /* only the two good maps */
	fix_free(f);

	/* limits an encoding cannot honour */
	{
		struct arena a = {0};
		struct pt_mem mem = {arena_alloc, arena_free, arena_table, &a};
		struct pt_cfg bad[] = {
		    {49, 52, PT_LEVEL_MASK(1)},
		    {48, 53, PT_LEVEL_MASK(1)},
		    {12, 52, PT_LEVEL_MASK(1)},
		    {48, 52, PT_LEVEL_MASK(2)},
		    {48, 52, PT_LEVEL_MASK(1) | PT_LEVEL_MASK(4)},
		};
		struct pt p;

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			assert_int_equal(pt_init(&p, &fake_fmt, &mem, &bad[i]), PT_ERR_CONFIG);
		assert_int_equal(a.live, 0);
	}
	/* every status has its own text */
	for (int e = PT_ERR_CONFIG; e <= PT_OK; e++)
		for (int g = e + 1; g <= PT_OK; g++)
			assert_string_not_equal(pt_strerror(e), pt_strerror(g));
	assert_string_equal(pt_strerror(PT_ERR_EXISTS), "range already mapped");
	assert_string_equal(pt_strerror(-99), "unknown error");
}

/* ---- a random walk against a per-page model, for each encoding ---- */

#define MODEL_BASE  (GiB)      /* one PD's span: 2 MiB slots */
#define MODEL_PAGES (32 * 512) /* 32 MiB of 4 KiB pages */
#define MODEL_SLOTS (MODEL_PAGES / 512)

enum slot_state { SLOT_EMPTY, SLOT_LEAF, SLOT_TABLE };

struct model {
	bool mapped[MODEL_PAGES];
	u64 pa[MODEL_PAGES];
	unsigned perms[MODEL_PAGES];
	enum slot_state slot[MODEL_SLOTS];
	bool any; /* PDPT and PD exist once anything was mapped */
	u64 rng;
};

static u64 model_rand(struct model *m, u64 n)
{
	m->rng ^= m->rng << 13;
	m->rng ^= m->rng >> 7;
	m->rng ^= m->rng << 17;
	return m->rng % n;
}

static void model_check(struct fix *f, const struct model *m)
{
	u64 tables = m->any ? 3 : 1;

	for (u64 s = 0; s < MODEL_SLOTS; s++)
		tables += m->slot[s] == SLOT_TABLE;
	assert_int_equal(f->pt.table_count, tables);
	assert_int_equal(f->arena.live, (long)tables);
	for (u64 p = 0; p < MODEL_PAGES; p++) {
		struct pt_walk w;
		u64 va = MODEL_BASE + p * PAGE_SIZE;

		if (!m->mapped[p]) {
			assert_false(pt_lookup(&f->pt, va + 0x10, &w));
			continue;
		}
		assert_true(pt_lookup(&f->pt, va + 0x10, &w));
		assert_int_equal(hpa_addr(w.pa), m->pa[p] + 0x10);
		assert_int_equal(w.perms, m->perms[p]);
		assert_int_equal(w.level, m->slot[p / 512] == SLOT_LEAF ? 2 : 1);
	}
}

static const unsigned model_perms[] = {PT_PERM_R, PT_PERM_RW, PT_PERM_RX, PT_PERM_RWX};

/* Predicts pt_map's result and applies it to the model on success. */
static int model_map(struct model *m, u64 first, u64 count, unsigned level, u64 pa, unsigned perms)
{
	for (u64 p = first; p < first + count; p++)
		if (m->mapped[p] || (level == 2 && m->slot[p / 512] != SLOT_EMPTY))
			return PT_ERR_EXISTS;
	for (u64 p = first; p < first + count; p++) {
		m->mapped[p] = true;
		m->pa[p] = pa + (p - first) * PAGE_SIZE;
		m->perms[p] = perms;
		m->slot[p / 512] = level == 2 ? SLOT_LEAF : SLOT_TABLE;
	}
	m->any = true;
	return PT_OK;
}

/* Unmap (perms 0) or protect pages [first, first + count) in the model. */
static void model_change(struct model *m, u64 first, u64 count, unsigned perms, bool *flush)
{
	*flush = false;
	for (u64 s = first / 512; s <= (first + count - 1) / 512; s++) {
		u64 lo = s * 512, hi = lo + 512; /* the slot's pages */
		bool partial = first > lo || first + count < hi;

		if (partial && m->slot[s] == SLOT_LEAF)
			m->slot[s] = SLOT_TABLE; /* a large leaf partly changed is split */
	}
	for (u64 p = first; p < first + count; p++) {
		if (!m->mapped[p])
			continue;
		*flush |= (m->perms[p] & ~perms) != 0;
		if (perms == 0)
			m->mapped[p] = false;
		else
			m->perms[p] = perms;
	}
	for (u64 s = first / 512; s <= (first + count - 1) / 512; s++) {
		bool left = false;

		for (u64 p = s * 512; p < (s + 1) * 512; p++)
			left |= m->mapped[p];
		if (m->slot[s] == SLOT_LEAF && !left)
			m->slot[s] = SLOT_EMPTY;
		/* An unmap releases the tables it empties (model_step passes on_table). */
		if (perms == 0 && m->slot[s] == SLOT_TABLE && !left)
			m->slot[s] = SLOT_EMPTY;
	}
	if (perms == 0) {
		bool any = false;

		for (u64 s = 0; s < MODEL_SLOTS; s++)
			any |= m->slot[s] != SLOT_EMPTY;
		m->any = any; /* the PD and PDPT went with the last slot */
	}
}

static void model_step(struct fix *f, struct model *m)
{
	u64 kind = model_rand(m, 3), first, count, pa;
	unsigned perms = model_perms[model_rand(m, 4)];
	long fail = model_rand(m, 4) == 0 ? (long)model_rand(m, 3) + 1 : 0;
	struct pt_change chg = {0};
	struct table_log tables = {0};
	struct snap before, after;
	bool flush;
	int err, want;

	if (kind == 0 && model_rand(m, 2)) { /* map one 2 MiB leaf */
		first = model_rand(m, MODEL_SLOTS) * 512;
		count = 512;
		pa = model_rand(m, 1024) * 2 * MiB;
	} else {
		first = model_rand(m, MODEL_PAGES);
		count = 1 + model_rand(m, MIN(MODEL_PAGES - first, 1200));
		pa = model_rand(m, 1 << 20) * PAGE_SIZE;
	}
	before = snap_take(&f->pt);
	arena_arm(&f->arena, fail);
	f->arena.fail_after = true;
	if (kind == 0)
		err = pt_map(&f->pt, MODEL_BASE + first * PAGE_SIZE, hpa(pa), count * PAGE_SIZE,
			     count == 512 && first % 512 == 0 && pa % (2 * MiB) == 0 ? 2 : 1, perms,
			     PT_MEM_WB);
	else
		err = kind == 1 ? unmap_releasing(f, MODEL_BASE + first * PAGE_SIZE,
						  count * PAGE_SIZE, &tables, &chg)
				: pt_protect(&f->pt, MODEL_BASE + first * PAGE_SIZE,
					     count * PAGE_SIZE, perms, &chg);
	arena_arm(&f->arena, 0);
	after = snap_take(&f->pt);
	if (err == PT_ERR_NOMEM) { /* only when a failure was armed; nothing changed */
		assert_true(fail != 0);
		snap_same(&before, &after);
		return;
	}
	free(before.v);
	free(after.v);
	if (kind == 0) {
		want = model_map(m, first, count,
				 count == 512 && first % 512 == 0 && pa % (2 * MiB) == 0 ? 2 : 1,
				 pa, perms);
		assert_int_equal(err, want);
		return;
	}
	assert_int_equal(err, PT_OK);
	model_change(m, first, count, kind == 1 ? 0 : perms, &flush);
	/* Unlinking an emptied table asks for a flush even where no leaf was removed. */
	assert_int_equal(chg.flush, flush || chg.table_count > 0);
	assert_int_equal(f->arena.live, (long)f->pt.table_count);
}

static void run_model(const struct pt_fmt *fmt, u64 seed)
{
	struct fix *f = fix_new(fmt, NULL);
	struct model *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	m->rng = seed;
	for (int i = 0; i < 400; i++) {
		model_step(f, m);
		if (i % 8 == 7)
			model_check(f, m);
	}
	model_check(f, m);
	free(m);
	fix_free(f);
}

static void test_model_fake(void **state)
{
	run_model(&fake_fmt, 0x9E3779B97F4A7C15ULL);
	run_model(&fake_fmt, 12345);
}

static void test_model_x86(void **state)
{
	run_model(&pt_x86_fmt, 0xC0FFEE);
}

static void test_model_ept(void **state)
{
	run_model(&ept_fmt, 0xBADC0DE);
}

/* ---- the IA-32e encoding against SDM Vol. 3A Tables 4-15 to 4-20 ---- */

static void test_x86_bits(void **state)
{
	const struct pt_fmt *x = &pt_x86_fmt;
	u64 e;

	/* PDE mapping 2 MiB: P(0) R/W(1) PS(7) XD(63), write-back (PAT 0) */
	e = x->make_leaf(hpa(0x40000000), 2, PT_PERM_RW, PT_MEM_WB);
	assert_int_equal(e, 0x8000000040000083ULL);
	/* PTE: read+execute, global (8), so no R/W and no XD */
	e = x->make_leaf(hpa(0x1234000), 1, PT_PERM_RX | PT_PERM_GLOBAL, PT_MEM_WB);
	assert_int_equal(e, 0x0000000001234101ULL);
	/* PDPTE mapping 1 GiB: U/S(2), PCD(4)+PWT(3) = PAT entry 3 = UC */
	e = x->make_leaf(hpa(0x3C0000000ULL), 3, PT_PERM_RWX | PT_PERM_USER, PT_MEM_UC);
	assert_int_equal(e, 0x00000003C000009FULL);
	assert_int_equal(x->make_leaf(hpa(0x5000), 1, PT_PERM_RWX, PT_MEM_WT), 0x500BULL);
	assert_int_equal(x->make_leaf(hpa(0x5000), 1, PT_PERM_RWX, PT_MEM_UC_MINUS), 0x5013ULL);
	/* a table reference: P, R/W, U/S */
	assert_int_equal(x->make_table(hpa(0xFFFFFFFFFF000ULL)), 0xFFFFFFFFFF007ULL);

	/* getters give back what was made */
	e = x->make_leaf(hpa(0x3C0000000ULL), 3, PT_PERM_RWX | PT_PERM_USER, PT_MEM_UC);
	assert_true(x->present(e) && x->leaf(e, 3));
	assert_int_equal(hpa_addr(x->addr(e, 3)), 0x3C0000000ULL);
	assert_int_equal(x->perms(e, 3), PT_PERM_RWX | PT_PERM_USER);
	assert_int_equal(x->memtype(e, 3), PT_MEM_UC);
	/* a large page's PAT bit (12) and high ignored bits are not address */
	assert_int_equal(pte_addr(0x40001083ULL | PTE_PAT_LARGE, 2), 0x40000000ULL);
	assert_int_equal(pte_addr(0x7FF0000000001003ULL, 1), 0x1000ULL);
	/* PS means nothing in a PML4E; bit 7 of a PTE is PAT, not PS */
	assert_false(x->leaf(0x1083, 4));
	assert_false(x->leaf(0x1003, 2));
	assert_true(x->leaf(0x1003, 1));
	assert_false(x->present(0x8000000040000082ULL));
	/* reads are implied by P: a leaf without R is not expressible */
	assert_false(x->perms_ok(PT_PERM_W));
	assert_false(x->memtype_ok(PT_MEM_WC));
	assert_false(x->memtype_ok(PT_MEM_WP));
}

static void test_x86_tree(void **state)
{
	struct fix *f = fix_new(&pt_x86_fmt, NULL);
	const u64 *pml4 = arena_table(NULL, f->pt.root), *pdpt, *pd, *ptab;

	assert_int_equal(pt_map(&f->pt, 0x200000, hpa(0x200000), 2 * MiB, 2,
				PT_PERM_RW | PT_PERM_GLOBAL, PT_MEM_WB),
			 PT_OK);
	assert_int_equal(pml4[0] & 0xFFF, 0x007);
	pdpt = arena_table(NULL, hpa(pml4[0] & PTE_ADDR_MASK));
	assert_int_equal(pdpt[0] & 0xFFF, 0x007);
	pd = arena_table(NULL, hpa(pdpt[0] & PTE_ADDR_MASK));
	assert_int_equal(pd[1], 0x8000000000200183ULL);
	/* split: PTEs get no PS (bit 7 would be PAT there) */
	assert_int_equal(pt_unmap(&f->pt, 0x201000, PAGE_SIZE, NULL), PT_OK);
	assert_int_equal(pd[1] & (PTE_PS | 0xFFF | PTE_XD), 0x007);
	ptab = arena_table(NULL, hpa(pd[1] & PTE_ADDR_MASK));
	assert_int_equal(ptab[0], 0x8000000000200103ULL);
	assert_int_equal(ptab[1], 0);
	assert_int_equal(ptab[511], 0x80000000003FF103ULL);
	assert_int_equal(pt_protect(&f->pt, 0x202000, PAGE_SIZE, PT_PERM_RX, NULL), PT_OK);
	assert_int_equal(ptab[2], 0x0000000000202001ULL);
	fix_free(f);
}

/* ---- the EPT encoding against SDM Vol. 3C Tables 29-1 to 29-6 ---- */

static void test_ept_bits(void **state)
{
	const struct pt_fmt *x = &ept_fmt;
	u64 e;

	/* 2 MiB, WB, RWX at 0x40000000: R|W|X = 7, WB (6) << 3 = 0x30, PS (7) = 0x80 */
	e = x->make_leaf(hpa(0x40000000), 2, PT_PERM_RWX, PT_MEM_WB);
	assert_int_equal(e, 0x00000000400000B7ULL);
	assert_int_equal(x->make_leaf(hpa(0x40000000), 3, PT_PERM_RW, PT_MEM_WB),
			 0x00000000400000B3ULL);
	assert_int_equal(x->make_leaf(hpa(0x5000), 1, PT_PERM_R, PT_MEM_UC), 0x5001ULL);
	assert_int_equal(x->make_leaf(hpa(0x5000), 1, PT_PERM_X, PT_MEM_WC), 0x500CULL);
	assert_int_equal(x->make_table(hpa(0x7000)), 0x7007ULL);
	assert_true(x->present(0x4));
	assert_false(x->present(0x400000B0ULL));
	assert_true(x->leaf(e, 2));
	assert_false(x->leaf(0x7007, 2));
	assert_false(x->leaf(0x7087, 4));
	assert_int_equal(hpa_addr(x->addr(e | EPT_ACCESSED | EPT_DIRTY | BIT(12), 2)), 0x40000000);
	assert_int_equal(x->perms(e, 2), PT_PERM_RWX);
	assert_int_equal(x->memtype(e, 2), PT_MEM_WB);
	/* write without read is a misconfiguration; execute-only is allowed */
	assert_false(x->perms_ok(PT_PERM_W));
	assert_false(x->perms_ok(PT_PERM_W | PT_PERM_X));
	assert_true(x->perms_ok(PT_PERM_X));
	assert_false(x->perms_ok(0));
	assert_false(x->memtype_ok(PT_MEM_UC_MINUS));
	assert_true(x->memtype_ok(PT_MEM_WP));
	/* EPTP: WB (6), walk length 4 - 1 = 3 in bits 5:3, A/D enable bit 6 */
	assert_int_equal(ept_eptp(hpa(0x123000), false), 0x12301EULL);
	assert_int_equal(ept_eptp(hpa(0x123000), true), 0x12305EULL);
}

static void test_ept_tree(void **state)
{
	struct pt_cfg cfg = {39, 39, PT_LEVEL_MASK(1) | PT_LEVEL_MASK(2)};
	struct fix *f = fix_new(&ept_fmt, &cfg);
	struct pt_walk w;

	assert_int_equal(
	    pt_map(&f->pt, 0x40000000, hpa(0x40000000), 4 * MiB, 2, PT_PERM_RWX, PT_MEM_WB), PT_OK);
	assert_true(pt_lookup(&f->pt, 0x40200000, &w));
	assert_int_equal(w.entry, 0x402000B7ULL);
	assert_int_equal(pt_map(&f->pt, 0, hpa(BIT(39)), PAGE_SIZE, 1, PT_PERM_R, PT_MEM_WB),
			 PT_ERR_RANGE);
	assert_int_equal(pt_map(&f->pt, BIT(39), hpa(0), PAGE_SIZE, 1, PT_PERM_R, PT_MEM_WB),
			 PT_ERR_RANGE);
	assert_int_equal(pt_map(&f->pt, 0, hpa(0), PAGE_SIZE, 1, PT_PERM_W, PT_MEM_WB),
			 PT_ERR_INVAL);
	assert_int_equal(
	    pt_map(&f->pt, 0, hpa(0), PAGE_SIZE, 1, PT_PERM_RW | PT_PERM_GLOBAL, PT_MEM_WB),
	    PT_ERR_INVAL);
	assert_int_equal(pt_map(&f->pt, 0, hpa(0), GiB, 3, PT_PERM_R, PT_MEM_WB), PT_ERR_INVAL);
	/* write-protect one page of the 2 MiB leaf (dirty tracking's first step) */
	assert_int_equal(pt_protect(&f->pt, 0x40001000, PAGE_SIZE, PT_PERM_RX, NULL), PT_OK);
	assert_true(pt_lookup(&f->pt, 0x40001000, &w));
	assert_int_equal(w.entry, 0x40001035ULL);
	assert_true(pt_lookup(&f->pt, 0x40002000, &w));
	assert_int_equal(w.entry, 0x40002037ULL);
	fix_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_map_lookup_each_level),
	    cmocka_unit_test(test_overlap_refused_without_change),
	    cmocka_unit_test(test_nomem_all_or_nothing),
	    cmocka_unit_test(test_unmap_splits_2m),
	    cmocka_unit_test(test_unmap_splits_1g_twice),
	    cmocka_unit_test(test_split_callback),
	    cmocka_unit_test(test_remap_maps_only_keep_ro),
	    cmocka_unit_test(test_harvest),
	    cmocka_unit_test(test_unmap_releases_empty_tables),
	    cmocka_unit_test(test_leaf_table_hint),
	    cmocka_unit_test(test_moving_page_keeps_tables_bounded),
	    cmocka_unit_test(test_tables_for),
	    cmocka_unit_test(test_protect),
	    cmocka_unit_test(test_destroy_frees_every_table),
	    cmocka_unit_test(test_best_fit_levels),
	    cmocka_unit_test(test_argument_errors),
	    cmocka_unit_test(test_model_fake),
	    cmocka_unit_test(test_model_x86),
	    cmocka_unit_test(test_model_ept),
	    cmocka_unit_test(test_x86_bits),
	    cmocka_unit_test(test_x86_tree),
	    cmocka_unit_test(test_ept_bits),
	    cmocka_unit_test(test_ept_tree),
	};

	return cmocka_run_group_tests_name("pt", tests, NULL, NULL);
}
