/*
 * Architecture-neutral 4-level page tables (CONTRIBUTING.md, Memory and TLBs).
 *
 * The walker and the map/unmap/protect logic in mm/pt.c never look at entry
 * bits: they see entries only through struct pt_fmt, an encoding. Keel's own
 * IA-32e tables (mm/pt_x86.c) and EPT (vmx/ept_fmt.c) are two encodings; the
 * host unit tests add a fake one with different bit positions. Table frames
 * come from struct pt_mem, so the same code runs on host pointers in tests.
 *
 * Levels are numbered as the SDM's tables: 4 = PML4, 3 = PDPT, 2 = PD,
 * 1 = PT. A leaf at level 1 maps 4 KiB, at 2 maps 2 MiB, at 3 maps 1 GiB.
 *
 * Every update is all-or-nothing: a dry run first checks the request and
 * counts the tables it needs, every table is allocated next (the only step
 * that can fail), and only then are entries written (cannot fail). A failed
 * call changes nothing and holds no memory.
 *
 * Callers serialise all calls on one struct pt (no locking here). Changes
 * that remove or reduce a present translation are reported in struct
 * pt_change; invalidating TLBs (INVLPG, INVEPT) is the caller's job.
 */
#ifndef KEEL_MM_PT_H
#define KEEL_MM_PT_H

#include "lib/types.h"
#include "mm/addr.h"

#define PT_LEVELS	 4
#define PT_ENTRY_COUNT	 512
#define PT_TABLE_SIZE	 (PT_ENTRY_COUNT * sizeof(u64))
#define PT_LEVEL_BITS	 9
#define PT_VA_BITS_MAX	 48	/* 4 levels of 9 bits above a 12-bit page offset */
#define PT_PA_BITS_MAX	 52	/* the architectural MAXPHYADDR limit */
#define PT_LEVEL_MASK(l) BIT(l) /* bit for level l in a leaf_levels mask */

_Static_assert(PT_TABLE_SIZE == PAGE_SIZE, "a page table is one 4 KiB page");
_Static_assert(PAGE_SHIFT + PT_LEVELS * PT_LEVEL_BITS == PT_VA_BITS_MAX, "4-level geometry");

/* Access rights of a leaf, in the encoding's terms only when it has them. */
#define PT_PERM_R      BIT(0)
#define PT_PERM_W      BIT(1)
#define PT_PERM_X      BIT(2)
#define PT_PERM_USER   BIT(3) /* IA-32e U/S; EPT has no such bit */
#define PT_PERM_GLOBAL BIT(4) /* IA-32e G; EPT has no such bit */
#define PT_PERM_RW     (PT_PERM_R | PT_PERM_W)
#define PT_PERM_RX     (PT_PERM_R | PT_PERM_X)
#define PT_PERM_RWX    (PT_PERM_R | PT_PERM_W | PT_PERM_X)

/*
 * Memory types, valued as the SDM encodes them in IA32_PAT, the MTRRs and
 * EPT leaves (Vol. 3A 12.12.3 "Selecting a Memory Type from the PAT").
 * PT_MEM_UC_MINUS exists only in the PAT. An encoding says which it can
 * express (pt_fmt.memtype_ok).
 */
enum pt_memtype {
	PT_MEM_UC = 0,
	PT_MEM_WC = 1,
	PT_MEM_WT = 4,
	PT_MEM_WP = 5,
	PT_MEM_WB = 6,
	PT_MEM_UC_MINUS = 7,
};

/* Status codes: 0 is success, every failure is negative. */
#define PT_OK	      0
#define PT_ERR_NOMEM  (-1) /* a table allocation failed; nothing changed */
#define PT_ERR_EXISTS (-2) /* part of the range is already mapped; nothing changed */
#define PT_ERR_ALIGN  (-3) /* an address or size is not aligned to the leaf size */
#define PT_ERR_RANGE  (-4) /* empty, wrapping or beyond the configured address width */
#define PT_ERR_INVAL  (-5) /* bad level, permissions or memory type for this encoding */
#define PT_ERR_CONFIG (-6) /* pt_init: a limit the encoding cannot honour */

