/*
 * The reverse map (docs/ept.md, "The reverse map"): for each host frame
 * that backs guest RAM, the EPT leaf that maps it, as (owner, guest-physical
 * address, level), so that a frame can be taken back from wherever it is
 * mapped without walking every guest's EPT.
 *
 * One u64 slot per 4 KiB host frame, in blocks of one GiB's frames (2 MiB
 * of slots each, 0.2 % of RAM), taken at boot for every GiB that holds RAM.
 * A leaf is recorded in the slot of its first frame; the other frames of a
 * 2 MiB or 1 GiB leaf find it through the slot at the start of their 2 MiB
 * or 1 GiB run (rmap_find).
 *
 * A frame backs at most one leaf: guests never share a frame, and the
 * frames Keel maps into several guests or into none of its RAM (the zero
 * frame, the APIC-access page) are not in the map. So each change is O(1)
 * and allocates nothing: a map or an unmap writes one slot, a split (one
 * large leaf replaced by 512 smaller ones) writes 512.
 *
 * Two layers, as the frame allocator: the rmap_* functions are pure logic
 * over a struct rmap whose blocks the caller provides (mm/rmap_core.c,
 * host-tested); keel_rmap is Keel's one map, built at boot (mm/rmap.c).
 * Callers serialise the changes to one frame's slot: its owner's guest lock
 * (or its only vCPU) does, since only the owner maps or unmaps its frames.
 */
#ifndef KEEL_MM_RMAP_H
#define KEEL_MM_RMAP_H

#include "boot/mb2.h"
#include "lib/types.h"
#include "mm/addr.h"

#define RMAP_BLOCK_BYTES (1 * GiB)			  /* host-physical bytes one block covers */
#define RMAP_BLOCK_SLOTS (RMAP_BLOCK_BYTES / PAGE_SIZE)	  /* 262144 */
#define RMAP_BLOCK_SIZE	 (RMAP_BLOCK_SLOTS * sizeof(u64)) /* 2 MiB of slots */
#define RMAP_BLOCKS	 512 /* host-physical addresses below 512 GiB (PMM_MAX_PHYS) */

/*
 * A slot: 0 when empty, else the level in bits 1:0 (1, 2 or 3), the owner
 * in bits 13:2 (1 .. RMAP_OWNERS - 1) and the guest frame number above.
 */
#define RMAP_LEVEL_BITS 2
#define RMAP_OWNER_BITS 12
#define RMAP_OWNERS	(1u << RMAP_OWNER_BITS)
#define RMAP_GFN_SHIFT	(RMAP_LEVEL_BITS + RMAP_OWNER_BITS)

enum rmap_status {
	RMAP_OK = 0,
	RMAP_OUTSIDE,  /* the frame is in no block (not RAM Keel tracks) */
	RMAP_INVALID,  /* a level, owner or address the slot cannot hold, or unaligned */
	RMAP_TAKEN,    /* rmap_add: the frame already backs a leaf */
	RMAP_MISMATCH, /* rmap_remove, rmap_split: the slot holds another leaf, or none */
};

/* What maps a frame: the leaf, by its owner and its first guest and host addresses. */
struct rmap_leaf {
	u16 owner;
	unsigned level; /* 1: 4 KiB, 2: 2 MiB, 3: 1 GiB */
	u64 gpa;	/* the guest-physical address of the leaf's first byte */
	hpa_t head;	/* the host address of its first frame */
};

struct rmap {
	u64 *block[RMAP_BLOCKS]; /* GiB i's slots, or NULL where no RAM is tracked */
};

/* Records the leaf at `level` mapping guest gpa to host head (both aligned to its size). */
enum rmap_status rmap_add(struct rmap *r, hpa_t head, u16 owner, u64 gpa, unsigned level);

static inline u64 rmap_encode(u16 owner, u64 gpa, unsigned level)
{
	return (gpa >> PAGE_SHIFT) << RMAP_GFN_SHIFT | (u64)owner << RMAP_LEVEL_BITS | level;
}

static inline unsigned rmap_slot_level(u64 s)
{
	return s & (BIT(RMAP_LEVEL_BITS) - 1);
}

/*
 * The block holding host address pa, and pa's frame's index in it; NULL
 * outside every block. The slots of a frame's 2 MiB and 1 GiB runs are in
 * the same block (a block covers one aligned GiB): at index & ~511 and at 0.
 */
static inline u64 *rmap_block_of(const struct rmap *r, u64 pa, u64 *idx)
{
	u64 b = pa / RMAP_BLOCK_BYTES;

	if (b >= RMAP_BLOCKS)
		return NULL;
	*idx = (pa % RMAP_BLOCK_BYTES) / PAGE_SIZE;
	return r->block[b];
}

#define RMAP_RUN_2M_MASK 511ULL /* slot index bits inside a 2 MiB run */

/*
 * rmap_add for a leaf valid by construction, inline on the fault path: one
 * the EPT has just taken (a level 1 to 3, both addresses aligned, no leaf
 * overlapping it) for an owner number held. Refuses only a frame outside
 * the map, or one whose own slot is taken (a frame the allocator handed
 * out while a leaf still recorded it).
 */
static inline enum rmap_status rmap_add_valid(struct rmap *r, hpa_t head, u16 owner, u64 gpa,
					      unsigned level)
{
	u64 i, *b = rmap_block_of(r, hpa_addr(head), &i);

	if (!b)
		return RMAP_OUTSIDE;
	if (b[i])
		return RMAP_TAKEN;
	b[i] = rmap_encode(owner, gpa, level);
	return RMAP_OK;
}
/* Forgets that leaf; RMAP_MISMATCH (nothing changed) unless its slot holds exactly it. */
enum rmap_status rmap_remove(struct rmap *r, hpa_t head, u16 owner, u64 gpa, unsigned level);
/*
 * That leaf (as rmap_remove checks it) became 512 leaves one level down
 * mapping the same frames: each gets its own slot.
 */
enum rmap_status rmap_split(struct rmap *r, hpa_t head, u16 owner, u64 gpa, unsigned level);
/* The leaf mapping the 4 KiB frame holding `frame`, if any. */
bool rmap_find(const struct rmap *r, hpa_t frame, struct rmap_leaf *out);
/* Leaves the map records for owner (a scan of every block: for checks). */
u64 rmap_count_owner(const struct rmap *r, u16 owner);
const char *rmap_status_name(enum rmap_status s);

/* Keel's map (mm/rmap.c). Shared: its blocks are written once at boot, each slot as above. */
extern struct rmap keel_rmap;
/*
 * Takes and zeroes a block (a 2 MiB run from the frame allocator) for
 * every GiB that the memory map's RAM at or above 1 MiB touches, and says
 * how much; false after one error line when a block finds no run.
 */
bool rmap_init(const struct boot_info *bi);

#endif
