UNIT_SRCS_elf := vm/elf.c lib/format.c