/* A short phrase for a PT_* status ("ok" for 0, "unknown error" otherwise). */
const char *pt_strerror(int err);

/*
 * An encoding: pure functions over u64 entries, no state. `level` is where
 * the entry sits (1..4). Contracts the generic code relies on:
 *   - the all-zero entry is not present;
 *   - present(make_table(t)) and present(make_leaf(...)) are true;
 *   - leaf(make_leaf(pa, l, ...), l) is true, leaf(make_table(t), l) false;
 *   - addr, perms and memtype give back what make_leaf/make_table were
 *     given (perms masked to perm_mask).
 */
struct pt_fmt {
	const char *name;
	unsigned leaf_levels; /* PT_LEVEL_MASK()s where the format allows leaves */
	unsigned perm_mask;   /* the PT_PERM_* bits the format can express */
	bool (*present)(u64 e);
	bool (*leaf)(u64 e, unsigned level); /* only asked about present entries */
	bool (*perms_ok)(unsigned perms);    /* a combination the format allows in a leaf */
	bool (*memtype_ok)(enum pt_memtype mt);
	u64 (*make_table)(hpa_t next); /* a non-leaf entry with full permissions */
	u64 (*make_leaf)(hpa_t pa, unsigned level, unsigned perms, enum pt_memtype mt);
	hpa_t (*addr)(u64 e, unsigned level); /* the next table, or the leaf's frame */
	unsigned (*perms)(u64 e, unsigned level);
	enum pt_memtype (*memtype)(u64 e, unsigned level);
	/*
	 * The accessed and dirty flags of a leaf, as entry bits (0: the
	 * format has none). The CPU sets them; make_leaf leaves them clear.
	 */
	u64 accessed, dirty;
};

/* Where table frames come from. */
struct pt_mem {
	bool (*alloc)(void *ctx, hpa_t *out);  /* one zeroed, 4 KiB-aligned table */
	void (*free)(void *ctx, hpa_t table);  /* gives back one from alloc */
	u64 *(*table)(void *ctx, hpa_t table); /* a pointer through which to access it */
	void *ctx;
};

/* Limits for one set of tables; pt_init narrows the encoding's defaults. */
struct pt_cfg {
	unsigned va_bits;     /* input addresses are below BIT(va_bits), <= 48 */
	unsigned pa_bits;     /* leaf frames are below BIT(pa_bits) (MAXPHYADDR), <= 52 */
	unsigned leaf_levels; /* subset of fmt->leaf_levels the CPU supports */
};

struct pt {
	const struct pt_fmt *fmt;
	const struct pt_mem *mem;
	struct pt_cfg cfg;
	hpa_t root;	 /* the level-4 table (PML4) */
	u64 table_count; /* tables held, the root included; 0 after pt_destroy */
	/*
	 * The level-1 table the last 4 KiB pt_map found, for the next one in the
	 * same 2 MiB (a first touch after a first touch): hint_region is 1 +
	 * va / 2 MiB, 0 for none. Forgotten by every unmap, protect and
	 * destroy, the only operations that unlink or free a table.
	 */
	u64 hint_region;
	u64 *hint_table;
	/*
	 * A frame no leaf may map writable (0: none), whatever pt_protect is
	 * asked: gmem's shared zero frame, which a protect widening a range's
	 * permissions must leave read-only. Set once, before the first map.
	 */
	hpa_t keep_ro;
	/*
	 * The format's answers, asked once by pt_init so that a map asks no
	 * function: bit p of leaf_perms is set when p is within perm_mask and
	 * perms_ok(p); bit t of memtypes when memtype_ok(t).
	 */
	u32 leaf_perms;
	u32 memtypes;
};

