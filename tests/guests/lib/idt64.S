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

	.macro	IDT_STUB_ADDR vec
	.quad	idt_stub_\vec
	.endm

	/* Vectors 0-255: exceptions, then interrupts (trap_set_handler()). */
	.altmacro
	.text
	.set	vec, 0
	.rept	256
	IDT_STUB %vec
	.set	vec, vec + 1
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
	.set	vec, 0
	.rept	256
	IDT_STUB_ADDR %vec
	.set	vec, vec + 1
	.endr

	.section .note.GNU-stack, "", @progbits
