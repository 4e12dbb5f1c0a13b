/*
 * Console multiplexer and log formatting. The sinks: COM1 (arch/x86/uart.c),
 * the VGA text screen (arch/x86/vga.c) and a framebuffer drawn with the font
 * linked into Keel (lib/fbcon.c, lib/console_font.S; docs/architecture.md,
 * The screen). Lines are formatted into one buffer and written whole, so a
 * line is never interleaved mid-way. The one unfinished line the console may
 * end with (a prompt: the focused guest's or the monitor's) belongs to an
 * owner; other output ends it with a newline first, and its owner shows it
 * again, whole, when it next looks. Any CPU may print: every public function
 * here holds the console lock (docs/architecture.md, Lock order) while it
 * touches the line buffer, the unfinished line or the sinks (Keel's UART
 * ring, the VGA screen, the framebuffer console's grid), so lines from
 * different CPUs never mix within a line. A CPU that already holds it (a
 * fault report taken while printing) goes on without waiting for itself; a
 * wait that lasts too long prints anyway.
 */
#include "lib/console.h"
#include "arch/x86/uart.h"
#include "arch/x86/vga.h"
#include "lib/fbcon.h"
#include "lib/format.h"
#include "lib/panic.h"
#include "lib/psf.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "lib/term_line.h"

#define LINE_MAX 512
/* Pauses a CPU waits for the console lock before it prints anyway. */
#define CONSOLE_LOCK_SPINS (1ULL << 26)

/* The PSF font lib/console_font.S links in. */
extern const u8 console_font_psf[], console_font_psf_end[];

/* Shared, write-once at boot: console_init, console_select, console_set_loglevel. */
static unsigned console_sinks;
static bool com1_ok;
static enum log_level console_level = LOG_INFO;
/* Shared, write-once at boot: console_screen and console_select, before other CPUs start. */
static bool vga_text = true;
static struct fb_mode fb_mode;
static void *fb_pixels;
static bool fb_on;
static struct psf_font fb_font;
/* Shared, lock console: the framebuffer console's grid and cursor. */
static struct fbcon fb_con;
/* Shared, atomic: the lock itself. */
static struct spinlock console_lock = SPINLOCK_INIT("console");
/* Shared, write-once at boot: console_set_cpu_token, before other CPUs start. */
static u32 (*console_token)(void);
/* Shared, lock console: the line being written. */
static char line_buf[LINE_MAX];
/*
 * Shared, lock console: the unfinished line the output ends with: whose,
 * what the terminal shows of it and where its cursor stands.
 */
static const void *open_owner;
static char open_text[TERM_LINE_MAX];
static unsigned open_len, open_cursor;
static char redraw_buf[TERM_REDRAW_MAX];

void console_set_cpu_token(u32 (*token)(void))
{
	console_token = token;
}

/* Takes the console lock; false if this CPU already held it (then it must not release it). */
static bool console_enter(void)
{
	u32 me = console_token ? console_token() : 1;

	if (spin_held_by(&console_lock, me))
		return false; /* printing from inside a print: a fault report */
	/* A wedged holder: print anyway rather than never (the run is ending then). */
	return spin_lock_bounded(&console_lock, me, CONSOLE_LOCK_SPINS);
}

static void console_leave(bool took)
{
	if (took)
		spin_unlock(&console_lock);
}

void console_init(void)
{
	com1_ok = uart_init();
	vga_init();
	console_sinks = CONSOLE_VGA | (com1_ok ? CONSOLE_COM1 : 0);
}

void console_screen(const struct fb_mode *m, void *pixels, bool text)
{
	vga_text = !m && text;
	fb_pixels = m ? pixels : NULL;
	if (m)
		fb_mode = *m;
}

/* Parses the font and starts the framebuffer console; false after a warning line. */
static bool fb_start(void)
{
	char err[128];

	if (fb_on)
		return true;
	if (!fb_pixels)
		return false;
	if (psf_parse(console_font_psf,
		      (size_t)((uintptr_t)console_font_psf_end - (uintptr_t)console_font_psf),
		      &fb_font, err, sizeof(err))) {
		pr_warn("console: framebuffer not used: the font: %s", err);
		return false;
	}
	if (fb_mode.width < fb_font.width || fb_mode.height < fb_font.height) {
		pr_warn("console: framebuffer not used: %ux%u is smaller than one %ux%u glyph",
			fb_mode.width, fb_mode.height, fb_font.width, fb_font.height);
		return false;
	}
	fbcon_init(&fb_con, fb_pixels, &fb_mode, &fb_font);
	fb_on = true;
	/* The line below goes to the screen it describes (VGA text is not shown now). */
	console_sinks = (console_sinks & ~CONSOLE_VGA) | CONSOLE_FB;
	pr_info("console: framebuffer %ux%u, %u bits per pixel at 0x%lx: %ux%u cells of %ux%u",
		fb_mode.width, fb_mode.height, fb_mode.bpp, fb_mode.addr, fb_con.cols, fb_con.rows,
		fb_font.width, fb_font.height);
	return true;
}

