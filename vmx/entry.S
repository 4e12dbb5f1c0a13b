/*
 * VM entry and the VM-exit stub.
 *
 * vmx_enter(regs, launched) saves Keel's callee-saved registers, points
 * HOST_RSP at its frame, loads the guest's registers and executes
 * VMLAUNCH/VMRESUME. Each VM exit arrives at vmx_exit (HOST_RIP) on that
 * same frame, in two steps:
 *
 * - The fast step stores the ten guest registers a C function may clobber
 *   or a fast handler may write (RAX, RCX, RDX, RBX, RSI, RDI, R8-R11) and
 *   calls vmx_exit_fast(regs) (vmx/vcpu.c). The guest's RBP and R12-R15
 *   are still in their registers, kept there by the C calling convention.
 *   1 means "handled, resume": the ten are reloaded and VMRESUME follows.
 * - Otherwise the other five are stored too, so regs holds every register:
 *   2 means "handled, back to the scheduler" (vmx_enter returns 0); 0
 *   means "not handled": vmx_exit_handler(regs) runs, and its non-zero
 *   answer resumes this guest with all fifteen reloaded, zero returns to
 *   the scheduler.
 *
 * A VM-entry instruction that fails returns 1 (VMfailInvalid) or 2
 * (VMfailValid) from vmx_enter.
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
	.globl	vmx_enter, vmx_exit, vmx_exit_floor
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

.macro EXIT_STUB fast
	push	%rdi			/* guest RDI; regs is now at 8(%rsp) */
	mov	8(%rsp), %rdi
	mov	%rax, R(GPR_RAX)(%rdi)
	mov	%rcx, R(GPR_RCX)(%rdi)
	mov	%rdx, R(GPR_RDX)(%rdi)
	mov	%rbx, R(GPR_RBX)(%rdi)
	mov	%rsi, R(GPR_RSI)(%rdi)
	mov	%r8, R(GPR_R8)(%rdi)
	mov	%r9, R(GPR_R9)(%rdi)
	mov	%r10, R(GPR_R10)(%rdi)
	mov	%r11, R(GPR_R11)(%rdi)
	popq	R(GPR_RDI)(%rdi)	/* the stack is 16-byte aligned again */
	call	\fast
	mov	(%rsp), %rdi
	cmp	$VMX_EXIT_RESUME, %eax
	jne	1f
	mov	R(GPR_RAX)(%rdi), %rax
	mov	R(GPR_RCX)(%rdi), %rcx
	mov	R(GPR_RDX)(%rdi), %rdx
	mov	R(GPR_RBX)(%rdi), %rbx
	mov	R(GPR_RSI)(%rdi), %rsi
	mov	R(GPR_R8)(%rdi), %r8
	mov	R(GPR_R9)(%rdi), %r9
	mov	R(GPR_R10)(%rdi), %r10
	mov	R(GPR_R11)(%rdi), %r11
	mov	R(GPR_RDI)(%rdi), %rdi
	vmresume
	jmp	fail
1:	/* RBP and R12-R15 still hold the guest's values */
	mov	%rbp, R(GPR_RBP)(%rdi)
	mov	%r12, R(GPR_R12)(%rdi)
	mov	%r13, R(GPR_R13)(%rdi)
	mov	%r14, R(GPR_R14)(%rdi)
	mov	%r15, R(GPR_R15)(%rdi)
	test	%eax, %eax		/* 2: handled, back to the scheduler */
	jnz	leave
	call	vmx_exit_handler
	mov	(%rsp), %rdi
	test	%eax, %eax
	jz	leave
	LOAD_GUEST
	vmresume
	jmp	fail
.endm

/* floor=on (vmx/vcpu.c, floor_handle): the same with the floor's handler first */
vmx_exit_floor:
	EXIT_STUB vmx_exit_floor_fast
vmx_exit:
	EXIT_STUB vmx_exit_fast

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
