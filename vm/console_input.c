/*
 * Console input (vm/console_input.h): Keel's UART is read a byte at a
 * time, each byte goes through the focus state machine, and its bytes go
 * to the focused guest's UART or to the monitor.
 */
#include "vm/console_input.h"
#include "dev/dev.h"
#include "lib/console.h"
#include "vm/guest.h"

#define CONSOLE_INPUT_BATCH 16 /* keys taken per poll at most: a FIFO's worth */

/* Running, or being restarted (the keys stay with it: it comes back). */
static bool keeps_focus(const struct guest *g)
{
	enum guest_end end = __atomic_load_n(&g->end, __ATOMIC_ACQUIRE);

	return end == GUEST_RUNNING || end == GUEST_RESTARTING;
}

static u64 live_mask(const struct console_input *in)
{
	u64 live = 0;

	for (unsigned i = 0; i < MIN(in->n, (unsigned)INPUT_FOCUS_MAX_GUESTS); i++)
		if (keeps_focus(in->gs[i]))
			live |= BIT(i);
	return live;
}

/* The line every move of the focus prints; the monitor then shows its prompt. */
static void say_focus(struct console_input *in)
{
	if (input_focus_on_monitor(&in->focus)) {
		pr_info("input: to the monitor (Ctrl-A three times: next)");
		monitor_open(&in->mon);
	} else {
		pr_info("input: to guest %s (Ctrl-A three times: next)",
			in->gs[in->focus.focus]->name);
	}
}

/*
 * Takes one key's bytes where they go. A guest whose input queue is full
 * (it does not read its keys) loses them, counted in its UART: Keel reads
 * on, so Ctrl-A always reaches it. A guest that ended drops its keys, and
 * so does one while it is rebuilt after a reset (its UART is new after).
 */
static void deliver(struct console_input *in, const struct input_route *r)
{
	for (unsigned i = 0; i < r->len; i++) {
		if (r->to == in->focus.n)
			monitor_key(&in->mon, r->bytes[i], in->gs, in->n);
		else if (guest_running(in->gs[r->to]))
			uart16550_receive(in->gs[r->to], r->bytes[i]);
	}
}

/* The monitor's unfinished line; a guest's is shown by its own CPU (vm/sched.c). */
static void show_open_line(struct console_input *in)
{
	if (input_focus_on_monitor(&in->focus))
		monitor_show(&in->mon);
}

struct guest *console_input_focus(const struct console_input *in)
{
	if (!in->on || input_focus_on_monitor(&in->focus))
		return NULL;
	return in->gs[in->focus.focus];
}

void console_input_poll(struct console_input *in)
{
	u8 key;

	if (!in->on)
		return;
	if (!input_focus_on_monitor(&in->focus) && !keeps_focus(in->gs[in->focus.focus]) &&
	    input_focus_check(&in->focus, live_mask(in)))
		say_focus(in);
	for (unsigned k = 0; k < CONSOLE_INPUT_BATCH && console_read(&key, 1); k++) {
		struct input_route r;

		input_focus_key(&in->focus, key, live_mask(in), &r);
		if (r.moved)
			say_focus(in);
		deliver(in, &r);
	}
	show_open_line(in);
}

bool console_input_on(const struct console_input *in)
{
	return in->on;
}

void console_input_start(struct console_input *in, struct guest *const *gs, unsigned n)
{
	*in = (struct console_input){.gs = gs, .n = n};
	input_focus_init(&in->focus, n, live_mask(in));
	in->on = n && console_has_com1();
	if (in->on)
		say_focus(in);
}
