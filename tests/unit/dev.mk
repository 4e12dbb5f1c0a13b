UNIT_SRCS_dev := dev/dev.c
