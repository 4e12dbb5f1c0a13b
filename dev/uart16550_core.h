/*
 * The 16550A UART as the TI/National PC16550D data sheet describes it:
 * the registers (RBR/THR, IER, IIR/FCR, LCR with DLAB and the divisor
 * latches, MCR, LSR, MSR, SCR), a 16-byte receive FIFO (one byte, RBR, in
 * 16450 mode), the four interrupt sources in their priority order, the
 * character timeout, loopback and OUT2 gating the interrupt output onto
 * the bus as on a PC. Register names and bits: arch/x86/uart.h.
 *
 * Pure: no guest, no clock, no I/O. What the chip does to the outside
 * goes through struct uart16550_core_ops (the interrupt output, a byte
 * sent, the character timer); what the outside does to the chip comes in
 * through the calls below (a byte received, the transmitter's state, the
 * timer running out). dev/uart16550.c connects it to a guest's COM1.
 * Host-tested in tests/unit/test_uart16550.c.
 *
 * The transmitter has no FIFO of its own here: a byte written to THR goes
 * to ops->tx at once, and THR stays full until the glue says, with
 * uart16550_core_set_tx(), that the line has taken it. That is also when
 * the THRE interrupt is raised.
 */
#ifndef KEEL_DEV_UART16550_CORE_H
#define KEEL_DEV_UART16550_CORE_H

#include "arch/x86/uart.h"
#include "lib/types.h"

#define UART16550_FIFO_SIZE 16
/* The character timeout: this many character times with no byte received and no RBR read. */
#define UART16550_TIMEOUT_CHARS 4
/* The divisor latch's clock divided by 16: the baud rate at divisor 1. */
#define UART16550_BAUD_BASE 115200

struct uart16550_core_ops {
	/* The interrupt output as the bus sees it changed (pending, gated by OUT2). */
	void (*irq)(void *ctx, bool level);
	/* THR was written outside loopback: the byte leaves for the line. */
	void (*tx)(void *ctx, u8 byte);
	/*
	 * The character timer: run = true (re)starts it for
	 * UART16550_TIMEOUT_CHARS character times, after which the glue calls
	 * uart16550_core_char_timeout(); run = false stops it.
	 */
	void (*timer)(void *ctx, bool run);
};

struct uart16550_core {
	const struct uart16550_core_ops *ops;
	void *ctx;
	u8 ier, lcr, mcr, scr, dll, dlm;
	u8 fcr;	      /* UART_FCR_ENABLE, DMA and trigger bits as programmed */
	bool overrun; /* LSR.OE, until LSR is read */
	u8 msr_in;    /* CTS, DSR, RI, DCD as the chip sees its inputs */
	u8 msr_delta; /* DCTS, DDSR, TERI, DDCD, until MSR is read */
	u8 rx[UART16550_FIFO_SIZE];
	u8 rx_err[UART16550_FIFO_SIZE]; /* PE, FE, BI of each byte, until LSR reports them */
	unsigned rx_head, rx_count;
	u8 rbr;		/* the last byte read: what RBR reads with nothing received */
	bool thr_empty; /* LSR.THRE: from the glue, cleared by a THR write */
	bool tsr_empty; /* with thr_empty: LSR.TEMT */
	bool thre_int;	/* a THRE interrupt is pending (shown while ETBEI is set) */
	bool timeout;	/* the character timeout indication */
	bool irq;	/* the interrupt output as last reported */
};

/* The state after a master reset, with the transmitter empty; irq is low. */
void uart16550_core_init(struct uart16550_core *u, const struct uart16550_core_ops *ops, void *ctx);
/* A register read (reg 0-7; DLAB chooses RBR/IER or the divisor latches), with its side effects. */
u8 uart16550_core_read(struct uart16550_core *u, unsigned reg);
/*
 * LSR as a read of it would return it, the read's effects left out: it
 * acts (clears OE, reports the top byte's errors once) only when one of
 * UART_LSR_ERRORS or UART_LSR_FIFO_ERR shows.
 */
u8 uart16550_core_lsr(const struct uart16550_core *u);
void uart16550_core_write(struct uart16550_core *u, unsigned reg, u8 val);
/*
 * A byte arrives on the serial input: false, with nothing changed, when
 * the receiver has no room (16 bytes in FIFO mode, RBR full in 16450
 * mode) or the input is disconnected by loopback. The caller keeps the
 * byte and offers it again later; nothing is ever overrun this way.
 */
bool uart16550_core_receive(struct uart16550_core *u, u8 byte);
/* How many bytes the receiver can take now. */
unsigned uart16550_core_rx_room(const struct uart16550_core *u);
/*
 * The transmitter's state as the line sees it: thr_empty sets LSR.THRE
 * (and raises the THRE interrupt when it becomes set), tsr_empty with it
 * sets LSR.TEMT.
 */
void uart16550_core_set_tx(struct uart16550_core *u, bool thr_empty, bool tsr_empty);
/* The character timer ran out: the timeout indication, if bytes wait below the trigger. */
void uart16550_core_char_timeout(struct uart16550_core *u);

/* The interrupt output as the bus sees it: an enabled source pending, OUT2 set, not in loopback. */
bool uart16550_core_irq(const struct uart16550_core *u);
/* OUT2 set outside loopback: the interrupt output reaches the bus. */
bool uart16550_core_irq_gate(const struct uart16550_core *u);
/* Bits in one character frame: start, data, parity and stop bits (1.5 stop bits count as 2). */
unsigned uart16550_core_frame_bits(const struct uart16550_core *u);
/* The divisor latch; 0 divides by 65536 as the counter wraps. */
u32 uart16550_core_divisor(const struct uart16550_core *u);

#endif
