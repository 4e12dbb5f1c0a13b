/*
 * The guest's console: a 16550 UART at COM1 (0x3F8), polled. Under Keel
 * this is Keel's UART model, which prints each line as "[name] text".
 */
#ifndef KEEL_GUESTS_UART_H
#define KEEL_GUESTS_UART_H

#include "lib/types.h"

/* 16550 registers, as offsets from the base port (PC16550D datasheet). */
#define UART_COM1 0x3F8
#define UART_THR  0 /* transmit holding (write, DLAB=0) */
#define UART_RBR  0 /* receive buffer (read, DLAB=0) */
#define UART_DLL  0 /* divisor latch low (DLAB=1) */
#define UART_IER  1 /* interrupt enable (DLAB=0) */
#define UART_DLM  1 /* divisor latch high (DLAB=1) */
#define UART_LCR  3 /* line control */
#define UART_LSR  5 /* line status */
#define UART_SCR  7 /* scratch */

#define UART_LCR_8N1  0x03
#define UART_LCR_DLAB 0x80
#define UART_LSR_THRE 0x20 /* transmit holding register empty */
#define UART_LSR_TEMT 0x40 /* transmitter empty */

/* LSR polls before a byte is sent anyway: a stuck UART slows, never hangs. */
#define UART_POLL_LIMIT 100000

/* Programs 115200 8N1 with interrupts off. */
void uart_init(void);
void uart_putc(char c);
void uart_write(const char *s, size_t n);
/*
 * Waits until everything written has left (LSR.TEMT), at most
 * UART_IDLE_LIMIT TSC ticks: behind other guests' output on Keel's serial
 * line at 115200 baud that can take a while (64 KiB: about 5.7 s).
 */
#define UART_IDLE_LIMIT (1ULL << 30)
void uart_wait_idle(void);

#endif
