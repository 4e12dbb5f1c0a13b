/*
 * Scheduling guests on one CPU: deficit round-robin on the TSC. Every CPU
 * that has guests runs its own sched_run over them (vm/vm.c places them);
 * nothing here is shared between CPUs but the count of live guests, the
 * guest keys go to (sched_focus) and Keel's console, which has its lock.
 *
 * Each turn a guest is given credit up to one slice and runs until the
 * credit is spent, it blocks in HLT or it ends. Its credit pays for every
 * tick it was given, Keel's work on its behalf included (vcpu_run counts
 * the exits, the emulation and the zeroing as the guest's), and a turn
 * that ran past its credit (by at most one exit's bounded work) pays the
 * difference out of the next one. So each runnable guest gets the same
 * share of the CPU whatever it makes Keel do, and `timeout=` ends a guest
 * within one exit of its limit.
 *
 * Housekeeping (the console's output and input, the guests' UARTs, the
 * timers of waiting guests, who is due to wake) runs between runs. A run
 * also ends when Keel's console has output waiting for the line, or keys
 * keep coming in (about every millisecond while either lasts:
 * uart_poll_due), after which the same guest goes on without a switch; a
 * guest alone with a quiet console runs whole slices undisturbed.
 *
 * A switch makes the next guest's VMCS current with VMPTRLD (each VMCS
 * stays active and launched on this CPU, SDM Vol. 3C 25.1) and loads the
 * MSRs and XCR0 the VMCS does not switch. No TLB flush is needed on a
 * switch: each guest's translations are tagged by its VPID and its EPTP
 * (with VPIDs off the CPU flushes on every entry and exit anyway).
 */
#include "vm/sched.h"
#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "arch/x86/smp.h"
#include "arch/x86/tsc.h"
#include "arch/x86/uart.h"
#include "lib/console.h"
#include "lib/panic.h"
#include "vm/console_input.h"
#include "vm/guest.h"
#include "vm/intr.h"
#include "vm/vtimer.h"
#include "vmx/vcpu.h"
#include "vmx/vmx.h"

#define IDLE_SAY_SECONDS 5
#define IDLE_LOOK_HZ	 1000 /* a halted CPU looks again this often while a UART may wake */

/*
 * The guest that keys typed at Keel's console go to, NULL for the monitor
 * or none; the guest's own CPU shows its unfinished line.
 */
/* Shared, atomic: written by the console CPU after each poll. */
static struct guest *sched_focus;

/* One sched_run: every field is its CPU's own. */
struct sched {
	const struct sched_params *p;
	unsigned cpu; /* this CPU's index */
	struct guest **gs;
	unsigned n;
	u64 slice;
	s64 credit[64];	      /* per guest: ticks left in its turn, negative: debt */
	unsigned cur;	      /* the guest whose turn it is */
	bool in_turn;	      /* cur has credit left and may go on without a switch */
	struct guest *loaded; /* whose VMCS is current */
	u64 switches, switch_ticks, switch_min;
	struct console_input in; /* keys typed at Keel's console (the console CPU only) */
};

/*
 * Runs the timers of every guest that is due, lets its UART see Keel's
 * console drain, and wakes the halted vCPUs that now have an event to take
 * (vm/intr.c). The vCPUs' VMCSs need not be current: timers and device
 * models only change model state.
 */
static void wake_due(struct guest **gs, unsigned n)
{
	u64 now = rdtsc();

	for (unsigned i = 0; i < n; i++) {
		struct guest *g = gs[i];
		u64 next = vtimer_next(g);

		if (!guest_running(g))
			continue;
		uart16550_poll(g);
		if (next && next <= now)
			vtimer_expire(g, now);
		if (g->vcpu.blocked && intr_wakeable(&g->vcpu))
			g->vcpu.blocked = false;
	}
}

/* The console CPU: Keel's console moves on (output, then keys). */
static void console_work(struct sched *s)
{
	struct guest *f, *was = __atomic_load_n(&sched_focus, __ATOMIC_RELAXED);

	if (!s->p->console)
		return;
	console_poll();
	console_input_poll(&s->in);
	f = console_input_focus(&s->in);
	if (f == was)
		return;
	__atomic_store_n(&sched_focus, f, __ATOMIC_RELEASE);
	if (f)
		vcpu_kick(&f->vcpu); /* its CPU shows its unfinished line now, halted or not */
}

