/*
 * The 16550A state machine (dev/uart16550_core.h), rule by rule from the
 * PC16550D data sheet. The interrupt sources, highest priority first:
 *
 *   IIR  source                          set by                       cleared by
 *   0x06 receiver line status (ELSI)     OE, or PE/FE/BI of the byte  reading LSR
 *                                        at the top of the FIFO
 *   0x04 received data available (ERBFI) the FIFO at its trigger      the FIFO below its trigger
 *                                        level (16450: RBR full)      (16450: reading RBR)
 *   0x0C character timeout (ERBFI)       bytes below the trigger, none reading RBR
 *                                        received or read for 4
 *                                        character times (FIFO mode)
 *   0x02 THR empty (ETBEI)               THR becoming empty, or ETBEI reading IIR while it is the
 *                                        set while THR is empty       source shown; writing THR
 *   0x00 modem status (EDSSI)            DCTS, DDSR, TERI, DDCD        reading MSR
 *
 * The interrupt output is "an enabled source pending"; on a PC it reaches
 * the bus only while OUT2 is set, and loopback forces the OUT pins
 * inactive, so it is off the bus in loopback.
 */
#include "dev/uart16550_core.h"

/* The modem inputs outside loopback: a terminal is connected (CTS, DSR, DCD on; no ring). */
#define UART16550_INPUTS_CONNECTED (UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD)

static const u8 uart16550_trigger[4] = {1, 4, 8, 14};

static bool fifo_on(const struct uart16550_core *u)
{
	return u->fcr & UART_FCR_ENABLE;
}

static unsigned rx_capacity(const struct uart16550_core *u)
{
	return fifo_on(u) ? UART16550_FIFO_SIZE : 1;
}

static bool rx_data_available(const struct uart16550_core *u)
{
	if (!fifo_on(u))
		return u->rx_count > 0;
	return u->rx_count >= uart16550_trigger[(u->fcr & UART_FCR_TRIGGER_MASK) >> 6];
}

/* PE, FE, BI of the byte at the top of the FIFO, and OE: what LSR bits 1-4 show. */
static u8 line_errors(const struct uart16550_core *u)
{
	u8 e = u->overrun ? UART_LSR_OE : 0;

	if (u->rx_count)
		e |= u->rx_err[u->rx_head];
	return e;
}

/* The highest pending enabled source as IIR bits 3:0 (UART_IIR_NO_INT if none). */
static u8 pending(const struct uart16550_core *u)
{
	if ((u->ier & UART_IER_ELSI) && line_errors(u))
		return UART_IIR_RLSI;
	if (u->ier & UART_IER_ERBFI) {
		if (rx_data_available(u))
			return UART_IIR_RDI;
		if (u->timeout)
			return UART_IIR_CTI;
	}
	if ((u->ier & UART_IER_ETBEI) && u->thre_int)
		return UART_IIR_THRI;
	if ((u->ier & UART_IER_EDSSI) && u->msr_delta)
		return UART_IIR_MSI;
	return UART_IIR_NO_INT;
}

bool uart16550_core_irq_gate(const struct uart16550_core *u)
{
	return (u->mcr & (UART_MCR_OUT2 | UART_MCR_LOOP)) == UART_MCR_OUT2;
}

bool uart16550_core_irq(const struct uart16550_core *u)
{
	return uart16550_core_irq_gate(u) && pending(u) != UART_IIR_NO_INT;
}

/* Reports the interrupt output when it changed: after every change of state. */
static void update(struct uart16550_core *u)
{
	bool level = uart16550_core_irq(u);

	if (level != u->irq) {
		u->irq = level;
		u->ops->irq(u->ctx, level);
	}
}

static void timer(struct uart16550_core *u, bool run)
{
	u->ops->timer(u->ctx, run);
}

static void rx_clear(struct uart16550_core *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
	u->timeout = false;
	timer(u, false);
}

/*
 * A byte reaches the receiver (from the line or looped back). Full: the
 * byte is lost and OE set; in 16450 mode it replaces the unread one in
 * RBR (data sheet: LSR bit 1), in FIFO mode the FIFO keeps what it has.
 */
static void rx_push(struct uart16550_core *u, u8 byte, u8 err)
{
	if (u->rx_count == rx_capacity(u)) {
		u->overrun = true;
		if (!fifo_on(u)) {
			u->rx[u->rx_head] = byte;
			u->rx_err[u->rx_head] = err;
		}
		return;
	}
	u->rx[(u->rx_head + u->rx_count) % UART16550_FIFO_SIZE] = byte;
	u->rx_err[(u->rx_head + u->rx_count) % UART16550_FIFO_SIZE] = err;
	u->rx_count++;
	if (fifo_on(u) && !u->timeout)
		timer(u, true); /* a byte received restarts the timer */
}

