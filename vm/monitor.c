/*
 * Keel's monitor (vm/monitor.h). Its answers are Keel lines
 * ("keel: monitor: ..."), so they read as Keel's in any log.
 */
#include "vm/monitor.h"
#include "lib/console.h"
#include "lib/string.h"
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
			guest_running(g) ? "" : guest_end_name(g->end), g->stats.exits,
			g->frames.held, g->vcpus[0].used_ticks);
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
	else if (len == 1 && (*cmd == 'h' || *cmd == '?'))
		pr_info("monitor: l: list the guests; h: this help; Ctrl-A three times: input to "
			"the next guest");
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
