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
__noreturn void vpid_check_failed(u16 vpid, const char *who);

/*
 * Panics unless vpid is owned by owner and flushed since (debug builds).
 * Inline and without the lock (vpid_pool's comment says why): it runs
 * before every VM entry, the fast exit's included.
 */
static inline void vpid_check(u16 vpid, u32 owner, const char *who)
{
#ifndef NDEBUG
	if (vpid && !vpid_pool_ready(&vpid_pool, vpid, owner))
		vpid_check_failed(vpid, who);
#else
	(void)vpid;
	(void)owner;
	(void)who;
#endif
}

#endif
