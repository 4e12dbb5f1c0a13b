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
void xsetbv_handle_exit(struct vcpu *v);

/* Ends the guest with the standard report for the current exit. */
void exit_report_unhandled(struct vcpu *v, const char *why);

#endif
