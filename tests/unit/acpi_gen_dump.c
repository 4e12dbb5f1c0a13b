/*
 * Writes the tables dev/acpi_gen.c builds, one file per table, for
 * tests/unit/acpi_gen_iasl.py to hand to iasl:
 *
 *   acpi_gen_dump DIR    DIR/CONFIG/{rsdp,xsdt,rsdt,facp,facs,dsdt,apic}.dat
 *
 * for each configuration below, and one line per configuration on stdout
 * (its name and where each table went). Exits 1 if a build fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "arch/x86/acpi_tables.h"
#include "dev/acpi_gen.h"

#define DUMP_BUF_SIZE (ACPI_GEN_BIOS_AREA_END - ACPI_GEN_BIOS_AREA)

struct dump_config {
	const char *name;
	u32 cpus;
	bool ioapic;
	u16 pm_tmr_port;
	bool pm_tmr_32bit;
};

static const struct dump_config configs[] = {
    {"pc1", 1, true, ACPI_GEN_PM_TMR_PORT, true},
    {"pc2", 2, true, ACPI_GEN_PM_TMR_PORT, true},
    {"pc64", 64, true, ACPI_GEN_PM_TMR_PORT, true},
    {"x2apic300", 300, true, ACPI_GEN_PM_TMR_PORT, true},
    {"pmtmr24", 4, true, ACPI_GEN_PM_TMR_PORT, false},
    {"bare", 1, false, 0, false},
};

/* The length of the table at p: the RSDP's and the FACS's are not in an SDT header. */
static u32 table_len(const u8 *p, const char *file)
{
	u32 len;

	if (strcmp(file, "rsdp") == 0)
		memcpy(&len, p + offsetof(struct acpi_rsdp, length), 4);
	else
		memcpy(&len, p + offsetof(struct acpi_sdt_header, length), 4);
	return len;
}

static int write_table(const char *dir, const char *file, const u8 *buf,
		       const struct acpi_gen_layout *l, u64 gpa)
{
	const u8 *p = buf + (gpa - l->gpa);
	char path[512];
	FILE *f;
	u32 len = table_len(p, file);

	snprintf(path, sizeof(path), "%s/%s.dat", dir, file);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		return 1;
	}
	return 0;
}

static int dump(const char *top, const struct dump_config *c, u8 *buf)
{
	struct acpi_gen_config cfg;
	struct acpi_gen_layout l;
	char dir[384];
	int bad = 0;

	acpi_gen_config_pc(&cfg, c->cpus);
	cfg.ioapic = c->ioapic;
	cfg.pm_tmr_port = c->pm_tmr_port;
	cfg.pm_tmr_32bit = c->pm_tmr_32bit;
	if (!acpi_gen_build(&cfg, buf, DUMP_BUF_SIZE, ACPI_GEN_BIOS_AREA, &l)) {
		fprintf(stderr, "acpi_gen_dump: %s: %s\n", c->name, l.problem);
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s/%s", top, c->name);
	mkdir(dir, 0755);
	bad |= write_table(dir, "rsdp", buf, &l, l.rsdp);
	bad |= write_table(dir, "xsdt", buf, &l, l.xsdt);
	bad |= write_table(dir, "rsdt", buf, &l, l.rsdt);
	bad |= write_table(dir, "facp", buf, &l, l.fadt);
	bad |= write_table(dir, "facs", buf, &l, l.facs);
	bad |= write_table(dir, "dsdt", buf, &l, l.dsdt);
	bad |= write_table(dir, "apic", buf, &l, l.madt);
	printf("%s: %zu bytes: RSDP 0x%lx XSDT 0x%lx RSDT 0x%lx FADT 0x%lx FACS 0x%lx "
	       "DSDT 0x%lx MADT 0x%lx\n",
	       c->name, l.size, l.rsdp, l.xsdt, l.rsdt, l.fadt, l.facs, l.dsdt, l.madt);
	return bad;
}

int main(int argc, char **argv)
{
	u8 *buf = malloc(DUMP_BUF_SIZE);
	int bad = 0;

	if (argc != 2 || !buf) {
		fprintf(stderr, "usage: acpi_gen_dump DIR\n");
		return 2;
	}
	mkdir(argv[1], 0755);
	for (size_t i = 0; i < ARRAY_SIZE(configs); i++)
		bad |= dump(argv[1], &configs[i], buf);
	free(buf);
	return bad;
}