/* The focused guest's unfinished line, if it is one of this CPU's. */
static void show_focus(struct sched *s)
{
	struct guest *f = __atomic_load_n(&sched_focus, __ATOMIC_ACQUIRE);

	if (f && __atomic_load_n(&f->vcpu.home_cpu, __ATOMIC_ACQUIRE) == (int)s->cpu &&
	    guest_running(f))
		uart16550_show_open(f);
}

/* The console moves on, waiting guests' timers run. */
static void housekeeping(struct sched *s)
{
	console_work(s);
	show_focus(s);
	wake_due(s->gs, s->n);
}

static bool runnable(const struct guest *g)
{
	return guest_running(g) && !g->vcpu.blocked;
}

/* The next guest after `from` that can run, or n if none. */
static unsigned next_runnable(struct guest **gs, unsigned n, unsigned from)
{
	for (unsigned k = 1; k <= n; k++) {
		unsigned i = (from + k) % n;

		if (runnable(gs[i]))
			return i;
	}
	return n;
}

static u64 spent(const struct guest *g)
{
	return g->vcpu.used_ticks + g->vcpu.idle_ticks;
}

/* The TSC at which g's time limit runs out, or 0 if it has none. */
static u64 timeout_at(const struct guest *g, u64 now)
{
	if (!g->timeout)
		return 0;
	return spent(g) >= g->timeout ? now : now + (g->timeout - spent(g));
}

static void check_timeout(struct guest *g)
{
	if (g->timeout && guest_running(g) && spent(g) >= g->timeout)
		guest_end(g, GUEST_END_TIMEOUT, 0, "used %lu ticks, timeout=%lu", spent(g),
			  g->timeout);
}

/* Some halted guest can take an event now (the scheduler's housekeeping wakes it). */
static bool any_wakeable(struct sched *s)
{
	for (unsigned i = 0; i < s->n; i++) {
		struct guest *g = s->gs[i];

		if (!guest_running(g))
			continue;
		uart16550_poll(g); /* may end its wait for the transmitter */
		if (!g->vcpu.blocked || intr_wakeable(&g->vcpu))
			return true;
	}
	return false;
}

/* Some halted guest's UART may interrupt it by itself: a key, or Keel's console draining. */
static bool console_may_wake(struct sched *s)
{
	for (unsigned i = 0; i < s->n; i++)
		if (guest_running(s->gs[i]) && uart16550_may_interrupt(s->gs[i], s->p->keys_on))
			return true;
	return false;
}

/* The earliest timer deadline or time limit among the live guests, 0 if none. */
static u64 earliest_event(struct sched *s, u64 now)
{
	u64 until = 0;

	for (unsigned i = 0; i < s->n; i++) {
		u64 d, t;

		if (!guest_running(s->gs[i]))
			continue;
		d = vtimer_next(s->gs[i]);
		t = timeout_at(s->gs[i], now);
		if (d && (!until || d < until))
			until = d;
		if (t && (!until || t < until))
			until = t;
	}
	return until;
}

/*
 * Waits a little for the next event, until `until` at the latest (0: none
 * known): halted until the APIC timer or a kick (a key for one of this
 * CPU's guests, output queued by another CPU), for at most 1/IDLE_LOOK_HZ s
 * while something may come without either. The console CPU looks at Keel's
 * console that often (Keel takes no interrupt from the UART: keys are
 * polled), and does not halt while output waits for the line (a guest may
 * wait for it to leave: it drains at the UART's pace). Another CPU looks
 * that often while one of its guests' UARTs may wake it by itself (Keel's
 * console drains on the console CPU). A CPU without a TSC-deadline timer
 * spins.
 */
static void idle_wait(struct sched *s, u64 until)
{
	u64 look = rdtsc() + MAX(tsc_hz / IDLE_LOOK_HZ, (u64)10000);

	if (s->p->console) {
		if (uart_poll_due) {
			/* Output waits for the line: drain it as fast as the UART takes it. */
			cpu_relax();
			return;
		}
		until = until ? MIN(until, look) : look;
	} else if (!until || (console_may_wake(s) && look < until)) {
		until = look;
	}
	if (!smp_halt_until(until))
		cpu_relax();
}

