/*
 * The guest scheduler: round-robin over resident guests on one CPU.
 */
#ifndef KEEL_VM_SCHED_H
#define KEEL_VM_SCHED_H

#include "lib/types.h"

struct guest;

typedef void sched_end_fn(struct guest *g, void *ctx);

/*
 * Runs the guests until every one has ended, giving each up to `slice` TSC
 * ticks at a time (VMX-preemption timer), and calls on_end once per guest
 * as it ends. A guest whose timeout is used up is ended; when every guest
 * left is blocked in HLT with no event that could wake it, they are ended.
 */
void sched_run(struct guest **gs, unsigned n, u64 slice, sched_end_fn *on_end, void *ctx);

#endif
