UNIT_SRCS_pic8259 := dev/pic8259_core.c
