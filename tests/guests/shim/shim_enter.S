/*
 * shim_enter(entry): from 32-bit protected mode into Keel's ELF64 entry
 * state (vm/guest_abi.h, via shim.h), then a jump to entry. The shim has already built
 * the GDT at SHIM_GDT_GPA and the page tables at SHIM_PT_GPA.
 * Intel SDM Vol. 3A 10.8.5 "Initializing IA-32e Mode": PAE, CR3, EFER.LME,
 * then CR0.PG; a far jump into the 64-bit code segment.
 */
#include "tests/guests/shim/shim.h"

	.text
	.code32
	.globl	shim_enter
shim_enter:
	cli
	mov	4(%esp), %ebx
	lgdt	shim_gdtr
	lidt	shim_idtr
	mov	$SHIM_CR4, %eax
	mov	%eax, %cr4
	mov	$SHIM_PT_GPA, %eax
	mov	%eax, %cr3
	mov	$SHIM_MSR_EFER, %ecx
	xor	%edx, %edx
	mov	$SHIM_EFER, %eax
	wrmsr
	mov	$SHIM_CR0, %eax
	mov	%eax, %cr0
	ljmp	$SHIM_CS64, $shim_long

	.code64
shim_long:
	mov	$SHIM_DS, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	%ax, %fs
	mov	%ax, %gs
	mov	$SHIM_STACK_TOP, %esp
	pushq	$2
	popfq
	mov	$SHIM_BOOT_INFO_GPA, %edi
	mov	$SHIM_BOOT_MAGIC, %esi
	mov	%ebx, %eax		/* zero-extends: the upper halves are undefined */
	jmp	*%rax

	.section .rodata
	.balign	4
	.word	0
shim_gdtr:
	.word	3 * 8 - 1
	.long	SHIM_GDT_GPA
	.word	0
shim_idtr:				/* no IDT: as a guest starts under Keel */
	.word	0
	.long	0

	.section .note.GNU-stack, "", @progbits
