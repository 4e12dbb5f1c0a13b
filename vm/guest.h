/*
 * A guest: one module GRUB handed Keel, its memory, its vCPUs, its devices,
 * and how it ended. Guests are independent: nothing here is shared with
 * another guest.
 */
#ifndef KEEL_VM_GUEST_H
#define KEEL_VM_GUEST_H

#include "arch/x86/percpu.h"
#include "dev/dev.h"
#include "lib/spinlock.h"
#include "lib/types.h"
#include "vm/cpuid_memo.h"
#include "vm/gmem.h"
#include "vm/vtimer.h"
#include "vmx/exit_reason.h"
#include "vmx/vcpu.h"

/* A name: 63 characters and the NUL. "NAME ARGS": 4 KiB of arguments after it. */
#define GUEST_NAME_MAX	  64
#define GUEST_CMDLINE_MAX (GUEST_NAME_MAX + 4096)
#define GUEST_MAX_MODULES 8
#define GUEST_DEV_STORAGE (8 * 1024) /* device-model state: the UART, the test device */

enum guest_end {
	GUEST_RUNNING = 0,
	GUEST_END_DEBUG_EXIT,
	GUEST_END_HLT,
	GUEST_END_TRIPLE_FAULT,
	GUEST_END_HYPERCALL,
	GUEST_END_UNHANDLED,
	GUEST_END_EPT,
	GUEST_END_OOM,
	GUEST_END_ENTRY_FAILURE,
	GUEST_END_ERROR,
	GUEST_END_TIMEOUT,
	GUEST_END_RESET,    /* a system reset request with onreboot=end (guest_reset) */
	GUEST_END_POWEROFF, /* ACPI S5 (dev/acpi_pm.c) */
	/* Not an end: a reset request the scheduler turns into a restart (guest_reset). */
	GUEST_RESTARTING,
};

/* What a reset request does (onreboot= on the module line). */
enum guest_onreboot {
	GUEST_ONREBOOT_RESTART = 0, /* start again from the image, with fresh memory */
	GUEST_ONREBOOT_END,	    /* end the guest: "ended by reset" */
};

struct guest_stats {
	u64 exit_count[EXIT_REASON_COUNT]; /* by basic reason; all exits: guest_exits */
	u64 exits_unlisted;		   /* with a basic reason past the SDM's table */
	u64 io_unclaimed_reads;
	u64 io_unclaimed_writes;
	u64 hypercalls;
	u64 switches; /* times the scheduler switched away from this guest */
};

struct guest_module {
	u64 start, end; /* host-physical range of the module */
	const char *cmdline;
};

struct guest {
	char name[GUEST_NAME_MAX];
	unsigned id;
	char cmdline[GUEST_CMDLINE_MAX]; /* "NAME ARGS..." as the guest sees it */
	u64 image_start, image_end;	 /* host-physical module holding the image */
	struct guest_module modules[GUEST_MAX_MODULES];
	unsigned module_count;
	unsigned ept_level; /* from ept=, 0 = default */
	u64 timeout;	    /* from timeout=: TSC ticks it may use, 0 = no limit */
	enum guest_onreboot onreboot;
	bool triple_resets; /* ontriple=reset: a triple fault is a reset request */
	unsigned restarts;  /* times it was restarted after a reset request */

	/*
	 * Every frame Keel holds for this guest, by kind (data, EPT tables,
	 * devices), under a limit promised when it was created (vm/vm.c):
	 * reaching the limit refuses or ends this guest's work, and no other
	 * guest can take what it was promised.
	 */
	struct pmm_account frames;
	struct gmem mem;

	/*
	 * Its vCPUs: vCPU 0 starts at the image's entry and its CPU is the
	 * guest's home (timers, devices' housekeeping, restart, end); the others
	 * wait for INIT-SIPI. With several, each may run on its own CPU, and
	 * `lock` serializes what they share: every exit's handling, the device
	 * models, the EPT, the other vCPUs' APICs (vmx/vcpu.c takes it).
	 */
	unsigned vcpu_count;
	struct vcpu vcpus[GUEST_VCPUS_MAX];
	struct spinlock lock;
	struct vcpu *exiting; /* under lock: the vCPU whose exit is being handled */

	/* The virtual platform (docs/platform.md): timers and the models' state. */
	struct vtimer *vtimers[GUEST_MAX_VTIMERS];
	unsigned vtimer_count;
	u64 vtimer_next;	/* earliest armed deadline, 0: none (vm/vtimer.c) */
	struct pic8259 *pic;	/* dev/pic8259.c */
	struct ioapic *ioapic;	/* dev/ioapic.c */
	struct pit8254 *pit;	/* dev/pit8254.c */
	struct uart16550 *com1; /* dev/uart16550.c */

	struct dev_region devs[GUEST_MAX_DEV_REGIONS];
	u8 pio_index[DEV_PIO_GROUPS]; /* dev/dev.c: which region claims each 16 ports */
	unsigned dev_count;
	u8 dev_storage[GUEST_DEV_STORAGE] __aligned(16);
	unsigned dev_storage_used;

	/*
	 * CPUID answers the fast exit takes (vm/cpuid.c). Shared by the
	 * guest's vCPUs: under lock when it has several (their every exit
	 * takes it), its one vCPU's otherwise.
	 */
	struct cpuid_memo cpuid_memo[CPUID_MEMO_SLOTS];

	enum guest_end end;
	int status;
	char end_detail[160];
	struct guest_stats stats;
};

/*
 * The guest lock, for a guest with several vCPUs (one alone shares nothing
 * with another CPU but its key queue, which has its own protocol). Lock
 * order: docs/architecture.md.
 */
static inline void guest_lock(struct guest *g)
{
	if (g->vcpu_count > 1)
		spin_lock(&g->lock, cpu_lock_token());
}

static inline void guest_unlock(struct guest *g)
{
	if (g->vcpu_count > 1)
		spin_unlock(&g->lock);
}

/*
 * A reset request from the guest (its chipset's reset register, the
 * keyboard controller's pulse, a fast reset, a triple fault with
 * ontriple=reset): with onreboot=end (or while the guest has already
 * ended) it ends the guest as "reset", otherwise the guest stops running
 * and the scheduler restarts it from its image with fresh memory. The
 * first request wins, as with guest_end.
 */
void guest_reset(struct guest *g, const char *fmt, ...) __printf(2, 3);

/* Small, zeroed, per-guest storage for device-model state; NULL if full. */
void *guest_dev_alloc(struct guest *g, unsigned size);

/*
 * Ends the guest: records how and the status, with a printf-style detail
 * for the summary. The first call wins; later ones are ignored.
 */
void guest_end(struct guest *g, enum guest_end how, int status, const char *fmt, ...)
    __printf(4, 5);
static inline bool guest_running(const struct guest *g)
{
	return g->end == GUEST_RUNNING;
}

/* The guest's VM exits so far: the sum of its counts by reason (an exit counts one). */
static inline u64 guest_exits(const struct guest *g)
{
	u64 n = g->stats.exits_unlisted;

	for (unsigned i = 0; i < EXIT_REASON_COUNT; i++)
		n += g->stats.exit_count[i];
	return n;
}
const char *guest_end_name(enum guest_end how);

#endif
