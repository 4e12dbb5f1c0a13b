/*
 * ACPI table formats and the pure logic that reads them (ACPI Specification
 * 6.5: 5.2.3.2 "Generic Address Structure", 5.2.5.3 "RSDP Structure",
 * 5.2.6 "System Description Table Header", 5.2.7 RSDT, 5.2.8 XSDT, 5.2.9
 * "Fixed ACPI Description Table", 4.8.3.2 "PM1 Control Registers", and
 * 20.2 "AML Grammar" for the \_S5_ package). Keel uses ACPI for two things:
 * powering off (S5) and resetting.
 *
 * Every function here is a pure function of bytes (host-tested in
 * tests/unit/test_acpi.c). Tables are reached by physical address through
 * struct acpi_mem, which refuses what is not mapped; every length is
 * checked before it is trusted and every checksum before a table is used.
 * On failure a function returns false with one line in err saying which
 * condition failed.
 */
#ifndef KEEL_ARCH_X86_ACPI_TABLES_H
#define KEEL_ARCH_X86_ACPI_TABLES_H

#include "lib/types.h"

#define ACPI_RSDP_SIGNATURE "RSD PTR "
#define ACPI_RSDP_V1_LEN    20
#define ACPI_RSDP_ALIGN	    16
#define ACPI_TABLE_MAX_LEN  (4 * MiB) /* a sanity bound: real DSDTs are < 1 MiB */
#define ACPI_ERR_LEN	    128

/* 5.2.5.3 RSDP; fields from `length` on exist from revision 2. */
struct acpi_rsdp {
	char signature[8];
	u8 checksum; /* the first 20 bytes sum to 0 */
	char oem_id[6];
	u8 revision;
	u32 rsdt_address;
	u32 length;
	u64 xsdt_address;
	u8 extended_checksum; /* the whole `length` bytes sum to 0 */
	u8 reserved[3];
} __packed;

_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP (revision 2) is 36 bytes");
_Static_assert(offsetof(struct acpi_rsdp, length) == ACPI_RSDP_V1_LEN, "v1 part is 20 bytes");

/* 5.2.6 the header every description table starts with. */
struct acpi_sdt_header {
	char signature[4];
	u32 length; /* of the whole table, header included */
	u8 revision;
	u8 checksum;
	char oem_id[6];
	char oem_table_id[8];
	u32 oem_revision;
	u32 creator_id;
	u32 creator_revision;
} __packed;

_Static_assert(sizeof(struct acpi_sdt_header) == 36, "SDT header is 36 bytes");

/* 5.2.3.2 Generic Address Structure: address space IDs Keel handles. */
#define ACPI_GAS_SYSTEM_MEMORY 0
#define ACPI_GAS_SYSTEM_IO     1
#define ACPI_GAS_PCI_CONFIG    2

struct acpi_gas {
	u8 space_id;
	u8 bit_width;
	u8 bit_offset;
	u8 access_size;
	u64 address;
} __packed;

_Static_assert(sizeof(struct acpi_gas) == 12, "GAS is 12 bytes");

/* 5.2.9 FADT, up to the last field Keel reads. Older FADTs are shorter. */
struct acpi_fadt {
	struct acpi_sdt_header header;
	u32 firmware_ctrl;
	u32 dsdt;
	u8 reserved0;
	u8 preferred_pm_profile;
	u16 sci_int;
	u32 smi_cmd;
	u8 acpi_enable;
	u8 acpi_disable;
	u8 s4bios_req;
	u8 pstate_cnt;
	u32 pm1a_evt_blk;
	u32 pm1b_evt_blk;
	u32 pm1a_cnt_blk;
	u32 pm1b_cnt_blk;
	u32 pm2_cnt_blk;
	u32 pm_tmr_blk;
	u32 gpe0_blk;
	u32 gpe1_blk;
	u8 pm1_evt_len;
	u8 pm1_cnt_len;
	u8 pm2_cnt_len;
	u8 pm_tmr_len;
	u8 gpe0_blk_len;
	u8 gpe1_blk_len;
	u8 gpe1_base;
	u8 cst_cnt;
	u16 p_lvl2_lat;
	u16 p_lvl3_lat;
	u16 flush_size;
	u16 flush_stride;
	u8 duty_offset;
	u8 duty_width;
	u8 day_alrm;
	u8 mon_alrm;
	u8 century;
	u16 iapc_boot_arch;
	u8 reserved1;
	u32 flags;
	struct acpi_gas reset_reg;
	u8 reset_value;
	u16 arm_boot_arch;
	u8 fadt_minor_version;
	u64 x_firmware_ctrl;
	u64 x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
} __packed;

