/*
 * XSETBV exits (SDM Vol. 2C, XSETBV; Vol. 1, 13.3 "Enabling the XSAVE
 * Feature Set"): only XCR0 exists; bit 0 (x87) must be set; every bit must
 * be one CPUID.(EAX=0DH,ECX=0) reports; AVX needs SSE; the AVX-512 bits go
 * together and need AVX; the MPX bits go together. Anything else is #GP.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/cr.h"
#include "vm/guest.h"
#include "vmx/cr.h"
#include "vm/msr.h"
#include "vmx/exit.h"
#include "vmx/vcpu.h"
#include "vmx/vmx_insn.h"

#define XCR0_X87    BIT(0)
#define XCR0_SSE    BIT(1)
#define XCR0_AVX    BIT(2)
#define XCR0_MPX    (BIT(3) | BIT(4))
#define XCR0_AVX512 (BIT(5) | BIT(6) | BIT(7))

static void xsetbv(u32 index, u64 v)
{
	__asm__ volatile("xsetbv" : : "c"(index), "a"((u32)v), "d"((u32)(v >> 32)));
}

static bool xcr0_valid(u64 v)
{
	struct cpuid_regs r = cpuid(0xD, 0);
	u64 supported = ((u64)r.edx << 32) | r.eax;

	if (!(v & XCR0_X87) || (v & ~supported))
		return false;
	if ((v & XCR0_AVX) && !(v & XCR0_SSE))
		return false;
	if ((v & XCR0_AVX512) && ((v & XCR0_AVX512) != XCR0_AVX512 || !(v & XCR0_AVX)))
		return false;
	if ((v & XCR0_MPX) && (v & XCR0_MPX) != XCR0_MPX)
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
