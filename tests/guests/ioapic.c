/*
 * Guest "ioapic": the I/O APIC of Keel's virtual platform (docs/platform.md,
 * docs/platform-legacy.md), judged by the Intel 82093AA data sheet and the
 * SDM Vol. 3A chapter 11, driven the way an OS in APIC mode drives it: the
 * 8259 pair masked, the local APIC's LINT0 masked, interrupts through the
 * I/O APIC's redirection table.
 *
 *   regs      ID (bits 27:24 writable), VER 0x00170011, ARB (read-only,
 *             loaded when ID is written), registers that do not exist,
 *             IOREGSEL (bits 7:0) and IOWIN at 8-, 16-, 32- and 64-bit
 *             widths (only 32-bit writes count), the rest of the page, the
 *             24 entries at reset (masked) and their writable, read-only
 *             and reserved bits
 *   edge      the PIT (ISA IRQ 0) on pin 2, edge-triggered, fixed, to the
 *             own APIC ID: the first interrupt with IF=1, then 20 through
 *             `sti; hlt` at the programmed 1 kHz (timed against PIT channel
 *             2); in the handler ISR is set and TMR clear; the masked
 *             8259 latches IRQ 0 in its IRR all the same
 *   dest      physical destination of another APIC ID: nothing; 0xFF
 *             (broadcast): delivered; logical flat destination matching
 *             the LDR: delivered; one that does not match: nothing
 *   mask      an edge while the entry is masked is lost; the next edge
 *             after unmasking is delivered
 *   level     pin 2 level-triggered, driven from the guest by PIT channel
 *             0 in mode 0 (its output, so the line, stays high after the
 *             terminal count until the next control word): asserted while
 *             masked delivers nothing; unmasked, it reaches IRR with TMR
 *             set and sets remote IRR, which stays set through the handler
 *             until the EOI; an EOI with the line still high clears remote
 *             IRR and delivers again; masked, the EOI clears remote IRR and
 *             nothing is sent; unmasked again, it delivers; the line
 *             lowered, the EOI ends it; rewriting the entry edge-triggered
 *             clears a set remote IRR
 *   nmi       pin 2 with delivery mode NMI: the PIT's edge arrives as an NMI
 *   pic       back to the 8259 (I/O APIC entry masked, LINT0 ExtINT, IRQ 0
 *             unmasked): IRQ 0 arrives at the 8259's vector again
 *   end       no stray or spurious interrupt
 *
 * The RTC raises no interrupt in Keel (docs/platform-legacy.md), so IRQ 8
 * is not tested here. Every wait is bounded by RDTSC (after the PIT gave
 * the TSC rate) or a poll count: a missing interrupt is a FAIL line.
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/trap.h"
#include "tests/guests/lib/x86.h"

/* The I/O APIC (82093AA data sheet, section 3) at the MADT's address. */
#define IOAPIC_BASE    0xFEC00000ULL
#define IOREGSEL       0x00
#define IOWIN	       0x10
#define IOAPIC_ID      0x00
#define IOAPIC_VER     0x01
#define IOAPIC_ARB     0x02
#define IOAPIC_REDTBL  0x10 /* entry n: 0x10 + 2n (low), 0x11 + 2n (high) */
#define IOAPIC_PINS    24
#define MADT_ID	       0x01000000U /* the MADT's I/O APIC ID: the first APIC ID no processor has */
#define IOAPIC_VER_VAL 0x00170011U /* version 0x11, max redirection entry 23 */
#define RTE_MASKED     BIT(16)
#define RTE_LEVEL      BIT(15)
#define RTE_REMOTE_IRR BIT(14)
#define RTE_LOGICAL    BIT(11)
#define RTE_DM_NMI     (4U << 8)
#define RTE_LOW_RW     0x0001AFFFU /* vector, mode, dest mode, polarity, trigger, mask */
#define RTE_HIGH_RW    0xFF000000U /* destination */
#define PIT_PIN	       2	   /* ISA IRQ 0 (the MADT's override) */

/* The local APIC (SDM Vol. 3A Table 11-1). */
#define LAPIC_BASE	0xFEE00000ULL
#define LAPIC_ID	0x020
#define LAPIC_EOI	0x0B0
#define LAPIC_LDR	0x0D0
#define LAPIC_DFR	0x0E0
#define LAPIC_SPIV	0x0F0
#define LAPIC_ISR	0x100
#define LAPIC_TMR	0x180
#define LAPIC_IRR	0x200
#define LAPIC_LVT_LINT0 0x350
#define LVT_MASKED	BIT(16)
#define LVT_EXTINT	(7U << 8)

