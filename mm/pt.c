/*
 * The architecture-neutral 4-level page-table walker, map, unmap and
 * protect (see mm/pt.h for the contract). Entries are read and built only
 * through struct pt_fmt; tables are reached only through struct pt_mem.
 * No inline assembly: the host unit tests run this file as it is.
 *
 * One walk, for an input address va below 2^48:
 *
 *   47        39 38        30 29        21 20        12 11           0
 *  +------------+------------+------------+------------+--------------+
 *  | level 4 ix | level 3 ix | level 2 ix | level 1 ix | page offset  |
 *  +------------+------------+------------+------------+--------------+
 *        |            |            |            |
 *   root +-> [PML4E] -+-> [PDPTE] -+-> [PDE] ---+-> [PTE] --> 4 KiB frame
 *                         |            |
 *                         +-> 1 GiB    +-> 2 MiB        (leaf when the
 *                             frame        frame         encoding says so)
 *
 * Every update runs the same walk twice (struct pt_op): a dry run that
 * checks for conflicts and counts the tables the update needs, then, once
 * that many tables are allocated into a pool, a commit that takes tables
 * from the pool and writes entries and cannot fail.
 */
#include "mm/pt.h"
#include "lib/panic.h"

enum pt_op_kind {
	PT_OP_MAP,
	PT_OP_UNMAP,
	PT_OP_PROTECT,
};

/* One update in progress: its request, phase, table pool and report. */
struct pt_op {
	struct pt *pt;
	enum pt_op_kind kind;
	bool commit;	    /* false: dry run, nothing is written */
	u64 tables_needed;  /* counted by the dry run */
	hpa_t pool;	    /* commit: allocated tables, chained through word 0 */
	u64 pool_count;	    /* tables left in the pool */
	unsigned leaf_mask; /* map: PT_LEVEL_MASK()s where a leaf may go */
	unsigned min_level; /* map: the lowest level in leaf_mask */
	unsigned perms;	    /* map, protect */
	enum pt_memtype mt; /* map */
	struct pt_change *chg;
};

const char *pt_strerror(int err)
{
	switch (err) {
	case PT_OK:
		return "ok";
	case PT_ERR_NOMEM:
		return "out of memory for page tables";
	case PT_ERR_EXISTS:
		return "range already mapped";
	case PT_ERR_ALIGN:
		return "misaligned address or size";
	case PT_ERR_RANGE:
		return "address range empty, wrapping or too wide";
	case PT_ERR_INVAL:
		return "invalid level, permissions or memory type";
	case PT_ERR_CONFIG:
		return "unsupported page-table limits";
	default:
		return "unknown error";
	}
}

/* ---- entries and tables ---- */

static u64 *pt_table(const struct pt *pt, hpa_t t)
{
	return pt->mem->table(pt->mem->ctx, t);
}

/* One untorn read of an entry the CPU may update (accessed/dirty bits). */
static u64 pt_entry_read(const u64 *table, unsigned i)
{
	return __atomic_load_n(&table[i], __ATOMIC_RELAXED);
}

/* One untorn write, so the CPU never walks through half an entry. */
static void pt_entry_write(u64 *table, unsigned i, u64 e)
{
	__atomic_store_n(&table[i], e, __ATOMIC_RELAXED);
}

static unsigned pt_index(u64 va, unsigned level)
{
	return (va >> (PAGE_SHIFT + PT_LEVEL_BITS * (level - 1))) & (PT_ENTRY_COUNT - 1);
}

/* The end of the level-`level` entry's span that contains va. */
static u64 pt_slot_end(u64 va, unsigned level)
{
	return ALIGN_DOWN(va, pt_level_size(level)) + pt_level_size(level);
}

static void pt_free_table(struct pt *pt, hpa_t t)
{
	CHECK(pt->table_count > 0);
	pt->mem->free(pt->mem->ctx, t);
	pt->table_count--;
}

/* ---- the table pool: the only allocation, before any entry is written ---- */

