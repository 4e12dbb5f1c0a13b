/*
 * Host tests for dev/acpi_gen.c: every checksum, length and pointer of the
 * tables it builds, a round trip through Keel's own ACPI parser
 * (arch/x86/acpi_tables.c), the legacy RSDP scan over a 0xE0000-0xFFFFF
 * image, the MADT for 1, 2, 64 and 300 processors, and the failures. Each
 * build goes into an exact-size heap buffer, so ASan sees any write past
 * it. tests/unit/acpi_gen_iasl.py checks the same tables with iasl.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/acpi_facs.h"
#include "arch/x86/acpi_fadt6.h"
#include "arch/x86/acpi_madt.h"
#include "arch/x86/acpi_tables.h"
#include "dev/acpi_gen.h"

#define GPA	     ACPI_GEN_BIOS_AREA
#define AREA_SIZE    (ACPI_GEN_BIOS_AREA_END - ACPI_GEN_BIOS_AREA)
#define FILL	     0xA5
#define SDT_HDR	     sizeof(struct acpi_sdt_header)
#define XSDT_LEN     (SDT_HDR + 2 * 8)
#define RSDT_LEN     (SDT_HDR + 2 * 4)
#define DSDT_LEN     (SDT_HDR + 14)
#define MADT_FIXED   (44 + 12 + 2 * 10 + 6) /* header, I/O APIC, 2 overrides, NMI */
#define PC1_MADT_LEN (MADT_FIXED + 8)

static char err[ACPI_ERR_LEN];

/* A build: the tables at gpa in an exact-size heap buffer. */
struct built {
	u8 *buf;
	struct acpi_gen_layout l;
};

static struct acpi_gen_config pc(u32 cpus)
{
	struct acpi_gen_config cfg;

	acpi_gen_config_pc(&cfg, cpus);
	return cfg;
}

static struct built build_at(const struct acpi_gen_config *cfg, u64 gpa)
{
	struct built b = {0};
	struct acpi_gen_layout probe;

	assert_false(acpi_gen_build(cfg, NULL, 0, gpa, &probe)); /* asks for the size */
	assert_non_null(strstr(probe.problem, "smaller"));
	b.buf = malloc(probe.size);
	assert_non_null(b.buf);
	memset(b.buf, FILL, probe.size);
	assert_true(acpi_gen_build(cfg, b.buf, probe.size, gpa, &b.l));
	assert_null(b.l.problem);
	assert_int_equal(b.l.size, probe.size);
	return b;
}

static struct built build(const struct acpi_gen_config *cfg)
{
	return build_at(cfg, GPA);
}

static const u8 *at(const struct built *b, u64 gpa)
{
	return b->buf + (gpa - b->l.gpa);
}

static u32 get32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, 4);
	return v;
}

static u64 get64(const u8 *p)
{
	u64 v;

	memcpy(&v, p, 8);
	return v;
}

static struct acpi_sdt_header header(const struct built *b, u64 gpa)
{
	struct acpi_sdt_header h;

	memcpy(&h, at(b, gpa), sizeof(h));
	return h;
}

static struct acpi_fadt6 fadt(const struct built *b)
{
	struct acpi_fadt6 f;

	memcpy(&f, at(b, b->l.fadt), sizeof(f));
	return f;
}

/* Fake physical memory for the parser: exactly the built buffer. */
static const void *buf_map(void *ctx, u64 pa, u64 len)
{
	const struct built *b = ctx;

	if (pa < b->l.gpa || len > b->l.size || pa - b->l.gpa > b->l.size - len)
		return NULL;
	return b->buf + (pa - b->l.gpa);
}

/* Checks an SDT at gpa: signature, length, revision, checksum, Keel's IDs. */
static void check_sdt(const struct built *b, u64 gpa, const char *sig, u32 len, u8 rev)
{
	struct acpi_sdt_header h = header(b, gpa);

	assert_memory_equal(h.signature, sig, 4);
	assert_int_equal(h.length, len);
	assert_int_equal(h.revision, rev);
	assert_int_equal(acpi_checksum(at(b, gpa), len), 0);
	assert_memory_equal(h.oem_id, "KEEL  ", 6);
	assert_memory_equal(h.oem_table_id, "KEELVM  ", 8);
	assert_memory_equal(&h.creator_id, "KEEL", 4);
	assert_int_equal(h.oem_revision, 1);
	assert_true(gpa + len <= b->l.gpa + b->l.size);
}

