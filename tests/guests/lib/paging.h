/*
 * A 64-bit test guest's own 4-level page tables (Intel SDM Vol. 3A 4.5
 * "4-Level Paging and 5-Level Paging"), for the guests that test TLBs:
 *
 *   PML4[0] -> PDPT
 *   PDPT[0] -> PD:  identity map of [0, 1 GiB) with 2 MiB pages (the image,
 *                   its stack, the boot info and any RAM a test uses)
 *   PDPT[1] -> PD:  PD[0] -> PT: the 2 MiB "window" at PAGING_WINDOW, 512
 *                   4 KiB pages, all not present until the guest maps them
 *
 * The tables live in the guest's .bss, so their addresses are their GPAs.
 * Entries are plain u64 words built with the masks below (no bitfields).
 */
#ifndef KEEL_GUESTS_PAGING_H
#define KEEL_GUESTS_PAGING_H

#include "lib/types.h"

#define PAGING_PAGE	    4096ULL
#define PAGING_ENTRIES	    512
#define PAGING_LARGE	    (2ULL << 20)  /* a PD entry with PS maps 2 MiB */
#define PAGING_IDENTITY_END (1ULL << 30)  /* [0, 1 GiB) is identity mapped */
#define PAGING_WINDOW	    0x40000000ULL /* GVA of the window's first page */
#define PAGING_WINDOW_PAGES PAGING_ENTRIES

/* SDM Vol. 3A Tables 4-15 to 4-20: bits of paging-structure entries. */
#define PAGING_P	 BIT(0) /* present */
#define PAGING_RW	 BIT(1) /* writable */
#define PAGING_PS	 BIT(7) /* PD entry: maps a 2 MiB page */
#define PAGING_G	 BIT(8) /* leaf: global (kept across MOV CR3 with CR4.PGE) */
#define PAGING_ADDR_MASK 0x000FFFFFFFFFF000ULL

/* #PF error code bits (SDM Vol. 3A 4.7 "Page-Fault Exceptions"). */
#define PAGING_PF_P BIT(0) /* 0: the page was not present */
#define PAGING_PF_W BIT(1) /* the access was a write */

/* Builds the tables above (window empty). Does not load them. */
void paging_build(void);
/* The PML4's GPA: the value for CR3 (PCD, PWT clear). */
u64 paging_root(void);
/* Loads CR3 with paging_root(): every non-global translation is flushed. */
void paging_load(void);
/* The PTE that maps window page index (< PAGING_WINDOW_PAGES). */
volatile u64 *paging_window_pte(u32 index);
/* A 4 KiB leaf mapping gpa (page aligned) writable, with extra flags. */
u64 paging_leaf(u64 gpa, u64 flags);

static inline void paging_invlpg(const volatile void *va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline void paging_write_cr3(u64 v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline u64 paging_read_cr2(void)
{
	u64 v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

#endif
