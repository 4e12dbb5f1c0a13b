/*
 * VPIDs for vCPUs: allocation with the flush that must precede first use,
 * and the check run before every VM entry in debug builds.
 */
#ifndef KEEL_VMX_VPID_H
#define KEEL_VMX_VPID_H

#include "lib/types.h"
#include "vmx/invalidate.h"
#include "vmx/vpid_core.h"

/* True when guests run with VPIDs (CPU support and not vpid=off). */
bool vpid_enabled(void);
/* Decides VPID use once at boot, printing one line when they are off. */
void vpid_init(void);
/* A flushed VPID for owner (token != 0), counted in st; 0 if none is free. */
u16 vpid_assign(u32 owner, struct inv_stats *st);
void vpid_release(u16 vpid, u32 owner);

extern struct vpid_pool vpid_pool;
/* Panics: vpid is not owner's, or not flushed since it was assigned (vpid_entry_ok). */
__noreturn void vpid_check_failed(u16 vpid, const char *who);

/*
 * vpid_pool_entry_ok of the pool: the debug check before every VM entry
 * (vcpu_entry_ok, vmx/exit_fast.h), the fast exit's included, so inline
 * and without the lock (vpid_pool's comment says why).
 */
static inline bool vpid_entry_ok(u16 vpid, u32 owner)
{
	return vpid_pool_entry_ok(&vpid_pool, vpid, owner);
}

#endif
