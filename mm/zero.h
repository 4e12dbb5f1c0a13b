/*
 * Zeroing host frames: one REP STOSQ over a run of whole 4 KiB frames,
 * through Keel's direct map. Shared by the fault path (vm/gmem.c) and the
 * zero pool's idle filling (mm/pmm.c).
 */
#ifndef KEEL_MM_ZERO_H
#define KEEL_MM_ZERO_H

#include "mm/addr.h"

/* Zeroes [pa, pa + size): size a multiple of 8 bytes (whole frames in practice). */
static inline void zero_frames(hpa_t pa, u64 size)
{
	void *d = hpa_ptr(pa);
	u64 n = size / 8;

	__asm__ volatile("rep stosq" : "+D"(d), "+c"(n) : "a"(0ULL) : "memory");
}

#endif
