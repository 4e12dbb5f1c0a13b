/*
 * Guest "power": the ACPI power-management registers and every way a PC
 * guest resets or powers itself off (docs/platform-legacy.md, "Power and
 * reset").
 *
 *   -- action=s5|cf9|kbc|port92|triple [restarts=N] [rate=1]
 *
 * Each time it starts it prints `power: start N` with N its restarts so
 * far (KEEL_HC_STATS), then checks the registers its FADT describes:
 * PM1_EN keeps the bits ACPICA sets (GBL_EN, PWRBTN_EN, RTC_EN) and drops
 * the reserved ones; PM1_STS reads 0 but for TMR_STS, which writing 1
 * clears; PM1_CNT has SCI_EN set and keeps SLP_TYP; the PM timer ignores
 * writes and, with rate=1, counts at 3.579545 MHz against the TSC, whose
 * rate it measures with PIT channel 2 first (run it alone for that: time
 * spent descheduled between two reads would count). Then, while it has been
 * restarted fewer than N times (default 0), it asks for a reset by
 * `action`: the reset control register (0x06 to port 0xCF9), the keyboard
 * controller's pulse (0xFE to port 0x64 after its status reads empty), a
 * fast reset (port 0x92 bit 0), or a triple fault (an empty IDT and INT3;
 * its module line needs ontriple=reset). Once restarted N times, and for
 * action=s5, it powers off: SLP_TYP 5 with SLP_EN in PM1a_CNT, and Keel
 * ends it "by poweroff". Getting past any of these is a FAIL.
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/bootargs.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/vmcall.h"
#include "tests/guests/lib/x86.h"
#include "arch/x86/io.h"

#define PM1_STS	       0x600
#define PM1_EN	       0x602
#define PM1_CNT	       0x604
#define PM_TMR	       0x608
#define PM_TMR_HZ      3579545ULL
#define STS_TMR	       0x0001
#define EN_GBL	       0x0020
#define EN_PWRBTN      0x0100
#define EN_RTC	       0x0400
#define EN_RESERVED    0x38DE /* bits no PM1_EN has */
#define CNT_SCI_EN     0x0001
#define CNT_SLP_TYP(t) ((u16)((t) << 10))
#define CNT_SLP_EN     0x2000
#define SLP_TYP_S5     5

#define RST_CNT	     0xCF9
#define KBC_STATUS   0x64
#define KBC_IBF	     0x02
#define PORT92	     0x92
#define PIT_CH2	     0x42
#define PIT_CMD	     0x43
#define PORTB	     0x61
#define PIT_HZ	     1193182ULL
#define PIT_COUNT    59659 /* 50 ms */
#define TSC_WAIT_MAX (1ULL << 32)

static struct keel_guest_stats stats;

static u64 restarts_so_far(void)
{
	if (vmcall3(KEEL_HC_STATS, (uintptr_t)&stats, sizeof(stats), 0) != (long)sizeof(stats)) {
		check_fail("KEEL_HC_STATS failed");
		return 0;
	}
	return stats.restarts;
}

static void check_registers(void)
{
	u16 v;

	outw(PM1_EN, EN_GBL | EN_PWRBTN | EN_RTC | EN_RESERVED);
	check_eq("PM1_EN keeps GBL_EN, PWRBTN_EN, RTC_EN and drops reserved bits", inw(PM1_EN),
		 EN_GBL | EN_PWRBTN | EN_RTC);
	outb(PM1_EN + 1, 0);
	check_eq("PM1_EN high byte written alone", inw(PM1_EN), EN_GBL);
	outw(PM1_STS, 0xFFFF);
	check_eq("PM1_STS reads 0 after writing ones (nothing pending)", inw(PM1_STS) & ~STS_TMR,
		 0);
	v = inw(PM1_CNT);
	check_true(v & CNT_SCI_EN, "PM1_CNT: SCI_EN set (ACPI mode)");
	outw(PM1_CNT, CNT_SLP_TYP(3));
	check_eq("PM1_CNT keeps SLP_TYP without SLP_EN", inw(PM1_CNT), CNT_SCI_EN | CNT_SLP_TYP(3));
	outw(PM1_CNT, CNT_SCI_EN);
}