/* The 8259 pair, the PIT, port 0x61. */
#define PIC_M_CMD   0x20
#define PIC_M_DATA  0x21
#define PIC_S_CMD   0xA0
#define PIC_S_DATA  0xA1
#define OCW3_IRR    0x0A
#define OCW2_EOI    0x20
#define PIT_CH0	    0x40
#define PIT_CTRL    0x43
#define PIT_10MS    11932U
#define PIT_1KHZ    1193U
#define PORTB	    0x61
#define PORTB_GATE2 0x01
#define PORTB_SPK   0x02
#define PORTB_OUT2  0x20

/* Page-table entry bits (SDM Vol. 3A 4.5). */
#define PTE_P	 BIT(0)
#define PTE_PWT	 BIT(3)
#define PTE_PCD	 BIT(4)
#define PTE_PS	 BIT(7)
#define PTE_ADDR 0x000FFFFFFFFFF000ULL

/* Vectors. */
#define VEC_NMI	     2
#define VEC_PIC	     0x20 /* the 8259 master at 0x20-0x27, the slave at 0x28-0x2F */
#define VEC_EDGE     0x30
#define VEC_LEVEL    0x31
#define VEC_SPURIOUS 0xFF

#define POLLS	   200000U /* device polls (each one a VM exit) */
#define TICKS	   20U
#define HALTS_MAX  200U
#define WAIT_MS	   20U	    /* an interrupt that is due arrives within this */
#define QUIET_MS   5U	    /* an interrupt that must not come: watched this long */
#define SETTLE_MS  2U	    /* a PIT output edge reaches the I/O APIC within this */
#define TSC_NO_CAL 50000ULL /* ticks per ms assumed if channel 2 cannot say */

static u64 tsc_per_ms = TSC_NO_CAL;
static u32 self_id;
static volatile u32 hits[256];
static volatile bool hold_eoi[256];	 /* the test sends the EOI itself */
static volatile bool isr_seen, tmr_seen; /* the vector's ISR and TMR bits in its handler */

/* ---- Register access ---- */

static u32 lapic_read(u32 off)
{
	return *(volatile u32 *)(uintptr_t)(LAPIC_BASE + off);
}

static void lapic_write(u32 off, u32 v)
{
	*(volatile u32 *)(uintptr_t)(LAPIC_BASE + off) = v;
}

static bool lapic_bit(u32 base, u32 vec)
{
	return (lapic_read(base + 0x10 * (vec / 32)) >> (vec % 32)) & 1;
}

static volatile u8 *ioapic_byte(u32 off)
{
	return (volatile u8 *)(uintptr_t)(IOAPIC_BASE + off);
}

static u32 mmio_read32(u32 off)
{
	return *(volatile u32 *)(uintptr_t)(IOAPIC_BASE + off);
}

static void mmio_write32(u32 off, u32 v)
{
	*(volatile u32 *)(uintptr_t)(IOAPIC_BASE + off) = v;
}

/* A register through IOREGSEL/IOWIN, 32-bit accesses as the data sheet asks. */
static u32 io_read(u8 reg)
{
	mmio_write32(IOREGSEL, reg);
	return mmio_read32(IOWIN);
}

static void io_write(u8 reg, u32 v)
{
	mmio_write32(IOREGSEL, reg);
	mmio_write32(IOWIN, v);
}

static u32 rte_low(u32 pin)
{
	return io_read((u8)(IOAPIC_REDTBL + 2 * pin));
}

static u32 rte_high(u32 pin)
{
	return io_read((u8)(IOAPIC_REDTBL + 2 * pin + 1));
}

/* Destination first, then the low half (which may unmask). */
static void rte_set(u32 pin, u32 high, u32 low)
{
	io_write((u8)(IOAPIC_REDTBL + 2 * pin + 1), high);
	io_write((u8)(IOAPIC_REDTBL + 2 * pin), low);
}

static u8 pic_irr(void)
{
	outb(PIC_M_CMD, OCW3_IRR);
	return inb(PIC_M_CMD);
}

