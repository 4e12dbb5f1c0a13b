/*
 * A guest's MC146818A RTC and CMOS RAM (arch/x86/rtc.h), as a function of
 * the host's time: the guest's clock is the host's plus a whole number of
 * seconds the guest set. Time registers 0x00-0x09 and the century (0x32)
 * are computed on each read in register B's format (BCD or binary, 12- or
 * 24-hour); register B's SET bit freezes them for setting. Register A's
 * UIP reads 1 in the 244 us before each second. Register C reports UF
 * (an update happened since the last read of C); no RTC interrupt is ever
 * raised (periodic, alarm and update interrupts are not modelled). The
 * rest of the 128 bytes is RAM, with the memory sizes a BIOS leaves.
 * Pure: dev/cmos.c connects it to a guest. Host-tested in
 * tests/unit/test_cmos.c.
 */
#ifndef KEEL_DEV_CMOS_CORE_H
#define KEEL_DEV_CMOS_CORE_H

#include "arch/x86/rtc.h"
#include "lib/types.h"

/* The memory-size registers (PC/AT BIOS convention; 0x5B-0x5D as Bochs' and QEMU's BIOSes). */
#define CMOS_BASE_MEM_LO    0x15 /* KiB below 1 MiB: 640 */
#define CMOS_EXT_MEM_LO	    0x17 /* KiB above 1 MiB, at most 0xFFFF */
#define CMOS_EXT_MEM2_LO    0x30 /* the same, as the POST found it */
#define CMOS_HIGH_MEM_LO    0x34 /* 64 KiB blocks above 16 MiB, at most 0xFFFF */
#define CMOS_ABOVE_4G_LO    0x5B /* 64 KiB blocks above 4 GiB: 3 bytes */
#define CMOS_CHECKSUM_HI    0x2E /* sum of 0x10-0x2D, most significant byte first */
#define CMOS_CHECKSUM_FIRST 0x10
#define CMOS_CHECKSUM_LAST  0x2D
#define CMOS_BASE_MEM_KIB   640

/* The host's time: seconds since 1970 and microseconds into that second. */
struct cmos_clock {
	u64 seconds;
	u32 micros;
};

struct cmos_core {
	u8 index; /* the index port as written: NMI disable (bit 7) and register */
	u8 reg_a, reg_b;
	u8 ram[RTC_REGS];	/* the alarm registers and 0x0E-0x7F */
	s64 offset;		/* guest seconds = host seconds + offset */
	struct rtc_time frozen; /* the time registers while SET holds */
	u64 uf_second;		/* the guest second register C was last read in */
};

/* The state a BIOS leaves for a guest with ram_size bytes of RAM from 0. */
void cmos_core_init(struct cmos_core *c, u64 ram_size);
/* Port 0x70: the index (bit 7 remembered as NMI disable), read back as written. */
void cmos_core_write_index(struct cmos_core *c, u8 val);
u8 cmos_core_read_index(const struct cmos_core *c);
/* Port 0x71: the register the index selects, at host time now. */
u8 cmos_core_read_data(struct cmos_core *c, struct cmos_clock now);
void cmos_core_write_data(struct cmos_core *c, u8 val, struct cmos_clock now);

#endif
