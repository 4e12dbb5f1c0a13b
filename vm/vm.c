/*
 * Guests from modules: parse each module2 string (vm/guest_cmdline.c),
 * attach `for=NAME` modules to their guest, then for each guest: create
 * (EPT, devices, image, vCPU), run until it ends, report, destroy, and
 * check that every frame it held came back.
 */
#include "vm/vm.h"
#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "arch/x86/smp.h"
#include "lib/console.h"
#include "lib/format.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "vm/guest.h"
#include "vm/cpuid_policy.h"
#include "vm/crash.h"
#include "vm/guest_abi.h"
#include "vm/guest_cmdline.h"
#include "vm/loader.h"
#include "vm/msr.h"
#include "vm/msr_core.h"
#include "vm/sched.h"
#include "boot/options.h"
#include "vmx/vpid.h"
#include "vmx/vcpu.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"

#define VM_MAX_GUESTS 32
/* Ticks a CPU may take to answer its wake-up, and to return once its guests ended. */
#define VM_CPU_WAKE_TIMEOUT 100000000ULL

extern u64 boot_entry_tsc;

/*
 * The guest table. From placement on each guest is its CPU's alone (its
 * scheduler runs, restarts, ends and reports it), the console CPU reading
 * a few fields for the monitor and delivering keys through its UART's
 * queue. Guests are large (device storage, stats): kept in .bss.
 */
/* Shared, write-once at boot: filled on the boot CPU before any guest runs. */
static struct guest guests[VM_MAX_GUESTS];
static struct guest_config configs[VM_MAX_GUESTS];

/*
 * Each CPU's vCPUs and scheduler parameters, read by that CPU alone.
 */
/* Shared, write-once at boot: before the boot CPU hands each its work. */
static struct vcpu *placed[CPU_MAX][VM_MAX_GUESTS * GUEST_VCPUS_MAX];
static struct sched_params placed_params[CPU_MAX];

/* Shared, atomic: guests of the run not yet ended and reported, on every CPU. */
static unsigned vm_live;

/* Shared, atomic: guests that ended well, and that did not (on_guest_end, any CPU). */
static unsigned vm_counts[2];

static unsigned default_ept_level(void)
{
	return vmx_caps.ept_1g ? 3 : vmx_caps.ept_2m ? 2 : 1;
}

static u64 frames_kib(u64 frames)
{
	return frames * (u64)(PAGE_SIZE / KiB);
}

/* Frames a vCPU holds: its VMCS and register state, its APIC's (vCPU 0: the access page too). */
#define GUEST_VCPU_FRAMES (VCPU_FRAMES + VLAPIC_FRAMES)

/* Frames a guest holds whatever its RAM: its vCPUs and APICs, an EPT root and one path below. */
static u64 fixed_frames(const struct guest_config *c)
{
	return c->vcpus * GUEST_VCPU_FRAMES + PT_LEVELS;
}

/*
 * The most frames a guest can hold: every page of its RAM, the EPT tables
 * to map all of it with 4 KiB leaves (the worst case: large leaves need
 * fewer, and splitting one never needs more than that), the tables below
 * the root for the one page Keel maps outside RAM (the APIC-access page,
 * whose emptied tables are freed when it moves), and its vCPU and devices.
 */
static u64 frames_needed(const struct guest_config *c)
{
	return (u64)(c->mem_size / PAGE_SIZE) + pt_tables_for(c->mem_size) + GMEM_FOREIGN_TABLES +
	       c->vcpus * GUEST_VCPU_FRAMES;
}

/*
 * Promises the guest its frame limit (maxmem=, else frames_needed): no
 * other guest can then take those frames. False, with the guest ended and
 * the reason said, when maxmem= is below what the guest needs to start or
 * the machine has not that much memory unpromised.
 */