static u8 rbr_read(struct uart16550_core *u)
{
	if (!u->rx_count)
		return u->rbr;
	u->rbr = u->rx[u->rx_head];
	u->rx_err[u->rx_head] = 0;
	u->rx_head = (u->rx_head + 1) % UART16550_FIFO_SIZE;
	u->rx_count--;
	u->timeout = false;
	if (fifo_on(u))
		timer(u, u->rx_count > 0); /* a read restarts it while bytes remain */
	return u->rbr;
}

/* Any PE, FE or BI still unreported in the FIFO: LSR bit 7 (FIFO mode). */
static bool fifo_error(const struct uart16550_core *u)
{
	for (unsigned i = 0; i < u->rx_count; i++)
		if (u->rx_err[(u->rx_head + i) % UART16550_FIFO_SIZE])
			return true;
	return false;
}

u8 uart16550_core_lsr(const struct uart16550_core *u)
{
	u8 lsr = line_errors(u);

	if (u->rx_count)
		lsr |= UART_LSR_DR;
	if (fifo_on(u) && fifo_error(u))
		lsr |= UART_LSR_FIFO_ERR;
	if (u->thr_empty)
		lsr |= UART_LSR_THRE;
	if (u->thr_empty && u->tsr_empty)
		lsr |= UART_LSR_TEMT;
	return lsr;
}

static u8 lsr_read(struct uart16550_core *u)
{
	u8 lsr = uart16550_core_lsr(u);

	/* Reading LSR clears OE and reports the top byte's errors once. */
	u->overrun = false;
	if (u->rx_count)
		u->rx_err[u->rx_head] = 0;
	return lsr;
}

static u8 iir_read(struct uart16550_core *u)
{
	u8 id = pending(u);

	if (id == UART_IIR_THRI)
		u->thre_int = false;
	return id | (fifo_on(u) ? UART_IIR_FIFO : 0);
}

static u8 msr_read(struct uart16550_core *u)
{
	u8 msr = u->msr_in | u->msr_delta;

	u->msr_delta = 0;
	return msr;
}

u8 uart16550_core_read(struct uart16550_core *u, unsigned reg)
{
	bool dlab = u->lcr & UART_LCR_DLAB;
	u8 v;

	switch (reg & 7) {
	case UART_RBR:
		if (dlab)
			return u->dll;
		v = rbr_read(u);
		break;
	case UART_IER:
		return dlab ? u->dlm : u->ier;
	case UART_IIR:
		v = iir_read(u);
		break;
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		v = lsr_read(u);
		if (!(v & (UART_LSR_ERRORS | UART_LSR_FIFO_ERR)))
			return v; /* nothing was cleared: no source changed */
		break;
	case UART_MSR:
		v = msr_read(u);
		break;
	default:
		return u->scr;
	}
	update(u);
	return v;
}

/* A break on the line: one zero byte with BI (and FE: its stop bit is a space). */
static void rx_break(struct uart16550_core *u)
{
	rx_push(u, 0, UART_LSR_BI | UART_LSR_FE);
}

static void thr_write(struct uart16550_core *u, u8 byte)
{
	u->thre_int = false;
	if (u->mcr & UART_MCR_LOOP) {
		/* The shift register's output comes back into the receiver at once. */
		rx_push(u, byte, 0);
		u->thre_int = u->thr_empty; /* and THR is as empty as before */
		return;
	}
	u->thr_empty = false;
	u->tsr_empty = false;
	u->ops->tx(u->ctx, byte);
}

static void ier_write(struct uart16550_core *u, u8 val)
{
	u8 old = u->ier;

	u->ier = val & UART_IER_MASK;
	if (!(old & UART_IER_ETBEI) && (u->ier & UART_IER_ETBEI) && u->thr_empty)
		u->thre_int = true;
}

static void fcr_write(struct uart16550_core *u, u8 val)
{
	/* Switching between FIFO and 16450 mode empties the FIFOs. */
	if ((val & UART_FCR_ENABLE) != (u->fcr & UART_FCR_ENABLE))
		rx_clear(u);
	if (!(val & UART_FCR_ENABLE)) {
		u->fcr = 0; /* the other bits are programmed only with bit 0 set */
		return;
	}
	u->fcr = val & (UART_FCR_ENABLE | UART_FCR_DMA | UART_FCR_TRIGGER_MASK);
	if (val & UART_FCR_CLEAR_RX)
		rx_clear(u);
	/* UART_FCR_CLEAR_TX: nothing waits in the transmitter (bytes leave as written). */
}

