UNIT_SRCS_acpi_pm := dev/acpi_pm_core.c
