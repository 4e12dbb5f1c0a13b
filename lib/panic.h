/*
 * Keel's invariant checks (CONTRIBUTING.md, Checks and errors). Three
 * tiers, never mixed:
 *   CHECK(x)  always on, for Keel's own invariants: failing it is a Keel bug;
 *   DEBUG_ASSERT(x)  debug builds only (not with DEBUG=0);
 *   status returns  for anything a guest, GRUB or a module can influence.
 * Never CHECK external input.
 */
#ifndef KEEL_LIB_PANIC_H
#define KEEL_LIB_PANIC_H

#include "lib/types.h"

/* Exit status of a run that ended because Keel itself failed. */
#define KEEL_STATUS_BUG 2

/* Prints "keel: PANIC: <message>" and a stack walk, then ends the run. */
__noreturn void panic(const char *fmt, ...) __printf(1, 2);

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (unlikely(!(x)))                                                                \
			panic("CHECK(%s) failed at %s:%d", #x, __FILE__, __LINE__);                \
	} while (0)

#ifdef NDEBUG
#define DEBUG_ASSERT(x) ((void)0)
#else
#define DEBUG_ASSERT(x) CHECK(x)
#endif

#endif