/* Master at 0x20, slave at 0x28, cascaded on IR2, 8086 mode; then the masks. */
static void pic_init(u8 master_imr, u8 slave_imr)
{
	outb(PIC_M_CMD, 0x11);
	outb(PIC_S_CMD, 0x11);
	outb(PIC_M_DATA, VEC_PIC);
	outb(PIC_S_DATA, VEC_PIC + 8);
	outb(PIC_M_DATA, 0x04);
	outb(PIC_S_DATA, 0x02);
	outb(PIC_M_DATA, 0x01);
	outb(PIC_S_DATA, 0x01);
	outb(PIC_M_DATA, master_imr);
	outb(PIC_S_DATA, slave_imr);
}

static void pit_program(u8 ch, u8 mode, u16 count)
{
	outb(PIT_CTRL, (u8)(ch << 6 | 0x30 | mode << 1));
	outb(PIT_CH0 + ch, (u8)count);
	outb(PIT_CH0 + ch, (u8)(count >> 8));
}

/* Channel 0 stops with its output low: mode 0, no count (the line falls at once). */
static void pit_stop(void)
{
	outb(PIT_CTRL, 0x30);
}

/* Waits until channel 0's output is high (read-back status); false after POLLS. */
static bool pit_wait_out0(void)
{
	for (u32 i = 0; i < POLLS; i++) {
		outb(PIT_CTRL, 0xE2); /* read-back: status of channel 0 */
		if (inb(PIT_CH0) & 0x80)
			return true;
	}
	return false;
}

/* ---- Time and interrupts ---- */

static void spin_ms(u32 ms)
{
	u64 t0 = x86_rdtsc();

	while (x86_rdtsc() - t0 < ms * tsc_per_ms)
		__asm__ volatile("pause");
}

/* IF=1 until vec has `want` hits or ms pass; IF=0 after. Returns the hits. */
static u32 wait_hits(u32 vec, u32 want, u32 ms)
{
	u64 t0 = x86_rdtsc();

	__asm__ volatile("sti" ::: "memory");
	while (hits[vec] < want && x86_rdtsc() - t0 < ms * tsc_per_ms)
		__asm__ volatile("pause");
	__asm__ volatile("cli" ::: "memory");
	return hits[vec];
}

/* Takes whatever is pending: one instruction with IF=1 past STI's shadow. */
static void take_pending(void)
{
	__asm__ volatile("sti; nop; cli" ::: "memory");
}

static void on_irq(struct trap_frame *f)
{
	u32 v = (u32)f->vector;

	hits[v]++;
	if (v >= VEC_PIC && v < VEC_PIC + 16) { /* through the 8259: it wants its EOI */
		if (v != VEC_PIC + 7 && v != VEC_PIC + 15)
			outb(PIC_M_CMD, OCW2_EOI);
		return;
	}
	if (v == VEC_NMI || v == VEC_SPURIOUS)
		return;
	isr_seen = lapic_bit(LAPIC_ISR, v);
	tmr_seen = lapic_bit(LAPIC_TMR, v);
	if (!hold_eoi[v])
		lapic_write(LAPIC_EOI, 0);
}

/* ---- Setup ---- */

/* Marks the boot page tables' leaf mapping va uncached (PCD|PWT). */
static bool map_uncached(u64 va)
{
	u64 *table = (u64 *)(uintptr_t)(x86_read_cr3() & PTE_ADDR);

	for (int level = 3; level >= 0; level--) {
		u64 *e = &table[(va >> (12 + 9 * level)) & 511];

		if (!(*e & PTE_P))
			return false;
		if (level == 0 || (level < 3 && (*e & PTE_PS))) {
			*e |= PTE_PCD | PTE_PWT;
			__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
			return true;
		}
		table = (u64 *)(uintptr_t)(*e & PTE_ADDR);
	}
	return false;
}

/* The TSC rate from PIT channel 2 counting 10 ms through port 0x61. */
static void calibrate(void)
{
	u8 b = inb(PORTB) & (u8) ~(PORTB_GATE2 | PORTB_SPK);
	u32 polls = 0;
	bool risen = false;
	u64 t0, t1;

	outb(PORTB, b);
	pit_program(2, 0, PIT_10MS);
	outb(PORTB, b | PORTB_GATE2);
	t0 = x86_rdtsc();
	while (!risen && polls++ < POLLS)
		risen = inb(PORTB) & PORTB_OUT2;
	t1 = x86_rdtsc();
	outb(PORTB, b);
	if (risen && t1 > t0 + 10)
		tsc_per_ms = (t1 - t0) / 10;
	else
		check_fail("setup: PIT channel 2 did not time 10 ms (%u polls)", polls);
}

