/*
 * Keel's own page tables as one encoding of struct pt_fmt: IA-32e 4-level
 * paging (bits in mm/pte_x86.h). Pure functions, host-testable.
 *
 * Read access is implied by P, so every leaf must allow reads. Execute is
 * expressed as the absence of XD: a caller on a CPU without NX (or with
 * IA32_EFER.NXE clear) must always ask for PT_PERM_X, since XD is then a
 * reserved bit. Memory types follow the power-up IA32_PAT (WB, WT, UC-,
 * UC); WC and WP would need the PAT reprogrammed and are refused.
 */
#include "mm/pte_x86.h"

static bool pt_x86_present(u64 e)
{
	return e & PTE_P;
}

static bool pt_x86_leaf(u64 e, unsigned level)
{
	return pte_is_page(e, level);
}

static bool pt_x86_perms_ok(unsigned perms)
{
	return perms & PT_PERM_R;
}

static bool pt_x86_memtype_ok(enum pt_memtype mt)
{
	return mt == PT_MEM_WB || mt == PT_MEM_WT || mt == PT_MEM_UC_MINUS || mt == PT_MEM_UC;
}

/* Access rights are the AND over all levels: tables allow everything. */
static u64 pt_x86_make_table(hpa_t next)
{
	return (hpa_addr(next) & PTE_ADDR_MASK) | PTE_P | PTE_RW | PTE_US;
}

static u64 pt_x86_memtype_bits(enum pt_memtype mt)
{
	switch (mt) {
	case PT_MEM_WT:
		return PTE_MT_WT;
	case PT_MEM_UC_MINUS:
		return PTE_MT_UC_MINUS;
	case PT_MEM_UC:
		return PTE_MT_UC;
	default:
		return PTE_MT_WB;
	}
}

static u64 pt_x86_make_leaf(hpa_t pa, unsigned level, unsigned perms, enum pt_memtype mt)
{
	u64 e = (hpa_addr(pa) & PTE_ADDR_MASK) | PTE_P | pt_x86_memtype_bits(mt);

	if (level > 1)
		e |= PTE_PS;
	if (perms & PT_PERM_W)
		e |= PTE_RW;
	if (perms & PT_PERM_USER)
		e |= PTE_US;
	if (perms & PT_PERM_GLOBAL)
		e |= PTE_G;
	if (!(perms & PT_PERM_X))
		e |= PTE_XD;
	return e;
}

static hpa_t pt_x86_addr(u64 e, unsigned level)
{
	return hpa(pte_addr(e, level));
}

static unsigned pt_x86_perms(u64 e, unsigned level)
{
	unsigned perms = PT_PERM_R;

	if (e & PTE_RW)
		perms |= PT_PERM_W;
	if (!(e & PTE_XD))
		perms |= PT_PERM_X;
	if (e & PTE_US)
		perms |= PT_PERM_USER;
	if (e & PTE_G)
		perms |= PT_PERM_GLOBAL;
	return perms;
}

/* PAT:PCD:PWT indexes the power-up PAT, whose entries 4-7 repeat 0-3. */
static enum pt_memtype pt_x86_memtype(u64 e, unsigned level)
{
	static const enum pt_memtype pat[4] = {PT_MEM_WB, PT_MEM_WT, PT_MEM_UC_MINUS, PT_MEM_UC};

	return pat[(e & PTE_MT_UC) >> 3];
}

const struct pt_fmt pt_x86_fmt = {
    .name = "x86",
    .leaf_levels = PT_LEVEL_MASK(1) | PT_LEVEL_MASK(2) | PT_LEVEL_MASK(3),
    .perm_mask = PT_PERM_RWX | PT_PERM_USER | PT_PERM_GLOBAL,
    .present = pt_x86_present,
    .leaf = pt_x86_leaf,
    .perms_ok = pt_x86_perms_ok,
    .memtype_ok = pt_x86_memtype_ok,
    .make_table = pt_x86_make_table,
    .make_leaf = pt_x86_make_leaf,
    .addr = pt_x86_addr,
    .perms = pt_x86_perms,
    .memtype = pt_x86_memtype,
    .accessed = PTE_A,
    .dirty = PTE_D,
};
