/*
 * CPUID exits: the guest's view of the CPU is Keel's policy
 * (vm/cpuid_policy.c, pure) applied to the host's CPUID and the guest's
 * state (CR4, XCR0, IA32_MISC_ENABLE, the INVPCID/RDTSCP controls), plus
 * what the local APIC model says about itself.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/cr.h"
#include "arch/x86/msr.h"
#include "vm/cpuid_policy.h"
#include "vm/guest.h"
#include "vm/msr_core.h"
#include "vmx/cr.h"
#include "vmx/exit.h"
#include "vmx/exit_fast.h"
#include "vmx/exit_reason.h"
#include "vmx/vcpu.h"
#include "vmx/vmx_controls.h"
#include "vmx/vmx_insn.h"

static struct cpuid_regs host_cpuid(void *ctx, u32 leaf, u32 sub)
{
	(void)ctx;
	return cpuid(leaf, sub);
}

const struct cpuid_caps *cpuid_caps(void)
{
	/*
	 * Shared, write-once at boot: filled at first use, which is vm_run_all's
	 * call on the boot CPU before any guest is placed on another CPU.
	 */
	static struct cpuid_caps caps;
	static bool ready;

	if (!ready) {
		cpuid_caps_init(&caps, host_cpuid, NULL);
		ready = true;
	}
	return &caps;
}

struct cpuid_regs cpuid_policy(u32 leaf, u32 sub, u64 guest_cr4, bool invpcid)
{
	struct cpuid_guest g = {.cr4 = guest_cr4, .xcr0 = 1, .invpcid = invpcid};

	return cpuid_policy_leaf(cpuid_caps(), host_cpuid, NULL, leaf, sub, &g);
}

/*
 * Leaf 1 as the local APIC model (vm/vlapic.c) has it: an xAPIC with
 * TSC-deadline, x2APIC hidden; the APIC flag reads 0 while
 * IA32_APIC_BASE.EN is clear (SDM 11.4.3).
 */
static void leaf1_apic(const struct vcpu *v, struct cpuid_regs *r)
{
	r->ecx |= CPUID1_ECX_X2APIC | CPUID1_ECX_TSC_DEADLINE;
	r->edx |= CPUID1_EDX_APIC;
	if (!(v->lapic.base_msr & BIT(11)))
		r->edx &= ~(u32)CPUID1_EDX_APIC;
	/* EBX[31:24]: the initial APIC ID, the vCPU's index (each vCPU its own package). */
	r->ebx = (r->ebx & 0x00FFFFFF) | (v->index << 24);
}

/*
 * The exit's fast path: each guest's memo (vm/cpuid_memo.h, struct
 * guest). A vCPU whose IA32_MISC_ENABLE differs from its reset value in a
 * bit CPUID depends on (Limit CPUID Maxval, ENABLE MONITOR FSM, XD bit
 * disable) always takes the full path. The answers depend on the host and
 * the controls every guest gets alike (guest_view), so a vCPU may move
 * between CPUs with them.
 */

/* The full path: the policy with the controls leaves 7 and 0x80000001 depend on. */
static struct cpuid_regs guest_view(u32 leaf, u32 sub, struct cpuid_guest *g)
{
	u64 p2 = vmcs_read(VMCS_PROC_BASED_CTLS2);

	g->invpcid = p2 & PROC2_ENABLE_INVPCID;
	g->rdtscp = p2 & PROC2_ENABLE_RDTSCP;
	return cpuid_policy_leaf(cpuid_caps(), host_cpuid, NULL, leaf, sub, g);
}

/* The guest's memo slot for leaf and sub. */
static inline struct cpuid_memo *memo_slot(struct guest *g, u32 leaf, u32 sub)
{
	return &g->cpuid_memo[(leaf ^ (leaf >> 27) ^ sub) % CPUID_MEMO_SLOTS];
}

static void answer(struct vcpu *v, const struct cpuid_regs *r)
{
	u64 *gpr = v->regs.gpr;

	gpr[GPR_RAX] = r->eax;
	gpr[GPR_RBX] = r->ebx;
	gpr[GPR_RCX] = r->ecx;
	gpr[GPR_RDX] = r->edx;
}

/* True for the leaves whose answer the vCPU adds to (vcpu_part). */
static bool vcpu_leaf(u32 leaf)
{
	return leaf == 1 || leaf == 0xB || leaf == 0x1F;
}

