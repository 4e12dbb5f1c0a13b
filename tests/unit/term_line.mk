UNIT_SRCS_term_line := lib/term_line.c
