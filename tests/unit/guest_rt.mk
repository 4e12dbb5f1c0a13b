UNIT_SRCS_guest_rt := tests/guests/lib/udiv64.c tests/guests/lib/mmap.c tests/guests/lib/bootargs.c tests/guests/lib/trap_table.c lib/cmdline.c
