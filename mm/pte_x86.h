/*
 * IA-32e paging-structure entries (Intel SDM Vol. 3A, 4.5 "4-Level Paging
 * and 5-Level Paging", Tables 4-15 to 4-20: formats of the PML4E, PDPTE,
 * PDE and PTE). Bits are named as the SDM names them; masks and small
 * getters, no bitfields (CONTRIBUTING.md, Types and hardware facts).
 *
 *   63  62:59  58:52   51:M  M-1:12   11:9  8  7     6  5  4   3   2   1   0
 *  +--+------+-------+------+--------+-----+--+-----+--+--+---+---+---+---+--+
 *  |XD| PKey | ign.  | rsvd | address| ign.|G |PS/  |D |A |PCD|PWT|U/S|R/W|P |
 *  |  |(leaf)|       |  (0) |        |     |  | PAT |  |  |   |   |   |   |  |
 *  +--+------+-------+------+--------+-----+--+-----+--+--+---+---+---+---+--+
 *
 * Bit 7 is PS in a PDPTE or PDE (1: the entry maps a 1 GiB or 2 MiB page)
 * and PAT in a PTE; a large page's PAT bit moves to bit 12, below its
 * address. G and D exist only in entries that map a page. The memory type
 * comes from IA32_PAT indexed by PAT:PCD:PWT; Keel keeps the power-up
 * IA32_PAT (WB, WT, UC-, UC, repeated), so PAT stays 0.
 */
#ifndef KEEL_MM_PTE_X86_H
#define KEEL_MM_PTE_X86_H

#include "lib/types.h"
#include "mm/pt.h"

#define PTE_P	      BIT(0)  /* present */
#define PTE_RW	      BIT(1)  /* read/write: writes allowed */
#define PTE_US	      BIT(2)  /* user/supervisor: user-mode accesses allowed */
#define PTE_PWT	      BIT(3)  /* page-level write-through */
#define PTE_PCD	      BIT(4)  /* page-level cache disable */
#define PTE_A	      BIT(5)  /* accessed */
#define PTE_D	      BIT(6)  /* dirty (page-mapping entries only) */
#define PTE_PS	      BIT(7)  /* page size (PDPTE, PDE) */
#define PTE_PAT	      BIT(7)  /* PAT index bit 2 (PTE) */
#define PTE_G	      BIT(8)  /* global (page-mapping entries only) */
#define PTE_PAT_LARGE BIT(12) /* PAT index bit 2 (1 GiB / 2 MiB page) */
#define PTE_XD	      BIT(63) /* execute-disable, when IA32_EFER.NXE = 1 */

/* Bits 51:12, the widest address (MAXPHYADDR = 52); narrower M is the caller's limit. */
#define PTE_ADDR_MASK 0x000FFFFFFFFFF000ULL

/* Default IA32_PAT entries 0-3, indexed by PCD:PWT (SDM Vol. 3A Table 12-12). */
#define PTE_MT_WB	0
#define PTE_MT_WT	PTE_PWT
#define PTE_MT_UC_MINUS PTE_PCD
#define PTE_MT_UC	(PTE_PCD | PTE_PWT)

/* Whether the present entry e at `level` maps a page (rather than a table). */
static inline bool pte_is_page(u64 e, unsigned level)
{
	return level == 1 || ((level == 2 || level == 3) && (e & PTE_PS));
}

/* The physical address in e: of the next table, or of the page it maps. */
static inline u64 pte_addr(u64 e, unsigned level)
{
	u64 mask = PTE_ADDR_MASK;

	if (level > 1 && pte_is_page(e, level))
		mask &= ~(pt_level_size(level) - 1); /* bit 12 is PAT here */
	return e & mask;
}

/* The IA-32e encoding of struct pt_fmt (mm/pt_x86.c). */
extern const struct pt_fmt pt_x86_fmt;

#endif
