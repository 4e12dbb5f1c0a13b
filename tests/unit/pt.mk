UNIT_SRCS_pt := mm/pt.c mm/pt_x86.c vmx/ept_fmt.c tests/unit/check_panic.c
