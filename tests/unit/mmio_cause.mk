UNIT_SRCS_mmio_cause := vm/mmio_cause.c vmx/ept_qual.c
