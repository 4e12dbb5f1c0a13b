UNIT_SRCS_msr_core := vm/msr_core.c vm/cpuid_policy.c lib/format.c
