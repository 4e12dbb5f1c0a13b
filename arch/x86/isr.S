/*
 * Exception and interrupt entry stubs. Stub N (at isr_stubs + N *
 * ISR_STUB_SIZE) pushes a 0 error code where the CPU pushes none, then its
 * vector, and jumps to isr_common, which saves the general registers into a
 * struct exception_frame (arch/x86/exception.h) and calls
 * exception_dispatch(frame). Should it return, the registers are restored
 * and IRETQ resumes the interrupted code.
 */
#include "arch/x86/exception.h"

	.section .text
	.balign	ISR_STUB_SIZE
	.globl	isr_stubs
isr_stubs:
	.set	vector, 0
	.rept	EXC_VECTOR_COUNT
1:
	.if	vector >= 32
	pushq	$0
	.elseif	((EXC_ERROR_CODE_MASK >> vector) & 1) == 0
	pushq	$0
	.endif
	pushq	$vector
	jmp	isr_common
	.org	1b + ISR_STUB_SIZE, 0xCC	/* an error here: a stub outgrew its slot */
	.set	vector, vector + 1
	.endr

isr_common:
	cld
	sub	$EXC_FRAME_GPRS_SIZE, %rsp
	mov	%rax, EXC_FRAME_RAX(%rsp)
	mov	%rbx, EXC_FRAME_RBX(%rsp)
	mov	%rcx, EXC_FRAME_RCX(%rsp)
	mov	%rdx, EXC_FRAME_RDX(%rsp)
	mov	%rsi, EXC_FRAME_RSI(%rsp)
	mov	%rdi, EXC_FRAME_RDI(%rsp)
	mov	%rbp, EXC_FRAME_RBP(%rsp)
	mov	%r8, EXC_FRAME_R8(%rsp)
	mov	%r9, EXC_FRAME_R9(%rsp)
	mov	%r10, EXC_FRAME_R10(%rsp)
	mov	%r11, EXC_FRAME_R11(%rsp)
	mov	%r12, EXC_FRAME_R12(%rsp)
	mov	%r13, EXC_FRAME_R13(%rsp)
	mov	%r14, EXC_FRAME_R14(%rsp)
	mov	%r15, EXC_FRAME_R15(%rsp)
	mov	%rsp, %rdi
	call	exception_dispatch
	mov	EXC_FRAME_RAX(%rsp), %rax
	mov	EXC_FRAME_RBX(%rsp), %rbx
	mov	EXC_FRAME_RCX(%rsp), %rcx
	mov	EXC_FRAME_RDX(%rsp), %rdx
	mov	EXC_FRAME_RSI(%rsp), %rsi
	mov	EXC_FRAME_RDI(%rsp), %rdi
	mov	EXC_FRAME_RBP(%rsp), %rbp
	mov	EXC_FRAME_R8(%rsp), %r8
	mov	EXC_FRAME_R9(%rsp), %r9
	mov	EXC_FRAME_R10(%rsp), %r10
	mov	EXC_FRAME_R11(%rsp), %r11
	mov	EXC_FRAME_R12(%rsp), %r12
	mov	EXC_FRAME_R13(%rsp), %r13
	mov	EXC_FRAME_R14(%rsp), %r14
	mov	EXC_FRAME_R15(%rsp), %r15
	add	$EXC_FRAME_RIP, %rsp	/* drop the registers, vector and error code */
	iretq

	.section .note.GNU-stack, "", @progbits
