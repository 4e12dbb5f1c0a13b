/*
 * Scheduling vCPUs on one CPU: deficit round-robin on the TSC. Every CPU
 * that has vCPUs runs its own sched_run over them (vm/vm.c places them);
 * nothing here is shared between CPUs but the count of live guests, the
 * guest keys go to (sched_focus), Keel's console, which has its lock, and
 * the guests with several vCPUs, under their guest lock.
 *
 * Each turn a vCPU is given credit up to one slice and runs until the
 * credit is spent, it blocks in HLT or its guest ends. Its credit pays for
 * every tick it was given, Keel's work on its behalf included (vcpu_run
 * counts the exits, the emulation and the zeroing as the vCPU's), and a
 * turn that ran past its credit (by at most one exit's bounded work) pays
 * the difference out of the next one. So each runnable vCPU gets the same
 * share of the CPU whatever it makes Keel do, and `timeout=` ends a guest
 * within one exit of its limit (vCPU 0's time).
 *
 * A guest's home is the CPU of its vCPU 0. Its scheduler alone runs the
 * guest's timers, polls its UART, restarts it and reports its end. The
 * CPU of another vCPU only runs it, and when the guest has ended lets it
 * go (VMCLEAR, `parked`); the home reports the guest once every vCPU is
 * parked, so nothing is freed under a CPU still using it.
 *
 * Housekeeping (the console's output and input, the guests' UARTs, the
 * timers of waiting guests, who is due to wake) runs between runs. A run
 * also ends when Keel's console has output waiting for the line, or keys
 * keep coming in (about every millisecond while either lasts:
 * uart_poll_due), after which the same guest goes on without a switch; a
 * guest alone with a quiet console runs whole slices undisturbed.
 *
 * A switch makes the next vCPU's VMCS current with VMPTRLD (each VMCS
 * stays active and launched on this CPU, SDM Vol. 3C 25.1) and loads the
 * MSRs and XCR0 the VMCS does not switch. No TLB flush is needed on a
 * switch: each vCPU's translations are tagged by its VPID and its EPTP
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
#include "mm/pmm.h"
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
	struct vcpu **vs;
	unsigned n;
	u64 slice;
	s64 credit[64];	     /* per vCPU: ticks left in its turn, negative: debt */
	unsigned cur;	     /* the vCPU whose turn it is */
	bool in_turn;	     /* cur has credit left and may go on without a switch */
	struct vcpu *loaded; /* whose VMCS is current */
	u64 done;	     /* bit i: vs[i] is finished here (reported, or parked) */
	u64 switches, switch_ticks, switch_min;
	struct console_input in;   /* keys typed at Keel's console (the console CPU only) */
	struct pmm_zero_work zero; /* the zero pool's fill this CPU has in progress (idle time) */
	unsigned reclaim_next;	   /* the vCPU whose guest the reclaim scan looks at next */
};

/* This CPU is v's guest's home: it runs the guest's timers and devices, and reports it. */
static bool home(const struct vcpu *v)
{
	return v->index == 0;
}

/*
 * True if v has been let go while its guest ends or restarts: nothing here
 * touches it until its guest's home builds it again (vm/vm.c).
 */
static bool parked(const struct vcpu *v)
{
	return __atomic_load_n(&v->parked, __ATOMIC_ACQUIRE);
}

/* True if v's turn may come: its guest runs and it is neither blocked nor parked. */
static bool runnable(const struct vcpu *v)
{
	return guest_running(v->guest) && !parked(v) && !v->blocked;
}

/*
 * Ends a blocked vCPU's wait if it has an event to take now (vm/intr.c);
 * true if it can run. The caller holds its guest's lock.
 */
static bool wake_if_due(struct vcpu *v)
{
	if (v->blocked && intr_wakeable(v))
		v->blocked = false;
	return !v->blocked;
}

/*
 * Runs the timers of every guest at home here that is due, lets its UART
 * see Keel's console drain, and wakes the blocked vCPUs that now have an
 * event to take. The VMCSs need not be current: timers and device models
 * only change model state.
 */
