/*
 * Host tests for arch/x86/madt_cpus.c. MADTs are assembled by a small
 * builder, then copied to an exact-size heap buffer before each parse, so
 * ASan sees any read past the table. Keel's own guest MADT
 * (dev/acpi_gen.c) is parsed too, as a second writer of the format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/acpi_madt.h"
#include "arch/x86/madt_cpus.h"
#include "dev/acpi_gen.h"

#define LAPIC_BASE 0xFEE00000U
#define EN	   ACPI_MADT_LAPIC_ENABLED
#define OC	   ACPI_MADT_LAPIC_ONLINE_CAPABLE
#define TABLE_MAX  4096

struct madt_builder {
	u8 b[TABLE_MAX];
	size_t len;
};

static struct madt_builder mb;
static struct madt_cpus cpus;
static char err[ACPI_ERR_LEN];

static void add(const void *s, size_t n)
{
	assert_true(mb.len + n <= sizeof(mb.b));
	memcpy(mb.b + mb.len, s, n);
	mb.len += n;
}

/* An empty MADT: the header, the local APIC address, PCAT_COMPAT. */
static void begin(void)
{
	struct acpi_madt m = {.local_apic_address = LAPIC_BASE, .flags = ACPI_MADT_PCAT_COMPAT};

	memcpy(m.header.signature, ACPI_MADT_SIGNATURE, 4);
	m.header.revision = ACPI_MADT_REVISION;
	memcpy(m.header.oem_id, "KEELT ", 6);
	memset(&mb, 0, sizeof(mb));
	add(&m, sizeof(m));
}

static void lapic(u8 uid, u8 id, u32 flags)
{
	struct acpi_madt_local_apic s = {ACPI_MADT_TYPE_LOCAL_APIC, sizeof(s), uid, id, flags};

	add(&s, sizeof(s));
}

static void x2apic(u32 id, u32 uid, u32 flags)
{
	struct acpi_madt_local_x2apic s = {.type = ACPI_MADT_TYPE_LOCAL_X2APIC,
					   .length = sizeof(s),
					   .x2apic_id = id,
					   .flags = flags,
					   .acpi_processor_uid = uid};

	add(&s, sizeof(s));
}

static void lapic_ovr(u64 address)
{
	struct acpi_madt_local_apic_ovr s = {.type = ACPI_MADT_TYPE_LOCAL_APIC_OVR,
					     .length = sizeof(s),
					     .local_apic_address = address};

	add(&s, sizeof(s));
}

/* The I/O APIC, the PIT's and the SCI's overrides and LINT1 NMI, as Bochs and QEMU give. */
static void pc_extras(void)
{
	struct acpi_madt_io_apic io = {ACPI_MADT_TYPE_IO_APIC, sizeof(io), 4, 0, 0xFEC00000, 0};
	struct acpi_madt_int_src_ovr pit = {ACPI_MADT_TYPE_INT_SRC_OVR, sizeof(pit), 0, 0, 2, 0};
	struct acpi_madt_int_src_ovr sci = {ACPI_MADT_TYPE_INT_SRC_OVR, sizeof(sci), 0, 9, 9, 0xD};
	struct acpi_madt_local_apic_nmi nmi = {ACPI_MADT_TYPE_LOCAL_APIC_NMI, sizeof(nmi), 0xFF, 0,
					       1};

	add(&io, sizeof(io));
	add(&pit, sizeof(pit));
	add(&sci, sizeof(sci));
	add(&nmi, sizeof(nmi));
}

/* Sets the length to `length` and the checksum so that those bytes sum to 0. */
static void seal_as(size_t length)
{
	struct acpi_sdt_header h;

	memcpy(&h, mb.b, sizeof(h));
	h.length = (u32)length;
	h.checksum = 0;
	memcpy(mb.b, &h, sizeof(h));
	h.checksum = (u8)(0 - acpi_checksum(mb.b, length));
	memcpy(mb.b, &h, sizeof(h));
}

static void seal(void)
{
	seal_as(mb.len);
}

