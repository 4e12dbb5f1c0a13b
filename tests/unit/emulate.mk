UNIT_SRCS_emulate := vm/emulate.c vm/emulate_alu.c vm/decode.c
