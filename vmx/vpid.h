/*
 * VPIDs for vCPUs: allocation with the flush that must precede first use,
 * and the check run before every VM entry in debug builds.
 */
#ifndef KEEL_VMX_VPID_H
#define KEEL_VMX_VPID_H

#include "lib/types.h"
#include "vmx/invalidate.h"

/* True when guests run with VPIDs (CPU support and not vpid=off). */
bool vpid_enabled(void);
/* Decides VPID use once at boot, printing one line when they are off. */
void vpid_init(void);
/* A flushed VPID for owner (token != 0), counted in st; 0 if none is free. */
u16 vpid_assign(u32 owner, struct inv_stats *st);
void vpid_release(u16 vpid, u32 owner);
/* Panics unless vpid is owned by owner and flushed since (debug builds). */
void vpid_check(u16 vpid, u32 owner, const char *who);

#endif
