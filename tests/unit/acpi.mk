UNIT_SRCS_acpi := arch/x86/acpi_tables.c lib/format.c
