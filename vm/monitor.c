/*
 * Keel's monitor (vm/monitor.h). Its answers are Keel lines
 * ("keel: monitor: ..."), so they read as Keel's in any log.
 */
#include "vm/monitor.h"
#include "lib/console.h"
#include "lib/format.h"
#include "lib/string.h"
#include "arch/x86/apic_regs.h"
#include "arch/x86/cpu.h"
#include "vm/apic_core.h"
#include "vm/guest.h"

#define MONITOR_PROMPT_LEN (sizeof(MONITOR_PROMPT) - 1)

void monitor_show(struct monitor *m)
{
	console_open_show(m, "", m->text, m->len, m->len, false); /* only changes are drawn */
}

void monitor_open(struct monitor *m)
{
	memcpy(m->text, MONITOR_PROMPT, MONITOR_PROMPT_LEN);
	m->len = MONITOR_PROMPT_LEN;
	m->after_cr = false;
	monitor_show(m);
}

static const char *guest_state(const struct guest *g)
{
	if (!guest_running(g))
		return "ended";
	if (!g->vcpus[0].blocked)
		return "running";
	return g->vcpus[0].blocked_on ? "waiting for a device" : "halted";
}

static void monitor_list(struct guest *const *gs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		const struct guest *g = gs[i];

		pr_info("monitor: guest %s: %s%s%s, exits %lu, frames held %lu, ticks %lu", g->name,
			guest_state(g), guest_running(g) ? "" : " by ",
			guest_running(g) ? "" : guest_end_name(g->end), guest_exits(g),
			g->frames.held, g->vcpus[0].used_ticks);
	}
}

/* How far t is from now, for a line: "in N", "N ago" or "off". */
static void say_when(char *buf, unsigned size, u64 t, u64 now)
{
	if (!t)
		fmt_snprintf(buf, size, "off");
	else if (t >= now)
		fmt_snprintf(buf, size, "in %lu", t - now);
	else
		fmt_snprintf(buf, size, "%lu ago", now - t);
}

/*
 * `v`: each vCPU's state and what is pending for it, for a guest that
 * seems stuck. Read without locks from other CPUs' vCPUs: a snapshot that
 * may be a moment stale, never acted on.
 */
static void monitor_vcpus(struct guest *const *gs, unsigned n)
{
	u64 now = rdtsc();

	for (unsigned i = 0; i < n; i++) {
		const struct guest *g = gs[i];
		char when[32];

		if (!guest_running(g))
			continue;
		for (unsigned t = 0; t < g->vtimer_count; t++) {
			say_when(when, sizeof(when), g->vtimers[t]->deadline, now);
			pr_info("monitor: guest %s: timer %u: %s", g->name, t, when);
		}
		for (unsigned k = 0; k < g->vcpu_count; k++) {
			const struct vcpu *v = &g->vcpus[k];
			const u32 *page = v->lapic.page;
			const char *state = v->wait_sipi    ? "waiting for SIPI"
					    : !v->blocked   ? "runnable"
					    : v->blocked_on ? "waiting for a device"
							    : "halted";

			say_when(when, sizeof(when), v->lapic.timer.deadline, now);
			pr_info(
			    "monitor: guest %s: vcpu %u on CPU %d: %s%s (rip 0x%lx after HLT, "
			    "0x%lx IF=%d at the last timer exit), intr_dirty %d, NMI pending %d, "
			    "signals %u; APIC IRR top %d, ISR top %d, TPR 0x%x, PPR 0x%x, timer %s",
			    g->name, k, v->home_cpu, state,
			    v->blocked && !v->blocked_on
				? (v->halted_if_clear ? ", IF=0" : ", IF=1")
				: "",
			    v->halt_rip, v->timer_rip, (int)((v->timer_rflags >> 9) & 1),
			    v->intr_dirty, v->nmi_pending, v->signals,
			    page ? apic_vec_highest(page, APIC_IRR) : -1,
			    page ? apic_vec_highest(page, APIC_ISR) : -1,
			    page ? apic_get(page, APIC_TPR) : 0,
			    page ? apic_get(page, APIC_PPR) : 0, when);
		}
	}
}

static void monitor_run(const char *cmd, unsigned len, struct guest *const *gs, unsigned n)
{
	while (len && *cmd == ' ') {
		cmd++;
		len--;
	}
	while (len && cmd[len - 1] == ' ')
		len--;
	if (!len)
		return;
	if (len == 1 && *cmd == 'l')
		monitor_list(gs, n);
	else if (len == 1 && *cmd == 'v')
		monitor_vcpus(gs, n);
	else if (len == 1 && (*cmd == 'h' || *cmd == '?'))
		pr_info("monitor: l: list the guests; v: their vCPUs and what is pending for them; "
			"h: this help; Ctrl-A three times: input to the next guest");
	else
		pr_info("monitor: unknown command '%c' (h: help)", *cmd);
}

void monitor_key(struct monitor *m, u8 key, struct guest *const *gs, unsigned n)
{
	bool lf_after_cr = key == '\n' && m->after_cr;

	m->after_cr = key == '\r';
	if (lf_after_cr)
		return;
	if (key == '\r' || key == '\n') {
		console_open_show(m, "", m->text, m->len, m->len, true);
		monitor_run(m->text + MONITOR_PROMPT_LEN, m->len - MONITOR_PROMPT_LEN, gs, n);
		monitor_open(m);
		return;
	}
	if (key == 0x08 || key == 0x7F) { /* BS, DEL: what a Backspace key sends */
		if (m->len > MONITOR_PROMPT_LEN)
			m->len--;
		monitor_show(m);
		return;
	}
	if (key < 0x20 || key >= 0x7F || m->len == sizeof(m->text) - 1)
		return;
	m->text[m->len++] = (char)key;
	monitor_show(m);
}