static void test_checksums_and_lengths(void **state)
{
	struct acpi_gen_config cfg = pc(1);
	struct built b = build(&cfg);
	struct acpi_rsdp r;
	struct acpi_facs facs;

	memcpy(&r, at(&b, b.l.rsdp), sizeof(r));
	assert_memory_equal(r.signature, "RSD PTR ", 8);
	assert_memory_equal(r.oem_id, "KEEL  ", 6);
	assert_int_equal(r.revision, 2);
	assert_int_equal(r.length, 36);
	assert_int_equal(acpi_checksum(&r, 20), 0);
	assert_int_equal(acpi_checksum(&r, 36), 0);
	check_sdt(&b, b.l.xsdt, "XSDT", XSDT_LEN, 1);
	check_sdt(&b, b.l.rsdt, "RSDT", RSDT_LEN, 1);
	check_sdt(&b, b.l.fadt, "FACP", 276, 6);
	check_sdt(&b, b.l.dsdt, "DSDT", DSDT_LEN, 2);
	check_sdt(&b, b.l.madt, "APIC", PC1_MADT_LEN, 6);
	memcpy(&facs, at(&b, b.l.facs), sizeof(facs));
	assert_memory_equal(facs.signature, "FACS", 4);
	assert_int_equal(facs.length, 64);
	assert_int_equal(facs.version, 2);
	assert_int_equal(facs.global_lock, 0);
	assert_int_equal(facs.flags, 0);
	assert_int_equal(facs.firmware_waking_vector, 0);
	assert_int_equal(b.l.size, b.l.madt + PC1_MADT_LEN - GPA); /* the MADT is last */
	free(b.buf);
}

/* Every pointer lands on its table inside the buffer, aligned, tables apart. */
static void test_pointers(void **state)
{
	struct acpi_gen_config cfg = pc(2);
	struct built b = build(&cfg);
	const u64 starts[] = {b.l.rsdp, b.l.xsdt, b.l.rsdt, b.l.fadt, b.l.facs, b.l.dsdt, b.l.madt};
	const u64 lens[] = {36, XSDT_LEN, RSDT_LEN, 276, 64, DSDT_LEN, MADT_FIXED + 16};
	struct acpi_rsdp r;
	struct acpi_fadt6 f = fadt(&b);

	memcpy(&r, at(&b, b.l.rsdp), sizeof(r));
	assert_int_equal(b.l.gpa, GPA);
	assert_int_equal(b.l.rsdp, GPA); /* RSDP first */
	assert_int_equal(r.xsdt_address, b.l.xsdt);
	assert_int_equal(r.rsdt_address, b.l.rsdt);
	assert_int_equal(get64(at(&b, b.l.xsdt) + SDT_HDR), b.l.fadt);
	assert_int_equal(get64(at(&b, b.l.xsdt) + SDT_HDR + 8), b.l.madt);
	assert_int_equal(get32(at(&b, b.l.rsdt) + SDT_HDR), b.l.fadt);
	assert_int_equal(get32(at(&b, b.l.rsdt) + SDT_HDR + 4), b.l.madt);
	assert_int_equal(f.base.x_dsdt, b.l.dsdt);
	assert_int_equal(f.base.dsdt, b.l.dsdt);
	assert_int_equal(f.base.x_firmware_ctrl, b.l.facs);
	assert_int_equal(f.base.firmware_ctrl, 0); /* at most one of FIRMWARE_CTRL, X_ */
	assert_int_equal(b.l.facs % 64, 0);
	for (size_t i = 0; i < ARRAY_SIZE(starts); i++) {
		assert_int_equal(starts[i] % 16, 0);
		assert_true(starts[i] >= GPA && starts[i] + lens[i] <= GPA + b.l.size);
		for (size_t j = 0; j < i; j++)
			assert_true(starts[j] + lens[j] <= starts[i]); /* in order, apart */
	}
	free(b.buf);
}

