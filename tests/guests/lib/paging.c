/*
 * The test guests' own page tables (paging.h): an identity map of the first
 * GiB and one 4 KiB page table for the window at 1 GiB.
 */
#include "tests/guests/lib/paging.h"

#define PAGING_TABLE (PAGING_P | PAGING_RW) /* a non-leaf entry: present, writable */

struct paging_table {
	u64 e[PAGING_ENTRIES];
} __aligned(PAGING_PAGE);
_Static_assert(sizeof(struct paging_table) == PAGING_PAGE, "SDM 4.5: a table is one 4 KiB page");

static struct paging_table paging_pml4, paging_pdpt, paging_pd_low, paging_pd_window,
    paging_pt_window;

static u64 paging_gpa(const struct paging_table *t)
{
	return (u64)(uintptr_t)t; /* .bss lies in the identity-mapped first GiB */
}

void paging_build(void)
{
	for (u32 i = 0; i < PAGING_ENTRIES; i++) {
		paging_pd_low.e[i] = (u64)i * PAGING_LARGE | PAGING_P | PAGING_RW | PAGING_PS;
		paging_pt_window.e[i] = 0;
	}
	paging_pd_window.e[0] = paging_gpa(&paging_pt_window) | PAGING_TABLE;
	paging_pdpt.e[0] = paging_gpa(&paging_pd_low) | PAGING_TABLE;
	paging_pdpt.e[PAGING_WINDOW >> 30] = paging_gpa(&paging_pd_window) | PAGING_TABLE;
	paging_pml4.e[0] = paging_gpa(&paging_pdpt) | PAGING_TABLE;
}

u64 paging_root(void)
{
	return paging_gpa(&paging_pml4);
}

void paging_load(void)
{
	paging_write_cr3(paging_root());
}

volatile u64 *paging_window_pte(u32 index)
{
	return &paging_pt_window.e[index % PAGING_WINDOW_PAGES];
}

u64 paging_leaf(u64 gpa, u64 flags)
{
	return (gpa & PAGING_ADDR_MASK) | PAGING_P | PAGING_RW | flags;
}
