/*
 * Finding a hole in a guest's memory (vm/place.h): first fit over a short
 * list of busy ranges, such as an image's segments and its modules.
 */
#include "vm/place.h"

static bool meets(struct place_range a, struct place_range b)
{
	return a.start < a.end && b.start < b.end && a.start < b.end && b.start < a.end;
}

int place_overlap(const struct place_range *busy, unsigned n, struct place_range r)
{
	for (unsigned i = 0; i < n; i++)
		if (meets(busy[i], r))
			return (int)i;
	return -1;
}

/*
 * Each pass either finds [a, a + size) free or moves a past the end of a
 * busy range it met; a only grows, so at most n + 1 passes.
 */
bool place_find(const struct place_range *busy, unsigned n, u64 size, u64 align, u64 from,
		u64 limit, u64 *at)
{
	u64 a = from;

	if (!size || !align || (align & (align - 1)))
		return false;
	for (unsigned pass = 0; pass <= n; pass++) {
		int hit;

		if (a > UINT64_MAX - (align - 1))
			return false;
		a = ALIGN_UP(a, align);
		if (a > limit || size > limit - a)
			return false;
		hit = place_overlap(busy, n, (struct place_range){a, a + size});
		if (hit < 0) {
			*at = a;
			return true;
		}
		a = busy[hit].end;
	}
	return false;
}
