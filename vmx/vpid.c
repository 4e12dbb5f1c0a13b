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
#include "lib/spinlock.h"
#include "arch/x86/percpu.h"
#include "vmx/vmx.h"
#include "vmx/vpid_core.h"

/* Shared, atomic: the VPID lock, which guards the pool below. */
static struct spinlock vpid_lock = SPINLOCK_INIT("vpid");
/*
 * vpid_entry_ok (vpid.h) reads one entry without the lock: that entry changes
 * hands only by its own vCPU's assign and release, never while the vCPU
 * runs; other VPIDs' entries are not read.
 */
/* Shared, lock vpid: the VPID pool (owners, and which were flushed since assigned). */
struct vpid_pool vpid_pool;
/* Shared, write-once at boot: vpid_init, before the first guest. */
static bool enabled;

bool vpid_enabled(void)
{
	return enabled;
}

void vpid_init(void)
{
	vpid_pool_init(&vpid_pool);
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
	spin_lock(&vpid_lock, cpu_lock_token());
	v = vpid_pool_alloc(&vpid_pool, owner);
	if (v && keel_opts.test != TEST_SKIP_INVVPID) {
		/*
		 * A new owner must not see translations tagged by the previous
		 * one: flushed here, on this CPU; a vCPU flushes its VPID again
		 * on each other CPU it first runs on (vcpu_load).
		 */
		inv_vpid(v, st);
		vpid_pool_flushed(&vpid_pool, v);
	}
	spin_unlock(&vpid_lock);
	return v;
}

void vpid_release(u16 vpid, u32 owner)
{
	bool ok;

	if (!vpid)
		return;
	spin_lock(&vpid_lock, cpu_lock_token());
	ok = vpid_pool_release(&vpid_pool, vpid, owner);
	spin_unlock(&vpid_lock);
	CHECK(ok);
}

void vpid_check_failed(u16 vpid, const char *who)
{
	panic("%s: VPID %u not owned by it or not flushed since it was assigned", who, vpid);
}
