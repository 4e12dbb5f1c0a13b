/*
 * a * b / c with a 128-bit intermediate product, saturating at ~0 when the
 * quotient does not fit 64 bits (Keel links no libgcc: no __udivti3).
 */
#ifndef KEEL_LIB_MULDIV_H
#define KEEL_LIB_MULDIV_H

#include "lib/types.h"

static inline u64 muldiv64(u64 a, u64 b, u64 c)
{
	u64 lo, hi, q, r;

	if (!c)
		return ~0ULL;
	__asm__("mulq %3" : "=a"(lo), "=d"(hi) : "a"(a), "rm"(b) : "cc");
	if (hi >= c)
		return ~0ULL; /* DIV would raise #DE */
	__asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(c) : "cc");
	(void)r;
	return q;
}

#endif
