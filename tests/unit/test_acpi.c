/*
 * Host tests for arch/x86/acpi_tables.c. Tables are built byte by byte in a
 * fake physical memory (an exact-size buffer, so ASan sees any read past
 * it); AML snippets are copied to exact-size heap buffers for the same
 * reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/acpi_tables.h"

#define PHYS_BASE 0x10000
#define PHYS_SIZE 0x4000
#define RSDT_PA	  0x10000
#define XSDT_PA	  0x10100
#define FADT_PA	  0x10200
#define DSDT_PA	  0x10400
#define SSDT_PA	  0x10800
#define SSDT2_PA  0x10A00
#define APIC_PA	  0x10C00
#define FADT_LEN  276 /* FADT revision 6 */

static u8 phys[PHYS_SIZE];
static char err[ACPI_ERR_LEN];

static const void *fake_map(void *ctx, u64 pa, u64 len)
{
	if (pa < PHYS_BASE || len > PHYS_SIZE || pa - PHYS_BASE > PHYS_SIZE - len)
		return NULL;
	return phys + (pa - PHYS_BASE);
}

static const struct acpi_mem mem = {.map = fake_map, .ctx = NULL};

static u8 *at(u64 pa)
{
	return phys + (pa - PHYS_BASE);
}

static void put32(u8 *p, u32 v)
{
	memcpy(p, &v, 4);
}

static void put64(u8 *p, u64 v)
{
	memcpy(p, &v, 8);
}

/* Sets a table's checksum byte so that its bytes sum to 0. */
static void seal(u64 pa)
{
	struct acpi_sdt_header *h = (struct acpi_sdt_header *)at(pa);

	h->checksum = 0;
	h->checksum = (u8)(0 - acpi_checksum(h, h->length));
}

static void put_table(u64 pa, const char *sig, u32 len, u8 rev, const void *body)
{
	struct acpi_sdt_header *h = (struct acpi_sdt_header *)at(pa);

	memset(h, 0, len);
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, "KEELT ", 6);
	if (body)
		memcpy(at(pa) + sizeof(*h), body, len - sizeof(*h));
	seal(pa);
}

static void put_root(bool xsdt, const u64 *entries, unsigned n)
{
	u64 pa = xsdt ? XSDT_PA : RSDT_PA;
	size_t esize = xsdt ? 8 : 4;

	put_table(pa, xsdt ? "XSDT" : "RSDT", 36 + n * esize, 1, NULL);
	for (unsigned i = 0; i < n; i++) {
		if (xsdt)
			put64(at(pa) + 36 + i * 8, entries[i]);
		else
			put32(at(pa) + 36 + i * 4, (u32)entries[i]);
	}
	seal(pa);
}

static void put_gas(u8 *p, u8 space, u8 width, u64 addr)
{
	struct acpi_gas g = {.space_id = space, .bit_width = width, .address = addr};

	memcpy(p, &g, sizeof(g));
}

/* A revision 6 FADT like a PIIX4 machine's: PM1a_CNT at 0x604, reset by 0xCF9. */
static void put_fadt(u32 len)
{
	u8 buf[FADT_LEN] = {0};
	struct acpi_fadt f = {0};

	f.dsdt = DSDT_PA;
	f.smi_cmd = 0xB2;
	f.acpi_enable = 0xF1;
	f.pm1a_cnt_blk = 0x604;
	f.pm1_cnt_len = 2;
	f.flags = ACPI_FADT_RESET_REG_SUP;
	f.reset_value = 0x06;
	memcpy(buf, &f, sizeof(f));
	put_gas(buf + offsetof(struct acpi_fadt, reset_reg), ACPI_GAS_SYSTEM_IO, 8, 0xCF9);
	put_table(FADT_PA, "FACP", len, 6, buf + 36);
}

static void put_dsdt(u64 pa, const char *sig, const u8 *aml, size_t n)
{
	put_table(pa, sig, (u32)(36 + n), 2, aml);
}

static const u8 qemu_s5[] = {0x10, 0x05, '_', 'S', 'B', '_',  0x5B, /* some AML */
			     0x08, '_',	 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00};

