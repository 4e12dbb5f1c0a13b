/*
 * The physical frame allocator. It owns all usable RAM (multiboot2 memory
 * map type 1) from 1 MiB up, except what is reserved at boot: Keel's image,
 * the multiboot2 info, every module and the allocator's own metadata. It
 * hands out 4 KiB frames and naturally aligned 2 MiB and 1 GiB runs (for
 * large and huge EPT pages). Allocation never zeroes memory: the caller
 * decides whether a frame needs clearing.
 *
 * Two layers: struct pmm_core (mm/pmm_core.c) is the pure logic over
 * addresses and caller-provided metadata, host-tested; the pmm_* functions
 * without "core" (mm/pmm.c) are Keel's one allocator, built from the boot
 * info, and they panic on a Keel bug (double free, freeing what is not owned).
 *
 * Metadata: 2 bits of state per 4 KiB frame, and per 2 MiB "chunk" a count
 * of its free frames, so a whole free chunk is found without scanning bits:
 *
 *   state[]   |ff|ff|uu|ff|rr|..|   frame states, 32 per u64 word, 16 words per chunk
 *   chunks[]  | 512 | 37 |  0 |..|   free frames per chunk; lists WHOLE (512 free)
 *                                     and PARTIAL (1..511 free) link the chunks
 *   gig_whole | 512 | 300 |...|       whole chunks per 1 GiB, for 1 GiB runs
 *
 * Single frames come from PARTIAL chunks first, so whole chunks stay whole
 * for 2 MiB runs as long as possible.
 */
#ifndef KEEL_MM_PMM_H
#define KEEL_MM_PMM_H

#include "boot/mb2.h"
#include "lib/types.h"
#include "mm/addr.h"

#define PMM_FRAME_SIZE	  PAGE_SIZE
#define PMM_CHUNK_SIZE	  LARGE_PAGE_SIZE
#define PMM_GIG_SIZE	  HUGE_PAGE_SIZE
#define PMM_FRAMES_PER_2M (PMM_CHUNK_SIZE / PMM_FRAME_SIZE)
#define PMM_CHUNKS_PER_1G (PMM_GIG_SIZE / PMM_CHUNK_SIZE)
/* Frames below 1 MiB are never owned (BIOS data, EBDA, later AP start-up code). */
#define PMM_LOW_LIMIT (1 * MiB)
/* RAM above this is left alone (metadata must fit in the boot identity map). */
#define PMM_MAX_PHYS (512 * GiB)

/* A frame's state: 2 bits in pmm_core.state. */
enum pmm_frame_state {
	PMM_ABSENT = 0,	  /* not owned: not RAM, below 1 MiB, or above the limit */
	PMM_RESERVED = 1, /* owned, held by a boot reservation until released */
	PMM_USED = 2,	  /* owned, handed out by an alloc */
	PMM_FREE = 3,	  /* owned and free */
};

/* Why a free or a release was refused: each is a bug in the caller. */
enum pmm_status {
	PMM_OK = 0,
	PMM_ERR_UNALIGNED,    /* address not aligned to the run's size */
	PMM_ERR_NOT_OWNED,    /* outside the allocator's RAM */
	PMM_ERR_ALREADY_FREE, /* double free / double release */
	PMM_ERR_RESERVED,     /* freeing a reserved frame (use release) */
	PMM_ERR_ALLOCATED,    /* releasing an allocated frame (use free) */
};

enum pmm_list {
	PMM_LIST_NONE = 0, /* chunk has no free frame */
	PMM_LIST_PARTIAL,  /* 1..511 free frames */
	PMM_LIST_WHOLE,	   /* all 512 frames free */
	PMM_LIST_COUNT,
};

#define PMM_NIL UINT32_MAX /* the end of a chunk list */

struct pmm_chunk {
	u32 prev; /* neighbours in the list named by `list`; PMM_NIL at the ends */
	u32 next;
	u16 free; /* free frames, 0..512 */
	u8 list;  /* enum pmm_list */
};

struct pmm_core {
	u64 limit;		  /* tracks physical [0, limit), a multiple of 1 GiB */
	u64 *state;		  /* 2 bits per frame, enum pmm_frame_state */
	struct pmm_chunk *chunks; /* one per 2 MiB */
	u16 *gig_whole;		  /* whole chunks per 1 GiB */
	u32 head[PMM_LIST_COUNT];
	u64 count[4]; /* frames of [0, limit) in each enum pmm_frame_state */
	u64 promised; /* free frames promised to open accounts (below), <= count[PMM_FREE] */
};

/*
 * An account: the frames one owner (a guest) holds, by kind, under a limit
 * that was promised to it when it opened. Promised frames stay free but no
 * other allocation may take them, so an account can always get single
 * frames up to its limit whatever other owners do; only 2 MiB and 1 GiB
 * runs can be missing (fragmentation), and the caller falls back to smaller
 * ones.
 */
