/*
 * The 64-bit Task-State Segment (Intel SDM Vol. 3A, 8.7 "Task Management in
 * 64-bit Mode", Figure 8-11 "64-Bit TSS Format"). In IA-32e mode the TSS
 * holds no task state: only the stack pointers loaded on a privilege change
 * (RSP0-2), the Interrupt Stack Table (IST1-7) and the I/O map base.
 */
#ifndef KEEL_ARCH_X86_TSS_H
#define KEEL_ARCH_X86_TSS_H

#include "lib/types.h"

#define TSS_IST_COUNT 7

struct tss64 {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[TSS_IST_COUNT]; /* ist[0] is IST1 */
	u64 reserved2;
	u16 reserved3;
	u16 io_map_base; /* >= the TSS limit: no I/O permission bitmap */
} __packed;

_Static_assert(sizeof(struct tss64) == 0x68, "64-bit TSS is 104 bytes");
_Static_assert(offsetof(struct tss64, rsp) == 0x04, "RSP0 at offset 4");
_Static_assert(offsetof(struct tss64, ist) == 0x24, "IST1 at offset 0x24");
_Static_assert(offsetof(struct tss64, io_map_base) == 0x66, "I/O map base at 0x66");

#endif
