/*
 * VPID ownership (pure; host-tested). VPIDs 1..65535 tag guest TLB entries;
 * 0 is Keel's own and never handed out. A VPID has at most one owner. It
 * is given to a new owner only together with the duty to flush it (INVVPID
 * single-context) before first use, and the owner may run only once that
 * flush is recorded (seL4's findFreeVPID discipline).
 */
#ifndef KEEL_VMX_VPID_CORE_H
#define KEEL_VMX_VPID_CORE_H

#include "lib/types.h"

#define VPID_MAX   65535
#define VPID_COUNT (VPID_MAX + 1)

struct vpid_pool {
	u32 owner[VPID_COUNT]; /* 0: free; else the owner's token */
	/* its owner's token once flushed since the owner got it, else 0 (vpid_pool_ready) */
	u32 ready[VPID_COUNT];
	u32 live;
	u16 next; /* where the next search starts (round-robin reuse) */
};

void vpid_pool_init(struct vpid_pool *p);
/*
 * Gives a free VPID to owner (token != 0); 0 when all are taken. The VPID
 * is not yet flushed: the caller flushes it, then calls vpid_pool_flushed.
 */
u16 vpid_pool_alloc(struct vpid_pool *p, u32 owner);
void vpid_pool_flushed(struct vpid_pool *p, u16 vpid);
/* Takes the VPID back from owner; false if owner does not hold it. */
bool vpid_pool_release(struct vpid_pool *p, u16 vpid, u32 owner);
/* True if vpid is held by owner and was flushed since it was given out. */
static inline bool vpid_pool_ready(const struct vpid_pool *p, u16 vpid, u32 owner)
{
	return vpid != 0 && owner != 0 && p->ready[vpid] == owner;
}

/*
 * What an entry of owner's vCPU with vpid asks (vpid.h, vpid_entry_ok):
 * vpid_pool_ready, or vpid 0 (VPIDs are off). One compare in the common
 * case, for owner != 0 (vpid_pool_alloc takes no other): VPID 0 is never
 * given out, so ready[0] stays 0, matches no owner, and VPID 0 takes the
 * second test.
 */
static inline bool vpid_pool_entry_ok(const struct vpid_pool *p, u16 vpid, u32 owner)
{
	return p->ready[vpid] == owner || vpid == 0;
}

#endif
