/*
 * VM entry and the VM-exit stub. vmx_enter() saves Keel's callee-saved
 * registers, points HOST_RSP at its frame, loads the guest's registers and
 * executes VMLAUNCH/VMRESUME. A VM exit arrives at vmx_exit (HOST_RIP) on
 * that frame: it stores the guest's registers and returns 0 from vmx_enter.
 */
#include "vmx/vcpu_regs.h"

#define VMCS_HOST_RSP 0x6C14
#define VMCS_HOST_RIP 0x6C16
#define R(n) ((n) * 8)

	.text
	.globl	vmx_enter, vmx_exit
/* int vmx_enter(struct vcpu_regs *regs [rdi], u64 launched [rsi]) */
vmx_enter:
	push	%rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	push	%rdi			/* regs, for vmx_exit at 0(%rsp) */
	mov	$VMCS_HOST_RSP, %eax
	vmwrite	%rsp, %rax
	jbe	fail			/* CF or ZF: VMfailInvalid or VMfailValid */
	mov	VCPU_REGS_CR2(%rdi), %rax
	mov	%rax, %cr2
	cmp	$0, %rsi		/* flags survive the MOVs below */
	mov	R(GPR_RAX)(%rdi), %rax
	mov	R(GPR_RCX)(%rdi), %rcx
	mov	R(GPR_RDX)(%rdi), %rdx
	mov	R(GPR_RBX)(%rdi), %rbx
	mov	R(GPR_RBP)(%rdi), %rbp
	mov	R(GPR_RSI)(%rdi), %rsi
	mov	R(GPR_R8)(%rdi), %r8
	mov	R(GPR_R9)(%rdi), %r9
	mov	R(GPR_R10)(%rdi), %r10
	mov	R(GPR_R11)(%rdi), %r11
	mov	R(GPR_R12)(%rdi), %r12
	mov	R(GPR_R13)(%rdi), %r13
	mov	R(GPR_R14)(%rdi), %r14
	mov	R(GPR_R15)(%rdi), %r15
	mov	R(GPR_RDI)(%rdi), %rdi
	jne	1f
	vmlaunch
	jmp	fail
1:	vmresume
fail:	/* VMfailInvalid (CF=1) -> 1, VMfailValid (ZF=1) -> 2 */
	mov	$2, %eax
	mov	$1, %ecx
	cmovc	%ecx, %eax
	add	$8, %rsp
	jmp	out

vmx_exit:
	push	%rdi			/* guest RDI; regs is now at 8(%rsp) */
	mov	8(%rsp), %rdi
	mov	%rax, R(GPR_RAX)(%rdi)
	mov	%rcx, R(GPR_RCX)(%rdi)
	mov	%rdx, R(GPR_RDX)(%rdi)
	mov	%rbx, R(GPR_RBX)(%rdi)
	mov	%rbp, R(GPR_RBP)(%rdi)
	mov	%rsi, R(GPR_RSI)(%rdi)
	mov	%r8, R(GPR_R8)(%rdi)
	mov	%r9, R(GPR_R9)(%rdi)
	mov	%r10, R(GPR_R10)(%rdi)
	mov	%r11, R(GPR_R11)(%rdi)
	mov	%r12, R(GPR_R12)(%rdi)
	mov	%r13, R(GPR_R13)(%rdi)
	mov	%r14, R(GPR_R14)(%rdi)
	mov	%r15, R(GPR_R15)(%rdi)
	popq	R(GPR_RDI)(%rdi)
	mov	%cr2, %rax
	mov	%rax, VCPU_REGS_CR2(%rdi)
	add	$8, %rsp
	xor	%eax, %eax
out:
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	ret

	.section .note.GNU-stack, "", @progbits
