/*
 * The frame allocator's pure logic (see mm/pmm.h for the layout). It works on
 * physical addresses and metadata memory it is given and never touches the
 * frames themselves, so it runs unchanged in host tests.
 *
 * Invariant: chunks[c].free is the number of PMM_FREE frames in chunk c, and
 * chunk c is on the list that count calls for (WHOLE, PARTIAL or none);
 * gig_whole[g] counts the WHOLE chunks of 1 GiB g; count[s] counts the frames
 * in state s. Every state change goes through frame_put or chunk_fill, which
 * keep all three in step.
 */
#include "mm/pmm.h"
#include "lib/string.h"

#define FRAMES_PER_WORD 32
#define WORDS_PER_CHUNK (PMM_FRAMES_PER_2M / FRAMES_PER_WORD)
#define WORD_ALL(state) (0x5555555555555555ULL * (u64)(state))
#define PAIR_LOW_BITS	0x5555555555555555ULL

_Static_assert(PMM_FRAMES_PER_2M == 512, "a 2 MiB chunk is 512 frames");
_Static_assert(PMM_FRAMES_PER_2M <= UINT16_MAX, "chunk free counts fit a u16");
_Static_assert(PMM_MAX_PHYS / PMM_CHUNK_SIZE < PMM_NIL, "chunk indices fit a u32");

static u64 frame_of(u64 pa)
{
	return pa / PMM_FRAME_SIZE;
}

static u64 round_limit(u64 max_pa)
{
	return ALIGN_UP(MIN(max_pa, PMM_MAX_PHYS), PMM_GIG_SIZE);
}

static enum pmm_frame_state get_state(const struct pmm_core *p, u64 frame)
{
	return (p->state[frame / FRAMES_PER_WORD] >> (frame % FRAMES_PER_WORD * 2)) & 3;
}

enum pmm_frame_state pmm_core_state(const struct pmm_core *p, u64 pa)
{
	return pa < p->limit ? get_state(p, frame_of(pa)) : PMM_ABSENT;
}

/* --- chunk lists --- */

static void list_unlink(struct pmm_core *p, u32 c)
{
	struct pmm_chunk *ch = &p->chunks[c];

	if (ch->list == PMM_LIST_NONE)
		return;
	if (ch->prev != PMM_NIL)
		p->chunks[ch->prev].next = ch->next;
	else
		p->head[ch->list] = ch->next;
	if (ch->next != PMM_NIL)
		p->chunks[ch->next].prev = ch->prev;
	if (ch->list == PMM_LIST_WHOLE)
		p->gig_whole[c / PMM_CHUNKS_PER_1G]--;
	ch->list = PMM_LIST_NONE;
}

static void list_push(struct pmm_core *p, u32 c, enum pmm_list list)
{
	struct pmm_chunk *ch = &p->chunks[c];

	ch->list = list;
	if (list == PMM_LIST_NONE)
		return;
	ch->prev = PMM_NIL;
	ch->next = p->head[list];
	if (ch->next != PMM_NIL)
		p->chunks[ch->next].prev = c;
	p->head[list] = c;
	if (list == PMM_LIST_WHOLE)
		p->gig_whole[c / PMM_CHUNKS_PER_1G]++;
}

/* Puts chunk c on the list its free count calls for. */
static void chunk_relist(struct pmm_core *p, u32 c)
{
	u16 free = p->chunks[c].free;
	enum pmm_list want = free == PMM_FRAMES_PER_2M ? PMM_LIST_WHOLE
			     : free		       ? PMM_LIST_PARTIAL
						       : PMM_LIST_NONE;

	if (p->chunks[c].list == want)
		return;
	list_unlink(p, c);
	list_push(p, c, want);
}

/* --- state changes --- */

static void frame_put(struct pmm_core *p, u64 frame, enum pmm_frame_state to)
{
	enum pmm_frame_state from = get_state(p, frame);
	u64 *word = &p->state[frame / FRAMES_PER_WORD];
	unsigned shift = frame % FRAMES_PER_WORD * 2;
	u32 c = (u32)(frame / PMM_FRAMES_PER_2M);

	if (from == to)
		return;
	*word = (*word & ~(3ULL << shift)) | ((u64)to << shift);
	p->count[from]--;
	p->count[to]++;
	if (from == PMM_FREE)
		p->chunks[c].free--;
	if (to == PMM_FREE)
		p->chunks[c].free++;
	if (from == PMM_FREE || to == PMM_FREE)
		chunk_relist(p, c);
}