static void pt_pool_drain(struct pt_op *op)
{
	while (op->pool_count > 0) {
		hpa_t t = op->pool;

		op->pool = hpa(pt_table(op->pt, t)[0]);
		op->pool_count--;
		op->pt->mem->free(op->pt->mem->ctx, t);
	}
}

/* Allocates n zeroed tables into the pool; on failure holds none. */
static int pt_pool_fill(struct pt_op *op, u64 n)
{
	for (u64 i = 0; i < n; i++) {
		hpa_t t;

		if (!op->pt->mem->alloc(op->pt->mem->ctx, &t)) {
			pt_pool_drain(op);
			return PT_ERR_NOMEM;
		}
		pt_table(op->pt, t)[0] = hpa_addr(op->pool);
		op->pool = t;
		op->pool_count++;
	}
	return PT_OK;
}

/* Takes one table out of the pool, zeroed again, and counts it as held. */
static hpa_t pt_pool_take(struct pt_op *op)
{
	hpa_t t = op->pool;
	u64 *p;

	CHECK(op->commit && op->pool_count > 0);
	p = pt_table(op->pt, t);
	op->pool = hpa(p[0]);
	op->pool_count--;
	p[0] = 0;
	op->pt->table_count++;
	return t;
}

/* ---- map ---- */

static int pt_map_level(struct pt_op *op, unsigned level, u64 *table, u64 va, u64 end, u64 pa);

/* Whether [va, end) at this level is one whole leaf of an allowed size. */
static bool pt_leaf_fits(const struct pt_op *op, unsigned level, u64 va, u64 end, u64 pa)
{
	u64 size = pt_level_size(level);

	return (op->leaf_mask & PT_LEVEL_MASK(level)) && end - va == size && IS_ALIGNED(pa, size);
}

/* A present entry in the way: descend into a table, refuse a leaf. */
static int pt_map_into(struct pt_op *op, unsigned level, u64 e, u64 va, u64 end, u64 pa)
{
	const struct pt_fmt *fmt = op->pt->fmt;

	if (fmt->leaf(e, level) || level == op->min_level)
		return PT_ERR_EXISTS;
	return pt_map_level(op, level - 1, pt_table(op->pt, fmt->addr(e, level)), va, end, pa);
}

/*
 * A not-present entry that cannot be one leaf: a new table below it. The
 * dry run walks a virtual empty table (NULL); the commit fills a pooled
 * table first and links it last.
 */
static int pt_map_new_table(struct pt_op *op, unsigned level, u64 *table, unsigned i, u64 va,
			    u64 end, u64 pa)
{
	hpa_t t;

	CHECK(level > op->min_level);
	if (!op->commit) {
		op->tables_needed++;
		return pt_map_level(op, level - 1, NULL, va, end, pa);
	}
	t = pt_pool_take(op);
	CHECK(pt_map_level(op, level - 1, pt_table(op->pt, t), va, end, pa) == PT_OK);
	pt_entry_write(table, i, op->pt->fmt->make_table(t));
	return PT_OK;
}

/*
 * Maps [va, end), which lies within one table at `level` (NULL in the dry
 * run for a table not yet allocated), to pa onwards.
 */
static int pt_map_level(struct pt_op *op, unsigned level, u64 *table, u64 va, u64 end, u64 pa)
{
	const struct pt_fmt *fmt = op->pt->fmt;
	int err = PT_OK;

	for (unsigned i = pt_index(va, level); va < end && err == PT_OK; i++) {
		u64 next = MIN(pt_slot_end(va, level), end);
		u64 e = table ? pt_entry_read(table, i) : 0; /* read once */

		if (fmt->present(e))
			err = pt_map_into(op, level, e, va, next, pa);
		else if (!pt_leaf_fits(op, level, va, next, pa))
			err = pt_map_new_table(op, level, table, i, va, next, pa);
		else if (op->commit)
			pt_entry_write(table, i, fmt->make_leaf(hpa(pa), level, op->perms, op->mt));
		pa += next - va;
		va = next;
	}
	return err;
}