/* The standard machine: XSDT and RSDT list APIC, FACP, SSDT; DSDT has \_S5_. */
static void put_machine(void)
{
	const u64 entries[] = {APIC_PA, FADT_PA, SSDT_PA};

	memset(phys, 0, sizeof(phys));
	put_table(APIC_PA, "APIC", 44, 4, NULL);
	put_fadt(FADT_LEN);
	put_dsdt(DSDT_PA, "DSDT", qemu_s5, sizeof(qemu_s5));
	put_dsdt(SSDT_PA, "SSDT", (const u8 *)"\x00\x00\x00\x00", 4);
	put_root(false, entries, 3);
	put_root(true, entries, 3);
}

/* An RSDP of revision rev in buf (36 bytes), both checksums right. */
static void make_rsdp(u8 *buf, u8 rev, u32 rsdt, u64 xsdt)
{
	struct acpi_rsdp r = {0};

	memcpy(r.signature, ACPI_RSDP_SIGNATURE, 8);
	memcpy(r.oem_id, "KEELT ", 6);
	r.revision = rev;
	r.rsdt_address = rsdt;
	r.length = sizeof(r);
	r.xsdt_address = xsdt;
	r.checksum = (u8)(0 - acpi_checksum(&r, ACPI_RSDP_V1_LEN));
	r.extended_checksum = (u8)(0 - acpi_checksum(&r, sizeof(r)));
	memcpy(buf, &r, sizeof(r));
}

/* Parses len bytes of an RSDP from an exact-size heap copy. */
static bool rsdp_parse(const u8 *src, size_t len, struct acpi_root *root)
{
	u8 *copy = malloc(len ? len : 1);
	bool ok;

	memcpy(copy, src, len);
	ok = acpi_rsdp_parse(copy, len, root, err, sizeof(err));
	free(copy);
	return ok;
}

static void test_checksum(void **state)
{
	const u8 b[] = {0x10, 0xF0, 0x01, 0xFF};

	assert_int_equal(acpi_checksum(b, 0), 0);
	assert_int_equal(acpi_checksum(b, 2), 0);
	assert_int_equal(acpi_checksum(b, 4), 0);
	assert_int_equal(acpi_checksum(b, 3), 1);
}

static void test_rsdp_v1_v2(void **state)
{
	u8 r[36];
	struct acpi_root root;

	make_rsdp(r, 0, RSDT_PA, 0);
	assert_true(rsdp_parse(r, 20, &root));
	assert_false(root.xsdt);
	assert_int_equal(root.table_pa, RSDT_PA);
	assert_int_equal(root.revision, 0);

	make_rsdp(r, 2, RSDT_PA, XSDT_PA);
	assert_true(rsdp_parse(r, 36, &root));
	assert_true(root.xsdt);
	assert_int_equal(root.table_pa, XSDT_PA);

	make_rsdp(r, 2, RSDT_PA, 0); /* revision 2 without an XSDT: the RSDT */
	assert_true(rsdp_parse(r, 36, &root));
	assert_false(root.xsdt);
	assert_int_equal(root.table_pa, RSDT_PA);
}

static void test_rsdp_bad(void **state)
{
	u8 r[36];
	struct acpi_root root;

	make_rsdp(r, 2, RSDT_PA, XSDT_PA);
	assert_false(rsdp_parse(r, 19, &root));
	assert_non_null(strstr(err, "less than 20"));
	assert_false(rsdp_parse(r, 20, &root)); /* a revision 2 RSDP cut to 20 bytes */
	assert_non_null(strstr(err, "revision 2 but only 20 bytes"));

	r[0] = 'X';
	assert_false(rsdp_parse(r, 36, &root));
	assert_non_null(strstr(err, "signature"));

	make_rsdp(r, 2, RSDT_PA, XSDT_PA);
	r[8] ^= 1;
	assert_false(rsdp_parse(r, 36, &root));
	assert_non_null(strstr(err, "RSDP checksum is off"));

	make_rsdp(r, 2, RSDT_PA, XSDT_PA);
	r[35] ^= 1; /* a reserved byte: only the extended checksum covers it */
	assert_false(rsdp_parse(r, 36, &root));
	assert_non_null(strstr(err, "extended checksum"));

	make_rsdp(r, 2, RSDT_PA, XSDT_PA);
	put32(r + 20, 200); /* length past what the tag holds; checksums fixed up */
	r[8] = 0, r[8] = (u8)(0 - acpi_checksum(r, 20));
	assert_false(rsdp_parse(r, 36, &root));
	assert_non_null(strstr(err, "length 200"));

	make_rsdp(r, 0, 0, 0);
	assert_false(rsdp_parse(r, 20, &root));
	assert_non_null(strstr(err, "no RSDT or XSDT"));
}

