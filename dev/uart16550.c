/*
 * A guest's COM1: the 16550A of dev/uart16550_core.c at 0x3F8, its
 * interrupt output on ISA IRQ 4 (uart16550_set_irq).
 *
 * Output: each line the guest writes is printed on Keel's console as
 * "[name] text", control bytes shown as '.'. The focused guest's
 * unfinished line (a prompt) is shown as soon as the guest stops writing
 * to it (uart16550_show_open, from the scheduler's housekeeping) and goes
 * on in place as the guest adds to it (lib/console.h: unfinished lines).
 * The transmitter runs at the speed of Keel's serial line: THR empties
 * (THRE, and its interrupt) as soon as Keel's console can take a whole
 * line, and stays full while the console is backed up (guests printing
 * faster than the line runs), so a guest waits as on a real UART and never
 * makes Keel wait; TEMT is set once everything the guest wrote has left
 * Keel's queue. A line written while THRE read clear anyway is dropped
 * and counted (uart16550_dropped).
 *
 * Input: keys for this guest (vm/console_input.c) wait in a queue of
 * UART16550_INPUT_QUEUE bytes and enter the receive FIFO as it has room:
 * at once, and whenever the guest reads RBR, resets the FIFO or leaves
 * loopback. None is ever overrun; a key that finds the queue full (the
 * guest does not read) is refused and counted. The character timeout is
 * a TSC deadline (a vtimer) four character times, at the rate and frame
 * the guest programmed, after the last byte received or read.
 */
#include "dev/uart16550_core.h"
#include "arch/x86/cpu.h"
#include "dev/dev.h"
#include "dev/platform.h"
#include "lib/console.h"
#include "lib/format.h"
#include "vm/guest.h"
#include "vm/irq.h"
#include "vm/vtimer.h"

#define UART16550_IRQ	      4
#define UART16550_INPUT_QUEUE 256
#define UART_LINE_MAX	      200

struct uart16550 {
	struct uart16550_core core;
	struct guest *g;
	struct vtimer timer; /* the character timeout */
	u8 inq[UART16550_INPUT_QUEUE];
	unsigned inq_head, inq_len;
	char prefix[GUEST_NAME_MAX + 4]; /* "[name] " */
	char line[UART_LINE_MAX + 1];
	unsigned len;
	u64 written;	  /* bytes the guest sent */
	u64 written_seen; /* ... as of the last look at its unfinished line */
	u64 ran_seen;	  /* the guest's run time as of that look */
	u64 dropped;	  /* lines dropped: written while the transmitter read busy */
	u64 keys_dropped; /* keys for it while its input queue was full */
	u32 sent_mark;	  /* console_mark() after its last output: TEMT once that is out */
};

/* Room for one whole line on Keel's console: "[name] " + text + "\r\n". */
#define UART_LINE_ROOM (UART_LINE_MAX + GUEST_NAME_MAX + 8)

static struct uart16550 *uart16550_of(struct guest *g)
{
	return g->com1;
}

/*
 * COM1's interrupt output, as the bus sees it, onto ISA IRQ 4: the one
 * place it reaches the guest's interrupt controllers.
 */
static void uart16550_set_irq(struct guest *g, bool level)
{
	platform_set_irq(g, UART16550_IRQ, level); /* the 8259 and the I/O APIC */
}

static void uart16550_flush_line(struct uart16550 *u)
{
	/* Half the reserve may go to a guest that ignored THRE; then lines are dropped. */
	if (console_room(u->len + GUEST_NAME_MAX + 8, CONSOLE_KEEL_RESERVE / 2)) {
		console_open_show(u, u->prefix, u->line, u->len, true);
		u->sent_mark = console_mark();
	} else {
		console_open_end(u); /* what was shown of it ends as it stands */
		u->dropped++;
	}
	u->len = 0;
}

u64 uart16550_dropped(struct guest *g)
{
	struct uart16550 *u = uart16550_of(g);

	return u ? u->dropped : 0;
}

u64 uart16550_keys_dropped(struct guest *g)
{
	struct uart16550 *u = uart16550_of(g);

	return u ? u->keys_dropped : 0;
}

void uart16550_flush(struct guest *g)
{
	struct uart16550 *u = uart16550_of(g);

	if (u && u->len)
		uart16550_flush_line(u);
}

void uart16550_show_open(struct guest *g)
{
	struct uart16550 *u = uart16550_of(g);
	bool quiet;

	if (!u || !u->len || console_open_shown(u) == u->len)
		return;
	/*
	 * Done writing for now: halted, or it ran since the last look and wrote
	 * nothing while it could (a guest preempted, or waiting for THRE while
	 * Keel's console is backed up, is still writing its line).
	 */
	quiet = g->vcpu.blocked || (u->written == u->written_seen &&
				    g->vcpu.used_ticks != u->ran_seen && u->core.thr_empty);
	u->written_seen = u->written;
	u->ran_seen = g->vcpu.used_ticks;
	if (quiet && console_room(u->len + GUEST_NAME_MAX + 8, CONSOLE_KEEL_RESERVE / 2)) {
		console_open_show(u, u->prefix, u->line, u->len, false);
		u->sent_mark = console_mark();
	}
}

