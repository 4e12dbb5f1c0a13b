UNIT_SRCS_input_focus := vm/input_focus.c
