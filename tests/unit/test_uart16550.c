/*
 * Host tests for dev/uart16550_core.c against the PC16550D data sheet:
 * reset values, DLAB and the divisor latches, IER, the interrupt sources
 * in their priority order and what clears each, the THRE interrupt rules,
 * the FIFO, its trigger levels and the character timeout, FCR resets and
 * mode switches, LSR errors (overrun, break, the FIFO error bit), loopback
 * and the modem status deltas, OUT2 gating the interrupt output, SCR.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "dev/uart16550_core.h"

/* What the chip did to the outside. */
static struct {
	bool irq;
	unsigned irq_changes;
	u8 tx[64];
	unsigned tx_len;
	bool timer_running;
	unsigned timer_starts;
} out;

static void fake_irq(void *ctx, bool level)
{
	assert_true(level != out.irq); /* reported only when it changes */
	out.irq = level;
	out.irq_changes++;
}

static void fake_tx(void *ctx, u8 byte)
{
	assert_true(out.tx_len < sizeof(out.tx));
	out.tx[out.tx_len++] = byte;
}

static void fake_timer(void *ctx, bool run)
{
	out.timer_running = run;
	if (run)
		out.timer_starts++;
}

static const struct uart16550_core_ops ops = {
    .irq = fake_irq,
    .tx = fake_tx,
    .timer = fake_timer,
};

static struct uart16550_core u;

static void reset(void)
{
	out = (typeof(out)){0};
	uart16550_core_init(&u, &ops, NULL);
}

static u8 rd(unsigned reg)
{
	return uart16550_core_read(&u, reg);
}

static void wr(unsigned reg, u8 val)
{
	uart16550_core_write(&u, reg, val);
}

/* Interrupts on the bus (OUT2) with the given enables. */
static void reset_with(u8 ier)
{
	reset();
	wr(UART_MCR, UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2);
	wr(UART_IER, ier);
}

static void receive(const char *s)
{
	while (*s)
		assert_true(uart16550_core_receive(&u, (u8)*s++));
}