/* A byte leaves the transmitter: it goes on the line being assembled. */
static void uart16550_tx(void *ctx, u8 c)
{
	struct uart16550 *u = ctx;

	u->written++;
	if (c == '\n') {
		uart16550_flush_line(u);
		return;
	}
	if (c == '\r')
		return;
	/* Show control bytes as '.', so a guest cannot drive Keel's terminal. */
	u->line[u->len++] = (c >= 0x20 && c < 0x7F) ? (char)c : '.';
	u->line[u->len] = '\0';
	if (u->len == UART_LINE_MAX)
		uart16550_flush_line(u);
}

static void uart16550_irq(void *ctx, bool level)
{
	struct uart16550 *u = ctx;

	uart16550_set_irq(u->g, level);
}

static void uart16550_timer(void *ctx, bool run)
{
	struct uart16550 *u = ctx;
	u64 bits = (u64)UART16550_TIMEOUT_CHARS * uart16550_core_frame_bits(&u->core) *
		   uart16550_core_divisor(&u->core);

	if (run)
		vtimer_arm(&u->timer, rdtsc() + clock_to_tsc(bits, UART16550_BAUD_BASE));
	else
		vtimer_stop(&u->timer);
}

static void uart16550_timer_fired(struct guest *g, struct vtimer *t, u64 now)
{
	struct uart16550 *u = t->ctx;

	uart16550_core_char_timeout(&u->core);
}

static const struct uart16550_core_ops uart16550_core_ops = {
    .irq = uart16550_irq,
    .tx = uart16550_tx,
    .timer = uart16550_timer,
};

/*
 * THR empties when Keel's console can take a whole line; TEMT once nothing
 * of the guest's waits: no unfinished line held back (a shown one counts
 * as out) and its last output has left Keel's console queue. Only an LSR
 * read shows TEMT, so only that looks at it (it may poll the console).
 */
static void uart16550_tx_update(struct uart16550 *u, bool look_at_temt)
{
	bool thre = console_room(UART_LINE_ROOM, CONSOLE_KEEL_RESERVE);
	bool temt =
	    look_at_temt && thre && console_open_shown(u) == u->len && console_sent(u->sent_mark);

	uart16550_core_set_tx(&u->core, thre, temt);
}

/* Moves queued keys into the receiver while it has room. */
static void uart16550_feed(struct uart16550 *u)
{
	while (u->inq_len && uart16550_core_receive(&u->core, u->inq[u->inq_head])) {
		u->inq_head = (u->inq_head + 1) % UART16550_INPUT_QUEUE;
		u->inq_len--;
	}
}

bool uart16550_receive(struct guest *g, u8 byte)
{
	struct uart16550 *u = uart16550_of(g);

	if (!u)
		return false;
	if (u->inq_len == UART16550_INPUT_QUEUE) {
		u->keys_dropped++;
		return false;
	}
	u->inq[(u->inq_head + u->inq_len) % UART16550_INPUT_QUEUE] = byte;
	u->inq_len++;
	uart16550_feed(u);
	return true;
}

void uart16550_poll(struct guest *g)
{
	struct uart16550 *u = uart16550_of(g);

	/* Only THRE can come back by itself, when Keel's console drains. */
	if (u && !u->core.thr_empty)
		uart16550_tx_update(u, false);
}

bool uart16550_may_interrupt(struct guest *g, bool keys)
{
	struct uart16550 *u = uart16550_of(g);

	if (!u || !uart16550_core_irq_gate(&u->core))
		return false;
	if ((u->core.ier & UART_IER_ERBFI) && (keys || u->inq_len))
		return true;
	return (u->core.ier & UART_IER_ETBEI) && !u->core.thr_empty;
}

/*
 * Wider accesses act on the addressed register alone (reads are
 * zero-extended), as before the core: a word read at LSR must not also
 * read, and clear, MSR.
 */
static u64 uart16550_read(struct guest *g, void *state, u64 off, unsigned size)
{
	struct uart16550 *u = state;
	u8 v;

	if (off == UART_LSR || off == UART_IIR)
		uart16550_tx_update(u, off == UART_LSR);
	v = uart16550_core_read(&u->core, (unsigned)off);
	if (u->inq_len)
		uart16550_feed(u); /* a read of RBR may have made room */
	return v;
}

static void uart16550_write(struct guest *g, void *state, u64 off, unsigned size, u64 val)
{
	struct uart16550 *u = state;

	uart16550_core_write(&u->core, (unsigned)off, (u8)val);
	/* THR written: empty again at once if the console has room for a line. */
	if (!u->core.thr_empty)
		uart16550_tx_update(u, false);
	if (u->inq_len)
		uart16550_feed(u); /* a FIFO reset or the end of loopback may have made room */
}

static const struct dev_ops uart16550_ops = {
    .name = "uart16550",
    .read = uart16550_read,
    .write = uart16550_write,
};

bool uart16550_attach(struct guest *g, u16 base)
{
	struct uart16550 *u = guest_dev_alloc(g, sizeof(*u));

	if (!u || !vtimer_register(g, &u->timer, uart16550_timer_fired, u))
		return false;
	u->g = g;
	uart16550_core_init(&u->core, &uart16550_core_ops, u);
	fmt_snprintf(u->prefix, sizeof(u->prefix), "[%s] ", g->name);
	u->sent_mark = console_mark();
	if (!dev_register(g, DEV_PIO, base, 8, &uart16550_ops, u))
		return false;
	g->com1 = u;
	return true;
}
