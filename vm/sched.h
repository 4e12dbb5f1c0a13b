/*
 * The guest scheduler: round-robin over resident guests on one CPU.
 */
#ifndef KEEL_VM_SCHED_H
#define KEEL_VM_SCHED_H

#include "lib/types.h"

struct guest;

/* What the scheduler calls back into (vm/vm.c). */
struct sched_ops {
	/* A guest has ended: report it and free what it held. */
	void (*on_end)(struct guest *g, void *ctx);
	/*
	 * A guest asked for a reset (GUEST_RESTARTING): build it again from its
	 * image; false if it could not be (it has then ended). The ticks this
	 * takes are charged to the guest.
	 */
	bool (*on_restart)(struct guest *g, void *ctx);
	void *ctx;
};

/*
 * Runs the guests until every one has ended, giving each `slice` TSC ticks
 * per turn (VMX-preemption timer), calling ops->on_end once per guest as it
 * ends and ops->on_restart for each reset request. A guest whose timeout is
 * used up is ended; when every guest left is blocked in HLT with no event
 * that could wake it, they are ended.
 */
void sched_run(struct guest **gs, unsigned n, u64 slice, const struct sched_ops *ops);

#endif
