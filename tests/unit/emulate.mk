UNIT_SRCS_emulate := vm/emulate.c vm/decode.c
