/*
 * Building a guest's ACPI tables (acpi_gen.h). The values and the reason
 * for each are in docs/platform-acpi.md. The layout is planned and checked
 * before a byte is written; each table is then assembled from local
 * structures copied into the buffer (which may have any alignment) and
 * sealed with its checksum.
 *
 *   gpa ... padding up to a 16-byte boundary
 *   RSDP  36 bytes           -> XSDT and RSDT
 *   XSDT  36 + 8 * 2         -> FADT, MADT
 *   RSDT  36 + 4 * 2         -> FADT, MADT
 *   FADT  276                -> DSDT (DSDT and X_DSDT), FACS (X_FIRMWARE_CTRL)
 *   FACS  64, on a 64-byte boundary
 *   DSDT  36 + 14            Name(_S5_, Package(){5, 5, 0, 0})
 *   MADT  44 + a structure per processor, the I/O APIC, its overrides, NMI
 *
 * Every table but the FACS starts on a 16-byte boundary.
 */
#include "dev/acpi_gen.h"
#include "arch/x86/acpi_facs.h"
#include "arch/x86/acpi_fadt6.h"
#include "arch/x86/acpi_madt.h"
#include "arch/x86/acpi_tables.h"
#include "lib/string.h"

#define ACPI_GEN_OEM_ID		  "KEEL  "
#define ACPI_GEN_OEM_TABLE_ID	  "KEELVM  "
#define ACPI_GEN_OEM_REVISION	  1
#define ACPI_GEN_CREATOR_ID	  "KEEL"
#define ACPI_GEN_CREATOR_REVISION 1
#define ACPI_GEN_HYPERVISOR_ID	  "KeelKeel" /* FADT Hypervisor Vendor Identity */
#define ACPI_GEN_TABLE_ALIGN	  16
#define ACPI_GEN_TABLES_END	  (4 * GiB)
#define ACPI_GEN_ROOT_ENTRIES	  2 /* the FADT and the MADT */
#define ACPI_GEN_RSDT_LEN	  (sizeof(struct acpi_sdt_header) + 4 * ACPI_GEN_ROOT_ENTRIES)
#define ACPI_GEN_XSDT_LEN	  (sizeof(struct acpi_sdt_header) + 8 * ACPI_GEN_ROOT_ENTRIES)
#define ACPI_GEN_PORTS_END	  0x10000
#define ACPI_SDT_REVISION_1	  1 /* RSDT, XSDT */
#define ACPI_DSDT_REVISION	  2 /* 2 and above: AML integers are 64-bit */
#define ACPI_ISA_IRQ_PIT	  0
#define ACPI_ISA_IRQ_PIT_GSI	  2 /* the PIT is wired to I/O APIC pin 2 */
#define ACPI_APIC_LINT_NMI	  1 /* LINT1 carries NMI, as on every PC */

/* AML opcodes (ACPI 20.2.3 "Data Objects Encoding", 20.2.5 "Term Objects Encoding"). */
#define AML_ZERO_OP	0x00
#define AML_NAME_OP	0x08
#define AML_BYTE_PREFIX 0x0A
#define AML_PACKAGE_OP	0x12

/*
 * The DSDT's AML: Name(_S5_, Package(4){SLP_TYPa, SLP_TYPb, 0, 0}), in the
 * encoding iasl gives it (so a disassembly compiles back to these bytes).
 */
struct acpi_gen_s5_aml {
	u8 name_op;
	char name[4];
	u8 package_op;
	u8 pkg_length; /* of the package, counting this byte */
	u8 num_elements;
	u8 slp_typa_prefix;
	u8 slp_typa;
	u8 slp_typb_prefix;
	u8 slp_typb; /* there is no PM1b block: unused */
	u8 reserved[2];
} __packed;

static const struct acpi_gen_s5_aml acpi_gen_dsdt_aml = {
    .name_op = AML_NAME_OP,
    .name = {'_', 'S', '5', '_'},
    .package_op = AML_PACKAGE_OP,
    .pkg_length = sizeof(struct acpi_gen_s5_aml) - offsetof(struct acpi_gen_s5_aml, pkg_length),
    .num_elements = 4,
    .slp_typa_prefix = AML_BYTE_PREFIX,
    .slp_typa = ACPI_GEN_SLP_TYP_S5,
    .slp_typb_prefix = AML_BYTE_PREFIX,
    .slp_typb = ACPI_GEN_SLP_TYP_S5,
    .reserved = {AML_ZERO_OP, AML_ZERO_OP},
};