/* What the vCPU itself adds to a leaf's answer: its APIC in leaf 1, its ID in 0xB and 0x1F. */
static void vcpu_part(const struct vcpu *v, u32 leaf, struct cpuid_regs *r)
{
	if (leaf == 1)
		leaf1_apic(v, r);
	else if (leaf == 0xB || leaf == 0x1F)
		r->edx = v->index; /* EDX: the x2APIC ID, at every level (SDM Vol. 2A, CPUID) */
}

/* CR4.OSXSAVE as the guest sees it: one VMREAD, of the shadow if Keel owns the bit. */
static u32 guest_osxsave(const struct vcpu *v)
{
	return vmcs_read((v->cr4_mask & CR4_OSXSAVE) ? VMCS_CR4_READ_SHADOW : VMCS_GUEST_CR4) &
	       CR4_OSXSAVE;
}

/* The fast exit for a leaf the vCPU adds to (out of line: the common leaves keep no frame). */
int cpuid_exit_memo_vcpu(struct vcpu *v, const struct cpuid_memo *m, u64 exit_tsc, u64 target)
{
	struct cpuid_regs r = m->r;

	if (m->state != MEMO_VCPU || (m->leaf == 1 && m->osxsave != guest_osxsave(v)))
		return VMX_EXIT_SLOW;
	vcpu_part(v, m->leaf, &r);
	answer(v, &r);
	return vmx_exit_fast_done(v, exit_tsc, target, EXIT_REASON_CPUID);
}

/*
 * The memo alone (vmx_exit_fast_done advances RIP): a miss, or a guest
 * with its own CPUID bits in IA32_MISC_ENABLE, takes the full path below.
 */
int cpuid_exit_fast(struct vcpu *v, u64 exit_tsc, u64 target)
{
	u32 leaf = (u32)v->regs.gpr[GPR_RAX], sub = (u32)v->regs.gpr[GPR_RCX];
	const struct cpuid_memo *m = memo_slot(v->guest, leaf, sub);

	if (m->leaf != leaf || m->sub != sub || v->msrs.cpuid_custom)
		return VMX_EXIT_SLOW;
	if (__builtin_expect(m->state != MEMO_PLAIN, 0)) /* an empty slot is slow there */
		return cpuid_exit_memo_vcpu(v, m, exit_tsc, target);
	answer(v, &m->r);
	return vmx_exit_fast_done(v, exit_tsc, target, EXIT_REASON_CPUID);
}

void cpuid_handle_exit(struct vcpu *v)
{
	u64 *gpr = v->regs.gpr;
	u32 leaf = (u32)gpr[GPR_RAX], sub = (u32)gpr[GPR_RCX];
	struct cpuid_guest g = {.xcr0 = v->msrs.xcr0};
	struct cpuid_memo *m = memo_slot(v->guest, leaf, sub);
	struct cpuid_regs r;

	/* Only leaf 1 depends on CR4 (OSXSAVE): read it just for that leaf. */
	if (leaf == 1)
		g.cr4 = guest_osxsave(v);
	/* cpuid_custom: kept by vm/msr.c on each IA32_MISC_ENABLE write. */
	if (!v->msrs.cpuid_custom && m->state != MEMO_EMPTY && m->leaf == leaf && m->sub == sub &&
	    m->osxsave == g.cr4) {
		r = m->r;
	} else {
		u64 misc = v->msrs.misc_enable;

		g.limit_maxval = misc & MISC_ENABLE_LIMIT_CPUID;
		g.monitor_off = !(misc & MISC_ENABLE_MONITOR_FSM);
		g.xd_disable = misc & MISC_ENABLE_XD_DISABLE;
		r = guest_view(leaf, sub, &g);
		if (!v->msrs.cpuid_custom && cpuid_policy_cacheable(cpuid_caps(), leaf))
			*m = (struct cpuid_memo){.leaf = leaf,
						 .sub = sub,
						 .state = vcpu_leaf(leaf) ? MEMO_VCPU : MEMO_PLAIN,
						 .osxsave = (u32)g.cr4,
						 .r = r};
	}
	vcpu_part(v, leaf, &r);
	answer(v, &r);
	vcpu_skip_instruction(v);
}
