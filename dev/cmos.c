/*
 * A guest's RTC and CMOS RAM (dev/cmos_core.c) on ports 0x70 (index, bit
 * 7 NMI disable) and 0x71 (data). The host's RTC is read once, when the
 * first guest attaches; from then on host time is that reading plus the
 * TSC ticks since, so no guest access reaches the host's clock chip.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/rtc.h"
#include "dev/cmos_core.h"
#include "dev/dev.h"
#include "dev/platform.h"
#include "lib/console.h"
#include "lib/panic.h"
#include "lib/muldiv.h"
#include "vm/guest.h"
#include "vm/vtimer.h"

#define CMOS_FALLBACK_YEAR 2000

struct cmos {
	struct cmos_core core;
};

/* A bound on waiting for another CPU's RTC read: rtc_read's own waits are bounded. */
#define CMOS_HOST_WAIT_SPINS (1ULL << 26)

enum { CMOS_HOST_UNREAD, CMOS_HOST_READING, CMOS_HOST_READY };

/*
 * The host's clock, seconds since 1970 at TSC value tsc, read at any
 * guest's first CMOS access. `state` goes UNREAD -> READING (the one CPU
 * that won the exchange reads) -> READY (release: the fields are written).
 */
/* Shared, atomic: other CPUs read the fields only after seeing READY. */
static struct {
	int state;
	u64 seconds;
	u64 tsc;
} cmos_host;

static void cmos_host_fill(void)
{
	struct rtc_time t;

	if (!rtc_read(&t)) {
		pr_warn("cmos: host RTC unreadable, guests' clocks start at %u-01-01",
			CMOS_FALLBACK_YEAR);
		t = (struct rtc_time){.year = CMOS_FALLBACK_YEAR, .month = 1, .day = 1};
	}
	cmos_host.tsc = rdtsc();
	cmos_host.seconds = rtc_time_to_seconds(&t);
	pr_debug("cmos: host RTC %u-%02u-%02u %02u:%02u:%02u", t.year, t.month, t.day, t.hour,
		 t.minute, t.second);
}

static void cmos_host_read(void)
{
	int unread = CMOS_HOST_UNREAD;

	if (__atomic_load_n(&cmos_host.state, __ATOMIC_ACQUIRE) == CMOS_HOST_READY)
		return;
	if (__atomic_compare_exchange_n(&cmos_host.state, &unread, CMOS_HOST_READING, false,
					__ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
		cmos_host_fill();
		__atomic_store_n(&cmos_host.state, CMOS_HOST_READY, __ATOMIC_RELEASE);
		return;
	}
	for (u64 n = 0; __atomic_load_n(&cmos_host.state, __ATOMIC_ACQUIRE) != CMOS_HOST_READY;
	     n++) {
		CHECK(n < CMOS_HOST_WAIT_SPINS); /* the reader's waits are bounded: a Keel bug */
		cpu_relax();
	}
}

static struct cmos_clock cmos_now(void)
{
	u64 ticks = rdtsc() - cmos_host.tsc;

	return (struct cmos_clock){
	    .seconds = cmos_host.seconds + ticks / tsc_hz,
	    .micros = (u32)muldiv64(ticks % tsc_hz, 1000000, tsc_hz),
	};
}

static u8 cmos_read8(struct guest *g, void *state, unsigned offset)
{
	struct cmos *c = state;

	if (offset == 0)
		return cmos_core_read_index(&c->core);
	return cmos_core_read_data(&c->core, cmos_now());
}

static void cmos_write8(struct guest *g, void *state, unsigned offset, u8 val)
{
	struct cmos *c = state;

	if (offset == 0)
		cmos_core_write_index(&c->core, val);
	else
		cmos_core_write_data(&c->core, val, cmos_now());
}

static u64 cmos_read(struct guest *g, void *state, u64 offset, unsigned size)
{
	return platform_read_bytes(g, state, offset, size, cmos_read8);
}

static void cmos_write(struct guest *g, void *state, u64 offset, unsigned size, u64 val)
{
	platform_write_bytes(g, state, offset, size, val, cmos_write8);
}

static const struct dev_ops cmos_ops = {
    .name = "cmos",
    .read = cmos_read,
    .write = cmos_write,
};

bool cmos_attach(struct guest *g)
{
	struct cmos *c = guest_dev_alloc(g, sizeof(*c));

	if (!c)
		return false;
	cmos_host_read();
	cmos_core_init(&c->core, g->mem.ram_size);
	return dev_register(g, DEV_PIO, RTC_INDEX_PORT, 2, &cmos_ops, c);
}
