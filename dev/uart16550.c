/*
 * A guest's COM1: the 16550A of dev/uart16550_core.c at 0x3F8, its
 * interrupt output on ISA IRQ 4 (uart16550_set_irq).
 *
 * Output: each line the guest writes is printed on Keel's console as
 * "[name] text". The line is drawn as a terminal would draw it
 * (lib/term_line.h): carriage return, backspace, cursor moves and erases
 * act on it; other escape sequences (colours, the shell's cursor-position
 * query) are dropped and other control bytes shown as '.', so a guest
 * cannot drive Keel's terminal. The focused guest's unfinished line (a
 * prompt, a line being edited) is shown as soon as the guest stops writing
 * to it (uart16550_show_open, from the scheduler's housekeeping) and is
 * redrawn in place as the guest changes it (lib/console.h: unfinished
 * lines).
 * The transmitter runs at the speed of Keel's serial line: THR empties
 * (THRE, and its interrupt) as soon as Keel's console can take a whole
 * line, and stays full while the console is backed up (guests printing
 * faster than the line runs), so a guest waits as on a real UART and never
 * makes Keel wait; TEMT is set once everything the guest wrote has left
 * Keel's queue. A line written while THRE read clear anyway is dropped
 * and counted (uart16550_dropped). A guest that polls LSR for TEMT (a
 * second LSR read showing THRE without TEMT, no THR write between: Linux's
 * console does so after every message) waits in that read instead of
 * spinning through exits: its vCPU blocks (vcpu_block_on) until TEMT, a
 * key for it, an interrupt or UART16550_TEMT_WAIT_HZ's period, whichever
 * comes first, and then reads LSR again.
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
#include "lib/panic.h"
#include "lib/term_line.h"
#include "vm/guest.h"
#include "vm/irq.h"
#include "vm/vtimer.h"

#define UART16550_IRQ		4
#define UART16550_INPUT_QUEUE	256
#define UART16550_TEMT_WAIT_HZ	1000  /* a TEMT poll waits at most 1 ms */
#define UART16550_TEMT_WAIT_MIN 10000 /* ticks, should the TSC rate be unknown */
/* An unfinished line is done once the guest ran this long without writing to it. */
#define UART16550_QUIET_HZ  1000  /* 1 ms of the guest's own run time */
#define UART16550_QUIET_MIN 10000 /* ticks, should the TSC rate be unknown */

struct uart16550 {
	struct uart16550_core core;
	struct guest *g;
	struct vtimer timer;	  /* the character timeout */
	struct vtimer temt_timer; /* the end of a wait for TEMT */
	unsigned lsr_busy;	  /* LSR reads of THRE without TEMT since THR was written */
	/*
	 * Keys waiting for the receiver: one producer, the CPU that polls Keel's
	 * console (uart16550_receive), one consumer, the CPU the guest runs on
	 * (uart16550_feed). Free-running counts: tail - head keys wait;
	 * inq_tail is written by the producer alone (release), inq_head by the
	 * consumer alone (release), each read by the other with acquire.
	 */
	u8 inq[UART16550_INPUT_QUEUE];
	u32 inq_head, inq_tail;
	char prefix[GUEST_NAME_MAX + 4]; /* "[name] " */
	struct term_line line;
	bool line_dirty;  /* changed since the console last showed it */
	u64 written;	  /* bytes the guest sent */
	u64 written_seen; /* ... as of the last look at its unfinished line */
	u64 ran_seen;	  /* the guest's run time when a look last saw it write */
	u64 dropped;	  /* lines dropped: written while the transmitter read busy */
	u64 keys_dropped; /* keys for it while its input queue was full */
	u32 sent_mark;	  /* console_mark() after its last output: TEMT once that is out */
	struct dev_pio_published published; /* LSR, while a read of it acts on nothing */
};

/* Keys waiting in the input queue (either side may ask). */
static u32 inq_count(const struct uart16550 *u)
{
	return __atomic_load_n(&u->inq_tail, __ATOMIC_ACQUIRE) -
	       __atomic_load_n(&u->inq_head, __ATOMIC_ACQUIRE);
}

/*
 * LSR for the register-only I/O exit (dev/dev.h), while a read of it acts
 * on nothing: outside loopback, the transmitter idle (THRE and TEMT, once
 * both set, stay set until the guest writes THR, so the read asks Keel's
 * console nothing: uart16550_read), no error bit for it to clear, no wait
 * for TEMT to count or end, no key waiting to enter the FIFO. Rewritten
 * after everything that may change one of these: the model's reads,
 * writes, timers, keys and polls.
 */
static void uart16550_publish(struct uart16550 *u)
{
	u8 lsr = uart16550_core_lsr(&u->core);
	bool plain = !(u->core.mcr & UART_MCR_LOOP) && u->core.thr_empty && u->core.tsr_empty &&
		     !(lsr & (UART_LSR_ERRORS | UART_LSR_FIFO_ERR)) && !u->lsr_busy &&
		     !vtimer_armed(&u->temt_timer) && !inq_count(u);

	u->published.value[UART_LSR] = lsr;
	u->published.ready = plain ? BIT(UART_LSR) : 0;
}