/* ---- unmap and protect ---- */

static void pt_change_level(struct pt_op *op, unsigned level, u64 *table, u64 va, u64 end);

/* Notes [va, end) as changed; flush when a translation was removed or reduced. */
static void pt_note(struct pt_op *op, u64 va, u64 end, bool flush)
{
	struct pt_change *chg = op->chg;

	if (chg->start == chg->end) {
		chg->start = va;
		chg->end = end;
	}
	chg->start = MIN(chg->start, va);
	chg->end = MAX(chg->end, end);
	chg->flush |= flush;
	chg->leaf_count++;
}

/* Tables needed to split a leaf at `level` of which [va, end) is a part. */
static u64 pt_split_cost(unsigned level, u64 va, u64 end)
{
	unsigned child = level - 1;
	u64 n = 1;

	if (child == 1)
		return n; /* 4 KiB-aligned ranges cover level-1 leaves whole */
	for (u64 next; va < end; va = next) {
		next = MIN(pt_slot_end(va, child), end);
		if (next - va != pt_level_size(child))
			n += pt_split_cost(child, va, next);
	}
	return n;
}

/*
 * Replaces the leaf e at table[i] by a table of 512 leaves one level down
 * with the same frames, permissions and memory type, then changes [va, end)
 * inside it. The new table is complete before it is linked.
 */
static void pt_split(struct pt_op *op, u64 *table, unsigned i, unsigned level, u64 e, u64 va,
		     u64 end)
{
	const struct pt_fmt *fmt = op->pt->fmt;
	u64 base = hpa_addr(fmt->addr(e, level));
	unsigned perms = fmt->perms(e, level);
	enum pt_memtype mt = fmt->memtype(e, level);
	u64 step = pt_level_size(level - 1);
	hpa_t t;
	u64 *sub;

	if (!op->commit) {
		op->tables_needed += pt_split_cost(level, va, end);
		return;
	}
	t = pt_pool_take(op);
	sub = pt_table(op->pt, t);
	for (unsigned j = 0; j < PT_ENTRY_COUNT; j++)
		pt_entry_write(sub, j, fmt->make_leaf(hpa(base + j * step), level - 1, perms, mt));
	op->chg->split_count++;
	if (op->chg->on_split)
		op->chg->on_split(op->chg->ctx, ALIGN_DOWN(va, pt_level_size(level)), hpa(base),
				  level);
	pt_change_level(op, level - 1, sub, va, end);
	pt_entry_write(table, i, fmt->make_table(t));
}

/* perms for a leaf mapping pa: without W when pa is the frame kept read-only (pt.keep_ro). */
static unsigned pt_leaf_perms(const struct pt *pt, hpa_t pa, unsigned perms)
{
	if (hpa_addr(pt->keep_ro) && hpa_addr(pa) == hpa_addr(pt->keep_ro))
		return perms & ~(unsigned)PT_PERM_W; /* R or RX alone: valid wherever RW is */
	return perms;
}

/* Removes or re-permits the whole leaf e at table[i], which maps va onwards. */
static void pt_change_leaf(struct pt_op *op, u64 *table, unsigned i, unsigned level, u64 e, u64 va)
{
	const struct pt_fmt *fmt = op->pt->fmt;
	u64 end = va + pt_level_size(level);
	hpa_t pa = fmt->addr(e, level);
	unsigned old, perms;
	u64 ne;

	if (!op->commit)
		return;
	if (op->kind == PT_OP_UNMAP) {
		pt_entry_write(table, i, 0);
		pt_note(op, va, end, true);
		if (op->chg->on_leaf)
			op->chg->on_leaf(op->chg->ctx, va, pa, level);
		return;
	}
	old = fmt->perms(e, level);
	perms = pt_leaf_perms(op->pt, pa, op->perms);
	ne = fmt->make_leaf(pa, level, perms, fmt->memtype(e, level));
	if (ne == e)
		return;
	pt_entry_write(table, i, ne);
	pt_note(op, va, end, (old & ~perms) != 0);
}

