/*
 * Host tests for arch/x86/rtc_format.c (BCD, 12/24-hour registers,
 * calendar arithmetic) and dev/cmos_core.c (the guest's RTC registers in
 * each format, SET, UIP, register C, the index port, the memory sizes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "dev/cmos_core.h"

#define BCD24 RTC_B_24H
#define BIN24 (RTC_B_24H | RTC_B_DM_BINARY)
#define BCD12 0
#define BIN12 RTC_B_DM_BINARY

/* 2024-02-29 13:45:30, a Thursday. */
#define LEAP_DAY 1709214330ULL

static struct cmos_core c;

static struct cmos_clock at(u64 seconds, u32 micros)
{
	return (struct cmos_clock){seconds, micros};
}

static u8 rd(u8 reg, struct cmos_clock now)
{
	cmos_core_write_index(&c, reg);
	return cmos_core_read_data(&c, now);
}

static void wr(u8 reg, u8 val, struct cmos_clock now)
{
	cmos_core_write_index(&c, reg);
	cmos_core_write_data(&c, val, now);
}

static void test_bcd(void **state)
{
	for (unsigned v = 0; v < 100; v++) {
		assert_int_equal(rtc_to_bcd((u8)v), (v / 10) << 4 | (v % 10));
		assert_int_equal(rtc_from_bcd(rtc_to_bcd((u8)v)), v);
	}
	assert_int_equal(rtc_to_reg(59, BCD24), 0x59);
	assert_int_equal(rtc_to_reg(59, BIN24), 59);
	assert_int_equal(rtc_from_reg(0x59, BCD24), 59);
	assert_int_equal(rtc_from_reg(0x59, BIN24), 0x59);
	assert_int_equal(rtc_from_bcd(0x1F), 25); /* a bad digit counts as its value */
}

static void test_hours(void **state)
{
	static const struct {
		u8 hour, bcd12, bin12;
	} cases[] = {
	    {0, 0x12, 12},    {1, 0x01, 1},	{11, 0x11, 11},	  {12, 0x92, 0x8C},
	    {13, 0x81, 0x81}, {22, 0x90, 0x8A}, {23, 0x91, 0x8B},
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(rtc_hour_to_reg(cases[i].hour, BCD12), cases[i].bcd12);
		assert_int_equal(rtc_hour_to_reg(cases[i].hour, BIN12), cases[i].bin12);
	}
	for (u8 h = 0; h < 24; h++) {
		assert_int_equal(rtc_hour_to_reg(h, BCD24), rtc_to_bcd(h));
		assert_int_equal(rtc_hour_to_reg(h, BIN24), h);
		assert_int_equal(rtc_hour_from_reg(rtc_hour_to_reg(h, BCD12), BCD12), h);
		assert_int_equal(rtc_hour_from_reg(rtc_hour_to_reg(h, BIN12), BIN12), h);
		assert_int_equal(rtc_hour_from_reg(rtc_hour_to_reg(h, BCD24), BCD24), h);
		assert_int_equal(rtc_hour_from_reg(rtc_hour_to_reg(h, BIN24), BIN24), h);
	}
}

static void test_calendar(void **state)
{
	struct rtc_time t = {1970, 1, 1, 0, 0, 0};
	struct rtc_time leap = {2024, 2, 29, 13, 45, 30};
	struct rtc_time bad = {2100, 2, 29, 0, 0, 0};
	struct rtc_time y2k = {2000, 1, 1, 0, 0, 0};

	assert_int_equal(rtc_time_to_seconds(&t), 0);
	assert_int_equal(rtc_time_to_seconds(&y2k), 946684800ULL);
	assert_int_equal(rtc_time_to_seconds(&leap), LEAP_DAY);
	assert_true(rtc_time_valid(&leap));
	assert_false(rtc_time_valid(&bad));		    /* 2100 is not a leap year */
	assert_int_equal(rtc_day_of_week(0), 5);	    /* Thursday */
	assert_int_equal(rtc_day_of_week(946684800ULL), 7); /* Saturday */
	assert_int_equal(rtc_day_of_week(LEAP_DAY), 5);
	/* Every day from 1970 to 2400 converts back to itself. */
	for (u64 d = 0; d < 157000; d++) {
		u64 s = d * 86400 + (d * 7919) % 86400;

		rtc_seconds_to_time(s, &t);
		assert_true(rtc_time_valid(&t));
		assert_int_equal(rtc_time_to_seconds(&t), s);
	}
	rtc_seconds_to_time(~0ULL, &t); /* capped at 9999-12-31 23:59:59 */
	assert_int_equal(t.year, 9999);
	assert_int_equal(t.month, 12);
	assert_int_equal(t.day, 31);
	assert_int_equal(t.second, 59);
	bad.day = 31;
	bad.month = 13; /* clamped: 2100-12-31 */
	rtc_seconds_to_time(rtc_time_to_seconds(&bad), &t);
	assert_int_equal(t.month, 12);
	assert_int_equal(t.day, 31);
}

