/*
 * The reverse map's logic over caller-provided blocks (mm/rmap.h);
 * host-tested (tests/unit/test_rmap.c).
 */
#include "mm/rmap.h"
#include "mm/pt.h"

_Static_assert(RMAP_GFN_SHIFT + (PT_PA_BITS_MAX - PAGE_SHIFT) <= 64,
	       "a slot holds the frame number of any guest-physical address");

static u16 slot_owner(u64 s)
{
	return (s >> RMAP_LEVEL_BITS) & (RMAP_OWNERS - 1);
}

static u64 slot_gpa(u64 s)
{
	return (s >> RMAP_GFN_SHIFT) << PAGE_SHIFT;
}

/*
 * The checks every change makes on its leaf; its head's block and index
 * through *block and *idx.
 */
static enum rmap_status leaf_slot(const struct rmap *r, hpa_t head, u16 owner, u64 gpa,
				  unsigned level, u64 **block, u64 *idx)
{
	if (level - 1 > 2 || owner == 0 || owner >= RMAP_OWNERS || gpa >> PT_PA_BITS_MAX ||
	    ((hpa_addr(head) | gpa) & (pt_level_size(level) - 1)))
		return RMAP_INVALID;
	*block = rmap_block_of(r, hpa_addr(head), idx);
	return *block ? RMAP_OK : RMAP_OUTSIDE;
}

enum rmap_status rmap_add(struct rmap *r, hpa_t head, u16 owner, u64 gpa, unsigned level)
{
	u64 *b, i;
	enum rmap_status s = leaf_slot(r, head, owner, gpa, level, &b, &i);

	if (s != RMAP_OK)
		return s;
	/*
	 * Taken: its own slot, or a larger leaf around it. Smaller leaves
	 * inside a new large one are not looked for (512 or more loads): the
	 * EPT refuses overlapping leaves before the map is asked.
	 */
	if (rmap_slot_level(b[i & ~RMAP_RUN_2M_MASK]) >= 2 || rmap_slot_level(b[0]) >= 3)
		return RMAP_TAKEN;
	return rmap_add_valid(r, head, owner, gpa, level);
}

enum rmap_status rmap_remove(struct rmap *r, hpa_t head, u16 owner, u64 gpa, unsigned level)
{
	u64 *b, i;
	enum rmap_status s = leaf_slot(r, head, owner, gpa, level, &b, &i);

	if (s != RMAP_OK)
		return s;
	if (b[i] != rmap_encode(owner, gpa, level))
		return RMAP_MISMATCH;
	b[i] = 0;
	return RMAP_OK;
}

enum rmap_status rmap_split(struct rmap *r, hpa_t head, u16 owner, u64 gpa, unsigned level)
{
	u64 *b, i, step;
	enum rmap_status s = leaf_slot(r, head, owner, gpa, level, &b, &i);

	if (s != RMAP_OK)
		return s;
	if (level == 1)
		return RMAP_INVALID;
	if (b[i] != rmap_encode(owner, gpa, level))
		return RMAP_MISMATCH;
	/* The sub-leaves' slots are in the same block: a block is as large as the largest leaf. */
	step = pt_level_size(level - 1);
	for (unsigned j = 0; j < PT_ENTRY_COUNT; j++)
		b[i + j * (step / PAGE_SIZE)] = rmap_encode(owner, gpa + j * step, level - 1);
	return RMAP_OK;
}

bool rmap_find(const struct rmap *r, hpa_t frame, struct rmap_leaf *out)
{
	u64 i, at, s;
	const u64 *b = rmap_block_of(r, hpa_addr(frame), &i);

	if (!b)
		return false;
	/* Its own slot, else the first frame of its 2 MiB run, else of its 1 GiB run. */
	if (rmap_slot_level(b[i]) >= 1)
		at = i;
	else if (rmap_slot_level(b[i & ~RMAP_RUN_2M_MASK]) >= 2)
		at = i & ~RMAP_RUN_2M_MASK;
	else if (rmap_slot_level(b[0]) >= 3)
		at = 0;
	else
		return false;
	s = b[at];
	*out =
	    (struct rmap_leaf){slot_owner(s), rmap_slot_level(s), slot_gpa(s),
			       hpa(ALIGN_DOWN(hpa_addr(frame), RMAP_BLOCK_BYTES) + at * PAGE_SIZE)};
	return true;
}

u64 rmap_count_owner(const struct rmap *r, u16 owner)
{
	u64 n = 0;

	for (unsigned b = 0; b < RMAP_BLOCKS; b++)
		for (u64 i = 0; r->block[b] && i < RMAP_BLOCK_SLOTS; i++)
			n += r->block[b][i] && slot_owner(r->block[b][i]) == owner;
	return n;
}

const char *rmap_status_name(enum rmap_status s)
{
	switch (s) {
	case RMAP_OK:
		return "ok";
	case RMAP_OUTSIDE:
		return "frame outside the map";
	case RMAP_INVALID:
		return "invalid leaf";
	case RMAP_TAKEN:
		return "frame already mapped";
	case RMAP_MISMATCH:
		return "slot holds another leaf";
	}
	return "unknown";
}