/* Parses the first len bytes of the builder from an exact-size copy. */
static int parse_len(size_t len)
{
	u8 *copy = malloc(len ? len : 1);
	int r;

	memcpy(copy, mb.b, len);
	memset(err, 'Z', sizeof(err));
	r = madt_cpus_parse(copy, len, &cpus, err, sizeof(err));
	assert_memory_equal(copy, mb.b, len); /* never writes the table */
	if (r == 0)
		assert_int_equal(err[0], 0); /* a caller may print it either way */
	free(copy);
	return r;
}

static int parse(void)
{
	return parse_len(mb.len);
}

static void assert_cpu(unsigned i, u32 apic_id, u32 uid, bool x2)
{
	assert_true(i < cpus.count);
	assert_int_equal(cpus.cpu[i].apic_id, apic_id);
	assert_int_equal(cpus.cpu[i].acpi_uid, uid);
	assert_int_equal(cpus.cpu[i].x2apic_entry, x2);
}

static void assert_skips(unsigned disabled, unsigned duplicate, unsigned over, unsigned invalid)
{
	assert_int_equal(cpus.skipped_disabled, disabled);
	assert_int_equal(cpus.skipped_duplicate, duplicate);
	assert_int_equal(cpus.skipped_over_max, over);
	assert_int_equal(cpus.skipped_invalid, invalid);
}

/* A failed parse leaves *out all zero and one line in err containing `what`. */
static void assert_fails(int r, const char *what)
{
	static const struct madt_cpus zero;

	assert_int_equal(r, -1);
	assert_memory_equal(&cpus, &zero, sizeof(zero));
	if (!strstr(err, what))
		print_error("err \"%s\" lacks \"%s\"\n", err, what);
	assert_non_null(strstr(err, what));
	assert_null(strchr(err, '\n'));
}

/* Bochs with 4 processors: UIDs and IDs 0..3, then the I/O APIC and friends. */
static void bochs4(void)
{
	begin();
	for (u8 i = 0; i < 4; i++)
		lapic(i, i, EN);
	pc_extras();
	seal();
}

static void test_bochs_four(void **state)
{
	bochs4();
	assert_int_equal(parse(), 0);
	assert_int_equal(cpus.lapic_base, LAPIC_BASE);
	assert_int_equal(cpus.count, 4);
	for (unsigned i = 0; i < 4; i++)
		assert_cpu(i, i, i, false);
	assert_skips(0, 0, 0, 0);
}

static void test_bochs_one_no_extras(void **state)
{
	begin();
	lapic(0, 0, EN);
	seal();
	assert_int_equal(parse(), 0);
	assert_int_equal(cpus.count, 1);
	assert_cpu(0, 0, 0, false);

	begin(); /* no structures at all: valid, and no processor */
	seal();
	assert_int_equal(parse(), 0);
	assert_int_equal(cpus.count, 0);
	assert_int_equal(cpus.lapic_base, LAPIC_BASE);
}

/* Table order is kept: the first entry need not be APIC ID 0. */
static void test_table_order(void **state)
{
	const u32 base = 0xFED01000; /* not the default: read from the header */

	begin();
	memcpy(mb.b + offsetof(struct acpi_madt, local_apic_address), &base, sizeof(base));
	lapic(7, 6, EN);
	lapic(1, 0, EN);
	lapic(3, 2, EN);
	seal();
	assert_int_equal(parse(), 0);
	assert_int_equal(cpus.lapic_base, base);
	assert_int_equal(cpus.count, 3);
	assert_cpu(0, 6, 7, false);
	assert_cpu(1, 0, 1, false);
	assert_cpu(2, 2, 3, false);
}

static void test_x2apic(void **state)
{
	begin();
	lapic(0, 0, EN);
	x2apic(0x100, 0x1000, EN);
	x2apic(0x12345678, 0xFFFFFFFE, EN);
	lapic(1, 1, EN);
	x2apic(0xFFFFFFFE, 7, EN);
	seal();
	assert_int_equal(parse(), 0);
	assert_int_equal(cpus.count, 5);
	assert_cpu(0, 0, 0, false);
	assert_cpu(1, 0x100, 0x1000, true);
	assert_cpu(2, 0x12345678, 0xFFFFFFFE, true);
	assert_cpu(3, 1, 1, false);
	assert_cpu(4, 0xFFFFFFFE, 7, true);
	assert_skips(0, 0, 0, 0);
}

