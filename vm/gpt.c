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

#define PTE_P BIT(0)
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

/* Reserved bits of an 8-byte entry: above MAXPHYADDR (except XD), XD without NXE. */
static bool reserved_set(const struct gpt_env *env, u64 e)
{
	u64 high = ~(BIT(env->maxphyaddr ? env->maxphyaddr : 52) - 1) & ~PTE_XD & ~(0x7FFULL << 52);

	return (e & high) || ((e & PTE_XD) && !env->nxe);
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

static u32 fault_code(unsigned access, u32 base)
{
	return base | ((access & GPT_ACCESS_WRITE) ? PF_ERR_W : 0) |
	       ((access & GPT_ACCESS_USER) ? PF_ERR_U : 0) |
	       ((access & GPT_ACCESS_FETCH) ? PF_ERR_I : 0);
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
	table = mode == GPT_MODE_PAE ? cr3 & 0xFFFFFFE0ULL
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
			out->pf_error = fault_code(access, 0);
			return GPT_FAULT;
		}
		if (g->entry_size == 8 && reserved_set(env, e)) {
			out->pf_error = fault_code(access, PF_ERR_P | PF_ERR_RSVD);
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
				out->pf_error = fault_code(access, denied);
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