/*
 * Every live guest here is halted. Wait until the earliest timer deadline
 * or time limit among them, or until a key or the console wakes one,
 * charging the wait to each as idle time. With no deadline the wait lasts
 * as long as a guest's UART may still wake it. False if nothing can ever
 * wake any of them: they are ended.
 */
static bool idle_until_event(struct sched *s)
{
	u64 now = rdtsc(), until = earliest_event(s, now);

	if (!until && !console_may_wake(s)) {
		for (unsigned i = 0; i < s->n; i++)
			if (guest_running(s->gs[i]))
				guest_end(
				    s->gs[i], GUEST_END_HLT, 0,
				    "halted with interrupts enabled and no event can wake it");
		return false;
	}
	/*
	 * A long sleep is said, so that a quiet Keel is not taken for a hung
	 * one; not while a guest waits for keys (a shell at its prompt): then
	 * quiet is what the person expects.
	 */
	if (until > now && until - now >= IDLE_SAY_SECONDS * tsc_hz && !console_may_wake(s)) {
		u64 secs = (until - now) / (tsc_hz ? tsc_hz : 1);

		if (s->p->console)
			pr_info("sched: every guest is halted; the next timer is due in %lu s",
				secs);
		else
			pr_info(
			    "sched: CPU %u: every guest is halted; the next timer is due in %lu s",
			    s->cpu, secs);
	}
	for (;;) {
		/* Console output keeps moving while everyone sleeps; a key wakes its guest now. */
		console_work(s);
		show_focus(s);
		if (any_wakeable(s))
			break;
		/* A key may have armed a timer (a UART's character timeout). */
		until = earliest_event(s, now);
		if (until && rdtsc() >= until)
			break;
		if (!until && !console_may_wake(s))
			break; /* nothing left to wait for: the next look ends them */
		idle_wait(s, until);
	}
	for (unsigned i = 0; i < s->n; i++)
		if (guest_running(s->gs[i]))
			s->gs[i]->vcpu.idle_ticks += rdtsc() - now;
	return true;
}

/* Makes g's VMCS current, counting a switch away from the guest loaded before. */
static void load(struct sched *s, struct guest *g)
{
	if (s->loaded == g)
		return;
	if (s->loaded) {
		if (guest_running(s->loaded))
			s->loaded->stats.switches++;
		vcpu_put(&s->loaded->vcpu);
	}
	vcpu_load(&g->vcpu);
	s->loaded = g;
}

/*
 * Starts the next turn: the next runnable guest gets a slice of credit (a
 * debt from its last turn is paid first; a guest that was blocked does not
 * save credit up). False if no guest can run.
 */
static bool next_turn(struct sched *s)
{
	unsigned i = next_runnable(s->gs, s->n, s->cur);

	if (i == s->n)
		return false;
	s->credit[i] = MIN(s->credit[i] + (s64)s->slice, (s64)s->slice);
	s->cur = i;
	s->in_turn = s->credit[i] > 0; /* still in debt: this turn went to pay it */
	return true;
}

/* Runs the current guest until its credit is spent or its timeout (vcpu_run may end sooner). */
static void run_turn(struct sched *s)
{
	struct guest *g = s->gs[s->cur], *prev = s->loaded;
	u64 now = rdtsc(), used = g->vcpu.used_ticks;
	u64 until = now + (u64)s->credit[s->cur], t = timeout_at(g, now);

	if (t)
		until = MIN(until, t);
	load(s, g);
	g->vcpu.polls_console = s->p->console;
	vcpu_run(&g->vcpu, until);
	if (prev && prev != g && g->vcpu.run_entry_tsc) {
		/* From prev's last exit to g's first entry. */
		u64 ticks = g->vcpu.run_entry_tsc - prev->vcpu.last_exit_tsc;

		s->switches++;
		s->switch_ticks += ticks;
		s->switch_min = MIN(s->switch_min, ticks);
	}
	s->credit[s->cur] -= (s64)(g->vcpu.used_ticks - used);
	check_timeout(g);
	s->in_turn = s->credit[s->cur] > 0 && runnable(g);
}