/* Called for each leaf removed by pt_unmap or visited by pt_destroy. */
typedef void pt_leaf_fn(void *ctx, u64 va, hpa_t pa, unsigned level);
/*
 * Called for each table pt_unmap emptied and unlinked (never the root). The
 * table no longer counts in pt.table_count; the caller owns it and frees it
 * through its pt_mem once no TLB or paging-structure cache can still walk
 * it (after the invalidation chg->flush asks for).
 */
typedef void pt_table_fn(void *ctx, hpa_t table, unsigned level);

/*
 * Called for each large leaf pt_unmap or pt_protect replaces by a table of
 * 512 leaves one level down (the same frames), before anything inside it
 * changes: va and pa are the old leaf's first addresses, level its level.
 */
typedef void pt_split_fn(void *ctx, u64 va, hpa_t pa, unsigned level);

/*
 * What an unmap or protect did. Set on_leaf/ctx (or leave them zero) before
 * the call; the call fills the rest. [start, end) covers every entry that
 * changed; start == end when none did. flush is true when a present
 * translation was removed or lost a permission: the caller must invalidate
 * [start, end) (INVLPG or INVEPT) before relying on the change. Splitting a
 * large leaf alone keeps every translation and sets nothing.
 */
struct pt_change {
	pt_leaf_fn *on_leaf;   /* pt_unmap: called per removed leaf, after it is cleared */
	pt_table_fn *on_table; /* pt_unmap: called per emptied table, after it is unlinked */
	pt_split_fn *on_split; /* both: called per large leaf split, before its part changes */
	void *ctx;
	u64 leaf_count;	 /* leaves removed (unmap) or rewritten (protect) */
	u64 split_count; /* large leaves replaced by a table of smaller ones */
	u64 table_count; /* tables emptied and unlinked (unmap with on_table) */
	u64 start, end;
	bool flush;
};

/* What pt_lookup found for one address. */
struct pt_walk {
	u64 entry;	    /* the leaf entry, as read */
	unsigned level;	    /* where the leaf sits: 1, 2 or 3 */
	hpa_t pa;	    /* the frame plus va's offset within the leaf */
	unsigned perms;	    /* PT_PERM_* */
	enum pt_memtype mt; /* the leaf's memory type */
};

/*
 * Sets up *pt with an empty root table. cfg NULL means the encoding's
 * maxima (48-bit input, 52-bit output, every leaf level it has). Returns 0,
 * PT_ERR_CONFIG for limits outside those maxima or without 4 KiB leaves, or
 * PT_ERR_NOMEM.
 */
int pt_init(struct pt *pt, const struct pt_fmt *fmt, const struct pt_mem *mem,
	    const struct pt_cfg *cfg);

/*
 * Maps [va, va + size) to [pa, pa + size) with leaves at leaf_level only.
 * va, pa and size must be aligned to that leaf size, size > 0. Fails
 * without changing anything when any part of the range is already mapped
 * or occupied by a table where a leaf must go (PT_ERR_EXISTS), on
 * PT_ERR_ALIGN, PT_ERR_RANGE, PT_ERR_INVAL, or PT_ERR_NOMEM.
 * A not-present entry becoming present needs no TLB invalidation.
 */
int pt_map(struct pt *pt, u64 va, hpa_t pa, u64 size, unsigned leaf_level, unsigned perms,
	   enum pt_memtype mt);

/*
 * As pt_map, but with the largest leaves that fit, never above max_level:
 * only 4 KiB alignment is required. Descends into tables already present.
 */
int pt_map_best(struct pt *pt, u64 va, hpa_t pa, u64 size, unsigned max_level, unsigned perms,
		enum pt_memtype mt);

