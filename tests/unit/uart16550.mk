UNIT_SRCS_uart16550 := dev/uart16550_core.c
