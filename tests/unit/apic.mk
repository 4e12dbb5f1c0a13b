UNIT_SRCS_apic := vm/apic_core.c
