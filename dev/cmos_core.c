/*
 * The guest's RTC and CMOS RAM (dev/cmos_core.h). The time registers are
 * never stored: each read converts the guest's time (host seconds plus
 * the guest's offset, or the frozen time while SET is 1) into register
 * B's current format, so changing the format never leaves stale values.
 * A write to a time register changes the offset (or, with SET, the frozen
 * time), keeping the other fields. The day of the week follows the date.
 */
#include "dev/cmos_core.h"

#define CMOS_MAX16     0xFFFFULL
#define CMOS_MAX24     0xFFFFFFULL
#define CMOS_MICROS    1000000U
#define CMOS_HIGH_FROM (16 * MiB)
#define CMOS_BLOCK     (64 * KiB)
#define CMOS_4G	       (4 * GiB)

static bool cmos_frozen(const struct cmos_core *c)
{
	return c->reg_b & RTC_B_SET;
}

static u64 cmos_guest_seconds(const struct cmos_core *c, struct cmos_clock now)
{
	s64 s = (s64)now.seconds + c->offset;

	return s < 0 ? 0 : (u64)s;
}

static void cmos_time(const struct cmos_core *c, struct cmos_clock now, struct rtc_time *t)
{
	if (cmos_frozen(c))
		*t = c->frozen;
	else
		rtc_seconds_to_time(cmos_guest_seconds(c, now), t);
}

static u8 cmos_time_reg(const struct cmos_core *c, u8 reg, struct cmos_clock now)
{
	struct rtc_time t;

	cmos_time(c, now, &t);
	switch (reg) {
	case RTC_SECONDS:
		return rtc_to_reg(t.second, c->reg_b);
	case RTC_MINUTES:
		return rtc_to_reg(t.minute, c->reg_b);
	case RTC_HOURS:
		return rtc_hour_to_reg(t.hour, c->reg_b);
	case RTC_DAY_OF_WEEK:
		return rtc_to_reg(rtc_day_of_week(rtc_time_to_seconds(&t)), c->reg_b);
	case RTC_DAY_OF_MONTH:
		return rtc_to_reg(t.day, c->reg_b);
	case RTC_MONTH:
		return rtc_to_reg(t.month, c->reg_b);
	case RTC_YEAR:
		return rtc_to_reg((u8)(t.year % 100), c->reg_b);
	default: /* RTC_CENTURY */
		return rtc_to_reg((u8)(t.year / 100 % 100), c->reg_b);
	}
}

/* Sets one field of the guest's time, the register value in register B's format. */
static void cmos_set_time_reg(struct cmos_core *c, u8 reg, u8 val, struct cmos_clock now)
{
	u8 v = rtc_from_reg(val, c->reg_b);
	struct rtc_time t;

	cmos_time(c, now, &t);
	switch (reg) {
	case RTC_SECONDS:
		t.second = v;
		break;
	case RTC_MINUTES:
		t.minute = v;
		break;
	case RTC_HOURS:
		t.hour = rtc_hour_from_reg(val, c->reg_b);
		break;
	case RTC_DAY_OF_MONTH:
		t.day = v;
		break;
	case RTC_MONTH:
		t.month = v;
		break;
	case RTC_YEAR:
		t.year = (u16)(t.year / 100 * 100 + v);
		break;
	default: /* RTC_CENTURY */
		t.year = (u16)(v * 100 + t.year % 100);
		break;
	}
	if (cmos_frozen(c))
		c->frozen = t; /* kept as written until SET clears */
	else
		c->offset = (s64)rtc_time_to_seconds(&t) - (s64)now.seconds;
}

/* Register B: SET freezes the time (and clears UIE); clearing it starts the set time. */
static void cmos_write_reg_b(struct cmos_core *c, u8 val, struct cmos_clock now)
{
	bool was_frozen = cmos_frozen(c);

	if ((val & RTC_B_SET) && !was_frozen)
		cmos_time(c, now, &c->frozen);
	if (val & RTC_B_SET)
		val &= (u8)~RTC_B_UIE;
	c->reg_b = val;
	if (was_frozen && !(val & RTC_B_SET))
		c->offset = (s64)rtc_time_to_seconds(&c->frozen) - (s64)now.seconds;
}

