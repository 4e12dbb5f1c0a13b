/*
 * Which registers an instruction Keel emulates leaves as they were
 * (64-bit guests): REGKEEP_RUN runs insn with RAX-RDX from (and back
 * into) the caller's variables and RSI, RDI and R8-R15 set to patterns,
 * and gives how many of those ten came back changed. RSP and RBP stay
 * the compiler's.
 */
#ifndef KEEL_TESTS_GUESTS_LIB_REGKEEP_H
#define KEEL_TESTS_GUESTS_LIB_REGKEEP_H

#include "tests/guests/lib/guest.h"

#define REGKEEP_RUN(insn, rax, rbx, rcx, rdx)                                                      \
	({                                                                                         \
		register u64 rk_r8 __asm__("r8") = 0x0808080808080808ULL;                          \
		register u64 rk_r9 __asm__("r9") = 0x0909090909090909ULL;                          \
		register u64 rk_r10 __asm__("r10") = 0x1010101010101010ULL;                        \
		register u64 rk_r11 __asm__("r11") = 0x1111111111111111ULL;                        \
		register u64 rk_r12 __asm__("r12") = 0x1212121212121212ULL;                        \
		register u64 rk_r13 __asm__("r13") = 0x1313131313131313ULL;                        \
		register u64 rk_r14 __asm__("r14") = 0x1414141414141414ULL;                        \
		register u64 rk_r15 __asm__("r15") = 0x1515151515151515ULL;                        \
		u64 rk_rsi = 0x5151515151515151ULL, rk_rdi = 0xD1D1D1D1D1D1D1D1ULL;                \
                                                                                                   \
		__asm__ volatile(insn                                                              \
				 : "+a"(rax), "+b"(rbx), "+c"(rcx), "+d"(rdx), "+S"(rk_rsi),       \
				   "+D"(rk_rdi), "+r"(rk_r8), "+r"(rk_r9), "+r"(rk_r10),           \
				   "+r"(rk_r11), "+r"(rk_r12), "+r"(rk_r13), "+r"(rk_r14),         \
				   "+r"(rk_r15)                                                    \
				 :                                                                 \
				 : "memory", "cc");                                                \
		(u32)((rk_rsi != 0x5151515151515151ULL) + (rk_rdi != 0xD1D1D1D1D1D1D1D1ULL) +      \
		      (rk_r8 != 0x0808080808080808ULL) + (rk_r9 != 0x0909090909090909ULL) +        \
		      (rk_r10 != 0x1010101010101010ULL) + (rk_r11 != 0x1111111111111111ULL) +      \
		      (rk_r12 != 0x1212121212121212ULL) + (rk_r13 != 0x1313131313131313ULL) +      \
		      (rk_r14 != 0x1414141414141414ULL) + (rk_r15 != 0x1515151515151515ULL));      \
	})

#endif
