/*
 * Reading ACPI tables (formats in acpi_tables.h). Pure: no I/O, no globals;
 * physical memory only through struct acpi_mem. Each failure says, in err,
 * which condition failed and at which table.
 */
#include "arch/x86/acpi_tables.h"
#include "lib/format.h"
#include "lib/string.h"

/* AML opcodes (20.2.3 "Data Objects Encoding", 20.2.5 "Term Objects Encoding"). */
#define AML_ZERO_OP	 0x00
#define AML_ONE_OP	 0x01
#define AML_NAME_OP	 0x08
#define AML_BYTE_PREFIX	 0x0A
#define AML_WORD_PREFIX	 0x0B
#define AML_DWORD_PREFIX 0x0C
#define AML_QWORD_PREFIX 0x0E
#define AML_PACKAGE_OP	 0x12
#define AML_ROOT_CHAR	 '\\'
#define AML_ONES_OP	 0xFF
#define AML_SLP_TYP_MAX	 7   /* SLP_TYP is a 3-bit field of PM1_CNT */
#define FADT_REV1_LEN	 116 /* up to and including Flags */
#define PORT_MAX	 0xFFFF

static bool __printf(3, 4) acpi_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return false;
}

u8 acpi_checksum(const void *p, size_t len)
{
	const u8 *b = p;
	u8 sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (u8)(sum + b[i]);
	return sum;
}

/* The revision 2 part of an RSDP whose first 20 bytes are valid. */
static bool acpi_rsdp_parse_v2(const struct acpi_rsdp *r, const void *p, size_t len,
			       struct acpi_root *root, char *err, size_t errlen)
{
	if (len < sizeof(*r))
		return acpi_fail(err, errlen, "RSDP revision %u but only %zu bytes", r->revision,
				 len);
	if (r->length < sizeof(*r) || r->length > len)
		return acpi_fail(err, errlen, "RSDP length %u is outside [36, %zu]", r->length,
				 len);
	if (acpi_checksum(p, r->length) != 0)
		return acpi_fail(err, errlen, "RSDP extended checksum is off by 0x%02x",
				 acpi_checksum(p, r->length));
	root->xsdt = r->xsdt_address != 0;
	root->table_pa = root->xsdt ? r->xsdt_address : r->rsdt_address;
	return true;
}

bool acpi_rsdp_parse(const void *p, size_t len, struct acpi_root *root, char *err, size_t errlen)
{
	struct acpi_rsdp r = {0};

	if (len < ACPI_RSDP_V1_LEN)
		return acpi_fail(err, errlen, "RSDP is %zu bytes, less than 20", len);
	memcpy(&r, p, MIN(len, sizeof(r)));
	if (memcmp(r.signature, ACPI_RSDP_SIGNATURE, sizeof(r.signature)) != 0)
		return acpi_fail(err, errlen, "RSDP signature is not '" ACPI_RSDP_SIGNATURE "'");
	if (acpi_checksum(p, ACPI_RSDP_V1_LEN) != 0)
		return acpi_fail(err, errlen, "RSDP checksum is off by 0x%02x",
				 acpi_checksum(p, ACPI_RSDP_V1_LEN));
	root->revision = r.revision;
	root->xsdt = false;
	root->table_pa = r.rsdt_address;
	if (r.revision >= 2 && !acpi_rsdp_parse_v2(&r, p, len, root, err, errlen))
		return false;
	if (root->table_pa == 0)
		return acpi_fail(err, errlen, "RSDP gives no RSDT or XSDT address");
	return true;
}

size_t acpi_rsdp_scan(const void *area, size_t len)
{
	const u8 *b = area;
	struct acpi_root root;
	char err[ACPI_ERR_LEN];

	for (size_t off = 0; off + ACPI_RSDP_V1_LEN <= len; off += ACPI_RSDP_ALIGN) {
		if (memcmp(b + off, ACPI_RSDP_SIGNATURE, 8) != 0)
			continue;
		if (acpi_rsdp_parse(b + off, len - off, &root, err, sizeof(err)))
			return off;
	}
	return len;
}

