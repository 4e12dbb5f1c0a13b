/*
 * The focus and escape state machine of vm/input_focus.h.
 */
#include "vm/input_focus.h"

static bool live_guest(const struct input_focus *f, unsigned i, u64 live)
{
	return i < f->n && (live & BIT(i));
}

void input_focus_init(struct input_focus *f, unsigned n, u64 live)
{
	f->n = MIN(n, (unsigned)INPUT_FOCUS_MAX_GUESTS);
	f->escapes = 0;
	f->focus = f->n; /* the monitor unless a guest runs */
	for (unsigned i = 0; i < f->n; i++) {
		if (live_guest(f, i, live)) {
			f->focus = i;
			break;
		}
	}
}

bool input_focus_on_monitor(const struct input_focus *f)
{
	return f->focus == f->n;
}

unsigned input_focus_next(const struct input_focus *f, unsigned from, u64 live)
{
	for (unsigned k = 1; k <= f->n; k++) {
		unsigned i = (from + k) % (f->n + 1);

		if (i == f->n || live_guest(f, i, live))
			return i;
	}
	return f->n; /* no guest at all */
}

void input_focus_key(struct input_focus *f, u8 key, u64 live, struct input_route *r)
{
	r->len = 0;
	r->moved = false;
	if (key == INPUT_FOCUS_ESCAPE && ++f->escapes == INPUT_FOCUS_ESCAPE_COUNT) {
		f->escapes = 0;
		f->focus = input_focus_next(f, f->focus, live);
		r->moved = true;
	} else if (key != INPUT_FOCUS_ESCAPE) {
		while (f->escapes) {
			r->bytes[r->len++] = INPUT_FOCUS_ESCAPE;
			f->escapes--;
		}
		r->bytes[r->len++] = key;
	}
	r->to = f->focus;
}

bool input_focus_check(struct input_focus *f, u64 live)
{
	if (input_focus_on_monitor(f) || live_guest(f, f->focus, live))
		return false;
	f->escapes = 0;
	for (unsigned k = 1; k < f->n; k++) {
		unsigned i = (f->focus + k) % f->n;

		if (live_guest(f, i, live)) {
			f->focus = i;
			return true;
		}
	}
	f->focus = f->n;
	return true;
}