/* True if no entry of the table is present. */
static bool pt_table_empty(const struct pt *pt, const u64 *table)
{
	for (unsigned i = 0; i < PT_ENTRY_COUNT; i++)
		if (pt->fmt->present(pt_entry_read(table, i)))
			return false;
	return true;
}

/*
 * After an unmap inside the table that table[i] (at `level`) points to:
 * if that table is now empty and the caller takes emptied tables, unlink
 * it and hand it over. Clearing the entry removes a cached paging-structure
 * entry's target, so the change asks for a flush.
 */
static void pt_unlink_if_empty(struct pt_op *op, u64 *table, unsigned i, unsigned level, u64 e,
			       u64 va)
{
	const struct pt_fmt *fmt = op->pt->fmt;
	hpa_t sub = fmt->addr(e, level);
	u64 span;

	if (!op->commit || op->kind != PT_OP_UNMAP || !op->chg->on_table ||
	    !pt_table_empty(op->pt, pt_table(op->pt, sub)))
		return;
	pt_entry_write(table, i, 0);
	CHECK(op->pt->table_count > 1); /* the root stays */
	op->pt->table_count--;
	op->chg->table_count++;
	op->chg->flush = true;
	span = ALIGN_DOWN(va, pt_level_size(level));
	if (op->chg->start == op->chg->end)
		op->chg->start = op->chg->end = span;
	op->chg->start = MIN(op->chg->start, span);
	op->chg->end = MAX(op->chg->end, span + pt_level_size(level));
	op->chg->on_table(op->chg->ctx, sub, level - 1);
}

/* Unmaps or protects [va, end), which lies within one table at `level`. */
static void pt_change_level(struct pt_op *op, unsigned level, u64 *table, u64 va, u64 end)
{
	const struct pt_fmt *fmt = op->pt->fmt;

	for (unsigned i = pt_index(va, level); va < end; i++) {
		u64 next = MIN(pt_slot_end(va, level), end);
		u64 e = pt_entry_read(table, i); /* read once */

		if (!fmt->present(e)) {
			; /* a hole: nothing to change */
		} else if (!fmt->leaf(e, level)) {
			pt_change_level(op, level - 1, pt_table(op->pt, fmt->addr(e, level)), va,
					next);
			pt_unlink_if_empty(op, table, i, level, e, va);
		} else if (next - va == pt_level_size(level)) {
			pt_change_leaf(op, table, i, level, e, va);
		} else {
			pt_split(op, table, i, level, e, va, next);
		}
		va = next;
	}
}

/* ---- running an update ---- */

/* One pass (dry run or commit, per op->commit) over [va, end) from the root. */
static int pt_op_walk(struct pt_op *op, u64 va, u64 end, u64 pa)
{
	u64 *root = pt_table(op->pt, op->pt->root);

	if (op->kind == PT_OP_MAP)
		return pt_map_level(op, PT_LEVELS, root, va, end, pa);
	pt_change_level(op, PT_LEVELS, root, va, end);
	return PT_OK;
}

/* Dry run, allocate, commit: the all-or-nothing sequence of every update. */
static int pt_op_run(struct pt_op *op, u64 va, u64 end, u64 pa)
{
	int err;

	CHECK(op->pt->table_count > 0); /* pt_init ran, pt_destroy did not */
	op->commit = false;
	err = pt_op_walk(op, va, end, pa);
	if (err != PT_OK)
		return err;
	err = pt_pool_fill(op, op->tables_needed);
	if (err != PT_OK)
		return err;
	op->commit = true;
	CHECK(pt_op_walk(op, va, end, pa) == PT_OK);
	CHECK(op->pool_count == 0); /* the dry run counted exactly */
	return PT_OK;
}

