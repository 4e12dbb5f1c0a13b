UNIT_SRCS_decode := vm/decode.c vm/decode_sse.c
