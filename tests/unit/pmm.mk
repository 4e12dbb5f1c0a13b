UNIT_SRCS_pmm := mm/pmm_core.c mm/pmm_account.c mm/zpool.c lib/string.c tests/unit/check_panic.c
