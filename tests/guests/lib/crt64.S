/*
 * ELF64 guest entry (Keel's ABI, vm/guest_abi.h): 64-bit mode, RDI = boot
 * info GPA, RSI = KEEL_BOOT_MAGIC. Records the entry state in crt_entry,
 * moves to the runtime's own stack, zeroes .bss and calls
 * crt_start(info, magic). Keeps the loader's GDT (CS 0x08, DS 0x10).
 */
#include "tests/guests/lib/crt.h"

	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	mov	%rdi, crt_entry + CRT_ENTRY_INFO(%rip)
	mov	%rsi, crt_entry + CRT_ENTRY_MAGIC(%rip)
	mov	%rsp, crt_entry + CRT_ENTRY_SP(%rip)
	lea	crt_stack_top(%rip), %rsp
	pushfq
	popq	crt_entry + CRT_ENTRY_FLAGS(%rip)
	mov	%cs, %ax
	mov	%ax, crt_entry + CRT_ENTRY_CS(%rip)
	mov	%ds, %ax
	mov	%ax, crt_entry + CRT_ENTRY_DS(%rip)
	mov	%es, %ax
	mov	%ax, crt_entry + CRT_ENTRY_ES(%rip)
	mov	%ss, %ax
	mov	%ax, crt_entry + CRT_ENTRY_SS(%rip)

	cld
	lea	__bss_start(%rip), %rdi
	lea	__bss_end(%rip), %rcx
	sub	%rdi, %rcx
	xor	%eax, %eax
	rep stosb

	mov	crt_entry + CRT_ENTRY_INFO(%rip), %rdi
	mov	crt_entry + CRT_ENTRY_MAGIC(%rip), %rsi
	call	crt_start
	ud2

	.section .data
	.balign 8
	.globl crt_entry
crt_entry:
	.skip	CRT_ENTRY_SIZE

	.section .bss
	.balign 16
crt_stack:
	.skip	CRT_STACK_SIZE
crt_stack_top:

	.section .note.GNU-stack, "", @progbits
