UNIT_SRCS_gmem := vm/gmem.c mm/rmap_core.c mm/pt.c vmx/ept_fmt.c mm/pmm_core.c mm/pmm_account.c mm/zpool.c tests/unit/check_panic.c
