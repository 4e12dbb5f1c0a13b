/*
 * Guest memory: a guest's RAM as seen through its EPT. RAM is contiguous
 * from guest-physical 0 to ram_size and is populated on demand: a frame
 * (or a large page) is taken from the frame allocator, zeroed and mapped
 * the first time the guest or Keel's loader touches it. Every frame and
 * EPT table page a guest holds is counted against it and returned by
 * gmem_destroy. Keel reaches guest memory only through this translation.
 */
#ifndef KEEL_VM_GMEM_H
#define KEEL_VM_GMEM_H

#include "lib/types.h"
#include "mm/addr.h"
#include "mm/pt.h"
#include "vmx/invalidate.h"

enum gmem_status {
	GMEM_OK = 0,
	GMEM_NOMEM = -1,   /* host frames ran out */
	GMEM_OUTSIDE = -2, /* the GPA is not RAM */
	GMEM_ERROR = -3,   /* page-table error (a Keel bug if it happens) */
	GMEM_EXISTS = -4,  /* internal: part of a large region is mapped already */
};

struct gmem_stats {
	u64 violations;	      /* EPT-violation exits handled as RAM faults */
	u64 leaves[4];	      /* leaves installed, by level (1=4K, 2=2M, 3=1G) */
	u64 fallbacks;	      /* large page wanted but no aligned host run: 4 KiB used */
	u64 spurious;	      /* faults whose mapping already allowed the access */
	u64 restores;	      /* permission faults on RAM answered by restoring full access */
	struct inv_stats inv; /* INVEPTs issued for this EPT, by type */
};

/*
 * Recent translations of guest RAM pages to host frames, so that Keel's own
 * reads of guest memory (page-table walks for instruction fetches and
 * string I/O, hypercall buffers) skip the EPT walk. Exact, not a hint:
 * every EPT removal flushes it (gmem_unmap), and nothing else moves a page.
 */
#define GMEM_XLAT_SLOTS 16

struct gmem_xlat {
	u64 gfn1[GMEM_XLAT_SLOTS]; /* guest frame number + 1; 0: empty */
	u64 hpa[GMEM_XLAT_SLOTS];  /* host address of the frame */
};

struct gmem {
	struct pt ept;
	struct pt_mem table_mem;
	u64 ram_size;
	unsigned max_level; /* largest leaf used: 1, 2 or 3 (ept=4k|2m|1g) */
	u64 eptp;
	u64 data_frames; /* 4 KiB frames of guest data held */
	/*
	 * Set when a translation was removed or downgraded and no INVEPT has
	 * followed yet: VM entry with this set is a Keel bug (checked in debug
	 * builds before every entry).
	 */
	bool inv_pending;
	struct gmem_stats stats;
	struct gmem_xlat xlat;
};

/* Sets up an empty EPT for ram_size bytes of RAM; false on no memory. */
bool gmem_init(struct gmem *m, u64 ram_size, unsigned max_level);
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

/* Invalidates, frees every data frame and every table; the struct may then be reused. */
void gmem_destroy(struct gmem *m);

/*
 * Maps a page Keel owns (the APIC-access page) at g, above RAM, read/write
 * and uncached; gmem_unmap_foreign() removes it (with INVEPT) without
 * freeing it, and must come before gmem_destroy().
 */
enum gmem_status gmem_map_foreign(struct gmem *m, gpa_t g, hpa_t h);
enum gmem_status gmem_unmap_foreign(struct gmem *m, gpa_t g);

/*
 * Makes the page containing gpa present (mapping a zeroed frame, or a large
 * page when the whole aligned region is RAM and unmapped) and returns the
 * host-physical address of gpa. A mapping that already exists is reused.
 */
enum gmem_status gmem_populate(struct gmem *m, gpa_t gpa, hpa_t *out);
/* The same for a GPA inside RAM that the caller has just found unmapped. */
enum gmem_status gmem_populate_unmapped(struct gmem *m, u64 gpa, hpa_t *out);

/* Copies between Keel and guest RAM, populating as needed. */
enum gmem_status gmem_write(struct gmem *m, gpa_t gpa, const void *src, u64 len);
enum gmem_status gmem_read(struct gmem *m, gpa_t gpa, void *dst, u64 len);
/* Reads guest RAM only where it is already mapped; false if any page is not. */
bool gmem_peek(struct gmem *m, gpa_t gpa, void *dst, u64 len);
/* Zeroes guest RAM (populating only pages that must hold the zeros). */
enum gmem_status gmem_zero(struct gmem *m, gpa_t gpa, u64 len);

u64 gmem_table_pages(const struct gmem *m);
const char *gmem_status_name(enum gmem_status s);

/* Zeroes one naturally aligned run of 4 KiB frames with REP STOSQ. */
void gmem_zero_frames(hpa_t pa, u64 size);

#endif
