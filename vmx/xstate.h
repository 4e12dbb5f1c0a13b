/*
 * A vCPU's x87/SSE/AVX state and DR0-DR3/DR6, switched between vCPUs
 * (vmx/xstate.c).
 */
#ifndef KEEL_VMX_XSTATE_H
#define KEEL_VMX_XSTATE_H

#include "lib/types.h"

struct vcpu;

/* Allocates the save area in the init state; false if out of memory. */
bool xstate_create(struct vcpu *v);
void xstate_destroy(struct vcpu *v);
/* With v's XCR0 loaded: saves the CPU's state into v / loads v's into the CPU. */
void xstate_save(struct vcpu *v);
void xstate_restore(const struct vcpu *v);
/*
 * The loaded vCPU's DR0-DR3, which are the CPU's own while it is loaded
 * (read in its exit handlers), and setting B3:B0 of its DR6 to hits.
 */
void xstate_read_dr0_3(u64 dr[4]);
void xstate_set_dr6_hits(u32 hits);

#endif