/* TSC ticks in 50 ms, measured with PIT channel 2 (gated through port 0x61). */
static u64 tsc_per_50ms(void)
{
	u64 t0, t1;

	outb(PORTB, (u8)((inb(PORTB) & ~0x02) | 0x01)); /* gate on, speaker off */
	outb(PIT_CMD, 0xB0);				/* channel 2, lobyte/hibyte, mode 0 */
	outb(PIT_CH2, PIT_COUNT & 0xFF);
	outb(PIT_CH2, PIT_COUNT >> 8);
	t0 = x86_rdtsc();
	while (!(inb(PORTB) & 0x20))
		if (x86_rdtsc() - t0 > TSC_WAIT_MAX)
			break;
	t1 = x86_rdtsc();
	return t1 - t0;
}

static void check_timer(void)
{
	u64 tsc50 = tsc_per_50ms(), t0, t1;
	u32 p0, p1, want, got;

	p0 = inl(PM_TMR);
	t0 = x86_rdtsc();
	outl(PM_TMR, 0);
	while (x86_rdtsc() - t0 < tsc50)
		;
	p1 = inl(PM_TMR);
	t1 = x86_rdtsc();
	got = p1 - p0;
	want = (u32)((t1 - t0) * PM_TMR_HZ / (tsc50 * 20));
	print("power: PM timer %u counts in %llu TSC ticks, 50 ms = %llu ticks\n", got,
	      (unsigned long long)(t1 - t0), (unsigned long long)tsc50);
	check_true(tsc50 > 0 && got > want - want / 50 && got < want + want / 50,
		   "PM timer counts at 3.579545 MHz (within 2 %) and ignores writes");
	outw(PM1_STS, STS_TMR);
	check_eq("TMR_STS clear after writing 1", inw(PM1_STS) & STS_TMR, 0);
}

/* Without the rate check: a write does not reset the count, TMR_STS clears. */
static void check_timer_written(void)
{
	u32 p0 = inl(PM_TMR), p1;

	outl(PM_TMR, 0);
	p1 = inl(PM_TMR);
	check_true(p1 - p0 < 0x80000000U, "PM timer ignores writes");
	outw(PM1_STS, STS_TMR);
	check_eq("TMR_STS clear after writing 1", inw(PM1_STS) & STS_TMR, 0);
}

static void ask_reset(const char *action)
{
	print("power: asking for a reset by %s\n", action);
	if (action[0] == 'c') {
		outb(RST_CNT, 0x02);
		check_eq("RST_CNT keeps SYS_RST", inb(RST_CNT), 0x02);
		outb(RST_CNT, 0x06);
	} else if (action[0] == 'k') {
		for (int i = 0; i < 1000 && (inb(KBC_STATUS) & KBC_IBF); i++)
			;
		outb(KBC_STATUS, 0xFE);
	} else if (action[0] == 'p') {
		outb(PORT92, (u8)(inb(PORT92) | 0x01));
	} else if (action[0] == 't') {
		static const struct {
			u16 limit;
			u64 base;
		} __attribute__((packed)) empty = {0, 0};

		__asm__ volatile("lidt %0; int3" : : "m"(empty) : "memory");
	}
	check_fail("power: still running after asking for a reset by %s", action);
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	const char *args = bootargs_keel(info, magic);
	char action[16] = "s5";
	const char *a;
	size_t alen;
	u64 want = 0, n;

	idt_init();
	if (bootargs_find(args, "action", &a, &alen) && alen && alen < sizeof(action)) {
		for (size_t i = 0; i < alen; i++)
			action[i] = a[i];
		action[alen] = '\0';
	}
	bootargs_size(args, "restarts", &want);
	n = restarts_so_far();
	print("power: start %llu\n", (unsigned long long)n);
	check_registers();
	if (bootargs_has(args, "rate", "1"))
		check_timer();
	else
		check_timer_written();
	if (action[0] != 's' && n < want) {
		check_report();
		ask_reset(action);
	}
	check_report();
	print("power: powering off by ACPI S5\n");
	outw(PM1_CNT, CNT_SLP_TYP(SLP_TYP_S5) | CNT_SLP_EN);
	check_fail("power: still running after S5");
}