/* 8259 initialised and masked, local APIC enabled with LINT0 masked: APIC mode. */
static void setup(void)
{
	idt_init();
	for (u32 v = 32; v < 256; v++)
		trap_set_handler(v, on_irq);
	trap_set_handler(VEC_NMI, on_irq);
	if (!map_uncached(IOAPIC_BASE) || !map_uncached(LAPIC_BASE))
		check_fail("setup: the boot page tables do not map the APIC pages");
	pic_init(0xFF, 0xFF);
	self_id = lapic_read(LAPIC_ID) >> 24;
	lapic_write(LAPIC_SPIV, 0x100 | VEC_SPURIOUS);
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED | LVT_EXTINT);
	calibrate();
}

/* ---- regs ---- */

static void check_id_ver_arb(void)
{
	check_eq("regs: ID reads 1 (the MADT's I/O APIC ID)", io_read(IOAPIC_ID), MADT_ID);
	check_eq("regs: VER is 0x00170011 (version 0x11, 24 entries)", io_read(IOAPIC_VER),
		 IOAPIC_VER_VAL);
	check_eq("regs: ARB reads the ID", io_read(IOAPIC_ARB), MADT_ID);
	io_write(IOAPIC_ID, 0xFFFFFFFF);
	check_eq("regs: ID keeps bits 27:24 only", io_read(IOAPIC_ID), 0x0F000000);
	check_eq("regs: ARB is loaded when ID is written", io_read(IOAPIC_ARB), 0x0F000000);
	io_write(IOAPIC_ARB, 0x03000000);
	check_eq("regs: ARB is read-only", io_read(IOAPIC_ARB), 0x0F000000);
	io_write(IOAPIC_VER, 0);
	check_eq("regs: VER is read-only", io_read(IOAPIC_VER), IOAPIC_VER_VAL);
	io_write(IOAPIC_ID, MADT_ID);
	check_true(io_read(IOAPIC_ID) == MADT_ID && io_read(IOAPIC_ARB) == MADT_ID,
		   "regs: ID and ARB back to 1");
	io_write(0x03, 0xFFFFFFFF);
	io_write(0x40, 0xFFFFFFFF); /* entry 24 would be here: there are 24 */
	io_write(0xFF, 0xFFFFFFFF);
	check_true(io_read(0x03) == 0 && io_read(0x40) == 0 && io_read(0xFF) == 0,
		   "regs: registers 0x03, 0x40, 0xFF do not exist (read 0, writes ignored)");
}

static void check_window(void)
{
	u64 wide;

	mmio_write32(IOREGSEL, 0x12345601);
	check_eq("regs: IOREGSEL keeps bits 7:0", mmio_read32(IOREGSEL), 0x01);
	check_eq("regs: IOWIN reads VER (32-bit)", mmio_read32(IOWIN), IOAPIC_VER_VAL);
	check_eq("regs: IOWIN byte 2 reads VER bits 23:16", *ioapic_byte(IOWIN + 2), 0x17);
	check_eq("regs: IOWIN 16-bit read", *(volatile u16 *)ioapic_byte(IOWIN), 0x0011);
	wide = *(volatile u64 *)ioapic_byte(IOWIN);
	check_eq("regs: IOWIN 64-bit read covers IOWIN and zeros", wide, IOAPIC_VER_VAL);
	*ioapic_byte(IOREGSEL) = IOAPIC_ID;
	check_eq("regs: a byte write to IOREGSEL is ignored", mmio_read32(IOREGSEL), IOAPIC_VER);
	mmio_write32(IOREGSEL, IOAPIC_ID);
	*ioapic_byte(IOWIN + 3) = 0x0F;
	*(volatile u16 *)ioapic_byte(IOWIN + 2) = 0x0F00;
	*ioapic_byte(IOWIN) = 0x00;
	check_eq("regs: byte and 16-bit writes to IOWIN are ignored", io_read(IOAPIC_ID), MADT_ID);
	mmio_write32(0x20, 0xFFFFFFFF);
	mmio_write32(0x40, 0xFFFFFFFF);
	check_true(mmio_read32(0x04) == 0 && mmio_read32(0x20) == 0 && mmio_read32(0x40) == 0 &&
		       mmio_read32(0xFFC) == 0,
		   "regs: the rest of the page reads 0 (no EOI register at 0x40)");
}

