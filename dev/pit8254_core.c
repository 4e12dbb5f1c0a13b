/*
 * The 8254's counters as functions of time (dev/pit8254_core.h), after
 * the Intel 82C54 data sheet's mode descriptions. With e clocks elapsed
 * since the count n was loaded (the clock after the write or trigger):
 *
 *   mode      CE                         OUT
 *   0, 1      n - e (wrapping)           low until e = n, then high
 *   2         n - (e mod n)              low while e mod n = n - 1
 *   3         see square_count()         high for the first ceil(n/2) of each n
 *   4, 5      n - e (wrapping)           high but low while e = n
 *
 * Modes 0 and 4 start on the count write and pause while the gate is low;
 * modes 1 and 5 start on a gate rising edge; modes 2 and 3 start on the
 * count write or a gate rising edge and stop (output high) while the gate
 * is low.
 */
#include "dev/pit8254_core.h"

#define PIT8254_BINARY_MOD 65536U
#define PIT8254_BCD_MOD	   10000U
#define PIT8254_MODES	   6

/* The count, its phase and the clock it started on, as one value. */
struct pit8254_run {
	u32 n;
	u64 load;
};

static u32 modulus(const struct pit8254_channel *c)
{
	return c->bcd ? PIT8254_BCD_MOD : PIT8254_BINARY_MOD;
}

u16 pit8254_core_to_bcd(u32 v)
{
	u16 bcd = 0;

	for (unsigned d = 0; d < 4; d++, v /= 10)
		bcd |= (u16)((v % 10) << (4 * d));
	return bcd;
}

u32 pit8254_core_from_bcd(u16 bcd)
{
	u32 v = 0;

	for (int d = 3; d >= 0; d--)
		v = v * 10 + ((bcd >> (4 * d)) & 0xF);
	return v;
}

/* The count register as a count: binary or BCD, 0 meaning the modulus (65536, 10000). */
static u32 cr_count(const struct pit8254_channel *c)
{
	u32 n = c->bcd ? pit8254_core_from_bcd(c->cr) : c->cr;

	return n ? n : modulus(c);
}

/* The run in force at clock t: a pending reload takes over at next_at. */
static struct pit8254_run run_at(const struct pit8254_channel *c, u64 t)
{
	struct pit8254_run r = {c->n, c->load};

	if (c->next_pending && t >= c->next_at)
		r = (struct pit8254_run){c->next_n, c->next_load};
	if (!r.n)
		r.n = 1; /* never divide by zero, whatever the state */
	return r;
}

/* Clocks counted by clock t in run r. */
static u64 elapsed(const struct pit8254_channel *c, struct pit8254_run r, u64 t)
{
	if (c->stopped)
		return c->held;
	return t > r.load ? t - r.load : 0;
}

/*
 * Mode 3: the CE starts each half period at n rounded down to even and
 * counts by two; an odd n spends one more clock (at 0) in the high half.
 */
static u32 square_count(u32 n, u64 k)
{
	u32 high = (n + 1) / 2, even = n & ~1U;

	return k < high ? even - 2 * (u32)k : even - 2 * (u32)(k - high);
}

/* The CE at clock t, binary. */
static u32 ce_at(const struct pit8254_channel *c, u64 t)
{
	struct pit8254_run r;
	u32 m = modulus(c), v;
	u64 e;

	if (!c->armed)
		return c->idle_ce % m;
	r = run_at(c, t);
	e = elapsed(c, r, t);
	switch (c->mode) {
	case 2:
		v = r.n - (u32)(e % r.n);
		break;
	case 3:
		v = square_count(r.n, e % r.n);
		break;
	default:
		v = (u32)((r.n % m + m - e % m) % m);
		break;
	}
	return v % m;
}

static bool out_at(const struct pit8254_channel *c, u64 t)
{
	struct pit8254_run r;
	u64 e;

	if (!c->armed)
		return c->mode != 0; /* mode 0 drives low from the control word on */
	r = run_at(c, t);
	e = elapsed(c, r, t);
	switch (c->mode) {
	case 0:
	case 1:
		return e >= r.n;
	case 2:
		return e % r.n != r.n - 1;
	case 3:
		return e % r.n < (r.n + 1) / 2;
	default:
		return e != r.n;
	}
}

/* The first clock after t at which the output of a running run r changes. */
static u64 edge_after(const struct pit8254_channel *c, struct pit8254_run r, u64 t)
{
	u64 e = t > r.load ? t - r.load : 0, k = e / r.n, in = e % r.n;
	u32 high = (r.n + 1) / 2;

	switch (c->mode) {
	case 0:
	case 1:
		return e < r.n ? r.load + r.n : PIT8254_NEVER;
	case 2: /* falls at k*n + n - 1, rises at (k + 1) * n */
		if (r.n < 2)
			return PIT8254_NEVER;
		return r.load + k * r.n + (in < r.n - 1 ? r.n - 1 : r.n);
	case 3: /* falls at k*n + high, rises at (k + 1) * n */
		if (r.n < 2)
			return PIT8254_NEVER;
		return r.load + k * r.n + (in < high ? high : r.n);
	default:
		return e < r.n ? r.load + r.n : e == r.n ? r.load + r.n + 1 : PIT8254_NEVER;
	}
}

