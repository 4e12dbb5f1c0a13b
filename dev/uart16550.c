/*
 * A 16550A UART model for a guest's COM1. Each complete line the guest
 * writes is printed on Keel's console as "[name] text". The transmitter
 * reads as empty (THRE and TEMT) while Keel's console can take a whole
 * line; when the console is backed up (guests print faster than the serial
 * line runs) it reads busy, so a guest waits as on a real UART and never
 * makes Keel wait. A line written while busy anyway is dropped and
 * counted. No receive path except the loopback mode drivers use to probe
 * the chip. Register layout and bits as in arch/x86/uart.h (PC16550D data
 * sheet).
 */
#include "arch/x86/uart.h"
#include "dev/dev.h"
#include "lib/console.h"
#include "vm/guest.h"

#define UART_LINE_MAX	      200
#define UART_IIR_FIFO_ENABLED 0xC0
#define UART_IIR_THRE_INT     0x02
#define UART_IER_THRI	      0x02
#define UART_MSR_CTS	      0x10
#define UART_MSR_DSR	      0x20
#define UART_MSR_RI	      0x40
#define UART_MSR_DCD	      0x80

struct uart16550 {
	u8 ier, lcr, mcr, scr, dll, dlm, fcr;
	u8 rbr; /* loopback receive holding */
	bool rx_full;
	bool thre_pending; /* THRE interrupt identification until IIR is read */
	char line[UART_LINE_MAX + 1];
	unsigned len;
	u64 dropped;   /* lines dropped: written while the transmitter read busy */
	u32 sent_mark; /* console_mark() after its last line: TEMT once that is out */
};

/* Room for one whole line on Keel's console: "[name] " + text + "\r\n". */
#define UART_LINE_ROOM (UART_LINE_MAX + GUEST_NAME_MAX + 8)

static struct uart16550 *uart16550_of(struct guest *g)
{
	const struct dev_region *r = dev_find(g, DEV_PIO, COM1_BASE, 1);

	return r ? r->state : NULL;
}

static void uart16550_flush_line(struct guest *g, struct uart16550 *u)
{
	u->line[u->len] = '\0';
	/* Half the reserve may go to a guest that ignored THRE; then lines are dropped. */
	if (console_room(u->len + GUEST_NAME_MAX + 8, CONSOLE_KEEL_RESERVE / 2)) {
		kprintf("[%s] %s\n", g->name, u->line);
		u->sent_mark = console_mark();
	} else {
		u->dropped++;
	}
	u->len = 0;
}

u64 uart16550_dropped(struct guest *g)
{
	struct uart16550 *u = uart16550_of(g);

	return u ? u->dropped : 0;
}

void uart16550_flush(struct guest *g)
{
	struct uart16550 *u = uart16550_of(g);

	if (u && u->len)
		uart16550_flush_line(g, u);
}

static void uart16550_transmit(struct guest *g, struct uart16550 *u, u8 c)
{
	if (u->mcr & UART_MCR_LOOP) {
		u->rbr = c;
		u->rx_full = true;
		return;
	}
	if (c == '\n') {
		uart16550_flush_line(g, u);
		return;
	}
	if (c == '\r')
		return;
	/* Show control bytes as '.', so a guest cannot drive Keel's terminal. */
	u->line[u->len++] = (c >= 0x20 && c < 0x7F) ? (char)c : '.';
	if (u->len == UART_LINE_MAX)
		uart16550_flush_line(g, u);
}

/* Modem status: in loopback the outputs feed the inputs (DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD).
 */
static u8 uart16550_msr(const struct uart16550 *u)
{
	if (!(u->mcr & UART_MCR_LOOP))
		return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
	return (u8)(((u->mcr & 1) << 5) | ((u->mcr & 2) << 3) | ((u->mcr & 4) << 4) |
		    ((u->mcr & 8) << 4));
}

/*
 * THRE: the console can take a whole line; TEMT: nothing of the guest's is
 * waiting (no partial line is held, and its last line has left Keel's
 * console queue).
 */
static u8 uart16550_lsr(const struct uart16550 *u)
{
	u8 lsr = u->rx_full ? UART_LSR_DR : 0;

	if (console_room(UART_LINE_ROOM, CONSOLE_KEEL_RESERVE))
		lsr |= UART_LSR_THRE;
	if ((lsr & UART_LSR_THRE) && u->len == 0 && console_sent(u->sent_mark))
		lsr |= UART_LSR_TEMT;
	return lsr;
}

static u8 uart16550_iir(struct uart16550 *u)
{
	u8 fifo = (u->fcr & 1) ? UART_IIR_FIFO_ENABLED : 0;

	if ((u->ier & UART_IER_THRI) && u->thre_pending) {
		u->thre_pending = false;
		return fifo | UART_IIR_THRE_INT;
	}
	return fifo | UART_IIR_NO_INT;
}

static u64 uart16550_read(struct guest *g, void *state, u64 off, unsigned size)
{
	struct uart16550 *u = state;
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (off) {
	case UART_RBR:
		if (dlab)
			return u->dll;
		u->rx_full = false;
		return u->rbr;
	case UART_IER:
		return dlab ? u->dlm : u->ier;
	case UART_IIR:
		return uart16550_iir(u);
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return uart16550_lsr(u);
	case UART_MSR:
		return uart16550_msr(u);
	default:
		return u->scr;
	}
}

static void uart16550_write(struct guest *g, void *state, u64 off, unsigned size, u64 val)
{
	struct uart16550 *u = state;
	bool dlab = u->lcr & UART_LCR_DLAB;
	u8 v = (u8)val;

	switch (off) {
	case UART_THR:
		if (dlab)
			u->dll = v;
		else
			uart16550_transmit(g, u, v);
		u->thre_pending = true;
		break;
	case UART_IER:
		if (dlab)
			u->dlm = v;
		else
			u->ier = v & 0x0F;
		u->thre_pending = true;
		break;
	case UART_FCR:
		u->fcr = v;
		break;
	case UART_LCR:
		u->lcr = v;
		break;
	case UART_MCR:
		u->mcr = v & 0x1F;
		break;
	case UART_SCR:
		u->scr = v;
		break;
	default: /* LSR and MSR are read-only */
		break;
	}
}

static const struct dev_ops uart16550_ops = {
    .name = "uart16550",
    .read = uart16550_read,
    .write = uart16550_write,
};

bool uart16550_attach(struct guest *g, u16 base)
{
	struct uart16550 *u = guest_dev_alloc(g, sizeof(*u));

	if (!u)
		return false;
	u->sent_mark = console_mark();
	return dev_register(g, DEV_PIO, base, 8, &uart16550_ops, u);
}
