/*
 * ACPI power management for every guest: PM1a_EVT (PM1_STS, PM1_EN),
 * PM1a_CNT and the PM timer at the ports the guest's FADT names
 * (dev/acpi_gen.h), over the pure registers in dev/acpi_pm_core.c.
 * Writing SLP_TYP 5 (the DSDT's \_S5_) with SLP_EN powers the guest off:
 * it ends "by poweroff". Other sleeping states are not offered (the DSDT
 * has only \_S5_); asking for one anyway changes nothing. The registers
 * decode bytes, as ISA chipset registers do.
 */
#include "arch/x86/cpu.h"
#include "dev/acpi_gen.h"
#include "dev/acpi_pm_core.h"
#include "dev/dev.h"
#include "dev/platform.h"
#include "lib/console.h"
#include "vm/guest.h"
#include "vm/vtimer.h"

struct acpi_pm {
	struct acpi_pm_core core;
};

static u64 pm_clocks(void)
{
	return tsc_to_clock(rdtsc(), ACPI_PM_TMR_HZ);
}

/* PM1a_EVT: PM1_STS at +0-1, PM1_EN at +2-3. */
static u8 evt_read8(struct guest *g, void *state, unsigned off)
{
	struct acpi_pm *pm = state;
	u16 v = off < 2 ? acpi_pm_core_sts(&pm->core, pm_clocks()) : acpi_pm_core_en(&pm->core);

	return (u8)(v >> (8 * (off & 1)));
}

static void evt_write8(struct guest *g, void *state, unsigned off, u8 val)
{
	struct acpi_pm *pm = state;
	unsigned shift = 8 * (off & 1);

	if (off < 2) {
		acpi_pm_core_write_sts(&pm->core, pm_clocks(), (u16)(val << shift));
		return;
	}
	acpi_pm_core_write_en(&pm->core, (u16)((acpi_pm_core_en(&pm->core) & ~(0xFFu << shift)) |
					       ((u16)val << shift)));
}

static u64 evt_read(struct guest *g, void *state, u64 offset, unsigned size)
{
	return platform_read_bytes(g, state, offset, size, evt_read8);
}

static void evt_write(struct guest *g, void *state, u64 offset, unsigned size, u64 val)
{
	platform_write_bytes(g, state, offset, size, val, evt_write8);
}

/*
 * PM1a_CNT: a 16-bit register. SLP_EN acts on the whole value: a write of
 * its high byte alone takes the low byte as it reads.
 */
static u64 cnt_read(struct guest *g, void *state, u64 offset, unsigned size)
{
	struct acpi_pm *pm = state;
	u64 v = acpi_pm_core_cnt(&pm->core);

	return (v >> (8 * offset)) & (size >= 2 ? 0xFFFF : 0xFF);
}

static void cnt_write(struct guest *g, void *state, u64 offset, unsigned size, u64 val)
{
	struct acpi_pm *pm = state;
	u16 cur = acpi_pm_core_cnt(&pm->core), v;
	unsigned slp_typ = 0;

	if (offset == 0 && size >= 2)
		v = (u16)val;
	else if (offset == 0)
		v = (u16)((cur & 0xFF00) | (val & 0xFF));
	else
		v = (u16)((cur & 0x00FF) | ((val & 0xFF) << 8));
	if (acpi_pm_core_write_cnt(&pm->core, v, &slp_typ) != ACPI_PM_SLEEP)
		return;
	if (slp_typ == ACPI_GEN_SLP_TYP_S5)
		guest_end(g, GUEST_END_POWEROFF, 0, "ACPI S5: SLP_TYP %u with SLP_EN in PM1a_CNT",
			  slp_typ);
	else
		pr_debug("guest %s: sleeping state SLP_TYP %u asked for: not offered, ignored",
			 g->name, slp_typ);
}

/* PM_TMR: read-only, writes are dropped; one read takes one sample of the counter. */
static u64 tmr_read(struct guest *g, void *state, u64 offset, unsigned size)
{
	struct acpi_pm *pm = state;
	u64 v = acpi_pm_core_timer(&pm->core, pm_clocks());

	return (v >> (8 * offset)) & (size >= 4 ? 0xFFFFFFFFULL : BIT(8 * size) - 1);
}

static void tmr_write(struct guest *g, void *state, u64 offset, unsigned size, u64 val)
{
}

static const struct dev_ops evt_ops = {
    .name = "acpi-pm1-evt", .read = evt_read, .write = evt_write};
static const struct dev_ops cnt_ops = {
    .name = "acpi-pm1-cnt", .read = cnt_read, .write = cnt_write};
static const struct dev_ops tmr_ops = {.name = "acpi-pm-tmr", .read = tmr_read, .write = tmr_write};

bool acpi_pm_attach(struct guest *g)
{
	struct acpi_pm *pm = guest_dev_alloc(g, sizeof(*pm));

	if (!pm)
		return false;
	acpi_pm_core_reset(&pm->core, pm_clocks(), 32);
	return dev_register(g, DEV_PIO, ACPI_GEN_PM1A_EVT_PORT, 4, &evt_ops, pm) &&
	       dev_register(g, DEV_PIO, ACPI_GEN_PM1A_CNT_PORT, 2, &cnt_ops, pm) &&
	       dev_register(g, DEV_PIO, ACPI_GEN_PM_TMR_PORT, 4, &tmr_ops, pm);
}
