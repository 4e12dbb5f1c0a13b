/*
 * Guest memory: a guest's RAM as seen through its EPT. RAM is contiguous
 * from guest-physical 0 to ram_size and is populated on demand: a frame
 * (or a large page) is taken from the frame allocator, zeroed and mapped
 * the first time the guest or Keel's loader touches it. Every frame and
 * EPT table page a guest holds is charged to its frame account (struct
 * pmm_account: data and tables, under the guest's limit) and returned by
 * gmem_destroy; tables an unmap empties are freed once INVEPT has run.
 * Keel reaches guest memory only through this translation.
 */
#ifndef KEEL_VM_GMEM_H
#define KEEL_VM_GMEM_H

#include "arch/x86/percpu.h"
#include "lib/types.h"
#include "mm/addr.h"
#include "mm/pmm.h"
#include "mm/pt.h"
#include "vmx/invalidate.h"

enum gmem_status {
	GMEM_OK = 0,
	GMEM_NOMEM = -1,   /* host frames ran out */
	GMEM_OUTSIDE = -2, /* the GPA is not RAM */
	GMEM_ERROR = -3,   /* page-table error (a Keel bug if it happens) */
	GMEM_EXISTS = -4,  /* gpa (or part of its large region) is mapped already */
	GMEM_LIMIT = -5,   /* the guest holds as many frames as its limit allows */
	GMEM_AGAIN = -6,   /* gmem_fault: a large page is still being zeroed; retry */
};

/* EPT tables below the root that one page Keel maps outside RAM may need. */
#define GMEM_FOREIGN_TABLES (PT_LEVELS - 1)

struct gmem_stats {
	u64 violations;	      /* EPT-violation exits handled as RAM faults, less fill_resumes */
	u64 leaves[4];	      /* leaves installed, by level (1=4K, 2=2M, 3=1G) */
	u64 fallbacks;	      /* large page wanted but no aligned host run: 4 KiB used */
	u64 spurious;	      /* faults whose mapping already allowed the access */
	u64 restores;	      /* permission faults on RAM answered by restoring full access */
	u64 fill_resumes;     /* faults that found their large page still being zeroed */
	u64 tables_freed;     /* EPT tables freed when an unmap emptied them */
	u64 prezeroed[2];     /* [0] data leaves, [1] EPT tables taken already zero (zero pool) */
	u64 around;	      /* 4 KiB pages mapped ahead by fault-around (struct gmem_around) */
	u64 zero_faults;      /* reads of never-written pages answered by the zero frame */
	u64 cow;	      /* writes that gave a zero-mapped page a frame of its own */
	u64 promotions;	      /* 2 MiB regions of zero mappings given a 2 MiB leaf at a write */
	struct inv_stats inv; /* INVEPTs issued for this EPT, by type */
};

/*
 * A large page being zeroed for a guest's fault, a piece at a time, so that
 * zeroing 2 MiB or 1 GiB never holds the CPU past the guest's time (see
 * gmem_fault). Its frames are charged as data from the start.
 */
struct gmem_fill {
	hpa_t run;	/* 0: no fill in progress */
	u64 base;	/* the GPA the run will map */
	unsigned level; /* 2 or 3 */
	u64 done;	/* bytes zeroed so far */
};

/*
 * Recent translations of guest RAM pages to host frames, so that Keel's own
 * reads of guest memory (page-table walks for instruction fetches and
 * string I/O, hypercall buffers) skip the EPT walk. Exact, not a hint:
 * every EPT removal flushes it (gmem_unmap), and nothing else moves a page.
 */
#define GMEM_XLAT_SLOTS 16

/*
 * Fault-around for a guest of 4 KiB leaves only (gmem_fault_around): a
 * first touch of the page right after the last one mapped maps the next
 * `n` pages too, n doubling from 1 up to `max` while the touches stay
 * sequential, and back to none at the first that is not. Only inside the
 * faulting page's 2 MiB (its EPT table) and RAM, and only while the guest's
 * account has room for all of its RAM besides (never for an overcommitted
 * guest: a page mapped ahead must not take a frame it will need).
 */
#define GMEM_AROUND_MAX 16

