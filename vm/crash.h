/*
 * What a guest was doing when it ended abnormally: its instruction bytes
 * at RIP and the top of its stack, read through its own page tables and its
 * EPT without populating anything.
 */
#ifndef KEEL_VM_CRASH_H
#define KEEL_VM_CRASH_H

struct vcpu;

/* Prints the code and stack lines for v's guest (its VMCS must be current). */
void crash_report(struct vcpu *v);

#endif