static void test_time_registers(void **state)
{
	struct cmos_clock now = at(LEAP_DAY, 0);

	cmos_core_init(&c, 16 * MiB);
	assert_int_equal(rd(RTC_REG_B, now), BCD24);
	assert_int_equal(rd(RTC_SECONDS, now), 0x30);
	assert_int_equal(rd(RTC_MINUTES, now), 0x45);
	assert_int_equal(rd(RTC_HOURS, now), 0x13);
	assert_int_equal(rd(RTC_DAY_OF_WEEK, now), 0x05);
	assert_int_equal(rd(RTC_DAY_OF_MONTH, now), 0x29);
	assert_int_equal(rd(RTC_MONTH, now), 0x02);
	assert_int_equal(rd(RTC_YEAR, now), 0x24);
	assert_int_equal(rd(RTC_CENTURY, now), 0x20);
	assert_int_equal(rd(RTC_REG_D, now), RTC_D_VRT);
	assert_int_equal(rd(RTC_SECONDS, at(LEAP_DAY + 1, 0)), 0x31);
	wr(RTC_REG_B, BIN12, now); /* the format applies at once */
	assert_int_equal(rd(RTC_HOURS, now), 0x81);
	assert_int_equal(rd(RTC_SECONDS, now), 30);
	assert_int_equal(rd(RTC_YEAR, now), 24);
	wr(RTC_REG_B, BCD12, now);
	assert_int_equal(rd(RTC_HOURS, now), 0x81);
	wr(RTC_REG_B, BIN24, now);
	assert_int_equal(rd(RTC_HOURS, now), 13);
}

static void test_set_and_offset(void **state)
{
	struct cmos_clock now = at(LEAP_DAY, 0);

	cmos_core_init(&c, 16 * MiB);
	wr(RTC_REG_B, RTC_B_SET | RTC_B_UIE | BCD24, now);
	assert_int_equal(rd(RTC_REG_B, now), RTC_B_SET | BCD24); /* SET clears UIE */
	wr(RTC_YEAR, 0x99, now);
	wr(RTC_CENTURY, 0x19, now);
	wr(RTC_HOURS, 0x23, now);
	wr(RTC_SECONDS, 0x00, now);
	wr(RTC_DAY_OF_WEEK, 0x03, now); /* ignored: follows the date */
	assert_int_equal(rd(RTC_SECONDS, at(LEAP_DAY + 100, 0)), 0x00); /* frozen */
	assert_int_equal(rd(RTC_YEAR, at(LEAP_DAY + 100, 0)), 0x99);
	assert_int_equal(rd(RTC_REG_A, at(LEAP_DAY, 999999)), RTC_A_DEFAULT); /* no UIP */
	wr(RTC_REG_B, BCD24, at(LEAP_DAY + 200, 0));
	/* 1999-02-28 (no 29th in 1999) 23:45:00, running from host second LEAP_DAY + 200. */
	assert_int_equal(rd(RTC_DAY_OF_MONTH, at(LEAP_DAY + 200, 0)), 0x28);
	assert_int_equal(rd(RTC_SECONDS, at(LEAP_DAY + 205, 0)), 0x05);
	assert_int_equal(rd(RTC_CENTURY, at(LEAP_DAY + 205, 0)), 0x19);
	assert_int_equal(rd(RTC_DAY_OF_WEEK, at(LEAP_DAY + 205, 0)), 0x01); /* a Sunday */
	/* 15 minutes later it is March 1st. */
	assert_int_equal(rd(RTC_MONTH, at(LEAP_DAY + 200 + 15 * 60, 0)), 0x03);
	assert_int_equal(rd(RTC_HOURS, at(LEAP_DAY + 200 + 15 * 60, 0)), 0x00);
	/* A write without SET moves the clock too. */
	wr(RTC_MINUTES, 0x10, at(LEAP_DAY + 300, 0));
	assert_int_equal(rd(RTC_MINUTES, at(LEAP_DAY + 301, 0)), 0x10);
	assert_int_equal(rd(RTC_SECONDS, at(LEAP_DAY + 301, 0)), 0x41);
}

