/*
 * VMX operation on this CPU: capability discovery (checked, not assumed),
 * VMXON, and the control values every VMCS is built from.
 */
#ifndef KEEL_VMX_VMX_H
#define KEEL_VMX_VMX_H

#include "lib/types.h"
#include "mm/addr.h"

/* What the CPU offers, read once from the VMX capability MSRs. */
struct vmx_caps {
	u64 basic;
	u64 misc;
	u64 ept_vpid;
	u64 cr0_fixed0, cr0_fixed1;
	u64 cr4_fixed0, cr4_fixed1;
	/* allowed-0 settings in bits 31:0, allowed-1 in 63:32 (TRUE MSRs where present) */
	u64 pin, proc, proc2, exit, entry;
	bool true_ctls;
	bool ept, ept_2m, ept_1g, ept_ad, execute_only;
	bool pml; /* page-modification logging (needs the EPT A/D flags) */
	bool unrestricted_guest;
	bool vpid;
	bool invept_single, invept_all;
	bool invvpid_addr, invvpid_single, invvpid_all, invvpid_retain_globals;
	bool preemption_timer;
	unsigned preemption_timer_shift; /* timer counts every 2^shift TSC ticks */
	bool activity_hlt;
	bool xsave;
	unsigned maxphyaddr;
	/*
	 * The CPU is Bochs' emulation, whose IDT-vectoring information can be
	 * stale after virtual-interrupt delivery (vmx/exit.c, the one place
	 * that works around it).
	 */
	bool bochs_vectoring;
};

/* What Keel's boot found out about the machine that VMX handling needs. */
struct vmx_platform {
	bool bochs; /* the Bochs emulator (ACPI OEM "BOCHS " and no hypervisor CPUID bit) */
};

extern struct vmx_caps vmx_caps;

/* Per-CPU VMX state. */
struct vmx_cpu {
	hpa_t vmxon_region;
	bool vmxon_region_ok; /* vmxon_region allocated (vmx_cpu_prepare) */
	bool in_root;
};

/*
 * Checks that this CPU can run Keel's guests, enables VMX (feature-control
 * MSR, CR0/CR4 fixed bits) and executes VMXON. On any missing requirement it
 * prints one line naming it and returns false; Keel then ends the run.
 */
bool vmx_init(const struct vmx_platform *p);

/*
 * A VM exit for an NMI (exit reason 0, NMI type): true if it was Keel's
 * kick (vmx.c, "Kicks by NMI"), with NMIs unblocked again; false for an
 * NMI Keel did not send.
 */
bool vmx_nmi_exit(void);
/* An NMI kick came since this CPU's last exit: the entry being prepared exits at once. */
void vmx_kick_taken(void);

/*
 * Allocates and stamps the VMXON region of CPU `index` (0: the boot CPU,
 * which vmx_init does itself). Boot CPU; false if there is no frame.
 */
bool vmx_cpu_prepare(unsigned index);

/*
 * On CPU `index` (> 0), after vmx_cpu_prepare: checks that this CPU has VMX,
 * that IA32_FEATURE_CONTROL allows it, and that its VMX capability MSRs are
 * the boot CPU's (Keel's controls and VMCSs are computed once, from the
 * boot CPU's), then enters VMX root operation. Prints nothing: on failure
 * it writes one line naming the condition to why and returns false.
 * fake_mismatch (test=smp-mismatch) makes this CPU's secondary controls
 * look different.
 */
bool vmx_cpu_enter(unsigned index, bool fake_mismatch, char *why, size_t len);

/*
 * A control value built from a capability MSR: every bit the CPU requires
 * (allowed-0) plus the wanted bits it permits (allowed-1). Bits in `required`
 * that the CPU does not permit are returned through *missing.
 */
u32 vmx_ctl(u64 cap, u32 wanted, u32 required, u32 *missing);

#endif
