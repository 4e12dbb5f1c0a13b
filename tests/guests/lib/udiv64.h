/*
 * 64-bit unsigned division for 32-bit guests. gcc turns u64 / and % on
 * i386 into calls to __udivdi3, __umoddi3 and __udivmoddi4 (normally in libgcc, which
 * has no 32-bit build on this machine); udiv64.c provides them, so the
 * 32-bit guests link lib/format.c and lib/cmdline.c unchanged.
 */
#ifndef KEEL_GUESTS_UDIV64_H
#define KEEL_GUESTS_UDIV64_H

#include "lib/types.h"

/* n / d, and n % d in *rem (when rem is not NULL). d == 0 gives an all-ones
 * quotient and rem = n (no #DE: the callers are formatting code). */
u64 udiv64(u64 n, u64 d, u64 *rem);

/* The libgcc entry points gcc calls on i386 (__udivmoddi4 when it wants both). */
u64 __udivdi3(u64 n, u64 d);
u64 __umoddi3(u64 n, u64 d);
u64 __udivmoddi4(u64 n, u64 d, u64 *rem);

#endif