static bool reserve_frames(struct guest *g, const struct guest_config *c)
{
	u64 need = frames_needed(c), limit = c->maxmem ? (u64)(c->maxmem / PAGE_SIZE) : need;

	if (limit < fixed_frames(c)) {
		guest_end(g, GUEST_END_ERROR, 0,
			  "maxmem=%lu KiB is below the %lu KiB its vCPUs, APICs and EPT root need",
			  (u64)(c->maxmem / KiB), frames_kib(fixed_frames(c)));
		return false;
	}
	if (!pmm_account_open(&g->frames, limit)) {
		guest_end(g, GUEST_END_OOM, 0,
			  "cannot reserve %lu KiB for it (%s); %lu KiB are free and not promised "
			  "to other guests",
			  frames_kib(limit),
			  c->maxmem ? "maxmem=" : "mem= with its EPT tables and devices",
			  frames_kib(pmm_unpromised_count()));
		return false;
	}
	return true;
}

/*
 * Builds the guest from its image with its frames already promised: EPT,
 * devices, loader, VPID, vCPU. False (guest ended) on failure.
 */
static bool guest_build(struct guest *g, const struct guest_config *c)
{
	struct vcpu_boot_state bs;
	char err[160];
	unsigned level = c->ept_level ? c->ept_level : default_ept_level();

	if (!gmem_init(&g->mem, c->mem_size, level, &g->frames)) {
		guest_end(g, GUEST_END_OOM, 0, "no memory for its EPT");
		return false;
	}
	if (g->vcpu_count > 1)
		gmem_share(&g->mem);
	if (!uart16550_attach(g, 0x3F8) || !debugexit_attach(g, KEEL_DEBUG_EXIT_PORT) ||
	    !platform_attach(g) || (keel_opts.testmmio && !testreg_attach(g, TESTREG_GPA))) {
		guest_end(g, GUEST_END_ERROR, 0, "cannot attach its devices");
		return false;
	}
	if (!loader_load(g, &bs, err, sizeof(err))) {
		/* Reported once, as the end detail of the guest's summary. */
		guest_end(g, GUEST_END_ERROR, 0, "image rejected: %s", err);
		return false;
	}
	for (unsigned i = 0; i < g->vcpu_count; i++) {
		struct vcpu *v = &g->vcpus[i];

		v->index = i;
		v->owner = (g->id + 1) << 4 | i; /* the VPID's owner token: guest and vCPU */
		v->vpid = vpid_assign(v->owner, &v->inv);
		/* An AP's boot state is overwritten by its SIPI (vmcs_start_at_sipi). */
		if (!vcpu_create(v, g, &bs))
			return false;
		if (i > 0)
			vcpu_wait_for_sipi(v);
	}
	gmem_run(&g->mem);
	return true;
}

static bool guest_create(struct guest *g, const struct guest_config *c)
{
	return reserve_frames(g, c) && guest_build(g, c);
}

/* Everything the guest holds but its frame account goes back (to the account). */
static void guest_teardown(struct guest *g)
{
	uart16550_flush(g);
	for (unsigned i = g->vcpu_count; i-- > 0;) {
		vpid_release(g->vcpus[i].vpid, g->vcpus[i].owner);
		vcpu_destroy(&g->vcpus[i]);
	}
	gmem_destroy(&g->mem);
}

/*
 * A reset request (guest_reset): the guest starts again from its image as
 * after a power cycle: fresh memory and EPT, a new vCPU, its devices in
 * their reset state. It keeps its name, its frame limit (the promise
 * stays), its counters and its time so far. False (the guest ended) if it
 * cannot be built again.
 */
/*
 * A vCPU as a fresh build finds it: all zero but what other CPUs may read
 * meanwhile (its guest, index, CPU, and `parked`, which keeps an AP's CPU
 * off it until the build is done) and its time so far. The guest lock
 * makes the clearing one step to those CPUs.
 */
