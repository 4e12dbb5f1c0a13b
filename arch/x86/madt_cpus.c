/*
 * Enumerating the processors of an ACPI MADT (madt_cpus.h). Pure: no I/O,
 * no globals. The table comes from firmware, so every length is checked
 * before it is used, offsets stay below the table's length (no sums that
 * could wrap), and structures are copied out with memcpy, since nothing
 * aligns them.
 */
#include "arch/x86/madt_cpus.h"
#include "arch/x86/acpi_madt.h"
#include "arch/x86/acpi_tables.h"
#include "lib/format.h"
#include "lib/string.h"

/*
 * The broadcast destinations cannot be a processor's ID: 0xFF in xAPIC
 * mode, 0xFFFFFFFF in x2APIC mode (Intel SDM Vol. 3A 11.6.2.1 "Physical
 * Destination Mode", 11.12.9 "ICR Operation in x2APIC Mode"). Firmware
 * fills unused entries with them.
 */
#define XAPIC_BROADCAST_ID  0xFFU
#define X2APIC_BROADCAST_ID 0xFFFFFFFFU

/* Every interrupt controller structure starts with its type and length. */
#define MADT_STRUCT_HEADER_LEN 2

static int __printf(3, 4) madt_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static bool madt_has_apic_id(const struct madt_cpus *out, u32 apic_id)
{
	for (unsigned i = 0; i < out->count; i++)
		if (out->cpu[i].apic_id == apic_id)
			return true;
	return false;
}

/* One processor structure, its fields already read (flags: 5.2.12.2 "Local APIC Flags"). */
static void madt_add_cpu(struct madt_cpus *out, u32 apic_id, u32 acpi_uid, u32 flags, bool x2apic)
{
	u32 broadcast = x2apic ? X2APIC_BROADCAST_ID : XAPIC_BROADCAST_ID;

	/* Online Capable without Enabled: hot-pluggable, not started at boot. */
	if (!(flags & ACPI_MADT_LAPIC_ENABLED))
		out->skipped_disabled++;
	else if (apic_id == broadcast)
		out->skipped_invalid++;
	else if (madt_has_apic_id(out, apic_id))
		out->skipped_duplicate++;
	else if (out->count == MADT_CPUS_MAX)
		out->skipped_over_max++;
	else
		out->cpu[out->count++] = (struct madt_cpu){
		    .apic_id = apic_id, .acpi_uid = acpi_uid, .x2apic_entry = x2apic};
}

/*
 * The structure s[0..slen) (slen >= 2). A processor or address override
 * structure shorter than its type's fixed part is skipped as invalid; a
 * longer one is read up to its fixed part (later revisions may append).
 */
static void madt_visit(struct madt_cpus *out, const u8 *s, size_t slen, bool *have_override)
{
	struct acpi_madt_local_apic l;
	struct acpi_madt_local_x2apic x;
	struct acpi_madt_local_apic_ovr o;

	if (s[0] == ACPI_MADT_TYPE_LOCAL_APIC && slen >= sizeof(l)) {
		memcpy(&l, s, sizeof(l));
		madt_add_cpu(out, l.apic_id, l.acpi_processor_uid, l.flags, false);
	} else if (s[0] == ACPI_MADT_TYPE_LOCAL_X2APIC && slen >= sizeof(x)) {
		memcpy(&x, s, sizeof(x));
		madt_add_cpu(out, x.x2apic_id, x.acpi_processor_uid, x.flags, true);
	} else if (s[0] == ACPI_MADT_TYPE_LOCAL_APIC_OVR && slen >= sizeof(o) && !*have_override) {
		memcpy(&o, s, sizeof(o));
		out->lapic_base = o.local_apic_address;
		*have_override = true;
	} else if (s[0] == ACPI_MADT_TYPE_LOCAL_APIC || s[0] == ACPI_MADT_TYPE_LOCAL_X2APIC ||
		   s[0] == ACPI_MADT_TYPE_LOCAL_APIC_OVR) {
		/* Too short, or a second override: only one may be defined
		 * (5.2.12.8), so the first one counts. */
		out->skipped_invalid++;
	}
	/* Other types (I/O APICs, interrupt overrides, NMIs) say nothing about
	 * which processors exist. */
}

/* Walks the structures in t[sizeof(struct acpi_madt)..tlen). */
static int madt_walk(const u8 *t, size_t tlen, struct madt_cpus *out, char *err, size_t errlen)
{
	bool have_override = false;
	size_t off = sizeof(struct acpi_madt);

	while (off < tlen) {
		size_t slen;

		if (tlen - off < MADT_STRUCT_HEADER_LEN)
			return madt_fail(err, errlen,
					 "MADT: structure at offset %zu cut by the table's end %zu",
					 off, tlen);
		slen = t[off + 1];
		/* A length below 2 would not move past its own header: with 0
		 * the walk would never end. */
		if (slen < MADT_STRUCT_HEADER_LEN)
			return madt_fail(err, errlen,
					 "MADT: structure type %u at offset %zu has length %zu",
					 t[off], off, slen);
		if (slen > tlen - off)
			return madt_fail(err, errlen,
					 "MADT: structure type %u at offset %zu, length %zu, runs "
					 "past the table's end %zu",
					 t[off], off, slen, tlen);
		madt_visit(out, t + off, slen, &have_override);
		off += slen;
	}
	return 0;
}

/* Checks the table's header; *m is a copy of it. */
static int madt_check_header(const void *table, size_t len, struct acpi_madt *m, char *err,
			     size_t errlen)
{
	char sig[sizeof(m->header.signature) + 1] = {0};

	if (len < sizeof(*m))
		return madt_fail(err, errlen, "MADT: %zu bytes, less than its 44-byte header", len);
	memcpy(m, table, sizeof(*m));
	if (memcmp(m->header.signature, ACPI_MADT_SIGNATURE, 4) != 0) {
		/* Firmware bytes: only printable ones, so the error stays one line. */
		for (size_t i = 0; i + 1 < sizeof(sig); i++) {
			char c = m->header.signature[i];

			sig[i] = c >= 0x20 && c < 0x7F ? c : '?';
		}
		return madt_fail(err, errlen, "MADT: signature is '%s', not 'APIC'", sig);
	}
	if (m->header.length < sizeof(*m) || m->header.length > len)
		return madt_fail(err, errlen, "MADT: length %u is outside [44, %zu]",
				 m->header.length, len);
	if (acpi_checksum(table, m->header.length) != 0)
		return madt_fail(err, errlen, "MADT: checksum is off by 0x%02x",
				 acpi_checksum(table, m->header.length));
	return 0;
}

int madt_cpus_parse(const void *table, size_t len, struct madt_cpus *out, char *err, size_t errlen)
{
	struct acpi_madt m;

	memset(out, 0, sizeof(*out));
	if (errlen)
		err[0] = '\0';
	if (madt_check_header(table, len, &m, err, errlen) != 0)
		return -1;
	out->lapic_base = m.local_apic_address;
	if (madt_walk(table, m.header.length, out, err, errlen) != 0) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}