/* Room for one line's redraw on Keel's console: "[name] " + text + "\r\n". */
#define UART_LINE_ROOM (TERM_REDRAW_MAX + GUEST_NAME_MAX + 8)

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
	if (console_room(UART_LINE_ROOM, CONSOLE_KEEL_RESERVE / 2)) {
		console_open_show(u, u->prefix, u->line.text, u->line.len, u->line.len, true);
		u->sent_mark = console_mark();
	} else {
		console_open_end(u); /* what was shown of it ends as it stands */
		u->dropped++;
	}
	term_line_clear(&u->line);
	u->line_dirty = false;
}

/*
 * Everything the guest wrote is on the console, or nothing needs showing:
 * its line is empty and no earlier state of it is on the screen.
 */
static bool uart16550_line_out(struct uart16550 *u)
{
	return !u->line_dirty || (!u->line.len && !console_open_is(u));
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

	if (u && u->line.len)
		uart16550_flush_line(u);
}

void uart16550_show_open(struct guest *g)
{
	struct uart16550 *u = uart16550_of(g);
	bool quiet, halted = true;
	u64 ran = 0;

	if (!u || (uart16550_line_out(u) && (!u->line.len || console_open_is(u))))
		return;
	/*
	 * Done writing for now: every vCPU halted, or they ran for
	 * UART16550_QUIET_HZ's period since a look last saw them write and
	 * wrote nothing while they could. A guest preempted, or waiting for
	 * THRE while Keel's console is backed up, is still writing its line;
	 * so is one whose run was too short to reach its next byte (a run
	 * ended by Keel's console poll can be a few exits long). Any vCPU may
	 * be the writer.
	 */
	for (unsigned i = 0; i < g->vcpu_count; i++) {
		halted &= __atomic_load_n(&g->vcpus[i].blocked, __ATOMIC_ACQUIRE);
		ran += __atomic_load_n(&g->vcpus[i].used_ticks, __ATOMIC_RELAXED);
	}
	if (u->written != u->written_seen) {
		u->written_seen = u->written;
		u->ran_seen = ran;
	}
	quiet = halted ||
		(ran - u->ran_seen >= MAX(tsc_hz / UART16550_QUIET_HZ, (u64)UART16550_QUIET_MIN) &&
		 u->core.thr_empty);
	if (quiet && console_room(UART_LINE_ROOM, CONSOLE_KEEL_RESERVE / 2)) {
		console_open_show(u, u->prefix, u->line.text, u->line.len, u->line.cursor, false);
		u->sent_mark = console_mark();
		u->line_dirty = false;
	}
}

/* A byte leaves the transmitter: it goes on the line being assembled. */
static void uart16550_tx(void *ctx, u8 c)
{
	struct uart16550 *u = ctx;

	u->written++;
	u->line_dirty = true;
	if (term_line_feed(&u->line, c) == TERM_LINE_DONE)
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
	uart16550_publish(u);
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
	bool temt = look_at_temt && thre && uart16550_line_out(u) && console_sent(u->sent_mark);

	uart16550_core_set_tx(&u->core, thre, temt);
}

/* Ends a wait for TEMT, if the vCPU is in one: it reads LSR again. */
static void uart16550_wake(struct uart16550 *u)
{
	vtimer_stop(&u->temt_timer);
	for (unsigned i = 0; i < u->g->vcpu_count; i++)
		vcpu_wake_from(&u->g->vcpus[i], u);
}

static void uart16550_temt_timer_fired(struct guest *g, struct vtimer *t, u64 now)
{
	uart16550_wake(t->ctx);
	uart16550_publish(t->ctx);
}

/*
 * An LSR read that shows THRE without TEMT: the second in a row, with no
 * THR write between, is a poll for TEMT, and the vCPU waits for it.
 */
static void uart16550_lsr_busy(struct uart16550 *u)
{
	if (++u->lsr_busy < 2 || inq_count(u))
		return;
	vtimer_arm(&u->temt_timer,
		   rdtsc() + MAX(tsc_hz / UART16550_TEMT_WAIT_HZ, (u64)UART16550_TEMT_WAIT_MIN));
	vcpu_block_on(u->g->exiting, u);
}

/* Moves queued keys into the receiver while it has room (the guest's CPU). */
static void uart16550_feed(struct uart16550 *u)
{
	u32 head = u->inq_head, tail = __atomic_load_n(&u->inq_tail, __ATOMIC_ACQUIRE);

	while (head != tail &&
	       uart16550_core_receive(&u->core, u->inq[head % UART16550_INPUT_QUEUE]))
		__atomic_store_n(&u->inq_head, ++head, __ATOMIC_RELEASE);
}

