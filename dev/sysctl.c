/*
 * The PC's two system control ports. Port 0x61 (the AT's "port B"): bit 0
 * is PIT channel 2's gate, bit 1 the speaker data enable, bits 2-3 the
 * parity/IOCHK check enables, all read back as written; bit 4 is the
 * refresh toggle, flipping every 15.085 us (18 PIT clocks, as channel 1
 * clocked DRAM refresh); bit 5 is PIT channel 2's output; bits 6-7 (IOCHK
 * and SERR status) read 0: no NMI source exists. Port 0x92 (PS/2 system
 * control port A): bit 1, A20, always reads 1 (the guest's address bit 20
 * is never masked); writing bit 0 set is a fast reset (guest_reset: the
 * guest restarts, or ends with onreboot=end); the other bits read back as
 * written.
 */
#include "arch/x86/pit8254.h"
#include "dev/dev.h"
#include "dev/platform.h"
#include "vm/guest.h"

#define SYSCTL_PORTB_WRITABLE 0x0F
#define SYSCTL_REFRESH_CLOCKS 18
#define SYSCTL_PORTA	      0x92
#define SYSCTL_PORTA_RESET    BIT(0)
#define SYSCTL_PORTA_A20      BIT(1)

struct sysctl {
	u8 portb; /* bits 0-3 as written */
	u8 porta; /* bits 2-7 as written */
};

static u64 sysctl_portb_read(struct guest *g, void *state, u64 offset, unsigned size)
{
	const struct sysctl *s = state;
	bool refresh = (pit8254_clock_now() / SYSCTL_REFRESH_CLOCKS) & 1;

	return s->portb | (refresh ? PIT8254_PORTB_REFRESH : 0) |
	       (pit8254_out2(g) ? PIT8254_PORTB_OUT2 : 0);
}

static void sysctl_portb_write(struct guest *g, void *state, u64 offset, unsigned size, u64 val)
{
	struct sysctl *s = state;

	s->portb = (u8)val & SYSCTL_PORTB_WRITABLE;
	pit8254_set_gate2(g, s->portb & PIT8254_PORTB_GATE2);
}

static u64 sysctl_porta_read(struct guest *g, void *state, u64 offset, unsigned size)
{
	const struct sysctl *s = state;

	return s->porta | SYSCTL_PORTA_A20;
}

static void sysctl_porta_write(struct guest *g, void *state, u64 offset, unsigned size, u64 val)
{
	struct sysctl *s = state;

	s->porta = (u8)val & (u8) ~(SYSCTL_PORTA_RESET | SYSCTL_PORTA_A20);
	if (val & SYSCTL_PORTA_RESET)
		guest_reset(g, "fast reset (0x%x to port 0x92)", (unsigned)(u8)val);
}

static const struct dev_ops sysctl_portb_ops = {
    .name = "port61",
    .read = sysctl_portb_read,
    .write = sysctl_portb_write,
};

static const struct dev_ops sysctl_porta_ops = {
    .name = "port92",
    .read = sysctl_porta_read,
    .write = sysctl_porta_write,
};

bool sysctl_attach(struct guest *g)
{
	struct sysctl *s = guest_dev_alloc(g, sizeof(*s));

	return s && dev_register(g, DEV_PIO, PIT8254_PORTB, 1, &sysctl_portb_ops, s) &&
	       dev_register(g, DEV_PIO, SYSCTL_PORTA, 1, &sysctl_porta_ops, s);
}
