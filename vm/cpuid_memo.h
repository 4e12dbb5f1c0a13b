/*
 * The CPUID exit's memo (vm/cpuid.c): each guest's small direct-mapped
 * table of answers that depend on the host, the leaf, the subleaf and
 * (leaf 1) CR4.OSXSAVE alone (cpuid_policy_cacheable), which the fast exit
 * answers from.
 */
#ifndef KEEL_VM_CPUID_MEMO_H
#define KEEL_VM_CPUID_MEMO_H

#include "arch/x86/cpu.h"
#include "lib/types.h"

#define CPUID_MEMO_SLOTS 32

enum cpuid_memo_state {
	MEMO_EMPTY,
	MEMO_VCPU,  /* the vCPU adds to the answer (vcpu_part): leaves 1, 0xB, 0x1F */
	MEMO_PLAIN, /* the answer as it is */
};

struct cpuid_memo {
	u32 leaf, sub;
	u8 state; /* enum cpuid_memo_state */
	u32 osxsave;
	struct cpuid_regs r;
};

#endif
