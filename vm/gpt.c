/*
 * Guest page-table walker (see gpt.h). One loop serves the three paging
 * modes; they differ only in entry size, index width and where large
 * pages may appear:
 *
 *   mode    levels  entry  index bits  large leaves at
 *   32-bit  2       4 B    10          level 2 (4 MiB, CR4.PSE assumed)
 *   PAE     3       8 B    2,9,9       level 2 (2 MiB)
 *   4-level 4       8 B    9 each      levels 2 (2 MiB) and 3 (1 GiB)
 *
 * Each step reads one entry, checks P and reserved bits, accumulates the
 * R/W, U/S and XD restrictions, and either descends or stops at a leaf.
 */
#include "vm/gpt.h"

#define PTE_P  BIT(0)
#define PTE_RW BIT(1)
#define PTE_US BIT(2)
#define PTE_PS BIT(7)
#define PTE_XD BIT(63)

struct geometry {
	unsigned levels;
	unsigned entry_size;
	unsigned top_bits; /* index width at the top level */
	unsigned bits;	   /* index width below it */
};

static const struct geometry geometries[] = {
    [GPT_MODE_32BIT] = {2, 4, 10, 10},
    [GPT_MODE_PAE] = {3, 8, 2, 9},
    [GPT_MODE_4LEVEL] = {4, 8, 9, 9},
};

static unsigned shift_of(const struct geometry *g, unsigned level)
{
	return 12 + (level - 1) * g->bits;
}

static u64 addr_mask(const struct gpt_env *env)
{
	unsigned bits = env->maxphyaddr ? env->maxphyaddr : 52;

	return (BIT(bits) - 1) & ~0xFFFULL;
}

static bool large_ok(enum gpt_mode mode, unsigned level)
{
	return level == 2 || (mode == GPT_MODE_4LEVEL && level == 3);
}

/*
 * The reserved bits set in a present entry at `level` (SDM 4.3 Table 4-4,
 * 4.4.2 Tables 4-8..4-11, 4.5.4 Tables 4-15..4-20): 32-bit paging checks
 * only 4 MiB PDEs (bit 21, PSE-36 bits above MAXPHYADDR, at most 40);
 * PAE reserves 62:MAXPHYADDR (and 2:1, 8:5, 63 in a PDPTE); 4-level
 * reserves 51:MAXPHYADDR and PS in a PML4E; large pages reserve the
 * address bits below their alignment except PAT; XD is reserved without NXE.
 */
static u64 reserved_bits(const struct gpt_env *env, enum gpt_mode mode, unsigned level, u64 e)
{
	unsigned m = env->maxphyaddr ? env->maxphyaddr : 52;
	bool large = level > 1 && (e & PTE_PS);
	u64 r = ~(BIT(m) - 1);

	if (mode == GPT_MODE_32BIT)
		return large ? e & (BIT(22) - BIT(MIN(m, 40U) - 19)) : 0;
	if (mode == GPT_MODE_PAE && level == 3)
		return e & (r | 0x1E6);
	r &= ~PTE_XD;
	if (mode == GPT_MODE_4LEVEL)
		r &= ~(0x7FFULL << 52); /* 58:52 ignored, 62:59 protection key */
	if (!env->nxe)
		r |= PTE_XD;
	if (mode == GPT_MODE_4LEVEL && level == 4)
		r |= PTE_PS;
	else if (large)
		r |= BIT(shift_of(&geometries[mode], level)) - BIT(13);
	return e & r;
}

static u64 leaf_gpa(const struct geometry *g, enum gpt_mode mode, u64 e, unsigned level, u64 gva,
		    const struct gpt_env *env)
{
	u64 size = BIT(shift_of(g, level));
	u64 base;

	if (mode == GPT_MODE_32BIT && level == 2) /* PSE-36: bits 20:13 are address 39:32 */
		base = (e & 0xFFC00000ULL) | ((e >> 13) & 0xFF) << 32;
	else
		base = e & addr_mask(env) & ~(size - 1);
	return base | (gva & (size - 1));
}

static u32 check_access(unsigned access, bool w, bool u, bool x, const struct gpt_env *env)
{
	bool user = access & GPT_ACCESS_USER;

	if (user && !u)
		return PF_ERR_P;
	if ((access & GPT_ACCESS_WRITE) && !w && (user || env->wp))
		return PF_ERR_P;
	if ((access & GPT_ACCESS_FETCH) && !x)
		return PF_ERR_P;
	return 0;
}

/* SDM 4.7: I/D is set for fetches only with PAE or 4-level paging and EFER.NXE (no SMEP here). */
static u32 fault_code(const struct gpt_env *env, enum gpt_mode mode, unsigned access, u32 base)
{
	bool id = (access & GPT_ACCESS_FETCH) && mode != GPT_MODE_32BIT && env->nxe;

	return base | ((access & GPT_ACCESS_WRITE) ? PF_ERR_W : 0) |
	       ((access & GPT_ACCESS_USER) ? PF_ERR_U : 0) | (id ? PF_ERR_I : 0);
}

int gpt_walk(const struct gpt_env *env, enum gpt_mode mode, u64 cr3, u64 gva, unsigned access,
	     struct gpt_result *out)
{
	const struct geometry *g;
	bool w = true, u = true, x = true;
	u64 table, e = 0;

	if (mode == GPT_MODE_NONE) {
		out->gpa = gva & 0xFFFFFFFFULL;
		out->level = 0;
		return GPT_OK;
	}
	g = &geometries[mode];
	if (mode != GPT_MODE_4LEVEL)
		gva &= 0xFFFFFFFFULL;
	table = mode == GPT_MODE_PAE	 ? cr3 & 0xFFFFFFE0ULL
		: mode == GPT_MODE_32BIT ? cr3 & 0xFFFFF000ULL
					 : cr3 & addr_mask(env);
	for (unsigned level = g->levels; level >= 1; level--) {
		unsigned bits = level == g->levels ? g->top_bits : g->bits;
		u64 idx = (gva >> shift_of(g, level)) & (BIT(bits) - 1);
		u64 eaddr = table + idx * g->entry_size;

		if (!env->read(env->ctx, eaddr, g->entry_size, &e)) {
			out->bad_gpa = eaddr;
			return GPT_BAD_MEMORY;
		}
		if (!(e & PTE_P)) {
			out->pf_error = fault_code(env, mode, access, 0);
			return GPT_FAULT;
		}
		if (reserved_bits(env, mode, level, e)) {
			out->pf_error = fault_code(env, mode, access, PF_ERR_P | PF_ERR_RSVD);
			return GPT_FAULT;
		}
		/* PAE PDPTEs carry no R/W, U/S or XD. */
		if (!(mode == GPT_MODE_PAE && level == 3)) {
			w = w && (e & PTE_RW);
			u = u && (e & PTE_US);
			x = x && !(env->nxe && (e & PTE_XD));
		}
		if (level == 1 || ((e & PTE_PS) && large_ok(mode, level) &&
				   !(mode == GPT_MODE_PAE && level == 3))) {
			u32 denied = check_access(access, w, u, x, env);

			if (denied) {
				out->pf_error = fault_code(env, mode, access, denied);
				return GPT_FAULT;
			}
			out->gpa = leaf_gpa(g, mode, e, level, gva, env);
			out->level = level;
			return GPT_OK;
		}
		table = g->entry_size == 4 ? e & 0xFFFFF000ULL : e & addr_mask(env);
	}
	return GPT_FAULT; /* not reached: level 1 always returns */
}