static void vcpu_clear(struct vcpu *v)
{
	struct vcpu keep = *v;

	memset(v, 0, sizeof(*v));
	v->guest = keep.guest;
	v->index = keep.index;
	v->home_cpu = keep.home_cpu; /* keys for vCPU 0 still go through its queue (vcpu_here) */
	v->parked = keep.parked;
	v->used_ticks = keep.used_ticks;
	v->guest_ticks = keep.guest_ticks;
	v->idle_ticks = keep.idle_ticks;
}

/*
 * A reset request (guest_reset): the guest starts again from its image as
 * after a power cycle: fresh memory and EPT, new vCPUs, its devices in
 * their reset state. It keeps its name, its frame limit (the promise
 * stays), its counters and its time so far. Its other vCPUs' CPUs have let
 * them go (`parked`, vm/sched.c); each stays parked until it is built
 * again and released here for its CPU to load. False (the guest ended) if
 * it cannot be built again.
 */
static bool guest_restart(struct guest *g, void *ctx)
{
	const struct guest_config *c = &configs[g->id];
	struct guest_stats stats = g->stats;
	bool ok;

	pr_info("guest %s: reset: %s; restarting from its image (restart %u)", g->name,
		g->end_detail, g->restarts + 1);
	guest_teardown(g);
	guest_lock(g);
	for (unsigned i = 0; i < g->vcpu_count; i++)
		vcpu_clear(&g->vcpus[i]);
	g->exiting = NULL;
	guest_unlock(g);
	memset(g->vtimers, 0, sizeof(g->vtimers));
	g->vtimer_count = 0;
	g->vtimer_next = 0;
	g->pic = NULL;
	g->pit = NULL;
	memset(g->devs, 0, sizeof(g->devs));
	memset(g->pio_groups, 0, sizeof(g->pio_groups));
	g->dev_count = 0;
	g->dev_storage_used = 0;
	g->end = GUEST_RUNNING;
	g->status = 0;
	g->end_detail[0] = '\0';
	g->restarts++;
	g->stats = stats;
	(void)ctx;
	ok = guest_build(g, c);
	for (unsigned i = 1; i < g->vcpu_count; i++) {
		struct vcpu *v = &g->vcpus[i];

		if (v->cpu != VCPU_NO_CPU && v->home_cpu != v->cpu)
			vcpu_release(v); /* loaded, and flushed, on its own CPU */
		if (ok)
			__atomic_store_n(&v->parked, false, __ATOMIC_RELEASE);
	}
	return ok;
}

static bool guest_ok(const struct guest *g, const struct guest_config *c)
{
	if (c->expect[0])
		return strcmp(c->expect, guest_end_name(g->end)) == 0;
	if (g->end == GUEST_END_POWEROFF)
		return true; /* an OS that shuts down when it is done */
	return (g->end == GUEST_END_DEBUG_EXIT || g->end == GUEST_END_HYPERCALL ||
		g->end == GUEST_END_HLT) &&
	       (g->status == 0 || g->status == 1);
}

