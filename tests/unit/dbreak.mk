UNIT_SRCS_dbreak := vm/dbreak.c
