UNIT_SRCS_rmap := mm/rmap_core.c
