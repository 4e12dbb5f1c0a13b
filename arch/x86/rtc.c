/*
 * Reading the host's real-time clock (MC146818A data sheet, "Update
 * Cycle"): wait until no update is in progress (UIP clear, bounded), read
 * the time registers twice and take them when both reads agree (no update
 * fell between), in the format register B says. The century comes from
 * CMOS 0x32 when that holds 19-99, else from the year (70-99: 1900s).
 */
#include "arch/x86/rtc.h"
#include "arch/x86/io.h"

#define RTC_UIP_MAX_POLLS 100000U /* an update lasts under 2 ms; a poll is ~1 us on hardware */
#define RTC_READ_TRIES	  5
#define RTC_CENTURY_MIN	  19
#define RTC_Y2K_PIVOT	  70

struct rtc_raw {
	u8 second, minute, hour, day, month, year, century;
};

static u8 rtc_cmos_read(u8 reg)
{
	outb(RTC_INDEX_PORT, reg); /* bit 7 clear: NMIs stay enabled, as the firmware leaves them */
	return inb(RTC_DATA_PORT);
}

static bool rtc_wait_update_done(void)
{
	for (u32 i = 0; i < RTC_UIP_MAX_POLLS; i++)
		if (!(rtc_cmos_read(RTC_REG_A) & RTC_A_UIP))
			return true;
	return false;
}

static void rtc_read_raw(struct rtc_raw *r)
{
	r->second = rtc_cmos_read(RTC_SECONDS);
	r->minute = rtc_cmos_read(RTC_MINUTES);
	r->hour = rtc_cmos_read(RTC_HOURS);
	r->day = rtc_cmos_read(RTC_DAY_OF_MONTH);
	r->month = rtc_cmos_read(RTC_MONTH);
	r->year = rtc_cmos_read(RTC_YEAR);
	r->century = rtc_cmos_read(RTC_CENTURY);
}

static bool rtc_raw_equal(const struct rtc_raw *a, const struct rtc_raw *b)
{
	return a->second == b->second && a->minute == b->minute && a->hour == b->hour &&
	       a->day == b->day && a->month == b->month && a->year == b->year &&
	       a->century == b->century;
}

bool rtc_read(struct rtc_time *t)
{
	struct rtc_raw a, b;
	bool stable = false;
	u8 reg_b, year, century;

	for (unsigned i = 0; i < RTC_READ_TRIES && !stable; i++) {
		if (!rtc_wait_update_done())
			return false;
		rtc_read_raw(&a);
		rtc_read_raw(&b);
		stable = rtc_raw_equal(&a, &b);
	}
	if (!stable)
		return false;
	reg_b = rtc_cmos_read(RTC_REG_B);
	year = rtc_from_reg(a.year, reg_b);
	century = rtc_from_reg(a.century, reg_b);
	if (century < RTC_CENTURY_MIN || century > 99)
		century = year < RTC_Y2K_PIVOT ? 20 : 19;
	t->year = (u16)(century * 100 + year);
	t->month = rtc_from_reg(a.month, reg_b);
	t->day = rtc_from_reg(a.day, reg_b);
	t->hour = rtc_hour_from_reg(a.hour, reg_b);
	t->minute = rtc_from_reg(a.minute, reg_b);
	t->second = rtc_from_reg(a.second, reg_b);
	return rtc_time_valid(t);
}