bool console_select(unsigned sinks)
{
	if (sinks & CONSOLE_SCREEN) {
		sinks &= ~CONSOLE_SCREEN;
		if (fb_pixels)
			sinks |= CONSOLE_FB;
		else if (vga_text)
			sinks |= CONSOLE_VGA;
	}
	if (!com1_ok)
		sinks &= ~CONSOLE_COM1;
	if ((sinks & CONSOLE_FB) && !fb_start())
		sinks &= ~CONSOLE_FB;
	if (!sinks)
		return false;
	if ((console_sinks & CONSOLE_COM1) && !(sinks & CONSOLE_COM1))
		console_flush(); /* what was queued for COM1 leaves whole before it is dropped */
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
	bool took, room;

	if (!(console_sinks & CONSOLE_COM1) || uart_room_now((u32)(n + keep)))
		return true; /* the screens never wait; room without asking */
	took = console_enter();
	room = uart_has_room((u32)(n + keep));
	console_leave(took);
	return room;
}

static void sinks_write(const char *s, size_t n)
{
	if (console_sinks & CONSOLE_COM1)
		uart_write(s, n);
	if (console_sinks & CONSOLE_VGA)
		vga_write(s, n);
	if (console_sinks & CONSOLE_FB)
		fbcon_write(&fb_con, s, n);
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
	bool took = console_enter();

	open_break();
	sinks_write(s, n);
	console_leave(took);
}

bool console_open_is(const void *owner)
{
	return owner && __atomic_load_n(&open_owner, __ATOMIC_RELAXED) == owner;
}

static void open_show(const void *owner, const char *prefix, const char *text, size_t len,
		      size_t cursor, bool end)
{
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

void console_open_show(const void *owner, const char *prefix, const char *text, size_t len,
		       size_t cursor, bool end)
{
	bool took;

	CHECK(owner && len <= TERM_LINE_MAX && cursor <= len);
	took = console_enter();
	open_show(owner, prefix, text, len, cursor, end);
	console_leave(took);
}

void console_open_end(const void *owner)
{
	bool took = console_enter();

	if (owner && open_owner == owner)
		open_break();
	console_leave(took);
}

static void vprint(const char *prefix, const char *fmt, va_list ap)
{
	size_t plen = strlen(prefix);
	bool took = console_enter();
	int n;

	memcpy(line_buf, prefix, plen);
	n = fmt_vsnprintf(line_buf + plen, LINE_MAX - plen - 1, fmt, ap);
	n = MIN((size_t)n, LINE_MAX - plen - 2) + plen;
	if (*prefix && (n == 0 || line_buf[n - 1] != '\n'))
		line_buf[n++] = '\n';
	open_break();
	sinks_write(line_buf, (size_t)n);
	console_leave(took);
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
	bool took = console_enter();
	size_t n = console_has_com1() ? uart_read(buf, max) : 0;

	console_leave(took);
	return n;
}

u32 console_mark(void)
{
	return uart_mark(); /* one aligned read: no lock (arch/x86/uart.c) */
}

bool console_sent(u32 mark)
{
	bool took, sent;

	if (!(console_sinks & CONSOLE_COM1) || uart_sent_now(mark))
		return true;
	took = console_enter();
	sent = uart_sent(mark);
	console_leave(took);
	return sent;
}

void console_flush(void)
{
	bool took = console_enter();

	if (console_sinks & CONSOLE_COM1)
		uart_drain();
	console_leave(took);
}

void console_poll(void)
{
	bool took = console_enter();

	uart_poll();
	console_leave(took);
}

u64 console_longest_wait(bool reset)
{
	bool took = console_enter();
	u64 w = uart_longest_wait(reset);

	console_leave(took);
	return w;
}