_Static_assert(sizeof(struct acpi_gen_s5_aml) == 14, "\\_S5_ is 14 bytes of AML");
_Static_assert(ACPI_GEN_SLP_TYP_S5 >= 2 && ACPI_GEN_SLP_TYP_S5 <= 7,
	       "SLP_TYP is 3 bits; 0 and 1 would be ZeroOp and OneOp, not BytePrefix");

void acpi_gen_config_pc(struct acpi_gen_config *cfg, u32 cpu_count)
{
	*cfg = (struct acpi_gen_config){
	    .cpu_count = cpu_count,
	    .ioapic = true,
	    .ioapic_id = cpu_count < ACPI_MADT_X2APIC_FIRST_ID ? (u8)cpu_count : 0,
	    .pm1a_evt_port = ACPI_GEN_PM1A_EVT_PORT,
	    .pm1a_cnt_port = ACPI_GEN_PM1A_CNT_PORT,
	    .pm_tmr_port = ACPI_GEN_PM_TMR_PORT,
	    .pm_tmr_32bit = true,
	};
}

/* Says what is wrong with cfg, or NULL: every block named, inside the port space, apart. */
static const char *acpi_gen_check(const struct acpi_gen_config *cfg)
{
	const struct {
		u32 base, len;
	} blocks[] = {
	    {cfg->pm1a_evt_port, ACPI_PM1_EVT_LEN},
	    {cfg->pm1a_cnt_port, ACPI_PM1_CNT_LEN},
	    {cfg->pm_tmr_port, cfg->pm_tmr_port ? ACPI_PM_TMR_LEN : 0},
	    {ACPI_GEN_RESET_PORT, 1},
	};

	if (cfg->cpu_count == 0 || cfg->cpu_count > ACPI_GEN_MAX_CPUS)
		return "cpu_count is not in 1..ACPI_GEN_MAX_CPUS";
	if (cfg->pm1a_evt_port == 0 || cfg->pm1a_cnt_port == 0)
		return "the PM1a event and control blocks need a port";
	for (size_t i = 0; i < ARRAY_SIZE(blocks); i++) {
		if (blocks[i].base + blocks[i].len > ACPI_GEN_PORTS_END)
			return "a register block runs past port 0xFFFF";
		for (size_t j = 0; j < i; j++) {
			if (blocks[i].base < blocks[j].base + blocks[j].len &&
			    blocks[j].base < blocks[i].base + blocks[i].len)
				return "PM1a_EVT, PM1a_CNT, PM_TMR and RESET_REG ports overlap";
		}
	}
	return NULL;
}

/* The MADT's length: the header, then what acpi_gen_madt() writes. */
static u32 acpi_gen_madt_len(const struct acpi_gen_config *cfg)
{
	u32 xapic = MIN(cfg->cpu_count, ACPI_MADT_X2APIC_FIRST_ID);
	u32 x2apic = cfg->cpu_count - xapic;
	u32 len = sizeof(struct acpi_madt);

	len += xapic * sizeof(struct acpi_madt_local_apic);
	len += x2apic * sizeof(struct acpi_madt_local_x2apic);
	if (cfg->ioapic)
		len += sizeof(struct acpi_madt_io_apic) + 2 * sizeof(struct acpi_madt_int_src_ovr);
	len += sizeof(struct acpi_madt_local_apic_nmi);
	if (x2apic)
		len += sizeof(struct acpi_madt_local_x2apic_nmi);
	return len;
}

/* Places len bytes at the first multiple of align at or after *at; returns where. */
static u64 acpi_gen_place(u64 *at, u64 len, u64 align)
{
	u64 start = ALIGN_UP(*at, align);

	*at = start + len;
	return start;
}

/* Fills in the GPAs and the size of the tables for a checked cfg; a problem, or NULL. */
static const char *acpi_gen_plan(const struct acpi_gen_config *cfg, u64 gpa,
				 struct acpi_gen_layout *l)
{
	u64 at = gpa;

