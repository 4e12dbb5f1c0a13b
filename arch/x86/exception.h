/*
 * Exceptions and interrupts taken by Keel itself (Intel SDM Vol. 3A, 6.3
 * "Sources of Interrupts", Table 6-1 "Protected-Mode Exceptions and
 * Interrupts", and 6.14.2 "64-Bit Mode Stack Frame").
 *
 * Every vector enters through a stub in isr.S that builds a struct
 * exception_frame on the stack and calls exception_dispatch(). Keel expects
 * no exception and no interrupt: each one is reported as a Keel fault and
 * ends the run. This header is shared with isr.S, so the frame offsets are
 * plain macros, each checked against the struct below.
 *
 *   high  ss, rsp, rflags, cs, rip  pushed by the CPU
 *         error_code                by the CPU, or 0 by the stub
 *         vector                    by the stub
 *   low   rax ... r15               by isr_common
 */
#ifndef KEEL_ARCH_X86_EXCEPTION_H
#define KEEL_ARCH_X86_EXCEPTION_H

/* Vectors (Table 6-1). 22-31 are reserved; 32-255 are interrupts. */
#define EXC_DE		    0
#define EXC_DB		    1
#define EXC_NMI		    2
#define EXC_BP		    3
#define EXC_OF		    4
#define EXC_BR		    5
#define EXC_UD		    6
#define EXC_NM		    7
#define EXC_DF		    8
#define EXC_TS		    10
#define EXC_NP		    11
#define EXC_SS		    12
#define EXC_GP		    13
#define EXC_PF		    14
#define EXC_MF		    16
#define EXC_AC		    17
#define EXC_MC		    18
#define EXC_XM		    19
#define EXC_VE		    20
#define EXC_CP		    21
#define EXC_FIRST_INTERRUPT 32
#define EXC_VECTOR_COUNT    256

/* The exceptions for which the CPU pushes an error code (Table 6-1). */
#define EXC_ERROR_CODE_MASK                                                                        \
	((1 << EXC_DF) | (1 << EXC_TS) | (1 << EXC_NP) | (1 << EXC_SS) | (1 << EXC_GP) |           \
	 (1 << EXC_PF) | (1 << EXC_AC) | (1 << EXC_CP))

/* Each entry stub in isr.S is padded to this size; the IDT indexes by it. */
#define ISR_STUB_SIZE 16

/* Byte offsets in struct exception_frame (used by isr.S). */
#define EXC_FRAME_R15	     (0 * 8)
#define EXC_FRAME_R14	     (1 * 8)
#define EXC_FRAME_R13	     (2 * 8)
#define EXC_FRAME_R12	     (3 * 8)
#define EXC_FRAME_R11	     (4 * 8)
#define EXC_FRAME_R10	     (5 * 8)
#define EXC_FRAME_R9	     (6 * 8)
#define EXC_FRAME_R8	     (7 * 8)
#define EXC_FRAME_RBP	     (8 * 8)
#define EXC_FRAME_RDI	     (9 * 8)
#define EXC_FRAME_RSI	     (10 * 8)
#define EXC_FRAME_RDX	     (11 * 8)
#define EXC_FRAME_RCX	     (12 * 8)
#define EXC_FRAME_RBX	     (13 * 8)
#define EXC_FRAME_RAX	     (14 * 8)
#define EXC_FRAME_GPRS_SIZE  (15 * 8)
#define EXC_FRAME_VECTOR     (15 * 8)
#define EXC_FRAME_ERROR_CODE (16 * 8)
#define EXC_FRAME_RIP	     (17 * 8)
#define EXC_FRAME_SIZE	     (22 * 8)

#ifndef __ASSEMBLER__
#include "lib/types.h"

struct exception_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector;
	u64 error_code;
	/* 6.14.2: pushed by the CPU in 64-bit mode, whatever the CPL. */
	u64 rip, cs, rflags, rsp, ss;
};

#define EXC_FRAME_CHECK(field, off)                                                                \
	_Static_assert(offsetof(struct exception_frame, field) == (off), #off)
EXC_FRAME_CHECK(r15, EXC_FRAME_R15);
EXC_FRAME_CHECK(r14, EXC_FRAME_R14);
EXC_FRAME_CHECK(r13, EXC_FRAME_R13);
EXC_FRAME_CHECK(r12, EXC_FRAME_R12);
EXC_FRAME_CHECK(r11, EXC_FRAME_R11);
EXC_FRAME_CHECK(r10, EXC_FRAME_R10);
EXC_FRAME_CHECK(r9, EXC_FRAME_R9);
EXC_FRAME_CHECK(r8, EXC_FRAME_R8);
EXC_FRAME_CHECK(rbp, EXC_FRAME_RBP);
EXC_FRAME_CHECK(rdi, EXC_FRAME_RDI);
EXC_FRAME_CHECK(rsi, EXC_FRAME_RSI);
EXC_FRAME_CHECK(rdx, EXC_FRAME_RDX);
EXC_FRAME_CHECK(rcx, EXC_FRAME_RCX);
EXC_FRAME_CHECK(rbx, EXC_FRAME_RBX);
EXC_FRAME_CHECK(rax, EXC_FRAME_RAX);
EXC_FRAME_CHECK(vector, EXC_FRAME_VECTOR);
EXC_FRAME_CHECK(error_code, EXC_FRAME_ERROR_CODE);
EXC_FRAME_CHECK(rip, EXC_FRAME_RIP);
#undef EXC_FRAME_CHECK
_Static_assert(sizeof(struct exception_frame) == EXC_FRAME_SIZE, "frame size");
/* The CPU aligns RSP to 16 before pushing (6.14.2); the frame keeps it so at the call. */
_Static_assert(EXC_FRAME_SIZE % 16 == 0, "frame keeps the stack 16-byte aligned");

/*
 * Called by isr.S with the frame of any vector. Reports it as a Keel fault
 * (exception.c) and ends the run; a fault while reporting stops at once.
 * Would return (and isr.S resume the interrupted code) only for a vector a
 * handler had dealt with: there are none yet.
 */
void exception_dispatch(struct exception_frame *f);

/* Names from Table 6-1, pure (exception_decode.c): "#UD invalid opcode". */
void exception_decode_name(u64 vector, char *buf, size_t len);
/* "write to a present page, supervisor, data" from a #PF error code (6.15). */
void exception_decode_pf(u64 error_code, char *buf, size_t len);
#endif

#endif
