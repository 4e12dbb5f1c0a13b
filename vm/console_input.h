/*
 * Keys typed at Keel's console (COM1), polled by the scheduler: to the
 * focused guest's COM1 (dev/uart16550.c), or to Keel's monitor; Ctrl-A
 * three times moves the focus (vm/input_focus.h). Each move prints one
 * line saying where the keys go now and how to move on. Also shows the
 * monitor's unfinished line (a prompt); the focused guest's is shown by
 * the CPU it runs on (console_input_focus tells which guest that is).
 */
#ifndef KEEL_VM_CONSOLE_INPUT_H
#define KEEL_VM_CONSOLE_INPUT_H

#include "lib/types.h"
#include "vm/input_focus.h"
#include "vm/monitor.h"

struct guest;

struct console_input {
	struct guest *const *gs;
	unsigned n;
	bool on; /* Keel's console is on COM1: keys can come */
	struct input_focus focus;
	struct monitor mon;
};

/* For the guests gs[0..n) of one scheduler run; says where the keys go first. */
void console_input_start(struct console_input *in, struct guest *const *gs, unsigned n);
/*
 * Takes the keys that have arrived (a bounded number) to where they go,
 * moves the focus off a guest that ended, and shows the focused party's
 * unfinished line.
 */
void console_input_poll(struct console_input *in);
/* The guest keys go to now; NULL: the monitor, or no keys can come. */
struct guest *console_input_focus(const struct console_input *in);
/* Keys can come (a halted guest waiting for them is not stuck). */
bool console_input_on(const struct console_input *in);

#endif
