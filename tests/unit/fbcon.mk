UNIT_SRCS_fbcon := lib/fbcon.c lib/psf.c lib/format.c
