/*
 * The 8254 programmable interval timer as wired in a PC (Intel 82C54 data
 * sheet; the PC/AT wiring: channel 0 to IRQ0, channel 2's gate and output
 * on port 0x61). Used by Keel's TSC calibration (arch/x86/tsc.c) on the
 * host's PIT and by the guests' model (dev/pit8254.c).
 */
#ifndef KEEL_ARCH_X86_PIT8254_H
#define KEEL_ARCH_X86_PIT8254_H

#include "lib/types.h"

#define PIT8254_HZ	 1193182ULL /* input clock: 14.31818 MHz / 12 */
#define PIT8254_CH0	 0x40
#define PIT8254_CH2	 0x42
#define PIT8254_CONTROL	 0x43
#define PIT8254_CHANNELS 3

/* Control word (82C54 "Control Word Format"): SC1 SC0 RW1 RW0 M2 M1 M0 BCD. */
#define PIT8254_CW_SC_SHIFT    6
#define PIT8254_CW_SC_READBACK 3
#define PIT8254_CW_RW_SHIFT    4
#define PIT8254_CW_RW_MASK     3
#define PIT8254_CW_M_SHIFT     1
#define PIT8254_CW_M_MASK      7
#define PIT8254_CW_BCD	       BIT(0)

/* Read/write (access) modes: RW1 RW0. */
#define PIT8254_RW_LATCH 0 /* the counter latch command */
#define PIT8254_RW_LSB	 1
#define PIT8254_RW_MSB	 2
#define PIT8254_RW_WORD	 3 /* least significant byte, then most significant */

/* Read-back command: 1 1 ~COUNT ~STATUS CNT2 CNT1 CNT0 0. */
#define PIT8254_RB_NO_COUNT  BIT(5)
#define PIT8254_RB_NO_STATUS BIT(4)
#define PIT8254_RB_CNT(n)    BIT(1 + (n))

/* Status byte: OUTPUT NULL_COUNT RW1 RW0 M2 M1 M0 BCD. */
#define PIT8254_ST_OUT	      BIT(7)
#define PIT8254_ST_NULL_COUNT BIT(6)

/* Port 0x61 (PC/AT "port B"): channel 2's gate and output. */
#define PIT8254_PORTB	      0x61
#define PIT8254_PORTB_GATE2   BIT(0)
#define PIT8254_PORTB_SPEAKER BIT(1)
#define PIT8254_PORTB_REFRESH BIT(4)
#define PIT8254_PORTB_OUT2    BIT(5)

#endif