static void lcr_write(struct uart16550_core *u, u8 val)
{
	bool brk = !(u->lcr & UART_LCR_SB) && (val & UART_LCR_SB);

	u->lcr = val;
	if (brk && (u->mcr & UART_MCR_LOOP))
		rx_break(u);
}

/* What the modem inputs read as: the outputs in loopback (RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD).
 */
static u8 modem_inputs(u8 mcr)
{
	if (!(mcr & UART_MCR_LOOP))
		return UART16550_INPUTS_CONNECTED;
	return (u8)(((mcr & UART_MCR_RTS) ? UART_MSR_CTS : 0) |
		    ((mcr & UART_MCR_DTR) ? UART_MSR_DSR : 0) |
		    ((mcr & UART_MCR_OUT1) ? UART_MSR_RI : 0) |
		    ((mcr & UART_MCR_OUT2) ? UART_MSR_DCD : 0));
}

static void mcr_write(struct uart16550_core *u, u8 val)
{
	bool into_loop = !(u->mcr & UART_MCR_LOOP) && (val & UART_MCR_LOOP);
	u8 in, changed;

	u->mcr = val & UART_MCR_MASK;
	in = modem_inputs(u->mcr);
	changed = in ^ u->msr_in;
	if (changed & UART_MSR_CTS)
		u->msr_delta |= UART_MSR_DCTS;
	if (changed & UART_MSR_DSR)
		u->msr_delta |= UART_MSR_DDSR;
	if (changed & UART_MSR_DCD)
		u->msr_delta |= UART_MSR_DDCD;
	if ((changed & UART_MSR_RI) && !(in & UART_MSR_RI))
		u->msr_delta |= UART_MSR_TERI; /* the trailing edge of RI */
	u->msr_in = in;
	if (into_loop && (u->lcr & UART_LCR_SB))
		rx_break(u); /* a break already on the line is seen by the receiver */
}

void uart16550_core_write(struct uart16550_core *u, unsigned reg, u8 val)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg & 7) {
	case UART_THR:
		if (dlab)
			u->dll = val;
		else
			thr_write(u, val);
		break;
	case UART_IER:
		if (dlab)
			u->dlm = val;
		else
			ier_write(u, val);
		break;
	case UART_FCR:
		fcr_write(u, val);
		break;
	case UART_LCR:
		lcr_write(u, val);
		break;
	case UART_MCR:
		mcr_write(u, val);
		break;
	case UART_SCR:
		u->scr = val;
		break;
	default: /* LSR and MSR: for factory tests only; writes are ignored */
		break;
	}
	update(u);
}

bool uart16550_core_receive(struct uart16550_core *u, u8 byte)
{
	if (!uart16550_core_rx_room(u))
		return false;
	rx_push(u, byte, 0);
	update(u);
	return true;
}

unsigned uart16550_core_rx_room(const struct uart16550_core *u)
{
	if (u->mcr & UART_MCR_LOOP)
		return 0; /* the serial input is disconnected */
	return rx_capacity(u) - u->rx_count;
}

void uart16550_core_set_tx(struct uart16550_core *u, bool thr_empty, bool tsr_empty)
{
	if (thr_empty == u->thr_empty && tsr_empty == u->tsr_empty)
		return; /* nothing changed (the common case: asked before every LSR read) */
	if (thr_empty && !u->thr_empty)
		u->thre_int = true;
	u->thr_empty = thr_empty;
	u->tsr_empty = tsr_empty;
	update(u);
}

void uart16550_core_char_timeout(struct uart16550_core *u)
{
	if (fifo_on(u) && u->rx_count)
		u->timeout = true;
	update(u);
}

unsigned uart16550_core_frame_bits(const struct uart16550_core *u)
{
	unsigned data = 5 + (u->lcr & UART_LCR_WLS_MASK);

	return 1 + data + ((u->lcr & UART_LCR_PEN) ? 1 : 0) + ((u->lcr & UART_LCR_STB) ? 2 : 1);
}

u32 uart16550_core_divisor(const struct uart16550_core *u)
{
	u32 d = (u32)u->dll | (u32)u->dlm << 8;

	return d ? d : 65536;
}

void uart16550_core_init(struct uart16550_core *u, const struct uart16550_core_ops *ops, void *ctx)
{
	*u = (struct uart16550_core){
	    .ops = ops,
	    .ctx = ctx,
	    .dll = 1, /* 115200 baud, as Keel's own line runs */
	    .msr_in = modem_inputs(0),
	    .thr_empty = true,
	    .tsr_empty = true,
	};
}