static u64 next_edge(const struct pit8254_channel *c, u64 t)
{
	u64 edge;

	if (!c->armed || c->stopped)
		return PIT8254_NEVER;
	edge = edge_after(c, run_at(c, t), t);
	/* An edge past a pending reload belongs to the new count. */
	if (c->next_pending && t < c->next_at && edge > c->next_at)
		edge = edge_after(c, (struct pit8254_run){c->next_n, c->next_load}, c->next_at);
	return edge;
}

/* Catches the channel up with clock now: a due reload happens, a loaded count is no longer null. */
static void settle(struct pit8254_channel *c, u64 now)
{
	if (c->next_pending && now >= c->next_at) {
		c->n = c->next_n;
		c->load = c->next_load;
		c->next_pending = false;
		c->null_count = false;
	}
	if (c->loading && now >= c->load) {
		c->loading = false;
		c->null_count = false;
	}
}

/* Loads count n into the CE on the next clock and counts as the mode says. */
static void start(struct pit8254_channel *c, u32 n, u64 now)
{
	c->n = n;
	c->load = now + 1;
	c->armed = true;
	c->loading = true;
	c->next_pending = false;
	c->stopped = (c->mode == 0 || c->mode == 4) && !c->gate;
	c->held = 0;
}

/* Stops the CE where it is (not counting, output as after the control word). */
static void disarm(struct pit8254_channel *c, u64 now)
{
	c->idle_ce = (u16)ce_at(c, now);
	c->armed = false;
	c->loading = false;
	c->stopped = false;
	c->next_pending = false;
}

/*
 * Modes 2 and 3 while counting: the new count waits for the end of the
 * period (mode 2) or of the current half period (mode 3).
 */
static void schedule_reload(struct pit8254_channel *c, u32 n, u64 now)
{
	struct pit8254_run r = run_at(c, now);
	u64 e = elapsed(c, r, now), base = r.load + e / r.n * r.n;
	u32 high = (r.n + 1) / 2;

	/* A count already waiting is replaced; it waits for the same boundary. */
	c->next_low = c->mode == 3 && e % r.n < high && high < r.n;
	c->next_at = c->next_low ? base + high : base + r.n;
	c->next_pending = true;
	c->next_n = n;
	c->next_load = c->next_low ? c->next_at - (n + 1) / 2 : c->next_at;
}

/* A complete count reached the count register. */
static void new_count(struct pit8254_channel *c, u64 now)
{
	u32 n = cr_count(c);

	c->have_count = true;
	c->null_count = true;
	switch (c->mode) {
	case 0:
	case 4:
		start(c, n, now);
		break;
	case 2:
	case 3:
		if (!c->gate)
			break; /* loaded when the gate rises */
		if (!c->armed)
			start(c, n, now);
		else
			schedule_reload(c, n, now);
		break;
	default: /* modes 1 and 5: loaded by the next trigger */
		break;
	}
}

static void write_count(struct pit8254_channel *c, u8 val, u64 now)
{
	switch (c->access) {
	case PIT8254_RW_LSB:
		c->cr = val;
		break;
	case PIT8254_RW_MSB:
		c->cr = (u16)(val << 8);
		break;
	default:
		if (!c->write_msb) {
			c->cr = (u16)((c->cr & 0xFF00) | val);
			c->write_msb = true;
			/* Mode 0: the first byte stops the count and drives the output low. */
			if (c->mode == 0) {
				disarm(c, now);
				c->null_count = true;
			}
			return;
		}
		c->cr = (u16)((c->cr & 0x00FF) | (val << 8));
		c->write_msb = false;
		break;
	}
	new_count(c, now);
}

static u16 encode(const struct pit8254_channel *c, u32 v)
{
	return c->bcd ? pit8254_core_to_bcd(v) : (u16)v;
}

static u8 status_byte(const struct pit8254_channel *c, u64 now)
{
	return (u8)((out_at(c, now) ? PIT8254_ST_OUT : 0) |
		    (c->null_count ? PIT8254_ST_NULL_COUNT : 0) |
		    (c->access << PIT8254_CW_RW_SHIFT) | (c->mode_bits << PIT8254_CW_M_SHIFT) |
		    (c->bcd ? PIT8254_CW_BCD : 0));
}

/* The counter latch command: a second latch before the first is read is ignored. */
static void latch_count(struct pit8254_channel *c, u64 now)
{
	if (c->count_latched)
		return;
	c->latch = encode(c, ce_at(c, now));
	c->count_latched = true;
}

static void read_back(struct pit8254_core *p, u8 val, u64 now)
{
	for (unsigned i = 0; i < PIT8254_CHANNELS; i++) {
		struct pit8254_channel *c = &p->ch[i];

		if (!(val & PIT8254_RB_CNT(i)))
			continue;
		settle(c, now);
		if (!(val & PIT8254_RB_NO_COUNT))
			latch_count(c, now);
		if (!(val & PIT8254_RB_NO_STATUS) && !c->status_latched) {
			c->status = status_byte(c, now);
			c->status_latched = true;
		}
	}
}

