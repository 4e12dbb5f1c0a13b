/*
 * Guest "attack_apic": everything a guest can throw at its local APIC, the
 * 8259 and the 8254 (issue 7, tests/emu/test_hostile.py). Keel must stay
 * up, the other guests must not notice, and this guest must still be
 * running at the end.
 *
 *   -- [rounds=3000] [seed=1]
 *
 * Each round, from a pseudo-random stream: a read or write of 1, 2, 4 or 8
 * bytes at any offset of the APIC page (reserved and read-only registers,
 * unaligned and straddling accesses included) with any value, except an
 * ICR command that would INIT this vCPU (that ends the guest by design);
 * now and then an IA32_APIC_BASE write (any value: reserved bits must
 * #GP, EXTD may enter x2APIC mode; a new base inside its RAM, on the test
 * MMIO device's page, at 0, or globally disabled, all followed, then back
 * to xAPIC mode at the default base through the disabled state); a burst of ICR
 * self-IPIs to random vectors (0-15 included) and NMIs; timers with the
 * smallest counts in periodic mode, TSC-deadline in the past and far
 * future; the PIT at its smallest counts in every mode with IRQ 0
 * unmasked; random 8259 OCW2/OCW3 words (the 8259 is set up at vectors
 * 0x20/0x28 first, and again now and then). Interrupts are enabled for a few
 * instructions at a time: every vector has a handler that EOIs both the
 * APIC and the 8259. At the end it quiets every source, checks it can
 * still take one self-IPI, and leaves by debug-exit.
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/bootargs.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/trap.h"
#include "tests/guests/lib/x86.h"

#define APIC_DEFAULT  0xFEE00000ULL
#define MSR_APIC_BASE 0x1B
#define MSR_DEADLINE  0x6E0
#define APIC_EN	      (1ULL << 11)
#define APIC_BSP      (1ULL << 8)
#define APIC_EXTD     (1ULL << 10)

static volatile u64 apic_base = APIC_DEFAULT;
static volatile u64 interrupts, nmis;
static u64 rng_state;

static u64 rng(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return rng_state >> 17;
}

static volatile u8 *apic(u64 off)
{
	return (volatile u8 *)(uintptr_t)(apic_base + off);
}

static void apic_w32(u64 off, u32 v)
{
	*(volatile u32 *)apic(off) = v;
}

static void eoi_all(void)
{
	if (apic_base == APIC_DEFAULT)
		apic_w32(0xB0, 0);
	__asm__ volatile("outb %%al, $0x20; outb %%al, $0xA0" : : "a"((u8)0x20));
}

static void on_interrupt(struct trap_frame *f)
{
	interrupts++;
	eoi_all();
}

static void on_nmi(struct trap_frame *f)
{
	nmis++;
}

/* A write that would INIT this vCPU ends the guest by design: leave it out. */
static bool icr_inits_self(u32 lo)
{
	u32 dm = (lo >> 8) & 7, sh = (lo >> 18) & 3;

	return dm == 5 && sh != 3; /* to self, to all, or to a destination that may be us */
}

static void random_access(void)
{
	u64 off = rng() & 0xFFF, v = rng() | (rng() << 32);
	unsigned size = 1u << (rng() & 3);

	if (off + size > 0x1000)
		off = 0x1000 - size;
	if ((off & ~0xFULL) == 0x300 && icr_inits_self((u32)v))
		v &= ~(7ULL << 8);
	if (rng() & 1) {
		switch (size) {
		case 1:
			(void)*(volatile u8 *)apic(off);
			break;
		case 2:
			(void)*(volatile u16 *)apic(off);
			break;
		case 4:
			(void)*(volatile u32 *)apic(off);
			break;
		default:
			(void)*(volatile u64 *)apic(off);
			break;
		}
		return;
	}
	switch (size) {
	case 1:
		*(volatile u8 *)apic(off) = (u8)v;
		break;
	case 2:
		*(volatile u16 *)apic(off) = (u16)v;
		break;
	case 4:
		*(volatile u32 *)apic(off) = (u32)v;
		break;
	default:
		*(volatile u64 *)apic(off) = v;
		break;
	}
}

static const u64 bases[] = {
    0x00200000ULL, /* inside its RAM */
    0xFEB00000ULL, /* the test MMIO device's page (absent unless testmmio=on) */
    0x0ULL,	   /* page 0 */
    0xFED00000ULL, /* a free page */
    APIC_DEFAULT,
};

