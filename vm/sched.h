/*
 * The scheduler: one per CPU, round-robin over the vCPUs placed on that CPU
 * (vm/vm.c places them). The CPU of a guest's vCPU 0 is the guest's home:
 * its scheduler also runs the guest's timers and devices' housekeeping,
 * restarts it and reports its end. The boot CPU's also polls Keel's
 * console: its output, and the keys typed at it for every guest.
 */
#ifndef KEEL_VM_SCHED_H
#define KEEL_VM_SCHED_H

#include "lib/types.h"

struct guest;
struct vcpu;

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

/* One CPU's scheduler run. */
struct sched_params {
	struct vcpu **vs; /* the vCPUs placed on this CPU, their VMCSs loadable here */
	unsigned n;
	u64 slice; /* TSC ticks per turn */
	const struct sched_ops *ops;
	/*
	 * The console CPU (the boot CPU) only: keys typed at Keel's console go
	 * to these, every live guest of the run wherever it runs; and it goes
	 * on polling the console until *live, every CPU's live guests, is 0.
	 */
	bool console;
	struct guest *const *all;
	unsigned all_n;
	unsigned *live;	 /* shared, atomic: guests of the run not yet ended and reported */
	bool keys_on;	 /* keys can come at Keel's console (a halted guest may wait for them) */
	bool reclaim;	 /* idle time also scans its guests' RAM for frames of zeros (gmem) */
	bool workingset; /* sample the working set of guests at home here (gmem_ws_sample) */
};

/*
 * Runs this CPU's vCPUs until every one's guest has ended, giving each
 * `slice` TSC ticks per turn (VMX-preemption timer). For each guest whose
 * home this is, it calls ops->on_end once as it ends, after its other
 * vCPUs' CPUs have let them go (then *live drops by one), and
 * ops->on_restart for each reset request. A guest whose timeout is used up
 * is ended; when every vCPU of a guest is blocked with no event that could
 * wake it, the guest is ended. While its vCPUs wait, a CPU halts until its
 * next timer or a kick (arch/x86/smp.h).
 */
void sched_run(const struct sched_params *p);

#endif
