/*
 * ACPI glue: where the tables are, what Keel keeps from them, and the
 * register writes for S5 and reset. The parsing is in acpi_tables.c.
 *
 * Tables are read through the direct map, which covers 0-4 GiB (firmware
 * puts ACPI tables there on the PC machines Keel targets); a table above it
 * is reported as not mapped. Page 0 is never read: Keel unmaps it.
 */
#include "arch/x86/acpi.h"
#include "arch/x86/acpi_tables.h"
#include "arch/x86/io.h"
#include "lib/console.h"
#include "lib/format.h"
#include "lib/string.h"
#include "mm/addr.h"

#define ACPI_DIRECT_MAP_END (4 * GiB)
/* Legacy RSDP areas (5.2.5.1). The EBDA's segment is in page 0, which Keel
 * does not map, so the whole range an EBDA can occupy is scanned instead. */
#define ACPI_EBDA_AREA	   0x80000
#define ACPI_EBDA_AREA_END 0xA0000
#define ACPI_BIOS_AREA	   0xE0000
#define ACPI_BIOS_AREA_END 0x100000
/* Bounds on waits, in register reads (about 1 us each on hardware). */
#define ACPI_ENABLE_POLLS  3000000
#define ACPI_SETTLE_POLLS  1000000
#define PCI_CONFIG_ADDRESS 0xCF8
#define PCI_CONFIG_DATA	   0xCFC
#define PCI_CONFIG_ENABLE  BIT(31)

/* Shared, write-once at boot: acpi_init, before any other CPU starts; read-only after. */
static struct acpi_fadt_info acpi_fadt;
static struct acpi_s5 acpi_s5;
static bool acpi_s5_ok, acpi_reset_ok;
static char acpi_oem[6];
static const struct acpi_sdt_header *acpi_madt; /* NULL: none found */

static const void *acpi_map(void *ctx, u64 pa, u64 len)
{
	if (pa < PAGE_SIZE || len > ACPI_DIRECT_MAP_END || pa > ACPI_DIRECT_MAP_END - len)
		return NULL;
	return hpa_ptr(hpa(pa));
}

static const struct acpi_mem acpi_mem = {.map = acpi_map, .ctx = NULL};

/* The legacy way: a valid RSDP on a 16-byte boundary in the BIOS areas. */
static bool acpi_scan_rsdp(struct acpi_root *root, char *err, size_t errlen)
{
	static const u64 areas[][2] = {
	    {ACPI_EBDA_AREA, ACPI_EBDA_AREA_END},
	    {ACPI_BIOS_AREA, ACPI_BIOS_AREA_END},
	};

	for (size_t i = 0; i < ARRAY_SIZE(areas); i++) {
		size_t len = areas[i][1] - areas[i][0];
		const u8 *area = acpi_map(NULL, areas[i][0], len);
		size_t off = acpi_rsdp_scan(area, len);

		if (off < len)
			return acpi_rsdp_parse(area + off, len - off, root, err, errlen);
	}
	fmt_snprintf(err, errlen, "no RSDP in 0x80000-0x9FFFF or 0xE0000-0xFFFFF");
	return false;
}

/* Looks for \_S5_ in the DSDT, then in each SSDT; err says why the DSDT failed. */
static bool acpi_find_s5(const struct acpi_root *root, char *err, size_t errlen)
{
	const struct acpi_sdt_header *t;
	char ignored[ACPI_ERR_LEN];
	const size_t hdr = sizeof(*t);

	t = acpi_table_get(&acpi_mem, acpi_fadt.dsdt_pa, "DSDT", err, errlen);
	if (!t)
		return false;
	if (acpi_aml_find_s5((const u8 *)t + hdr, t->length - hdr, &acpi_s5, err, errlen))
		return true;
	for (unsigned n = 0;
	     (t = acpi_table_find(&acpi_mem, root, "SSDT", n, ignored, sizeof(ignored))); n++) {
		if (acpi_aml_find_s5((const u8 *)t + hdr, t->length - hdr, &acpi_s5, ignored,
				     sizeof(ignored)))
			return true;
	}
	return false;
}

static void acpi_report_power(const struct acpi_root *root)
{
	char err[ACPI_ERR_LEN];

	if (acpi_fadt.s5_problem)
		pr_warn("ACPI: no S5 power-off: %s", acpi_fadt.s5_problem);
	else if (!acpi_find_s5(root, err, sizeof(err)))
		pr_warn("ACPI: no S5 power-off: %s", err);
	else
		acpi_s5_ok = true;
	if (acpi_s5_ok)
		pr_info("ACPI: S5 by PM1a_CNT 0x%x PM1b_CNT 0x%x, SLP_TYPa %u SLP_TYPb %u",
			acpi_fadt.pm1a_cnt, acpi_fadt.pm1b_cnt, acpi_s5.slp_typa, acpi_s5.slp_typb);
	acpi_reset_ok = acpi_fadt.reset_problem == NULL;
	if (acpi_reset_ok)
		pr_info("ACPI: reset by writing 0x%x to %s 0x%lx", acpi_fadt.reset_value,
			acpi_fadt.reset_reg.space_id == ACPI_GAS_SYSTEM_IO    ? "port"
			: acpi_fadt.reset_reg.space_id == ACPI_GAS_PCI_CONFIG ? "PCI config"
									      : "memory",
			acpi_fadt.reset_reg.address);
	else
		pr_info("ACPI: no reset register: %s", acpi_fadt.reset_problem);
}