enum pmm_kind {
	PMM_KIND_DATA,	 /* guest RAM */
	PMM_KIND_TABLE,	 /* EPT tables */
	PMM_KIND_DEVICE, /* vCPU and device-model pages: VMCS, register save area, APIC pages */
	PMM_KIND_COUNT,
};

enum pmm_account_status {
	PMM_ACCOUNT_OK = 0,
	PMM_ACCOUNT_LIMIT,    /* the account would exceed its limit: refused */
	PMM_ACCOUNT_NO_RUN,   /* no free naturally aligned run of that size */
	PMM_ACCOUNT_INJECTED, /* the account's fail_at-th allocation: failed on purpose (tests) */
};

struct pmm_account {
	u64 limit; /* frames promised at open: the most it may hold at once */
	u64 held;  /* frames held now, all kinds */
	u64 peak;  /* the most held at once */
	u64 held_kind[PMM_KIND_COUNT];
	u64 peak_kind[PMM_KIND_COUNT];
	u64 refused; /* allocations refused at the limit */
	/*
	 * Fault injection (a guest's failalloc=, a test-only option): every
	 * call of pmm_core_account_alloc counts in allocs, refused or not, and
	 * the one that makes allocs equal fail_at (0: none) fails with
	 * PMM_ACCOUNT_INJECTED, as if the machine had no frame or run left.
	 */
	u64 allocs;
	u64 fail_at;
};

struct pmm_range {
	u64 start; /* physical [start, end) */
	u64 end;
};

/* --- pure core (mm/pmm_core.c) --- */

/* Bytes of metadata needed to track [0, max_pa) (rounded up to 1 GiB). */
u64 pmm_core_meta_size(u64 max_pa);
/*
 * Makes p track [0, max_pa rounded up to 1 GiB) with every frame ABSENT.
 * meta: pmm_core_meta_size(max_pa) bytes, 8-byte aligned, kept for life.
 * Then, in this order: add_ram for RAM, exclude for what is not RAM, and
 * reserve for what is in use.
 */
void pmm_core_init(struct pmm_core *p, void *meta, u64 max_pa);
/* Owns the whole frames of [start, end) at or above 1 MiB: ABSENT -> FREE. */
void pmm_core_add_ram(struct pmm_core *p, u64 start, u64 end);
/* Disowns every frame touching [start, end): FREE -> ABSENT. */
void pmm_core_exclude(struct pmm_core *p, u64 start, u64 end);
/* Reserves every owned frame touching [start, end): FREE -> RESERVED. */
void pmm_core_reserve(struct pmm_core *p, u64 start, u64 end);
/*
 * Gives back the whole frames of [start, end) (rounded inward, so a page
 * shared with another reservation stays reserved): RESERVED -> FREE; frames
 * not owned are skipped. All-or-nothing: on an error nothing changes and
 * *bad is the first offending frame.
 */
enum pmm_status pmm_core_release(struct pmm_core *p, u64 start, u64 end, u64 *bad);

/* Each returns false when no such free frame/run exists; *pa is untouched. */
bool pmm_core_alloc_frame(struct pmm_core *p, u64 *pa);
bool pmm_core_alloc_2m(struct pmm_core *p, u64 *pa);
bool pmm_core_alloc_1g(struct pmm_core *p, u64 *pa);
/* Each frees what an alloc of the same size returned; *bad: first bad frame. */
enum pmm_status pmm_core_free_frame(struct pmm_core *p, u64 pa);
enum pmm_status pmm_core_free_2m(struct pmm_core *p, u64 pa, u64 *bad);
enum pmm_status pmm_core_free_1g(struct pmm_core *p, u64 pa, u64 *bad);

enum pmm_frame_state pmm_core_state(const struct pmm_core *p, u64 pa);
/* Free frames not promised to any account: what plain allocations may take. */
u64 pmm_core_unpromised(const struct pmm_core *p);

/* --- accounts over the core (mm/pmm_account.c, pure) --- */

/*
 * Opens a with `limit` frames promised and no fault injection (fail_at 0;
 * set it after opening); false (a untouched) if fewer are unpromised.
 */
bool pmm_core_account_open(struct pmm_core *p, struct pmm_account *a, u64 limit);
/* Gives back what the account was promised; false (a Keel bug) if it still holds frames. */
bool pmm_core_account_close(struct pmm_core *p, struct pmm_account *a);
/* Takes a frame (size PMM_FRAME_SIZE) or a 2 MiB or 1 GiB run for the account. */
enum pmm_account_status pmm_core_account_alloc(struct pmm_core *p, struct pmm_account *a,
					       enum pmm_kind kind, u64 size, u64 *pa);
/*
 * The same, first from the zero pool z (mm/zpool.h) when z and zeroed are
 * given: *zeroed says whether the frames came from it, already zero. With z
 * (zeroed or not), when the core has no such frame or run while the pool
 * holds frames, the pool is drained into the core and the core asked again.
 */