static void check_entries(void)
{
	u32 bad = IOAPIC_PINS;

	for (u32 pin = 0; pin < IOAPIC_PINS; pin++)
		if (rte_low(pin) != RTE_MASKED || rte_high(pin) != 0)
			bad = pin;
	if (bad == IOAPIC_PINS)
		check_pass("regs: all 24 entries masked, other bits 0, at entry");
	else
		check_fail("regs: entry %u at entry: 0x%08x%08x, want 0x0000000000010000", bad,
			   rte_high(bad), rte_low(bad));
	io_write(IOAPIC_REDTBL + 2 * 5, 0xFFFFFFFF);
	check_eq("regs: entry bits 31:0 written all ones (12, 14 read-only, 31:17 reserved)",
		 rte_low(5), RTE_LOW_RW);
	io_write(IOAPIC_REDTBL + 2 * 5 + 1, 0xFFFFFFFF);
	check_eq("regs: entry bits 63:32 written all ones (55:32 reserved)", rte_high(5),
		 RTE_HIGH_RW);
	check_true(rte_low(4) == RTE_MASKED && rte_low(6) == RTE_MASKED && rte_high(4) == 0 &&
		       rte_high(6) == 0,
		   "regs: the neighbouring entries are untouched");
	rte_set(5, 0, RTE_MASKED);
	check_true(rte_low(5) == RTE_MASKED && rte_high(5) == 0, "regs: entry 5 restored");
	io_write(IOAPIC_REDTBL + 2 * 23 + 1, 0x5A000000);
	check_eq("regs: entry 23 is registers 0x3E-0x3F", rte_high(23), 0x5A000000);
	io_write(IOAPIC_REDTBL + 2 * 23 + 1, 0);
}

/* ---- edge ---- */

static void check_edge_ticks(void)
{
	u32 target = hits[VEC_EDGE] + TICKS, halts = 0;
	u64 t0 = x86_rdtsc(), ms;

	while (hits[VEC_EDGE] < target && halts++ < HALTS_MAX)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	if (hits[VEC_EDGE] < target) {
		check_fail("edge: %u interrupts through sti; hlt: %u in %u halts", TICKS,
			   hits[VEC_EDGE] + TICKS - target, HALTS_MAX);
		return;
	}
	ms = (x86_rdtsc() - t0) / tsc_per_ms;
	check_pass("edge: %u interrupts through sti; hlt in %u halts", TICKS, halts);
	if (ms >= TICKS / 2 && ms <= TICKS * 2)
		check_pass("edge: %u interrupts took %llu ms (PIT at 1 kHz)", TICKS,
			   (unsigned long long)ms);
	else
		check_fail("edge: %u interrupts at 1 kHz took %llu ms, want %u-%u", TICKS,
			   (unsigned long long)ms, TICKS / 2, TICKS * 2);
}

static void check_edge(void)
{
	rte_set(PIT_PIN, self_id << 24, VEC_EDGE);
	pit_program(0, 2, PIT_1KHZ);
	if (!wait_hits(VEC_EDGE, 1, WAIT_MS)) {
		check_fail("edge: no interrupt on vector 0x30 within %u ms with IF=1", WAIT_MS);
		pit_stop();
		return;
	}
	check_pass("edge: the PIT reaches vector 0x30 through pin 2 with IF=1");
	check_true(isr_seen && !tmr_seen, "edge: in the handler ISR is set, TMR clear (edge)");
	check_edge_ticks();
	check_eq("edge: the masked 8259 latched IRQ 0 in its IRR too", pic_irr() & 1, 1);
	check_eq("edge: nothing came through the 8259", hits[VEC_PIC], 0);
	check_eq("edge: remote IRR stays 0 for an edge entry", rte_low(PIT_PIN) & RTE_REMOTE_IRR,
		 0);
}

/* ---- dest: the PIT still runs at 1 kHz ---- */

static void expect_dest(const char *what, u32 high, u32 low, bool delivered)
{
	u32 before, n;

	rte_set(PIT_PIN, high, low);
	take_pending(); /* an interrupt the previous setting left in IRR */
	before = hits[VEC_EDGE];
	n = wait_hits(VEC_EDGE, before + 1, delivered ? WAIT_MS : QUIET_MS) - before;
	if ((n > 0) == delivered)
		check_pass("dest: %s", what);
	else
		check_fail("dest: %s: %u interrupts", what, n);
}

