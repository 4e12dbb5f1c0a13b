/*
 * The CPU's own XMM/YMM registers, read and written by number. Keel is
 * built with -mgeneral-regs-only and never holds anything in them, so
 * while a vCPU is loaded they hold its guest's values (vmx/xstate.c);
 * the MMIO emulation of the vector moves (vm/emulate_sse.c) reaches
 * them through these.
 */
#ifndef KEEL_ARCH_X86_VEC_REGS_H
#define KEEL_ARCH_X86_VEC_REGS_H

#include "lib/types.h"

/* CR4.OSXSAVE and XCR0.SSE and XCR0.AVX set now: the YMM registers can be used. */
bool vec_regs_avx_enabled(void);
/* Copies the low `size` (16 or 32) bytes of register reg (0-15) into buf. False: size 32
 * without vec_regs_avx_enabled(). */
bool vec_regs_read(unsigned reg, unsigned size, u8 *buf);
/*
 * Loads buf into register reg: size 16 without vex, the low 128 bits with
 * a legacy MOVDQU (the bits above kept); with vex, a VEX.128 or VEX.256
 * VMOVDQU of `size` bytes, which zeroes everything above them. False: vex
 * without vec_regs_avx_enabled().
 */
bool vec_regs_write(unsigned reg, unsigned size, bool vex, const u8 *buf);

#endif