static void wake_due(struct sched *s)
{
	u64 now = rdtsc();

	for (unsigned i = 0; i < s->n; i++) {
		struct vcpu *v = s->vs[i];
		struct guest *g = v->guest;

		if (!guest_running(g))
			continue;
		guest_lock(g);
		if (home(v)) {
			u64 next = vtimer_next(g);

			uart16550_poll(g);
			if (next && next <= now)
				vtimer_expire(g, now);
		}
		if (!parked(v))
			(void)wake_if_due(v);
		guest_unlock(g);
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
		vcpu_kick(&f->vcpus[0]); /* its home shows its unfinished line now, halted or not */
}

/* The focused guest's unfinished line, if this is its home. */
static void show_focus(struct sched *s)
{
	struct guest *f = __atomic_load_n(&sched_focus, __ATOMIC_ACQUIRE);

	if (f && __atomic_load_n(&f->vcpus[0].home_cpu, __ATOMIC_ACQUIRE) == (int)s->cpu &&
	    guest_running(f)) {
		guest_lock(f);
		uart16550_show_open(f);
		guest_unlock(f);
	}
}

/* The console moves on, waiting guests' timers run. */
static void housekeeping(struct sched *s)
{
	console_work(s);
	show_focus(s);
	wake_due(s);
}

/* The next vCPU after `from` that can run, or n if none. */
static unsigned next_runnable(struct sched *s, unsigned from)
{
	for (unsigned k = 1; k <= s->n; k++) {
		unsigned i = (from + k) % s->n;

		if (runnable(s->vs[i]))
			return i;
	}
	return s->n;
}

/* A guest's time against timeout=: its vCPU 0's, run and halted. */
static u64 spent(const struct guest *g)
{
	return g->vcpus[0].used_ticks + g->vcpus[0].idle_ticks;
}

/* The TSC at which g's time limit runs out, or 0 if it has none. */
static u64 timeout_at(const struct guest *g, u64 now)
{
	if (!g->timeout)
		return 0;
	return spent(g) >= g->timeout ? now : now + (g->timeout - spent(g));
}

static void check_timeout(struct vcpu *v)
{
	struct guest *g = v->guest;

	if (!home(v) || !g->timeout || !guest_running(g) || spent(g) < g->timeout)
		return;
	guest_lock(g);
	guest_end(g, GUEST_END_TIMEOUT, 0, "used %lu ticks, timeout=%lu", spent(g), g->timeout);
	guest_unlock(g);
}

/* Some blocked vCPU here can take an event now (the scheduler's housekeeping wakes it). */
static bool any_wakeable(struct sched *s)
{
	bool any = false;

	for (unsigned i = 0; i < s->n && !any; i++) {
		struct vcpu *v = s->vs[i];
		struct guest *g = v->guest;

		if (!guest_running(g))
			continue;
		guest_lock(g);
		if (home(v))
			uart16550_poll(g); /* may end its wait for the transmitter */
		any = !parked(v) && (!v->blocked || intr_wakeable(v));
		guest_unlock(g);
	}
	return any;
}

/* Some guest at home here may be interrupted by its UART by itself: a key, or the console draining.
 */
static bool console_may_wake(struct sched *s)
{
	for (unsigned i = 0; i < s->n; i++) {
		struct vcpu *v = s->vs[i];

		if (home(v) && guest_running(v->guest) &&
		    uart16550_may_interrupt(v->guest, s->p->keys_on))
			return true;
	}
	return false;
}

/* The earliest timer deadline or time limit among the live guests at home here, 0 if none. */
static u64 earliest_event(struct sched *s, u64 now)
{
	u64 until = 0;

	for (unsigned i = 0; i < s->n; i++) {
		struct guest *g = s->vs[i]->guest;
		u64 d, t;

		if (!home(s->vs[i]) || !guest_running(g))
			continue;
		d = vtimer_next(g);
		t = timeout_at(g, now);
		if (d && (!until || d < until))
			until = d;
		if (t && (!until || t < until))
			until = t;
	}
	return until;
}

/*
 * True if nothing but a timer or a key can wake g again: every vCPU
 * blocked with no event to take. A vCPU of this CPU is asked directly
 * (intr_wakeable); one on another CPU, which may be changing it, only by
 * what it announces: blocked, and no event arrived since it last ran
 * (intr_dirty stays set from an event's arrival until the vCPU runs
 * again). The answer errs towards "awake". The caller holds g's lock.
 */
static bool guest_asleep(struct sched *s, struct guest *g)
{
	for (unsigned i = 0; i < g->vcpu_count; i++) {
		struct vcpu *v = &g->vcpus[i];

		if (parked(v))
			continue;
		if (!__atomic_load_n(&v->blocked, __ATOMIC_ACQUIRE))
			return false;
		if (v->home_cpu == (int)s->cpu
			? intr_wakeable(v)
			: __atomic_load_n(&v->intr_dirty, __ATOMIC_ACQUIRE) ||
			      __atomic_load_n(&v->signals, __ATOMIC_ACQUIRE))
			return false;
	}
	return true;
}

/*
 * Waits a little for the next event, until `until` at the latest (0: none
 * known): halted until the APIC timer or a kick (a key for one of this
 * CPU's guests, an event for one of its vCPUs from another CPU, output
 * queued by another CPU), for at most 1/IDLE_LOOK_HZ s while something
 * may come without either. The console CPU looks at Keel's console that
 * often (Keel takes no interrupt from the UART: keys are polled), and does
 * not halt while output waits for the line (a guest may wait for it to
 * leave: it drains at the UART's pace). Another CPU looks that often while
 * one of its guests' UARTs may wake it by itself (Keel's console drains on
 * the console CPU). A CPU without a TSC-deadline timer spins.
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
 * Ends the guests at home here that nothing can wake any more: every vCPU
 * blocked, no timer and no key to come. A guest with vCPUs on other CPUs
 * may have one just woken there: it is ended only if it looks asleep
 * (guest_asleep). Returns how many live guests at home here are left.
 */
static unsigned end_sleepers(struct sched *s)
{
	unsigned left = 0;

	for (unsigned i = 0; i < s->n; i++) {
		struct vcpu *v = s->vs[i];
		struct guest *g = v->guest;

		if (!home(v) || !guest_running(g))
			continue;
		left++;
		if (vtimer_next(g) || g->timeout || uart16550_may_interrupt(g, s->p->keys_on))
			continue;
		guest_lock(g);
		if (guest_asleep(s, g)) {
			if (g->vcpu_count == 1)
				guest_end(
				    g, GUEST_END_HLT, 0,
				    "halted with interrupts enabled and no event can wake it");
			else
				guest_end(g, GUEST_END_HLT, 0,
					  "every vCPU halted and no event can wake one");
			left--;
		}
		guest_unlock(g);
	}
	return left;
}

/* A vCPU here whose guest's home is another CPU is live: that home ends it. */
static bool others_live(struct sched *s)
{
	for (unsigned i = 0; i < s->n; i++)
		if (!home(s->vs[i]) && guest_running(s->vs[i]->guest))
			return true;
	return false;
}

/*
 * Qwords one reclaim step reads at most: four 4 KiB frames of zeros, about
 * 2,000 ticks of REPE SCASQ, which is how late a step can make a wake-up.
 */
#define RECLAIM_BUDGET (4 * PAGE_SIZE / 8)

/*
 * Idle time (every vCPU here blocked): one step of the reclaim scan of a
 * guest at home here, taking the guests in turn (gmem_reclaim_step). False
 * when none had anything to scan.
 */
static bool reclaim_step(struct sched *s)
{
	if (!s->p->reclaim)
		return false;
	for (unsigned k = 0; k < s->n; k++) {
		struct vcpu *v = s->vs[(s->reclaim_next + k) % s->n];
		struct guest *g = v->guest;
		bool did;

		if (!home(v) || !guest_running(g))
			continue;
		guest_lock(g);
		did = gmem_reclaim_step(&g->mem, guest_exits(g), RECLAIM_BUDGET);
		guest_unlock(g);
		if (did) {
			s->reclaim_next = (s->reclaim_next + k) % s->n;
			return true;
		}
	}
	return false;
}

/*
 * Every live vCPU here is blocked. Wait until the earliest timer deadline
 * or time limit among them, or until a key, the console or another CPU
 * wakes one, charging the wait to each as idle time. With no deadline the
 * wait lasts as long as a guest's UART may still wake it, a guest at home
 * here has a vCPU elsewhere that may wake it, or a vCPU here belongs to a
 * guest at home elsewhere. False if nothing can ever wake any of them:
 * their guests are ended.
 */
static bool idle_until_event(struct sched *s)
{
	u64 now = rdtsc(), until = earliest_event(s, now);

	if (!until && !console_may_wake(s) && !end_sleepers(s) && !others_live(s))
		return false;
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
		if (!until && !console_may_wake(s) && !end_sleepers(s) && !others_live(s))
			break; /* nothing left to wait for */
		/*
		 * Idle: zero a piece for the pool (mm/zpool.h), or scan a little of a
		 * guest's RAM for frames of zeros (reclaim=on), then look again;
		 * else wait.
		 */
		if (!pmm_zero_step(&s->zero) && !reclaim_step(s))
			idle_wait(s, until);
	}
	for (unsigned i = 0; i < s->n; i++)
		if (guest_running(s->vs[i]->guest) && !parked(s->vs[i]))
			s->vs[i]->idle_ticks += rdtsc() - now;
	return true;
}

