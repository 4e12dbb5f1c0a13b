/*
 * Guest "legacy": the legacy PC devices of Keel's virtual platform
 * (docs/platform-legacy.md), driven the way a BIOS or an OS drives them.
 *
 *   8259A pair   ICW1-ICW4 then IMR read back; OCW3 IRR/ISR reads; a
 *                request latched in IRR while masked; the poll command
 *   8254 PIT     channel 2 counted down through port 0x61 (gate low holds
 *                the count, gate high lets the output rise, about 10 ms:
 *                the TSC rate for the later checks); channel 0 latched
 *                counts decreasing; read-back status; LSB-only access
 *   RTC/CMOS     status B and D, time registers valid BCD, the seconds
 *                advancing, binary and 12-hour formats, SET with a write,
 *                the memory-size registers against expect_mem= (0x15-0x18,
 *                0x30-0x31, 0x34-0x35, 0x5B-0x5D), RAM and the NMI bit of
 *                the index port
 *   PCI          0xCF8 reads back, 0xCFC-0xCFF read all ones
 *   ports        0x92 bit 1 (A20) set; 0x61's refresh toggle flips
 *   interrupts   channel 0 in mode 2 at ~1 kHz on IRQ0, the master PIC at
 *                vector 0x20: IRQ0s must arrive with IF=1 while it
 *                polls, then 20 more through `sti; hlt` in a bounded
 *                number of halts, each handler sending a non-specific EOI
 *
 * Arguments (after `--`):
 *   expect_mem=SIZE   the guest's mem= (default: the boot info's mem_size)
 *   reset=1           only the memory-size registers, "PASS before reset",
 *                     then a fast reset through port 0x92 bit 0, which must
 *                     end the guest
 * Every wait is bounded by a poll count (and, once the PIT gave the TSC
 * rate, by time): a missing device or interrupt is a FAIL line, never a hang.
 */
#include "tests/guests/lib/bootargs.h"
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/trap.h"
#include "tests/guests/lib/x86.h"

#define PIC_M_CMD  0x20
#define PIC_M_DATA 0x21
#define PIC_S_CMD  0xA0
#define PIC_S_DATA 0xA1
#define PIC_VECTOR 0x20 /* IRQ 0-7 at 0x20-0x27, IRQ 8-15 at 0x28-0x2F */
#define OCW3_IRR   0x0A
#define OCW3_ISR   0x0B
#define OCW3_POLL  0x0C
#define OCW2_EOI   0x20

#define PIT_CH0	      0x40
#define PIT_CTRL      0x43
#define PIT_10MS      11932U
#define PIT_1KHZ      1193U
#define PORTB	      0x61
#define PORTB_GATE2   0x01
#define PORTB_SPK     0x02
#define PORTB_REFRESH 0x10
#define PORTB_OUT2    0x20
#define PORTA	      0x92

#define CMOS_INDEX 0x70
#define CMOS_DATA  0x71

#define PCI_ADDR 0xCF8
#define PCI_DATA 0xCFC

#define POLLS_PORT  200000U  /* device polls (each one a VM exit) */
#define POLLS_SPIN  5000000U /* in-guest spins waiting for an interrupt */
#define HALTS_MAX   200U
#define IRQ_TICKS   20U
#define RTC_WAIT_MS 2500U
#define GIB4	    0x100000000ULL

static struct {
	u64 mem;
	u64 tsc_per_ms; /* 0 until channel 2 measured it */
} env;

static volatile u32 ticks, spurious;
static volatile u8 first_isr = 0xFF;