struct gmem_around {
	unsigned max;	/* 0: off */
	unsigned n;	/* pages mapped ahead at the last sequential fault */
	u64 next;	/* the page a sequential touch faults on next; 0: none yet */
	u64 mapped;	/* pages mapped ahead in all (the summary) */
	u64 sequential; /* faults found sequential */
};

/*
 * Reclaim (Keel's reclaim=on, with zero-page sharing): while every vCPU on
 * the guest's CPU is halted, that CPU walks the guest's RAM a little per
 * idle step (gmem_reclaim_step) for frames holding nothing but zeros. A
 * 4 KiB one is replaced by the zero frame and given back; a 2 MiB leaf all
 * zero is unmapped whole (its next read maps the zero frame, its next
 * write a fresh leaf), checked a page per step and started again if the
 * guest ran in between. 1 GiB leaves are passed by.
 */
struct gmem_reclaim {
	u64 cursor;    /* the next guest-physical address to look at */
	u64 pass_ran;  /* the guest's run count (its exits) when this pass began */
	u64 leaf_base; /* the 2 MiB leaf being checked, + 1 (0: none) */
	u64 leaf_ran;  /* the run count when its check began */
	u64 passes;    /* whole passes over RAM */
	u64 scanned;   /* 4 KiB pages looked at */
	u64 returned;  /* frames given back to the allocator */
	u64 ticks;     /* TSC ticks spent */
};

/*
 * The working set (Keel's workingset=on, on a CPU with EPT accessed and
 * dirty flags): every GMEM_WS_INTERVAL ticks of the guest's time Keel
 * counts the pages whose leaves the CPU marked accessed since the last
 * look, and clears the flags (gmem_ws_sample).
 */
#define GMEM_WS_INTERVAL (1ULL << 24)

struct gmem_ws {
	u64 next_at; /* vCPU 0's run time (used ticks) at which the next sample is due */
	u64 samples;
	u64 last, peak, sum; /* 4 KiB pages accessed in an interval */
};

/*
 * The dirty log (the test hypercall KEEL_HC_TEST_DIRTY_LOG, one vCPU): the
 * pages the guest wrote since the log was started or last read. With the
 * page-modification log (PML, which needs EPT accessed/dirty flags) the
 * CPU writes the address of each page whose leaf's dirty flag it sets into
 * a log page, and Keel empties that page into `gpa` when it is full or the
 * log is read; without, Keel write-protects all of RAM and notes each
 * page at its first write fault. Either way a 2 MiB leaf is noted once, by
 * the first page written in it: the whole leaf counts as written.
 */
#define GMEM_DIRTY_FRAMES    2 /* frames holding the list of pages noted, taken at start */
#define GMEM_DIRTY_PER_FRAME (PAGE_SIZE / sizeof(u64))
#define GMEM_DIRTY_MAX	     (GMEM_DIRTY_FRAMES * GMEM_DIRTY_PER_FRAME)

enum gmem_dirty_mode { GMEM_DIRTY_OFF, GMEM_DIRTY_PML, GMEM_DIRTY_WP };

struct gmem_dirty {
	enum gmem_dirty_mode mode;
	hpa_t pml; /* GMEM_DIRTY_PML: the log page the CPU writes */
	/* The pages noted, each once, in the order noted: device frames of the guest's. */
	hpa_t list[GMEM_DIRTY_FRAMES];
	unsigned count; /* pages in the list */
	u64 overflow;	/* pages written that did not fit */
};

/* Entry i of the dirty log's list (i < GMEM_DIRTY_MAX, the log on). */
static inline u64 *gmem_dirty_entry(const struct gmem_dirty *l, unsigned i)
{
	return (u64 *)hpa_ptr(l->list[i / GMEM_DIRTY_PER_FRAME]) + i % GMEM_DIRTY_PER_FRAME;
}

struct gmem_xlat {
	u64 gfn1[GMEM_XLAT_SLOTS]; /* guest frame number + 1; 0: empty */
	u64 hpa[GMEM_XLAT_SLOTS];  /* host address of the frame */
};