	if (gpa >= ACPI_GEN_TABLES_END)
		return "the tables must end below 4 GiB";
	l->rsdp = acpi_gen_place(&at, sizeof(struct acpi_rsdp), ACPI_RSDP_ALIGN);
	l->xsdt = acpi_gen_place(&at, ACPI_GEN_XSDT_LEN, ACPI_GEN_TABLE_ALIGN);
	l->rsdt = acpi_gen_place(&at, ACPI_GEN_RSDT_LEN, ACPI_GEN_TABLE_ALIGN);
	l->fadt = acpi_gen_place(&at, sizeof(struct acpi_fadt6), ACPI_GEN_TABLE_ALIGN);
	l->facs = acpi_gen_place(&at, sizeof(struct acpi_facs), ACPI_FACS_ALIGN);
	l->dsdt = acpi_gen_place(&at, sizeof(struct acpi_sdt_header) + sizeof(acpi_gen_dsdt_aml),
				 ACPI_GEN_TABLE_ALIGN);
	l->madt = acpi_gen_place(&at, acpi_gen_madt_len(cfg), ACPI_GEN_TABLE_ALIGN);
	l->size = at - gpa;
	if (at > ACPI_GEN_TABLES_END)
		return "the tables must end below 4 GiB";
	return NULL;
}

/* Copies n bytes to guest-physical `at` in buf; returns the GPA after them. */
static u64 acpi_gen_put(u8 *buf, const struct acpi_gen_layout *l, u64 at, const void *src, size_t n)
{
	memcpy(buf + (at - l->gpa), src, n);
	return at + n;
}

/* Sets the checksum byte of the table of `len` bytes at `at` so that they sum to 0. */
static void acpi_gen_seal(u8 *buf, const struct acpi_gen_layout *l, u64 at, size_t len,
			  size_t checksum_offset)
{
	u8 *t = buf + (at - l->gpa);

	t[checksum_offset] = 0;
	t[checksum_offset] = (u8)(0 - acpi_checksum(t, len));
}

static void acpi_gen_seal_sdt(u8 *buf, const struct acpi_gen_layout *l, u64 at, size_t len)
{
	acpi_gen_seal(buf, l, at, len, offsetof(struct acpi_sdt_header, checksum));
}

static struct acpi_sdt_header acpi_gen_header(const char *sig, size_t len, u8 revision)
{
	struct acpi_sdt_header h = {
	    .length = (u32)len,
	    .revision = revision,
	    .oem_revision = ACPI_GEN_OEM_REVISION,
	    .creator_revision = ACPI_GEN_CREATOR_REVISION,
	};

	memcpy(h.signature, sig, sizeof(h.signature));
	memcpy(h.oem_id, ACPI_GEN_OEM_ID, sizeof(h.oem_id));
	memcpy(h.oem_table_id, ACPI_GEN_OEM_TABLE_ID, sizeof(h.oem_table_id));
	memcpy(&h.creator_id, ACPI_GEN_CREATOR_ID, sizeof(h.creator_id));
	return h;
}

/* 5.2.5.3: revision 2, both checksums. */
static void acpi_gen_rsdp(u8 *buf, const struct acpi_gen_layout *l)
{
	struct acpi_rsdp r = {
	    .revision = 2,
	    .rsdt_address = (u32)l->rsdt,
	    .length = sizeof(r),
	    .xsdt_address = l->xsdt,
	};

	memcpy(r.signature, ACPI_RSDP_SIGNATURE, sizeof(r.signature));
	memcpy(r.oem_id, ACPI_GEN_OEM_ID, sizeof(r.oem_id));
	acpi_gen_put(buf, l, l->rsdp, &r, sizeof(r));
	acpi_gen_seal(buf, l, l->rsdp, ACPI_RSDP_V1_LEN, offsetof(struct acpi_rsdp, checksum));
	acpi_gen_seal(buf, l, l->rsdp, sizeof(r), offsetof(struct acpi_rsdp, extended_checksum));
}