/* Makes v's VMCS current, counting a switch away from the vCPU loaded before. */
static void load(struct sched *s, struct vcpu *v)
{
	if (s->loaded == v)
		return;
	if (s->loaded) {
		if (guest_running(s->loaded->guest))
			s->loaded->guest->stats.switches++;
		vcpu_put(s->loaded);
	}
	vcpu_load(v);
	s->loaded = v;
}

/*
 * Starts the next turn: the next runnable vCPU gets a slice of credit (a
 * debt from its last turn is paid first; a vCPU that was blocked does not
 * save credit up). False if no vCPU can run.
 */
static bool next_turn(struct sched *s)
{
	unsigned i = next_runnable(s, s->cur);

	if (i == s->n)
		return false;
	s->credit[i] = MIN(s->credit[i] + (s64)s->slice, (s64)s->slice);
	s->cur = i;
	s->in_turn = s->credit[i] > 0; /* still in debt: this turn went to pay it */
	return true;
}

/* Runs the current vCPU until its credit is spent or its timeout (vcpu_run may end sooner). */
/*
 * After a turn of a guest at home here (workingset=on): a working-set
 * sample once its vCPU 0 has run GMEM_WS_INTERVAL ticks since the last.
 */
static void sample_working_set(struct sched *s, struct vcpu *v)
{
	struct guest *g = v->guest;

	if (!s->p->workingset || !home(v) || !g->mem.ad || !guest_running(g) ||
	    v->used_ticks < g->mem.ws.next_at)
		return;
	guest_lock(g);
	gmem_ws_sample(&g->mem);
	g->mem.ws.next_at = v->used_ticks + GMEM_WS_INTERVAL;
	guest_unlock(g);
}