static void check_destinations(void)
{
	expect_dest("physical, another APIC ID: nothing", ((self_id + 1) & 0xFF) << 24, VEC_EDGE,
		    false);
	expect_dest("physical 0xFF (broadcast): delivered", 0xFF000000, VEC_EDGE, true);
	lapic_write(LAPIC_DFR, 0xFFFFFFFF);
	lapic_write(LAPIC_LDR, 0x01000000);
	expect_dest("logical flat 0x01, LDR 0x01: delivered", 0x01000000, RTE_LOGICAL | VEC_EDGE,
		    true);
	expect_dest("logical flat 0x02, LDR 0x01: nothing", 0x02000000, RTE_LOGICAL | VEC_EDGE,
		    false);
	lapic_write(LAPIC_LDR, 0);
	rte_set(PIT_PIN, 0, RTE_MASKED);
	pit_stop();
}

/* ---- mask: an edge on a masked entry is lost ---- */

static void check_masked_edge(void)
{
	u32 before;

	rte_set(PIT_PIN, self_id << 24, RTE_MASKED | VEC_EDGE);
	pit_program(0, 0, PIT_1KHZ);
	if (!pit_wait_out0()) {
		check_fail("mask: PIT channel 0 mode 0 output never rose");
		return;
	}
	spin_ms(SETTLE_MS);
	take_pending();
	before = hits[VEC_EDGE];
	rte_set(PIT_PIN, self_id << 24, VEC_EDGE);
	if (wait_hits(VEC_EDGE, before + 1, QUIET_MS) == before)
		check_pass("mask: an edge while masked is lost, not delivered on unmask");
	else
		check_fail("mask: an edge while masked was delivered after unmasking");
	pit_program(0, 0, PIT_1KHZ); /* output low, then a new rising edge */
	if (wait_hits(VEC_EDGE, before + 1, WAIT_MS) == before + 1)
		check_pass("mask: the next edge after unmasking is delivered");
	else
		check_fail("mask: the next edge after unmasking: %u interrupts, want 1",
			   hits[VEC_EDGE] - before);
	rte_set(PIT_PIN, 0, RTE_MASKED);
	pit_stop();
}

/* ---- level: the PIT's mode 0 output holds pin 2 high ---- */

static bool level_raise_line(void)
{
	pit_program(0, 0, 100);
	if (!pit_wait_out0()) {
		check_fail("level: PIT channel 0 mode 0 output never rose");
		return false;
	}
	spin_ms(SETTLE_MS);
	return true;
}

static void check_level_eoi(u32 low)
{
	u32 h0 = hits[VEC_LEVEL];

	take_pending();
	check_true(hits[VEC_LEVEL] == h0 + 1 && isr_seen,
		   "level: the handler runs with the vector in service, no EOI yet");
	check_eq("level: remote IRR stays set until the EOI", rte_low(PIT_PIN) & RTE_REMOTE_IRR,
		 RTE_REMOTE_IRR);
	lapic_write(LAPIC_EOI, 0);
	check_true((rte_low(PIT_PIN) & RTE_REMOTE_IRR) && lapic_bit(LAPIC_IRR, VEC_LEVEL),
		   "level: EOI with the line high: remote IRR cleared and set again, in IRR again");
	rte_set(PIT_PIN, self_id << 24, RTE_MASKED | low);
	take_pending();
	lapic_write(LAPIC_EOI, 0);
	check_true(hits[VEC_LEVEL] == h0 + 2 && !(rte_low(PIT_PIN) & RTE_REMOTE_IRR) &&
		       !lapic_bit(LAPIC_IRR, VEC_LEVEL),
		   "level: masked, the EOI clears remote IRR and nothing is sent");
	rte_set(PIT_PIN, self_id << 24, low);
	check_true((rte_low(PIT_PIN) & RTE_REMOTE_IRR) && lapic_bit(LAPIC_IRR, VEC_LEVEL),
		   "level: unmasked with the line high: delivered again");
	pit_stop();
	take_pending();
	lapic_write(LAPIC_EOI, 0);
	check_true(hits[VEC_LEVEL] == h0 + 3 && !(rte_low(PIT_PIN) & RTE_REMOTE_IRR) &&
		       !lapic_bit(LAPIC_IRR, VEC_LEVEL),
		   "level: the line lowered, the EOI ends it: remote IRR 0, nothing pending");
	check_eq("level: and nothing more arrives", wait_hits(VEC_LEVEL, h0 + 4, QUIET_MS), h0 + 3);
}