struct gmem {
	struct pt ept;
	struct pt_mem table_mem;
	struct pmm_account *acct; /* the guest's frames: data and tables are charged here */
	enum pmm_account_status alloc_status; /* why the last table allocation failed */
	u64 ram_size;
	unsigned max_level;  /* largest leaf used: 1, 2 or 3 (ept=4k|2m|1g) */
	unsigned sync_level; /* largest leaf Keel's own accesses may populate (gmem_run) */
	u64 eptp;
	u64 data_frames; /* 4 KiB frames of guest data mapped */
	/*
	 * Zero-page sharing (gmem_zero_sharing): the one read-only frame of
	 * zeros every guest's never-written pages map, 0 when off; zero_maps:
	 * this EPT's 4 KiB leaves that map it now.
	 */
	hpa_t zero;
	u64 zero_maps;
	u16 rmap_owner;	 /* its owner number in the reverse map (mm/rmap.h) */
	u64 rmap_leaves; /* leaves of guest RAM the reverse map records for it */
	struct gmem_fill fill;
	struct gmem_around around;
	struct gmem_reclaim reclaim;
	bool ad; /* the EPTP enables accessed and dirty flags (gmem_track_ad) */
	struct gmem_dirty dirty;
	struct gmem_ws ws;
	/*
	 * Set when a translation was removed or downgraded and no INVEPT has
	 * followed yet: VM entry with this set is a Keel bug (checked in debug
	 * builds before every entry).
	 */
	bool inv_pending;
	struct gmem_stats stats;
	struct gmem_xlat xlat;

	/*
	 * Several CPUs (a guest with vCPUs on more than one: gmem_share). An
	 * INVEPT reaches only its own CPU, so a removal or downgrade bumps
	 * inv_gen, and each CPU flushes before its next entry if it last
	 * flushed at an older one (cpu_gen). A CPU in the guest now with an
	 * older one holds stale translations in use: the remover kicks it out
	 * and waits (docs/tlb.md, "Several CPUs").
	 */
	bool shared;	       /* written once, before the guest runs */
	u64 inv_gen;	       /* atomic; under the guest lock for writes; starts at 1 */
	u64 done_gen;	       /* atomic: every other CPU had left or flushed up to it */
	u64 cpu_gen[CPU_MAX];  /* per-CPU: entry c is CPU c's: the generation it last flushed at */
	u64 in_guest[CPU_MAX]; /* per-CPU writer, any reader (atomic): 0 out, GMEM_ENTERING, or
				  the generation CPU c flushed up to before entering */
	u64 entry_flushes[CPU_MAX]; /* per-CPU: INVEPTs gmem_enter issued on CPU c */
	u64 shootdowns,
	    kicks; /* under the guest lock: removals that reached other CPUs (summary) */
};

/* in_guest[c]: CPU c is about to enter, its generation not yet checked. */
#define GMEM_ENTERING (~0ULL)

/* The guest's vCPUs may run on several CPUs: removals shoot down (before it runs). */
void gmem_share(struct gmem *m);
/*
 * CPU `cpu` enters the guest next (m->shared, just before VM entry, outside
 * the guest lock): it says so, then flushes the EPTP if a removal happened
 * since it last did.
 */
void gmem_enter(struct gmem *m, unsigned cpu);
/* CPU `cpu` has left the guest (first thing after a VM exit). */
static inline void gmem_leave(struct gmem *m, unsigned cpu)
{
	__atomic_store_n(&m->in_guest[cpu], 0, __ATOMIC_RELEASE);
}
/*
 * Debug builds, before an entry on `cpu`: panics if another CPU is in the
 * guest with a generation older than the last completed shootdown's
 * (test=skip-shootdown leaves the shootdown out so that this fires).
 */
void gmem_check_shootdown(const struct gmem *m, unsigned cpu, const char *who);

/*
 * Sets up an empty EPT for ram_size bytes of RAM, charging every frame to
 * acct (open, and kept open until gmem_destroy); false on no memory.
 */
bool gmem_init(struct gmem *m, u64 ram_size, unsigned max_level, struct pmm_account *acct);
/*
 * Zero-page sharing, set before anything is mapped: a read or fetch of a
 * never-written page maps `zero` (a zeroed frame Keel never frees nor
 * writes) read and execute only, at 4 KiB, instead of taking a frame; the
 * first write gives the page a frame of its own (gmem_cow). 0: off.
 */
