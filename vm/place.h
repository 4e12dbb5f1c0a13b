/*
 * Placing what Keel writes into a guest's memory beside what the image
 * and its modules already hold (pure; host-tested). Ranges are half-open
 * guest-physical [start, end); every sum is checked for overflow.
 */
#ifndef KEEL_VM_PLACE_H
#define KEEL_VM_PLACE_H

#include "lib/types.h"

struct place_range {
	u64 start, end;
};

/*
 * The lowest address a, a multiple of align (a power of two), with
 * [a, a + size) inside [from, limit) and meeting none of busy[0, n).
 * Returns true with *at = a, or false when there is no such hole.
 */
bool place_find(const struct place_range *busy, unsigned n, u64 size, u64 align, u64 from,
		u64 limit, u64 *at);

/*
 * The first of busy[0, n) that meets r (empty ranges meet nothing);
 * -1 if none does.
 */
int place_overlap(const struct place_range *busy, unsigned n, struct place_range r);

#endif
