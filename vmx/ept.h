/*
 * EPT paging-structure entries and the EPT pointer (Intel SDM Vol. 3C,
 * 29.3.2 "EPT Translation Mechanism", Tables 29-1 to 29-6: formats of the
 * EPT PML4E, PDPTE, PDE and PTE; 25.6.11 "Extended-Page-Table Pointer
 * (EPTP)"). Bits are named as the SDM names them; masks and small getters,
 * no bitfields (CONTRIBUTING.md, Types and hardware facts).
 *
 *   63   62:52   51:M  M-1:12    11  10  9  8  7    6    5:3   2  1  0
 *  +---+-------+------+--------+---+---+--+--+----+----+------+--+--+--+
 *  |SVE|  ign. | rsvd | address|ign|UX |D |A |PS  |IPAT|memtyp|X |W |R |
 *  +---+-------+------+--------+---+---+--+--+----+----+------+--+--+--+
 *
 * Bits 6:3 (IPAT, memory type), 9 (D) and 63 (suppress #VE) exist only in
 * entries that map a page; in a PML4E or an entry that references a table
 * bits 7:3 are reserved (0). Bit 7 is page size in a PDPTE or PDE (1: maps
 * a 1 GiB or 2 MiB page) and ignored in a PTE. An entry is present when any
 * of bits 2:0 is set (bit 10 counts too only with mode-based execute
 * control, which Keel does not use). Write without read is a
 * misconfiguration; execute-only needs IA32_VMX_EPT_VPID_CAP bit 0.
 */
#ifndef KEEL_VMX_EPT_H
#define KEEL_VMX_EPT_H

#include "lib/types.h"
#include "mm/addr.h"
#include "mm/pt.h"

#define EPT_READ	  BIT(0)
#define EPT_WRITE	  BIT(1)
#define EPT_EXECUTE	  BIT(2) /* supervisor-mode execute under MBEC */
#define EPT_RWX		  (EPT_READ | EPT_WRITE | EPT_EXECUTE)
#define EPT_MEMTYPE_SHIFT 3 /* bits 5:3 of a page-mapping entry */
#define EPT_MEMTYPE_MASK  (7ULL << EPT_MEMTYPE_SHIFT)
#define EPT_IGNORE_PAT	  BIT(6)
#define EPT_PAGE_SIZE	  BIT(7)
#define EPT_ACCESSED	  BIT(8)  /* when EPTP bit 6 enables accessed/dirty flags */
#define EPT_DIRTY	  BIT(9)  /* page-mapping entries only */
#define EPT_USER_EXECUTE  BIT(10) /* only with mode-based execute control */
#define EPT_SUPPRESS_VE	  BIT(63)

/* Bits 51:12, the widest address (MAXPHYADDR = 52). */
#define EPT_ADDR_MASK 0x000FFFFFFFFFF000ULL

/* EPT memory types (SDM Vol. 3C 29.3.7 "EPT and Memory Typing"). */
#define EPT_MT_UC 0
#define EPT_MT_WC 1
#define EPT_MT_WT 4
#define EPT_MT_WP 5
#define EPT_MT_WB 6

/* EPTP: bits 2:0 memory type of the paging structures, 5:3 walk length - 1. */
#define EPTP_MEMTYPE_MASK      7ULL
#define EPTP_WALK_LENGTH_SHIFT 3
#define EPTP_WALK_LENGTH_MASK  (7ULL << EPTP_WALK_LENGTH_SHIFT)
#define EPTP_WALK_LENGTH_4     (3ULL << EPTP_WALK_LENGTH_SHIFT)
#define EPTP_AD_ENABLE	       BIT(6)
#define EPTP_SUPERVISOR_SHADOW BIT(7)
#define EPTP_ADDR_MASK	       EPT_ADDR_MASK

/* Whether the present entry e at `level` maps a page (rather than a table). */
static inline bool ept_is_page(u64 e, unsigned level)
{
	return level == 1 || ((level == 2 || level == 3) && (e & EPT_PAGE_SIZE));
}

/* The physical address in e: of the next table, or of the page it maps. */
static inline u64 ept_addr(u64 e, unsigned level)
{
	u64 mask = EPT_ADDR_MASK;

	if (level > 1 && ept_is_page(e, level))
		mask &= ~(pt_level_size(level) - 1);
	return e & mask;
}

/*
 * The EPTP for a 4-level EPT rooted at pml4, with write-back paging
 * structures (IA32_VMX_EPT_VPID_CAP bit 14 must allow it) and accessed/
 * dirty flags when ad (bit 21 must allow it).
 */
static inline u64 ept_eptp(hpa_t pml4, bool ad)
{
	u64 eptp = (hpa_addr(pml4) & EPTP_ADDR_MASK) | EPTP_WALK_LENGTH_4 | EPT_MT_WB;

	return ad ? eptp | EPTP_AD_ENABLE : eptp;
}

/* The EPT encoding of struct pt_fmt (vmx/ept_fmt.c). */
extern const struct pt_fmt ept_fmt;

#endif