/* One line: how it ended, its status and its exits by reason (non-zero counts). */
static void guest_summary(const struct guest *g)
{
	char buf[320];
	unsigned n = 0;

	for (unsigned r = 0; r < EXIT_REASON_COUNT && n < sizeof(buf) - 40; r++) {
		if (!g->stats.exit_count[r])
			continue;
		n += (unsigned)fmt_snprintf(buf + n, sizeof(buf) - n, "%s%s %lu", n ? ", " : "",
					    exit_reason_name(r), g->stats.exit_count[r]);
	}
	buf[MIN(n, sizeof(buf) - 1)] = '\0';
	pr_info("guest %s: ended by %s status=%d, exits %lu (%s)", g->name, guest_end_name(g->end),
		g->status, g->stats.exits, buf);
	pr_info("guest %s: %s", g->name, g->end_detail);
	if (msr_gp_any(&g->vcpus[0].msrs.gp)) {
		char gp[200];

		msr_gp_format(&g->vcpus[0].msrs.gp, gp, sizeof(gp));
		pr_info("guest %s: msr: #GP injected for %s", g->name, gp);
	}
	if (uart16550_dropped((struct guest *)g))
		pr_info("guest %s: console: %lu lines dropped (written while its UART read busy)",
			g->name, uart16550_dropped((struct guest *)g));
	if (uart16550_keys_dropped((struct guest *)g))
		pr_info(
		    "guest %s: console: %lu keys dropped (typed while its input queue was full)",
		    g->name, uart16550_keys_dropped((struct guest *)g));
	pr_info("guest %s: ept: violations %lu, leaves 4k %lu 2m %lu 1g %lu, fallbacks %lu, "
		"spurious %lu, tables %lu, invept %lu; io unclaimed reads %lu writes %lu",
		g->name, g->mem.stats.violations, g->mem.stats.leaves[1], g->mem.stats.leaves[2],
		g->mem.stats.leaves[3], g->mem.stats.fallbacks, g->mem.stats.spurious,
		gmem_table_pages(&g->mem), gmem_invept_count(&g->mem), g->stats.io_unclaimed_reads,
		g->stats.io_unclaimed_writes);
	if (g->mem.shared) {
		u64 flushes = 0;

		for (unsigned c = 0; c < CPU_MAX; c++)
			flushes += g->mem.entry_flushes[c];
		pr_info("guest %s: ept: shootdowns %lu (CPUs kicked out of the guest %lu), "
			"INVEPTs before entry for a newer generation %lu",
			g->name, g->mem.shootdowns, g->mem.kicks, flushes);
	}
}

static bool ended_abnormally(const struct guest *g)
{
	return g->end == GUEST_END_TRIPLE_FAULT || g->end == GUEST_END_UNHANDLED ||
	       g->end == GUEST_END_EPT || g->end == GUEST_END_ENTRY_FAILURE;
}

static const char *level_name(unsigned level)
{
	return level == 3 ? "1G" : level == 2 ? "2M" : "4K";
}

/* Creates a guest; false if it ended already (rejected, no memory). */
static bool guest_start(struct guest *g, const struct guest_config *c)
{
	pr_info("guest %s: starting, mem=%lu MiB, ept leaves up to %s, frames reserved %lu%s",
		g->name, (u64)(c->mem_size / MiB),
		level_name(c->ept_level ? c->ept_level : default_ept_level()),
		c->maxmem ? (u64)(c->maxmem / PAGE_SIZE) : frames_needed(c),
		c->maxmem ? " (maxmem=)" : "");
	return guest_create(g, c);
}

/* Who used the machine: time, Keel's part of it, and frames by kind at their peak. */
static void guest_usage_summary(const struct guest *g)
{
	const struct vcpu *v = &g->vcpus[0];
	const struct pmm_account *a = &g->frames;
	u64 keel = v->used_ticks - MIN(v->guest_ticks, v->used_ticks);

	pr_info("guest %s: time: ran %lu ticks: guest %lu, keel %lu (%lu.%lu%%); halted %lu",
		g->name, v->used_ticks, v->guest_ticks, keel,
		v->used_ticks ? keel * 100 / v->used_ticks : 0,
		v->used_ticks ? keel * 1000 / v->used_ticks % 10 : 0, v->idle_ticks);
	pr_info("guest %s: frames: limit %lu (%lu KiB), peak %lu: data %lu, tables %lu, devices "
		"%lu; refused %lu, tables freed %lu",
		g->name, a->limit, frames_kib(a->limit), a->peak, a->peak_kind[PMM_KIND_DATA],
		a->peak_kind[PMM_KIND_TABLE], a->peak_kind[PMM_KIND_DEVICE], a->refused,
		g->mem.stats.tables_freed);
}

