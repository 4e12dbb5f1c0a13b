/*
 * libFuzzer target for arch/x86/madt_cpus.c: madt_cpus_parse() on
 * arbitrary tables. Input: 1 byte err_len, 1 byte fix-ups (bit 0: set the
 * header's Length to the table's size; bit 1: then set the checksum so
 * that Length bytes sum to 0, so that mutations get past both checks),
 * then the table, copied to an exactly-sized heap buffer so ASan flags any
 * read past it. Beyond "no crash", each run checks madt_cpus.h's contract
 * against a second, byte-by-byte reading of the table: success exactly
 * when the header is valid and every structure's length is at least 2 and
 * inside the table; then the same lapic_base, processors and skip counts,
 * with count <= MADT_CPUS_MAX, every stored APIC ID unique and not a
 * broadcast ID, and every processor structure accounted for once. On
 * failure *out is all zero and the error is one line. The table is never
 * written.
 */
#include "tests/fuzz/fuzz_check.h"

#include "arch/x86/acpi_madt.h"
#include "arch/x86/madt_cpus.h"

#define HDR_LEN	       44
#define LENGTH_OFF     4
#define CHECKSUM_OFF   9
#define LAPIC_ADDR_OFF 36

static struct madt_cpus out, want;

static u64 le(const u8 *p, unsigned n)
{
	u64 v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* A processor structure as the contract says it is kept or skipped. */
static void ref_cpu(u32 id, u32 uid, u32 flags, bool x2)
{
	if (!(flags & 1)) {
		want.skipped_disabled++;
		return;
	}
	if (id == (x2 ? 0xFFFFFFFFU : 0xFFU)) {
		want.skipped_invalid++;
		return;
	}
	for (unsigned i = 0; i < want.count; i++) {
		if (want.cpu[i].apic_id == id) {
			want.skipped_duplicate++;
			return;
		}
	}
	if (want.count == MADT_CPUS_MAX) {
		want.skipped_over_max++;
		return;
	}
	want.cpu[want.count++] = (struct madt_cpu){id, uid, x2};
}

/*
 * The reference reading: returns whether madt_cpus_parse() must succeed,
 * filling `want` as it must; *processors counts the processor structures
 * and *overrides the address overrides, of any length; *used says whether
 * one of those gave lapic_base.
 */
static bool reference(const u8 *t, size_t len, unsigned *processors, unsigned *overrides,
		      bool *used)
{
	u64 length, off;
	u8 sum = 0;

	*processors = *overrides = 0;
	*used = false;
	if (len < HDR_LEN || memcmp(t, "APIC", 4) != 0)
		return false;
	length = le(t + LENGTH_OFF, 4);
	if (length < HDR_LEN || length > len)
		return false;
	for (u64 i = 0; i < length; i++)
		sum += t[i];
	if (sum)
		return false;
	want.lapic_base = le(t + LAPIC_ADDR_OFF, 4);
	for (off = HDR_LEN; off < length; off += t[off + 1]) {
		const u8 *s = t + off;

		if (off + 2 > length || s[1] < 2 || off + s[1] > length)
			return false;
		if (s[0] == 0 || s[0] == 9)
			++*processors;
		if (s[0] == 5)
			++*overrides;
		if ((s[0] == 0 && s[1] < 8) || (s[0] == 9 && s[1] < 16) ||
		    (s[0] == 5 && (s[1] < 12 || *used)))
			want.skipped_invalid++;
		else if (s[0] == 0)
			ref_cpu(s[3], s[2], (u32)le(s + 4, 4), false);
		else if (s[0] == 9)
			ref_cpu((u32)le(s + 4, 4), (u32)le(s + 12, 4), (u32)le(s + 8, 4), true);
		else if (s[0] == 5) {
			want.lapic_base = le(s + 4, 8);
			*used = true;
		}
	}
	return true;
}

static void check_ok(unsigned processors, unsigned overrides, bool used_override)
{
	FUZZ_CHECK(out.count <= MADT_CPUS_MAX);
	for (unsigned i = 0; i < out.count; i++) {
		const struct madt_cpu *c = &out.cpu[i];

		FUZZ_CHECK(c->apic_id != 0xFFFFFFFFU);
		FUZZ_CHECK(c->x2apic_entry || c->apic_id < 0xFF);
		for (unsigned j = 0; j < i; j++)
			FUZZ_CHECK(out.cpu[j].apic_id != c->apic_id);
	}
	/* Every processor structure is stored or skipped once; every
	 * override but the one used is invalid. */
	FUZZ_CHECK(out.count + out.skipped_disabled + out.skipped_duplicate + out.skipped_over_max +
		       out.skipped_invalid ==
		   processors + overrides - used_override);
	FUZZ_CHECK(out.skipped_over_max == 0 || out.count == MADT_CPUS_MAX);
	FUZZ_CHECK(out.lapic_base == want.lapic_base);
	FUZZ_CHECK(out.count == want.count);
	for (unsigned i = 0; i < out.count; i++) {
		FUZZ_CHECK(out.cpu[i].apic_id == want.cpu[i].apic_id);
		FUZZ_CHECK(out.cpu[i].acpi_uid == want.cpu[i].acpi_uid);
		FUZZ_CHECK(out.cpu[i].x2apic_entry == want.cpu[i].x2apic_entry);
	}
	FUZZ_CHECK(out.skipped_disabled == want.skipped_disabled);
	FUZZ_CHECK(out.skipped_duplicate == want.skipped_duplicate);
	FUZZ_CHECK(out.skipped_over_max == want.skipped_over_max);
	FUZZ_CHECK(out.skipped_invalid == want.skipped_invalid);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static const struct madt_cpus zero;
	size_t err_len = (size_t)fuzz_take(&data, &size, 1);
	u8 fix = (u8)fuzz_take(&data, &size, 1);
	u8 *t = malloc(size ? size : 1), *before = malloc(size ? size : 1);
	char *err = malloc(err_len ? err_len : 1);
	unsigned processors, overrides;
	bool ok, used_override;
	int r;

	memcpy(t, data, size);
	if ((fix & 1) && size >= HDR_LEN) {
		u32 n = (u32)size;

		memcpy(t + LENGTH_OFF, &n, 4);
		if (fix & 2) {
			u8 sum = 0;

			t[CHECKSUM_OFF] = 0;
			for (size_t i = 0; i < size; i++)
				sum += t[i];
			t[CHECKSUM_OFF] = (u8)-sum;
		}
	}
	memcpy(before, t, size);
	want = zero;
	ok = reference(t, size, &processors, &overrides, &used_override);
	memset(&out, 0xA5, sizeof(out));
	r = madt_cpus_parse(t, size, &out, err, err_len);
	FUZZ_CHECK(r == 0 || r == -1);
	FUZZ_CHECK((r == 0) == ok);
	fuzz_check_err(err, err_len, r != 0);
	if (r == 0)
		check_ok(processors, overrides, used_override);
	else
		FUZZ_CHECK(!memcmp(&out, &zero, sizeof(out)));
	FUZZ_CHECK(!memcmp(t, before, size)); /* the parser never writes the table */
	free(before);
	free(err);
	free(t);
	return 0;
}
