/*
 * The C facts vmx/entry.S's register-only exits read: structure offsets
 * and constants. Not linked into Keel: the Makefile compiles this file to
 * assembly and turns each "->NAME value" marker into a #define of
 * build/.../gen/asm_offsets.h, so the assembly follows the structures as
 * they change.
 */
#include "arch/x86/percpu.h"
#include "dev/dev.h"
#include "vm/cpuid_memo.h"
#include "vm/guest.h"
#include "vm/guest_abi.h"
#include "vmx/exit_reason.h"
#include "vmx/vcpu.h"
#include "vmx/vmcs_fields.h"
#include "vmx/vmx.h"
#include "vmx/vpid_core.h"

#define DEFINE(name, value)	   __asm__ volatile("\n.ascii \"->" #name " %c0\"" : : "i"(value))
#define OFFSET(name, type, member) DEFINE(name, __builtin_offsetof(type, member))

_Static_assert(sizeof(struct cpuid_memo) == 32, "CPUID_MEMO_SHIFT below");
_Static_assert((CPUID_MEMO_SLOTS & (CPUID_MEMO_SLOTS - 1)) == 0, "a mask picks the slot");
_Static_assert(sizeof(((struct vcpu *)0)->fast_until) == 8 &&
		   sizeof(((struct vcpu *)0)->intr_dirty) == 1 &&
		   sizeof(((struct vcpu *)0)->msrs.cpuid_custom) == 1 &&
		   sizeof(((struct vcpu *)0)->vpid) == 2 && sizeof(((struct vcpu *)0)->owner) == 4,
	       "the sizes entry.S loads");
_Static_assert(sizeof(((struct guest *)0)->mem.inv_pending) == 1 &&
		   sizeof(((struct cpu *)0)->kicked) == 1 &&
		   sizeof(((struct cpuid_memo *)0)->state) == 1 &&
		   sizeof(vmx_caps.preemption_timer_shift) == 4,
	       "the sizes entry.S loads");

_Static_assert(DEV_PIO_NONE == 0 && DEV_PIO_GROUP == 16 &&
		   sizeof(((struct guest *)0)->pio_index[0]) == 1 &&
		   sizeof(((struct dev_pio_published *)0)->ready) == 2,
	       "what tier_io tests and loads");

void asm_offsets(void);

void asm_offsets(void)
{
	OFFSET(VCPU_GUEST, struct vcpu, guest);
	OFFSET(VCPU_FAST_UNTIL, struct vcpu, fast_until);
	OFFSET(VCPU_INTR_DIRTY, struct vcpu, intr_dirty);
	OFFSET(VCPU_ENTRY_TSC, struct vcpu, entry_tsc);
	OFFSET(VCPU_GUEST_TICKS, struct vcpu, guest_ticks);
	OFFSET(VCPU_CPUID_CUSTOM, struct vcpu, msrs.cpuid_custom);
	OFFSET(VCPU_VPID, struct vcpu, vpid);
	OFFSET(VCPU_OWNER, struct vcpu, owner);

	OFFSET(GUEST_EXIT_COUNT, struct guest, stats.exit_count);
	OFFSET(GUEST_HYPERCALLS, struct guest, stats.hypercalls);
	OFFSET(GUEST_INV_PENDING, struct guest, mem.inv_pending);
	OFFSET(GUEST_CPUID_MEMO, struct guest, cpuid_memo);
	OFFSET(GUEST_PIO_INDEX, struct guest, pio_index);
	OFFSET(GUEST_DEVS, struct guest, devs);
	OFFSET(GUEST_IO_UNCLAIMED_READS, struct guest, stats.io_unclaimed_reads);
	OFFSET(GUEST_IO_UNCLAIMED_WRITES, struct guest, stats.io_unclaimed_writes);

	DEFINE(DEV_REGION_SIZE, sizeof(struct dev_region));
	OFFSET(DEV_REGION_BASE, struct dev_region, base);
	OFFSET(DEV_REGION_PUBLISHED, struct dev_region, published);
	OFFSET(PUBLISHED_READY, struct dev_pio_published, ready);
	OFFSET(PUBLISHED_VALUE, struct dev_pio_published, value);
	DEFINE(DEV_PIO_SEVERAL_F, DEV_PIO_SEVERAL);

	OFFSET(MEMO_LEAF, struct cpuid_memo, leaf);
	OFFSET(MEMO_SUB, struct cpuid_memo, sub);
	OFFSET(MEMO_STATE, struct cpuid_memo, state);
	OFFSET(MEMO_EAX, struct cpuid_memo, r.eax);
	OFFSET(MEMO_EBX, struct cpuid_memo, r.ebx);
	OFFSET(MEMO_ECX, struct cpuid_memo, r.ecx);
	OFFSET(MEMO_EDX, struct cpuid_memo, r.edx);
	DEFINE(MEMO_PLAIN_STATE, MEMO_PLAIN);
	DEFINE(CPUID_MEMO_SHIFT, 5);
	DEFINE(CPUID_MEMO_MASK, CPUID_MEMO_SLOTS - 1);

	OFFSET(CPU_KICKED, struct cpu, kicked);
	OFFSET(VMX_CAPS_TIMER_SHIFT, struct vmx_caps, preemption_timer_shift);
	OFFSET(VPID_POOL_READY, struct vpid_pool, ready);

	DEFINE(EXIT_CPUID, EXIT_REASON_CPUID);
	DEFINE(EXIT_VMCALL, EXIT_REASON_VMCALL);
	DEFINE(EXIT_IO, EXIT_REASON_IO_INSTRUCTION);
	DEFINE(HC_NOP, KEEL_HC_NOP);
	DEFINE(VMCS_EXIT_REASON_F, VMCS_EXIT_REASON);
	DEFINE(VMCS_GUEST_RIP_F, VMCS_GUEST_RIP);
	DEFINE(VMCS_EXIT_LEN_F, VMCS_EXIT_INSTRUCTION_LEN);
	DEFINE(VMCS_GUEST_INTR_F, VMCS_GUEST_INTERRUPTIBILITY);
	DEFINE(VMCS_GUEST_RFLAGS_F, VMCS_GUEST_RFLAGS);
	DEFINE(VMCS_GUEST_SS_AR_F, VMCS_GUEST_SS_AR);
	DEFINE(VMCS_EXIT_QUAL_F, VMCS_EXIT_QUALIFICATION);
	DEFINE(VMCS_GUEST_DR7_F, VMCS_GUEST_DR7);
	DEFINE(VMCS_TIMER_F, VMCS_PREEMPTION_TIMER_VALUE);
	DEFINE(INTR_BLOCKING_STI_MOVSS, VMCS_INTR_BLOCKING_STI | VMCS_INTR_BLOCKING_MOV_SS);
#ifdef NDEBUG
	DEFINE(ENTRY_CHECKS, 0);
#else
	DEFINE(ENTRY_CHECKS, 1);
#endif
}
