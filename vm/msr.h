/*
 * Guest MSR emulation (vm/msr.c; docs/platform-cpu.md has the table).
 * RDMSR/WRMSR exits go to the handlers declared in vmx/exit.h.
 */
#ifndef KEEL_VM_MSR_H
#define KEEL_VM_MSR_H

struct vcpu;

/* Machine-check banks a guest sees: IA32_MCG_CAP[7:0] (SDM Vol. 3B, 16.3.1.1). */
#define MSR_MC_BANKS 2

/*
 * Loads the CPU with the MSRs (and XCR0) of v that the VMCS does not
 * switch. The first load also sets v's emulated MSRs to their reset values.
 */
void msr_load_guest(struct vcpu *v);
/*
 * Before another vCPU is loaded: keeps what the guest changed on the CPU
 * without an exit (KERNEL_GS_BASE, through SWAPGS).
 */
void msr_save_guest(struct vcpu *v);
/* Sets XCR0 to every component a guest may enable (vmx/xstate.c saves them all). */
void xcr0_set_all(void);
/* Loads the guest XCR0 (vm/xsetbv.c). */
void xcr0_load(const struct vcpu *v);

#endif