void gmem_zero_sharing(struct gmem *m, hpa_t zero);
/* True if the host address pa lies in the shared zero frame this EPT maps. */
static inline bool gmem_is_zero(const struct gmem *m, hpa_t pa)
{
	return hpa_addr(m->zero) && ALIGN_DOWN(hpa_addr(pa), PAGE_SIZE) == hpa_addr(m->zero);
}
/*
 * One bounded step of the reclaim scan (struct gmem_reclaim), run while
 * the guest is idle by the CPU that runs it, under its guest lock: looks
 * at pages until about `budget` qwords were read, gives back the zero
 * frames found (one INVEPT for them all, before they are freed). `ran`
 * moves whenever the guest runs (its exit count). False, having done
 * nothing, when a whole pass ended and the guest has not run since, or
 * when reclaim does not apply (no zero-page sharing, or vCPUs on several
 * CPUs).
 */
bool gmem_reclaim_step(struct gmem *m, u64 ran, unsigned budget);

/*
 * Before the guest's vCPUs are built (the EPTP goes into their VMCSs): the
 * CPU sets accessed and dirty flags in this EPT (EPTP bit 6; the caller
 * checked IA32_VMX_EPT_VPID_CAP bit 21). The CPU then treats its own
 * accesses to the guest's paging structures as writes.
 */
void gmem_track_ad(struct gmem *m);
/*
 * One working-set sample (m->ad): the 4 KiB pages of RAM accessed since the
 * last one (a 2 MiB leaf counts 512), accessed flags cleared, then INVEPT
 * (with the shootdown for a guest on several CPUs) so that the CPU sets
 * them again at the next access. Returns the pages counted.
 */
u64 gmem_ws_sample(struct gmem *m);

/*
 * Starts the dirty log (struct gmem_dirty): with PML (`pml`: the CPU has
 * it and m->ad) a log page is taken from the account and every leaf's
 * dirty flag cleared, else all of RAM is write-protected; INVEPT either
 * way. The caller points its vCPU's VMCS at m->dirty.pml. GMEM_LIMIT or
 * GMEM_NOMEM when no log page can be had, GMEM_EXISTS if already on.
 */
enum gmem_status gmem_dirty_start(struct gmem *m, bool pml);
/* Notes the page holding g as written (once; past GMEM_DIRTY_MAX, counted as overflow). */
void gmem_dirty_note(struct gmem *m, u64 g);
/*
 * Empties a PML log page into the dirty log: entries [first, 512) hold
 * guest-physical addresses (their low 12 bits are not trusted).
 */
void gmem_dirty_drain(struct gmem *m, unsigned first);
/*
 * After the log was read: forgets the pages noted and makes new writes
 * noted again (dirty flags cleared, or RAM write-protected again; INVEPT).
 */
void gmem_dirty_rearm(struct gmem *m);
/* Stops the log and gives its log page back; RAM keeps whatever permissions it has. */
void gmem_dirty_stop(struct gmem *m);

/*
 * The guest is about to run: from now on a page Keel itself populates
 * (string I/O, hypercall buffers) is at most 2 MiB, zeroed at once; only
 * the guest's own faults take 1 GiB pages, zeroed a piece per exit
 * (gmem_fault). Before this the loader may populate any size.
 */
void gmem_run(struct gmem *m);
/*
 * Removes [g, g+size) (4 KiB aligned) from the guest, invalidates, and frees
 * the frames. Returns GMEM_OK, GMEM_OUTSIDE (not RAM, unaligned or
 * wrapping) or GMEM_NOMEM (a large page needed splitting).
 */
enum gmem_status gmem_unmap(struct gmem *m, gpa_t g, u64 size);
/* Sets the permissions (PT_PERM_*) of mapped pages in a range; as gmem_unmap. */
enum gmem_status gmem_protect(struct gmem *m, gpa_t g, u64 size, unsigned perms);
/* Gives every page of the leaf holding g full RAM permissions back (no INVEPT needed). */
enum gmem_status gmem_restore(struct gmem *m, gpa_t g);
/* Total INVEPTs issued for this EPT. */
u64 gmem_invept_count(const struct gmem *m);

/*
 * Invalidates, frees every data frame and every table (and a fill in
 * progress) back to the account; the struct may then be reused.
 */
void gmem_destroy(struct gmem *m);

