/*
 * Keel's monitor: where the keys typed at Keel's console go after the last
 * guest (vm/input_focus.h). It reads a line at its "keel> " prompt and
 * answers one-letter commands: `l` lists the guests (name, running,
 * halted, waiting for a device or ended, exits, frames held, ticks run),
 * `v` their vCPUs and what is pending for them (state, the RIP of a HLT,
 * the local APIC's highest requested and in-service vectors, timers),
 * `h` says what there is.
 * Its prompt is an unfinished console line (lib/console.h), shown again
 * after other output ends it.
 */
#ifndef KEEL_VM_MONITOR_H
#define KEEL_VM_MONITOR_H

#include "lib/types.h"

struct guest;

#define MONITOR_PROMPT	  "keel> "
#define MONITOR_INPUT_MAX 32

struct monitor {
	char text[sizeof(MONITOR_PROMPT) + MONITOR_INPUT_MAX]; /* the prompt, then what was typed */
	unsigned len;
	bool after_cr; /* the last key was CR: a LF right after it is the same Enter */
};

/* Starts a fresh prompt and shows it. */
void monitor_open(struct monitor *m);
/* Shows the prompt line again if other output has ended it. */
void monitor_show(struct monitor *m);
/*
 * One key: printable ones are echoed, Backspace (BS or DEL) takes one
 * back, Enter (CR, LF or CR LF) runs the line; the rest is ignored.
 */
void monitor_key(struct monitor *m, u8 key, struct guest *const *gs, unsigned n);

#endif
