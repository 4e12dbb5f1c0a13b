/*
 * XMM/YMM registers by number (arch/x86/vec_regs.h): one MOVDQU or
 * VMOVDQU per register, as the register is part of the instruction.
 * The assembler takes the vector register names even though the C code
 * around them is built with -mgeneral-regs-only: the compiler itself
 * never allocates them.
 */
#include "arch/x86/vec_regs.h"
#include "arch/x86/cpu.h"
#include "arch/x86/cr.h"

#define XCR0_SSE_AVX (BIT(1) | BIT(2)) /* SDM Vol. 1 13.3, Figure 13-1 */

/* One case per register: X(n) expands to the instruction for register n. */
#define VEC_CASES(X)                                                                               \
	X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)

#define XMM_ST(n)                                                                                  \
	case n:                                                                                    \
		__asm__ volatile("movdqu %%xmm" #n ", (%0)" : : "r"(buf) : "memory");              \
		break;
#define YMM_ST(n)                                                                                  \
	case n:                                                                                    \
		__asm__ volatile("vmovdqu %%ymm" #n ", (%0)" : : "r"(buf) : "memory");             \
		break;
#define XMM_LD(n)                                                                                  \
	case n:                                                                                    \
		__asm__ volatile("movdqu (%0), %%xmm" #n : : "r"(buf) : "memory");                 \
		break;
#define VXMM_LD(n)                                                                                 \
	case n:                                                                                    \
		__asm__ volatile("vmovdqu (%0), %%xmm" #n : : "r"(buf) : "memory");                \
		break;
#define YMM_LD(n)                                                                                  \
	case n:                                                                                    \
		__asm__ volatile("vmovdqu (%0), %%ymm" #n : : "r"(buf) : "memory");                \
		break;

static u64 xgetbv0(void)
{
	u32 lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((u64)hi << 32) | lo;
}

bool vec_regs_avx_enabled(void)
{
	return (read_cr4() & CR4_OSXSAVE) && (xgetbv0() & XCR0_SSE_AVX) == XCR0_SSE_AVX;
}

bool vec_regs_read(unsigned reg, unsigned size, u8 *buf)
{
	if (reg > 15 || (size == 32 && !vec_regs_avx_enabled()))
		return false;
	if (size == 32) {
		switch (reg) {
			VEC_CASES(YMM_ST)
		}
	} else {
		switch (reg) {
			VEC_CASES(XMM_ST)
		}
	}
	return true;
}

bool vec_regs_write(unsigned reg, unsigned size, bool vex, const u8 *buf)
{
	if (reg > 15 || ((vex || size == 32) && !vec_regs_avx_enabled()))
		return false;
	if (!vex) {
		switch (reg) {
			VEC_CASES(XMM_LD)
		}
	} else if (size == 32) {
		switch (reg) {
			VEC_CASES(YMM_LD)
		}
	} else {
		switch (reg) {
			VEC_CASES(VXMM_LD)
		}
	}
	return true;
}
