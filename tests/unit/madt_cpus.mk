UNIT_SRCS_madt_cpus := arch/x86/madt_cpus.c arch/x86/acpi_tables.c dev/acpi_gen.c lib/format.c