static u8 cmos_read(u8 reg)
{
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

static void cmos_write(u8 reg, u8 val)
{
	outb(CMOS_INDEX, reg);
	outb(CMOS_DATA, val);
}

static u8 pic_read(u16 cmd, u8 ocw3)
{
	outb(cmd, ocw3);
	return inb(cmd);
}

/* Master at base, slave at base + 8, cascaded on IR2, 8086 mode, normal EOI. */
static void pic_init(u8 base)
{
	outb(PIC_M_CMD, 0x11);
	outb(PIC_S_CMD, 0x11);
	outb(PIC_M_DATA, base);
	outb(PIC_S_DATA, base + 8);
	outb(PIC_M_DATA, 0x04);
	outb(PIC_S_DATA, 0x02);
	outb(PIC_M_DATA, 0x01);
	outb(PIC_S_DATA, 0x01);
}

static u16 pit_latch(u8 ch)
{
	u8 lo, hi;

	outb(PIT_CTRL, (u8)(ch << 6));
	lo = inb(PIT_CH0 + ch);
	hi = inb(PIT_CH0 + ch);
	return (u16)(lo | hi << 8);
}

static void pit_program(u8 ch, u8 mode, u16 count)
{
	outb(PIT_CTRL, (u8)(ch << 6 | 0x30 | mode << 1));
	outb(PIT_CH0 + ch, (u8)count);
	outb(PIT_CH0 + ch, (u8)(count >> 8));
}

static void check_pic(void)
{
	pic_init(PIC_VECTOR);
	check_eq("pic: ICW1 clears the master's IMR", inb(PIC_M_DATA), 0x00);
	outb(PIC_M_DATA, 0xA5);
	outb(PIC_S_DATA, 0x5A);
	check_eq("pic: master IMR reads back after ICW1-ICW4", inb(PIC_M_DATA), 0xA5);
	check_eq("pic: slave IMR reads back after ICW1-ICW4", inb(PIC_S_DATA), 0x5A);
	outb(PIC_M_DATA, 0xFF);
	outb(PIC_S_DATA, 0xFF);
	check_eq("pic: OCW3 reads the IRR (nothing requested)", pic_read(PIC_M_CMD, OCW3_IRR), 0);
	check_eq("pic: OCW3 reads the ISR (nothing in service)", pic_read(PIC_M_CMD, OCW3_ISR), 0);
	check_eq("pic: slave ISR", pic_read(PIC_S_CMD, OCW3_ISR), 0);
}

/* Waits until the read-back status of channel ch shows OUT high; false after POLLS_PORT. */
static bool pit_wait_out(u8 ch)
{
	for (u32 i = 0; i < POLLS_PORT; i++) {
		outb(PIT_CTRL, (u8)(0xE0 | 2 << ch)); /* read-back: status of ch */
		if (inb(PIT_CH0 + ch) & 0x80)
			return true;
	}
	return false;
}

/* IRQ0 masked: channel 0's one-shot still latches IRR bit 0; then the poll command. */
static void check_irr_and_poll(void)
{
	pit_program(0, 0, 100);
	if (!pit_wait_out(0)) {
		check_fail(
		    "pit: channel 0 mode 0 output rises after 100 clocks: not within %u polls",
		    POLLS_PORT);
		return;
	}
	check_pass("pit: channel 0 mode 0 output rises (read-back status)");
	check_eq("pic: masked IRQ0 is latched in IRR", pic_read(PIC_M_CMD, OCW3_IRR) & 1, 1);
	check_eq("pic: and not in service", pic_read(PIC_M_CMD, OCW3_ISR), 0);
	outb(PIC_M_DATA, 0xFE); /* unmasked, but IF=0: take it by polling */
	outb(PIC_M_CMD, OCW3_POLL);
	check_eq("pic: poll word names IR0", inb(PIC_M_CMD), 0x80);
	check_eq("pic: the poll put IR0 in service", pic_read(PIC_M_CMD, OCW3_ISR), 0x01);
	outb(PIC_M_CMD, OCW2_EOI);
	check_eq("pic: non-specific EOI ends it", pic_read(PIC_M_CMD, OCW3_ISR), 0x00);
	check_eq("pic: IRR clear after the poll", pic_read(PIC_M_CMD, OCW3_IRR) & 1, 0);
	/* A poll armed makes the next read at either port the poll word, not the IMR. */
	outb(PIC_M_CMD, OCW3_POLL);
	check_eq("pic: a poll read at the data port is the poll word", inb(PIC_M_DATA), 0x00);
	check_eq("pic: and the next one the IMR", inb(PIC_M_DATA), 0xFE);
	outb(PIC_M_DATA, 0xFF);
}

/* Channel 2 through port 0x61, as Linux calibrates its TSC: 10 ms, and the TSC rate from it. */
static void check_pit_channel2(void)
{
	u8 b = inb(PORTB) & (u8) ~(PORTB_GATE2 | PORTB_SPK);
	u16 held1, held2;
	u64 t0, t1;
	u32 polls = 0;
	bool risen = false;

	outb(PORTB, b);
	pit_program(2, 0, PIT_10MS);
	check_eq("pit: channel 2 output low after the control word", inb(PORTB) & PORTB_OUT2, 0);
	held1 = pit_latch(2);
	held2 = pit_latch(2);
	check_true(held1 == PIT_10MS && held2 == PIT_10MS, "pit: gate low holds channel 2's count");
	outb(PORTB, b | PORTB_GATE2);
	t0 = x86_rdtsc();
	while (!risen && polls++ < POLLS_PORT)
		risen = inb(PORTB) & PORTB_OUT2;
	t1 = x86_rdtsc();
	outb(PORTB, b);
	if (!risen) {
		check_fail("pit: channel 2 output rises through port 0x61: not in %u polls",
			   POLLS_PORT);
		return;
	}
	check_true(polls > 1, "pit: channel 2 output stays low while counting");
	env.tsc_per_ms = (t1 - t0) / 10;
	check_pass("pit: channel 2 output rises through port 0x61 after 10 ms (%u polls, TSC "
		   "%llu ticks/ms)",
		   polls, (unsigned long long)env.tsc_per_ms);
}

static void check_pit_channel0(void)
{
	u16 a, b;
	u8 status;

	pit_program(0, 2, 60000);
	a = pit_latch(0);
	for (volatile u32 i = 0; i < 20000; i++)
		;
	b = pit_latch(0);
	if (a > 0 && a <= 60000 && b < a)
		check_pass("pit: channel 0 latched counts decrease (%u, then %u)", a, b);
	else
		check_fail("pit: channel 0 latched counts decrease: %u, then %u", a, b);
	outb(PIT_CTRL, 0xE2); /* read-back: status of channel 0 */
	status = inb(PIT_CH0);
	check_eq("pit: read-back status: LSB/MSB, mode 2, binary, count loaded", status & 0x7F,
		 0x34);
	outb(PIT_CTRL, 0x14); /* channel 0, LSB only, mode 2 */
	outb(PIT_CH0, 200);
	a = inb(PIT_CH0);
	check_true(a <= 200 && a > 0, "pit: LSB-only count of 200 reads 1-200");
}

/* Valid packed BCD below max (exclusive), at least min. */
static bool bcd_ok(u8 v, u8 min, u8 max)
{
	u8 bin = (u8)((v >> 4) * 10 + (v & 0xF));

	return (v & 0xF) < 10 && (v >> 4) < 10 && bin >= min && bin < max;
}

static void check_rtc_registers(void)
{
	u8 sec = cmos_read(0x00), min = cmos_read(0x02), hour = cmos_read(0x04);
	u8 day = cmos_read(0x07), mon = cmos_read(0x08), year = cmos_read(0x09);
	u8 cent = cmos_read(0x32);

	check_eq("cmos: status B is BCD, 24-hour", cmos_read(0x0B), 0x02);
	check_eq("cmos: status D has VRT", cmos_read(0x0D), 0x80);
	if (bcd_ok(sec, 0, 60) && bcd_ok(min, 0, 60) && bcd_ok(hour, 0, 24) && bcd_ok(day, 1, 32) &&
	    bcd_ok(mon, 1, 13) && bcd_ok(year, 0, 100) && (cent == 0x19 || cent == 0x20))
		check_pass("cmos: time %02x%02x-%02x-%02x %02x:%02x:%02x is valid BCD", cent, year,
			   mon, day, hour, min, sec);
	else
		check_fail("cmos: time registers valid BCD: %02x%02x-%02x-%02x %02x:%02x:%02x",
			   cent, year, mon, day, hour, min, sec);
}

static void check_rtc_advances(void)
{
	u8 first = cmos_read(0x00), now = first;
	u64 start = x86_rdtsc(), limit = env.tsc_per_ms * RTC_WAIT_MS;
	u32 polls = 0;

	while (now == first && polls++ < POLLS_PORT && (!limit || x86_rdtsc() - start < limit))
		now = cmos_read(0x00);
	if (now != first)
		check_pass("cmos: the seconds advance (%02x to %02x)", first, now);
	else
		check_fail("cmos: the seconds advance: still %02x after %u polls", first, polls);
}

static void check_rtc_formats(void)
{
	u8 year = cmos_read(0x09), hour;

	cmos_write(0x0B, 0x06); /* binary, 24-hour */
	check_true(cmos_read(0x00) < 60 && cmos_read(0x04) < 24,
		   "cmos: binary format: seconds < 60, hours < 24");
	cmos_write(0x0B, 0x00); /* BCD, 12-hour */
	hour = cmos_read(0x04) & 0x7F;
	check_true(bcd_ok(hour, 1, 13), "cmos: 12-hour format: hours 1-12 in BCD");
	cmos_write(0x0B, 0x82); /* SET: updates stop, the time may be written */
	cmos_write(0x09, 0x99);
	check_eq("cmos: with SET a written year reads back", cmos_read(0x09), 0x99);
	cmos_write(0x09, year);
	cmos_write(0x0B, 0x02);
	check_eq("cmos: year restored", cmos_read(0x09), year);
}

static u16 cmos_read16(u8 reg)
{
	return (u16)(cmos_read(reg) | cmos_read(reg + 1) << 8);
}

static void check_cmos_memory(void)
{
	u64 ext = (env.mem - 0x100000) / 1024, below4g = env.mem < GIB4 ? env.mem : GIB4;
	u64 high = below4g > 0x1000000 ? (below4g - 0x1000000) / 0x10000 : 0;
	u64 above = env.mem > GIB4 ? (env.mem - GIB4) / 0x10000 : 0;

	ext = env.mem < 0x100000 ? 0 : ext > 0xFFFF ? 0xFFFF : ext;
	check_eq("cmos: 0x15/0x16 base memory 640 KiB", cmos_read16(0x15), 640);
	check_eq("cmos: 0x17/0x18 extended memory KiB", cmos_read16(0x17), ext);
	check_eq("cmos: 0x30/0x31 extended memory KiB", cmos_read16(0x30), ext);
	check_eq("cmos: 0x34/0x35 64 KiB blocks from 16 MiB to 4 GiB", cmos_read16(0x34), high);
	check_eq("cmos: 0x5B-0x5D 64 KiB blocks above 4 GiB",
		 cmos_read16(0x5B) | (u32)cmos_read(0x5D) << 16, above);
}

static void check_cmos_ram(void)
{
	cmos_write(0x40, 0x5A);
	check_eq("cmos: RAM byte 0x40 reads back", cmos_read(0x40), 0x5A);
	outb(CMOS_INDEX, 0x80 | 0x40);
	check_eq("cmos: index port keeps the NMI-disable bit", inb(CMOS_INDEX), 0xC0);
	check_eq("cmos: and still selects 0x40", inb(CMOS_DATA), 0x5A);
	outb(CMOS_INDEX, 0x0D);
}

static void check_pci_and_ports(void)
{
	bool saw[2] = {false, false};

	outl(PCI_ADDR, 0x80000000U);
	check_eq("pci: 0xCF8 reads back 0x80000000", inl(PCI_ADDR), 0x80000000U);
	outl(PCI_ADDR, 0x80123458U);
	check_eq("pci: 0xCF8 reads back 0x80123458", inl(PCI_ADDR), 0x80123458U);
	check_eq("pci: 0xCFC reads all ones", inl(PCI_DATA), 0xFFFFFFFFU);
	check_eq("pci: 0xCFE word reads all ones", inw(PCI_DATA + 2), 0xFFFF);
	check_eq("pci: 0xCFD byte reads all ones", inb(PCI_DATA + 1), 0xFF);
	outl(PCI_ADDR, 0);
	check_eq("port 0x92: bit 1 (A20) set", inb(PORTA) & 0x02, 0x02);
	outb(PORTB, PORTB_SPK);
	check_eq("port 0x61: speaker enable reads back", inb(PORTB) & 0x0F, PORTB_SPK);
	outb(PORTB, 0);
	for (u32 i = 0; i < POLLS_PORT && !(saw[0] && saw[1]); i++)
		saw[(inb(PORTB) & PORTB_REFRESH) != 0] = true;
	check_true(saw[0] && saw[1], "port 0x61: the refresh bit toggles");
}

static void on_tick(struct trap_frame *f)
{
	if (first_isr == 0xFF)
		first_isr = pic_read(PIC_M_CMD, OCW3_ISR);
	ticks++;
	outb(PIC_M_CMD, OCW2_EOI);
}

static void on_spurious(struct trap_frame *f)
{
	spurious++;
}

/* IF=1 with IRQ0 unmasked: true once an IRQ0 arrived, after at most POLLS_SPIN spins. */
static bool irq_first_tick(void)
{
	u32 spins = 0;

	__asm__ volatile("sti");
	while (ticks == 0 && spins++ < POLLS_SPIN)
		__asm__ volatile("pause");
	__asm__ volatile("cli");
	return ticks != 0;
}

static void check_irq0_hlt(void)
{
	u32 target = ticks + IRQ_TICKS, halts = 0;
	u64 t0 = x86_rdtsc(), ms;

	while (ticks < target && halts++ < HALTS_MAX)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	if (ticks < target) {
		check_fail("irq: %u IRQ0s through sti; hlt: %u in %u halts", IRQ_TICKS,
			   ticks + IRQ_TICKS - target, HALTS_MAX);
		return;
	}
	check_pass("irq: %u IRQ0s through sti; hlt in %u halts", IRQ_TICKS, halts);
	if (!env.tsc_per_ms)
		return;
	ms = (x86_rdtsc() - t0) / env.tsc_per_ms;
	if (ms >= IRQ_TICKS / 2 && ms <= IRQ_TICKS * 2)
		check_pass("irq: %u IRQ0s took %llu ms (PIT channel 0 at 1 kHz)", IRQ_TICKS,
			   (unsigned long long)ms);
	else
		check_fail("irq: %u IRQ0s at 1 kHz took %llu ms, want %u-%u", IRQ_TICKS,
			   (unsigned long long)ms, IRQ_TICKS / 2, IRQ_TICKS * 2);
}

static void check_interrupts(void)
{
	trap_set_handler(PIC_VECTOR, on_tick);
	trap_set_handler(PIC_VECTOR + 7, on_spurious);
	trap_set_handler(PIC_VECTOR + 15, on_spurious);
	pic_init(PIC_VECTOR);
	outb(PIC_S_DATA, 0xFF);
	outb(PIC_M_DATA, 0xFE);
	pit_program(0, 2, PIT_1KHZ);
	if (!irq_first_tick())
		check_fail("irq: no IRQ0 (vector 0x20) within %u spins with IF=1", POLLS_SPIN);
	else {
		check_pass("irq: IRQ0 reaches vector 0x20 with IF=1");
		check_eq("irq: the handler sees IR0 in service", first_isr, 0x01);
		check_irq0_hlt();
	}
	outb(PIC_M_DATA, 0xFF);
	outb(PIT_CTRL, 0x30); /* channel 0 stops: mode 0, no count */
	check_eq("irq: no spurious IRQ7/IRQ15", spurious, 0);
	check_eq("pic: nothing left in service", pic_read(PIC_M_CMD, OCW3_ISR), 0);
}

static void legacy_reset(void)
{
	check_cmos_memory();
	check_pass("before reset");
	outb(PORTA, inb(PORTA) | 0x01);
	check_fail("port 0x92 bit 0: the guest still runs after a fast reset");
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	const struct keel_boot_info *bi = (const struct keel_boot_info *)info;
	const char *args = bootargs_keel(info, magic);

	idt_init();
	if (!bootargs_size(args, "expect_mem", &env.mem))
		env.mem = *args ? bi->mem_size : 0;
	if (bootargs_has(args, "reset", "1")) {
		legacy_reset();
		return;
	}
	check_pic();
	check_pit_channel2();
	check_pit_channel0();
	check_irr_and_poll();
	check_rtc_registers();
	check_rtc_advances();
	check_rtc_formats();
	check_cmos_memory();
	check_cmos_ram();
	check_pci_and_ports();
	check_interrupts();
}