/* The broadcast IDs, 0xFF (xAPIC) and 0xFFFFFFFF (x2APIC), name no processor. */
static void test_broadcast_ids(void **state)
{
	begin();
	x2apic(0xFFFFFFFF, 1, EN);
	lapic(2, 0xFF, EN);
	x2apic(0xFF, 3, EN); /* 0xFF is an ordinary x2APIC ID */
	x2apic(0xFFFFFFFF, 4, 0);
	seal();
	assert_int_equal(parse(), 0);
	assert_int_equal(cpus.count, 1);
	assert_cpu(0, 0xFF, 3, true);
	assert_skips(1, 0, 0, 2);
}

/* The same ID twice, from either structure type: the first is kept. */
static void test_duplicates(void **state)
{
	begin();
	lapic(0, 0, EN);
	lapic(1, 1, EN);
	x2apic(1, 11, EN);
	lapic(2, 0, EN);
	x2apic(0x300, 3, EN);
	x2apic(0x300, 4, EN);
	lapic(5, 5, EN);
	seal();
	assert_int_equal(parse(), 0);
	assert_int_equal(cpus.count, 4);
	assert_cpu(0, 0, 0, false);
	assert_cpu(1, 1, 1, false);
	assert_cpu(2, 0x300, 3, true);
	assert_cpu(3, 5, 5, false);
	assert_skips(0, 3, 0, 0);

	begin(); /* an x2APIC entry first, then its ID from a local APIC entry */
	x2apic(9, 90, EN);
	lapic(91, 9, EN);
	seal();
	assert_int_equal(parse(), 0);
	assert_int_equal(cpus.count, 1);
	assert_cpu(0, 9, 90, true);
	assert_skips(0, 1, 0, 0);
}

static void test_disabled_and_online_capable(void **state)
{
	begin();
	lapic(0, 0, EN);
	lapic(1, 1, 0);	      /* absent */
	lapic(2, 2, OC);      /* hot-pluggable: not started at boot */
	x2apic(0x400, 3, OC); /* the same for an x2APIC */
	lapic(4, 4, EN | OC); /* Enabled wins */
	x2apic(0x500, 5, 0xFFFFFFFC);
	lapic(6, 1, EN); /* a disabled entry's ID does not make this a duplicate */
	seal();
	assert_int_equal(parse(), 0);
	assert_int_equal(cpus.count, 3);
	assert_cpu(0, 0, 0, false);
	assert_cpu(1, 4, 4, false);
	assert_cpu(2, 1, 6, false);
	assert_skips(4, 0, 0, 0);
}

static void test_address_override(void **state)
{
	begin();
	lapic(0, 0, EN);
	lapic_ovr(0x0000000123456000ULL);
	lapic(1, 1, EN);
	seal();
	assert_int_equal(parse(), 0);
	assert_int_equal(cpus.lapic_base, 0x0000000123456000ULL);
	assert_int_equal(cpus.count, 2);
	assert_skips(0, 0, 0, 0);

	/* Only one may be defined: the first counts, a second is invalid. */
	begin();
	lapic_ovr(0xFEE00000000ULL);
	lapic_ovr(0xBAD000ULL);
	seal();
	assert_int_equal(parse(), 0);
	assert_int_equal(cpus.lapic_base, 0xFEE00000000ULL);
	assert_skips(0, 0, 0, 1);
}

/* Shorter than their fixed part: skipped as invalid. Longer: read. */
static void test_short_and_long_structures(void **state)
{
	const u8 short_lapic[7] = {ACPI_MADT_TYPE_LOCAL_APIC, 7, 1, 1, EN, 0, 0};
	const u8 short_x2apic[15] = {ACPI_MADT_TYPE_LOCAL_X2APIC, 15, 0, 0, 2, 0, 0, 0, EN};
	const u8 short_ovr[11] = {ACPI_MADT_TYPE_LOCAL_APIC_OVR, 11, 0, 0, 0, 0x10};
	const u8 long_lapic[10] = {ACPI_MADT_TYPE_LOCAL_APIC, 10, 3, 3, EN, 0, 0, 0, 0xAA, 0xBB};
	const u8 unknown[2] = {0x7F, 2};

	begin();
	add(short_lapic, sizeof(short_lapic));
	add(short_x2apic, sizeof(short_x2apic));
	add(short_ovr, sizeof(short_ovr));
	add(unknown, sizeof(unknown));
	add(long_lapic, sizeof(long_lapic));
	x2apic(4, 4, EN);
	seal();
	assert_int_equal(parse(), 0);
	assert_int_equal(cpus.lapic_base, LAPIC_BASE);
	assert_int_equal(cpus.count, 2);
	assert_cpu(0, 3, 3, false);
	assert_cpu(1, 4, 4, true);
	assert_skips(0, 0, 0, 3);
}

