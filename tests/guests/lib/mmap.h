/*
 * Reading and judging a Multiboot v1 memory map (multiboot1.h). Pure
 * functions over plain ranges, so the judgement is host-tested; the
 * guest only walks the loader's buffer into an array of ranges.
 */
#ifndef KEEL_GUESTS_MMAP_H
#define KEEL_GUESTS_MMAP_H

#include "lib/types.h"

struct mmap_range {
	u64 base;
	u64 length;
	u32 type;
};

enum mmap_status {
	MMAP_OK = 0,
	MMAP_SHORT_ENTRY, /* an entry's size field is below 20 */
	MMAP_PAST_END,	  /* an entry runs past mmap_length */
	MMAP_WRAPS,	  /* base + length overflows 64 bits */
	MMAP_TOO_MANY,	  /* more entries than the caller's array holds */
};

/*
 * Walks the mmap buffer (len bytes at buf) into out[0..max). Returns
 * MMAP_OK and the number of entries in *count, or what was wrong.
 */
enum mmap_status mmap_walk(const void *buf, u32 len, struct mmap_range *out, u32 max, u32 *count);
const char *mmap_status_name(enum mmap_status s);

/* Sorts r[0..n) by base (insertion sort: maps are short). */
void mmap_sort(struct mmap_range *r, u32 n);
/* For a sorted map: true when two entries with nonzero length overlap. */
bool mmap_overlaps(const struct mmap_range *r, u32 n);
/*
 * For a sorted map without overlaps: true when the entries of the given
 * type, merged, form exactly the one range [lo, hi) (mmap_equals) or
 * include all of [lo, hi) (mmap_covers).
 */
bool mmap_equals(const struct mmap_range *r, u32 n, u32 type, u64 lo, u64 hi);
bool mmap_covers(const struct mmap_range *r, u32 n, u32 type, u64 lo, u64 hi);

#endif