/*
 * Removes every leaf in [va, va + size) (4 KiB-aligned; holes are fine).
 * A large leaf only partly inside is split first, keeping the rest mapped
 * with the same permissions and memory type. A table below the root that
 * the removal leaves with no present entry is unlinked too when
 * chg->on_table is set, and handed to it (freeing it safely needs the
 * caller's invalidation first: the CPU may cache the entry that pointed to
 * it); without on_table emptied tables stay until pt_destroy. chg may be
 * NULL. Returns 0, PT_ERR_ALIGN, PT_ERR_RANGE or PT_ERR_NOMEM (splits need
 * tables; nothing changed then).
 */
int pt_unmap(struct pt *pt, u64 va, u64 size, struct pt_change *chg);

/*
 * Sets the permissions of every leaf in [va, va + size) to perms (holes are
 * skipped), splitting large leaves only partly inside. Memory types stay;
 * accessed/dirty bits are cleared. Errors as pt_unmap, plus PT_ERR_INVAL
 * for permissions the encoding cannot express (use pt_unmap to remove).
 */
int pt_protect(struct pt *pt, u64 va, u64 size, unsigned perms, struct pt_change *chg);

/*
 * Points the present leaf at `level` that maps va (aligned to the level's
 * size) at pa instead, with perms and the memory type it had: one entry
 * write. The old translation is gone, so the caller invalidates as after
 * a removal. PT_ERR_ALIGN, PT_ERR_INVAL (bad perms, or no leaf of that
 * level maps va: nothing changed) or 0.
 */
int pt_remap(struct pt *pt, u64 va, unsigned level, hpa_t pa, unsigned perms);

/*
 * True when the table at `level` (2 or above) that holds va maps nothing
 * but 4 KiB leaves of the one frame pa, or nothing at all: every entry
 * below it is empty, a table, or such a leaf. False when va's slot at that
 * level is not a table. Reads at most every entry below: 512 for level 2.
 */
bool pt_maps_only(const struct pt *pt, u64 va, unsigned level, hpa_t pa);

/*
 * For every leaf in [va, va + size) (4 KiB aligned; a leaf partly inside
 * counts whole): adds to *pages the 4 KiB pages of each leaf whose entry
 * has any of the `test` bits (the format's accessed or dirty flag) and
 * calls fn (may be NULL) for it, then clears the `clear` bits of every
 * leaf with one atomic AND, since the CPU may set flags at the same time.
 * A flag cleared may stay set in the CPU's cached translations: the
 * caller invalidates when it wants the CPU to set it again.
 */
void pt_harvest(struct pt *pt, u64 va, u64 size, u64 test, u64 clear, pt_leaf_fn *fn, void *ctx,
		u64 *pages);

/*
 * What holds va at `level` (2 or above): a present leaf at that level or
 * above covering va (PT_SLOT_LEAF), a present table at that level
 * (PT_SLOT_TABLE: smaller pages may be there), or neither (PT_SLOT_EMPTY).
 */
enum pt_slot { PT_SLOT_EMPTY, PT_SLOT_TABLE, PT_SLOT_LEAF };
enum pt_slot pt_slot_state(const struct pt *pt, u64 va, unsigned level);

/* Finds the leaf mapping va. Returns false (w untouched) if none does. */
bool pt_lookup(const struct pt *pt, u64 va, struct pt_walk *w);

/*
 * Frees every table, calling leaf_fn (may be NULL) for each present leaf
 * first. Afterwards table_count is 0 and pt must be initialised again
 * before use.
 */
void pt_destroy(struct pt *pt, pt_leaf_fn *leaf_fn, void *ctx);

/*
 * The most tables (the root included) that mapping all of [0, size) with
 * 4 KiB leaves can need: the bound on what one address range's tables cost.
 */
u64 pt_tables_for(u64 size);

/* The size one leaf or one entry covers at `level` (1..4). */
static inline u64 pt_level_size(unsigned level)
{
	return BIT(PAGE_SHIFT + PT_LEVEL_BITS * (level - 1));
}

#endif