const struct acpi_sdt_header *acpi_table_get(const struct acpi_mem *m, u64 pa, const char *sig,
					     char *err, size_t errlen)
{
	const struct acpi_sdt_header *h = m->map(m->ctx, pa, sizeof(*h));
	u32 len;

	if (!h) {
		acpi_fail(err, errlen, "table at 0x%lx is not mapped", pa);
		return NULL;
	}
	len = h->length;
	if (sig && memcmp(h->signature, sig, 4) != 0) {
		acpi_fail(err, errlen, "table at 0x%lx is '%.4s', not '%s'", pa, h->signature, sig);
		return NULL;
	}
	if (len < sizeof(*h) || len > ACPI_TABLE_MAX_LEN) {
		acpi_fail(err, errlen, "%.4s at 0x%lx: length %u is outside [36, 4 MiB]",
			  h->signature, pa, len);
		return NULL;
	}
	h = m->map(m->ctx, pa, len);
	if (!h) {
		acpi_fail(err, errlen, "table at 0x%lx (%u bytes) is not mapped", pa, len);
		return NULL;
	}
	if (acpi_checksum(h, len) != 0) {
		acpi_fail(err, errlen, "%.4s at 0x%lx: checksum is off by 0x%02x", h->signature, pa,
			  acpi_checksum(h, len));
		return NULL;
	}
	return h;
}

/* Entry i of a checked RSDT (32-bit entries) or XSDT (64-bit, unaligned). */
static u64 acpi_root_entry(const struct acpi_sdt_header *rt, bool xsdt, size_t i)
{
	const u8 *entries = (const u8 *)rt + sizeof(*rt);
	u64 pa64;
	u32 pa32;

	if (xsdt) {
		memcpy(&pa64, entries + i * 8, 8);
		return pa64;
	}
	memcpy(&pa32, entries + i * 4, 4);
	return pa32;
}

const struct acpi_sdt_header *acpi_table_find(const struct acpi_mem *m,
					      const struct acpi_root *root, const char *sig,
					      unsigned nth, char *err, size_t errlen)
{
	const char *rsig = root->xsdt ? "XSDT" : "RSDT";
	size_t esize = root->xsdt ? 8 : 4;
	const struct acpi_sdt_header *rt = acpi_table_get(m, root->table_pa, rsig, err, errlen);
	size_t count, unmapped = 0;

	if (!rt)
		return NULL;
	if ((rt->length - sizeof(*rt)) % esize != 0) {
		acpi_fail(err, errlen, "%s length %u leaves a partial entry", rsig, rt->length);
		return NULL;
	}
	count = (rt->length - sizeof(*rt)) / esize;
	for (size_t i = 0; i < count; i++) {
		u64 pa = acpi_root_entry(rt, root->xsdt, i);
		const struct acpi_sdt_header *h = m->map(m->ctx, pa, sizeof(*h));

		if (!h)
			unmapped++;
		else if (memcmp(h->signature, sig, 4) == 0 && nth-- == 0)
			return acpi_table_get(m, pa, sig, err, errlen);
	}
	acpi_fail(err, errlen, "no %s table in the %s (%zu entries, %zu not mapped)", sig, rsig,
		  count, unmapped);
	return NULL;
}

/*
 * A PM1 control block's I/O port: the 64-bit X_ field when the FADT has it
 * and it is set, else the 32-bit one. *port is 0 when neither is set;
 * returns a problem, or NULL.
 */
static const char *acpi_pm1_port(const struct acpi_gas *x, bool has_x, u32 legacy, u16 *port)
{
	u64 addr = legacy;

	*port = 0;
	if (has_x && x->address != 0) {
		if (x->space_id != ACPI_GAS_SYSTEM_IO)
			return "X_PM1_CNT_BLK is not in system I/O space";
		addr = x->address;
	}
	if (addr > PORT_MAX)
		return "PM1_CNT_BLK is not an I/O port";
	*port = (u16)addr;
	return NULL;
}