static void test_rsdp_scan(void **state)
{
	const size_t len = 0x400;
	u8 *area = calloc(1, len);
	u8 r[36];

	assert_int_equal(acpi_rsdp_scan(area, len), len);
	make_rsdp(r, 2, RSDT_PA, XSDT_PA);
	memcpy(area + 0x100, r, 36);
	area[0x108] ^= 1;		/* a decoy with a bad checksum */
	memcpy(area + 0x208, r, 36);	/* valid but not on a 16-byte boundary */
	memcpy(area + len - 16, r, 16); /* signature in the last 16 bytes: too short */
	assert_int_equal(acpi_rsdp_scan(area, len), len);
	memcpy(area + 0x300, r, 36);
	assert_int_equal(acpi_rsdp_scan(area, len), 0x300);
	free(area);
}

static void test_find_tables(void **state)
{
	struct acpi_root rsdt = {.xsdt = false, .table_pa = RSDT_PA};
	struct acpi_root xsdt = {.xsdt = true, .table_pa = XSDT_PA};
	const struct acpi_sdt_header *h;

	put_machine();
	h = acpi_table_find(&mem, &rsdt, "FACP", 0, err, sizeof(err));
	assert_ptr_equal(h, at(FADT_PA));
	h = acpi_table_find(&mem, &xsdt, "FACP", 0, err, sizeof(err));
	assert_ptr_equal(h, at(FADT_PA));
	assert_ptr_equal(acpi_table_find(&mem, &xsdt, "SSDT", 0, err, sizeof(err)), at(SSDT_PA));
	assert_null(acpi_table_find(&mem, &xsdt, "SSDT", 1, err, sizeof(err)));
	assert_non_null(strstr(err, "no SSDT table in the XSDT (3 entries, 0 not mapped)"));
	assert_null(acpi_table_find(&mem, &xsdt, "HPET", 0, err, sizeof(err)));
}

static void test_find_nth_and_unmapped(void **state)
{
	const u64 entries[] = {0xFFFFFFFF00000000ULL, SSDT_PA, FADT_PA, SSDT2_PA};
	struct acpi_root xsdt = {.xsdt = true, .table_pa = XSDT_PA};

	put_machine();
	put_dsdt(SSDT2_PA, "SSDT", qemu_s5, sizeof(qemu_s5));
	put_root(true, entries, 4);
	assert_ptr_equal(acpi_table_find(&mem, &xsdt, "SSDT", 1, err, sizeof(err)), at(SSDT2_PA));
	assert_null(acpi_table_find(&mem, &xsdt, "MCFG", 0, err, sizeof(err)));
	assert_non_null(strstr(err, "(4 entries, 1 not mapped)"));
}

static void test_bad_tables(void **state)
{
	struct acpi_root xsdt = {.xsdt = true, .table_pa = XSDT_PA};
	struct acpi_sdt_header *f = (struct acpi_sdt_header *)at(FADT_PA);

	put_machine();
	at(FADT_PA)[100] ^= 0x55; /* corrupt the FADT: its checksum no longer holds */
	assert_null(acpi_table_find(&mem, &xsdt, "FACP", 0, err, sizeof(err)));
	assert_non_null(strstr(err, "FACP at 0x10200: checksum is off"));

	put_machine();
	f->length = 20;
	assert_null(acpi_table_get(&mem, FADT_PA, "FACP", err, sizeof(err)));
	assert_non_null(strstr(err, "length 20 is outside"));
	f->length = 0x7FFFFFFF;
	assert_null(acpi_table_get(&mem, FADT_PA, "FACP", err, sizeof(err)));
	assert_non_null(strstr(err, "length 2147483647 is outside"));
	f->length = PHYS_SIZE; /* runs past the end of mapped memory */
	assert_null(acpi_table_get(&mem, FADT_PA, "FACP", err, sizeof(err)));
	assert_non_null(strstr(err, "is not mapped"));
	assert_null(acpi_table_get(&mem, 0x100, NULL, err, sizeof(err)));
	assert_string_equal(err, "table at 0x100 is not mapped");

	put_machine();
	assert_null(acpi_table_get(&mem, APIC_PA, "FACP", err, sizeof(err)));
	assert_string_equal(err, "table at 0x10c00 is 'APIC', not 'FACP'");
	xsdt.table_pa = RSDT_PA; /* an RSDT where the XSDT should be */
	assert_null(acpi_table_find(&mem, &xsdt, "FACP", 0, err, sizeof(err)));
	assert_non_null(strstr(err, "'RSDT', not 'XSDT'"));

	put_table(XSDT_PA, "XSDT", 36 + 12, 1, NULL); /* one and a half entries */
	xsdt.table_pa = XSDT_PA;
	assert_null(acpi_table_find(&mem, &xsdt, "FACP", 0, err, sizeof(err)));
	assert_non_null(strstr(err, "partial entry"));
}

