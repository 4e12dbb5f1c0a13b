UNIT_SRCS_sample := tests/guests/lib/sample.c