/* The FADT describes Keel's chipset as docs/platform-acpi.md says. */
static void test_fadt_fields(void **state)
{
	struct acpi_gen_config cfg = pc(1);
	struct built b = build(&cfg);
	struct acpi_fadt6 f = fadt(&b);
	const struct acpi_fadt *x = &f.base;
	const u32 flags = ACPI_FADT_WBINVD | ACPI_FADT_PROC_C1 | ACPI_FADT_PWR_BUTTON |
			  ACPI_FADT_SLP_BUTTON | ACPI_FADT_FIX_RTC | ACPI_FADT_TMR_VAL_EXT |
			  ACPI_FADT_RESET_REG_SUP | ACPI_FADT_HEADLESS;

	assert_int_equal(x->sci_int, 9);
	assert_int_equal(x->smi_cmd, 0);
	assert_int_equal(x->acpi_enable, 0);
	assert_int_equal(x->pm1a_evt_blk, 0x600);
	assert_int_equal(x->pm1_evt_len, 4);
	assert_int_equal(x->pm1a_cnt_blk, 0x604);
	assert_int_equal(x->pm1_cnt_len, 2);
	assert_int_equal(x->pm_tmr_blk, 0x608);
	assert_int_equal(x->pm_tmr_len, 4);
	assert_int_equal(x->pm1b_evt_blk | x->pm1b_cnt_blk | x->pm2_cnt_blk, 0);
	assert_int_equal(x->gpe0_blk | x->gpe0_blk_len | x->gpe1_blk | x->gpe1_blk_len, 0);
	/* Each X_ block says what its 32-bit twin and length say (ACPICA compares them). */
	assert_int_equal(x->x_pm1a_evt_blk.space_id, ACPI_GAS_SYSTEM_IO);
	assert_int_equal(x->x_pm1a_evt_blk.bit_width, 32);
	assert_int_equal(x->x_pm1a_evt_blk.address, 0x600);
	assert_int_equal(x->x_pm1a_cnt_blk.bit_width, 16);
	assert_int_equal(x->x_pm1a_cnt_blk.address, 0x604);
	assert_int_equal(f.x_pm_tmr_blk.space_id, ACPI_GAS_SYSTEM_IO);
	assert_int_equal(f.x_pm_tmr_blk.bit_width, 32);
	assert_int_equal(f.x_pm_tmr_blk.address, 0x608);
	assert_int_equal(x->x_pm1b_evt_blk.address | x->x_pm1b_cnt_blk.address, 0);
	assert_int_equal(f.x_pm2_cnt_blk.address | f.x_gpe0_blk.address, 0);
	assert_int_equal(x->flags, flags);
	assert_int_equal(x->iapc_boot_arch,
			 ACPI_IAPC_BOOT_ARCH_LEGACY_DEVICES | ACPI_IAPC_BOOT_ARCH_VGA_NOT_PRESENT);
	assert_int_equal(x->century, 0x32);
	assert_int_equal(x->day_alrm | x->mon_alrm, 0);
	assert_true(x->p_lvl2_lat > 100 && x->p_lvl3_lat > 1000);
	assert_int_equal(x->reset_reg.space_id, ACPI_GAS_SYSTEM_IO);
	assert_int_equal(x->reset_reg.bit_width, 8);
	assert_int_equal(x->reset_reg.bit_offset, 0);
	assert_int_equal(x->reset_reg.address, 0xCF9);
	assert_int_equal(x->reset_value, 0x06);
	assert_int_equal(x->fadt_minor_version, 5);
	assert_memory_equal(&f.hypervisor_vendor_identity, "KeelKeel", 8);
	free(b.buf);
}

/* No PM timer, or a 24-bit one: the fields and the TMR_VAL_EXT flag follow. */
static void test_fadt_pm_timer_choices(void **state)
{
	struct acpi_gen_config cfg = pc(1);
	struct built b;
	struct acpi_fadt6 f;

	cfg.pm_tmr_32bit = false;
	b = build(&cfg);
	f = fadt(&b);
	assert_int_equal(f.base.pm_tmr_blk, 0x608);
	assert_int_equal(f.base.flags & ACPI_FADT_TMR_VAL_EXT, 0);
	free(b.buf);

	cfg.pm_tmr_port = 0;
	b = build(&cfg);
	f = fadt(&b);
	assert_int_equal(f.base.pm_tmr_blk, 0);
	assert_int_equal(f.base.pm_tmr_len, 0);
	assert_int_equal(f.x_pm_tmr_blk.space_id, 0);
	assert_int_equal(f.x_pm_tmr_blk.bit_width, 0);
	assert_int_equal(f.x_pm_tmr_blk.address, 0);
	free(b.buf);
}

