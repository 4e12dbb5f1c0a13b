UNIT_SRCS_exception := arch/x86/exception_decode.c lib/format.c