static void test_fadt_full(void **state)
{
	struct acpi_fadt_info fi;
	u8 *f = at(FADT_PA);

	put_machine();
	put64(f + offsetof(struct acpi_fadt, x_dsdt), SSDT_PA); /* X_DSDT wins over DSDT */
	put_gas(f + offsetof(struct acpi_fadt, x_pm1a_cnt_blk), ACPI_GAS_SYSTEM_IO, 16, 0xB004);
	put_gas(f + offsetof(struct acpi_fadt, x_pm1b_cnt_blk), ACPI_GAS_SYSTEM_IO, 16, 0xB008);
	seal(FADT_PA);
	assert_true(acpi_fadt_parse((void *)f, &fi, err, sizeof(err)));
	assert_int_equal(fi.revision, 6);
	assert_int_equal(fi.dsdt_pa, SSDT_PA);
	assert_null(fi.s5_problem);
	assert_int_equal(fi.pm1a_cnt, 0xB004);
	assert_int_equal(fi.pm1b_cnt, 0xB008);
	assert_int_equal(fi.smi_cmd, 0xB2);
	assert_int_equal(fi.acpi_enable, 0xF1);
	assert_null(fi.reset_problem);
	assert_int_equal(fi.reset_reg.space_id, ACPI_GAS_SYSTEM_IO);
	assert_int_equal(fi.reset_reg.address, 0xCF9);
	assert_int_equal(fi.reset_value, 6);
}

static void test_fadt_rev1(void **state)
{
	struct acpi_fadt_info fi;

	put_machine();
	put_fadt(116);
	assert_true(acpi_fadt_parse((void *)at(FADT_PA), &fi, err, sizeof(err)));
	assert_int_equal(fi.dsdt_pa, DSDT_PA);
	assert_null(fi.s5_problem);
	assert_int_equal(fi.pm1a_cnt, 0x604);
	assert_int_equal(fi.pm1b_cnt, 0);
	assert_string_equal(fi.reset_problem, "the FADT is too old to have RESET_REG");

	put_fadt(100);
	assert_false(acpi_fadt_parse((void *)at(FADT_PA), &fi, err, sizeof(err)));
	assert_string_equal(err, "FADT is 100 bytes, less than the 116 of revision 1");
}

static void test_fadt_problems(void **state)
{
	struct acpi_fadt_info fi;
	u8 *f = at(FADT_PA);

	put_machine();
	put_gas(f + offsetof(struct acpi_fadt, x_pm1a_cnt_blk), ACPI_GAS_SYSTEM_MEMORY, 16,
		0xFED00000);
	seal(FADT_PA);
	assert_true(acpi_fadt_parse((void *)f, &fi, err, sizeof(err)));
	assert_string_equal(fi.s5_problem, "X_PM1_CNT_BLK is not in system I/O space");
	assert_int_equal(fi.pm1a_cnt, 0);

	put_machine();
	f[offsetof(struct acpi_fadt, pm1_cnt_len)] = 1;
	put32(f + offsetof(struct acpi_fadt, flags), 0);
	seal(FADT_PA);
	assert_true(acpi_fadt_parse((void *)f, &fi, err, sizeof(err)));
	assert_string_equal(fi.s5_problem, "PM1_CNT_LEN is less than 2");
	assert_string_equal(fi.reset_problem, "the FADT does not set RESET_REG_SUP");

	put_machine();
	put32(f + offsetof(struct acpi_fadt, pm1a_cnt_blk), 0);
	put32(f + offsetof(struct acpi_fadt, flags),
	      ACPI_FADT_HW_REDUCED_ACPI | ACPI_FADT_RESET_REG_SUP);
	put_gas(f + offsetof(struct acpi_fadt, reset_reg), ACPI_GAS_SYSTEM_IO, 16, 0xCF9);
	seal(FADT_PA);
	assert_true(acpi_fadt_parse((void *)f, &fi, err, sizeof(err)));
	assert_true(fi.hw_reduced);
	assert_string_equal(fi.s5_problem, "hardware-reduced ACPI (no PM1 control block)");
	assert_string_equal(fi.reset_problem, "RESET_REG is not an 8-bit register at bit 0");

	put_machine();
	put32(f + offsetof(struct acpi_fadt, pm1a_cnt_blk), 0x10000); /* not a port */
	put32(f + offsetof(struct acpi_fadt, dsdt), 0);
	seal(FADT_PA);
	assert_false(acpi_fadt_parse((void *)f, &fi, err, sizeof(err)));
	assert_string_equal(err, "the FADT gives no DSDT address");
	assert_string_equal(fi.s5_problem, "PM1_CNT_BLK is not an I/O port");
}

