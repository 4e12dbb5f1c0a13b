UNIT_SRCS_emulate := vm/emulate.c vm/emulate_alu.c vm/emulate_sse.c vm/emulate_seg.c vm/emulate_wide.c \
	vm/emulate_locate.c vm/decode.c vm/decode_sse.c
