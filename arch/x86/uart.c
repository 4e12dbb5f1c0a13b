/*
 * COM1 console driver. The port is probed through the scratch register and
 * loopback mode before use, so machines without a UART (where reads return
 * 0xFF) never see Keel wait on a status bit that will not change; every wait
 * on THRE is bounded as well.
 */
#include "arch/x86/uart.h"
#include "arch/x86/io.h"

#define UART_TX_SPINS 100000

static bool uart_present;

static u8 reg_read(unsigned reg)
{
	return inb(COM1_BASE + reg);
}

static void reg_write(unsigned reg, u8 v)
{
	outb(COM1_BASE + reg, v);
}

/* True if a byte sent in loopback mode comes back. */
static bool uart_loopback_ok(void)
{
	bool ok;

	reg_write(UART_MCR, UART_MCR_LOOP | UART_MCR_RTS | UART_MCR_DTR);
	reg_write(UART_THR, 0xA5);
	ok = false;
	for (int i = 0; i < 1000 && !ok; i++)
		ok = (reg_read(UART_LSR) & UART_LSR_DR) && reg_read(UART_RBR) == 0xA5;
	reg_write(UART_MCR, UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2);
	return ok;
}

bool uart_init(void)
{
	reg_write(UART_SCR, 0x5A);
	if (reg_read(UART_SCR) != 0x5A)
		return false;
	reg_write(UART_IER, 0);
	reg_write(UART_LCR, UART_LCR_DLAB);
	reg_write(UART_DLL, 1); /* 115200 baud */
	reg_write(UART_DLM, 0);
	reg_write(UART_LCR, UART_LCR_8N1);
	reg_write(UART_FCR, 0x07); /* enable and clear FIFOs */
	uart_present = uart_loopback_ok();
	return uart_present;
}

static void uart_putc(char c)
{
	int spins = UART_TX_SPINS;

	while (!(reg_read(UART_LSR) & UART_LSR_THRE))
		if (--spins == 0) {
			uart_present = false; /* stuck: stop using it */
			return;
		}
	reg_write(UART_THR, (u8)c);
}

void uart_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n && uart_present; i++) {
		if (s[i] == '\n')
			uart_putc('\r');
		uart_putc(s[i]);
	}
}

void uart_drain(void)
{
	for (int spins = UART_TX_SPINS; uart_present && spins > 0; spins--)
		if (reg_read(UART_LSR) & UART_LSR_TEMT)
			return;
}
