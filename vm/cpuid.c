/*
 * CPUID exits: the guest's view of the CPU is Keel's policy
 * (vm/cpuid_policy.c, pure) applied to the host's CPUID and the guest's
 * state (CR4, XCR0, IA32_MISC_ENABLE, the INVPCID/RDTSCP controls), plus
 * what the local APIC model says about itself.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "arch/x86/cr.h"
#include "arch/x86/msr.h"
#include "vm/cpuid_policy.h"
#include "vm/guest.h"
#include "vm/msr_core.h"
#include "vmx/cr.h"
#include "vmx/exit.h"
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
 * The exit's fast path: answers that depend on the host, the leaf, the
 * subleaf and (leaf 1) CR4.OSXSAVE alone (cpuid_policy_cacheable), kept in
 * a small direct-mapped table shared by every guest. A guest whose
 * IA32_MISC_ENABLE differs from its reset value in a bit CPUID depends on
 * (Limit CPUID Maxval, ENABLE MONITOR FSM, XD bit disable) always takes
 * the full path.
 */
#define CPUID_MEMO_SLOTS 32

struct cpuid_memo {
	bool valid;
	u32 leaf, sub, osxsave;
	struct cpuid_regs r;
};

/* Per-CPU: row i is CPU i's, filled by the exits of the guests it runs. */
static struct cpuid_memo cpuid_memo[CPU_MAX][CPUID_MEMO_SLOTS];

/* The full path: the policy with the controls leaves 7 and 0x80000001 depend on. */
static struct cpuid_regs guest_view(u32 leaf, u32 sub, struct cpuid_guest *g)
{
	u64 p2 = vmcs_read(VMCS_PROC_BASED_CTLS2);

	g->invpcid = p2 & PROC2_ENABLE_INVPCID;
	g->rdtscp = p2 & PROC2_ENABLE_RDTSCP;
	return cpuid_policy_leaf(cpuid_caps(), host_cpuid, NULL, leaf, sub, g);
}

void cpuid_handle_exit(struct vcpu *v)
{
	u64 *gpr = v->regs.gpr;
	u32 leaf = (u32)gpr[GPR_RAX], sub = (u32)gpr[GPR_RCX];
	struct cpuid_guest g = {.xcr0 = v->msrs.xcr0};
	struct cpuid_memo *m =
	    &cpuid_memo[this_cpu()->index][(leaf ^ (leaf >> 27) ^ sub) % CPUID_MEMO_SLOTS];
	struct cpuid_regs r;

	/* Only leaf 1 depends on CR4 (OSXSAVE): read it just for that leaf. */
	if (leaf == 1)
		g.cr4 = cr_guest_cr4() & CR4_OSXSAVE;
	/* cpuid_custom: kept by vm/msr.c on each IA32_MISC_ENABLE write. */
	if (!v->msrs.cpuid_custom && m->valid && m->leaf == leaf && m->sub == sub &&
	    m->osxsave == g.cr4) {
		r = m->r;
	} else {
		u64 misc = v->msrs.misc_enable;

		g.limit_maxval = misc & MISC_ENABLE_LIMIT_CPUID;
		g.monitor_off = !(misc & MISC_ENABLE_MONITOR_FSM);
		g.xd_disable = misc & MISC_ENABLE_XD_DISABLE;
		r = guest_view(leaf, sub, &g);
		if (!v->msrs.cpuid_custom && cpuid_policy_cacheable(cpuid_caps(), leaf))
			*m = (struct cpuid_memo){true, leaf, sub, (u32)g.cr4, r};
	}
	if (leaf == 1)
		leaf1_apic(v, &r);
	else if (leaf == 0xB || leaf == 0x1F)
		r.edx = v->index; /* EDX: the x2APIC ID, at every level (SDM Vol. 2A, CPUID) */
	gpr[GPR_RAX] = r.eax;
	gpr[GPR_RBX] = r.ebx;
	gpr[GPR_RCX] = r.ecx;
	gpr[GPR_RDX] = r.edx;
	vcpu_skip_instruction(v);
}
