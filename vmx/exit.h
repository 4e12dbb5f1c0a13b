/*
 * VM-exit dispatch (CONTRIBUTING.md, Checks and errors): a bounds-checked
 * table of named handlers keyed by basic exit reason. A reason without a
 * handler ends the guest with a report; it never reaches Keel's own fault
 * path.
 */
#ifndef KEEL_VMX_EXIT_H
#define KEEL_VMX_EXIT_H

#include "lib/types.h"

struct vcpu;

/*
 * Handles the exit that just happened on v (its VMCS is current); injected
 * is the VM-entry interruption information Keel wrote for the entry that
 * led to it (0: none).
 */
void exit_dispatch(struct vcpu *v, u32 injected);

/* Handlers that live with their subsystem. */
void cpuid_handle_exit(struct vcpu *v);
void msr_handle_rdmsr(struct vcpu *v);
void msr_handle_wrmsr(struct vcpu *v);
void io_handle_exit(struct vcpu *v);
void hypercall_handle_exit(struct vcpu *v);
void ept_handle_violation(struct vcpu *v);
/* Page-modification log full (vm/ept_fault.c): emptied into the guest's dirty log. */
void pml_handle_full(struct vcpu *v);
void xsetbv_handle_exit(struct vcpu *v);

/*
 * The fast exit's handlers (vmx_exit_fast, vmx/vcpu.c; their common end
 * is vmx/exit_fast.h). exit_tsc and target: vmx_exit_fast's.
 */
/* CPUID with an answer in the memo. */
int cpuid_exit_fast(struct vcpu *v, u64 exit_tsc, u64 target);
/*
 * Its leaves the vCPU adds to (1, 0xB, 0x1F), from the memo slot m whose
 * leaf and subleaf match, the vCPU's IA32_MISC_ENABLE its reset value's
 * in CPUID's bits: vmx/entry.S's register-only tier calls it too.
 */
struct cpuid_memo;
int cpuid_exit_memo_vcpu(struct vcpu *v, const struct cpuid_memo *m, u64 exit_tsc, u64 target);
/* VMCALL KEEL_HC_NOP at CPL 0. */
int hypercall_exit_fast(struct vcpu *v, u64 exit_tsc, u64 target);
/* IN and OUT (not INS/OUTS). */
int io_exit_fast(struct vcpu *v, u64 exit_tsc, u64 target);
/* An EPT violation that is a first touch of RAM. */
int ept_exit_fast(struct vcpu *v, u64 exit_tsc, u64 target);

/* Ends the guest with the standard report for the current exit. */
void exit_report_unhandled(struct vcpu *v, const char *why);

#endif
