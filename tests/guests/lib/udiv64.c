/*
 * Restoring shift-and-subtract division, one quotient bit per step (64
 * steps at most). Pure and host-tested; it must not itself use / or % on
 * u64, or gcc would call __udivdi3 from inside it.
 */
#include "tests/guests/lib/udiv64.h"

u64 udiv64(u64 n, u64 d, u64 *rem)
{
	u64 q = 0, r = 0;

	if (d == 0) {
		if (rem)
			*rem = n;
		return ~0ULL;
	}
	for (int bit = 63; bit >= 0; bit--) {
		r = (r << 1) | ((n >> bit) & 1);
		if (r >= d) {
			r -= d;
			q |= 1ULL << bit;
		}
	}
	if (rem)
		*rem = r;
	return q;
}

u64 __udivdi3(u64 n, u64 d)
{
	return udiv64(n, d, NULL);
}

u64 __umoddi3(u64 n, u64 d)
{
	u64 r;

	udiv64(n, d, &r);
	return r;
}

u64 __udivmoddi4(u64 n, u64 d, u64 *rem)
{
	return udiv64(n, d, rem);
}