/* The RSDT (32-bit entries) or the XSDT (64-bit): the FADT first, then the MADT. */
static void acpi_gen_root(u8 *buf, const struct acpi_gen_layout *l, bool xsdt)
{
	const u64 entries[ACPI_GEN_ROOT_ENTRIES] = {l->fadt, l->madt};
	size_t esize = xsdt ? 8 : 4;
	size_t len = xsdt ? ACPI_GEN_XSDT_LEN : ACPI_GEN_RSDT_LEN;
	u64 start = xsdt ? l->xsdt : l->rsdt;
	struct acpi_sdt_header h =
	    acpi_gen_header(xsdt ? "XSDT" : "RSDT", len, ACPI_SDT_REVISION_1);
	u64 at = acpi_gen_put(buf, l, start, &h, sizeof(h));

	for (size_t i = 0; i < ACPI_GEN_ROOT_ENTRIES; i++) {
		u32 pa32 = (u32)entries[i];

		at = acpi_gen_put(buf, l, at, xsdt ? (const void *)&entries[i] : &pa32, esize);
	}
	acpi_gen_seal_sdt(buf, l, start, len);
}

/* A Generic Address Structure for an I/O register block of `bytes` bytes. */
static struct acpi_gas acpi_gen_io(u16 port, u8 bytes, u8 access_size)
{
	return (struct acpi_gas){.space_id = ACPI_GAS_SYSTEM_IO,
				 .bit_width = (u8)(8 * bytes),
				 .access_size = access_size,
				 .address = port};
}

/* The register blocks: each both as the 32-bit field with its length and as the X_ GAS. */
static void acpi_gen_fadt_blocks(const struct acpi_gen_config *cfg, struct acpi_fadt6 *f)
{
	struct acpi_fadt *b = &f->base;

	b->pm1a_evt_blk = cfg->pm1a_evt_port;
	b->pm1_evt_len = ACPI_PM1_EVT_LEN;
	b->x_pm1a_evt_blk = acpi_gen_io(cfg->pm1a_evt_port, ACPI_PM1_EVT_LEN, ACPI_GAS_ACCESS_WORD);
	b->pm1a_cnt_blk = cfg->pm1a_cnt_port;
	b->pm1_cnt_len = ACPI_PM1_CNT_LEN;
	b->x_pm1a_cnt_blk = acpi_gen_io(cfg->pm1a_cnt_port, ACPI_PM1_CNT_LEN, ACPI_GAS_ACCESS_WORD);
	if (cfg->pm_tmr_port) {
		b->pm_tmr_blk = cfg->pm_tmr_port;
		b->pm_tmr_len = ACPI_PM_TMR_LEN;
		f->x_pm_tmr_blk =
		    acpi_gen_io(cfg->pm_tmr_port, ACPI_PM_TMR_LEN, ACPI_GAS_ACCESS_DWORD);
	}
	b->reset_reg = acpi_gen_io(ACPI_GEN_RESET_PORT, 1, ACPI_GAS_ACCESS_BYTE);
	b->reset_value = ACPI_GEN_RESET_VALUE;
}

/* 5.2.9: Keel's chipset. docs/platform-acpi.md says why each value. */
static void acpi_gen_fadt(const struct acpi_gen_config *cfg, u8 *buf,
			  const struct acpi_gen_layout *l)
{
	struct acpi_fadt6 f = {0};
	struct acpi_fadt *b = &f.base;

	b->header = acpi_gen_header("FACP", sizeof(f), ACPI_FADT_REVISION);
	b->dsdt = (u32)l->dsdt;
	b->x_dsdt = l->dsdt;
	b->x_firmware_ctrl = l->facs; /* FIRMWARE_CTRL stays 0: at most one of the two is set */
	b->preferred_pm_profile = ACPI_FADT_PM_PROFILE_UNSPECIFIED;
	b->sci_int = ACPI_GEN_SCI_IRQ; /* SMI_CMD 0: no SMM, always in ACPI mode */
	acpi_gen_fadt_blocks(cfg, &f);
	b->p_lvl2_lat = ACPI_FADT_P_LVL2_LAT_NONE;
	b->p_lvl3_lat = ACPI_FADT_P_LVL3_LAT_NONE;
	b->century = ACPI_GEN_CENTURY;
	b->iapc_boot_arch =
	    ACPI_IAPC_BOOT_ARCH_LEGACY_DEVICES | ACPI_IAPC_BOOT_ARCH_VGA_NOT_PRESENT;
	b->flags = ACPI_FADT_WBINVD | ACPI_FADT_PROC_C1 | ACPI_FADT_PWR_BUTTON |
		   ACPI_FADT_SLP_BUTTON | ACPI_FADT_FIX_RTC | ACPI_FADT_RESET_REG_SUP |
		   ACPI_FADT_HEADLESS | (cfg->pm_tmr_32bit ? ACPI_FADT_TMR_VAL_EXT : 0);
	b->fadt_minor_version = ACPI_FADT_MINOR_REVISION;
	memcpy(&f.hypervisor_vendor_identity, ACPI_GEN_HYPERVISOR_ID,
	       sizeof(f.hypervisor_vendor_identity));
	acpi_gen_put(buf, l, l->fadt, &f, sizeof(f));
	acpi_gen_seal_sdt(buf, l, l->fadt, sizeof(f));
}