static void test_dsdt_aml(void **state)
{
	static const u8 s5[] = {0x08, '_',  'S',  '5',	'_',  0x12, 0x08,
				0x04, 0x0A, 0x05, 0x0A, 0x05, 0x00, 0x00};
	struct acpi_gen_config cfg = pc(1);
	struct built b = build(&cfg);

	assert_memory_equal(at(&b, b.l.dsdt) + SDT_HDR, s5, sizeof(s5));
	free(b.buf);
}

/* Keel's own parser, from the RSDP through either root table, finds what was put in. */
static void round_trip(const struct built *b, bool through_xsdt)
{
	struct acpi_mem mem = {.map = buf_map, .ctx = (void *)b};
	struct acpi_root root;
	struct acpi_fadt_info fi;
	struct acpi_s5 s5;
	const struct acpi_sdt_header *t;

	assert_true(acpi_rsdp_parse(at(b, b->l.rsdp), 36, &root, err, sizeof(err)));
	assert_int_equal(root.revision, 2);
	assert_true(root.xsdt);
	assert_int_equal(root.table_pa, b->l.xsdt);
	if (!through_xsdt)
		root = (struct acpi_root){.revision = 2, .xsdt = false, .table_pa = b->l.rsdt};
	t = acpi_table_find(&mem, &root, "FACP", 0, err, sizeof(err));
	assert_ptr_equal(t, at(b, b->l.fadt));
	assert_true(acpi_fadt_parse(t, &fi, err, sizeof(err)));
	assert_int_equal(fi.revision, 6);
	assert_int_equal(fi.dsdt_pa, b->l.dsdt);
	assert_false(fi.hw_reduced);
	assert_null(fi.s5_problem);
	assert_int_equal(fi.pm1a_cnt, 0x604);
	assert_int_equal(fi.pm1b_cnt, 0);
	assert_int_equal(fi.smi_cmd, 0);
	assert_null(fi.reset_problem);
	assert_int_equal(fi.reset_reg.space_id, ACPI_GAS_SYSTEM_IO);
	assert_int_equal(fi.reset_reg.address, 0xCF9);
	assert_int_equal(fi.reset_value, 0x06);
	t = acpi_table_get(&mem, fi.dsdt_pa, "DSDT", err, sizeof(err));
	assert_non_null(t);
	assert_true(
	    acpi_aml_find_s5((const u8 *)t + SDT_HDR, t->length - SDT_HDR, &s5, err, sizeof(err)));
	assert_int_equal(s5.slp_typa, ACPI_GEN_SLP_TYP_S5);
	assert_int_equal(s5.slp_typb, ACPI_GEN_SLP_TYP_S5);
	t = acpi_table_find(&mem, &root, "APIC", 0, err, sizeof(err));
	assert_ptr_equal(t, at(b, b->l.madt));
	assert_null(acpi_table_find(&mem, &root, "FACP", 1, err, sizeof(err)));
	assert_non_null(strstr(err, "2 entries, 0 not mapped"));
}

static void test_parser_round_trip(void **state)
{
	struct acpi_gen_config cfg = pc(1);
	struct built b = build(&cfg);

	round_trip(&b, true);
	round_trip(&b, false);
	free(b.buf);
}

