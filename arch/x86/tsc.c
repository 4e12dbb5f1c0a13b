/*
 * TSC calibration. The host's 8254 channel 2 counts TSC_CAL_COUNT clocks
 * (about 10 ms) in mode 0 while Keel polls its output on port 0x61 bit 5:
 * the TSC ticks between opening the gate (port 0x61 bit 0) and the output
 * rising give the rate. When that fails (no PIT: the output is already
 * high, or it never rises within TSC_CAL_MAX_POLLS reads), CPUID leaf 0x15
 * (crystal rate times the TSC/crystal ratio), then leaf 0x16 (base MHz).
 * Interrupts are off and channel 2 raises none, so nothing disturbs the
 * measurement but SMIs, which only make it a little long.
 */
#include "arch/x86/tsc.h"
#include "arch/x86/cpu.h"
#include "arch/x86/io.h"
#include "arch/x86/pit8254.h"
#include "lib/console.h"
#include "lib/muldiv.h"

#define TSC_CAL_COUNT	  11932U /* PIT clocks: 10.0 ms */
#define TSC_CAL_MAX_POLLS 2000000U
#define TSC_MIN_HZ	  1000000ULL /* below 1 MHz the measurement is not believed */
#define TSC_DEFAULT_HZ	  1000000000ULL

/* Channel 2, LSB then MSB, mode 0 (interrupt on terminal count), binary. */
#define TSC_CAL_CONTROL                                                                            \
	((2 << PIT8254_CW_SC_SHIFT) | (PIT8254_RW_WORD << PIT8254_CW_RW_SHIFT) |                   \
	 (0 << PIT8254_CW_M_SHIFT))

#define CPUID_LEAF_TSC	    0x15
#define CPUID_LEAF_FREQ	    0x16
#define CPUID_FREQ_MHZ_MASK 0xFFFF

/* Shared, write-once at boot: tsc_calibrate, before any other CPU starts. */
u64 tsc_hz = TSC_DEFAULT_HZ;

/* TSC ticks per second against PIT channel 2, or 0 if the PIT does not answer. */
static u64 tsc_measure_pit(void)
{
	u8 portb = inb(PIT8254_PORTB);
	u8 quiet = portb & ~(PIT8254_PORTB_SPEAKER | PIT8254_PORTB_GATE2);
	u64 start, end;
	u32 polls = 0;
	bool risen;

	outb(PIT8254_PORTB, quiet); /* gate low: the count waits */
	outb(PIT8254_CONTROL, TSC_CAL_CONTROL);
	outb(PIT8254_CH2, TSC_CAL_COUNT & 0xFF);
	outb(PIT8254_CH2, TSC_CAL_COUNT >> 8);
	/* Mode 0 drives the output low from the control word on: high now means no PIT. */
	if (inb(PIT8254_PORTB) & PIT8254_PORTB_OUT2) {
		outb(PIT8254_PORTB, portb);
		return 0;
	}
	outb(PIT8254_PORTB, quiet | PIT8254_PORTB_GATE2);
	start = rdtsc();
	do {
		risen = inb(PIT8254_PORTB) & PIT8254_PORTB_OUT2;
	} while (!risen && ++polls < TSC_CAL_MAX_POLLS);
	end = rdtsc();
	outb(PIT8254_PORTB, portb);
	if (!risen)
		return 0;
	return muldiv64(end - start, PIT8254_HZ, TSC_CAL_COUNT);
}

/* The TSC rate CPUID states (leaf 0x15, else 0x16), or 0. */
static u64 tsc_from_cpuid(const char **how)
{
	u32 max = cpuid(0, 0).eax;
	struct cpuid_regs r;

	if (max >= CPUID_LEAF_TSC) {
		r = cpuid(CPUID_LEAF_TSC, 0);
		*how = "CPUID 0x15";
		if (r.eax && r.ebx && r.ecx)
			return muldiv64(r.ecx, r.ebx, r.eax);
	}
	if (max >= CPUID_LEAF_FREQ) {
		r = cpuid(CPUID_LEAF_FREQ, 0);
		*how = "CPUID 0x16";
		if (r.eax & CPUID_FREQ_MHZ_MASK)
			return (u64)(r.eax & CPUID_FREQ_MHZ_MASK) * 1000000ULL;
	}
	return 0;
}

void tsc_calibrate(void)
{
	const char *how = "PIT";
	u64 hz = tsc_measure_pit();

	if (hz < TSC_MIN_HZ) {
		pr_warn("tsc: PIT channel 2 gave no usable measurement");
		hz = tsc_from_cpuid(&how);
	}
	if (hz < TSC_MIN_HZ) {
		hz = TSC_DEFAULT_HZ;
		how = "default, not measured";
	}
	tsc_hz = hz;
	pr_info("tsc: %lu kHz (%s)", hz / 1000, how);
}
