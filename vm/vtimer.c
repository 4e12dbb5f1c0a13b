/*
 * Virtual timers (vm/vtimer.h): a guest's few deadlines on the TSC
 * timeline, scanned linearly (a guest has at most GUEST_MAX_VTIMERS).
 */
#include "vm/vtimer.h"
#include "lib/muldiv.h"
#include "vm/guest.h"

bool vtimer_register(struct guest *g, struct vtimer *t, vtimer_fn *fn, void *ctx)
{
	if (g->vtimer_count >= GUEST_MAX_VTIMERS)
		return false;
	t->deadline = 0;
	t->fn = fn;
	t->ctx = ctx;
	t->guest = g;
	g->vtimers[g->vtimer_count++] = t;
	return true;
}

/* Keeps g->vtimer_next, read before every VM entry, without a scan there. */
static void update_next(struct guest *g)
{
	u64 next = 0;

	for (unsigned i = 0; i < g->vtimer_count; i++) {
		u64 d = g->vtimers[i]->deadline;

		if (d && (!next || d < next))
			next = d;
	}
	g->vtimer_next = next;
}

void vtimer_arm(struct vtimer *t, u64 deadline)
{
	t->deadline = deadline ? deadline : 1; /* 0 means stopped */
	update_next(t->guest);
}

void vtimer_stop(struct vtimer *t)
{
	t->deadline = 0;
	update_next(t->guest);
}

u64 vtimer_next(const struct guest *g)
{
	return g->vtimer_next;
}

void vtimer_expire(struct guest *g, u64 now)
{
	/* vtimer_next is the earliest deadline: none due, nothing to run or to recompute. */
	if (!g->vtimer_next || now < g->vtimer_next)
		return;
	for (unsigned i = 0; i < g->vtimer_count; i++) {
		struct vtimer *t = g->vtimers[i];

		if (t->deadline && t->deadline <= now) {
			t->deadline = 0;
			t->fn(g, t, now);
		}
	}
	update_next(g);
}

u64 tsc_to_clock(u64 ticks, u64 hz)
{
	return muldiv64(ticks, hz, tsc_hz);
}

u64 clock_to_tsc(u64 counts, u64 hz)
{
	return muldiv64(counts, tsc_hz, hz);
}
