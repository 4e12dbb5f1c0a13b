/*
 * The MC146818A-compatible real-time clock and CMOS RAM of a PC (Motorola
 * MC146818A data sheet: registers 0x00-0x0D; the PC/AT's index port 0x70,
 * data port 0x71 and its use of the RAM above 0x0D). Keel reads the host's
 * clock once (arch/x86/rtc.c) and models one per guest (dev/cmos.c).
 */
#ifndef KEEL_ARCH_X86_RTC_H
#define KEEL_ARCH_X86_RTC_H

#include "lib/types.h"

#define RTC_INDEX_PORT	0x70
#define RTC_DATA_PORT	0x71
#define RTC_NMI_DISABLE BIT(7) /* in the index port */
#define RTC_INDEX_MASK	0x7F
#define RTC_REGS	128

/* Registers (MC146818A "Address Map"). */
#define RTC_SECONDS	  0x00
#define RTC_SECONDS_ALARM 0x01
#define RTC_MINUTES	  0x02
#define RTC_MINUTES_ALARM 0x03
#define RTC_HOURS	  0x04
#define RTC_HOURS_ALARM	  0x05
#define RTC_DAY_OF_WEEK	  0x06 /* 1-7, Sunday = 1 */
#define RTC_DAY_OF_MONTH  0x07
#define RTC_MONTH	  0x08
#define RTC_YEAR	  0x09 /* 0-99 */
#define RTC_REG_A	  0x0A
#define RTC_REG_B	  0x0B
#define RTC_REG_C	  0x0C
#define RTC_REG_D	  0x0D
#define RTC_FIRST_RAM	  0x0E
#define RTC_CENTURY	  0x32 /* PC/AT convention (ACPI FADT CENTURY names it) */

#define RTC_A_UIP	  BIT(7) /* update in progress */
#define RTC_A_DEFAULT	  0x26	 /* 32.768 kHz time base, 1024 Hz periodic rate */
#define RTC_B_SET	  BIT(7) /* updates inhibited: the time registers may be set */
#define RTC_B_PIE	  BIT(6)
#define RTC_B_AIE	  BIT(5)
#define RTC_B_UIE	  BIT(4)
#define RTC_B_SQWE	  BIT(3)
#define RTC_B_DM_BINARY	  BIT(2) /* else BCD */
#define RTC_B_24H	  BIT(1) /* else 12-hour with RTC_HOUR_PM */
#define RTC_B_DSE	  BIT(0)
#define RTC_C_IRQF	  BIT(7)
#define RTC_C_PF	  BIT(6)
#define RTC_C_AF	  BIT(5)
#define RTC_C_UF	  BIT(4)
#define RTC_D_VRT	  BIT(7) /* valid RAM and time: the battery is good */
#define RTC_HOUR_PM	  BIT(7)
#define RTC_UIP_BEFORE_US 244 /* UIP rises this long before each update */

/* A calendar time: binary, full year, 24-hour. */
struct rtc_time {
	u16 year;
	u8 month, day, hour, minute, second;
};

#define RTC_YEAR_MIN 1970
#define RTC_YEAR_MAX 9999

/* Reads the host's RTC, waiting a bounded time for an update to end; false if it is not sane. */
bool rtc_read(struct rtc_time *t);

/* Pure conversions (arch/x86/rtc_format.c), host-tested in tests/unit/test_cmos.c. */
u8 rtc_to_bcd(u8 v);	 /* v < 100 */
u8 rtc_from_bcd(u8 bcd); /* a nibble above 9 counts as its value */
/* A register value in register B's format (BCD or binary), and back. */
u8 rtc_to_reg(u8 v, u8 reg_b);
u8 rtc_from_reg(u8 r, u8 reg_b);
/* The hours register: 24-hour, or 1-12 with RTC_HOUR_PM, per register B. */
u8 rtc_hour_to_reg(u8 hour, u8 reg_b);
u8 rtc_hour_from_reg(u8 r, u8 reg_b);
bool rtc_time_valid(const struct rtc_time *t);
/* Seconds since 1970-01-01 00:00:00; fields out of range are clamped into range first. */
u64 rtc_time_to_seconds(const struct rtc_time *t);
/* The calendar time of seconds since 1970 (capped at the end of RTC_YEAR_MAX). */
void rtc_seconds_to_time(u64 s, struct rtc_time *t);
/* Day of the week of seconds since 1970, as the RTC counts it: Sunday = 1 ... Saturday = 7. */
u8 rtc_day_of_week(u64 s);

#endif