/* Register C: UF if a second passed since the last read (IRQF with UIE); reading clears. */
static u8 cmos_read_reg_c(struct cmos_core *c, struct cmos_clock now)
{
	u64 s = cmos_guest_seconds(c, now);
	u8 v = 0;

	if (!cmos_frozen(c) && s != c->uf_second)
		v = (u8)(RTC_C_UF | ((c->reg_b & RTC_B_UIE) ? RTC_C_IRQF : 0));
	c->uf_second = s;
	return v;
}

static bool cmos_is_time_reg(u8 reg)
{
	return reg == RTC_SECONDS || reg == RTC_MINUTES || reg == RTC_HOURS ||
	       reg == RTC_DAY_OF_WEEK || reg == RTC_DAY_OF_MONTH || reg == RTC_MONTH ||
	       reg == RTC_YEAR || reg == RTC_CENTURY;
}

u8 cmos_core_read_data(struct cmos_core *c, struct cmos_clock now)
{
	u8 reg = c->index & RTC_INDEX_MASK;
	bool uip = !cmos_frozen(c) && now.micros >= CMOS_MICROS - RTC_UIP_BEFORE_US;

	if (cmos_is_time_reg(reg))
		return cmos_time_reg(c, reg, now);
	switch (reg) {
	case RTC_REG_A:
		return (u8)(c->reg_a | (uip ? RTC_A_UIP : 0));
	case RTC_REG_B:
		return c->reg_b;
	case RTC_REG_C:
		return cmos_read_reg_c(c, now);
	case RTC_REG_D:
		return RTC_D_VRT;
	default: /* the alarms and the RAM */
		return c->ram[reg];
	}
}

void cmos_core_write_data(struct cmos_core *c, u8 val, struct cmos_clock now)
{
	u8 reg = c->index & RTC_INDEX_MASK;

	if (reg == RTC_DAY_OF_WEEK)
		return; /* follows the date */
	if (cmos_is_time_reg(reg)) {
		cmos_set_time_reg(c, reg, val, now);
		return;
	}
	switch (reg) {
	case RTC_REG_A:
		c->reg_a = val & (u8)~RTC_A_UIP;
		break;
	case RTC_REG_B:
		cmos_write_reg_b(c, val, now);
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		break; /* read-only */
	default:
		c->ram[reg] = val;
		break;
	}
}

void cmos_core_write_index(struct cmos_core *c, u8 val)
{
	c->index = val;
}

u8 cmos_core_read_index(const struct cmos_core *c)
{
	return c->index;
}

static void cmos_put(struct cmos_core *c, u8 reg, u64 v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		c->ram[reg + i] = (u8)(v >> (8 * i));
}

void cmos_core_init(struct cmos_core *c, u64 ram_size)
{
	u64 ext = ram_size > MiB ? MIN((ram_size - MiB) / KiB, CMOS_MAX16) : 0;
	u64 below4g = MIN(ram_size, CMOS_4G);
	u64 high = below4g > CMOS_HIGH_FROM ? (below4g - CMOS_HIGH_FROM) / CMOS_BLOCK : 0;
	u64 above = ram_size > CMOS_4G ? MIN((ram_size - CMOS_4G) / CMOS_BLOCK, CMOS_MAX24) : 0;
	u32 sum = 0;

	*c = (struct cmos_core){0};
	c->reg_a = RTC_A_DEFAULT;
	c->reg_b = RTC_B_24H;
	cmos_put(c, CMOS_BASE_MEM_LO, CMOS_BASE_MEM_KIB, 2);
	cmos_put(c, CMOS_EXT_MEM_LO, ext, 2);
	cmos_put(c, CMOS_EXT_MEM2_LO, ext, 2);
	cmos_put(c, CMOS_HIGH_MEM_LO, MIN(high, CMOS_MAX16), 2);
	cmos_put(c, CMOS_ABOVE_4G_LO, above, 3);
	for (unsigned r = CMOS_CHECKSUM_FIRST; r <= CMOS_CHECKSUM_LAST; r++)
		sum += c->ram[r];
	c->ram[CMOS_CHECKSUM_HI] = (u8)(sum >> 8);
	c->ram[CMOS_CHECKSUM_HI + 1] = (u8)sum;
}