static void random_base(void)
{
	u64 v = rng() | (rng() << 32);

	trap_wrmsr(MSR_APIC_BASE, v); /* mostly reserved bits: #GP, or a move */
	if (trap_last.count == 0)
		apic_base = v & 0xFFFFFFFFF000ULL;
	/* A move the guest can follow, or globally off and on again. */
	v = bases[rng() % (sizeof(bases) / sizeof(bases[0]))];
	trap_wrmsr(MSR_APIC_BASE, v | ((rng() & 1) ? APIC_EN : 0) | APIC_BSP);
	/* x2APIC mode now and then (from xAPIC mode only), and its MSRs with any value. */
	if (rng() & 1) {
		trap_wrmsr(MSR_APIC_BASE, v | APIC_EN | APIC_EXTD | APIC_BSP);
		for (int i = 0; i < 16; i++) {
			u32 msr = 0x800 + (u32)(rng() & 0xFF);
			u64 val = (rng() & 1) ? (rng() & 0xFFFF) : (rng() | (rng() << 32));

			if (msr == 0x830 && ((val >> 8) & 7) == 5)
				val &= ~(7ULL << 8); /* no INIT to itself */
			if (rng() & 1)
				(void)trap_rdmsr(msr, 0);
			else
				trap_wrmsr(msr, val);
		}
	}
	/* Back to xAPIC mode at the default base; from x2APIC mode only through disabled. */
	trap_wrmsr(MSR_APIC_BASE, APIC_DEFAULT | APIC_BSP);
	trap_wrmsr(MSR_APIC_BASE, APIC_DEFAULT | APIC_EN | APIC_BSP);
	apic_base = APIC_DEFAULT;
	apic_w32(0xF0, 0x1FF); /* software-enabled again after a reset */
}

/* ICW1-ICW4 with the vectors at 0x20/0x28, out of the exceptions' way. */
static void pic_init(void)
{
	static const u8 master[] = {0x11, 0x20, 0x04, 0x01}, slave[] = {0x11, 0x28, 0x02, 0x01};

	for (int i = 0; i < 4; i++) {
		__asm__ volatile("outb %%al, %%dx" : : "a"(master[i]), "d"((u16)(i ? 0x21 : 0x20)));
		__asm__ volatile("outb %%al, %%dx" : : "a"(slave[i]), "d"((u16)(i ? 0xA1 : 0xA0)));
	}
}

static void storm(void)
{
	for (int i = 0; i < 8; i++) {
		u32 vec = (u32)rng() & 0xFF;

		if (vec >= 16 && vec < 32) /* would land on exception stubs; 0-15 are illegal */
			vec += 32;

		apic_w32(0x310, (u32)rng() << 24);
		apic_w32(0x300, (rng() & 1 ? (1u << 18) : (2u << 18)) |
				    ((rng() & 3) == 0 ? 4u << 8 : 0) | (1u << 14) | vec);
	}
	/* Timers: the smallest counts, periodic, TSC-deadline in the past and far away. */
	apic_w32(0x3E0, (u32)rng() & 0xB);
	apic_w32(0x320, (u32)(rng() & 0x700FF) | 0x20);
	apic_w32(0x380, (u32)(rng() & 3));
	trap_wrmsr(MSR_DEADLINE, (rng() & 1) ? 1 : ~0ULL);
	/* The PIT at its smallest counts, any mode, IRQ 0 unmasked. */
	__asm__ volatile("outb %%al, $0x43" : : "a"((u8)(0x30 | ((rng() & 7) << 1))));
	__asm__ volatile("outb %%al, $0x40; outb %%al, $0x40" : : "a"((u8)(rng() & 3)));
	__asm__ volatile("outb %%al, $0x21" : : "a"((u8)(rng() & 0xFE)));
	/* Random OCW2/OCW3 words, and now and then a full re-initialisation. */
	if ((rng() & 7) == 0)
		__asm__ volatile("outb %%al, $0x20" : : "a"((u8)(rng() & ~0x10u)));
	if ((rng() & 31) == 0)
		pic_init();
	__asm__ volatile("sti; nop; nop; nop; nop; cli" ::: "memory");
	/* Mostly stop the timers again: a storm left running starves this guest of progress. */
	if (rng() & 7) {
		apic_w32(0x380, 0);
		__asm__ volatile("outb %%al, $0x43"
				 :
				 : "a"((u8)0x30)); /* mode 0, no count: stopped */
	}
}

static void quiet(void)
{
	apic_w32(0x320, 1u << 16);
	apic_w32(0x380, 0);
	apic_w32(0x370, 1u << 16);
	__asm__ volatile("outb %%al, $0x21; outb %%al, $0xA1" : : "a"((u8)0xFF));
	for (int i = 0; i < 64; i++)
		eoi_all();
	apic_w32(0x80, 0);
	__asm__ volatile("sti; nop; nop; nop; cli" ::: "memory"); /* drain what is pending */
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	const char *args = bootargs_keel(info, magic);
	u64 rounds = 3000, seed = 1, before;

	idt_init();
	for (u32 v = 32; v < 256; v++)
		trap_set_handler(v, on_interrupt);
	trap_set_handler(2, on_nmi);
	bootargs_size(args, "rounds", &rounds);
	bootargs_size(args, "seed", &seed);
	rng_state = seed;
	pic_init();
	print("attack_apic: %llu rounds, seed %llu\n", (unsigned long long)rounds,
	      (unsigned long long)seed);
	for (u64 r = 0; r < rounds; r++) {
		u64 what = rng() & 63;

		if (what == 0)
			random_base();
		else if (what < 4)
			storm();
		else
			random_access();
	}
	quiet();
	print("attack_apic: %llu interrupts and %llu NMIs taken\n", (unsigned long long)interrupts,
	      (unsigned long long)nmis);
	before = interrupts;
	apic_w32(0xF0, 0x1FF);
	apic_w32(0x310, 0);
	apic_w32(0x300, (1u << 18) | (1u << 14) | 0x40);
	__asm__ volatile("sti; nop; cli" ::: "memory");
	check_eq("after the storm a self IPI still arrives once", interrupts - before, 1);
}