/* The S5 facts: the PM1 control ports and how to switch ACPI mode on. */
static void acpi_fadt_s5(const struct acpi_fadt *f, u32 len, struct acpi_fadt_info *out)
{
	bool has_x = len >= offsetof(struct acpi_fadt, x_pm1b_cnt_blk) + sizeof(struct acpi_gas);
	const char *problem;

	problem = acpi_pm1_port(&f->x_pm1a_cnt_blk, has_x, f->pm1a_cnt_blk, &out->pm1a_cnt);
	if (!problem)
		problem = acpi_pm1_port(&f->x_pm1b_cnt_blk, has_x, f->pm1b_cnt_blk, &out->pm1b_cnt);
	if (!problem && out->pm1a_cnt == 0)
		problem = out->hw_reduced ? "hardware-reduced ACPI (no PM1 control block)"
					  : "the FADT gives no PM1a_CNT_BLK";
	if (!problem && f->pm1_cnt_len < 2)
		problem = "PM1_CNT_LEN is less than 2";
	if (problem)
		out->pm1a_cnt = out->pm1b_cnt = 0;
	out->s5_problem = problem;
	out->smi_cmd = f->smi_cmd <= PORT_MAX ? (u16)f->smi_cmd : 0;
	out->acpi_enable = f->acpi_enable;
}

/* The reset facts (4.8.3.6 "Reset Register"): an 8-bit register at bit 0. */
static void acpi_fadt_reset(const struct acpi_fadt *f, u32 len, struct acpi_fadt_info *out)
{
	const struct acpi_gas *r = &f->reset_reg;

	out->reset_problem = NULL;
	if (len < offsetof(struct acpi_fadt, reset_value) + 1)
		out->reset_problem = "the FADT is too old to have RESET_REG";
	else if (!(f->flags & ACPI_FADT_RESET_REG_SUP))
		out->reset_problem = "the FADT does not set RESET_REG_SUP";
	else if (r->bit_width != 8 || r->bit_offset != 0 || r->address == 0)
		out->reset_problem = "RESET_REG is not an 8-bit register at bit 0";
	else if (r->space_id > ACPI_GAS_PCI_CONFIG)
		out->reset_problem = "RESET_REG is in an address space Keel does not handle";
	out->reset_reg = *r;
	out->reset_value = f->reset_value;
}

bool acpi_fadt_parse(const struct acpi_sdt_header *fadt, struct acpi_fadt_info *out, char *err,
		     size_t errlen)
{
	struct acpi_fadt f = {0};
	u32 len = fadt->length;

	if (len < FADT_REV1_LEN)
		return acpi_fail(err, errlen, "FADT is %u bytes, less than the 116 of revision 1",
				 len);
	memcpy(&f, fadt, MIN(len, sizeof(f)));
	*out = (struct acpi_fadt_info){.revision = f.header.revision};
	out->dsdt_pa = f.dsdt;
	if (len >= offsetof(struct acpi_fadt, x_dsdt) + 8 && f.x_dsdt != 0)
		out->dsdt_pa = f.x_dsdt;
	out->hw_reduced = (f.flags & ACPI_FADT_HW_REDUCED_ACPI) != 0;
	acpi_fadt_s5(&f, len, out);
	acpi_fadt_reset(&f, len, out);
	if (out->dsdt_pa == 0)
		return acpi_fail(err, errlen, "the FADT gives no DSDT address");
	return true;
}

/*
 * Decodes an AML PkgLength at p[*pos] (20.2.4): bits 7:6 of the lead byte
 * count the bytes that follow; with none, bits 5:0 are the length, else
 * bits 3:0 are its low nibble and each following byte adds 8 more bits.
 */