_Static_assert(offsetof(struct acpi_fadt, dsdt) == 40, "FADT DSDT offset");
_Static_assert(offsetof(struct acpi_fadt, smi_cmd) == 48, "FADT SMI_CMD offset");
_Static_assert(offsetof(struct acpi_fadt, pm1a_cnt_blk) == 64, "FADT PM1a_CNT_BLK offset");
_Static_assert(offsetof(struct acpi_fadt, pm1_cnt_len) == 89, "FADT PM1_CNT_LEN offset");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT Flags offset");
_Static_assert(offsetof(struct acpi_fadt, reset_reg) == 116, "FADT RESET_REG offset");
_Static_assert(offsetof(struct acpi_fadt, reset_value) == 128, "FADT RESET_VALUE offset");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT X_DSDT offset");
_Static_assert(offsetof(struct acpi_fadt, x_pm1a_cnt_blk) == 172, "FADT X_PM1a_CNT_BLK offset");
_Static_assert(sizeof(struct acpi_fadt) == 196, "FADT up to X_PM1b_CNT_BLK");

/* FADT Flags (Table 5.10). */
#define ACPI_FADT_RESET_REG_SUP	  BIT(10)
#define ACPI_FADT_HW_REDUCED_ACPI BIT(20)

/* PM1 control register bits (Table 4.13). */
#define ACPI_PM1_CNT_SCI_EN	   BIT(0)
#define ACPI_PM1_CNT_SLP_TYP_SHIFT 10
#define ACPI_PM1_CNT_SLP_TYP_MASK  (7ULL << ACPI_PM1_CNT_SLP_TYP_SHIFT)
#define ACPI_PM1_CNT_SLP_EN	   BIT(13)

/* Reaches physical memory: returns a pointer to [pa, pa + len), or NULL. */
struct acpi_mem {
	const void *(*map)(void *ctx, u64 pa, u64 len);
	void *ctx;
};

/* Where the RSDT or XSDT is. */
struct acpi_root {
	u8 revision; /* of the RSDP */
	bool xsdt;   /* true: 64-bit entries (XSDT); false: 32-bit (RSDT) */
	u64 table_pa;
};

/* What the FADT says about power-off and reset. */
struct acpi_fadt_info {
	u8 revision;
	u64 dsdt_pa;
	bool hw_reduced;
	/* S5: usable when s5_problem is NULL (else it says why not). */
	const char *s5_problem;
	u16 pm1a_cnt; /* I/O ports; pm1b_cnt 0 when there is no PM1b block */
	u16 pm1b_cnt;
	u16 smi_cmd; /* 0: ACPI mode cannot be (or need not be) switched on */
	u8 acpi_enable;
	/* Reset: usable when reset_problem is NULL. */
	const char *reset_problem;
	struct acpi_gas reset_reg;
	u8 reset_value;
};

/* The \_S5_ package's first two elements. */
struct acpi_s5 {
	u8 slp_typa;
	u8 slp_typb;
};

/* The byte sum of p[0..len), which is 0 for a valid ACPI structure. */
u8 acpi_checksum(const void *p, size_t len);

/* Validates an RSDP of `len` readable bytes and says where the root table is. */
bool acpi_rsdp_parse(const void *p, size_t len, struct acpi_root *root, char *err, size_t errlen);

/*
 * Scans area[0..len) on 16-byte boundaries for a valid RSDP (the legacy BIOS
 * way, 5.2.5.1); returns its offset, or len if there is none.
 */
size_t acpi_rsdp_scan(const void *area, size_t len);

/*
 * Maps the table at pa and checks its length and checksum, and its signature
 * when sig is not NULL. Returns the whole table or NULL with err set.
 */
const struct acpi_sdt_header *acpi_table_get(const struct acpi_mem *m, u64 pa, const char *sig,
					     char *err, size_t errlen);

/*
 * Finds the nth (0-based) table with signature sig listed in the root table.
 * Returns it, checked as acpi_table_get() does, or NULL with err set.
 */
const struct acpi_sdt_header *acpi_table_find(const struct acpi_mem *m,
					      const struct acpi_root *root, const char *sig,
					      unsigned nth, char *err, size_t errlen);

/*
 * Reads the power-off and reset facts from a checked FADT. Fails only if the
 * FADT is too short or names no DSDT; a missing S5 or reset register is
 * told by out->s5_problem and out->reset_problem.
 */
bool acpi_fadt_parse(const struct acpi_sdt_header *fadt, struct acpi_fadt_info *out, char *err,
		     size_t errlen);

/*
 * Finds `Name(\_S5_, Package(){SLP_TYPa, SLP_TYPb, ...})` in AML bytes
 * aml[0..len) (a DSDT or SSDT body) and decodes the two values.
 */
bool acpi_aml_find_s5(const u8 *aml, size_t len, struct acpi_s5 *out, char *err, size_t errlen);

#endif