/* Runs acpi_aml_find_s5 over an exact-size heap copy of aml. */
static bool s5(const u8 *aml, size_t n, struct acpi_s5 *out)
{
	u8 *copy = malloc(n ? n : 1);
	bool ok;

	if (n)
		memcpy(copy, aml, n);
	ok = acpi_aml_find_s5(copy, n, out, err, sizeof(err));
	free(copy);
	return ok;
}

#define S5(out, ...)                                                                               \
	({                                                                                         \
		const u8 aml_[] = {__VA_ARGS__};                                                   \
		s5(aml_, sizeof(aml_), out);                                                       \
	})

static void test_s5_encodings(void **state)
{
	struct acpi_s5 v = {9, 9};

	assert_true(s5(qemu_s5, sizeof(qemu_s5), &v)); /* ZeroOp elements */
	assert_int_equal(v.slp_typa, 0);
	assert_int_equal(v.slp_typb, 0);
	/* \_S5_ with BytePrefix values, after a decoy reference Store(_S5_, Local0). */
	assert_true(S5(&v, 0x70, '_', 'S', '5', '_', 0x60, 0x08, '\\', '_', 'S', '5', '_', 0x12,
		       0x08, 0x04, 0x0A, 0x07, 0x0A, 0x05, 0x00, 0x00));
	assert_int_equal(v.slp_typa, 7);
	assert_int_equal(v.slp_typb, 5);
	/* WordPrefix and OneOp, a package of exactly two elements, at the very end. */
	assert_true(S5(&v, 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0B, 0x03, 0x00, 0x01));
	assert_int_equal(v.slp_typa, 3);
	assert_int_equal(v.slp_typb, 1);
	/* DWordPrefix and QWordPrefix. */
	assert_true(S5(&v, 0x08, '_', 'S', '5', '_', 0x12, 0x10, 0x02, 0x0C, 0x06, 0, 0, 0, 0x0E,
		       0x02, 0, 0, 0, 0, 0, 0, 0));
	assert_int_equal(v.slp_typa, 6);
	assert_int_equal(v.slp_typb, 2);
}

static void test_s5_long_pkglength(void **state)
{
	/* A package of 2 + 30 elements: PkgLength 0x43 needs the two-byte form. */
	u8 aml[6 + 2 + 1 + 4 + 60];
	struct acpi_s5 v;
	size_t n = 0;

	memcpy(aml, "\x08_S5_\x12", 6);
	n = 6;
	aml[n++] = 0x40 | (0x43 & 0x0F); /* one byte follows; low nibble */
	aml[n++] = 0x43 >> 4;
	aml[n++] = 32;
	memcpy(aml + n, "\x0A\x04\x0A\x03", 4);
	n += 4;
	for (int i = 0; i < 30; i++, n += 2)
		memcpy(aml + n, "\x0A\x00", 2);
	assert_int_equal(n, sizeof(aml));
	assert_int_equal(n - 5, 1 + 0x43); /* PkgLength counts from its own first byte */
	assert_true(s5(aml, n, &v));
	assert_int_equal(v.slp_typa, 4);
	assert_int_equal(v.slp_typb, 3);
	assert_false(s5(aml, n - 1, &v)); /* one byte short */
	assert_non_null(strstr(err, "package length 67 does not fit"));
}