/* [va, va + size) is non-empty, does not wrap and is within the input width. */
static int pt_check_va(const struct pt *pt, u64 va, u64 size, u64 align)
{
	if (size == 0 || va + size < va || va + size > BIT(pt->cfg.va_bits))
		return PT_ERR_RANGE;
	if (!IS_ALIGNED(va, align) || !IS_ALIGNED(size, align))
		return PT_ERR_ALIGN;
	return PT_OK;
}

/* perms are expressible in a leaf of this format (pt_init asked it). */
static bool pt_leaf_perms_ok(const struct pt *pt, unsigned perms)
{
	return perms < 32 && (pt->leaf_perms & BIT(perms));
}

/* Leaf frames [pa, pa + size) fit the output width; the rights and type are expressible. */
static int pt_check_leaf(const struct pt *pt, u64 pa, u64 size, u64 align, unsigned perms,
			 enum pt_memtype mt)
{
	if (pa + size < pa || pa + size > BIT(pt->cfg.pa_bits))
		return PT_ERR_RANGE;
	if (!IS_ALIGNED(pa, align))
		return PT_ERR_ALIGN;
	if (!pt_leaf_perms_ok(pt, perms) || (unsigned)mt >= 32 || !(pt->memtypes & BIT(mt)))
		return PT_ERR_INVAL;
	return PT_OK;
}

/* Shared by pt_map and pt_map_best once the leaf levels are chosen. */
static int pt_map_mask(struct pt *pt, u64 va, hpa_t pa, u64 size, unsigned mask, unsigned perms,
		       enum pt_memtype mt)
{
	struct pt_change unused = {0};
	struct pt_op op = {.pt = pt, .kind = PT_OP_MAP, .leaf_mask = mask, .chg = &unused};
	u64 align;
	int err;

	op.min_level = (unsigned)__builtin_ctz(mask); /* bit n stands for level n */
	align = pt_level_size(op.min_level);
	op.perms = perms;
	op.mt = mt;
	err = pt_check_va(pt, va, size, align);
	if (err == PT_OK)
		err = pt_check_leaf(pt, hpa_addr(pa), size, align, perms, mt);
	if (err == PT_OK)
		err = pt_op_run(&op, va, va + size, hpa_addr(pa));
	return err;
}

/*
 * The table that holds va's entry at `level`, reached through tables only;
 * NULL when an entry above it is empty or a leaf.
 */
static inline __attribute__((always_inline)) u64 *pt_table_holding(const struct pt *pt, u64 va,
								   unsigned level)
{
	const struct pt_fmt *fmt = pt->fmt;
	u64 *table = pt_table(pt, pt->root);

	for (unsigned l = PT_LEVELS; l > level; l--) {
		u64 e = pt_entry_read(table, pt_index(va, l));

		if (!fmt->present(e) || fmt->leaf(e, l))
			return NULL;
		table = pt_table(pt, fmt->addr(e, l));
	}
	return table;
}

/*
 * The common case of pt_map, taken without the general machinery: one leaf
 * whose tables all exist. Walks down to the leaf's table; returns true
 * after writing the leaf into an empty slot, false (nothing changed) when a
 * table is missing or the slot is taken, for the general path to decide.
 */
static bool pt_map_one_fast(struct pt *pt, u64 va, u64 pa, unsigned level, unsigned perms,
			    enum pt_memtype mt)
{
	const struct pt_fmt *fmt = pt->fmt;
	u64 region = va / pt_level_size(2) + 1;
	u64 *table;
	unsigned i;

	if (level == 1 && pt->hint_region == region) {
		table = pt->hint_table; /* the walk below found it, and nothing unlinked it since */
	} else {
		table = pt_table_holding(pt, va, level);
		if (!table)
			return false;
		if (level == 1) {
			pt->hint_region = region;
			pt->hint_table = table;
		}
	}
	i = pt_index(va, level);
	if (pt_entry_read(table, i) != 0)
		return false;
	pt_entry_write(table, i, fmt->make_leaf(hpa(pa), level, perms, mt));
	return true;
}