bool uart16550_receive(struct guest *g, u8 byte)
{
	struct uart16550 *u = uart16550_of(g);

	if (!u)
		return false;
	if (inq_count(u) == UART16550_INPUT_QUEUE) {
		u->keys_dropped++;
		return false;
	}
	u->inq[u->inq_tail % UART16550_INPUT_QUEUE] = byte;
	__atomic_store_n(&u->inq_tail, u->inq_tail + 1, __ATOMIC_RELEASE);
	if (!vcpu_here(&g->vcpus[0])) {
		vcpu_kick(&g->vcpus[0]); /* its home CPU feeds the key (uart16550_poll) */
		return true;
	}
	guest_lock(g);
	uart16550_feed(u);
	uart16550_wake(u); /* a guest waiting in LSR sees DR now */
	uart16550_publish(u);
	guest_unlock(g);
	return true;
}

void uart16550_poll(struct guest *g)
{
	struct uart16550 *u = uart16550_of(g);

	if (!u)
		return;
	/* Nothing to move (the common poll): what is published stays right. */
	if (!inq_count(u) && u->core.thr_empty && !vtimer_armed(&u->temt_timer))
		return;
	/* Keys another CPU queued for it (uart16550_receive). */
	if (inq_count(u)) {
		uart16550_feed(u);
		uart16550_wake(u);
	}
	/* Only THRE can come back by itself, when Keel's console drains. */
	if (!u->core.thr_empty)
		uart16550_tx_update(u, false);
	/* TEMT too, for a guest waiting for it. */
	if (vtimer_armed(&u->temt_timer)) {
		uart16550_tx_update(u, true);
		if (u->core.tsr_empty)
			uart16550_wake(u);
	}
	uart16550_publish(u);
}

bool uart16550_may_interrupt(struct guest *g, bool keys)
{
	struct uart16550 *u = uart16550_of(g);

	if (!u || !uart16550_core_irq_gate(&u->core))
		return false;
	if ((u->core.ier & UART_IER_ERBFI) && (keys || inq_count(u)))
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
	bool published = off == UART_LSR && (u->published.ready & BIT(UART_LSR));
	u8 v;

	if (vtimer_armed(&u->temt_timer))
		vtimer_stop(&u->temt_timer); /* the wait is over (an interrupt ended it) */
	/*
	 * THRE and TEMT, once both set, stay set until the guest writes THR,
	 * as on the chip: an idle transmitter's LSR read, a guest's poll, asks
	 * Keel's console nothing (and is published: uart16550_publish). A
	 * guest between two bytes of its line sees THR empty at once, so the
	 * look at its unfinished line waits for a quiet period of its run,
	 * not for a run without a byte (uart16550_show_open).
	 */
	if ((off == UART_LSR || off == UART_IIR) && !(u->core.thr_empty && u->core.tsr_empty))
		uart16550_tx_update(u, off == UART_LSR);
	if (off == UART_LSR && !(u->core.mcr & UART_MCR_LOOP)) {
		if (u->core.thr_empty && !u->core.tsr_empty)
			uart16550_lsr_busy(u);
		else
			u->lsr_busy = 0;
		if (u->g->exiting->blocked)
			return 0; /* not read: the IN runs again when the vCPU wakes */
	}
	v = uart16550_core_read(&u->core, (unsigned)off);
	/* What the register-only exit answers when it takes the read. */
	CHECK(!published || v == u->published.value[UART_LSR]);
	if (inq_count(u))
		uart16550_feed(u); /* a read of RBR may have made room */
	uart16550_publish(u);
	return v;
}

static void uart16550_write(struct guest *g, void *state, u64 off, unsigned size, u64 val)
{
	struct uart16550 *u = state;

	if (vtimer_armed(&u->temt_timer))
		vtimer_stop(&u->temt_timer);
	if (off == UART_THR)
		u->lsr_busy = 0;
	uart16550_core_write(&u->core, (unsigned)off, (u8)val);
	/* THR written: empty again at once if the console has room for a line. */
	if (!u->core.thr_empty)
		uart16550_tx_update(u, false);
	if (inq_count(u))
		uart16550_feed(u); /* a FIFO reset or the end of loopback may have made room */
	uart16550_publish(u);
}

static const struct dev_ops uart16550_ops = {
    .name = "uart16550",
    .read = uart16550_read,
    .write = uart16550_write,
};

bool uart16550_attach(struct guest *g, u16 base)
{
	struct uart16550 *u = guest_dev_alloc(g, sizeof(*u));

	if (!u || !vtimer_register(g, &u->timer, uart16550_timer_fired, u) ||
	    !vtimer_register(g, &u->temt_timer, uart16550_temt_timer_fired, u))
		return false;
	u->g = g;
	uart16550_core_init(&u->core, &uart16550_core_ops, u);
	fmt_snprintf(u->prefix, sizeof(u->prefix), "[%s] ", g->name);
	u->sent_mark = console_mark();
	uart16550_publish(u);
	if (!dev_register(g, DEV_PIO, base, 8, &uart16550_ops, u) ||
	    !dev_publish(g, base, &u->published))
		return false;
	g->com1 = u;
	return true;
}
