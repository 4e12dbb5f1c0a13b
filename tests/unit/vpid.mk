UNIT_SRCS_vpid := vmx/vpid_core.c
