/*
 * Keel's own page tables: one address space, built once at boot with the
 * generic page-table code (mm/pt.h) in the IA-32e encoding, replacing the
 * boot tables of boot/entry.S.
 *
 *   0 ........ 4K ........ 0x200000 ... __image_end ............ top
 *   | unmapped | RW NX 4K  | text RX / rodata R / data RW NX  |  RW NX, largest pages
 *                                  (boot_stack_guard unmapped)
 *
 * The direct map stays the identity (hva == hpa, mm_direct_base == 0), so
 * pointers taken before the switch stay valid. `top` is the end of RAM from
 * the memory map, at least 4 GiB (MMIO such as the local APIC and ACPI
 * tables lie below it), rounded up to the largest page size used.
 */
#ifndef KEEL_MM_PAGING_H
#define KEEL_MM_PAGING_H

#include "boot/mb2.h"
#include "lib/types.h"
#include "mm/pt.h"

/*
 * Builds Keel's tables from frames of the frame allocator (pmm_init must
 * have run), checks them, loads CR3 and enables CR0.WP and CR4.PGE. Prints
 * one info line. Returns false, after one error line, when the tables cannot
 * be built; the boot tables then stay in use.
 */
bool paging_init(const struct boot_info *bi);

/*
 * Unmaps one page of Keel's data or bss so that touching it faults: the
 * guard page below a stack. Boot CPU, before the other CPUs start (its
 * INVLPG is the only invalidation needed then). False if it could not.
 */
bool paging_guard(const void *page);

/* The leaf mapping p in Keel's tables; false if p is not mapped. */
bool paging_lookup(const void *p, struct pt_walk *w);

#endif
