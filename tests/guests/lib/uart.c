/*
 * Polled output on COM1. Every wait is bounded (UART_POLL_LIMIT): if the
 * transmitter never reports empty the byte is written anyway, so a broken
 * UART model costs time, not a hung guest.
 */
#include "tests/guests/lib/uart.h"
#include "arch/x86/io.h"
#include "tests/guests/lib/x86.h"

void uart_init(void)
{
	outb(UART_COM1 + UART_IER, 0x00);
	outb(UART_COM1 + UART_LCR, UART_LCR_DLAB);
	outb(UART_COM1 + UART_DLL, 0x01); /* 115200 baud */
	outb(UART_COM1 + UART_DLM, 0x00);
	outb(UART_COM1 + UART_LCR, UART_LCR_8N1);
}

void uart_putc(char c)
{
	for (u32 i = 0; i < UART_POLL_LIMIT; i++) {
		if (inb(UART_COM1 + UART_LSR) & UART_LSR_THRE)
			break;
	}
	outb(UART_COM1 + UART_THR, (u8)c);
}

void uart_wait_idle(void)
{
	u64 start = x86_rdtsc();

	while (!(inb(UART_COM1 + UART_LSR) & UART_LSR_TEMT))
		if (x86_rdtsc() - start > UART_IDLE_LIMIT)
			return;
}

void uart_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		uart_putc(s[i]);
}
