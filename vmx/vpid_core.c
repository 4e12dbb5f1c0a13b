/*
 * VPID pool (see vpid_core.h). The search for a free VPID starts after the
 * last one handed out, so a released VPID is reused as late as possible.
 */
#include "vmx/vpid_core.h"

static void set_flushed(struct vpid_pool *p, u16 v, bool on)
{
	p->ready[v] = on ? p->owner[v] : 0;
}

void vpid_pool_init(struct vpid_pool *p)
{
	for (u32 i = 0; i < VPID_COUNT; i++) {
		p->owner[i] = 0;
		p->ready[i] = 0;
	}
	p->live = 0;
	p->next = 1;
}

u16 vpid_pool_alloc(struct vpid_pool *p, u32 owner)
{
	if (owner == 0 || p->live == VPID_MAX)
		return 0;
	for (u32 n = 0; n < VPID_MAX; n++) {
		u16 v = (u16)(((p->next - 1 + n) % VPID_MAX) + 1);

		if (p->owner[v])
			continue;
		p->owner[v] = owner;
		set_flushed(p, v, false);
		p->live++;
		p->next = (u16)(v % VPID_MAX + 1);
		return v;
	}
	return 0;
}

void vpid_pool_flushed(struct vpid_pool *p, u16 vpid)
{
	if (vpid && p->owner[vpid])
		set_flushed(p, vpid, true);
}

bool vpid_pool_release(struct vpid_pool *p, u16 vpid, u32 owner)
{
	if (vpid == 0 || owner == 0 || p->owner[vpid] != owner)
		return false;
	p->owner[vpid] = 0;
	set_flushed(p, vpid, false);
	p->live--;
	return true;
}
