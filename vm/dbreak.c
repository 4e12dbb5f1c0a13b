/*
 * Breakpoint matching for emulated accesses (vm/dbreak.h). DR7's layout,
 * SDM Vol. 3B Figure 17-2: L0/G0 in bits 1:0 and so on up to L3/G3 in
 * bits 7:6; R/W0 in bits 17:16 and LEN0 in 19:18, then four bits per
 * breakpoint up to R/W3 and LEN3 in bits 31:28.
 */
#include "vm/dbreak.h"

#define DR7_ENABLED(dr7, n) (((dr7) >> (2 * (n))) & 3)
#define DR7_RW(dr7, n)	    (((dr7) >> (16 + 4 * (n))) & 3)
#define DR7_LEN(dr7, n)	    (((dr7) >> (18 + 4 * (n))) & 3)

#define RW_WRITE 1
#define RW_IO	 2
#define RW_RDWR	 3

/* Bytes covered for a LEN encoding (SDM 17.2.5: 10 means 8 bytes where it is defined). */
static u64 len_bytes(unsigned len)
{
	static const u8 bytes[4] = {1, 2, 8, 4};

	return bytes[len & 3];
}

static bool kind_meets(unsigned rw, bool cr4_de, enum dbreak_access kind)
{
	if (kind == DBREAK_IO)
		return rw == RW_IO && cr4_de;
	return rw == RW_RDWR || (rw == RW_WRITE && kind == DBREAK_WRITE);
}

u32 dbreak_match(u64 dr7, const u64 dr[4], bool cr4_de, enum dbreak_access kind, u64 addr,
		 unsigned size)
{
	u32 hits = 0;

	for (unsigned n = 0; n < 4; n++) {
		u64 len = len_bytes(DR7_LEN(dr7, n));
		u64 start = dr[n] & ~(len - 1);

		if (!DR7_ENABLED(dr7, n) || !kind_meets(DR7_RW(dr7, n), cr4_de, kind))
			continue;
		if (kind == DBREAK_IO)
			start &= 0xFFFF;
		/* [addr, addr + size) and [start, start + len) overlap */
		if (addr <= start + len - 1 && start <= addr + size - 1)
			hits |= BIT(n);
	}
	return hits;
}