/* Sets all 512 frames of chunk c, which are all in state `from`, to `to`. */
static void chunk_fill(struct pmm_core *p, u32 c, enum pmm_frame_state from,
		       enum pmm_frame_state to)
{
	u64 *words = &p->state[(u64)c * WORDS_PER_CHUNK];

	for (unsigned i = 0; i < WORDS_PER_CHUNK; i++)
		words[i] = WORD_ALL(to);
	p->count[from] -= PMM_FRAMES_PER_2M;
	p->count[to] += PMM_FRAMES_PER_2M;
	p->chunks[c].free = to == PMM_FREE ? PMM_FRAMES_PER_2M : 0;
	chunk_relist(p, c);
}

static bool chunk_all(const struct pmm_core *p, u32 c, enum pmm_frame_state s)
{
	const u64 *words = &p->state[(u64)c * WORDS_PER_CHUNK];

	for (unsigned i = 0; i < WORDS_PER_CHUNK; i++) {
		if (words[i] != WORD_ALL(s))
			return false;
	}
	return true;
}

/*
 * Applies `to` to the frames of [first, last) that are in state `from`, a
 * whole chunk at a time where it can (this is most of boot-time setup).
 */
static void frames_move(struct pmm_core *p, u64 first, u64 last, enum pmm_frame_state from,
			enum pmm_frame_state to)
{
	for (u64 f = first; f < last;) {
		u32 c = (u32)(f / PMM_FRAMES_PER_2M);

		if (f % PMM_FRAMES_PER_2M == 0 && last - f >= PMM_FRAMES_PER_2M &&
		    chunk_all(p, c, from)) {
			chunk_fill(p, c, from, to);
			f += PMM_FRAMES_PER_2M;
			continue;
		}
		if (get_state(p, f) == from)
			frame_put(p, f, to);
		f++;
	}
}

/* --- init --- */

u64 pmm_core_meta_size(u64 max_pa)
{
	u64 limit = round_limit(max_pa);
	u64 frames = limit / PMM_FRAME_SIZE;

	return frames / 4 + limit / PMM_CHUNK_SIZE * sizeof(struct pmm_chunk) +
	       ALIGN_UP(limit / PMM_GIG_SIZE * sizeof(u16), 8);
}

void pmm_core_init(struct pmm_core *p, void *meta, u64 max_pa)
{
	u64 limit = round_limit(max_pa);
	u8 *m = meta;

	memset(meta, 0, pmm_core_meta_size(max_pa));
	memset(p, 0, sizeof(*p));
	p->limit = limit;
	p->count[PMM_ABSENT] = frame_of(limit);
	p->state = (u64 *)m;
	m += frame_of(limit) / 4;
	p->chunks = (struct pmm_chunk *)m;
	m += limit / PMM_CHUNK_SIZE * sizeof(struct pmm_chunk);
	p->gig_whole = (u16 *)m;
	for (unsigned l = 0; l < PMM_LIST_COUNT; l++)
		p->head[l] = PMM_NIL;
}

/* Clips frame numbers [*first, *last) to the tracked range. */
static void clip_frames(const struct pmm_core *p, u64 *first, u64 *last)
{
	u64 frames = frame_of(p->limit);

	*last = MIN(*last, frames);
	*first = MIN(*first, *last);
}

/* Whole frames inside [start, end): start rounded up, end down. */
static void inward_frames(const struct pmm_core *p, u64 start, u64 end, u64 *first, u64 *last)
{
	*first = frame_of(start) + (start % PMM_FRAME_SIZE != 0);
	*last = frame_of(end);
	clip_frames(p, first, last);
}

/* Frames touching [start, end): start rounded down, end up. */
static void outward_frames(const struct pmm_core *p, u64 start, u64 end, u64 *first, u64 *last)
{
	*first = frame_of(start);
	*last = frame_of(end) + (end % PMM_FRAME_SIZE != 0);
	clip_frames(p, first, last);
}

void pmm_core_add_ram(struct pmm_core *p, u64 start, u64 end)
{
	u64 first, last;

	inward_frames(p, MAX(start, PMM_LOW_LIMIT), end, &first, &last);
	frames_move(p, first, last, PMM_ABSENT, PMM_FREE);
}

