/*
 * Address types. Host-physical, guest-physical and host-virtual addresses
 * are distinct one-member structs, so passing a GPA where an HPA is expected
 * (the classic EPT bug) does not compile. Conversions are explicit.
 *
 * Host-virtual addresses of RAM come from the direct map: hva = hpa +
 * mm_direct_base. The direct map is identity (the base is 0) both in the
 * boot tables and in Keel's own (mm/paging.c), so pointers taken before the
 * switch stay valid; code still converts through these helpers so the map
 * can move later.
 */
#ifndef KEEL_MM_ADDR_H
#define KEEL_MM_ADDR_H

#include "lib/types.h"

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1ULL << PAGE_SHIFT)
#define LARGE_PAGE_SIZE (2 * MiB)
#define HUGE_PAGE_SIZE	(1 * GiB)

typedef struct {
	u64 pa;
} hpa_t;

typedef struct {
	u64 pa;
} gpa_t;

typedef struct {
	uintptr_t va;
} hva_t;

extern u64 mm_direct_base;

static inline hpa_t hpa(u64 pa)
{
	return (hpa_t){pa};
}

static inline u64 hpa_addr(hpa_t a)
{
	return a.pa;
}

static inline gpa_t gpa(u64 pa)
{
	return (gpa_t){pa};
}

static inline u64 gpa_addr(gpa_t a)
{
	return a.pa;
}

static inline hva_t hva(uintptr_t va)
{
	return (hva_t){va};
}

static inline uintptr_t hva_addr(hva_t a)
{
	return a.va;
}

static inline void *hva_ptr(hva_t a)
{
	return (void *)a.va;
}

static inline hva_t hpa_to_hva(hpa_t a)
{
	return hva((uintptr_t)(a.pa + mm_direct_base));
}

/* A pointer into the direct map, for a host-physical address. */
static inline void *hpa_ptr(hpa_t a)
{
	return hva_ptr(hpa_to_hva(a));
}

/* Only for pointers into the direct map or Keel's identity-mapped image. */
hpa_t hva_to_hpa(const void *p);

#endif
