/*
 * The parts of a vCPU's register state that neither the VMCS nor the
 * general-register save in vmx/entry.S switch: the x87/SSE/AVX state
 * (XSAVE area, or the FXSAVE image without XSAVE) and DR0-DR3/DR6. DR7
 * and IA32_DEBUGCTL are switched by the VMCS ("load/save debug controls").
 * Keel itself never touches them (it is built with -mgeneral-regs-only and
 * uses no debug registers), so they need switching only when another vCPU
 * is loaded on this CPU: vcpu_put() saves, vcpu_load() restores. Without
 * this, one guest would see another's vector registers and breakpoints.
 */
#include "vmx/xstate.h"
#include "arch/x86/cpu.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "vm/guest.h"
#include "vm/msr.h"
#include "vmx/vcpu.h"
#include "vmx/vmx.h"

/* The legacy region (SDM Vol. 1 10.5.1): FCW at 0, MXCSR at 24. */
#define FXSAVE_FCW   0
#define FXSAVE_MXCSR 24
#define FCW_INIT     0x037F
#define MXCSR_INIT   0x1F80
#define DR6_INIT     0xFFFF0FF0ULL

/*
 * The area starts in the init state: a zeroed XSAVE header (XSTATE_BV 0)
 * makes XRSTOR initialise every component; MXCSR is loaded from the legacy
 * region regardless, and FXRSTOR takes FCW and MXCSR from it.
 */
bool xstate_create(struct vcpu *v)
{
	u8 *a;

	if (pmm_account_alloc(&v->guest->frames, PMM_KIND_DEVICE, PAGE_SIZE, &v->xstate) !=
	    PMM_ACCOUNT_OK) {
		v->xstate = hpa(0);
		return false;
	}
	a = hpa_ptr(v->xstate);
	memset(a, 0, PAGE_SIZE);
	*(u16 *)(a + FXSAVE_FCW) = FCW_INIT;
	*(u32 *)(a + FXSAVE_MXCSR) = MXCSR_INIT;
	v->dr[4] = DR6_INIT; /* dr[0..3] = DR0-DR3, dr[4] = DR6 */
	return true;
}

void xstate_destroy(struct vcpu *v)
{
	if (hpa_addr(v->xstate))
		pmm_account_free(&v->guest->frames, PMM_KIND_DEVICE, PAGE_SIZE, v->xstate);
	v->xstate = hpa(0);
}

/*
 * XSAVE covers the components enabled in XCR0; a guest may have disabled
 * some (XCR0 = x87 only) and still hold values in them (XMM registers are
 * usable without XCR0.SSE). So both directions run with XCR0 = every
 * component a guest may enable; vcpu_load() then loads the guest's XCR0.
 */
void xstate_save(struct vcpu *v)
{
	void *a = hpa_ptr(v->xstate);

	xcr0_set_all();
	if (vmx_caps.xsave)
		__asm__ volatile("xsave64 (%0)" : : "r"(a), "a"(~0U), "d"(~0U) : "memory");
	else
		__asm__ volatile("fxsave64 (%0)" : : "r"(a) : "memory");
	__asm__ volatile("mov %%db0, %0" : "=r"(v->dr[0]));
	__asm__ volatile("mov %%db1, %0" : "=r"(v->dr[1]));
	__asm__ volatile("mov %%db2, %0" : "=r"(v->dr[2]));
	__asm__ volatile("mov %%db3, %0" : "=r"(v->dr[3]));
	__asm__ volatile("mov %%db6, %0" : "=r"(v->dr[4]));
}

void xstate_restore(const struct vcpu *v)
{
	const void *a = hpa_ptr(v->xstate);

	xcr0_set_all();
	if (vmx_caps.xsave)
		__asm__ volatile("xrstor64 (%0)" : : "r"(a), "a"(~0U), "d"(~0U) : "memory");
	else
		__asm__ volatile("fxrstor64 (%0)" : : "r"(a) : "memory");
	__asm__ volatile("mov %0, %%db0" : : "r"(v->dr[0]));
	__asm__ volatile("mov %0, %%db1" : : "r"(v->dr[1]));
	__asm__ volatile("mov %0, %%db2" : : "r"(v->dr[2]));
	__asm__ volatile("mov %0, %%db3" : : "r"(v->dr[3]));
	__asm__ volatile("mov %0, %%db6" : : "r"(v->dr[4]));
}

void xstate_read_dr0_3(u64 dr[4])
{
	__asm__ volatile("mov %%db0, %0" : "=r"(dr[0]));
	__asm__ volatile("mov %%db1, %0" : "=r"(dr[1]));
	__asm__ volatile("mov %%db2, %0" : "=r"(dr[2]));
	__asm__ volatile("mov %%db3, %0" : "=r"(dr[3]));
}

void xstate_set_dr6_hits(u32 hits)
{
	u64 dr6;

	__asm__ volatile("mov %%db6, %0" : "=r"(dr6));
	dr6 = (dr6 & ~0xFULL) | (hits & 0xF);
	__asm__ volatile("mov %0, %%db6" : : "r"(dr6));
}
