UNIT_SRCS_linux_boot := vm/linux_boot.c lib/format.c
