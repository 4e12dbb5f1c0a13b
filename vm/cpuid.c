/*
 * Keel's CPUID policy: what a guest is told about the CPU. The hardware's
 * answer is the starting point; Keel removes what it does not virtualise
 * (VMX, SMX, x2APIC and the local APIC until it has a model, MONITOR/MWAIT,
 * performance monitoring, thermal and power management), sets the
 * hypervisor-present bit, reflects the guest's own CR4.OSXSAVE, describes a
 * single-CPU topology, and answers the hypervisor leaves 0x40000000-.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/cr.h"
#include "lib/string.h"
#include "vm/cpuid_policy.h"
#include "vm/guest.h"
#include "vmx/cr.h"
#include "vm/guest_abi.h"
#include "vmx/exit.h"
#include "vmx/vcpu.h"
#include "vmx/vmx_controls.h"
#include "vmx/vmx_insn.h"

/* CPUID.1 feature bits (SDM Vol. 2A, CPUID, Table 3-10 and 3-11) */
#define CPUID1_ECX_MONITOR	BIT(3)
#define CPUID1_ECX_DS_CPL	BIT(4)
#define CPUID1_ECX_VMX		BIT(5)
#define CPUID1_ECX_SMX		BIT(6)
#define CPUID1_ECX_EST		BIT(7)
#define CPUID1_ECX_TM2		BIT(8)
#define CPUID1_ECX_PDCM		BIT(15)
#define CPUID1_ECX_X2APIC	BIT(21)
#define CPUID1_ECX_TSC_DEADLINE BIT(24)
#define CPUID1_ECX_OSXSAVE	BIT(27)
#define CPUID1_ECX_HYPERVISOR	BIT(31)
#define CPUID1_EDX_APIC		BIT(9)
#define CPUID1_EDX_DS		BIT(21)
#define CPUID1_EDX_ACPI		BIT(22)
#define CPUID1_EDX_TM		BIT(29)
#define CPUID1_EDX_PBE		BIT(31)
/* CPUID.7.0 */
#define CPUID7_EBX_SGX	   BIT(2)
#define CPUID7_EBX_INVPCID BIT(10)
#define CPUID7_EBX_PQM	   BIT(12)
#define CPUID7_EBX_MPX	   BIT(14)
#define CPUID7_EBX_PQE	   BIT(15)
#define CPUID7_EBX_PT	   BIT(25)
#define CPUID7_ECX_WAITPKG BIT(5)
#define CPUID7_ECX_SGX_LC  BIT(30)

static void leaf1(struct cpuid_regs *r, u64 guest_cr4)
{
	r->ecx &= ~(u32)(CPUID1_ECX_MONITOR | CPUID1_ECX_DS_CPL | CPUID1_ECX_VMX | CPUID1_ECX_SMX |
			 CPUID1_ECX_EST | CPUID1_ECX_TM2 | CPUID1_ECX_PDCM | CPUID1_ECX_X2APIC |
			 CPUID1_ECX_OSXSAVE);
	/* The local APIC model (vm/vlapic.c): xAPIC with TSC-deadline; x2APIC hidden. */
	r->ecx |= CPUID1_ECX_HYPERVISOR | CPUID1_ECX_TSC_DEADLINE;
	r->edx |= CPUID1_EDX_APIC;
	if (guest_cr4 & CR4_OSXSAVE)
		r->ecx |= CPUID1_ECX_OSXSAVE;
	r->edx &= ~(u32)(CPUID1_EDX_DS | CPUID1_EDX_ACPI | CPUID1_EDX_TM |
			 CPUID1_EDX_PBE);
	/* EBX: initial APIC ID 0 (bits 31:24), one logical processor (23:16). */
	r->ebx = (r->ebx & 0xFFFF) | (1u << 16);
}

static void leaf7(struct cpuid_regs *r, u32 sub, bool invpcid)
{
	if (sub != 0) {
		*r = (struct cpuid_regs){0};
		return;
	}
	r->ebx &= ~(u32)(CPUID7_EBX_SGX | CPUID7_EBX_PQM | CPUID7_EBX_MPX | CPUID7_EBX_PQE |
			 CPUID7_EBX_PT);
	if (!invpcid)
		r->ebx &= ~(u32)CPUID7_EBX_INVPCID;
	r->ecx &= ~(u32)(CPUID7_ECX_WAITPKG | CPUID7_ECX_SGX_LC);
	r->eax = 0; /* no further subleaves */
}

static void hypervisor_leaf(struct cpuid_regs *r, u32 leaf)
{
	*r = (struct cpuid_regs){0};
	if (leaf == KEEL_CPUID_BASE) {
		r->eax = KEEL_CPUID_MAX;
		memcpy(&r->ebx, KEEL_CPUID_SIGNATURE, 4);
		memcpy(&r->ecx, KEEL_CPUID_SIGNATURE + 4, 4);
		memcpy(&r->edx, KEEL_CPUID_SIGNATURE + 8, 4);
	} else if (leaf == KEEL_CPUID_BASE + 1) {
		r->eax = KEEL_HC_ABI_VERSION;
	}
}

struct cpuid_regs cpuid_policy(u32 leaf, u32 sub, u64 guest_cr4, bool invpcid)
{
	struct cpuid_regs r;

	if ((leaf & 0xF0000000) == KEEL_CPUID_BASE) {
		hypervisor_leaf(&r, leaf);
		return r;
	}
	r = cpuid(leaf, sub);
	switch (leaf) {
	case 1:
		leaf1(&r, guest_cr4);
		break;
	case 4: /* deterministic cache parameters: one core per package */
		r.eax &= 0x03FFFFFF;
		r.eax &= ~(0xFFFu << 14);
		break;
	case 5:	  /* MONITOR/MWAIT */
	case 6:	  /* thermal and power management */
	case 0xA: /* architectural performance monitoring */
		r = (struct cpuid_regs){0};
		break;
	case 7:
		leaf7(&r, sub, invpcid);
		break;
	case 0xB: /* x2APIC topology: one thread, one core */
	case 0x1F:
		r.eax = 0;
		r.ebx = sub == 0 ? 1 : 0;
		r.ecx = sub == 0 ? (1u << 8) : sub & 0xFF;
		r.edx = 0;
		break;
	default:
		break;
	}
	return r;
}

void cpuid_handle_exit(struct vcpu *v)
{
	u64 *gpr = v->regs.gpr;
	u32 leaf = (u32)gpr[GPR_RAX];
	/* Only leaves 1 and 7 depend on guest state: read it just for them. */
	u64 cr4 = leaf == 1 ? cr_guest_cr4() : 0;
	bool invpcid = leaf == 7 && (vmcs_read(VMCS_PROC_BASED_CTLS2) & PROC2_ENABLE_INVPCID);
	struct cpuid_regs r = cpuid_policy(leaf, (u32)gpr[GPR_RCX], cr4, invpcid);

	/* SDM 11.4.3: the APIC flag reads 0 while IA32_APIC_BASE.EN is clear. */
	if (leaf == 1 && !(v->lapic.base_msr & BIT(11)))
		r.edx &= ~(u32)CPUID1_EDX_APIC;
	gpr[GPR_RAX] = r.eax;
	gpr[GPR_RBX] = r.ebx;
	gpr[GPR_RCX] = r.ecx;
	gpr[GPR_RDX] = r.edx;
	vcpu_skip_instruction(v);
}