enum pt_slot pt_slot_state(const struct pt *pt, u64 va, unsigned level)
{
	const struct pt_fmt *fmt = pt->fmt;
	const u64 *table = pt_table(pt, pt->root);

	for (unsigned l = PT_LEVELS; l >= level; l--) {
		u64 e = pt_entry_read(table, pt_index(va, l));

		if (!fmt->present(e))
			return PT_SLOT_EMPTY;
		if (fmt->leaf(e, l))
			return PT_SLOT_LEAF;
		if (l == level)
			return PT_SLOT_TABLE;
		table = pt_table(pt, fmt->addr(e, l));
	}
	return PT_SLOT_EMPTY;
}

int pt_map(struct pt *pt, u64 va, hpa_t pa, u64 size, unsigned leaf_level, unsigned perms,
	   enum pt_memtype mt)
{
	int err;

	if (leaf_level < 1 || leaf_level > PT_LEVELS ||
	    !(pt->cfg.leaf_levels & PT_LEVEL_MASK(leaf_level)))
		return PT_ERR_INVAL;
	if (size == pt_level_size(leaf_level)) {
		err = pt_check_va(pt, va, size, size);
		if (err == PT_OK)
			err = pt_check_leaf(pt, hpa_addr(pa), size, size, perms, mt);
		if (err != PT_OK)
			return err;
		if (pt_map_one_fast(pt, va, hpa_addr(pa), leaf_level, perms, mt))
			return PT_OK;
	}
	return pt_map_mask(pt, va, pa, size, PT_LEVEL_MASK(leaf_level), perms, mt);
}

int pt_map_best(struct pt *pt, u64 va, hpa_t pa, u64 size, unsigned max_level, unsigned perms,
		enum pt_memtype mt)
{
	if (max_level < 1 || max_level > PT_LEVELS)
		return PT_ERR_INVAL;
	/* pt_init guarantees level 1 is in leaf_levels: every 4 KiB range fits. */
	return pt_map_mask(pt, va, pa, size, pt->cfg.leaf_levels & (BIT(max_level + 1) - 1), perms,
			   mt);
}

/* Shared by pt_unmap and pt_protect. */
static int pt_change(struct pt *pt, enum pt_op_kind kind, u64 va, u64 size, unsigned perms,
		     struct pt_change *chg)
{
	struct pt_change local = {0};
	struct pt_op op = {.pt = pt, .kind = kind, .perms = perms};
	int err = pt_check_va(pt, va, size, PAGE_SIZE);

	pt->hint_region = 0; /* a table may be unlinked below: forget the hint */
	op.chg = chg ? chg : &local;
	op.chg->leaf_count = 0;
	op.chg->split_count = 0;
	op.chg->table_count = 0;
	op.chg->start = op.chg->end = 0;
	op.chg->flush = false;
	if (err == PT_OK)
		err = pt_op_run(&op, va, va + size, 0);
	return err;
}

int pt_unmap(struct pt *pt, u64 va, u64 size, struct pt_change *chg)
{
	return pt_change(pt, PT_OP_UNMAP, va, size, 0, chg);
}

int pt_protect(struct pt *pt, u64 va, u64 size, unsigned perms, struct pt_change *chg)
{
	if (!pt_leaf_perms_ok(pt, perms))
		return PT_ERR_INVAL;
	return pt_change(pt, PT_OP_PROTECT, va, size, perms, chg);
}