struct zpool;
enum pmm_account_status pmm_core_account_alloc_pooled(struct pmm_core *p, struct zpool *z,
						      struct pmm_account *a, enum pmm_kind kind,
						      u64 size, u64 *pa, bool *zeroed);
/* Gives back what pmm_core_account_alloc gave for the same kind and size. */
enum pmm_status pmm_core_account_free(struct pmm_core *p, struct pmm_account *a, enum pmm_kind kind,
				      u64 size, u64 pa, u64 *bad);
const char *pmm_kind_name(enum pmm_kind kind);
const char *pmm_status_name(enum pmm_status st);

/*
 * Finds size bytes (page-aligned start) inside one of the ram ranges, at or
 * above 1 MiB, below `below`, overlapping none of the avoid ranges. Returns
 * false when there is no such place.
 */
bool pmm_place(const struct pmm_range *ram, u32 ram_count, const struct pmm_range *avoid,
	       u32 avoid_count, u64 size, u64 below, u64 *out);

/* --- Keel's allocator (mm/pmm.c) --- */

/*
 * Builds the allocator from the boot info and prints the memory report.
 * Returns false (after one error line) when the memory map leaves Keel
 * nothing to run with.
 */
bool pmm_init(const struct boot_info *bi);

/*
 * Allocation does not zero. Returns false when nothing of that size is free
 * outside what accounts were promised.
 */
bool pmm_alloc_frame(hpa_t *out);
bool pmm_alloc_2m(hpa_t *out); /* 512 frames, 2 MiB-aligned */
bool pmm_alloc_1g(hpa_t *out); /* 262144 frames, 1 GiB-aligned */
/* Frees what an alloc of the same size returned; anything else panics. */
void pmm_free_frame(hpa_t frame);
void pmm_free_2m(hpa_t run);
void pmm_free_1g(hpa_t run);
/* Hands a reserved range (a consumed module) to the allocator; panics if not reserved. */
void pmm_release(hpa_t start, u64 size);

/*
 * Accounts (see struct pmm_account): open promises `limit` frames (false
 * if that many are not free and unpromised), alloc/free are the account's
 * versions of the plain calls, close requires that nothing is held.
 * A 4 KiB alloc within the limit always succeeds, unless it is the one
 * the account's fail_at names (PMM_ACCOUNT_INJECTED).
 */
bool pmm_account_open(struct pmm_account *a, u64 limit);
void pmm_account_close(struct pmm_account *a);
enum pmm_account_status pmm_account_alloc(struct pmm_account *a, enum pmm_kind kind, u64 size,
					  hpa_t *out);
void pmm_account_free(struct pmm_account *a, enum pmm_kind kind, u64 size, hpa_t pa);
/*
 * pmm_account_alloc through the zero pool: a 4 KiB frame or 2 MiB run
 * zeroed while Keel was idle when the pool has one (*zeroed true), else
 * what pmm_account_alloc gives (*zeroed false: the caller zeroes).
 */
enum pmm_account_status pmm_account_alloc_zeroed(struct pmm_account *a, enum pmm_kind kind,
						 u64 size, hpa_t *out, bool *zeroed);

/*
 * The zero pool (mm/zpool.h), filled by idle CPUs. pmm_zero_pool_init sets
 * its targets (0, 0: off; the zeropool= option) and says so. A CPU with
 * nothing to run calls pmm_zero_step with its own work record: each call
 * takes a frame or run to fill, or zeroes at most PMM_ZERO_PIECE bytes of
 * it, or puts it in the pool, so a guest that becomes runnable waits for
 * at most one piece of zeroing; false when the pool wants nothing.
 * pmm_zero_abandon gives back a fill in progress and adds the record's
 * ticks to the run's total (a CPU that stops idling for good);
 * pmm_zero_pool_end drains the pool into the allocator at the end of the
 * run and prints what it did.
 */
#define PMM_ZERO_PIECE PMM_FRAME_SIZE
struct pmm_zero_work {
	hpa_t pa;  /* the frame or run being zeroed */
	u64 size;  /* its size; 0: none in progress */
	u64 done;  /* bytes zeroed so far */
	u64 ticks; /* TSC ticks spent in pmm_zero_step, for the report */
};
void pmm_zero_pool_init(u32 frames, u32 runs);
bool pmm_zero_step(struct pmm_zero_work *w);
void pmm_zero_abandon(struct pmm_zero_work *w);
void pmm_zero_pool_end(void);

u64 pmm_free_count(void);	/* free 4 KiB frames */
u64 pmm_unpromised_count(void); /* free frames no account was promised */
u64 pmm_used_count(void);	/* owned frames not free: allocated + reserved */
u64 pmm_reserved_count(void);	/* frames held by boot reservations */

#endif
