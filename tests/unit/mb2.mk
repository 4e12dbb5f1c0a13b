UNIT_SRCS_mb2 := boot/mb2.c lib/format.c
