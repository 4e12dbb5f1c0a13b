UNIT_SRCS_guest_cmdline := vm/guest_cmdline.c lib/cmdline.c lib/format.c