void pmm_core_exclude(struct pmm_core *p, u64 start, u64 end)
{
	u64 first, last;

	outward_frames(p, start, end, &first, &last);
	frames_move(p, first, last, PMM_FREE, PMM_ABSENT);
}

void pmm_core_reserve(struct pmm_core *p, u64 start, u64 end)
{
	u64 first, last;

	outward_frames(p, start, end, &first, &last);
	frames_move(p, first, last, PMM_FREE, PMM_RESERVED);
}

enum pmm_status pmm_core_release(struct pmm_core *p, u64 start, u64 end, u64 *bad)
{
	u64 first, last;

	inward_frames(p, start, end, &first, &last);
	for (u64 f = first; f < last; f++) {
		enum pmm_frame_state s = get_state(p, f);

		if (s == PMM_FREE || s == PMM_USED) {
			*bad = f * PMM_FRAME_SIZE;
			return s == PMM_FREE ? PMM_ERR_ALREADY_FREE : PMM_ERR_ALLOCATED;
		}
	}
	frames_move(p, first, last, PMM_RESERVED, PMM_FREE);
	return PMM_OK;
}

/* --- allocation --- */

/* Finds the first free frame of chunk c (false only if the invariant broke). */
static bool chunk_first_free(const struct pmm_core *p, u32 c, u64 *frame)
{
	const u64 *words = &p->state[(u64)c * WORDS_PER_CHUNK];

	for (unsigned i = 0; i < WORDS_PER_CHUNK; i++) {
		/* a pair of bits is FREE (0b11) when both its bits are set */
		u64 free_pairs = words[i] & (words[i] >> 1) & PAIR_LOW_BITS;

		if (free_pairs) {
			*frame = (u64)c * PMM_FRAMES_PER_2M + i * FRAMES_PER_WORD +
				 (u64)__builtin_ctzll(free_pairs) / 2;
			return true;
		}
	}
	return false;
}

u64 pmm_core_unpromised(const struct pmm_core *p)
{
	return p->count[PMM_FREE] - p->promised;
}

bool pmm_core_alloc_frame(struct pmm_core *p, u64 *pa)
{
	u32 c = p->head[PMM_LIST_PARTIAL];
	u64 frame;

	if (pmm_core_unpromised(p) < 1)
		return false;
	if (c == PMM_NIL)
		c = p->head[PMM_LIST_WHOLE];
	if (c == PMM_NIL || !chunk_first_free(p, c, &frame))
		return false;
	frame_put(p, frame, PMM_USED);
	*pa = frame * PMM_FRAME_SIZE;
	return true;
}

bool pmm_core_alloc_2m(struct pmm_core *p, u64 *pa)
{
	u32 c = p->head[PMM_LIST_WHOLE];

	if (c == PMM_NIL || pmm_core_unpromised(p) < PMM_FRAMES_PER_2M)
		return false;
	chunk_fill(p, c, PMM_FREE, PMM_USED);
	*pa = (u64)c * PMM_CHUNK_SIZE;
	return true;
}

bool pmm_core_alloc_1g(struct pmm_core *p, u64 *pa)
{
	u64 gigs = p->limit / PMM_GIG_SIZE;

	if (pmm_core_unpromised(p) < PMM_GIG_SIZE / PMM_FRAME_SIZE)
		return false;
	for (u64 g = 0; g < gigs; g++) {
		if (p->gig_whole[g] != PMM_CHUNKS_PER_1G)
			continue;
		for (u32 c = 0; c < PMM_CHUNKS_PER_1G; c++)
			chunk_fill(p, (u32)(g * PMM_CHUNKS_PER_1G + c), PMM_FREE, PMM_USED);
		*pa = g * PMM_GIG_SIZE;
		return true;
	}
	return false;
}

/* --- freeing --- */

static enum pmm_status not_used_status(enum pmm_frame_state s)
{
	switch (s) {
	case PMM_FREE:
		return PMM_ERR_ALREADY_FREE;
	case PMM_RESERVED:
		return PMM_ERR_RESERVED;
	case PMM_ABSENT:
		return PMM_ERR_NOT_OWNED;
	default:
		return PMM_OK;
	}
}

