/*
 * The zero pool (mm/zpool.h): two bounded stacks of host addresses over the
 * allocator's core. Pure: the frames themselves are never touched here
 * (the caller zeroes them between zpool_fill_take and zpool_fill_put).
 */
#include "mm/zpool.h"
#include "lib/panic.h"
#include "lib/string.h"

/* Index into zpool_stats' pairs. */
static unsigned kind_of(u64 size)
{
	return size == PMM_CHUNK_SIZE;
}

void zpool_init(struct zpool *z, u32 want_frames, u32 want_runs)
{
	memset(z, 0, sizeof(*z));
	z->want_frames = MIN(want_frames, (u32)ZPOOL_FRAMES_MAX);
	z->want_runs = MIN(want_runs, (u32)ZPOOL_RUNS_MAX);
}

u64 zpool_held(const struct zpool *z)
{
	return z->frames + (u64)z->runs * PMM_FRAMES_PER_2M;
}

u64 zpool_fill_next(const struct zpool *z, const struct pmm_core *p)
{
	u64 spare = pmm_core_unpromised(p);

	if (z->frames < z->want_frames && spare >= ZPOOL_RESERVE + 1)
		return PMM_FRAME_SIZE;
	if (z->runs < z->want_runs && spare >= ZPOOL_RESERVE + PMM_FRAMES_PER_2M &&
	    p->head[PMM_LIST_WHOLE] != PMM_NIL)
		return PMM_CHUNK_SIZE;
	return 0;
}

bool zpool_fill_take(const struct zpool *z, struct pmm_core *p, u64 size, u64 *pa)
{
	(void)z;
	if (size == PMM_FRAME_SIZE)
		return pmm_core_alloc_frame(p, pa);
	return size == PMM_CHUNK_SIZE && pmm_core_alloc_2m(p, pa);
}

void zpool_fill_abandon(struct pmm_core *p, u64 size, u64 pa)
{
	u64 bad = pa;
	enum pmm_status st =
	    size == PMM_FRAME_SIZE ? pmm_core_free_frame(p, pa) : pmm_core_free_2m(p, pa, &bad);

	CHECK(st == PMM_OK); /* it came from zpool_fill_take */
}

void zpool_fill_put(struct zpool *z, struct pmm_core *p, u64 size, u64 pa)
{
	unsigned k = kind_of(size);

	CHECK(size == PMM_FRAME_SIZE || size == PMM_CHUNK_SIZE);
	CHECK((pa & (size - 1)) == 0);
	if (k == 0 && z->frames < z->want_frames)
		z->frame[z->frames++] = pa;
	else if (k == 1 && z->runs < z->want_runs)
		z->run[z->runs++] = pa;
	else {
		zpool_fill_abandon(p, size, pa); /* filled meanwhile by another CPU */
		return;
	}
	z->st.zeroed[k]++;
}

bool zpool_take(struct zpool *z, u64 size, u64 *pa)
{
	unsigned k = kind_of(size);

	if (size != PMM_FRAME_SIZE && size != PMM_CHUNK_SIZE)
		return false;
	if (z->want_frames == 0 && z->want_runs == 0)
		return false; /* off: no misses counted */
	if (k == 0 && z->frames)
		*pa = z->frame[--z->frames];
	else if (k == 1 && z->runs)
		*pa = z->run[--z->runs];
	else {
		z->st.misses[k]++;
		return false;
	}
	z->st.hits[k]++;
	return true;
}

u64 zpool_drain(struct zpool *z, struct pmm_core *p)
{
	u64 n = zpool_held(z);

	z->st.drained[0] += z->frames;
	z->st.drained[1] += z->runs;
	while (z->frames)
		zpool_fill_abandon(p, PMM_FRAME_SIZE, z->frame[--z->frames]);
	while (z->runs)
		zpool_fill_abandon(p, PMM_CHUNK_SIZE, z->run[--z->runs]);
	return n;
}
