/*
 * Where the keys typed at Keel's console go: to one guest at a time (the
 * focused one, the first by default) or to Keel's monitor. Ctrl-A pressed
 * three times in a row moves the focus on: each guest in turn, then the
 * monitor, then the first guest again; ended guests are skipped. A Ctrl-A
 * followed by any other key is passed on with that key, so a guest still
 * gets its Ctrl-A (the Ctrl-As held back reach it with the next key).
 *
 * Pure: guests are indices 0..n-1, the monitor is index n, and which
 * guests still run is a bit mask. vm/console_input.c drives it;
 * host-tested in tests/unit/test_input_focus.c.
 */
#ifndef KEEL_VM_INPUT_FOCUS_H
#define KEEL_VM_INPUT_FOCUS_H

#include "lib/types.h"

#define INPUT_FOCUS_ESCAPE	 0x01 /* Ctrl-A */
#define INPUT_FOCUS_ESCAPE_COUNT 3
#define INPUT_FOCUS_MAX_GUESTS	 64 /* bits of the live mask */

struct input_focus {
	unsigned n;	  /* guests; index n is the monitor */
	unsigned focus;	  /* who gets the keys */
	unsigned escapes; /* Ctrl-As seen in a row, held back */
};

/* What one key does: bytes for `to` (the focus), and whether the focus moved first. */
struct input_route {
	unsigned to;
	u8 bytes[INPUT_FOCUS_ESCAPE_COUNT];
	unsigned len;
	bool moved;
};

/* n guests (at most INPUT_FOCUS_MAX_GUESTS); the focus on the first live one, else the monitor. */
void input_focus_init(struct input_focus *f, unsigned n, u64 live);
/* True while the focus is the monitor. */
bool input_focus_on_monitor(const struct input_focus *f);
/* Who comes after `from` in the Ctrl-A order: the next live guest, or the monitor after the last.
 */
unsigned input_focus_next(const struct input_focus *f, unsigned from, u64 live);
/*
 * One key typed: fills r. Ctrl-A is held back; the third in a row moves
 * the focus (r->moved, nothing to deliver). Any other key goes, after the
 * Ctrl-As held back, to the focus.
 */
void input_focus_key(struct input_focus *f, u8 key, u64 live, struct input_route *r);
/*
 * The focused guest ended: the focus moves to the next live guest after
 * it (wrapping), or to the monitor when none is left; Ctrl-As held back
 * are forgotten. True if it moved.
 */
bool input_focus_check(struct input_focus *f, u64 live);

#endif
