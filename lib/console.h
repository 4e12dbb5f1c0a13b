/*
 * Keel's console: every line Keel prints goes through here to the sinks
 * chosen by `console=` (COM1, VGA text, the framebuffer, or COM1 and
 * whichever screen the machine has). Log lines carry the "keel: " prefix
 * and are filtered by `loglevel=`.
 */
#ifndef KEEL_LIB_CONSOLE_H
#define KEEL_LIB_CONSOLE_H

#include "lib/fbcon.h"
#include "lib/types.h"

#define CONSOLE_COM1   BIT(0)
#define CONSOLE_VGA    BIT(1) /* the VGA text screen at 0xB8000 */
#define CONSOLE_FB     BIT(2) /* the boot loader's linear framebuffer */
#define CONSOLE_SCREEN BIT(3) /* for console_select: the screen console_screen found */

enum log_level {
	LOG_ERR = 0,
	LOG_WARN = 1,
	LOG_INFO = 2,
	LOG_DEBUG = 3,
};

/* Brings up both sinks (output before the command line is parsed goes to both). */
void console_init(void);
/*
 * The console lock's owner token for the CPU that calls (nonzero; its
 * index + 1): set once at boot, before any other CPU starts; until then
 * every caller is the boot CPU.
 */
void console_set_cpu_token(u32 (*token)(void));
/*
 * Says which screen the machine has (boot/init.c, from the multiboot2
 * framebuffer tag, before console_select): the linear framebuffer mode m,
 * mapped at pixels, when m is not NULL, else VGA text if `text`, else none.
 * Nothing is drawn until console_select picks the screen.
 */
void console_screen(const struct fb_mode *m, void *pixels, bool text);
/*
 * Restricts output to the given sinks (CONSOLE_*); CONSOLE_SCREEN stands
 * for the framebuffer if console_screen gave one Keel's font fits (then it
 * is cleared and drawn on from here), else VGA text if the machine is in
 * text mode. A framebuffer that cannot be used is named in one warning
 * line. Returns false if no sink works (the sinks then stay as they were).
 */
bool console_select(unsigned sinks);
void console_set_loglevel(enum log_level level);
bool console_has_com1(void);

void console_write(const char *s, size_t n);
/*
 * Keys typed at Keel's console: up to max bytes that have arrived on COM1,
 * without waiting (0 when COM1 is not one of the console's sinks: input
 * comes only where the output is seen).
 */
size_t console_read(u8 *buf, size_t max);
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
 * Unfinished lines. The console's output may end with one line that has no
 * newline yet (a prompt), owned by whoever shows it (a guest's UART, the
 * monitor): any other output first ends it with a newline, and its owner
 * shows it again, whole, when it next looks (console_open_is() is then
 * false). So lines never interleave.
 *
 * console_open_show(): makes the console show owner's line: prefix, then
 * text[0, len) (len <= TERM_LINE_MAX) with the terminal's cursor at column
 * `cursor`. When that line is already the open one only what changed is
 * redrawn, with backspaces, blanks and text (lib/term_line.h), so a line
 * the owner edits (a shell's line editing) looks on Keel's terminal as it
 * does on the owner's; else it starts on a line of its own. With `end` the
 * line is finished with a newline and is no longer open.
 * console_open_end(): finishes owner's line, if open, with a newline as it
 * stands.
 */
void console_open_show(const void *owner, const char *prefix, const char *text, size_t len,
		       size_t cursor, bool end);
bool console_open_is(const void *owner);
void console_open_end(const void *owner);
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
/* Moves queued output on to the serial line (the scheduler's housekeeping). */
void console_poll(void);
/* The longest time queued output waited for the line since the last reset, in ticks. */
u64 console_longest_wait(bool reset);
/* Raw formatted output with no prefix and no level. */
void kprintf(const char *fmt, ...) __printf(1, 2);
/* One log line: "keel: " + text; a trailing newline is added if missing. */
void klog(enum log_level level, const char *fmt, ...) __printf(2, 3);

#define pr_err(...)   klog(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)  klog(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  klog(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) klog(LOG_DEBUG, __VA_ARGS__)

#endif
