/*
 * 32-bit exception stubs: as idt64.S, for protected mode. At the same
 * privilege level the CPU pushes EFLAGS, CS, EIP (and an error code for
 * vectors 8, 10-14, 17, 21, 29, 30), no SS:ESP; PUSHAD saves the rest.
 */
	.code32

	.macro	IDT_STUB vec
	.balign	16
idt_stub_\vec:
	.if	(\vec == 8) || ((\vec >= 10) && (\vec <= 14)) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushl	$0
	.endif
	pushl	$\vec
	jmp	idt_common
	.endm

	.macro	IDT_STUB_ADDR vec
	.long	idt_stub_\vec
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
	pushal
	mov	%esp, %eax
	push	%eax			/* trap_dispatch(frame) */
	cld
	call	trap_dispatch
	add	$4, %esp
	popal
	add	$8, %esp		/* vector, error code */
	iret

	.section .rodata
	.balign	4
	.globl	idt_stubs
idt_stubs:
	.set	vec, 0
	.rept	256
	IDT_STUB_ADDR %vec
	.set	vec, vec + 1
	.endr

	.section .note.GNU-stack, "", @progbits
