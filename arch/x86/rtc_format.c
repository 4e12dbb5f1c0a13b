/*
 * RTC register formats and calendar arithmetic (arch/x86/rtc.h): BCD and
 * binary registers, 12- and 24-hour hours, proleptic Gregorian dates to
 * and from seconds since 1970-01-01. Pure, for the host RTC reader and the
 * guests' model alike.
 */
#include "arch/x86/rtc.h"

#define RTC_SECS_PER_DAY  86400ULL
#define RTC_EPOCH_WEEKDAY 4 /* 1970-01-01 was a Thursday (Sunday = 0) */

static const u16 days_before_month[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};

u8 rtc_to_bcd(u8 v)
{
	return (u8)(((v / 10 % 10) << 4) | (v % 10));
}

u8 rtc_from_bcd(u8 bcd)
{
	return (u8)((bcd >> 4) * 10 + (bcd & 0xF));
}

u8 rtc_to_reg(u8 v, u8 reg_b)
{
	return (reg_b & RTC_B_DM_BINARY) ? v : rtc_to_bcd(v);
}

u8 rtc_from_reg(u8 r, u8 reg_b)
{
	return (reg_b & RTC_B_DM_BINARY) ? r : rtc_from_bcd(r);
}

u8 rtc_hour_to_reg(u8 hour, u8 reg_b)
{
	u8 h12 = hour % 12 ? hour % 12 : 12;

	if (reg_b & RTC_B_24H)
		return rtc_to_reg(hour, reg_b);
	return (u8)(rtc_to_reg(h12, reg_b) | (hour >= 12 ? RTC_HOUR_PM : 0));
}

u8 rtc_hour_from_reg(u8 r, u8 reg_b)
{
	if (reg_b & RTC_B_24H)
		return rtc_from_reg(r, reg_b);
	return (u8)(rtc_from_reg(r & ~RTC_HOUR_PM, reg_b) % 12 + ((r & RTC_HOUR_PM) ? 12 : 0));
}

static bool leap(u32 y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static u8 days_in_month(u32 y, u32 m)
{
	static const u8 days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return (u8)(days[m - 1] + (m == 2 && leap(y)));
}

/* Days from 0001-01-01 to y-m-d (y >= 1, m 1-12, d from 1). */
static u64 days_since_year1(u32 y, u32 m, u32 d)
{
	u32 p = y - 1;

	return 365ULL * p + p / 4 - p / 100 + p / 400 + days_before_month[m - 1] +
	       (m > 2 && leap(y)) + d - 1;
}

static u64 epoch_days(u32 y, u32 m, u32 d)
{
	return days_since_year1(y, m, d) - days_since_year1(RTC_YEAR_MIN, 1, 1);
}

static u32 clamp(u32 v, u32 lo, u32 hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

bool rtc_time_valid(const struct rtc_time *t)
{
	return t->year >= RTC_YEAR_MIN && t->year <= RTC_YEAR_MAX && t->month >= 1 &&
	       t->month <= 12 && t->day >= 1 && t->day <= days_in_month(t->year, t->month) &&
	       t->hour < 24 && t->minute < 60 && t->second < 60;
}

u64 rtc_time_to_seconds(const struct rtc_time *t)
{
	u32 y = clamp(t->year, RTC_YEAR_MIN, RTC_YEAR_MAX), m = clamp(t->month, 1, 12);
	u32 d = clamp(t->day, 1, days_in_month(y, m));

	return epoch_days(y, m, d) * RTC_SECS_PER_DAY + clamp(t->hour, 0, 23) * 3600ULL +
	       clamp(t->minute, 0, 59) * 60ULL + clamp(t->second, 0, 59);
}

void rtc_seconds_to_time(u64 s, struct rtc_time *t)
{
	u64 last = epoch_days(RTC_YEAR_MAX, 12, 31) * RTC_SECS_PER_DAY + RTC_SECS_PER_DAY - 1;
	u64 days, rem;
	u32 y, m;

	s = s > last ? last : s;
	days = s / RTC_SECS_PER_DAY;
	rem = s % RTC_SECS_PER_DAY;
	/* 365 days a year overestimates the year by at most one per 365 leap days: step back. */
	y = (u32)(RTC_YEAR_MIN + days / 365);
	while (y > RTC_YEAR_MIN && epoch_days(y, 1, 1) > days)
		y--;
	days -= epoch_days(y, 1, 1);
	for (m = 1; m < 12 && days >= days_in_month(y, m); m++)
		days -= days_in_month(y, m);
	t->year = (u16)y;
	t->month = (u8)m;
	t->day = (u8)(days + 1);
	t->hour = (u8)(rem / 3600);
	t->minute = (u8)(rem / 60 % 60);
	t->second = (u8)(rem % 60);
}

u8 rtc_day_of_week(u64 s)
{
	return (u8)((s / RTC_SECS_PER_DAY + RTC_EPOCH_WEEKDAY) % 7 + 1);
}
