/*
 * Control-register and RFLAGS bits (Intel SDM Vol. 3A, 2.5 "Control
 * Registers" and 2.3 "System Flags and Fields in the EFLAGS Register").
 */
#ifndef KEEL_ARCH_X86_CR_H
#define KEEL_ARCH_X86_CR_H

#include "lib/types.h"

#define CR0_PE BIT(0)
#define CR0_MP BIT(1)
#define CR0_EM BIT(2)
#define CR0_TS BIT(3)
#define CR0_ET BIT(4)
#define CR0_NE BIT(5)
#define CR0_WP BIT(16)
#define CR0_AM BIT(18)
#define CR0_NW BIT(29)
#define CR0_CD BIT(30)
#define CR0_PG BIT(31)

#define CR4_VME	       BIT(0)
#define CR4_PVI	       BIT(1)
#define CR4_TSD	       BIT(2)
#define CR4_DE	       BIT(3)
#define CR4_PSE	       BIT(4)
#define CR4_PAE	       BIT(5)
#define CR4_MCE	       BIT(6)
#define CR4_PGE	       BIT(7)
#define CR4_PCE	       BIT(8)
#define CR4_OSFXSR     BIT(9)
#define CR4_OSXMMEXCPT BIT(10)
#define CR4_UMIP       BIT(11)
#define CR4_LA57       BIT(12)
#define CR4_VMXE       BIT(13)
#define CR4_SMXE       BIT(14)
#define CR4_FSGSBASE   BIT(16)
#define CR4_PCIDE      BIT(17)
#define CR4_OSXSAVE    BIT(18)
#define CR4_SMEP       BIT(20)
#define CR4_SMAP       BIT(21)
#define CR4_PKE	       BIT(22)

#define RFLAGS_CF     BIT(0)
#define RFLAGS_FIXED1 BIT(1)
#define RFLAGS_PF     BIT(2)
#define RFLAGS_AF     BIT(4)
#define RFLAGS_ZF     BIT(6)
#define RFLAGS_SF     BIT(7)
#define RFLAGS_TF     BIT(8)
#define RFLAGS_IF     BIT(9)
#define RFLAGS_DF     BIT(10)
#define RFLAGS_OF     BIT(11)
#define RFLAGS_IOPL   (3ULL << 12)
#define RFLAGS_NT     BIT(14)
#define RFLAGS_RF     BIT(16)
#define RFLAGS_VM     BIT(17)
#define RFLAGS_AC     BIT(18)

#endif
