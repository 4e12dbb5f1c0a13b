/*
 * Guest MSR emulation (vm/msr.c). RDMSR/WRMSR exits go to the handlers
 * declared in vmx/exit.h.
 */
#ifndef KEEL_VM_MSR_H
#define KEEL_VM_MSR_H

struct vcpu;

/* Loads the CPU with the MSRs (and XCR0) of v that the VMCS does not switch. */
void msr_load_guest(const struct vcpu *v);
/* Loads the guest XCR0 (vm/xsetbv.c). */
void xcr0_load(const struct vcpu *v);

#endif
