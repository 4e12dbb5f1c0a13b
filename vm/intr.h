/*
 * Event delivery to a vCPU (SDM Vol. 3C 27.6 "Event Injection", 26.7.5
 * "Interrupt-Window Exiting and Virtual-Interrupt Delivery", 26.7.6
 * "NMI-Window Exiting"): NMIs and external interrupts from the local APIC
 * and the 8259 are injected before a VM entry when the guest can take
 * them, or the matching window exit is requested so Keel gets control back
 * the moment it can. With virtual-interrupt delivery the CPU delivers the
 * APIC's interrupts itself (RVI); the 8259's still come through here.
 */
#ifndef KEEL_VM_INTR_H
#define KEEL_VM_INTR_H

#include "lib/types.h"

struct vcpu;

/* Something that may make an event deliverable changed: re-evaluate before the next entry. */
void intr_kick(struct vcpu *v);
/* An NMI for the vCPU (latched: a second one while one is pending is lost, as on hardware). */
void intr_raise_nmi(struct vcpu *v);
/*
 * Before each VM entry, with v's VMCS current: runs the guest's expired
 * timers, injects what can be delivered, requests the windows for what
 * cannot. Cheap when nothing changed.
 */
void intr_prepare_entry(struct vcpu *v);
/* True if a vCPU blocked in HLT (interrupts enabled) has an event to take. */
bool intr_wakeable(struct vcpu *v);

/* Exit handlers. */
void intr_window_handle_exit(struct vcpu *v);
void nmi_window_handle_exit(struct vcpu *v);
void tpr_below_threshold_handle_exit(struct vcpu *v);

#endif
