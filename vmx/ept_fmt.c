/*
 * EPT as one encoding of struct pt_fmt (bits in vmx/ept.h): pure
 * functions, no VMX instructions, host-testable. The EPT-violation path,
 * INVEPT and the per-guest memory accounting live on top of mm/pt.h.
 *
 * PT_PERM_R/W/X are the EPT read/write/execute bits; EPT has no user or
 * global bit. Leaves get the requested memory type with IPAT clear, so the
 * guest's PAT still combines with it (SDM Vol. 3C 29.3.7.2).
 */
#include "vmx/ept.h"

static bool ept_fmt_present(u64 e)
{
	return e & EPT_RWX;
}

static bool ept_fmt_leaf(u64 e, unsigned level)
{
	return ept_is_page(e, level);
}

/* Some access, and never write without read (an EPT misconfiguration). */
static bool ept_fmt_perms_ok(unsigned perms)
{
	return (perms & PT_PERM_RWX) && !((perms & PT_PERM_W) && !(perms & PT_PERM_R));
}

static bool ept_fmt_memtype_ok(enum pt_memtype mt)
{
	return mt == PT_MEM_UC || mt == PT_MEM_WC || mt == PT_MEM_WT || mt == PT_MEM_WP ||
	       mt == PT_MEM_WB;
}

/* Bits 7:3 of a table reference are reserved: only address and R/W/X. */
static u64 ept_fmt_make_table(hpa_t next)
{
	return (hpa_addr(next) & EPT_ADDR_MASK) | EPT_RWX;
}

static u64 ept_fmt_perm_bits(unsigned perms)
{
	u64 e = 0;

	if (perms & PT_PERM_R)
		e |= EPT_READ;
	if (perms & PT_PERM_W)
		e |= EPT_WRITE;
	if (perms & PT_PERM_X)
		e |= EPT_EXECUTE;
	return e;
}

static u64 ept_fmt_make_leaf(hpa_t pa, unsigned level, unsigned perms, enum pt_memtype mt)
{
	u64 e = (hpa_addr(pa) & EPT_ADDR_MASK) | ept_fmt_perm_bits(perms);

	e |= ((u64)mt << EPT_MEMTYPE_SHIFT) & EPT_MEMTYPE_MASK;
	if (level > 1)
		e |= EPT_PAGE_SIZE;
	return e;
}

static hpa_t ept_fmt_addr(u64 e, unsigned level)
{
	return hpa(ept_addr(e, level));
}

static unsigned ept_fmt_perms(u64 e, unsigned level)
{
	unsigned perms = 0;

	if (e & EPT_READ)
		perms |= PT_PERM_R;
	if (e & EPT_WRITE)
		perms |= PT_PERM_W;
	if (e & EPT_EXECUTE)
		perms |= PT_PERM_X;
	return perms;
}

static enum pt_memtype ept_fmt_memtype(u64 e, unsigned level)
{
	return (enum pt_memtype)((e & EPT_MEMTYPE_MASK) >> EPT_MEMTYPE_SHIFT);
}

const struct pt_fmt ept_fmt = {
    .name = "ept",
    .leaf_levels = PT_LEVEL_MASK(1) | PT_LEVEL_MASK(2) | PT_LEVEL_MASK(3),
    .perm_mask = PT_PERM_RWX,
    .present = ept_fmt_present,
    .leaf = ept_fmt_leaf,
    .perms_ok = ept_fmt_perms_ok,
    .memtype_ok = ept_fmt_memtype_ok,
    .make_table = ept_fmt_make_table,
    .make_leaf = ept_fmt_make_leaf,
    .addr = ept_fmt_addr,
    .perms = ept_fmt_perms,
    .memtype = ept_fmt_memtype,
    .accessed = EPT_ACCESSED,
    .dirty = EPT_DIRTY,
};
