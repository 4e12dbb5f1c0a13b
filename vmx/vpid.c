/*
 * VPID assignment. A VPID handed to a new vCPU may still tag entries from
 * its previous owner: INVVPID single-context (or wider) flushes it before
 * the new owner's first VM entry. With test=skip-invvpid the flush is left
 * out on purpose so the debug check before VM entry must fire.
 */
#include "vmx/vpid.h"
#include "boot/options.h"
#include "lib/console.h"
#include "lib/panic.h"
#include "vmx/vmx.h"
#include "vmx/vpid_core.h"

/* Shared, boot CPU only: the VPID pool; later: VPID lock. */
static struct vpid_pool pool;
/* Shared, write-once at boot: vpid_init, before the first guest. */
static bool enabled;

bool vpid_enabled(void)
{
	return enabled;
}

void vpid_init(void)
{
	vpid_pool_init(&pool);
	enabled = vmx_caps.vpid && keel_opts.vpid;
	if (!enabled)
		pr_info("vmx: VPID off (%s): the CPU flushes guest TLB entries on every VM entry "
			"and exit",
			!keel_opts.vpid ? "vpid=off" : "not supported by this CPU");
}

u16 vpid_assign(u32 owner, struct inv_stats *st)
{
	u16 v;

	if (!enabled)
		return 0;
	v = vpid_pool_alloc(&pool, owner);
	if (!v)
		return 0;
	if (keel_opts.test != TEST_SKIP_INVVPID) {
		/* A new owner must not see translations tagged by the previous one. */
		inv_vpid(v, st);
		vpid_pool_flushed(&pool, v);
	}
	return v;
}

void vpid_release(u16 vpid, u32 owner)
{
	if (vpid)
		CHECK(vpid_pool_release(&pool, vpid, owner));
}

void vpid_check(u16 vpid, u32 owner, const char *who)
{
#ifndef NDEBUG
	if (vpid && !vpid_pool_ready(&pool, vpid, owner))
		panic("%s: VPID %u not owned by it or not flushed since it was assigned", who,
		      vpid);
#else
	(void)vpid;
	(void)owner;
	(void)who;
#endif
}
