/*
 * Frame accounts over the allocator's core (mm/pmm.h, struct pmm_account):
 * pure, host-tested (tests/unit/test_pmm.c).
 *
 * The one invariant: the core's free frames are never fewer than what it
 * promised, and an account's promise is its limit less what it holds:
 *
 *   count[FREE] >= promised = sum over open accounts of (limit - held)
 *
 * Plain allocations take only unpromised frames (pmm_core_alloc_*). An
 * account's allocation turns part of its promise into frames it holds, so
 * single frames up to its limit are always there for it. The zero pool
 * (mm/zpool.h) holds frames taken by plain allocations: an account that
 * adopts one gives up the same part of its promise, so the invariant
 * holds (count[FREE] unchanged, promised smaller).
 */
#include "mm/pmm.h"
#include "mm/zpool.h"
#include "lib/string.h"

bool pmm_core_account_open(struct pmm_core *p, struct pmm_account *a, u64 limit)
{
	if (pmm_core_unpromised(p) < limit)
		return false;
	memset(a, 0, sizeof(*a));
	a->limit = limit;
	p->promised += limit;
	return true;
}

bool pmm_core_account_close(struct pmm_core *p, struct pmm_account *a)
{
	if (a->held != 0 || p->promised < a->limit)
		return false;
	p->promised -= a->limit;
	a->limit = 0;
	return true;
}

static bool take(struct pmm_core *p, u64 size, u64 *pa)
{
	if (size == PMM_FRAME_SIZE)
		return pmm_core_alloc_frame(p, pa);
	if (size == PMM_CHUNK_SIZE)
		return pmm_core_alloc_2m(p, pa);
	return size == PMM_GIG_SIZE && pmm_core_alloc_1g(p, pa);
}

/* Every allocation counts (fault injection) and must fit the limit; nothing is taken yet. */
static enum pmm_account_status charge(struct pmm_account *a, enum pmm_kind kind, u64 n)
{
	if (++a->allocs == a->fail_at)
		return PMM_ACCOUNT_INJECTED;
	if (kind >= PMM_KIND_COUNT || n == 0 || a->held + n > a->limit) {
		a->refused++;
		return PMM_ACCOUNT_LIMIT;
	}
	return PMM_ACCOUNT_OK;
}

static void hold(struct pmm_account *a, enum pmm_kind kind, u64 n)
{
	a->held += n;
	a->held_kind[kind] += n;
	a->peak = MAX(a->peak, a->held);
	a->peak_kind[kind] = MAX(a->peak_kind[kind], a->held_kind[kind]);
}

enum pmm_account_status pmm_core_account_alloc_pooled(struct pmm_core *p, struct zpool *z,
						      struct pmm_account *a, enum pmm_kind kind,
						      u64 size, u64 *pa, bool *zeroed)
{
	u64 n = size / PMM_FRAME_SIZE;
	enum pmm_account_status st = charge(a, kind, n);

	if (zeroed)
		*zeroed = false;
	if (st != PMM_ACCOUNT_OK)
		return st;
	/* The frames stop being promised as they are taken: a plain alloc of them must succeed. */
	p->promised -= n;
	if (z && zeroed && zpool_take(z, size, pa)) {
		/* Taken from the core unpromised when the pool filled: now the account's. */
		*zeroed = true;
	} else if (!take(p, size, pa) && !(z && zpool_drain(z, p) && take(p, size, pa))) {
		p->promised += n;
		return PMM_ACCOUNT_NO_RUN;
	}
	hold(a, kind, n);
	return PMM_ACCOUNT_OK;
}

enum pmm_account_status pmm_core_account_alloc(struct pmm_core *p, struct pmm_account *a,
					       enum pmm_kind kind, u64 size, u64 *pa)
{
	return pmm_core_account_alloc_pooled(p, NULL, a, kind, size, pa, NULL);
}

enum pmm_status pmm_core_account_free(struct pmm_core *p, struct pmm_account *a, enum pmm_kind kind,
				      u64 size, u64 pa, u64 *bad)
{
	u64 n = size / PMM_FRAME_SIZE;
	enum pmm_status st;

	*bad = pa;
	if (kind >= PMM_KIND_COUNT || a->held_kind[kind] < n)
		return PMM_ERR_ALREADY_FREE; /* more given back than this account holds */
	if (size == PMM_FRAME_SIZE)
		st = pmm_core_free_frame(p, pa);
	else if (size == PMM_CHUNK_SIZE)
		st = pmm_core_free_2m(p, pa, bad);
	else if (size == PMM_GIG_SIZE)
		st = pmm_core_free_1g(p, pa, bad);
	else
		st = PMM_ERR_UNALIGNED;
	if (st != PMM_OK)
		return st;
	a->held -= n;
	a->held_kind[kind] -= n;
	p->promised += n;
	return PMM_OK;
}

const char *pmm_kind_name(enum pmm_kind kind)
{
	switch (kind) {
	case PMM_KIND_DATA:
		return "data";
	case PMM_KIND_TABLE:
		return "tables";
	case PMM_KIND_DEVICE:
		return "devices";
	default:
		return "?";
	}
}
