/*
 * The CPUID values a guest sees (vm/cpuid.c; docs/guests.md lists them).
 */
#ifndef KEEL_VM_CPUID_POLICY_H
#define KEEL_VM_CPUID_POLICY_H

#include "arch/x86/cpu.h"

/* The guest's view of CPUID(leaf, sub), given its CR4 and whether INVPCID is enabled. */
struct cpuid_regs cpuid_policy(u32 leaf, u32 sub, u64 guest_cr4, bool invpcid);

#endif