static void test_reset_values(void **state)
{
	reset();
	assert_int_equal(rd(UART_IER), 0);
	assert_int_equal(rd(UART_IIR), UART_IIR_NO_INT);
	assert_int_equal(rd(UART_LCR), 0);
	assert_int_equal(rd(UART_MCR), 0);
	assert_int_equal(rd(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT); /* 0x60 */
	/* MSR: deltas clear, the inputs of a connected terminal. */
	assert_int_equal(rd(UART_MSR), UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD);
	assert_int_equal(rd(UART_SCR), 0);
	assert_false(out.irq);
	assert_false(uart16550_core_irq(&u));
	assert_int_equal(uart16550_core_divisor(&u), 1);
}

static void test_dlab_and_divisor(void **state)
{
	reset();
	wr(UART_LCR, UART_LCR_DLAB | UART_LCR_8N1);
	wr(UART_DLL, 0x0C);
	wr(UART_DLM, 0x01);
	assert_int_equal(rd(UART_DLL), 0x0C);
	assert_int_equal(rd(UART_DLM), 0x01);
	assert_int_equal(out.tx_len, 0); /* DLAB: offset 0 is the latch, not THR */
	assert_int_equal(rd(UART_IER), 0x01);
	assert_int_equal(uart16550_core_divisor(&u), 0x10C);
	wr(UART_LCR, UART_LCR_8N1);
	assert_int_equal(rd(UART_IER), 0); /* IER again */
	wr(UART_IER, 0x0F);
	assert_int_equal(rd(UART_IER), 0x0F);
	wr(UART_LCR, UART_LCR_DLAB);
	assert_int_equal(rd(UART_DLM), 0x01); /* the latch kept its value */
	wr(UART_DLL, 0);
	wr(UART_DLM, 0);
	assert_int_equal(uart16550_core_divisor(&u), 65536);
	assert_int_equal(rd(UART_LCR), UART_LCR_DLAB);
	assert_int_equal(rd(UART_LCR + 8), UART_LCR_DLAB); /* offsets wrap at 8 */
}

static void test_ier_and_registers(void **state)
{
	reset();
	wr(UART_IER, 0xFF);
	assert_int_equal(rd(UART_IER), UART_IER_MASK); /* bits 7:4 read 0 */
	wr(UART_MCR, 0xFF);
	assert_int_equal(rd(UART_MCR), UART_MCR_MASK); /* bits 7:5 read 0 */
	wr(UART_MCR, 0);
	wr(UART_LCR, 0x5B);
	assert_int_equal(rd(UART_LCR), 0x5B);
	wr(UART_LCR, 0);
	wr(UART_SCR, 0xA5);
	assert_int_equal(rd(UART_SCR), 0xA5);
	wr(UART_LSR, 0x00); /* LSR and MSR writes are ignored */
	wr(UART_MSR, 0x0F);
	assert_int_equal(rd(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	/* Loopback with every output on, then off: RI's trailing edge only. */
	assert_int_equal(rd(UART_MSR) & 0x0F, UART_MSR_TERI);
}

static void test_frame_bits(void **state)
{
	reset();
	wr(UART_LCR, UART_LCR_8N1);
	assert_int_equal(uart16550_core_frame_bits(&u), 10);
	wr(UART_LCR, 0x00); /* 5N1 */
	assert_int_equal(uart16550_core_frame_bits(&u), 7);
	wr(UART_LCR, UART_LCR_STB); /* 5 bits, 1.5 stop bits, counted as 2 */
	assert_int_equal(uart16550_core_frame_bits(&u), 8);
	wr(UART_LCR, 0x03 | UART_LCR_PEN | UART_LCR_STB); /* 8E2 */
	assert_int_equal(uart16550_core_frame_bits(&u), 12);
}

static void test_transmit(void **state)
{
	reset();
	wr(UART_THR, 'A');
	assert_int_equal(out.tx_len, 1);
	assert_int_equal(out.tx[0], 'A');
	/* THR stays full until the line takes the byte. */
	assert_int_equal(rd(UART_LSR), 0);
	uart16550_core_set_tx(&u, true, false);
	assert_int_equal(rd(UART_LSR), UART_LSR_THRE);
	uart16550_core_set_tx(&u, true, true);
	assert_int_equal(rd(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	/* TEMT needs THR empty as well. */
	uart16550_core_set_tx(&u, false, true);
	assert_int_equal(rd(UART_LSR), 0);
}

static void test_thre_interrupt(void **state)
{
	reset_with(0);
	assert_int_equal(rd(UART_IIR), UART_IIR_NO_INT);
	/* ETBEI set while THR is already empty raises it. */
	wr(UART_IER, UART_IER_ETBEI);
	assert_true(out.irq);
	assert_int_equal(rd(UART_IIR), UART_IIR_THRI);
	/* Reading IIR while THRE is the source shown clears it. */
	assert_false(out.irq);
	assert_int_equal(rd(UART_IIR), UART_IIR_NO_INT);
	/* Writing ETBEI again while set raises nothing; off and on raises it again. */
	wr(UART_IER, UART_IER_ETBEI);
	assert_false(out.irq);
	wr(UART_IER, 0);
	wr(UART_IER, UART_IER_ETBEI);
	assert_true(out.irq);
	/* Writing THR clears it; THR becoming empty raises it. */
	wr(UART_THR, 'x');
	assert_false(out.irq);
	assert_int_equal(rd(UART_IIR), UART_IIR_NO_INT);
	uart16550_core_set_tx(&u, true, true);
	assert_true(out.irq);
	/* Already empty: no new interrupt; disabling ETBEI hides a pending one. */
	assert_int_equal(rd(UART_IIR), UART_IIR_THRI);
	uart16550_core_set_tx(&u, true, true);
	assert_false(out.irq);
	wr(UART_THR, 'y');
	uart16550_core_set_tx(&u, true, true);
	wr(UART_IER, 0);
	assert_false(out.irq);
	assert_int_equal(rd(UART_IIR), UART_IIR_NO_INT);
}

static void test_thre_interrupt_needs_empty_thr(void **state)
{
	reset_with(0);
	wr(UART_THR, 'x'); /* THR full: the line has not taken it */
	wr(UART_IER, UART_IER_ETBEI);
	assert_false(out.irq);
	assert_int_equal(rd(UART_IIR), UART_IIR_NO_INT);
	uart16550_core_set_tx(&u, true, false);
	assert_true(out.irq);
	assert_int_equal(rd(UART_IIR), UART_IIR_THRI);
}

static void test_out2_gates_the_output(void **state)
{
	reset();
	wr(UART_IER, UART_IER_ETBEI);
	assert_true(uart16550_core_irq_gate(&u) == false);
	assert_false(out.irq); /* pending, but OUT2 is clear */
	assert_int_equal(rd(UART_IIR) & UART_IIR_NO_INT, 0);
	wr(UART_IER, 0);
	wr(UART_IER, UART_IER_ETBEI);
	wr(UART_MCR, UART_MCR_OUT2);
	assert_true(out.irq);
	wr(UART_MCR, UART_MCR_OUT1);
	assert_false(out.irq);
	wr(UART_MCR, UART_MCR_OUT2 | UART_MCR_LOOP); /* loopback: the OUT pins are inactive */
	assert_false(out.irq);
	assert_false(uart16550_core_irq_gate(&u));
	wr(UART_MCR, UART_MCR_OUT2);
	assert_true(out.irq);
	assert_true(uart16550_core_irq(&u));
}

static void test_receive_16450(void **state)
{
	reset_with(UART_IER_ERBFI);
	assert_int_equal(uart16550_core_rx_room(&u), 1);
	assert_true(uart16550_core_receive(&u, 'a'));
	assert_true(out.irq);
	assert_int_equal(rd(UART_LSR), UART_LSR_DR | UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(rd(UART_IIR), UART_IIR_RDI); /* no FIFO bits */
	/* RBR full: the byte is refused, not overrun. */
	assert_false(uart16550_core_receive(&u, 'b'));
	assert_int_equal(rd(UART_LSR) & UART_LSR_OE, 0);
	assert_int_equal(rd(UART_RBR), 'a');
	assert_false(out.irq);
	assert_int_equal(rd(UART_LSR) & UART_LSR_DR, 0);
	assert_int_equal(rd(UART_RBR), 'a');   /* nothing new: RBR keeps the last byte */
	assert_int_equal(out.timer_starts, 0); /* no character timeout in 16450 mode */
	uart16550_core_char_timeout(&u);
	assert_true(uart16550_core_receive(&u, 'b'));
	uart16550_core_char_timeout(&u);
	assert_int_equal(rd(UART_IIR), UART_IIR_RDI);
}

static void test_fifo_and_trigger_levels(void **state)
{
	static const struct {
		u8 fcr;
		unsigned level;
	} t[] = {{0x01, 1}, {0x41, 4}, {0x81, 8}, {0xC1, 14}};

	for (unsigned i = 0; i < 4; i++) {
		reset_with(UART_IER_ERBFI);
		wr(UART_FCR, t[i].fcr);
		assert_int_equal(rd(UART_IIR), UART_IIR_FIFO | UART_IIR_NO_INT);
		for (unsigned k = 1; k <= t[i].level; k++) {
			assert_true(uart16550_core_receive(&u, (u8)('a' + k)));
			assert_int_equal(out.irq, k == t[i].level);
		}
		assert_int_equal(rd(UART_IIR), UART_IIR_FIFO | UART_IIR_RDI);
		/* Below the trigger again: the request goes away. */
		rd(UART_RBR);
		assert_false(out.irq);
		assert_int_equal(rd(UART_IIR), UART_IIR_FIFO | UART_IIR_NO_INT);
	}
}

static void test_fifo_holds_16(void **state)
{
	reset_with(UART_IER_ERBFI);
	wr(UART_FCR, UART_FCR_ENABLE | UART_FCR_TRIGGER_8);
	for (unsigned k = 0; k < 16; k++)
		assert_true(uart16550_core_receive(&u, (u8)k));
	assert_int_equal(uart16550_core_rx_room(&u), 0);
	assert_false(uart16550_core_receive(&u, 99)); /* refused, kept by the caller */
	assert_int_equal(rd(UART_LSR) & (UART_LSR_OE | UART_LSR_DR), UART_LSR_DR);
	for (unsigned k = 0; k < 16; k++)
		assert_int_equal(rd(UART_RBR), k);
	assert_int_equal(rd(UART_LSR) & UART_LSR_DR, 0);
	assert_int_equal(uart16550_core_rx_room(&u), 16);
}

static void test_character_timeout(void **state)
{
	reset_with(UART_IER_ERBFI);
	wr(UART_FCR, UART_FCR_ENABLE | UART_FCR_TRIGGER_8);
	uart16550_core_char_timeout(&u); /* nothing received: nothing happens */
	assert_false(out.irq);
	receive("hi");
	assert_true(out.timer_running); /* each byte received restarts it */
	assert_int_equal(out.timer_starts, 2);
	assert_false(out.irq); /* below the trigger */
	uart16550_core_char_timeout(&u);
	assert_true(out.irq);
	assert_int_equal(rd(UART_IIR), UART_IIR_FIFO | UART_IIR_CTI);
	assert_int_equal(rd(UART_IIR), UART_IIR_FIFO | UART_IIR_CTI); /* IIR does not clear it */
	/* A new byte after the timeout does not clear it; a read does, and restarts the timer. */
	receive("!");
	assert_int_equal(out.timer_starts, 2);
	assert_int_equal(rd(UART_RBR), 'h');
	assert_false(out.irq);
	assert_true(out.timer_running);
	assert_int_equal(out.timer_starts, 3);
	uart16550_core_char_timeout(&u);
	assert_int_equal(rd(UART_IIR), UART_IIR_FIFO | UART_IIR_CTI);
	assert_int_equal(rd(UART_RBR), 'i');
	assert_int_equal(rd(UART_RBR), '!');
	assert_false(out.timer_running); /* the FIFO is empty: stopped */
	assert_false(out.irq);
	/* At or above the trigger, received data available is shown instead. */
	receive("12345678");
	uart16550_core_char_timeout(&u);
	assert_int_equal(rd(UART_IIR), UART_IIR_FIFO | UART_IIR_RDI);
	/* ERBFI clear: neither is shown. */
	wr(UART_IER, 0);
	assert_false(out.irq);
	assert_int_equal(rd(UART_IIR), UART_IIR_FIFO | UART_IIR_NO_INT);
}

static void test_fcr_resets_and_modes(void **state)
{
	reset_with(UART_IER_ERBFI);
	wr(UART_FCR, UART_FCR_ENABLE | UART_FCR_TRIGGER_8);
	receive("abc");
	uart16550_core_char_timeout(&u);
	assert_true(out.irq);
	/* Clearing the transmit FIFO leaves the receiver alone. */
	wr(UART_FCR, UART_FCR_ENABLE | UART_FCR_TRIGGER_8 | UART_FCR_CLEAR_TX);
	assert_true(out.irq);
	assert_int_equal(rd(UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	/* Clearing the receive FIFO empties it, with the timeout and its timer. */
	wr(UART_FCR, UART_FCR_ENABLE | UART_FCR_TRIGGER_8 | UART_FCR_CLEAR_RX);
	assert_false(out.irq);
	assert_false(out.timer_running);
	assert_int_equal(rd(UART_LSR) & UART_LSR_DR, 0);
	assert_int_equal(rd(UART_IIR), UART_IIR_FIFO | UART_IIR_NO_INT);
	/* The trigger level stayed 8 (the clear bits self-clear). */
	receive("1234567");
	assert_false(out.irq);
	receive("8");
	assert_true(out.irq);
	/* FIFO off: the FIFO is emptied, IIR's FIFO bits clear, RBR holds one byte. */
	wr(UART_FCR, 0);
	assert_false(out.irq);
	assert_int_equal(rd(UART_IIR), UART_IIR_NO_INT);
	assert_int_equal(uart16550_core_rx_room(&u), 1);
	/* Bits other than bit 0 are programmed only with bit 0 set. */
	wr(UART_FCR, UART_FCR_TRIGGER_MASK);
	assert_int_equal(rd(UART_IIR), UART_IIR_NO_INT);
	receive("z");
	/* 16450 -> FIFO mode empties RBR too. */
	wr(UART_FCR, UART_FCR_ENABLE);
	assert_int_equal(rd(UART_LSR) & UART_LSR_DR, 0);
	assert_int_equal(rd(UART_IIR), UART_IIR_FIFO | UART_IIR_NO_INT);
}

static void test_priority_order(void **state)
{
	reset_with(UART_IER_MASK);
	assert_int_equal(rd(UART_IIR), UART_IIR_THRI); /* ETBEI set while THR empty */
	wr(UART_FCR, UART_FCR_ENABLE);		       /* trigger 1 */
	wr(UART_IER, 0);
	wr(UART_IER, UART_IER_MASK);
	/* All four: modem status (loopback delta), THRE, data, line status (break). */
	wr(UART_MCR, UART_MCR_OUT2 | UART_MCR_LOOP | UART_MCR_RTS);
	wr(UART_LCR, UART_LCR_SB);
	wr(UART_LCR, 0);
	assert_int_equal(rd(UART_IIR), UART_IIR_FIFO | UART_IIR_RLSI);
	assert_int_equal(rd(UART_LSR) & (UART_LSR_BI | UART_LSR_FE), UART_LSR_BI | UART_LSR_FE);
	assert_int_equal(rd(UART_IIR), UART_IIR_FIFO | UART_IIR_RDI);
	assert_int_equal(rd(UART_RBR), 0); /* the break's zero byte */
	assert_int_equal(rd(UART_IIR), UART_IIR_FIFO | UART_IIR_THRI);
	assert_int_equal(rd(UART_IIR), UART_IIR_FIFO | UART_IIR_MSI); /* the THRE read cleared it */
	assert_int_equal(rd(UART_MSR) & 0x0F, UART_MSR_DDSR); /* DSR went off: DTR is clear */
	assert_int_equal(rd(UART_IIR), UART_IIR_FIFO | UART_IIR_NO_INT);
}

static void test_iir_does_not_clear_other_sources(void **state)
{
	reset_with(UART_IER_ERBFI | UART_IER_ETBEI);
	receive("q"); /* 16450 mode */
	assert_int_equal(rd(UART_IIR), UART_IIR_RDI);
	assert_int_equal(rd(UART_IIR), UART_IIR_RDI); /* RDI shown: THRE stays pending */
	rd(UART_RBR);
	assert_int_equal(rd(UART_IIR), UART_IIR_THRI);
	assert_int_equal(rd(UART_IIR), UART_IIR_NO_INT);
}

static void test_overrun(void **state)
{
	/* FIFO mode, loopback: the 17th byte is lost, OE set, the FIFO keeps the first 16. */
	reset_with(UART_IER_ELSI);
	wr(UART_FCR, UART_FCR_ENABLE | UART_FCR_TRIGGER_8);
	wr(UART_MCR, UART_MCR_LOOP);
	for (unsigned k = 0; k < 17; k++)
		wr(UART_THR, (u8)('a' + k));
	assert_int_equal(out.tx_len, 0); /* loopback: nothing leaves */
	assert_int_equal(rd(UART_IIR), UART_IIR_FIFO | UART_IIR_RLSI);
	assert_int_equal(rd(UART_LSR), UART_LSR_DR | UART_LSR_OE | UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(rd(UART_LSR) & UART_LSR_OE, 0); /* reading LSR cleared it */
	assert_int_equal(rd(UART_IIR), UART_IIR_FIFO | UART_IIR_NO_INT);
	for (unsigned k = 0; k < 16; k++)
		assert_int_equal(rd(UART_RBR), 'a' + k);
	/* 16450 mode: the new byte replaces the unread one. */
	wr(UART_FCR, 0);
	wr(UART_THR, '1');
	wr(UART_THR, '2');
	assert_int_equal(rd(UART_LSR) & (UART_LSR_OE | UART_LSR_DR), UART_LSR_OE | UART_LSR_DR);
	assert_int_equal(rd(UART_RBR), '2');
	/* OUT2 is off the bus in loopback: only IIR shows the source. */
	assert_false(out.irq);
}

/* uart16550_core_lsr: what a read returns, without its effects (the published LSR). */
static void test_lsr_peek(void **state)
{
	reset_with(UART_IER_ELSI);
	wr(UART_FCR, UART_FCR_ENABLE | UART_FCR_TRIGGER_8);
	wr(UART_MCR, UART_MCR_LOOP);
	wr(UART_THR, 'a');
	/* No error bit: a read acts on nothing, so reads and peeks agree every time. */
	assert_int_equal(uart16550_core_lsr(&u), UART_LSR_DR | UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(rd(UART_LSR), uart16550_core_lsr(&u));
	assert_int_equal(rd(UART_LSR), uart16550_core_lsr(&u));
	/* An error bit: the peek shows it as often as asked, the read once. */
	for (unsigned k = 0; k < 16; k++)
		wr(UART_THR, (u8)('b' + k));
	assert_int_equal(uart16550_core_lsr(&u) & UART_LSR_OE, UART_LSR_OE);
	assert_int_equal(uart16550_core_lsr(&u) & UART_LSR_OE, UART_LSR_OE);
	assert_int_equal(rd(UART_IIR), UART_IIR_FIFO | UART_IIR_RLSI);
	assert_int_equal(rd(UART_LSR), UART_LSR_DR | UART_LSR_OE | UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(uart16550_core_lsr(&u), UART_LSR_DR | UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(rd(UART_IIR), UART_IIR_FIFO | UART_IIR_NO_INT);
}

static void test_break_and_fifo_error(void **state)
{
	reset_with(UART_IER_ELSI);
	wr(UART_FCR, UART_FCR_ENABLE | UART_FCR_TRIGGER_8);
	wr(UART_MCR, UART_MCR_LOOP);
	wr(UART_THR, 'a');
	wr(UART_LCR, UART_LCR_SB); /* a break while in loopback: one zero byte */
	wr(UART_LCR, UART_LCR_SB); /* still the same break */
	wr(UART_LCR, 0);
	wr(UART_LCR, UART_LCR_SB); /* a second break */
	wr(UART_LCR, 0);
	/* The top byte has no error: the FIFO error bit shows the ones behind it. */
	assert_int_equal(rd(UART_LSR),
			 UART_LSR_DR | UART_LSR_FIFO_ERR | UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(rd(UART_IIR), UART_IIR_FIFO | UART_IIR_NO_INT);
	assert_int_equal(rd(UART_RBR), 'a');
	/* The break reaches the top: BI and FE, and the line status interrupt. */
	assert_int_equal(rd(UART_IIR), UART_IIR_FIFO | UART_IIR_RLSI);
	assert_int_equal(rd(UART_LSR), UART_LSR_DR | UART_LSR_BI | UART_LSR_FE | UART_LSR_FIFO_ERR |
					   UART_LSR_THRE | UART_LSR_TEMT);
	/* Reported once; bit 7 stays while the second break is in the FIFO. */
	assert_int_equal(rd(UART_LSR),
			 UART_LSR_DR | UART_LSR_FIFO_ERR | UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(rd(UART_RBR), 0);
	assert_int_equal(rd(UART_LSR) & UART_LSR_ERRORS, UART_LSR_BI | UART_LSR_FE);
	assert_int_equal(rd(UART_RBR), 0);
	assert_int_equal(rd(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	/* Entering loopback with a break already set is seen as one too. */
	wr(UART_MCR, 0);
	wr(UART_LCR, UART_LCR_SB);
	wr(UART_MCR, UART_MCR_LOOP);
	assert_int_equal(rd(UART_LSR) & UART_LSR_BI, UART_LSR_BI);
}

static void test_loopback(void **state)
{
	reset();
	wr(UART_MCR, UART_MCR_LOOP);
	assert_int_equal(uart16550_core_rx_room(&u), 0);
	assert_false(uart16550_core_receive(&u, 'x')); /* the serial input is disconnected */
	wr(UART_THR, 0xA5);
	assert_int_equal(out.tx_len, 0);
	assert_int_equal(rd(UART_LSR), UART_LSR_DR | UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(rd(UART_RBR), 0xA5);
	wr(UART_MCR, 0);
	assert_true(uart16550_core_receive(&u, 'x'));
	wr(UART_THR, 'y');
	assert_int_equal(out.tx_len, 1);
	assert_int_equal(rd(UART_RBR), 'x');
}

static void test_modem_status(void **state)
{
	reset_with(UART_IER_EDSSI);
	assert_int_equal(rd(UART_MSR), 0xB0);
	/* Linux's probe: loopback with RTS and OUT2 reads CTS and DCD only. */
	wr(UART_MCR, UART_MCR_LOOP | UART_MCR_RTS | UART_MCR_OUT2);
	assert_int_equal(rd(UART_MSR) & 0xF0, UART_MSR_CTS | UART_MSR_DCD);
	assert_int_equal(rd(UART_MSR) & 0x0F, 0); /* the read cleared the deltas */
	/* Each output to its input, each change a delta. */
	wr(UART_MCR, UART_MCR_LOOP | UART_MCR_DTR | UART_MCR_OUT1);
	assert_int_equal(rd(UART_IIR), UART_IIR_MSI);
	assert_int_equal(rd(UART_MSR), UART_MSR_DSR | UART_MSR_RI | UART_MSR_DCTS | UART_MSR_DDSR |
					   UART_MSR_DDCD);
	assert_int_equal(rd(UART_IIR), UART_IIR_NO_INT);
	/* RI going off is the trailing edge: TERI. Going on is not. */
	wr(UART_MCR, UART_MCR_LOOP | UART_MCR_DTR);
	assert_int_equal(rd(UART_MSR), UART_MSR_DSR | UART_MSR_TERI);
	wr(UART_MCR, UART_MCR_LOOP | UART_MCR_DTR | UART_MCR_OUT1);
	assert_int_equal(rd(UART_MSR), UART_MSR_DSR | UART_MSR_RI);
	/* Back to the line: the terminal's inputs, with their deltas. */
	wr(UART_MCR, UART_MCR_OUT2);
	assert_int_equal(rd(UART_MSR), UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD | UART_MSR_DCTS |
					   UART_MSR_DDCD | UART_MSR_TERI);
	/* Delta bits pending with EDSSI: the interrupt reaches the bus. */
	wr(UART_MCR, UART_MCR_OUT2 | UART_MCR_LOOP);
	wr(UART_MCR, UART_MCR_OUT2);
	assert_true(out.irq);
	rd(UART_MSR);
	assert_false(out.irq);
}

static void test_receive_interrupt_enables(void **state)
{
	reset_with(0);
	receive("a");
	assert_false(out.irq); /* ERBFI clear */
	assert_int_equal(rd(UART_IIR), UART_IIR_NO_INT);
	wr(UART_IER, UART_IER_ERBFI);
	assert_true(out.irq);
	wr(UART_MCR, 0);
	assert_false(out.irq); /* OUT2 cleared */
	wr(UART_MCR, UART_MCR_OUT2);
	assert_true(out.irq);
	assert_int_equal(out.irq_changes, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reset_values),
	    cmocka_unit_test(test_dlab_and_divisor),
	    cmocka_unit_test(test_ier_and_registers),
	    cmocka_unit_test(test_frame_bits),
	    cmocka_unit_test(test_transmit),
	    cmocka_unit_test(test_thre_interrupt),
	    cmocka_unit_test(test_thre_interrupt_needs_empty_thr),
	    cmocka_unit_test(test_out2_gates_the_output),
	    cmocka_unit_test(test_receive_16450),
	    cmocka_unit_test(test_fifo_and_trigger_levels),
	    cmocka_unit_test(test_fifo_holds_16),
	    cmocka_unit_test(test_character_timeout),
	    cmocka_unit_test(test_fcr_resets_and_modes),
	    cmocka_unit_test(test_priority_order),
	    cmocka_unit_test(test_iir_does_not_clear_other_sources),
	    cmocka_unit_test(test_overrun),
	    cmocka_unit_test(test_lsr_peek),
	    cmocka_unit_test(test_break_and_fifo_error),
	    cmocka_unit_test(test_loopback),
	    cmocka_unit_test(test_modem_status),
	    cmocka_unit_test(test_receive_interrupt_enables),
	};

	return cmocka_run_group_tests_name("uart16550", tests, NULL, NULL);
}
