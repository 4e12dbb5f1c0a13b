/*
 * The start-up trampoline for the other CPUs (layout and data block in
 * arch/x86/ap_start.h). It is never run where it is linked: the boot CPU
 * copies [ap_start, ap_start_end) to a page P below 1 MiB, and a CPU sent
 * a STARTUP IPI for P starts at its first byte in real mode, CS = P >> 4,
 * IP = 0, interrupts off. Every address it uses is P-relative: the data
 * block, filled by arch/x86/smp.c, holds the far pointers and values.
 *   1. real mode: note it is alive, load the trampoline GDT, set CR0.PE;
 *   2. 32-bit: CR4.PAE, the temporary map, EFER.LME (+NXE), CR0.PG;
 *   3. 64-bit: the stack, the struct cpu and Keel's CR3 into registers,
 *      jump to ap_entry64 in Keel's image, which loads Keel's CR3 (its
 *      code is mapped executable there) and calls smp_ap_main.
 */
#include "arch/x86/ap_start.h"

#define CR0_PE		(1 << 0)
#define CR0_PG		(1 << 31)
#define CR4_PAE		(1 << 5)
#define MSR_EFER	0xC0000080

	.section .rodata.ap_start, "a"
	.balign 16
	.globl	ap_start, ap_start_end
	.code16
ap_start:
	cli
	cld
	mov	%cs, %ax
	mov	%ax, %ds
	movzwl	%ax, %ebx
	shl	$4, %ebx			/* ebx = P, kept to the end */
	movl	$1, AP_DATA + AP_ALIVE
	cmpl	$0, AP_DATA + AP_SILENT
	jne	ap_silent
	lgdtl	AP_DATA + AP_GDTR
	mov	%cr0, %eax
	or	$CR0_PE, %eax
	mov	%eax, %cr0
	ljmpl	*AP_DATA + AP_PM32

ap_silent:				/* test=smp-silent: never answer */
	hlt
	jmp	ap_silent

	.code32
ap_pm32:
	mov	$AP_SEL_DATA, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	%cr4, %eax
	or	$CR4_PAE, %eax
	mov	%eax, %cr4
	mov	AP_DATA + AP_CR3_TEMP(%ebx), %eax
	mov	%eax, %cr3
	mov	$MSR_EFER, %ecx
	rdmsr
	or	AP_DATA + AP_EFER(%ebx), %eax
	wrmsr
	mov	%cr0, %eax
	or	$(CR0_PG | CR0_PE), %eax
	mov	%eax, %cr0
	ljmpl	*AP_DATA + AP_LM64(%ebx)

	.code64
ap_lm64:
	mov	%ebx, %ebx			/* upper halves are undefined after the switch */
	mov	AP_DATA + AP_STACK(%rbx), %rsp
	mov	AP_DATA + AP_CPU(%rbx), %rdi
	mov	AP_DATA + AP_CR3(%rbx), %rdx
	mov	AP_DATA + AP_ENTRY(%rbx), %rax
	jmp	*%rax
ap_start_end:

	/* Offsets of the two far-jump targets, for smp.c to add P to. */
	.section .rodata
	.balign 4
	.globl	ap_start_pm32_off, ap_start_lm64_off
ap_start_pm32_off:
	.long	ap_pm32 - ap_start
ap_start_lm64_off:
	.long	ap_lm64 - ap_start

	/* In Keel's image, on the temporary map: Keel's tables, then C. */
	.text
	.globl	ap_entry64
ap_entry64:
	mov	%rdx, %cr3
	xor	%ebp, %ebp			/* terminates stack walks */
	call	smp_ap_main
1:	cli
	hlt
	jmp	1b

	.section .note.GNU-stack, "", @progbits