void acpi_init(const void *rsdp, size_t len)
{
	struct acpi_root root;
	const struct acpi_sdt_header *fadt;
	char err[ACPI_ERR_LEN];
	bool ok;

	ok = rsdp ? acpi_rsdp_parse(rsdp, len, &root, err, sizeof(err))
		  : acpi_scan_rsdp(&root, err, sizeof(err));
	if (ok) {
		char madt_err[ACPI_ERR_LEN];

		acpi_madt =
		    acpi_table_find(&acpi_mem, &root, "APIC", 0, madt_err, sizeof(madt_err));
	}
	fadt = ok ? acpi_table_find(&acpi_mem, &root, "FACP", 0, err, sizeof(err)) : NULL;
	if (!fadt || !acpi_fadt_parse(fadt, &acpi_fadt, err, sizeof(err))) {
		pr_warn("ACPI: %s: ACPI power-off and reset disabled", err);
		return;
	}
	memcpy(acpi_oem, fadt->oem_id, sizeof(acpi_oem));
	pr_info("ACPI: RSDP revision %u (%s), %s at 0x%lx, FADT revision %u", root.revision,
		rsdp ? "multiboot2" : "BIOS scan", root.xsdt ? "XSDT" : "RSDT", root.table_pa,
		acpi_fadt.revision);
	acpi_report_power(&root);
}

const void *acpi_madt_table(size_t *len)
{
	*len = acpi_madt ? acpi_madt->length : 0;
	return acpi_madt;
}

bool acpi_oem_is(const char *oem)
{
	return memcmp(acpi_oem, oem, sizeof(acpi_oem)) == 0;
}

/* Switches the chipset to ACPI mode (SCI_EN) if it is not, with a bounded wait. */
static void acpi_enable_mode(void)
{
	if (inw(acpi_fadt.pm1a_cnt) & ACPI_PM1_CNT_SCI_EN)
		return;
	if (acpi_fadt.smi_cmd == 0 || acpi_fadt.acpi_enable == 0)
		return; /* nothing to switch: try the registers as they are */
	outb(acpi_fadt.smi_cmd, acpi_fadt.acpi_enable);
	for (unsigned i = 0; i < ACPI_ENABLE_POLLS; i++) {
		if (inw(acpi_fadt.pm1a_cnt) & ACPI_PM1_CNT_SCI_EN)
			return;
	}
}

/* Sets SLP_TYP in a PM1 control register, then SLP_EN with it (4.8.3.2.1). */
static void acpi_pm1_set_sleep(u16 port, u8 slp_typ, bool enable)
{
	u16 v = inw(port) & (u16) ~(ACPI_PM1_CNT_SLP_TYP_MASK | ACPI_PM1_CNT_SLP_EN);

	v |= (u16)(slp_typ << ACPI_PM1_CNT_SLP_TYP_SHIFT);
	outw(port, enable ? v | (u16)ACPI_PM1_CNT_SLP_EN : v);
}

/* Gives the machine time to act on a power-off or reset write. */
static void acpi_settle(void)
{
	for (unsigned i = 0; i < ACPI_SETTLE_POLLS; i++)
		(void)inb(PCI_CONFIG_ADDRESS);
}

void acpi_power_off(void)
{
	if (!acpi_s5_ok)
		return;
	acpi_enable_mode();
	acpi_pm1_set_sleep(acpi_fadt.pm1a_cnt, acpi_s5.slp_typa, false);
	if (acpi_fadt.pm1b_cnt)
		acpi_pm1_set_sleep(acpi_fadt.pm1b_cnt, acpi_s5.slp_typb, false);
	acpi_pm1_set_sleep(acpi_fadt.pm1a_cnt, acpi_s5.slp_typa, true);
	if (acpi_fadt.pm1b_cnt)
		acpi_pm1_set_sleep(acpi_fadt.pm1b_cnt, acpi_s5.slp_typb, true);
	acpi_settle();
}

/*
 * A PCI configuration-space reset register: the GAS address holds device
 * (47:32), function (31:16) and offset (15:0) on bus 0 (5.2.3.2).
 */
static void acpi_reset_pci(u64 addr, u8 value)
{
	u32 dev = (addr >> 32) & 0x1F, fn = (addr >> 16) & 0x7, off = addr & 0xFF;

	outl(PCI_CONFIG_ADDRESS, (u32)PCI_CONFIG_ENABLE | dev << 11 | fn << 8 | (off & 0xFC));
	outb((u16)(PCI_CONFIG_DATA + (off & 3)), value);
}

void acpi_reset(void)
{
	const struct acpi_gas *r = &acpi_fadt.reset_reg;
	volatile u8 *mmio;

	if (!acpi_reset_ok)
		return;
	switch (r->space_id) {
	case ACPI_GAS_SYSTEM_IO:
		if (r->address <= 0xFFFF)
			outb((u16)r->address, acpi_fadt.reset_value);
		break;
	case ACPI_GAS_SYSTEM_MEMORY:
		mmio = (volatile u8 *)acpi_map(NULL, r->address, 1);
		if (mmio)
			*mmio = acpi_fadt.reset_value;
		break;
	case ACPI_GAS_PCI_CONFIG:
		acpi_reset_pci(r->address, acpi_fadt.reset_value);
		break;
	}
	acpi_settle();
}