/* A guest with several vCPUs: a line for each. */
static void guest_vcpu_summary(const struct guest *g)
{
	if (g->vcpu_count < 2)
		return;
	for (unsigned i = 0; i < g->vcpu_count; i++) {
		const struct vcpu *v = &g->vcpus[i];

		pr_info("guest %s: vcpu %u: CPU %d, %s, ran %lu ticks (guest %lu), halted %lu; "
			"injected %lu external %lu NMI, ipis sent %lu, apic timer %lu",
			g->name, i, v->home_cpu,
			v->wait_sipi	 ? "in wait-for-SIPI"
			: v->guest_ticks ? "started"
					 : "never entered",
			v->used_ticks, v->guest_ticks, v->idle_ticks, v->irqs_injected,
			v->nmis_injected, v->lapic.ipis, v->lapic.timer_fired);
	}
}

static void guest_sched_summary(const struct guest *g)
{
	const struct inv_stats *e = &g->mem.stats.inv, *p = &g->vcpus[0].inv;

	pr_info("guest %s: sched: switches %lu, ran %lu ticks; invvpid addr %lu single %lu "
		"single-globals %lu all %lu; invept single %lu all %lu",
		g->name, g->stats.switches, g->vcpus[0].used_ticks, p->invvpid_addr,
		p->invvpid_single, p->invvpid_single_globals, p->invvpid_all, e->invept_single,
		e->invept_all);
	if (g->vcpus[0].lapic.access_unmapped)
		pr_info(
		    "guest %s: apic: %lu base moves left the APIC-access page unmapped (no room "
		    "under its frame limit): those accesses were emulated",
		    g->name, g->vcpus[0].lapic.access_unmapped);
	pr_info("guest %s: irq: apic %s, injected %lu external %lu NMI, apic timer %lu, ipis %lu, "
		"halted %lu ticks%s",
		g->name, hpa_addr(g->vcpus[0].lapic.access_hpa) ? "virtualized" : "emulated",
		g->vcpus[0].irqs_injected, g->vcpus[0].nmis_injected, g->vcpus[0].lapic.timer_fired,
		g->vcpus[0].lapic.ipis, g->vcpus[0].idle_ticks,
		g->vcpus[0].lapic.x2apic_used ? ", x2APIC mode used (emulated from then on)" : "");
}

/*
 * Reports an ended guest and frees all it held; true if it ended as
 * expected and every frame it held came back.
 */
static bool guest_finish(struct guest *g, const struct guest_config *c)
{
	u64 held = g->frames.held, returned;

	struct vcpu *last = g->exiting ? g->exiting : &g->vcpus[0]; /* the last to exit */

	if (hpa_addr(last->vmcs) && last->launched && ended_abnormally(g)) {
		vcpu_load(last);
		crash_report(last);
	}
	guest_summary(g);
	guest_sched_summary(g);
	guest_vcpu_summary(g);
	guest_usage_summary(g);
	/*
	 * Counted by its account: other CPUs allocate and free while this
	 * one tears down, so the allocator's free count says nothing here
	 * (vm_run_all compares it once every CPU is done).
	 */
	guest_teardown(g);
	returned = held - g->frames.held;
	pr_info("guest %s: frames held %lu returned %lu%s", g->name, held, returned,
		held == returned ? "" : " LEAK");
	if (g->frames.limit && !g->frames.held)
		pmm_account_close(&g->frames); /* else its promise stays: the run fails */
	return guest_ok(g, c) && held == returned;
}

/* Called by the scheduler when a guest has ended. */
static void on_guest_end(struct guest *g, void *ctx)
{
	unsigned *counts = ctx;

	__atomic_add_fetch(&counts[guest_finish(g, &configs[g->id]) ? 0 : 1], 1, __ATOMIC_RELAXED);
}

static unsigned popcount(u64 x)
{
	unsigned n = 0;

	for (; x; x &= x - 1)
		n++;
	return n;
}

/*
 * The CPU for a vCPU of g: among the online CPUs its cpus= allows (all,
 * without cpus=), the one with the fewest vCPUs so far, the lowest index
 * on a tie. -1, with the guest ended and the reason said, if cpus= names
 * no online CPU.
 */
