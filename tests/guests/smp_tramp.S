/*
 * The AP trampoline of the guests that start APs (smp_tramp.h has the
 * page's layout). The BSP (smp_boot.c, smp_start_aps) copies
 * smp_tramp_start..smp_tramp_end to SMP_TRAMP_BASE and sends STARTUP IPIs
 * with vector SMP_TRAMP_VECTOR; an AP starts here in real mode with
 * CS.base = SMP_TRAMP_BASE, IP = 0, interrupts off. It climbs
 * to 64-bit mode as SDM Vol. 3A 9.9.1 "Switching to Protected Mode" and
 * 9.8.5 "Initializing IA-32e Mode" describe, onto Keel's identity page
 * tables (the BSP's CR3, passed in smp_tramp_cr3), then calls
 * ap_main(index) on its own stack.
 *
 * The bytes run at SMP_TRAMP_BASE, not where they are linked: every
 * absolute address is TRAMP(label), and the only relative jumps stay
 * inside the page.
 */
#include "tests/guests/smp_tramp.h"

#define TRAMP(label) (SMP_TRAMP_BASE + ((label) - smp_tramp_start))

	.section .rodata.smp_tramp, "a"
	.balign	16
	.globl	smp_tramp_start
	.code16
smp_tramp_start:
	cli
	cld
	lgdtl	%cs:(tramp_gdtr - smp_tramp_start)
	mov	$SMP_TRAMP_CR0_PROT, %eax
	mov	%eax, %cr0
	ljmpl	$SMP_TRAMP_CS32, $TRAMP(tramp_32)

	.code32
tramp_32:
	mov	$SMP_TRAMP_DS, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %fs
	mov	%ax, %gs
	mov	%ax, %ss
	mov	%cr4, %eax
	or	$SMP_TRAMP_CR4_PAE, %eax
	mov	%eax, %cr4
	mov	TRAMP(smp_tramp_cr3), %eax
	mov	%eax, %cr3
	mov	$SMP_TRAMP_MSR_EFER, %ecx
	rdmsr
	or	$SMP_TRAMP_EFER_LME, %eax
	wrmsr
	mov	$SMP_TRAMP_CR0_LONG, %eax
	mov	%eax, %cr0		/* IA-32e mode, compatibility mode until the jump */
	ljmpl	$SMP_TRAMP_CS64, $TRAMP(tramp_64)

	.code64
tramp_64:
	mov	$1, %eax
	cpuid
	shr	$24, %ebx		/* index: the initial APIC ID */
	cmp	$SMP_MAX_VCPUS, %ebx
	jae	tramp_park
	lea	1(%rbx), %eax
	imul	$SMP_AP_STACK_SIZE, %eax, %eax
	movabs	$smp_ap_stacks, %rsp
	add	%rax, %rsp		/* the top of smp_ap_stacks[index] */
	mov	%ebx, %edi
	movabs	$ap_main, %rax		/* absolute: this code does not run where it is linked */
	call	*%rax
tramp_park:
	cli
	hlt
	jmp	tramp_park

	.balign	8
tramp_gdt:
	.quad	0
	.quad	0x00AF9A000000FFFF	/* 0x08: 64-bit code (L = 1), DPL 0 */
	.quad	0x00CF92000000FFFF	/* 0x10: data, flat 4 GiB, writable */
	.quad	0x00CF9A000000FFFF	/* 0x18: 32-bit code, flat 4 GiB */
tramp_gdt_end:
tramp_gdtr:
	.word	tramp_gdt_end - tramp_gdt - 1
	.long	TRAMP(tramp_gdt)

	.balign	4
	.globl	smp_tramp_cr3
smp_tramp_cr3:
	.long	0			/* the BSP's CR3 (below 4 GiB) */
	.globl	smp_tramp_end
smp_tramp_end:

	.section .note.GNU-stack, "", @progbits
