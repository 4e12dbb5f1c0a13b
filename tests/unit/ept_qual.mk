UNIT_SRCS_ept_qual := vmx/ept_qual.c
