/*
 * Guest "echo": an interrupt-driven serial console, the way an OS drives
 * its COM1 (issue 13, tests/emu/test_console_input.py).
 *
 * The 8259 pair at vectors 0x20-0x2F with everything masked but IRQ 4;
 * COM1 with its FIFO at a trigger level of 8 (as Linux programs it: a
 * single key arrives through the character timeout), receive and line
 * status interrupts (IER.ERBFI, ELSI) and MCR.OUT2, which puts the
 * interrupt on the bus. It prints the prompt `echo> ` without a newline,
 * then sleeps in `sti; hlt`. Its IRQ 4 handler reads IIR until it says
 * nothing is pending, the received bytes while LSR.DR, and sends a
 * non-specific EOI. Each key typed is echoed as a terminal would; a line
 * (ended by CR, LF or CR LF) is answered with `echo: <the line reversed>`,
 * and the line `quit` ends the guest: a summary line (interrupts, how many
 * came as character timeouts, keys) and its checks.
 *
 * It waits for keys as long as it takes: the test that types into it
 * bounds the wait.
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/trap.h"
#include "tests/guests/lib/uart.h"
#include "tests/guests/lib/x86.h"

#define PIC_M_CMD  0x20
#define PIC_M_DATA 0x21
#define PIC_S_CMD  0xA0
#define PIC_S_DATA 0xA1
#define PIC_VECTOR 0x20
#define OCW2_EOI   0x20
#define COM1_IRQ   4

#define UART_IIR	0x02
#define UART_FCR	0x02
#define UART_MCR	0x04
#define UART_IIR_NONE	0x01
#define UART_IIR_ID	0x0E
#define UART_IIR_RLS	0x06
#define UART_IIR_RDA	0x04
#define UART_IIR_CTI	0x0C
#define UART_IIR_THRE	0x02
#define UART_IIR_FIFOS	0xC0
#define UART_LSR_DR	0x01
#define UART_LSR_ERRORS 0x1E
#define UART_MSR	0x06

#define ECHO_RING 256 /* keys taken by the handler, not yet handled */
#define ECHO_LINE 64

static volatile u8 ring[ECHO_RING];
static volatile u32 ring_in, ring_out;
static volatile u32 irqs, timeouts, line_errors, bad_iir, dropped, spurious;

static void pic_init(void)
{
	outb(PIC_M_CMD, 0x11);
	outb(PIC_S_CMD, 0x11);
	outb(PIC_M_DATA, PIC_VECTOR);
	outb(PIC_S_DATA, PIC_VECTOR + 8);
	outb(PIC_M_DATA, 0x04);
	outb(PIC_S_DATA, 0x02);
	outb(PIC_M_DATA, 0x01);
	outb(PIC_S_DATA, 0x01);
	outb(PIC_S_DATA, 0xFF);
	outb(PIC_M_DATA, (u8) ~(1u << COM1_IRQ));
}

static void take_bytes(void)
{
	for (u32 n = 0; n < 256 && (inb(UART_COM1 + UART_LSR) & UART_LSR_DR); n++) {
		u8 c = inb(UART_COM1 + UART_RBR);

		if (ring_in - ring_out < ECHO_RING)
			ring[ring_in++ % ECHO_RING] = c;
		else
			dropped++;
	}
}

/* IRQ 4: every pending source until IIR says none (an edge-triggered line needs that). */
static void on_com1(struct trap_frame *f)
{
	irqs++;
	for (u32 n = 0; n < 64; n++) {
		u8 iir = inb(UART_COM1 + UART_IIR);

		if ((iir & UART_IIR_FIFOS) != UART_IIR_FIFOS)
			bad_iir++;
		if (iir & UART_IIR_NONE)
			break;
		switch (iir & UART_IIR_ID) {
		case UART_IIR_RLS:
			if (inb(UART_COM1 + UART_LSR) & UART_LSR_ERRORS)
				line_errors++;
			break;
		case UART_IIR_CTI:
			timeouts++;
			take_bytes();
			break;
		case UART_IIR_RDA:
			take_bytes();
			break;
		case UART_IIR_THRE:
			break;
		default:
			inb(UART_COM1 + UART_MSR);
			break;
		}
	}
	outb(PIC_M_CMD, OCW2_EOI);
}

static void on_spurious(struct trap_frame *f)
{
	spurious++;
}

/* The next key, sleeping in `sti; hlt` until the handler has one. */
static u8 next_key(void)
{
	u8 c;

	__asm__ volatile("cli");
	while (ring_in == ring_out)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	c = ring[ring_out++ % ECHO_RING];
	return c;
}

static void answer(const char *line, u32 len)
{
	print("\necho: ");
	for (u32 i = len; i > 0; i--)
		uart_putc(line[i - 1]);
	print("\n");
}

static bool is_quit(const char *line, u32 len)
{
	return len == 4 && line[0] == 'q' && line[1] == 'u' && line[2] == 'i' && line[3] == 't';
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	char line[ECHO_LINE];
	u32 len = 0, keys = 0, lines = 0;
	bool after_cr = false;

	idt_init();
	trap_set_handler(PIC_VECTOR + COM1_IRQ, on_com1);
	trap_set_handler(PIC_VECTOR + 7, on_spurious);
	trap_set_handler(PIC_VECTOR + 15, on_spurious);
	pic_init();
	outb(UART_COM1 + UART_FCR, 0x87); /* FIFO on, both cleared, trigger 8 */
	outb(UART_COM1 + UART_MCR, 0x0B); /* DTR, RTS, OUT2 */
	outb(UART_COM1 + UART_IER, 0x05); /* ERBFI, ELSI */
	print("echo> ");
	for (;;) {
		u8 c = next_key();
		bool cr = c == '\r';

		keys++;
		if (c == '\n' && after_cr) {
			after_cr = false;
			continue;
		}
		after_cr = cr;
		if (c != '\r' && c != '\n') {
			if (len < ECHO_LINE)
				line[len++] = (char)c;
			uart_putc((char)c);
			continue;
		}
		answer(line, len);
		lines++;
		if (is_quit(line, len))
			break;
		len = 0;
		print("echo> ");
	}
	outb(UART_COM1 + UART_IER, 0);
	outb(PIC_M_DATA, 0xFF);
	print("echo: %u lines, %u keys, %u interrupts, %u as character timeouts\n", lines, keys,
	      irqs, timeouts);
	check_true(irqs > 0, "keys arrived by IRQ 4");
	check_eq("IIR always showed the FIFOs on", bad_iir, 0);
	check_eq("no line status errors", line_errors, 0);
	check_eq("no keys dropped by the guest", dropped, 0);
	check_eq("no spurious IRQ 7/15", spurious, 0);
}