/* Builds a guest that asked for a reset again, charging the work to it. */
static void restart(struct sched *s, unsigned k, const struct sched_ops *ops)
{
	struct guest *g = s->gs[k];
	u64 t0 = rdtsc(), ticks;

	if (!ops->on_restart(g, ops->ctx) && guest_running(g))
		guest_end(g, GUEST_END_ERROR, 0, "could not be restarted");
	ticks = rdtsc() - t0;
	g->vcpu.used_ticks += ticks;
	s->credit[k] -= (s64)ticks;
	if (s->cur == k)
		s->in_turn = false;
}

/*
 * Restarts the guests that asked for a reset and calls on_end for each
 * guest that ended since the last call; returns how many ended.
 */
static unsigned reap(struct sched *s, u64 *reported, const struct sched_ops *ops)
{
	unsigned ended = 0;

	for (unsigned k = 0; k < s->n; k++) {
		if (guest_running(s->gs[k]) || (*reported & BIT(k)))
			continue;
		if (s->loaded)
			vcpu_put(&s->loaded->vcpu); /* the callbacks make other VMCSs current */
		s->loaded = NULL;
		if (s->gs[k]->end == GUEST_RESTARTING)
			restart(s, k, ops);
		if (guest_running(s->gs[k]))
			continue;
		*reported |= BIT(k);
		ops->on_end(s->gs[k], ops->ctx);
		__atomic_sub_fetch(s->p->live, 1, __ATOMIC_ACQ_REL);
		ended++;
	}
	return ended;
}

/* What this CPU's guests cost: the switch line, its CPU named when it is not the console's. */
static void say_switches(const struct sched *s)
{
	if (!s->switches)
		return;
	if (s->p->console)
		pr_info("sched: switch cost min %lu mean %lu ticks over %lu switches",
			s->switch_min, s->switch_ticks / s->switches, s->switches);
	else
		pr_info("sched: CPU %u: switch cost min %lu mean %lu ticks over %lu switches",
			s->cpu, s->switch_min, s->switch_ticks / s->switches, s->switches);
}

void sched_run(const struct sched_params *p)
{
	struct sched s = {.p = p,
			  .cpu = this_cpu()->index,
			  .gs = p->gs,
			  .n = p->n,
			  .slice = p->slice,
			  .switch_min = ~0ULL};
	unsigned live = p->n;
	u64 reported = 0; /* bit i: on_end called for gs[i] */

	CHECK(p->n <= ARRAY_SIZE(s.credit));
	CHECK(p->slice > 0 && p->slice <= (u64)INT64_MAX / 2);
	CHECK(!p->console || s.cpu == 0); /* the boot CPU takes no wake-up IPI: it never halts */
	s.cur = p->n ? p->n - 1 : 0;
	if (p->console) {
		console_longest_wait(true);
		console_input_start(&s.in, p->all, p->all_n);
		if (p->all_n > 1 && !vmx_caps.preemption_timer)
			pr_warn("sched: no VMX-preemption timer: a guest that makes no exit keeps "
				"the CPU until it halts or ends");
	}
	while (live || (p->console && __atomic_load_n(p->live, __ATOMIC_ACQUIRE))) {
		housekeeping(&s);
		if (!live)
			idle_wait(&s, 0); /* the console CPU, for the other CPUs' guests */
		else if (s.in_turn && runnable(s.gs[s.cur]))
			run_turn(&s);
		else if (!next_turn(&s)) {
			if (idle_until_event(&s))
				for (unsigned k = 0; k < s.n; k++)
					check_timeout(s.gs[k]);
		} else if (s.in_turn) {
			run_turn(&s);
		}
		live -= reap(&s, &reported, p->ops);
	}
	say_switches(&s);
	if (!p->console)
		pr_info("sched: CPU %u: its %u guest(s) ended; it halted %lu times waiting for "
			"them, woken by %lu IPIs",
			s.cpu, p->n, this_cpu()->halts, this_cpu()->wakes);
	if (p->console) {
		__atomic_store_n(&sched_focus, NULL, __ATOMIC_RELEASE);
		pr_info("sched: console output waited at most %lu ticks for the line",
			console_longest_wait(false));
	}
}
