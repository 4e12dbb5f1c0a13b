/*
 * 64-bit exception stubs: each pushes an error code where the CPU does not
 * (Intel SDM Vol. 3A 6.13, Table 6-1: vectors 8, 10-14, 17, 21, 29 and 30
 * push one) and its vector, so every frame has the shape of struct
 * trap_frame (trap.h); the common path saves the general registers, calls
 * trap_dispatch(frame) and returns with IRETQ to the frame's (maybe moved) RIP.
 */
	.code64

	.macro	IDT_STUB vec
	.balign	16
idt_stub_\vec:
	.if	(\vec == 8) || ((\vec >= 10) && (\vec <= 14)) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushq	$0
	.endif
	pushq	$\vec
	jmp	idt_common
	.endm

	.text
	.irp	vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	IDT_STUB \vec
	.endr

idt_common:
	push	%rax
	push	%rbx
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%rbp
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, %rdi
	cld
	call	trap_dispatch
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rbp
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rbx
	pop	%rax
	add	$16, %rsp		/* vector, error code */
	iretq

	.section .rodata
	.balign	8
	.globl	idt_stubs
idt_stubs:
	.irp	vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad	idt_stub_\vec
	.endr

	.section .note.GNU-stack, "", @progbits
