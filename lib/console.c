/*
 * Console multiplexer and log formatting. Lines are formatted into one
 * buffer and written whole, so a line is never interleaved mid-way. The
 * one unfinished line the console may end with (a prompt: the focused
 * guest's or the monitor's) belongs to an owner; other output ends it with
 * a newline first, and its owner shows it again, whole, when it next looks.
 * Boot CPU only for now (the other CPUs print nothing): when guests run on
 * several CPUs this takes a lock.
 */
#include "lib/console.h"
#include "arch/x86/uart.h"
#include "arch/x86/vga.h"
#include "lib/format.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "lib/term_line.h"

#define LINE_MAX 512

/* Shared, write-once at boot: console_init, console_select, console_set_loglevel. */
static unsigned console_sinks;
static bool com1_ok;
static enum log_level console_level = LOG_INFO;
/* Shared, boot CPU only: the line being written; later: console lock. */
static char line_buf[LINE_MAX];
/*
 * Shared, boot CPU only: the unfinished line the output ends with: whose,
 * what the terminal shows of it and where its cursor stands; later: console lock.
 */
static const void *open_owner;
static char open_text[TERM_LINE_MAX];
static unsigned open_len, open_cursor;
static char redraw_buf[TERM_REDRAW_MAX];

void console_init(void)
{
	com1_ok = uart_init();
	vga_init();
	console_sinks = CONSOLE_VGA | (com1_ok ? CONSOLE_COM1 : 0);
}

bool console_select(unsigned sinks)
{
	if (!com1_ok)
		sinks &= ~CONSOLE_COM1;
	if (!sinks)
		return false;
	console_sinks = sinks;
	return true;
}

bool console_has_com1(void)
{
	return com1_ok && (console_sinks & CONSOLE_COM1);
}

void console_set_loglevel(enum log_level level)
{
	console_level = level;
}

bool console_room(size_t n, size_t keep)
{
	if (!(console_sinks & CONSOLE_COM1))
		return true; /* the VGA text screen never waits */
	return uart_has_room((u32)(n + keep));
}

static void sinks_write(const char *s, size_t n)
{
	if (console_sinks & CONSOLE_COM1)
		uart_write(s, n);
	if (console_sinks & CONSOLE_VGA)
		vga_write(s, n);
}

/* Ends the unfinished line, if any: what follows starts a line of its own. */
static void open_break(void)
{
	if (!open_owner)
		return;
	sinks_write("\n", 1);
	open_owner = NULL;
}

void console_write(const char *s, size_t n)
{
	open_break();
	sinks_write(s, n);
}

bool console_open_is(const void *owner)
{
	return owner && open_owner == owner;
}

void console_open_show(const void *owner, const char *prefix, const char *text, size_t len,
		       size_t cursor, bool end)
{
	CHECK(owner && len <= TERM_LINE_MAX && cursor <= len);
	if (end)
		cursor = len; /* the newline goes after the whole line */
	if (open_owner != owner) {
		open_break();
		sinks_write(prefix, strlen(prefix));
		open_len = open_cursor = 0;
	}
	sinks_write(redraw_buf, term_redraw(open_text, open_len, open_cursor, text, (unsigned)len,
					    (unsigned)cursor, redraw_buf));
	if (end) {
		sinks_write("\n", 1);
		open_owner = NULL;
		return;
	}
	memcpy(open_text, text, len);
	open_len = (unsigned)len;
	open_cursor = (unsigned)cursor;
	open_owner = owner;
}

void console_open_end(const void *owner)
{
	if (owner && open_owner == owner)
		open_break();
}

static void vprint(const char *prefix, const char *fmt, va_list ap)
{
	size_t plen = strlen(prefix);
	int n;

	memcpy(line_buf, prefix, plen);
	n = fmt_vsnprintf(line_buf + plen, LINE_MAX - plen - 1, fmt, ap);
	n = MIN((size_t)n, LINE_MAX - plen - 2) + plen;
	if (*prefix && (n == 0 || line_buf[n - 1] != '\n'))
		line_buf[n++] = '\n';
	console_write(line_buf, (size_t)n);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint("", fmt, ap);
	va_end(ap);
}

void klog(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > console_level)
		return;
	va_start(ap, fmt);
	vprint("keel: ", fmt, ap);
	va_end(ap);
}

size_t console_read(u8 *buf, size_t max)
{
	return console_has_com1() ? uart_read(buf, max) : 0;
}

u32 console_mark(void)
{
	return uart_mark();
}

bool console_sent(u32 mark)
{
	return !(console_sinks & CONSOLE_COM1) || uart_sent(mark);
}

void console_flush(void)
{
	if (console_sinks & CONSOLE_COM1)
		uart_drain();
}