int pt_remap(struct pt *pt, u64 va, unsigned level, hpa_t pa, unsigned perms)
{
	const struct pt_fmt *fmt = pt->fmt;
	u64 *table;
	u64 e;

	CHECK(pt->table_count > 0);
	if (level < 1 || level > PT_LEVELS || !pt_leaf_perms_ok(pt, perms) ||
	    va >= BIT(pt->cfg.va_bits))
		return PT_ERR_INVAL;
	if (!IS_ALIGNED(va, pt_level_size(level)) ||
	    !IS_ALIGNED(hpa_addr(pa), pt_level_size(level)))
		return PT_ERR_ALIGN;
	table = pt_table_holding(pt, va, level);
	if (!table)
		return PT_ERR_INVAL;
	e = pt_entry_read(table, pt_index(va, level));
	if (!fmt->present(e) || !fmt->leaf(e, level))
		return PT_ERR_INVAL;
	pt_entry_write(
	    table, pt_index(va, level),
	    fmt->make_leaf(pa, level, pt_leaf_perms(pt, pa, perms), fmt->memtype(e, level)));
	return PT_OK;
}

/* pt_maps_only below the table at `level` (its entries are one level down). */
static bool pt_table_maps_only(const struct pt *pt, const u64 *table, unsigned level, u64 pa)
{
	const struct pt_fmt *fmt = pt->fmt;
	unsigned child = level - 1;

	for (unsigned i = 0; i < PT_ENTRY_COUNT; i++) {
		u64 e = pt_entry_read(table, i);

		if (!fmt->present(e))
			continue;
		if (fmt->leaf(e, child)) {
			if (child != 1 || hpa_addr(fmt->addr(e, child)) != pa)
				return false;
		} else if (!pt_table_maps_only(pt, pt_table(pt, fmt->addr(e, child)), child, pa)) {
			return false;
		}
	}
	return true;
}

bool pt_maps_only(const struct pt *pt, u64 va, unsigned level, hpa_t pa)
{
	const struct pt_fmt *fmt = pt->fmt;
	const u64 *table;
	u64 e;

	CHECK(level >= 2 && level <= PT_LEVELS);
	table = pt_table_holding(pt, va, level);
	if (!table)
		return false;
	e = pt_entry_read(table, pt_index(va, level));
	if (!fmt->present(e) || fmt->leaf(e, level))
		return false;
	return pt_table_maps_only(pt, pt_table(pt, fmt->addr(e, level)), level, hpa_addr(pa));
}

/* pt_harvest inside the table at `level` (entries at that level) for [va, end). */
static void pt_harvest_level(struct pt *pt, unsigned level, u64 *table, u64 va, u64 end, u64 test,
			     u64 clear, pt_leaf_fn *fn, void *ctx, u64 *pages)
{
	const struct pt_fmt *fmt = pt->fmt;

	for (unsigned i = pt_index(va, level); va < end; i++) {
		u64 next = MIN(pt_slot_end(va, level), end);
		u64 e = pt_entry_read(table, i);

		if (fmt->present(e) && !fmt->leaf(e, level)) {
			pt_harvest_level(pt, level - 1, pt_table(pt, fmt->addr(e, level)), va, next,
					 test, clear, fn, ctx, pages);
		} else if (fmt->present(e)) {
			if (e & test) {
				*pages += pt_level_size(level) / PAGE_SIZE;
				if (fn)
					fn(ctx, ALIGN_DOWN(va, pt_level_size(level)),
					   fmt->addr(e, level), level);
			}
			if (e & clear)
				__atomic_fetch_and(&table[i], ~clear, __ATOMIC_RELAXED);
		}
		va = next;
	}
}

void pt_harvest(struct pt *pt, u64 va, u64 size, u64 test, u64 clear, pt_leaf_fn *fn, void *ctx,
		u64 *pages)
{
	CHECK(pt->table_count > 0);
	CHECK(!(clear & ~(pt->fmt->accessed | pt->fmt->dirty))); /* flags only */
	if (pt_check_va(pt, va, size, PAGE_SIZE) != PT_OK)
		return;
	pt_harvest_level(pt, PT_LEVELS, pt_table(pt, pt->root), va, va + size, test, clear, fn, ctx,
			 pages);
}

u64 pt_tables_for(u64 size)
{
	u64 n = 1; /* the root */

	for (unsigned level = 1; level < PT_LEVELS; level++)
		n += (size + pt_level_size(level + 1) - 1) / pt_level_size(level + 1);
	return n;
}

