/*
 * Multiboot v1 guest entry (Multiboot 0.6.96, 3.2 "Machine state"): 32-bit
 * protected mode, paging off, EAX = 0x2BADB002, EBX = boot info address.
 * The specification lets GDTR be invalid, so this loads its own flat GDT
 * (code 0x08, data 0x10: the selectors Keel also uses) before touching a
 * segment register, then records the entry state in crt_entry, zeroes .bss
 * and calls crt_start(info, magic).
 */
#include "tests/guests/lib/crt.h"
#include "tests/guests/lib/multiboot1.h"

#define CRT_GDT_CS 0x08
#define CRT_GDT_DS 0x10
#define MB1_HEADER_FLAGS MB1_HEADER_MEMORY

	/* 3.1.1: within the first 8 KiB of the file, 4-byte aligned (guest.ld
	 * puts this section first). ELF image: no address fields (flag 16 clear). */
	.section .multiboot, "a"
	.balign 4
mb1_header:
	.long	MB1_HEADER_MAGIC
	.long	MB1_HEADER_FLAGS
	.long	-(MB1_HEADER_MAGIC + MB1_HEADER_FLAGS)

	.section .text.entry, "ax"
	.code32
	.globl _start
_start:
	mov	%ebx, crt_entry + CRT_ENTRY_INFO
	mov	%eax, crt_entry + CRT_ENTRY_MAGIC
	mov	%esp, crt_entry + CRT_ENTRY_SP
	mov	$crt_stack_top, %esp
	pushfl
	popl	crt_entry + CRT_ENTRY_FLAGS
	mov	%cs, %ax
	mov	%ax, crt_entry + CRT_ENTRY_CS
	mov	%ds, %ax
	mov	%ax, crt_entry + CRT_ENTRY_DS
	mov	%es, %ax
	mov	%ax, crt_entry + CRT_ENTRY_ES
	mov	%ss, %ax
	mov	%ax, crt_entry + CRT_ENTRY_SS

	lgdt	crt_gdt_ptr
	ljmp	$CRT_GDT_CS, $1f
1:	mov	$CRT_GDT_DS, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %fs
	mov	%ax, %gs
	mov	%ax, %ss

	cld
	mov	$__bss_start, %edi
	mov	$__bss_end, %ecx
	sub	%edi, %ecx
	xor	%eax, %eax
	rep stosb

	pushl	crt_entry + CRT_ENTRY_MAGIC
	pushl	crt_entry + CRT_ENTRY_INFO
	call	crt_start
	ud2

	/* Flat 4 GiB segments (Intel SDM Vol. 3A 3.4.5 "Segment Descriptors"):
	 * base 0, limit 0xFFFFF pages, G=1, D/B=1, P=1, DPL 0. */
	.section .rodata
	.balign 8
crt_gdt:
	.quad	0			/* null */
	.quad	0x00CF9A000000FFFF	/* 0x08: code, execute/read */
	.quad	0x00CF92000000FFFF	/* 0x10: data, read/write */
crt_gdt_end:
	.balign 4
	.word	0
crt_gdt_ptr:
	.word	crt_gdt_end - crt_gdt - 1
	.long	crt_gdt

	.section .data
	.balign 4
	.globl crt_entry
crt_entry:
	.skip	CRT_ENTRY_SIZE

	.section .bss
	.balign 16
crt_stack:
	.skip	CRT_STACK_SIZE
crt_stack_top:

	.section .note.GNU-stack, "", @progbits
