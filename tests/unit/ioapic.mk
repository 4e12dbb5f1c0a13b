UNIT_SRCS_ioapic := dev/ioapic_core.c
