/*
 * The zero pool: 4 KiB frames and 2 MiB runs that Keel zeroed while its
 * CPUs had nothing else to do, so that a guest's first touch maps memory
 * that is already zero instead of zeroing it on the fault path (issue 17).
 *
 * Pool members are taken out of the allocator's core (state USED, plain
 * allocations: never frames promised to an account) and stay untouched
 * until an account adopts one (pmm_core_account_alloc with a pool: the
 * frames become that account's, charged as any allocation) or the pool is
 * drained back to the core. Filling is done in three steps so that the
 * zeroing itself runs without the frame lock: zpool_fill_take (a free
 * frame or run out of the core), the caller zeroes it in pieces,
 * zpool_fill_put (into the pool).
 *
 * The pool never stands in the way of an allocation: it fills only while
 * the core keeps ZPOOL_RESERVE unpromised frames besides, and whatever
 * cannot be satisfied from the core while the pool holds frames drains the
 * pool and tries again (mm/pmm.c, pmm_account.c).
 *
 * Pure over struct pmm_core: host-tested (tests/unit/test_pmm.c).
 */
#ifndef KEEL_MM_ZPOOL_H
#define KEEL_MM_ZPOOL_H

#include "lib/types.h"
#include "mm/pmm.h"

/* The most the pool holds: 8 MiB in 4 KiB frames, 8 MiB in 2 MiB runs. */
#define ZPOOL_FRAMES_MAX 2048
#define ZPOOL_RUNS_MAX	 4
/* Unpromised frames the pool leaves in the core for everything else (16 MiB). */
#define ZPOOL_RESERVE 4096

struct zpool_stats {
	u64 zeroed[2]; /* [0] 4 KiB frames, [1] 2 MiB runs: filled */
	u64 hits[2];   /* taken by an account already zero */
	u64 misses[2]; /* an account's allocation found the pool empty */
	u64 drained[2];
};

struct zpool {
	u64 frame[ZPOOL_FRAMES_MAX];
	u64 run[ZPOOL_RUNS_MAX];
	u32 frames, runs;	    /* held now */
	u32 want_frames, want_runs; /* the targets (0, 0: the pool is off) */
	struct zpool_stats st;
};

/* An empty pool that fills up to want_frames frames and want_runs runs (capped at the maxima). */
void zpool_init(struct zpool *z, u32 want_frames, u32 want_runs);
/*
 * What the pool wants filled next: PMM_FRAME_SIZE, PMM_CHUNK_SIZE or 0
 * (full, off, or the core cannot spare it). Frames first: they are what
 * 4 KiB faults and EPT tables take.
 */
u64 zpool_fill_next(const struct zpool *z, const struct pmm_core *p);
/* Takes a free frame or run of `size` from the core for filling; false: none. */
bool zpool_fill_take(const struct zpool *z, struct pmm_core *p, u64 size, u64 *pa);
/* Puts a frame or run zpool_fill_take gave, now zeroed, into the pool; full: back to the core. */
void zpool_fill_put(struct zpool *z, struct pmm_core *p, u64 size, u64 pa);
/* Gives back to the core what zpool_fill_take gave and was not put (an abandoned fill). */
void zpool_fill_abandon(struct pmm_core *p, u64 size, u64 pa);
/* Takes a zeroed frame (PMM_FRAME_SIZE) or run (PMM_CHUNK_SIZE); false when there is none. */
bool zpool_take(struct zpool *z, u64 size, u64 *pa);
/* Gives everything the pool holds back to the core; returns how many frames that was. */
u64 zpool_drain(struct zpool *z, struct pmm_core *p);
/* Frames the pool holds now (runs counted in 4 KiB frames). */
u64 zpool_held(const struct zpool *z);

#endif
