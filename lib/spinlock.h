/*
 * Spinlocks for the few pieces of shared state that several CPUs write: a
 * test-and-test-and-set lock with a name. The order in which locks may be
 * taken is docs/architecture.md's "Lock order"; a lock is held for a
 * short, bounded piece of work and never across a VM entry.
 *
 * Every wait has a bound: spin_lock_bounded gives up after `max_spins`
 * pauses and returns false, and the caller decides (the console prints
 * anyway, so a wedged holder cannot silence a crash report). A waiter
 * that gives up leaves nothing behind, which is why this is not a ticket
 * lock. `owner` is a token the caller supplies (its CPU index + 1), so a
 * CPU can tell that it already holds the lock: the report of a fault taken
 * while printing must not wait for itself.
 */
#ifndef KEEL_LIB_SPINLOCK_H
#define KEEL_LIB_SPINLOCK_H

#include "lib/panic.h"
#include "lib/types.h"

/*
 * Pauses spin_lock waits before it declares the holder wedged: about a
 * second on hardware, far beyond any holder's bounded work.
 */
#define SPINLOCK_PANIC_SPINS (1ULL << 26)

struct spinlock {
	u32 owner;	  /* the holder's token; 0 when free */
	const char *name; /* as docs/architecture.md names it */
};

#define SPINLOCK_INIT(n)                                                                           \
	{                                                                                          \
		.owner = 0, .name = (n)                                                            \
	}

/* Takes the lock for `owner` (nonzero); false if it waited max_spins pauses in vain. */
static inline bool spin_lock_bounded(struct spinlock *l, u32 owner, u64 max_spins)
{
	for (u64 n = 0;; n++) {
		u32 free = 0;

		if (__atomic_load_n(&l->owner, __ATOMIC_RELAXED) == 0 &&
		    __atomic_compare_exchange_n(&l->owner, &free, owner, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return true;
		if (n >= max_spins)
			return false;
		__asm__ volatile("pause");
	}
}

/*
 * Takes the lock for `owner`. A lock that stays held for SPINLOCK_PANIC_SPINS
 * pauses means its holder is wedged (every holder's work is short and
 * bounded): a Keel bug, reported naming the lock and the holder's token.
 */
static inline void spin_lock(struct spinlock *l, u32 owner)
{
	CHECK(owner != 0);
	if (!spin_lock_bounded(l, owner, SPINLOCK_PANIC_SPINS))
		panic("lock %s: held by CPU token %u for over %lu pauses", l->name,
		      __atomic_load_n(&l->owner, __ATOMIC_RELAXED), (u64)SPINLOCK_PANIC_SPINS);
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->owner, 0, __ATOMIC_RELEASE);
}

/* True if `owner` holds the lock now (meaningful for the caller's own token only). */
static inline bool spin_held_by(const struct spinlock *l, u32 owner)
{
	return __atomic_load_n(&l->owner, __ATOMIC_RELAXED) == owner;
}

#endif
