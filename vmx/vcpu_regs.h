/*
 * The guest registers the VM-exit stub saves (everything the VMCS does not
 * hold). Indexed by the SDM's register numbering (Vol. 3C Table 28-3: 0=RAX,
 * 1=RCX, 2=RDX, 3=RBX, 4=RSP, 5=RBP, 6=RSI, 7=RDI, 8-15=R8-R15), so exit
 * qualifications that name a register index gpr[] directly. Shared with
 * vmx/entry.S: offsets are these constants times 8, checked in vcpu.c.
 */
#ifndef KEEL_VMX_VCPU_REGS_H
#define KEEL_VMX_VCPU_REGS_H

#define GPR_RAX	       0
#define GPR_RCX	       1
#define GPR_RDX	       2
#define GPR_RBX	       3
#define GPR_RSP	       4 /* not used: guest RSP lives in the VMCS */
#define GPR_RBP	       5
#define GPR_RSI	       6
#define GPR_RDI	       7
#define GPR_R8	       8
#define GPR_R9	       9
#define GPR_R10	       10
#define GPR_R11	       11
#define GPR_R12	       12
#define GPR_R13	       13
#define GPR_R14	       14
#define GPR_R15	       15
#define GPR_COUNT      16
#define VCPU_REGS_CR2  (GPR_COUNT * 8)
#define VCPU_REGS_SIZE (VCPU_REGS_CR2 + 8)

/* vmx_exit_fast's answers to vmx/entry.S. */
#define VMX_EXIT_SLOW	0 /* not handled: the full path (vmx_exit_handler) takes it */
#define VMX_EXIT_RESUME 1 /* handled: resume the guest */
#define VMX_EXIT_LEAVE	2 /* handled: back to the scheduler */

#ifndef __ASSEMBLER__
#include "lib/types.h"

struct vcpu_regs {
	u64 gpr[GPR_COUNT];
	u64 cr2;
};

_Static_assert(sizeof(struct vcpu_regs) == VCPU_REGS_SIZE, "entry.S layout");
_Static_assert(__builtin_offsetof(struct vcpu_regs, cr2) == VCPU_REGS_CR2, "entry.S layout");

/*
 * Enters the guest whose VMCS is current: VMLAUNCH if !launched, else
 * VMRESUME, and stays in it while vmx_exit_handler answers non-zero for
 * each exit. Returns 0 once it answers zero, or the enum vmx_status of a
 * VM-entry instruction that failed (the registers are then as they were).
 */
int vmx_enter(struct vcpu_regs *regs, u64 launched);
/*
 * Called by vmx/entry.S for every VM exit with the guest's registers saved
 * in *regs: handles the exit; non-zero resumes the guest at once.
 */
int vmx_exit_handler(struct vcpu_regs *regs);
/*
 * Called by vmx/entry.S for every exit its register-only tier does not
 * take, with RAX, RCX, RDX, RBX, RSI, RDI and R8-R11 saved and the exit
 * reason read (a 32-bit field: zero-extended): VMX_EXIT_SLOW,
 * VMX_EXIT_RESUME or VMX_EXIT_LEAVE. With floor=on vmx_exit_floor_fast
 * takes every exit first, reading the reason itself.
 */
int vmx_exit_fast(struct vcpu_regs *regs, u64 reason);
int vmx_exit_floor_fast(struct vcpu_regs *regs);
#endif

#endif
