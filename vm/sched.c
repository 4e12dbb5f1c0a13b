/*
 * Round-robin scheduling of guests on the boot CPU. Every guest stays
 * resident; a switch makes the next guest's VMCS current with VMPTRLD
 * (each VMCS stays active and launched on this CPU, SDM Vol. 3C 25.1) and
 * loads the MSRs and XCR0 the VMCS does not switch. No TLB flush is needed
 * on a switch: each guest's translations are tagged by its VPID and its
 * EPTP (with VPIDs off the CPU flushes on every entry and exit anyway).
 */
#include "vm/sched.h"
#include "arch/x86/uart.h"
#include "lib/console.h"
#include "lib/panic.h"
#include "arch/x86/cpu.h"
#include "vm/guest.h"
#include "vm/intr.h"
#include "vm/vtimer.h"
#include "vmx/vcpu.h"
#include "vmx/vmx.h"

/*
 * Runs the timers of every guest that is due and wakes the halted vCPUs
 * that now have an event to take (vm/intr.c). The vCPUs' VMCSs need not
 * be current: timers and device models only change model state.
 */
static void wake_due(struct guest **gs, unsigned n)
{
	u64 now = rdtsc();

	for (unsigned i = 0; i < n; i++) {
		struct guest *g = gs[i];
		u64 next = vtimer_next(g);

		if (!guest_running(g))
			continue;
		if (next && next <= now)
			vtimer_expire(g, now);
		if (g->vcpu.blocked && intr_wakeable(&g->vcpu))
			g->vcpu.blocked = false;
	}
}

/* The next guest after `from` that can run, or n if none. */
static unsigned next_runnable(struct guest **gs, unsigned n, unsigned from)
{
	for (unsigned k = 1; k <= n; k++) {
		unsigned i = (from + k) % n;

		if (guest_running(gs[i]) && !gs[i]->vcpu.blocked)
			return i;
	}
	return n;
}

/* The TSC at which a blocked guest's time limit runs out, or 0 if it has none. */
static u64 timeout_at(const struct guest *g, u64 now)
{
	u64 spent = g->vcpu.used_ticks + g->vcpu.idle_ticks;

	if (!g->timeout)
		return 0;
	return spent >= g->timeout ? now : now + (g->timeout - spent);
}

/*
 * Every live guest is halted. Wait (Keel has no host interrupts: spin on
 * the TSC) until the earliest timer deadline or time limit among them,
 * charging the wait to each as idle time. False if nothing can ever wake
 * any of them: they are ended.
 */
#define IDLE_SAY_SECONDS 5

static bool idle_until_event(struct guest **gs, unsigned n)
{
	u64 now = rdtsc(), until = 0;

	for (unsigned i = 0; i < n; i++) {
		u64 d, t;

		if (!guest_running(gs[i]))
			continue;
		d = vtimer_next(gs[i]);
		t = timeout_at(gs[i], now);
		if (d && (!until || d < until))
			until = d;
		if (t && (!until || t < until))
			until = t;
	}
	if (!until) {
		for (unsigned i = 0; i < n; i++)
			if (guest_running(gs[i]))
				guest_end(
				    gs[i], GUEST_END_HLT, 0,
				    "halted with interrupts enabled and no event can wake it");
		return false;
	}
	/* A long sleep is said once, so that a quiet Keel is not taken for a hung one. */
	if (until > now && until - now >= IDLE_SAY_SECONDS * tsc_hz)
		pr_info("sched: every guest is halted; the next timer is due in %lu s",
			(until - now) / (tsc_hz ? tsc_hz : 1));
	while (rdtsc() < until) {
		uart_poll(); /* console output keeps moving while everyone sleeps */
		cpu_relax();
	}
	for (unsigned i = 0; i < n; i++)
		if (guest_running(gs[i]))
			gs[i]->vcpu.idle_ticks += rdtsc() - now;
	return true;
}

static u64 budget_for(const struct guest *g, u64 slice)
{
	if (!g->timeout)
		return slice;
	u64 spent = g->vcpu.used_ticks + g->vcpu.idle_ticks;

	return spent >= g->timeout ? 0 : MIN(slice, g->timeout - spent);
}

static void check_timeout(struct guest *g)
{
	u64 spent = g->vcpu.used_ticks + g->vcpu.idle_ticks;

	if (g->timeout && guest_running(g) && spent >= g->timeout)
		guest_end(g, GUEST_END_TIMEOUT, 0, "used %lu ticks, timeout=%lu", spent,
			  g->timeout);
}

void sched_run(struct guest **gs, unsigned n, u64 slice, sched_end_fn *on_end, void *ctx)
{
	unsigned live = n, cur = n ? n - 1 : 0;
	struct guest *loaded = NULL;
	u64 reported = 0; /* bit i: on_end called for gs[i] */
	u64 switches = 0, switch_ticks = 0, switch_min = ~0ULL;

	CHECK(n <= 64);
	if (n > 1 && !vmx_caps.preemption_timer)
		pr_warn("sched: no VMX-preemption timer: each guest runs until it ends or halts");
	while (live) {
		unsigned i;
		struct guest *g;

		uart_poll(); /* queued console output moves on between slices */
		wake_due(gs, n);
		i = next_runnable(gs, n, cur);
		if (i == n) {
			if (idle_until_event(gs, n))
				for (unsigned k = 0; k < n; k++)
					check_timeout(gs[k]);
		} else {
			g = gs[i];
			struct guest *prev =
			    loaded && loaded != g && guest_running(loaded) ? loaded : NULL;

			if (prev)
				prev->stats.switches++;
			if (loaded != g) {
				if (loaded)
					vcpu_put(&loaded->vcpu);
				vcpu_load(&g->vcpu);
			}
			loaded = g;
			vcpu_run_slice(&g->vcpu, budget_for(g, slice));
			if (prev && prev->vcpu.slice_over && g->vcpu.slice_entry_tsc) {
				/* From the timer exit that ended prev's slice to g's first entry.
				 */
				u64 t = g->vcpu.slice_entry_tsc - prev->vcpu.last_exit_tsc;

				switches++;
				switch_ticks += t;
				switch_min = MIN(switch_min, t);
			}
			check_timeout(g);
			cur = i;
		}
		for (unsigned k = 0; k < n; k++) {
			if (guest_running(gs[k]) || (reported & BIT(k)))
				continue;
			reported |= BIT(k);
			if (loaded)
				vcpu_put(&loaded->vcpu); /* on_end may make another VMCS current */
			loaded = NULL;
			on_end(gs[k], ctx);
			live--;
		}
	}
	if (switches)
		pr_info("sched: switch cost min %lu mean %lu ticks over %lu switches", switch_min,
			switch_ticks / switches, switches);
}