/*
 * The reverse map (mm/rmap.h) for guest RAM: which guest memory maps the
 * host frame holding `frame`, at which guest-physical address (of that
 * frame, not of its leaf) and in a leaf of which level. False when no
 * guest's RAM is backed by it.
 */
bool gmem_frame_owner(hpa_t frame, struct gmem **m, gpa_t *g, unsigned *level);
/*
 * Takes the 4 KiB host frame holding `frame` out of the EPT that maps it,
 * found through the reverse map (a large leaf around it is split first),
 * with that EPT's INVEPT (and shootdown), and frees it; the guest's next
 * touch of that page faults in a new zeroed frame. The caller holds the
 * owner's guest lock (or runs its only vCPU's exit). GMEM_OUTSIDE when no
 * guest maps the frame; otherwise as gmem_unmap.
 */
enum gmem_status gmem_unmap_frame(hpa_t frame);

/*
 * Maps a page Keel owns (the APIC-access page) at g, above RAM, read/write
 * and uncached; gmem_unmap_foreign() removes it (with INVEPT) without
 * freeing it, and must come before gmem_destroy().
 */
enum gmem_status gmem_map_foreign(struct gmem *m, gpa_t g, hpa_t h);
enum gmem_status gmem_unmap_foreign(struct gmem *m, gpa_t g);

/*
 * Makes the page containing gpa present and writable (mapping a zeroed
 * frame, or a large page up to sync_level when the whole aligned region is
 * RAM and unmapped; a page mapping the zero frame gets a frame of its own)
 * and returns the host-physical address of gpa, for Keel to write. A
 * mapping that already exists is reused.
 */
enum gmem_status gmem_populate(struct gmem *m, gpa_t gpa, hpa_t *out);
/*
 * The guest's own fault on RAM at gpa, not present when the CPU walked: the
 * largest page that fits, as gmem_populate, but a large page is zeroed in
 * pieces and only until the TSC reaches `until` (at least one piece per
 * call). With zero-page sharing a fault that is not a write maps the zero
 * frame instead (4 KiB), and a write in a 2 MiB region that maps nothing
 * but the zero frame replaces those mappings by a 2 MiB leaf (a
 * promotion: they all read zero, as the new leaf does). Returns GMEM_OK
 * once mapped, GMEM_AGAIN while zeroing goes on (the guest, resumed later,
 * faults again and it continues), GMEM_EXISTS when a leaf maps gpa already
 * (another vCPU mapped it since: nothing was taken, no fill is left in
 * progress), GMEM_LIMIT when the guest's frame limit is reached, else an
 * error.
 */
enum gmem_status gmem_fault(struct gmem *m, u64 gpa, u64 until, bool write);
/*
 * The guest wrote to the page at gpa, which maps the zero frame: a frame of
 * its own, zeroed, mapped read/write/execute in its place, with INVEPT
 * (copy-on-write of zero), or a promotion as gmem_fault's. GMEM_EXISTS when
 * the page does not map the zero frame (nothing done); else as gmem_fault.
 */
enum gmem_status gmem_cow(struct gmem *m, u64 gpa, u64 until);
/* Turns fault-around on (max pages ahead, at most GMEM_AROUND_MAX) or off (0). */
void gmem_fault_around(struct gmem *m, unsigned max);
/* True if gpa lies in the large page gmem_fault is zeroing. */
static inline bool gmem_filling(const struct gmem *m, u64 gpa)
{
	return hpa_addr(m->fill.run) &&
	       ALIGN_DOWN(gpa, pt_level_size(m->fill.level)) == m->fill.base;
}

/*
 * Copies between Keel and guest RAM, populating as needed (a read maps the
 * zero frame where a page was never written, with zero-page sharing).
 */
enum gmem_status gmem_write(struct gmem *m, gpa_t gpa, const void *src, u64 len);
enum gmem_status gmem_read(struct gmem *m, gpa_t gpa, void *dst, u64 len);
/* Reads guest RAM only where it is already mapped; false if any page is not. */
bool gmem_peek(struct gmem *m, gpa_t gpa, void *dst, u64 len);
/* Zeroes guest RAM (populating only pages that must hold the zeros). */
enum gmem_status gmem_zero(struct gmem *m, gpa_t gpa, u64 len);

u64 gmem_table_pages(const struct gmem *m);
const char *gmem_status_name(enum gmem_status s);

#endif
