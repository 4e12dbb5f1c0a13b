UNIT_SRCS_gpt := vm/gpt.c
