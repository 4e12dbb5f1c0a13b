/*
 * VMCS construction and the pages all VMCSs share.
 */
#ifndef KEEL_VMX_VMCS_H
#define KEEL_VMX_VMCS_H

#include "mm/addr.h"
#include "vmx/vcpu.h"

/* Fills the current VMCS for v: controls, host state, guest boot state. */
bool vmcs_setup(struct vcpu *v, const struct vcpu_boot_state *bs);
/*
 * The guest state of an AP a STARTUP IPI starts (SDM Vol. 3A 10.1, Table
 * 10-1, and 8.4.4): real mode at CS = vector << 8, IP 0, CR0 0x60000010,
 * EFER 0, the general registers 0 but EDX (the CPU's signature). v's VMCS
 * is current; needs unrestricted guest, which Keel requires.
 */
void vmcs_start_at_sipi(struct vcpu *v, u8 vector);
/* Writes this CPU's own host fields (GDT, TSS, IDT, FS and GS bases) into the current VMCS. */
void vmcs_host_cpu_state(void);

/*
 * The shared I/O bitmaps (every port exits: device models decide) and MSR
 * bitmap (every MSR exits except those the VMCS itself switches). Built
 * once by vmcs_bitmaps_init; read-only afterwards.
 */
bool vmcs_bitmaps_init(void);
hpa_t vmcs_io_bitmap(unsigned which);
hpa_t vmcs_msr_bitmap(void);

/* Prints the guest-state fields the VM-entry checks look at (SDM 27.3.1). */
void vmcs_dump_guest_state(void);

#endif