static int place(struct guest *g, const struct guest_config *c, u64 online, const unsigned *n,
		 bool first)
{
	u64 allowed = c->cpus ? c->cpus & online : online;
	int best = -1;

	if (c->cpus && !allowed) {
		guest_end(g, GUEST_END_ERROR, 0,
			  "cpus= names no CPU in VMX root operation (%u of them: indices 0-%u)",
			  popcount(online), 63 - (unsigned)__builtin_clzll(online));
		return -1;
	}
	if ((c->cpus & ~online) && first)
		pr_warn("guest %s: cpus= names CPUs that are not in VMX root operation: mask "
			"0x%lx left out",
			g->name, c->cpus & ~online);
	for (unsigned i = 0; i < CPU_MAX; i++)
		if ((allowed & BIT(i)) && (best < 0 || n[i] < n[best]))
			best = (int)i;
	return best;
}

static unsigned cpus_used(const unsigned *n)
{
	unsigned used = 0;

	for (unsigned i = 0; i < CPU_MAX; i++)
		used += n[i] != 0;
	return used;
}

/*
 * Places g's vCPUs, vCPU 0 first (its CPU is the guest's home), each on the
 * least loaded CPU cpus= allows, and lets go of those placed on another CPU
 * than this one, where vcpu_create left them active. False (the guest
 * ended) if cpus= names no online CPU.
 */
static bool place_vcpus(struct guest *g, const struct guest_config *c, u64 online, unsigned *n)
{
	for (unsigned i = 0; i < g->vcpu_count; i++) {
		struct vcpu *v = &g->vcpus[i];
		int cpu = place(g, c, online, n, i == 0);

		if (cpu < 0)
			return false; /* vCPU 0, before any was placed: cpus= is the guest's */
		placed[cpu][n[cpu]++] = v;
		__atomic_store_n(&v->home_cpu, cpu, __ATOMIC_RELEASE);
		if (cpu != (int)this_cpu()->index)
			vcpu_release(v); /* loaded, and flushed, on its own CPU */
		if (online == BIT(0))
			continue;
		if (g->vcpu_count == 1)
			pr_info("guest %s: runs on CPU %d (APIC ID %u)", g->name, cpu,
				cpu_table[cpu].apic_id);
		else
			pr_info("guest %s: vcpu %u runs on CPU %d (APIC ID %u)", g->name, i, cpu,
				cpu_table[cpu].apic_id);
	}
	return true;
}

/* On a CPU handed its guests: its scheduler, then back to idle. */
static void vm_cpu_entry(struct cpu *c)
{
	sched_run(&placed_params[c->index]);
}

/*
 * Hands each CPU but the boot CPU its guests; the guests of a CPU that
 * does not take them (it never answered its last wake-up) end here.
 */
static void start_cpus(const unsigned *n, u32 *req, const struct sched_ops *ops)
{
	struct guest *orphans[VM_MAX_GUESTS];
	unsigned norphans = 0;

	for (unsigned i = 1; i < CPU_MAX; i++) {
		if (!n[i])
			continue;
		req[i] = smp_wake_start(&cpu_table[i], vm_cpu_entry, VM_CPU_WAKE_TIMEOUT);
		if (req[i])
			continue;
		for (unsigned k = 0; k < n[i]; k++) {
			struct vcpu *v = placed[i][k];

			guest_lock(v->guest);
			guest_end(v->guest, GUEST_END_ERROR, 0,
				  "CPU %u did not take its vCPUs (no answer to its wake-up IPI)",
				  i);
			guest_unlock(v->guest);
			__atomic_store_n(&v->parked, true, __ATOMIC_RELEASE); /* never ran */
			if (v->index == 0)
				orphans[norphans++] = v->guest;
		}
	}
	/* Their homes are gone: reported here, once their CPUs let the others go. */
	for (unsigned k = 0; k < norphans; k++) {
		struct guest *g = orphans[k];
		u64 start = rdtsc();
		bool all;

		do {
			all = true;
			for (unsigned i = 1; i < g->vcpu_count; i++)
				all &= __atomic_load_n(&g->vcpus[i].parked, __ATOMIC_ACQUIRE);
		} while (!all && rdtsc() - start < VM_CPU_WAKE_TIMEOUT);
		if (!all) {
			pr_err("guest %s: a CPU kept one of its vCPUs: its memory is not freed",
			       g->name);
			__atomic_add_fetch(&vm_counts[1], 1, __ATOMIC_RELAXED);
		} else {
			ops->on_end(g, ops->ctx);
		}
		__atomic_sub_fetch(&vm_live, 1, __ATOMIC_ACQ_REL);
	}
}

