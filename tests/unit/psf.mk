UNIT_SRCS_psf := lib/psf.c lib/format.c