static void run_turn(struct sched *s)
{
	struct vcpu *v = s->vs[s->cur], *prev = s->loaded;
	u64 now = rdtsc(), used = v->used_ticks;
	u64 until = now + (u64)s->credit[s->cur], t = home(v) ? timeout_at(v->guest, now) : 0;

	if (t)
		until = MIN(until, t);
	load(s, v);
	v->polls_console = s->p->console;
	vcpu_run(v, until);
	if (prev && prev != v && v->run_entry_tsc) {
		/* From prev's last exit to v's first entry. */
		u64 ticks = v->run_entry_tsc - prev->last_exit_tsc;

		s->switches++;
		s->switch_ticks += ticks;
		s->switch_min = MIN(s->switch_min, ticks);
	}
	s->credit[s->cur] -= (s64)(v->used_ticks - used);
	check_timeout(v);
	sample_working_set(s, v);
	s->in_turn = s->credit[s->cur] > 0 && runnable(v);
}

/* Builds a guest that asked for a reset again, charging the work to it. */
static void restart(struct sched *s, unsigned k, const struct sched_ops *ops)
{
	struct vcpu *v = s->vs[k];
	struct guest *g = v->guest;
	u64 t0 = rdtsc(), ticks;

	if (!ops->on_restart(g, ops->ctx) && guest_running(g))
		guest_end(g, GUEST_END_ERROR, 0, "could not be restarted");
	ticks = rdtsc() - t0;
	g->vcpus[0].used_ticks += ticks;
	s->credit[k] -= (s64)ticks;
	if (s->cur == k)
		s->in_turn = false;
}

/* Lets go of the current VMCS: the callbacks make other VMCSs current, or free them. */
static void put_loaded(struct sched *s)
{
	if (s->loaded)
		vcpu_put(s->loaded);
	s->loaded = NULL;
}

/* True once every vCPU of g but vCPU 0 has been let go by its CPU (parked). */
static bool others_parked(struct guest *g)
{
	bool all = true;

	for (unsigned i = 1; i < g->vcpu_count; i++)
		if (!__atomic_load_n(&g->vcpus[i].parked, __ATOMIC_ACQUIRE)) {
			vcpu_kick(&g->vcpus[i]); /* its CPU may be halted */
			all = false;
		}
	return all;
}

/*
 * A vCPU whose guest has ended or asks for a reset. Another vCPU than 0 is
 * let go (VMCLEAR on this CPU, where it is active) and parked: for good if
 * the guest has ended, else until its home has built it again. vCPU 0
 * waits for the others to be parked; then its guest is restarted if it
 * asked for a reset, or reported. True once the vCPU is finished here.
 */
