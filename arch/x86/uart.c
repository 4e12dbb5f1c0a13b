/*
 * COM1 console driver. The port is probed through the scratch register and
 * loopback mode before use, so machines without a UART (where reads return
 * 0xFF) never see Keel wait on a status bit that will not change; every wait
 * on THRE is bounded as well. Input is polled (Keel takes no interrupts):
 * uart_read() takes what has arrived, and while keys keep coming the
 * console asks for a poll every millisecond (uart_poll_due), as it does
 * while output waits.
 */
#include "arch/x86/uart.h"
#include "arch/x86/smp.h"
#include "arch/x86/io.h"
#include "arch/x86/cpu.h"
#include "arch/x86/tsc.h"

#define UART_TX_SPINS  100000
#define UART_FIFO_SIZE 16 /* 16550A transmit FIFO */

/* Shared, lock console: set by uart_init, cleared if the port sticks (lib/console.c holds the
 * lock). */
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

/*
 * Output is queued in a ring and sent as the transmitter takes it, so Keel
 * never waits on the line's baud rate except when the ring is full or the
 * output must be out (uart_drain: the end of a run). At 115200 baud a
 * character takes ~87 us; waiting for each would make logging, not work,
 * the cost of a boot. uart_poll sends what the FIFO can take right now.
 */
#define UART_RING_SIZE (64 * 1024)

#define UART_POLL_HZ	    1000  /* queued output is polled at least this often */
#define UART_POLL_MIN_TICKS 10000 /* should the TSC rate be unknown */
#define UART_RX_ACTIVE_HZ   20	  /* after a byte came in, polled as often for 1/20 s */

/*
 * Every entry point below is called under lib/console.c's lock (power.c's
 * drain runs where the run ends, on one CPU), but for three lock-free looks:
 * uart_mark, uart_sent_now and uart_room_now read the ring's indices (each
 * an aligned u32, changed under the lock) and may see them a line late,
 * which only delays a guest's THRE or TEMT. uart_poll_due is read unlocked
 * on the boot CPU's exit path: an aligned u64, a stale value only moves a
 * poll.
 */
/* Shared, lock console: Keel's one console ring and its clock. */
static char ring[UART_RING_SIZE];
static u32 ring_head, ring_tail; /* head: next to send; tail: next free */
u64 uart_poll_due;		 /* see uart.h */
static u64 last_poll, longest_wait;
static bool left_over;	    /* the last poll left output queued */
static u64 rx_active_until; /* input came in lately: poll often until this TSC */

static u32 ring_used(void)
{
	return ring_tail - ring_head;
}

static u64 poll_period(void)
{
	return MAX(tsc_hz / UART_POLL_HZ, (u64)UART_POLL_MIN_TICKS);
}

/* The next poll is due in a period while output waits or input is flowing. */
static void poll_due_update(u64 now)
{
	bool want = uart_present && (ring_used() || now < rx_active_until);

	uart_poll_due = want ? now + poll_period() : 0;
}

/* Sends up to a FIFO's worth if the transmitter is empty; no waiting. */
void uart_poll(void)
{
	u64 now = rdtsc();

	if (left_over)
		longest_wait = MAX(longest_wait, now - last_poll);
	last_poll = now;
	if (uart_present && ring_used() && (reg_read(UART_LSR) & UART_LSR_THRE))
		for (unsigned n = 0; n < UART_FIFO_SIZE && ring_used(); n++)
			reg_write(UART_THR, (u8)ring[ring_head++ % UART_RING_SIZE]);
	left_over = uart_present && ring_used();
	poll_due_update(now);
}

size_t uart_read(u8 *buf, size_t max)
{
	size_t n = 0;
	u64 now;

	if (!uart_present)
		return 0;
	while (n < max && (reg_read(UART_LSR) & UART_LSR_DR))
		buf[n++] = reg_read(UART_RBR);
	if (n) {
		now = rdtsc();
		rx_active_until = now + MAX(tsc_hz / UART_RX_ACTIVE_HZ, poll_period());
		poll_due_update(now);
	}
	return n;
}

u32 uart_mark(void)
{
	return __atomic_load_n(&ring_tail, __ATOMIC_RELAXED);
}

bool uart_sent_now(u32 mark)
{
	return !uart_present || (s32)(__atomic_load_n(&ring_head, __ATOMIC_RELAXED) - mark) >= 0;
}

bool uart_room_now(u32 n)
{
	u32 used = __atomic_load_n(&ring_tail, __ATOMIC_RELAXED) -
		   __atomic_load_n(&ring_head, __ATOMIC_RELAXED);

	return !uart_present || UART_RING_SIZE - used >= n;
}

bool uart_sent(u32 mark)
{
	if (!uart_present || (s32)(ring_head - mark) >= 0)
		return true;
	uart_poll();
	return (s32)(ring_head - mark) >= 0;
}

u64 uart_longest_wait(bool reset)
{
	u64 w = longest_wait;

	if (reset) {
		longest_wait = 0;
		last_poll = rdtsc(); /* output queued before the reset is not measured */
	}
	return w;
}

/* Waits (bounded) until the transmitter takes more; false if it is stuck. */
static bool uart_push_wait(void)
{
	for (int spins = UART_TX_SPINS; spins > 0; spins--) {
		if (reg_read(UART_LSR) & UART_LSR_THRE) {
			uart_poll();
			return true;
		}
	}
	uart_present = false; /* stuck: stop using it */
	return false;
}

static void ring_put(char c)
{
	while (uart_present && ring_used() == UART_RING_SIZE)
		uart_push_wait();
	ring[ring_tail++ % UART_RING_SIZE] = c;
}

void uart_write(const char *s, size_t n)
{
	bool was_waiting = ring_used() != 0;

	if (!uart_present)
		return;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			ring_put('\r');
		ring_put(s[i]);
	}
	uart_poll();
	/*
	 * The boot CPU polls the console (vm/sched.c); if it is in a guest,
	 * its run ends at the poll time only once it sees it, at its next
	 * exit: a kick makes that exit now.
	 */
	if (!was_waiting && ring_used())
		smp_kick_boot_cpu();
}

bool uart_has_room(u32 n)
{
	if (!uart_present || UART_RING_SIZE - ring_used() >= n)
		return true;
	uart_poll();
	return UART_RING_SIZE - ring_used() >= n;
}

void uart_drain(void)
{
	while (uart_present && ring_used())
		uart_push_wait();
	for (int spins = UART_TX_SPINS; uart_present && spins > 0; spins--)
		if (reg_read(UART_LSR) & UART_LSR_TEMT)
			return;
}