static void test_s5_malformed(void **state)
{
	struct acpi_s5 v;

	assert_false(s5(NULL, 0, &v));
	assert_string_equal(err, "no Name(\\_S5_, ...) in the AML");
	assert_false(S5(&v, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0, 0, 0, 0)); /* no NameOp */
	assert_false(S5(&v, 0x08, '_', 'S', '5'));
	assert_false(S5(&v, 0x08, '_', 'S', '5', '_'));
	assert_string_equal(err, "\\_S5_ is not a Package");
	assert_false(S5(&v, 0x08, '_', 'S', '5', '_', 0x0A, 0x05));
	assert_string_equal(err, "\\_S5_ is not a Package");
	assert_false(S5(&v, 0x08, '_', 'S', '5', '_', 0x12));
	assert_string_equal(err, "\\_S5_ package length is cut off");
	assert_false(S5(&v, 0x08, '_', 'S', '5', '_', 0x12, 0x81)); /* 2-byte PkgLength, cut */
	assert_string_equal(err, "\\_S5_ package length is cut off");
	assert_false(S5(&v, 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0, 0));
	assert_string_equal(err, "\\_S5_ package length 6 does not fit the table");
	assert_false(S5(&v, 0x08, '_', 'S', '5', '_', 0x12, 0x01, 0x02));
	assert_string_equal(err, "\\_S5_ package length 1 does not fit the table");
	assert_false(S5(&v, 0x08, '_', 'S', '5', '_', 0x12, 0x03, 0x01, 0x00));
	assert_string_equal(err, "\\_S5_ package has fewer than 2 elements");
	assert_false(S5(&v, 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0D, 'a', 0x00));
	assert_string_equal(err, "\\_S5_ element 0 is not an integer");
	/* BytePrefix whose byte is outside the package (though inside the table). */
	assert_false(S5(&v, 0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x00, 0x0A, 0x05));
	assert_string_equal(err, "\\_S5_ element 1 is not an integer");
	assert_false(S5(&v, 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0A, 0x08, 0x00));
	assert_string_equal(err, "\\_S5_ SLP_TYPa 0x8 is wider than 3 bits");
	assert_false(S5(&v, 0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x00, 0xFF));
	assert_string_equal(err, "\\_S5_ SLP_TYPb 0xffffffffffffffff is wider than 3 bits");
}

/* The whole path the kernel glue takes: RSDP, XSDT, FADT, DSDT, \_S5_. */
static void test_end_to_end(void **state)
{
	const struct acpi_sdt_header *fadt, *dsdt;
	struct acpi_fadt_info fi;
	struct acpi_root root;
	struct acpi_s5 v = {9, 9};
	u8 r[36];

	put_machine();
	make_rsdp(r, 2, RSDT_PA, XSDT_PA);
	assert_true(rsdp_parse(r, sizeof(r), &root));
	fadt = acpi_table_find(&mem, &root, "FACP", 0, err, sizeof(err));
	assert_non_null(fadt);
	assert_true(acpi_fadt_parse(fadt, &fi, err, sizeof(err)));
	dsdt = acpi_table_get(&mem, fi.dsdt_pa, "DSDT", err, sizeof(err));
	assert_non_null(dsdt);
	assert_true(
	    acpi_aml_find_s5((const u8 *)dsdt + 36, dsdt->length - 36, &v, err, sizeof(err)));
	assert_int_equal(v.slp_typa, 0);
	assert_int_equal(fi.pm1a_cnt, 0x604);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_checksum),	 cmocka_unit_test(test_rsdp_v1_v2),
	    cmocka_unit_test(test_rsdp_bad),	 cmocka_unit_test(test_rsdp_scan),
	    cmocka_unit_test(test_find_tables),	 cmocka_unit_test(test_find_nth_and_unmapped),
	    cmocka_unit_test(test_bad_tables),	 cmocka_unit_test(test_fadt_full),
	    cmocka_unit_test(test_fadt_rev1),	 cmocka_unit_test(test_fadt_problems),
	    cmocka_unit_test(test_s5_encodings), cmocka_unit_test(test_s5_long_pkglength),
	    cmocka_unit_test(test_s5_malformed), cmocka_unit_test(test_end_to_end),
	};

	return cmocka_run_group_tests_name("acpi", tests, NULL, NULL);
}