/* Checks that [pa, pa + size) is aligned to size, tracked and all USED. */
static enum pmm_status check_used_run(const struct pmm_core *p, u64 pa, u64 size, u64 *bad)
{
	u64 first = frame_of(pa);
	u64 words = size / PMM_FRAME_SIZE / FRAMES_PER_WORD;

	*bad = pa;
	if (!IS_ALIGNED(pa, size))
		return PMM_ERR_UNALIGNED;
	if (pa >= p->limit)
		return PMM_ERR_NOT_OWNED;
	for (u64 w = first / FRAMES_PER_WORD; w < first / FRAMES_PER_WORD + words; w++) {
		if (p->state[w] == WORD_ALL(PMM_USED))
			continue;
		for (u64 f = w * FRAMES_PER_WORD;; f++) {
			if (get_state(p, f) != PMM_USED) {
				*bad = f * PMM_FRAME_SIZE;
				return not_used_status(get_state(p, f));
			}
		}
	}
	return PMM_OK;
}

enum pmm_status pmm_core_free_frame(struct pmm_core *p, u64 pa)
{
	enum pmm_frame_state s;

	if (!IS_ALIGNED(pa, PMM_FRAME_SIZE))
		return PMM_ERR_UNALIGNED;
	s = pmm_core_state(p, pa);
	if (s != PMM_USED)
		return not_used_status(s);
	frame_put(p, frame_of(pa), PMM_FREE);
	return PMM_OK;
}

enum pmm_status pmm_core_free_2m(struct pmm_core *p, u64 pa, u64 *bad)
{
	enum pmm_status st = check_used_run(p, pa, PMM_CHUNK_SIZE, bad);

	if (st != PMM_OK)
		return st;
	chunk_fill(p, (u32)(pa / PMM_CHUNK_SIZE), PMM_USED, PMM_FREE);
	return PMM_OK;
}

enum pmm_status pmm_core_free_1g(struct pmm_core *p, u64 pa, u64 *bad)
{
	enum pmm_status st = check_used_run(p, pa, PMM_GIG_SIZE, bad);

	if (st != PMM_OK)
		return st;
	for (u32 c = 0; c < PMM_CHUNKS_PER_1G; c++)
		chunk_fill(p, (u32)(pa / PMM_CHUNK_SIZE) + c, PMM_USED, PMM_FREE);
	return PMM_OK;
}

const char *pmm_status_name(enum pmm_status st)
{
	switch (st) {
	case PMM_OK:
		return "ok";
	case PMM_ERR_UNALIGNED:
		return "address not aligned to the run size";
	case PMM_ERR_NOT_OWNED:
		return "frame not owned by the allocator";
	case PMM_ERR_ALREADY_FREE:
		return "frame already free (double free)";
	case PMM_ERR_RESERVED:
		return "frame is reserved, not allocated";
	case PMM_ERR_ALLOCATED:
		return "frame is allocated, not reserved";
	}
	return "unknown status";
}

/* --- metadata placement --- */

/* The first avoid range overlapping [lo, lo + size), or NULL. */
static const struct pmm_range *first_overlap(const struct pmm_range *avoid, u32 count, u64 lo,
					     u64 size)
{
	for (u32 i = 0; i < count; i++) {
		if (avoid[i].start < lo + size && lo < avoid[i].end)
			return &avoid[i];
	}
	return NULL;
}

bool pmm_place(const struct pmm_range *ram, u32 ram_count, const struct pmm_range *avoid,
	       u32 avoid_count, u64 size, u64 below, u64 *out)
{
	for (u32 i = 0; i < ram_count; i++) {
		u64 lo, hi;

		if (ram[i].start >= below)
			continue;
		lo = ALIGN_UP(MAX(ram[i].start, PMM_LOW_LIMIT), PMM_FRAME_SIZE);
		hi = ALIGN_DOWN(MIN(ram[i].end, below), PMM_FRAME_SIZE);

		while (lo < hi && size <= hi - lo) {
			const struct pmm_range *a = first_overlap(avoid, avoid_count, lo, size);

			if (!a) {
				*out = lo;
				return true;
			}
			if (a->end > UINT64_MAX - PMM_FRAME_SIZE)
				break;
			lo = ALIGN_UP(a->end, PMM_FRAME_SIZE);
		}
	}
	return false;
}