static void check_level(void)
{
	u32 low = RTE_LEVEL | VEC_LEVEL;

	pit_stop();
	rte_set(PIT_PIN, self_id << 24, RTE_MASKED | low);
	if (!level_raise_line())
		return;
	check_true(!(rte_low(PIT_PIN) & RTE_REMOTE_IRR) && !lapic_bit(LAPIC_IRR, VEC_LEVEL),
		   "level: asserted while masked: nothing sent, remote IRR 0");
	hold_eoi[VEC_LEVEL] = true;
	rte_set(PIT_PIN, self_id << 24, low);
	check_true(lapic_bit(LAPIC_IRR, VEC_LEVEL),
		   "level: unmasked while asserted: delivered (in IRR, IF=0)");
	check_true(lapic_bit(LAPIC_TMR, VEC_LEVEL), "level: TMR set for a level-triggered vector");
	check_eq("level: remote IRR set once the local APIC accepted it",
		 rte_low(PIT_PIN) & RTE_REMOTE_IRR, RTE_REMOTE_IRR);
	check_level_eoi(low);
	/* A remote IRR left set: rewriting the entry edge-triggered clears it. */
	if (!level_raise_line())
		return;
	rte_set(PIT_PIN, self_id << 24, low);
	rte_set(PIT_PIN, self_id << 24, RTE_MASKED | VEC_LEVEL);
	check_eq("level: rewritten edge-triggered, remote IRR reads 0",
		 rte_low(PIT_PIN) & RTE_REMOTE_IRR, 0);
	pit_stop();
	take_pending();
	lapic_write(LAPIC_EOI, 0);
	hold_eoi[VEC_LEVEL] = false;
	rte_set(PIT_PIN, 0, RTE_MASKED);
}

/* ---- nmi ---- */

static void check_nmi(void)
{
	u32 before = hits[VEC_NMI];

	rte_set(PIT_PIN, self_id << 24, RTE_DM_NMI);
	pit_program(0, 0, PIT_1KHZ);
	if (wait_hits(VEC_NMI, before + 1, WAIT_MS) == before + 1)
		check_pass("nmi: pin 2 in NMI mode delivers the PIT's edge as an NMI");
	else
		check_fail("nmi: pin 2 in NMI mode: %u NMIs, want 1", hits[VEC_NMI] - before);
	rte_set(PIT_PIN, 0, RTE_MASKED);
	pit_stop();
}

/* ---- pic: back to the 8259 through LINT0 ---- */

static void check_pic(void)
{
	u32 edge = hits[VEC_EDGE], target = hits[VEC_PIC] + TICKS, halts = 0;

	lapic_write(LAPIC_LVT_LINT0, LVT_EXTINT);
	pic_init(0xFE, 0xFF);
	pit_program(0, 2, PIT_1KHZ);
	while (hits[VEC_PIC] < target && halts++ < HALTS_MAX)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	if (hits[VEC_PIC] >= target)
		check_pass("pic: %u IRQ 0s at the 8259's vector 0x20 through LINT0 (ExtINT)",
			   TICKS);
	else
		check_fail("pic: IRQ 0 through the 8259: %u in %u halts, want %u",
			   hits[VEC_PIC] + TICKS - target, HALTS_MAX, TICKS);
	check_eq("pic: the masked I/O APIC entry delivered nothing", hits[VEC_EDGE], edge);
	outb(PIC_M_DATA, 0xFF);
	pit_stop();
}

static void check_stray(void)
{
	u32 stray = 0, first = 0;

	for (u32 v = 32; v < 256; v++) {
		if (v == VEC_PIC || v == VEC_EDGE || v == VEC_LEVEL || !hits[v])
			continue;
		if (!stray)
			first = v;
		stray += hits[v];
	}
	if (stray)
		check_fail("end: %u stray interrupts (first vector 0x%x; 0xff is spurious)", stray,
			   first);
	else
		check_pass("end: no stray or spurious interrupts");
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	setup();
	check_id_ver_arb();
	check_window();
	check_entries();
	check_edge();
	check_destinations();
	check_masked_edge();
	check_level();
	check_nmi();
	check_pic();
	check_stray();
}