static void test_over_max(void **state)
{
	begin();
	for (unsigned i = 0; i < MADT_CPUS_MAX + 6; i++)
		x2apic(1000 + i, i, EN);
	x2apic(1000, 99, EN);			  /* a duplicate of a stored one */
	x2apic(1000 + MADT_CPUS_MAX + 100, 0, 0); /* disabled: not over the max */
	seal();
	assert_int_equal(parse(), 0);
	assert_int_equal(cpus.count, MADT_CPUS_MAX);
	for (unsigned i = 0; i < MADT_CPUS_MAX; i++)
		assert_cpu(i, 1000 + i, i, true);
	assert_skips(1, 1, 6, 0);
}

static void test_bad_header(void **state)
{
	bochs4();
	mb.b[0] = 'X';
	assert_fails(parse(), "signature is 'XPIC', not 'APIC'");
	mb.b[0] = '\n'; /* firmware bytes reach err only if printable */
	assert_fails(parse(), "signature is '?PIC'");

	bochs4();
	assert_fails(parse_len(43), "less than its 44-byte header");
	assert_fails(parse_len(0), "0 bytes");

	bochs4();
	seal_as(43);
	assert_fails(parse(), "length 43 is outside");

	bochs4(); /* one byte more than the buffer */
	seal_as(mb.len + 1);
	assert_fails(parse(), "length 115 is outside [44, 114]");
}

static void test_bad_checksum(void **state)
{
	bochs4();
	mb.b[offsetof(struct acpi_madt, local_apic_address)] ^= 0x10;
	assert_fails(parse(), "checksum is off by 0x10");

	bochs4(); /* a processor's byte counts as much as the header's */
	mb.b[mb.len - 1] ^= 1;
	assert_fails(parse(), "checksum");
}

static void test_bad_structure_lengths(void **state)
{
	const u8 zero[8] = {ACPI_MADT_TYPE_LOCAL_APIC, 0};
	const u8 one[8] = {ACPI_MADT_TYPE_IO_APIC, 1};
	const u8 past[4] = {ACPI_MADT_TYPE_LOCAL_X2APIC, 16};
	const u8 lone = ACPI_MADT_TYPE_LOCAL_APIC;

	begin();
	lapic(0, 0, EN);
	add(zero, sizeof(zero));
	seal();
	assert_fails(parse(), "type 0 at offset 52 has length 0");

	begin();
	add(one, sizeof(one));
	seal();
	assert_fails(parse(), "type 1 at offset 44 has length 1");

	begin();
	lapic(0, 0, EN);
	add(past, sizeof(past));
	seal();
	assert_fails(parse(), "runs past the table's end 56");

	begin();
	lapic(0, 0, EN);
	add(&lone, 1);
	seal();
	assert_fails(parse(), "at offset 52 cut by the table's end 53");
}

/*
 * Every prefix of a full table: given as the buffer's length, the header's
 * length no longer fits and the parse fails; made the table's length (and
 * resealed), it succeeds exactly at structure boundaries with the
 * processors of the prefix.
 */
