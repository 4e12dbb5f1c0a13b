/*
 * The counters of an 8254 (Intel 82C54 data sheet) as functions of time:
 * no per-clock work. Each channel records when its counting element (CE)
 * was loaded and with what count; its count and its output at any clock
 * are computed from the clocks elapsed since. Time is the PIT's input
 * clock (PIT8254_HZ, arch/x86/pit8254.h) as a free-running u64; the caller
 * passes "now" to every call and never lets it go backwards.
 *
 * Modelled: the control word (modes 0-5, LSB/MSB/LSB-then-MSB access,
 * binary and BCD counting), the counter latch and read-back commands with
 * the status byte, the gate of each mode, a count written during counting
 * (modes 2 and 3: taken at the end of the period, or of the half period in
 * mode 3). Pure: dev/pit8254.c connects it to a guest. Host-tested in
 * tests/unit/test_pit8254.c.
 */
#ifndef KEEL_DEV_PIT8254_CORE_H
#define KEEL_DEV_PIT8254_CORE_H

#include "arch/x86/pit8254.h"
#include "lib/types.h"

#define PIT8254_NEVER (~0ULL) /* no further output edge */

struct pit8254_channel {
	/* From the control word. */
	u8 mode;      /* 0-5 (the control word's 6 and 7 are modes 2 and 3) */
	u8 mode_bits; /* M2-M0 as written, for the status byte */
	u8 access;    /* PIT8254_RW_LSB, _MSB or _WORD */
	bool bcd;
	/* The count register and the byte sequencing of the ports. */
	u16 cr;
	bool have_count; /* a complete count was written since the control word */
	bool write_msb;	 /* WORD access: the next byte written is the MSB */
	bool read_msb;	 /* WORD access: the next byte read is the MSB */
	bool count_latched;
	u16 latch; /* the output latch, as read (BCD when counting BCD) */
	bool status_latched;
	u8 status;
	bool null_count; /* the count register has not reached the CE yet */
	bool gate;
	/* The counting element: n loaded at clock `load`, counting down from there. */
	bool armed;   /* counting as its mode says (modes 1, 5: since a trigger) */
	bool loading; /* started: the count reaches the CE (null count ends) at `load` */
	bool stopped; /* modes 0 and 4 with the gate low: the CE holds `held` */
	u32 n;	      /* the count loaded: 1-65536, BCD 1-10000 */
	u64 load;     /* the clock the count was loaded on */
	u64 held;     /* clocks counted before the stop */
	u16 idle_ce;  /* the CE while not armed (binary) */
	/* A count written while counting in mode 2 or 3: loaded at next_at. */
	bool next_pending;
	bool next_low; /* mode 3: the reload starts a low half */
	u32 next_n;
	u64 next_at, next_load;
};

struct pit8254_core {
	struct pit8254_channel ch[PIT8254_CHANNELS];
};

/*
 * Power-on state: no channel counts (mode 0, LSB then MSB, no count
 * written, outputs low); gates high for channels 0 and 1, low for
 * channel 2 (port 0x61 bit 0 clear).
 */
void pit8254_core_init(struct pit8254_core *p);
/* A write at port offset 0-2 (a channel's count) or 3 (control word). */
void pit8254_core_write(struct pit8254_core *p, unsigned port, u8 val, u64 now);
/* A read at port offset 0-2: the status, the latched count or the live count; 3 reads 0xFF. */
u8 pit8254_core_read(struct pit8254_core *p, unsigned port, u64 now);
/* Channel ch's gate input is now at level. */
void pit8254_core_set_gate(struct pit8254_core *p, unsigned ch, bool level, u64 now);
/* Channel ch's output at clock now. */
bool pit8254_core_out(const struct pit8254_core *p, unsigned ch, u64 now);
/* The CE as a latch would capture it at clock now (BCD-encoded when counting BCD). */
u16 pit8254_core_count(const struct pit8254_core *p, unsigned ch, u64 now);
/* The first clock after now at which channel ch's output changes, or PIT8254_NEVER. */
u64 pit8254_core_next_edge(const struct pit8254_core *p, unsigned ch, u64 now);
/* True when channel ch's output rose at some clock in (from, to]. */
bool pit8254_core_rose(const struct pit8254_core *p, unsigned ch, u64 from, u64 to);

/* BCD of the low four decimal digits of v, and back (a digit above 9 counts as its value). */
u16 pit8254_core_to_bcd(u32 v);
u32 pit8254_core_from_bcd(u16 bcd);

#endif
