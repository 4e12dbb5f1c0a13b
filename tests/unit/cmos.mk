UNIT_SRCS_cmos := dev/cmos_core.c arch/x86/rtc_format.c
