UNIT_SRCS_cpuid_policy := vm/cpuid_policy.c
