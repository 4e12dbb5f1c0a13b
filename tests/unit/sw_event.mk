UNIT_SRCS_sw_event := vmx/sw_event.c