/* 5.2.10: no global lock holder, no waking vector, no S4BIOS. No checksum. */
static void acpi_gen_facs(u8 *buf, const struct acpi_gen_layout *l)
{
	struct acpi_facs f = {.length = sizeof(f), .version = ACPI_FACS_VERSION};

	memcpy(f.signature, ACPI_FACS_SIGNATURE, sizeof(f.signature));
	acpi_gen_put(buf, l, l->facs, &f, sizeof(f));
}

static void acpi_gen_dsdt(u8 *buf, const struct acpi_gen_layout *l)
{
	size_t len = sizeof(struct acpi_sdt_header) + sizeof(acpi_gen_dsdt_aml);
	struct acpi_sdt_header h = acpi_gen_header("DSDT", len, ACPI_DSDT_REVISION);
	u64 at = acpi_gen_put(buf, l, l->dsdt, &h, sizeof(h));

	acpi_gen_put(buf, l, at, &acpi_gen_dsdt_aml, sizeof(acpi_gen_dsdt_aml));
	acpi_gen_seal_sdt(buf, l, l->dsdt, len);
}

/* Processor `id`: APIC ID and ACPI processor UID both id, enabled. */
static u64 acpi_gen_madt_cpu(u8 *buf, const struct acpi_gen_layout *l, u64 at, u32 id)
{
	struct acpi_madt_local_apic xapic = {
	    .type = ACPI_MADT_TYPE_LOCAL_APIC,
	    .length = sizeof(xapic),
	    .acpi_processor_uid = (u8)id,
	    .apic_id = (u8)id,
	    .flags = ACPI_MADT_LAPIC_ENABLED,
	};
	struct acpi_madt_local_x2apic x2apic = {
	    .type = ACPI_MADT_TYPE_LOCAL_X2APIC,
	    .length = sizeof(x2apic),
	    .x2apic_id = id,
	    .flags = ACPI_MADT_LAPIC_ENABLED,
	    .acpi_processor_uid = id,
	};

	if (id < ACPI_MADT_X2APIC_FIRST_ID)
		return acpi_gen_put(buf, l, at, &xapic, sizeof(xapic));
	return acpi_gen_put(buf, l, at, &x2apic, sizeof(x2apic));
}

/* An ISA IRQ's override: bus 0, source irq, to gsi, with MPS INTI flags. */
static u64 acpi_gen_madt_override(u8 *buf, const struct acpi_gen_layout *l, u64 at, u8 irq, u32 gsi,
				  u16 flags)
{
	struct acpi_madt_int_src_ovr o = {
	    .type = ACPI_MADT_TYPE_INT_SRC_OVR,
	    .length = sizeof(o),
	    .source = irq,
	    .global_system_interrupt = gsi,
	    .flags = flags,
	};

	return acpi_gen_put(buf, l, at, &o, sizeof(o));
}

/*
 * The I/O APIC, GSIs from 0, and the two overrides a PC has: the PIT's
 * IRQ 0 on pin 2, edge, active high; the SCI level-triggered, active high
 * (an ISA IRQ is otherwise taken as edge-triggered).
 */
