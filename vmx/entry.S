/*
 * VM entry and the VM-exit stub.
 *
 * vmx_enter(regs, launched) saves Keel's callee-saved registers, points
 * HOST_RSP at its frame, loads the guest's registers and executes
 * VMLAUNCH/VMRESUME. Each VM exit arrives at vmx_exit (HOST_RIP) on that
 * same frame: it stores the guest's registers and calls
 * vmx_exit_handler(regs). A non-zero answer means "resume this guest now":
 * the stub reloads the registers and executes VMRESUME without leaving the
 * frame (the common case: one C call per exit). Zero means "back to the
 * scheduler": vmx_enter returns 0. A VM-entry instruction that fails
 * returns 1 (VMfailInvalid) or 2 (VMfailValid) from vmx_enter.
 *
 * CR2 is not switched here: Keel takes no page faults while it runs, so the
 * guest's CR2 stays in the register; vcpu_load/vcpu_put move it when
 * another vCPU takes the CPU.
 */
#include "vmx/vcpu_regs.h"

#define VMCS_HOST_RSP 0x6C14
#define R(n) ((n) * 8)

/* Loads every guest register from regs in %rdi, %rdi last. Flags are kept. */
.macro LOAD_GUEST
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
.endm

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
	cmp	$0, %rsi		/* flags survive the MOVs below */
	LOAD_GUEST
	jne	1f
	vmlaunch
	jmp	fail
1:	vmresume
fail:	/* VMfailInvalid (CF=1) -> 1, VMfailValid (ZF=1) -> 2 */
	mov	$2, %eax
	mov	$1, %ecx
	cmovc	%ecx, %eax
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
	popq	R(GPR_RDI)(%rdi)	/* the stack is 16-byte aligned again */
	call	vmx_exit_handler
	mov	(%rsp), %rdi
	test	%eax, %eax
	jz	leave
	LOAD_GUEST
	vmresume
	jmp	fail
leave:
	xor	%eax, %eax
out:
	add	$8, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	ret

	.section .note.GNU-stack, "", @progbits