/* After the run: each CPU's scheduler has returned (it has, once every guest was reported). */
static void wait_cpus(const unsigned *n, const u32 *req)
{
	for (unsigned i = 1; i < CPU_MAX; i++)
		if (n[i] && req[i] && !smp_wake_done(&cpu_table[i], req[i], VM_CPU_WAKE_TIMEOUT))
			pr_warn("vm: CPU %u did not return from its scheduler in time", i);
}

int vm_run_all(const struct boot_info *bi, u64 online)
{
	unsigned count, *counts = vm_counts; /* ok, failed */
	struct guest *live[VM_MAX_GUESTS];
	unsigned nlive = 0, n[CPU_MAX] = {0};
	u32 req[CPU_MAX] = {0};
	u64 free_before, free_after, run_start;
	const struct sched_ops ops = {
	    .on_end = on_guest_end, .on_restart = guest_restart, .ctx = vm_counts};

	CHECK(online & BIT(0));
	if (!vmcs_bitmaps_init()) {
		pr_err("vm: no memory for the VMX bitmaps");
		return 1;
	}
	vpid_init();
	(void)cpuid_caps(); /* filled here, before another CPU may read it */
	count = guest_cmdline_configs(bi, configs, VM_MAX_GUESTS, &counts[1]);
	free_before = pmm_free_count();
	for (unsigned i = 0; i < count; i++) {
		struct guest *g = &guests[i];

		memset(g, 0, sizeof(*g));
		guest_config_apply(&configs[i], g, i);
		if (!guest_start(g, &configs[i]) || !place_vcpus(g, &configs[i], online, n)) {
			on_guest_end(g, counts);
			continue;
		}
		live[nlive++] = g;
	}
	pr_debug("vm: %u guests created at %lu ticks", nlive, rdtsc() - boot_entry_tsc);
	vm_live = nlive;
	for (unsigned i = 0; i < CPU_MAX; i++)
		placed_params[i] = (struct sched_params){.vs = placed[i],
							 .n = n[i],
							 .slice = keel_opts.slice,
							 .ops = &ops,
							 .console = i == 0,
							 .all = live,
							 .all_n = nlive,
							 .live = &vm_live,
							 .keys_on = console_has_com1()};
	run_start = rdtsc();
	start_cpus(n, req, &ops);
	sched_run(&placed_params[0]);
	wait_cpus(n, req);
	pr_info("vm: %u guest(s) ran on %u CPU(s) in %lu ticks", nlive, cpus_used(n),
		rdtsc() - run_start);
	free_after = pmm_free_count();
	pr_info("free frames before guests %lu after %lu%s", free_before, free_after,
		free_before == free_after ? "" : " LEAK");
	if (free_before != free_after)
		counts[1]++;
	for (unsigned i = 0; i < count; i++)
		guest_config_release(&configs[i]);
	if (count == 0 && counts[1] == 0)
		pr_info("no guests: nothing to run (give Keel module2 lines)");
	pr_info("guests ok=%u failed=%u", counts[0], counts[1]);
	return counts[1] ? 1 : 0;
}