static bool acpi_aml_pkglength(const u8 *p, size_t *pos, size_t end, u32 *out)
{
	u8 lead;
	unsigned follow;

	if (*pos >= end)
		return false;
	lead = p[(*pos)++];
	follow = lead >> 6;
	if (follow == 0) {
		*out = lead & 0x3F;
		return true;
	}
	if (end - *pos < follow)
		return false;
	*out = lead & 0x0F;
	for (unsigned i = 0; i < follow; i++)
		*out |= (u32)p[(*pos)++] << (4 + 8 * i);
	return true;
}

/* Decodes one AML integer (ComputationalData or a constant object). */
static bool acpi_aml_integer(const u8 *p, size_t *pos, size_t end, u64 *out)
{
	static const struct {
		u8 op;
		u8 bytes;
	} prefixes[] = {{AML_BYTE_PREFIX, 1},
			{AML_WORD_PREFIX, 2},
			{AML_DWORD_PREFIX, 4},
			{AML_QWORD_PREFIX, 8}};
	u8 op;

	if (*pos >= end)
		return false;
	op = p[(*pos)++];
	if (op == AML_ZERO_OP || op == AML_ONE_OP || op == AML_ONES_OP) {
		*out = op == AML_ZERO_OP ? 0 : op == AML_ONE_OP ? 1 : ~0ULL;
		return true;
	}
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
		if (prefixes[i].op != op)
			continue;
		if (end - *pos < prefixes[i].bytes)
			return false;
		*out = 0;
		for (unsigned b = 0; b < prefixes[i].bytes; b++)
			*out |= (u64)p[(*pos)++] << (8 * b);
		return true;
	}
	return false;
}

/* Decodes the Package that follows the name \_S5_; p[0..n) is what follows. */
static bool acpi_aml_decode_s5(const u8 *p, size_t n, struct acpi_s5 *out, char *err, size_t errlen)
{
	size_t pos = 1, end;
	u32 pkglen;
	u64 typ[2];

	if (n < 1 || p[0] != AML_PACKAGE_OP)
		return acpi_fail(err, errlen, "\\_S5_ is not a Package");
	if (!acpi_aml_pkglength(p, &pos, n, &pkglen))
		return acpi_fail(err, errlen, "\\_S5_ package length is cut off");
	end = 1 + (size_t)pkglen; /* PkgLength counts from its own first byte */
	if (end > n || end <= pos)
		return acpi_fail(err, errlen, "\\_S5_ package length %u does not fit the table",
				 pkglen);
	if (p[pos++] < 2)
		return acpi_fail(err, errlen, "\\_S5_ package has fewer than 2 elements");
	for (unsigned i = 0; i < 2; i++) {
		if (!acpi_aml_integer(p, &pos, end, &typ[i]))
			return acpi_fail(err, errlen, "\\_S5_ element %u is not an integer", i);
		if (typ[i] > AML_SLP_TYP_MAX)
			return acpi_fail(err, errlen, "\\_S5_ SLP_TYP%c 0x%lx is wider than 3 bits",
					 'a' + i, typ[i]);
	}
	out->slp_typa = (u8)typ[0];
	out->slp_typb = (u8)typ[1];
	return true;
}

bool acpi_aml_find_s5(const u8 *aml, size_t len, struct acpi_s5 *out, char *err, size_t errlen)
{
	for (size_t i = 1; i + 4 <= len; i++) {
		bool named = aml[i - 1] == AML_NAME_OP ||
			     (i >= 2 && aml[i - 1] == AML_ROOT_CHAR && aml[i - 2] == AML_NAME_OP);

		if (named && memcmp(aml + i, "_S5_", 4) == 0)
			return acpi_aml_decode_s5(aml + i + 4, len - i - 4, out, err, errlen);
	}
	return acpi_fail(err, errlen, "no Name(\\_S5_, ...) in the AML");
}
