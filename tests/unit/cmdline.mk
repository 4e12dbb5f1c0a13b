UNIT_SRCS_cmdline := lib/cmdline.c
