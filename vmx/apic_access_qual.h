/*
 * Exit qualification for APIC-access VM exits (Intel SDM Vol. 3C, 28.2.1,
 * Table 28-6 "Exit Qualification for APIC-Access VM Exits from Linear
 * Accesses and Guest-Physical Accesses").
 */
#ifndef KEEL_VMX_APIC_ACCESS_QUAL_H
#define KEEL_VMX_APIC_ACCESS_QUAL_H

#include "lib/types.h"

/* Bits 11:0: the offset in the APIC-access page, defined for types 0-3 only. */
#define APIC_ACCESS_QUAL_OFFSET(q) ((u32)(q)&0xFFF)
/* Bits 15:12: the access type. */
#define APIC_ACCESS_QUAL_TYPE(q) ((u32)((q) >> 12) & 0xF)
/* Bit 16: asynchronous to instruction execution, not part of event delivery. */
#define APIC_ACCESS_QUAL_ASYNC BIT(16)

#define APIC_ACCESS_LINEAR_READ	       0  /* data read during instruction execution */
#define APIC_ACCESS_LINEAR_WRITE       1  /* data write during instruction execution */
#define APIC_ACCESS_LINEAR_FETCH       2  /* instruction fetch */
#define APIC_ACCESS_LINEAR_DELIVERY    3  /* read or write during event delivery */
#define APIC_ACCESS_PHYSICAL_DELIVERY  10 /* guest-physical access during event delivery */
#define APIC_ACCESS_PHYSICAL_EXECUTION 15 /* guest-physical: fetch or instruction execution */

#endif