static bool finish(struct sched *s, unsigned k, const struct sched_ops *ops)
{
	struct vcpu *v = s->vs[k];
	struct guest *g = v->guest;
	enum guest_end end;

	if (!home(v)) {
		if (!parked(v)) {
			if (s->loaded == v)
				put_loaded(s);
			if (v->cpu != VCPU_NO_CPU)
				vcpu_release(v);
			__atomic_store_n(&v->parked, true, __ATOMIC_RELEASE);
		}
		/*
		 * Finished only once the guest has ended for good: while it
		 * restarts, or runs again (its home may already have rebuilt
		 * it), this vCPU comes back when its home unparks it.
		 */
		end = __atomic_load_n(&g->end, __ATOMIC_ACQUIRE);
		return end != GUEST_RESTARTING && end != GUEST_RUNNING;
	}
	if (!others_parked(g))
		return false; /* their CPUs have not let them go yet: look again */
	if (g->end == GUEST_RESTARTING) {
		put_loaded(s);
		restart(s, k, ops);
		if (guest_running(g))
			return false;
	}
	put_loaded(s);
	ops->on_end(g, ops->ctx);
	__atomic_sub_fetch(s->p->live, 1, __ATOMIC_ACQ_REL);
	return true;
}

/* Finishes the vCPUs whose guest has ended since the last call; returns how many. */
static unsigned reap(struct sched *s, const struct sched_ops *ops)
{
	unsigned finished = 0;

	/* Other vCPUs first: a home here may be waiting for one of them. */
	for (unsigned pass = 0; pass < 2; pass++)
		for (unsigned k = 0; k < s->n; k++) {
			struct vcpu *v = s->vs[k];

			if ((s->done & BIT(k)) || guest_running(v->guest) || home(v) != (pass == 1))
				continue;
			if (finish(s, k, ops)) {
				s->done |= BIT(k);
				finished++;
			}
		}
	return finished;
}

/* What this CPU's vCPUs cost: the switch line, its CPU named when it is not the console's. */
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

/* The guests at home here (the end line counts them). */
static unsigned homes(const struct sched *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < s->n; i++)
		n += home(s->vs[i]);
	return n;
}

void sched_run(const struct sched_params *p)
{
	struct sched s = {.p = p,
			  .cpu = this_cpu()->index,
			  .vs = p->vs,
			  .n = p->n,
			  .slice = p->slice,
			  .switch_min = ~0ULL};
	unsigned live = p->n;

	CHECK(p->n <= ARRAY_SIZE(s.credit));
	CHECK(p->slice > 0 && p->slice <= (u64)INT64_MAX / 2);
	CHECK(!p->console || s.cpu == 0); /* the boot CPU takes no wake-up IPI: it never halts */
	for (unsigned i = 0; i < p->n; i++)
		CHECK(p->vs[i]->home_cpu == (int)s.cpu);
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
		if (!live) {
			/* the console CPU, for the other CPUs' guests: zero for the pool, or wait
			 */
			if (!pmm_zero_step(&s.zero))
				idle_wait(&s, 0);
		} else if (s.in_turn && runnable(s.vs[s.cur])) {
			run_turn(&s);
		} else if (!next_turn(&s)) {
			if (idle_until_event(&s))
				for (unsigned k = 0; k < s.n; k++)
					check_timeout(s.vs[k]);
		} else if (s.in_turn) {
			run_turn(&s);
		}
		live -= reap(&s, p->ops);
	}
	pmm_zero_abandon(&s.zero);
	say_switches(&s);
	if (!p->console && homes(&s) == s.n)
		pr_info("sched: CPU %u: its %u guest(s) ended; it halted %lu times waiting for "
			"them, woken by %lu IPIs",
			s.cpu, s.n, this_cpu()->halts, this_cpu()->wakes);
	else if (!p->console)
		pr_info("sched: CPU %u: its %u guest(s) and %u vCPU(s) of guests at home "
			"elsewhere ended; it halted %lu times waiting for them, woken by %lu IPIs",
			s.cpu, homes(&s), s.n - homes(&s), this_cpu()->halts, this_cpu()->wakes);
	if (smp_kicks_by_nmi())
		pr_info("sched: CPU %u: kicked by %lu NMIs", s.cpu, this_cpu()->nmi_kicks);
	if (p->console) {
		__atomic_store_n(&sched_focus, NULL, __ATOMIC_RELEASE);
		pr_info("sched: console output waited at most %lu ticks for the line",
			console_longest_wait(false));
	}
}