/* Placed anywhere in 0xE0000-0xFFFFF, the legacy scan finds the RSDP. */
static void test_legacy_scan(void **state)
{
	struct acpi_gen_config cfg = pc(4);
	const u64 gpas[] = {ACPI_GEN_BIOS_AREA, 0xF5A28, 0xFFC00};
	u8 *area = malloc(AREA_SIZE);

	assert_non_null(area);
	for (size_t i = 0; i < ARRAY_SIZE(gpas); i++) {
		struct acpi_gen_layout l;
		size_t off = gpas[i] - ACPI_GEN_BIOS_AREA;
		struct built b;

		memset(area, 0, AREA_SIZE);
		assert_true(acpi_gen_build(&cfg, area + off, AREA_SIZE - off, gpas[i], &l));
		assert_int_equal(l.rsdp % 16, 0);
		assert_true(l.rsdp - gpas[i] < 16);
		assert_int_equal(acpi_rsdp_scan(area, AREA_SIZE), l.rsdp - ACPI_GEN_BIOS_AREA);
		b = (struct built){.buf = area, .l = l};
		b.l.gpa = ACPI_GEN_BIOS_AREA; /* the parser sees the whole area */
		b.l.size = AREA_SIZE;
		round_trip(&b, true);
	}
	free(area);
}

/* Walks the MADT's structures; checks each kind and that they fill the table exactly. */
static void check_madt(const struct built *b, const struct acpi_gen_config *cfg)
{
	struct acpi_sdt_header h = header(b, b->l.madt);
	const u8 *p = at(b, b->l.madt);
	u32 pos = sizeof(struct acpi_madt), cpus = 0, ioapics = 0, overrides = 0, nmis = 0;
	struct acpi_madt m;

	memcpy(&m, p, sizeof(m));
	assert_int_equal(m.local_apic_address, 0xFEE00000);
	assert_int_equal(m.flags, ACPI_MADT_PCAT_COMPAT);
	while (pos < h.length) {
		u8 type = p[pos], len = p[pos + 1];

		assert_true(len >= 2 && pos + len <= h.length);
		if (type == ACPI_MADT_TYPE_LOCAL_APIC) {
			struct acpi_madt_local_apic a;

			memcpy(&a, p + pos, sizeof(a));
			assert_int_equal(len, 8);
			assert_int_equal(a.apic_id, cpus); /* in ID order, boot processor first */
			assert_int_equal(a.acpi_processor_uid, cpus);
			assert_int_equal(a.flags, ACPI_MADT_LAPIC_ENABLED);
			assert_true(cpus < 255);
			cpus++;
		} else if (type == ACPI_MADT_TYPE_LOCAL_X2APIC) {
			struct acpi_madt_local_x2apic a;

			memcpy(&a, p + pos, sizeof(a));
			assert_int_equal(len, 16);
			assert_int_equal(a.x2apic_id, cpus);
			assert_int_equal(a.acpi_processor_uid, cpus);
			assert_int_equal(a.flags, ACPI_MADT_LAPIC_ENABLED);
			assert_true(cpus >= 255);
			cpus++;
		} else if (type == ACPI_MADT_TYPE_IO_APIC) {
			struct acpi_madt_io_apic io;

			memcpy(&io, p + pos, sizeof(io));
			assert_int_equal(len, 12);
			assert_int_equal(io.io_apic_id, cfg->ioapic_id);
			assert_int_equal(io.io_apic_address, 0xFEC00000);
			assert_int_equal(io.global_system_interrupt_base, 0);
			ioapics++;
		} else if (type == ACPI_MADT_TYPE_INT_SRC_OVR) {
			struct acpi_madt_int_src_ovr o;

			memcpy(&o, p + pos, sizeof(o));
			assert_int_equal(len, 10);
			assert_int_equal(o.bus, 0);
			if (overrides == 0) { /* IRQ 0 -> GSI 2, edge, active high */
				assert_int_equal(o.source, 0);
				assert_int_equal(o.global_system_interrupt, 2);
				assert_int_equal(o.flags, 0x0005);
			} else { /* SCI: IRQ 9 -> GSI 9, level, active high */
				assert_int_equal(o.source, 9);
				assert_int_equal(o.global_system_interrupt, 9);
				assert_int_equal(o.flags, 0x000D);
			}
			overrides++;
		} else if (type == ACPI_MADT_TYPE_LOCAL_APIC_NMI) {
			assert_int_equal(len, 6);
			assert_int_equal(p[pos + 2], 0xFF); /* every processor */
			assert_int_equal(p[pos + 5], 1);    /* LINT1 */
			nmis++;
		} else {
			assert_int_equal(type, ACPI_MADT_TYPE_LOCAL_X2APIC_NMI);
			assert_int_equal(len, 12);
			assert_int_equal(get32(p + pos + 4), 0xFFFFFFFF);
			assert_int_equal(p[pos + 8], 1);
			assert_true(cfg->cpu_count > 255);
			nmis++;
		}
		pos += len;
	}
	assert_int_equal(pos, h.length);
	assert_int_equal(cpus, cfg->cpu_count);
	assert_int_equal(ioapics, cfg->ioapic ? 1 : 0);
	assert_int_equal(overrides, cfg->ioapic ? 2 : 0);
	assert_int_equal(nmis, cfg->cpu_count > 255 ? 2 : 1);
}

