UNIT_SRCS_pmm := mm/pmm_core.c