/* ---- lookup, init, destroy ---- */

bool pt_lookup(const struct pt *pt, u64 va, struct pt_walk *w)
{
	const struct pt_fmt *fmt = pt->fmt;
	u64 *table = pt_table(pt, pt->root);

	CHECK(pt->table_count > 0);
	if (va >= BIT(pt->cfg.va_bits))
		return false;
	for (unsigned level = PT_LEVELS; level >= 1; level--) {
		u64 e = pt_entry_read(table, pt_index(va, level)); /* read once */

		if (!fmt->present(e))
			return false;
		if (fmt->leaf(e, level)) {
			w->entry = e;
			w->level = level;
			w->pa =
			    hpa(hpa_addr(fmt->addr(e, level)) + (va & (pt_level_size(level) - 1)));
			w->perms = fmt->perms(e, level);
			w->mt = fmt->memtype(e, level);
			return true;
		}
		CHECK(level > 1); /* the encoding's contract: level-1 entries are leaves */
		table = pt_table(pt, fmt->addr(e, level));
	}
	return false;
}

int pt_init(struct pt *pt, const struct pt_fmt *fmt, const struct pt_mem *mem,
	    const struct pt_cfg *cfg)
{
	struct pt_cfg max = {PT_VA_BITS_MAX, PT_PA_BITS_MAX, fmt->leaf_levels};

	CHECK(fmt->leaf_levels & PT_LEVEL_MASK(1));
	if (!cfg)
		cfg = &max;
	if (cfg->va_bits <= PAGE_SHIFT || cfg->va_bits > PT_VA_BITS_MAX ||
	    cfg->pa_bits <= PAGE_SHIFT || cfg->pa_bits > PT_PA_BITS_MAX ||
	    (cfg->leaf_levels & ~fmt->leaf_levels) || !(cfg->leaf_levels & PT_LEVEL_MASK(1)))
		return PT_ERR_CONFIG;
	pt->fmt = fmt;
	pt->mem = mem;
	pt->cfg = *cfg;
	pt->table_count = 0;
	pt->hint_region = 0;
	CHECK(fmt->perm_mask < 32);
	pt->leaf_perms = 0;
	for (unsigned p = 0; p < 32; p++)
		if (!(p & ~fmt->perm_mask) && fmt->perms_ok(p))
			pt->leaf_perms |= BIT(p);
	pt->memtypes = 0;
	for (unsigned t = 0; t < 32; t++)
		if (fmt->memtype_ok((enum pt_memtype)t))
			pt->memtypes |= BIT(t);
	if (!mem->alloc(mem->ctx, &pt->root))
		return PT_ERR_NOMEM;
	pt->table_count = 1;
	return PT_OK;
}

/* Frees the table at `level` mapping va onwards and everything below it. */
static void pt_destroy_level(struct pt *pt, unsigned level, hpa_t t, u64 va, pt_leaf_fn *leaf_fn,
			     void *ctx)
{
	const struct pt_fmt *fmt = pt->fmt;
	u64 *table = pt_table(pt, t);

	for (unsigned i = 0; i < PT_ENTRY_COUNT; i++, va += pt_level_size(level)) {
		u64 e = pt_entry_read(table, i);

		if (!fmt->present(e))
			continue;
		if (!fmt->leaf(e, level))
			pt_destroy_level(pt, level - 1, fmt->addr(e, level), va, leaf_fn, ctx);
		else if (leaf_fn)
			leaf_fn(ctx, va, fmt->addr(e, level), level);
	}
	pt_free_table(pt, t);
}

void pt_destroy(struct pt *pt, pt_leaf_fn *leaf_fn, void *ctx)
{
	pt->hint_region = 0;
	if (pt->table_count == 0)
		return;
	pt_destroy_level(pt, PT_LEVELS, pt->root, 0, leaf_fn, ctx);
	CHECK(pt->table_count == 0); /* every table was reachable from the root */
	pt->root = hpa(0);
}