static void test_madt_cpus(void **state)
{
	const u32 counts[] = {1, 2, 64, 254, 255};
	const u32 lens[] = {MADT_FIXED + 8, MADT_FIXED + 16, MADT_FIXED + 512, MADT_FIXED + 2032,
			    MADT_FIXED + 2040};

	for (size_t i = 0; i < ARRAY_SIZE(counts); i++) {
		struct acpi_gen_config cfg = pc(counts[i]);
		struct built b = build(&cfg);

		assert_int_equal(cfg.ioapic_id, counts[i] < 255 ? counts[i] : 0);
		check_sdt(&b, b.l.madt, "APIC", lens[i], 6);
		check_madt(&b, &cfg);
		free(b.buf);
	}
}

/* From APIC ID 255 on, x2APIC structures and an x2APIC NMI structure. */
static void test_madt_x2apic(void **state)
{
	struct acpi_gen_config cfg = pc(300);
	struct built b = build(&cfg);

	check_sdt(&b, b.l.madt, "APIC", MADT_FIXED + 255 * 8 + 45 * 16 + 12, 6);
	check_madt(&b, &cfg);
	free(b.buf);

	cfg = pc(ACPI_GEN_MAX_CPUS);
	b = build(&cfg);
	check_madt(&b, &cfg);
	free(b.buf);
}

static void test_madt_no_ioapic(void **state)
{
	struct acpi_gen_config cfg = pc(2);
	struct built b;

	cfg.ioapic = false;
	b = build(&cfg);
	check_sdt(&b, b.l.madt, "APIC", 44 + 2 * 8 + 6, 6);
	check_madt(&b, &cfg);
	free(b.buf);
}

/* Every size short of the tables fails, says how much is needed and leaves buf alone. */
static void test_buffer_too_small(void **state)
{
	const u32 counts[] = {1, 2, 64};

	for (size_t i = 0; i < ARRAY_SIZE(counts); i++) {
		struct acpi_gen_config cfg = pc(counts[i]);
		struct built full = build_at(&cfg, GPA + 8); /* with 8 bytes of padding */

		for (size_t size = 0; size < full.l.size; size++) {
			u8 *buf = malloc(size ? size : 1);
			struct acpi_gen_layout l;

			memset(buf, FILL, size);
			assert_false(acpi_gen_build(&cfg, buf, size, GPA + 8, &l));
			assert_non_null(strstr(l.problem, "smaller"));
			assert_int_equal(l.size, full.l.size);
			for (size_t j = 0; j < size; j++)
				assert_int_equal(buf[j], FILL);
			free(buf);
		}
		free(full.buf);
	}
}

/* The RSDP moves up to a 16-byte boundary; the padding before it is zeroed. */
static void test_unaligned_gpa(void **state)
{
	struct acpi_gen_config cfg = pc(1);
	struct built b = build_at(&cfg, GPA + 1);

	assert_int_equal(b.l.rsdp, GPA + 16);
	for (size_t i = 0; i < 15; i++)
		assert_int_equal(b.buf[i], 0);
	assert_int_equal(acpi_rsdp_scan(b.buf + 15, b.l.size - 15), 0);
	assert_int_equal(b.l.facs % 64, 0);
	check_sdt(&b, b.l.fadt, "FACP", 276, 6);
	check_sdt(&b, b.l.madt, "APIC", PC1_MADT_LEN, 6);
	assert_int_equal(b.l.size, b.l.madt + PC1_MADT_LEN - (GPA + 1));
	round_trip(&b, true);
	free(b.buf);
}

