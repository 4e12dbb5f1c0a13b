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

#define UART_LCR_8N1	0x03
#define UART_LCR_DLAB	0x80
#define UART_MCR_DTR	0x01
#define UART_MCR_RTS	0x02
#define UART_MCR_OUT2	0x08
#define UART_MCR_LOOP	0x10
#define UART_LSR_DR	0x01
#define UART_LSR_THRE	0x20
#define UART_LSR_TEMT	0x40
#define UART_IIR_NO_INT 0x01

/* Probes COM1 and programs it for 115200 8N1; returns false if absent. */
bool uart_init(void);
/* Queues n bytes for sending; drops output (never waits forever) if the UART is stuck. */
void uart_write(const char *s, size_t n);
/* Waits (bounded) until every byte written has left the transmitter. */
void uart_drain(void);
/* Sends queued output the transmitter can take now, without waiting. */
void uart_poll(void);
/* True if uart_write can queue n bytes without waiting (polling if it must). */
bool uart_has_room(u32 n);
/*
 * The TSC by which queued output wants the next uart_poll (about every
 * millisecond: the 16-byte FIFO lasts 1.4 ms at 115200 baud), 0 while
 * nothing is queued. Read before every VM entry: a guest's run ends at this
 * point so that the console keeps moving whatever the guest does.
 */
extern u64 uart_poll_due;
/* A mark for everything queued so far (for uart_sent). */
u32 uart_mark(void);
/* True if everything queued before `mark` has gone to the UART (polling if it must). */
bool uart_sent(u32 mark);
/* The longest time queued output waited between two polls (since the last reset). */
u64 uart_longest_wait(bool reset);

#endif
