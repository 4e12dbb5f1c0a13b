/*
 * 16550 UART registers (PC16550D data sheet) and Keel's COM1 driver.
 */
#ifndef KEEL_ARCH_X86_UART_H
#define KEEL_ARCH_X86_UART_H

#include "lib/types.h"

#define COM1_BASE 0x3F8

/* Register offsets from the base port. */
#define UART_THR 0 /* transmit holding (write, DLAB=0) */
#define UART_RBR 0 /* receive buffer (read, DLAB=0) */
#define UART_DLL 0 /* divisor latch low (DLAB=1) */
#define UART_IER 1 /* interrupt enable (DLAB=0) */
#define UART_DLM 1 /* divisor latch high (DLAB=1) */
#define UART_IIR 2 /* interrupt identification (read) */
#define UART_FCR 2 /* FIFO control (write) */
#define UART_LCR 3 /* line control */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status */
#define UART_MSR 6 /* modem status */
#define UART_SCR 7 /* scratch */

/* IER: interrupt enables (bits 7:4 read 0). */
#define UART_IER_ERBFI 0x01 /* received data available, and the character timeout */
#define UART_IER_ETBEI 0x02 /* transmitter holding register empty */
#define UART_IER_ELSI  0x04 /* receiver line status */
#define UART_IER_EDSSI 0x08 /* modem status */
#define UART_IER_MASK  0x0F

/* IIR: bit 0 clear while an interrupt is pending; bits 3:1 name the highest one. */
#define UART_IIR_NO_INT	 0x01
#define UART_IIR_ID_MASK 0x0E
#define UART_IIR_MSI	 0x00 /* modem status (lowest priority) */
#define UART_IIR_THRI	 0x02 /* transmitter holding register empty */
#define UART_IIR_RDI	 0x04 /* received data available */
#define UART_IIR_RLSI	 0x06 /* receiver line status (highest) */
#define UART_IIR_CTI	 0x0C /* character timeout (FIFO mode), with RDI's priority */
#define UART_IIR_FIFO	 0xC0 /* both set while FCR bit 0 enables the FIFOs */

/* FCR: bits 1-7 are programmed only with bit 0 set. */
#define UART_FCR_ENABLE	      0x01
#define UART_FCR_CLEAR_RX     0x02 /* self-clearing */
#define UART_FCR_CLEAR_TX     0x04 /* self-clearing */
#define UART_FCR_DMA	      0x08
#define UART_FCR_TRIGGER_MASK 0xC0 /* receiver trigger: 1, 4, 8, 14 bytes */
#define UART_FCR_TRIGGER_8    0x80

/* LCR. */
#define UART_LCR_WLS_MASK 0x03 /* word length - 5 */
#define UART_LCR_STB	  0x04 /* 2 stop bits (1.5 with 5-bit words) */
#define UART_LCR_PEN	  0x08 /* parity enable */
#define UART_LCR_SB	  0x40 /* set break */
#define UART_LCR_8N1	  0x03
#define UART_LCR_DLAB	  0x80

/* MCR (bits 7:5 read 0). */
#define UART_MCR_DTR  0x01
#define UART_MCR_RTS  0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08 /* on a PC: gates the interrupt output onto the bus */
#define UART_MCR_LOOP 0x10
#define UART_MCR_MASK 0x1F

/* LSR. */
#define UART_LSR_DR	  0x01 /* data ready */
#define UART_LSR_OE	  0x02 /* overrun error */
#define UART_LSR_PE	  0x04 /* parity error */
#define UART_LSR_FE	  0x08 /* framing error */
#define UART_LSR_BI	  0x10 /* break interrupt */
#define UART_LSR_THRE	  0x20 /* transmitter holding register (FIFO) empty */
#define UART_LSR_TEMT	  0x40 /* transmitter empty: THR and shift register */
#define UART_LSR_FIFO_ERR 0x80 /* a PE, FE or BI in the receive FIFO */
#define UART_LSR_ERRORS	  (UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)

/* MSR: the delta bits (3:0) clear when MSR is read. */
#define UART_MSR_DCTS 0x01
#define UART_MSR_DDSR 0x02
#define UART_MSR_TERI 0x04 /* RI went from on to off */
#define UART_MSR_DDCD 0x08
#define UART_MSR_CTS  0x10
#define UART_MSR_DSR  0x20
#define UART_MSR_RI   0x40
#define UART_MSR_DCD  0x80

/* Probes COM1 and programs it for 115200 8N1; returns false if absent. */
bool uart_init(void);
/* Queues n bytes for sending; drops output (never waits forever) if the UART is stuck. */
void uart_write(const char *s, size_t n);
/* Waits (bounded) until every byte written has left the transmitter. */
void uart_drain(void);
/* Sends queued output the transmitter can take now, without waiting. */
void uart_poll(void);
/*
 * Takes up to max bytes that have arrived (LSR.DR, then RBR), without
 * waiting; returns how many. Line errors (overrun, break) are dropped with
 * the LSR read.
 */
size_t uart_read(u8 *buf, size_t max);
/* True if uart_write can queue n bytes without waiting (polling if it must). */
bool uart_has_room(u32 n);
/*
 * The TSC by which queued output, or input that keeps coming, wants the
 * next uart_poll/uart_read (about every millisecond: the 16-byte FIFOs
 * last 1.4 ms at 115200 baud), 0 while nothing is queued and no byte came
 * in for 1/20 s. Read before every VM entry: a guest's run ends at this
 * point so that the console keeps moving whatever the guest does.
 */
extern u64 uart_poll_due;
/* A mark for everything queued so far (for uart_sent). */
u32 uart_mark(void);
/* True if everything queued before `mark` has gone to the UART (polling if it must). */
bool uart_sent(u32 mark);
/*
 * The same two questions without moving the output on and without the
 * console lock: true answers are final, false ones may be a line late
 * (ask uart_sent/uart_has_room under the lock then).
 */
bool uart_sent_now(u32 mark);
bool uart_room_now(u32 n);
/* The longest time queued output waited between two polls (since the last reset). */
u64 uart_longest_wait(bool reset);

#endif