/* A control word programming a channel: its control logic resets, its counting stops. */
static void program(struct pit8254_channel *c, u8 val, u64 now)
{
	disarm(c, now);
	c->mode_bits = (val >> PIT8254_CW_M_SHIFT) & PIT8254_CW_M_MASK;
	c->mode = c->mode_bits >= PIT8254_MODES ? c->mode_bits - 4 : c->mode_bits;
	c->access = (val >> PIT8254_CW_RW_SHIFT) & PIT8254_CW_RW_MASK;
	c->bcd = val & PIT8254_CW_BCD;
	c->have_count = false;
	c->null_count = true;
	c->write_msb = false;
	c->read_msb = false;
	c->count_latched = false;
	c->status_latched = false;
}

static void control(struct pit8254_core *p, u8 val, u64 now)
{
	unsigned sc = val >> PIT8254_CW_SC_SHIFT;
	struct pit8254_channel *c;

	if (sc == PIT8254_CW_SC_READBACK) {
		read_back(p, val, now);
		return;
	}
	c = &p->ch[sc];
	settle(c, now);
	if (((val >> PIT8254_CW_RW_SHIFT) & PIT8254_CW_RW_MASK) == PIT8254_RW_LATCH)
		latch_count(c, now);
	else
		program(c, val, now);
}

void pit8254_core_init(struct pit8254_core *p)
{
	*p = (struct pit8254_core){0};
	for (unsigned i = 0; i < PIT8254_CHANNELS; i++) {
		p->ch[i].access = PIT8254_RW_WORD;
		p->ch[i].null_count = true;
		p->ch[i].gate = i != 2;
	}
}

void pit8254_core_write(struct pit8254_core *p, unsigned port, u8 val, u64 now)
{
	port &= 3;
	if (port == 3) {
		control(p, val, now);
		return;
	}
	settle(&p->ch[port], now);
	write_count(&p->ch[port], val, now);
}

u8 pit8254_core_read(struct pit8254_core *p, unsigned port, u64 now)
{
	struct pit8254_channel *c;
	u16 v;

	port &= 3;
	if (port == 3)
		return 0xFF; /* the control word register cannot be read */
	c = &p->ch[port];
	settle(c, now);
	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	v = c->count_latched ? c->latch : encode(c, ce_at(c, now));
	switch (c->access) {
	case PIT8254_RW_LSB:
		c->count_latched = false;
		return (u8)v;
	case PIT8254_RW_MSB:
		c->count_latched = false;
		return (u8)(v >> 8);
	default:
		if (!c->read_msb) {
			c->read_msb = true;
			return (u8)v;
		}
		c->read_msb = false;
		c->count_latched = false;
		return (u8)(v >> 8);
	}
}

void pit8254_core_set_gate(struct pit8254_core *p, unsigned ch, bool level, u64 now)
{
	struct pit8254_channel *c = &p->ch[ch % PIT8254_CHANNELS];
	bool rising = level && !c->gate, falling = !level && c->gate;

	settle(c, now);
	c->gate = level;
	switch (c->mode) {
	case 0:
	case 4: /* the gate enables counting */
		if (!c->armed)
			break;
		if (falling) {
			c->held = elapsed(c, run_at(c, now), now);
			c->stopped = true;
		} else if (rising) {
			c->load = now - c->held;
			c->stopped = false;
		}
		break;
	case 1:
	case 5: /* a rising edge (re)triggers */
		if (rising && c->have_count)
			start(c, cr_count(c), now);
		break;
	default: /* modes 2, 3: low stops (output high), rising reloads */
		if (falling && c->armed)
			disarm(c, now);
		else if (rising && c->have_count)
			start(c, cr_count(c), now);
		break;
	}
}

bool pit8254_core_out(const struct pit8254_core *p, unsigned ch, u64 now)
{
	return out_at(&p->ch[ch % PIT8254_CHANNELS], now);
}

u16 pit8254_core_count(const struct pit8254_core *p, unsigned ch, u64 now)
{
	const struct pit8254_channel *c = &p->ch[ch % PIT8254_CHANNELS];

	return encode(c, ce_at(c, now));
}

u64 pit8254_core_next_edge(const struct pit8254_core *p, unsigned ch, u64 now)
{
	return next_edge(&p->ch[ch % PIT8254_CHANNELS], now);
}

bool pit8254_core_rose(const struct pit8254_core *p, unsigned ch, u64 from, u64 to)
{
	const struct pit8254_channel *c = &p->ch[ch % PIT8254_CHANNELS];
	u64 t = from;

	/* Edges alternate: a rise, if any, is among the next two. */
	for (unsigned i = 0; i < 2; i++) {
		t = next_edge(c, t);
		if (t == PIT8254_NEVER || t > to)
			return false;
		if (out_at(c, t))
			return true;
	}
	return false;
}
