/*
 * TLB invalidation for guests: INVEPT and INVVPID at the narrowest type the
 * CPU supports (IA32_VMX_EPT_VPID_CAP, SDM Vol. 3C 29.4.3.1 "Operations
 * that Invalidate Cached Mappings"), falling back to a wider one, and
 * counting which type ran. Every caller says at its call site why the
 * invalidation is needed there.
 */
#ifndef KEEL_VMX_INVALIDATE_H
#define KEEL_VMX_INVALIDATE_H

#include "lib/types.h"

struct inv_stats {
	u64 invept_single, invept_all;
	u64 invvpid_addr, invvpid_single, invvpid_single_globals, invvpid_all;
};

/* Invalidates mappings derived from one EPT (single-context, else all-context). */
void inv_ept(u64 eptp, struct inv_stats *st);
/* Invalidates one linear address of a VPID (individual-address, else wider). */
void inv_vpid_addr(u16 vpid, u64 la, struct inv_stats *st);
/* Invalidates everything tagged with a VPID (single-context, else all-context). */
void inv_vpid(u16 vpid, struct inv_stats *st);

#endif
