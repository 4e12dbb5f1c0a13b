UNIT_SRCS_preemption_target :=
