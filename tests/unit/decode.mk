UNIT_SRCS_decode := vm/decode.c