static void test_status_registers(void **state)
{
	cmos_core_init(&c, 16 * MiB);
	assert_int_equal(rd(RTC_REG_A, at(LEAP_DAY, 999755)), RTC_A_DEFAULT);
	assert_int_equal(rd(RTC_REG_A, at(LEAP_DAY, 999756)), RTC_A_DEFAULT | RTC_A_UIP);
	assert_int_equal(rd(RTC_REG_A, at(LEAP_DAY, 0)), RTC_A_DEFAULT);
	wr(RTC_REG_A, 0xA5, at(LEAP_DAY, 0));
	assert_int_equal(rd(RTC_REG_A, at(LEAP_DAY, 0)), 0x25); /* UIP is read-only */
	/* C: UF once per second, IRQF with UIE; reading clears. */
	(void)rd(RTC_REG_C, at(LEAP_DAY, 0));
	assert_int_equal(rd(RTC_REG_C, at(LEAP_DAY, 500)), 0);
	assert_int_equal(rd(RTC_REG_C, at(LEAP_DAY + 1, 0)), RTC_C_UF);
	wr(RTC_REG_B, BCD24 | RTC_B_UIE, at(LEAP_DAY, 0));
	assert_int_equal(rd(RTC_REG_C, at(LEAP_DAY + 2, 0)), RTC_C_UF | RTC_C_IRQF);
	assert_int_equal(rd(RTC_REG_C, at(LEAP_DAY + 2, 0)), 0);
	wr(RTC_REG_C, 0xFF, at(LEAP_DAY + 2, 0));
	wr(RTC_REG_D, 0x00, at(LEAP_DAY + 2, 0));
	assert_int_equal(rd(RTC_REG_D, at(LEAP_DAY + 2, 0)), RTC_D_VRT);
	/* The alarms and the RAM hold what is written. */
	wr(RTC_HOURS_ALARM, 0xC0, at(LEAP_DAY, 0));
	wr(0x7F, 0x5A, at(LEAP_DAY, 0));
	assert_int_equal(rd(RTC_HOURS_ALARM, at(LEAP_DAY, 0)), 0xC0);
	assert_int_equal(rd(0x7F, at(LEAP_DAY, 0)), 0x5A);
}

static void test_index_port(void **state)
{
	cmos_core_init(&c, 16 * MiB);
	cmos_core_write_index(&c, RTC_NMI_DISABLE | 0x40);
	assert_int_equal(cmos_core_read_index(&c), 0xC0);
	cmos_core_write_data(&c, 0x77, at(LEAP_DAY, 0));
	cmos_core_write_index(&c, 0x40); /* the same register without the NMI bit */
	assert_int_equal(cmos_core_read_data(&c, at(LEAP_DAY, 0)), 0x77);
	cmos_core_write_index(&c, RTC_NMI_DISABLE | RTC_REG_D);
	assert_int_equal(cmos_core_read_data(&c, at(LEAP_DAY, 0)), RTC_D_VRT);
}

static u16 ram16(u8 reg)
{
	return (u16)(c.ram[reg] | c.ram[reg + 1] << 8);
}

static void test_memory_sizes(void **state)
{
	u32 sum = 0;

	cmos_core_init(&c, 16 * MiB);
	assert_int_equal(ram16(CMOS_BASE_MEM_LO), 640);
	assert_int_equal(ram16(CMOS_EXT_MEM_LO), 15 * 1024);
	assert_int_equal(ram16(CMOS_EXT_MEM2_LO), 15 * 1024);
	assert_int_equal(ram16(CMOS_HIGH_MEM_LO), 0);
	for (unsigned r = CMOS_CHECKSUM_FIRST; r <= CMOS_CHECKSUM_LAST; r++)
		sum += c.ram[r];
	assert_int_equal(c.ram[CMOS_CHECKSUM_HI] << 8 | c.ram[CMOS_CHECKSUM_HI + 1], sum);
	assert_int_equal(sum, 0x80 + 0x02 + 0x3C + 0x00); /* 640 = 0x280, 15360 = 0x3C00 */
	cmos_core_init(&c, 64 * MiB);
	assert_int_equal(ram16(CMOS_EXT_MEM_LO), 63 * 1024);
	assert_int_equal(ram16(CMOS_HIGH_MEM_LO), 48 * 16);
	assert_int_equal(c.ram[CMOS_ABOVE_4G_LO], 0);
	cmos_core_init(&c, 6 * GiB);
	assert_int_equal(ram16(CMOS_EXT_MEM_LO), 0xFFFF);
	assert_int_equal(ram16(CMOS_EXT_MEM2_LO), 0xFFFF);
	assert_int_equal(ram16(CMOS_HIGH_MEM_LO), 0xFF00); /* 16 MiB to 4 GiB */
	assert_int_equal(c.ram[CMOS_ABOVE_4G_LO] | c.ram[CMOS_ABOVE_4G_LO + 1] << 8 |
			     c.ram[CMOS_ABOVE_4G_LO + 2] << 16,
			 2 * 16384);
	assert_int_equal(rd(CMOS_EXT_MEM_LO, at(0, 0)), 0xFF); /* and the guest reads them */
	cmos_core_init(&c, 512 * GiB); /* Keel's largest guest: 508 GiB above 4 GiB */
	assert_int_equal(c.ram[CMOS_ABOVE_4G_LO] | c.ram[CMOS_ABOVE_4G_LO + 1] << 8 |
			     c.ram[CMOS_ABOVE_4G_LO + 2] << 16,
			 508 * 16384);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bcd),
	    cmocka_unit_test(test_hours),
	    cmocka_unit_test(test_calendar),
	    cmocka_unit_test(test_time_registers),
	    cmocka_unit_test(test_set_and_offset),
	    cmocka_unit_test(test_status_registers),
	    cmocka_unit_test(test_index_port),
	    cmocka_unit_test(test_memory_sizes),
	};

	return cmocka_run_group_tests_name("cmos", tests, NULL, NULL);
}