static u64 acpi_gen_madt_ioapic(const struct acpi_gen_config *cfg, u8 *buf,
				const struct acpi_gen_layout *l, u64 at)
{
	struct acpi_madt_io_apic io = {
	    .type = ACPI_MADT_TYPE_IO_APIC,
	    .length = sizeof(io),
	    .io_apic_id = cfg->ioapic_id,
	    .io_apic_address = ACPI_GEN_IOAPIC_GPA,
	    .global_system_interrupt_base = 0,
	};

	at = acpi_gen_put(buf, l, at, &io, sizeof(io));
	at =
	    acpi_gen_madt_override(buf, l, at, ACPI_ISA_IRQ_PIT, ACPI_ISA_IRQ_PIT_GSI,
				   ACPI_MPS_INTI_POLARITY_ACTIVE_HIGH | ACPI_MPS_INTI_TRIGGER_EDGE);
	return acpi_gen_madt_override(buf, l, at, ACPI_GEN_SCI_IRQ, ACPI_GEN_SCI_IRQ,
				      ACPI_MPS_INTI_POLARITY_ACTIVE_HIGH |
					  ACPI_MPS_INTI_TRIGGER_LEVEL);
}

/* LINT1 is NMI on every processor: one structure for the xAPIC UIDs, one for the x2APIC ones. */
static u64 acpi_gen_madt_nmi(const struct acpi_gen_config *cfg, u8 *buf,
			     const struct acpi_gen_layout *l, u64 at)
{
	const u16 flags = ACPI_MPS_INTI_POLARITY_ACTIVE_HIGH | ACPI_MPS_INTI_TRIGGER_EDGE;
	struct acpi_madt_local_apic_nmi nmi = {
	    .type = ACPI_MADT_TYPE_LOCAL_APIC_NMI,
	    .length = sizeof(nmi),
	    .acpi_processor_uid = ACPI_MADT_NMI_ALL_PROCESSORS,
	    .flags = flags,
	    .local_apic_lint = ACPI_APIC_LINT_NMI,
	};
	struct acpi_madt_local_x2apic_nmi x2nmi = {
	    .type = ACPI_MADT_TYPE_LOCAL_X2APIC_NMI,
	    .length = sizeof(x2nmi),
	    .flags = flags,
	    .acpi_processor_uid = ACPI_MADT_X2APIC_NMI_ALL_PROCESSORS,
	    .local_x2apic_lint = ACPI_APIC_LINT_NMI,
	};

	at = acpi_gen_put(buf, l, at, &nmi, sizeof(nmi));
	if (cfg->cpu_count > ACPI_MADT_X2APIC_FIRST_ID)
		at = acpi_gen_put(buf, l, at, &x2nmi, sizeof(x2nmi));
	return at;
}

/* 5.2.12: the processors (boot processor first), the I/O APIC, the NMI wiring. */
static void acpi_gen_madt(const struct acpi_gen_config *cfg, u8 *buf,
			  const struct acpi_gen_layout *l)
{
	u32 len = acpi_gen_madt_len(cfg);
	struct acpi_madt m = {
	    .header = acpi_gen_header(ACPI_MADT_SIGNATURE, len, ACPI_MADT_REVISION),
	    .local_apic_address = ACPI_GEN_LAPIC_GPA,
	    .flags = ACPI_MADT_PCAT_COMPAT,
	};
	u64 at = acpi_gen_put(buf, l, l->madt, &m, sizeof(m));

	for (u32 id = 0; id < cfg->cpu_count; id++)
		at = acpi_gen_madt_cpu(buf, l, at, id);
	if (cfg->ioapic)
		at = acpi_gen_madt_ioapic(cfg, buf, l, at);
	acpi_gen_madt_nmi(cfg, buf, l, at);
	acpi_gen_seal_sdt(buf, l, l->madt, len);
}

bool acpi_gen_build(const struct acpi_gen_config *cfg, u8 *buf, size_t size, u64 gpa,
		    struct acpi_gen_layout *out)
{
	const char *problem = acpi_gen_check(cfg);

	*out = (struct acpi_gen_layout){.gpa = gpa};
	if (!problem)
		problem = acpi_gen_plan(cfg, gpa, out);
	if (!problem && size < out->size)
		problem = "the buffer is smaller than the tables";
	out->problem = problem;
	if (problem)
		return false;
	memset(buf, 0, out->size);
	acpi_gen_rsdp(buf, out);
	acpi_gen_root(buf, out, true);
	acpi_gen_root(buf, out, false);
	acpi_gen_fadt(cfg, buf, out);
	acpi_gen_facs(buf, out);
	acpi_gen_dsdt(buf, out);
	acpi_gen_madt(cfg, buf, out);
	return true;
}