static void test_truncated_everywhere(void **state)
{
	/* Where each structure ends, and what the table up to there holds. */
	static const struct {
		size_t end;
		unsigned count;
		u64 lapic_base;
	} ends[] = {
	    {44, 0, LAPIC_BASE},	{52, 1, LAPIC_BASE},	    {60, 2, LAPIC_BASE},
	    {76, 3, LAPIC_BASE},	{92, 4, LAPIC_BASE},	    {108, 5, LAPIC_BASE},
	    {120, 5, 0xFEE00000000ULL}, {132, 5, 0xFEE00000000ULL}, {142, 5, 0xFEE00000000ULL},
	    {152, 5, 0xFEE00000000ULL}, {158, 5, 0xFEE00000000ULL},
	};
	size_t full, e = 0;

	begin();
	lapic(0, 0, EN);
	lapic(1, 1, EN);
	x2apic(0x200, 2, EN);
	x2apic(0x201, 3, EN);
	x2apic(0x202, 4, EN);
	lapic_ovr(0xFEE00000000ULL);
	pc_extras();
	full = mb.len;
	assert_int_equal(full, ends[ARRAY_SIZE(ends) - 1].end);
	for (size_t len = 0; len <= full; len++) {
		seal_as(full);
		if (len < full)
			assert_fails(parse_len(len), len < 44 ? "header" : "is outside");
		seal_as(len);
		if (e == ARRAY_SIZE(ends) || len != ends[e].end) {
			assert_fails(parse_len(len), len < 44 ? "header" : "MADT: ");
			continue;
		}
		assert_int_equal(parse_len(len), 0);
		assert_int_equal(cpus.count, ends[e].count);
		assert_int_equal(cpus.lapic_base, ends[e].lapic_base);
		for (unsigned i = 0; i < cpus.count; i++)
			assert_cpu(i, i < 2 ? i : 0x200 + i - 2, i, i >= 2);
		e++;
	}
	assert_int_equal(e, ARRAY_SIZE(ends));
}

/* err: truncated to its buffer, and not touched past errlen 0. */
static void test_err_buffer(void **state)
{
	char small[8];

	bochs4();
	mb.b[0] = 'X';
	memset(small, 'Z', sizeof(small));
	assert_int_equal(madt_cpus_parse(mb.b, mb.len, &cpus, small, sizeof(small)), -1);
	assert_string_equal(small, "MADT: s");
	assert_int_equal(madt_cpus_parse(mb.b, mb.len, &cpus, NULL, 0), -1);
}

/* Keel's own guest tables: xAPIC structures below ID 255, x2APIC from it. */
static void test_acpi_gen_tables(void **state)
{
	static const u32 counts[] = {1, 4, 64, 300};

	for (size_t c = 0; c < ARRAY_SIZE(counts); c++) {
		struct acpi_gen_config cfg;
		struct acpi_gen_layout l;
		u8 *buf;
		u32 len;

		acpi_gen_config_pc(&cfg, counts[c]);
		assert_false(acpi_gen_build(&cfg, NULL, 0, 0xE0000, &l));
		buf = calloc(1, l.size);
		assert_true(acpi_gen_build(&cfg, buf, l.size, 0xE0000, &l));
		memcpy(&len, buf + (l.madt - l.gpa) + 4, 4);
		mb.len = len;
		assert_true(len <= sizeof(mb.b));
		memcpy(mb.b, buf + (l.madt - l.gpa), len);
		free(buf);
		assert_int_equal(parse(), 0);
		assert_int_equal(cpus.lapic_base, ACPI_GEN_LAPIC_GPA);
		assert_int_equal(cpus.count, MIN(counts[c], MADT_CPUS_MAX));
		assert_cpu(0, 0, 0, false);
		assert_cpu(cpus.count - 1, cpus.count - 1, cpus.count - 1, false);
		assert_skips(0, 0, counts[c] - cpus.count, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bochs_four),
	    cmocka_unit_test(test_bochs_one_no_extras),
	    cmocka_unit_test(test_table_order),
	    cmocka_unit_test(test_x2apic),
	    cmocka_unit_test(test_broadcast_ids),
	    cmocka_unit_test(test_duplicates),
	    cmocka_unit_test(test_disabled_and_online_capable),
	    cmocka_unit_test(test_address_override),
	    cmocka_unit_test(test_short_and_long_structures),
	    cmocka_unit_test(test_over_max),
	    cmocka_unit_test(test_bad_header),
	    cmocka_unit_test(test_bad_checksum),
	    cmocka_unit_test(test_bad_structure_lengths),
	    cmocka_unit_test(test_truncated_everywhere),
	    cmocka_unit_test(test_err_buffer),
	    cmocka_unit_test(test_acpi_gen_tables),
	};

	return cmocka_run_group_tests_name("madt_cpus", tests, NULL, NULL);
}
