UNIT_SRCS_place := vm/place.c
