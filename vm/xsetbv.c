/*
 * XSETBV exits (SDM Vol. 2C, XSETBV; Vol. 1, 13.3 "Enabling the XSAVE
 * Feature Set"): only XCR0 exists; bit 0 (x87) must be set; every bit must
 * be one the guest's CPUID.(EAX=0DH,ECX=0) reports (vm/cpuid_policy.c:
 * x87, SSE, AVX, AVX-512 where the CPU has them); AVX needs SSE; the
 * AVX-512 bits go together and need AVX. Anything else is #GP; with
 * CR4.OSXSAVE clear, #UD.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/cr.h"
#include "vm/cpuid_policy.h"
#include "vm/guest.h"
#include "vmx/cr.h"
#include "vm/msr.h"
#include "vmx/exit.h"
#include "vmx/vcpu.h"
#include "vmx/vmx_insn.h"

static void xsetbv(u32 index, u64 v)
{
	__asm__ volatile("xsetbv" : : "c"(index), "a"((u32)v), "d"((u32)(v >> 32)));
}

static bool xcr0_valid(u64 v)
{
	u64 supported = cpuid_caps()->xcr0_mask;

	if (!(v & XCR0_X87) || (v & ~supported))
		return false;
	if ((v & XCR0_AVX) && !(v & XCR0_SSE))
		return false;
	if ((v & XCR0_AVX512) && ((v & XCR0_AVX512) != XCR0_AVX512 || !(v & XCR0_AVX)))
		return false;
	return true;
}

void xsetbv_handle_exit(struct vcpu *v)
{
	u64 val = (v->regs.gpr[GPR_RDX] << 32) | (u32)v->regs.gpr[GPR_RAX];

	if (!(cr_guest_cr4() & CR4_OSXSAVE)) {
		vcpu_inject_ud(v);
		return;
	}
	if (vcpu_cpl() != 0 || (u32)v->regs.gpr[GPR_RCX] != 0 || !xcr0_valid(val)) {
		vcpu_inject_gp(v);
		return;
	}
	v->msrs.xcr0 = val;
	xsetbv(0, val);
	vcpu_skip_instruction(v);
}

void xcr0_load(const struct vcpu *v)
{
	if (read_cr4() & CR4_OSXSAVE)
		xsetbv(0, v->msrs.xcr0);
}

void xcr0_set_all(void)
{
	if (read_cr4() & CR4_OSXSAVE)
		xsetbv(0, cpuid_caps()->xcr0_mask);
}
