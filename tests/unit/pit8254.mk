UNIT_SRCS_pit8254 := dev/pit8254_core.c
