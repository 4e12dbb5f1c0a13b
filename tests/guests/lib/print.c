/*
 * print(): lib/format.c into a line buffer, then the UART.
 */
#include "tests/guests/lib/print.h"
#include "tests/guests/lib/uart.h"
#include "lib/format.h"

void print_v(const char *fmt, va_list ap)
{
	char buf[PRINT_MAX + 1];
	int n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n > PRINT_MAX)
		n = PRINT_MAX;
	if (n > 0)
		uart_write(buf, (size_t)n);
}

void print(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_v(fmt, ap);
	va_end(ap);
}
