/*
 * Keel's console: every line Keel prints goes through here to the sinks
 * chosen by `console=` (COM1, VGA text, or both). Log lines carry the
 * "keel: " prefix and are filtered by `loglevel=`.
 */
#ifndef KEEL_LIB_CONSOLE_H
#define KEEL_LIB_CONSOLE_H

#include "lib/types.h"

#define CONSOLE_COM1 BIT(0)
#define CONSOLE_VGA  BIT(1)

enum log_level {
	LOG_ERR = 0,
	LOG_WARN = 1,
	LOG_INFO = 2,
	LOG_DEBUG = 3,
};

/* Brings up both sinks (output before the command line is parsed goes to both). */
void console_init(void);
/* Restricts output to the given sinks (CONSOLE_*); returns false if none works. */
bool console_select(unsigned sinks);
void console_set_loglevel(enum log_level level);
bool console_has_com1(void);

void console_write(const char *s, size_t n);
/*
 * True if n more bytes of guest output can be queued without Keel waiting
 * on the line, while `keep` bytes (CONSOLE_KEEL_RESERVE: room for Keel's
 * own lines) stay free. Guest consoles (dev/uart16550.c) hold their output back while
 * this is false: a guest that prints faster than the line runs waits, it
 * does not make Keel wait.
 */
#define CONSOLE_KEEL_RESERVE 4096
bool console_room(size_t n, size_t keep);
/*
 * Waits (bounded) until everything written has left the serial line: only
 * where Keel stops (the end of a run), never while guests run, where the
 * scheduler's housekeeping moves the output on.
 */
void console_flush(void);
/* A mark for everything written so far, and whether all of it has gone out (a guest UART's TEMT).
 */
u32 console_mark(void);
bool console_sent(u32 mark);
/* Raw formatted output with no prefix and no level. */
void kprintf(const char *fmt, ...) __printf(1, 2);
/* One log line: "keel: " + text; a trailing newline is added if missing. */
void klog(enum log_level level, const char *fmt, ...) __printf(2, 3);

#define pr_err(...)   klog(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)  klog(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  klog(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) klog(LOG_DEBUG, __VA_ARGS__)

#endif