/* Nothing outside the tables' bytes depends on what buf held before. */
static void test_deterministic(void **state)
{
	struct acpi_gen_config cfg = pc(3);
	struct built a = build(&cfg);
	u8 *zeroed = calloc(1, a.l.size);
	struct acpi_gen_layout l;

	assert_true(acpi_gen_build(&cfg, zeroed, a.l.size, GPA, &l));
	assert_memory_equal(a.buf, zeroed, a.l.size);
	free(zeroed);
	free(a.buf);
}

static void expect_bad(const struct acpi_gen_config *cfg, u64 gpa, const char *why)
{
	u8 buf[16] = {0};
	struct acpi_gen_layout l;

	assert_false(acpi_gen_build(cfg, buf, 0, gpa, &l));
	assert_non_null(l.problem);
	assert_non_null(strstr(l.problem, why));
}

static void test_bad_configs(void **state)
{
	struct acpi_gen_config good = pc(1), cfg;
	struct acpi_gen_layout l;
	u64 gpa;
	u8 *buf;

	cfg = good;
	cfg.cpu_count = 0;
	expect_bad(&cfg, GPA, "cpu_count");
	cfg = good;
	cfg.cpu_count = ACPI_GEN_MAX_CPUS + 1;
	expect_bad(&cfg, GPA, "cpu_count");
	cfg = good;
	cfg.pm1a_evt_port = 0;
	expect_bad(&cfg, GPA, "need a port");
	cfg = good;
	cfg.pm1a_cnt_port = 0;
	expect_bad(&cfg, GPA, "need a port");
	cfg = good;
	cfg.pm1a_cnt_port = 0x603; /* inside PM1a_EVT */
	expect_bad(&cfg, GPA, "overlap");
	cfg = good;
	cfg.pm_tmr_port = 0xCF6; /* 0xCF6-0xCF9 takes the reset register */
	expect_bad(&cfg, GPA, "overlap");
	cfg = good;
	cfg.pm_tmr_port = 0xFFFD;
	expect_bad(&cfg, GPA, "past port 0xFFFF");
	cfg = good;
	cfg.pm_tmr_port = 0xFFFC; /* the last 4 ports fit */
	assert_false(acpi_gen_build(&cfg, NULL, 0, GPA, &l));
	assert_non_null(strstr(l.problem, "smaller"));
	expect_bad(&good, 4 * GiB, "below 4 GiB");
	expect_bad(&good, ~0ULL, "below 4 GiB");
	expect_bad(&good, 4 * GiB - 16, "below 4 GiB");

	/* Just below 4 GiB is fine, 64 bytes higher is not. */
	assert_false(acpi_gen_build(&good, NULL, 0, 0, &l)); /* the size at a 64-byte boundary */
	gpa = ALIGN_DOWN(4 * GiB - l.size, 64);
	buf = malloc(l.size);
	assert_true(acpi_gen_build(&good, buf, l.size, gpa, &l));
	assert_true(l.madt + PC1_MADT_LEN <= 4 * GiB);
	assert_true(l.madt + PC1_MADT_LEN > 4 * GiB - 64);
	expect_bad(&good, gpa + 64, "below 4 GiB");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_checksums_and_lengths),
	    cmocka_unit_test(test_pointers),
	    cmocka_unit_test(test_fadt_fields),
	    cmocka_unit_test(test_fadt_pm_timer_choices),
	    cmocka_unit_test(test_dsdt_aml),
	    cmocka_unit_test(test_parser_round_trip),
	    cmocka_unit_test(test_legacy_scan),
	    cmocka_unit_test(test_madt_cpus),
	    cmocka_unit_test(test_madt_x2apic),
	    cmocka_unit_test(test_madt_no_ioapic),
	    cmocka_unit_test(test_buffer_too_small),
	    cmocka_unit_test(test_unaligned_gpa),
	    cmocka_unit_test(test_deterministic),
	    cmocka_unit_test(test_bad_configs),
	};

	return cmocka_run_group_tests_name("acpi_gen", tests, NULL, NULL);
}
