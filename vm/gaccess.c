/*
 * Guest-linear memory access for emulation: page by page, each page
 * translated by the guest's tables and then by its EPT.
 */
#include "vm/gaccess.h"
#include "arch/x86/cpu.h"
#include "arch/x86/cr.h"
#include "arch/x86/msr.h"
#include "vm/guest.h"
#include "vmx/cr.h"
#include "vmx/vmx.h"
#include "vmx/vmx_insn.h"

enum gpt_mode gaccess_mode(void)
{
	u64 cr0 = cr_guest_cr0();
	u64 cr4 = cr_guest_cr4();

	if (!(cr0 & CR0_PG))
		return GPT_MODE_NONE;
	if (!(cr4 & CR4_PAE))
		return GPT_MODE_32BIT;
	return (vmcs_read(VMCS_GUEST_IA32_EFER) & EFER_LMA) ? GPT_MODE_4LEVEL : GPT_MODE_PAE;
}

static bool read_table(void *ctx, u64 gpa_, unsigned size, u64 *val)
{
	struct gmem *m = ctx;

	*val = 0;
	return gpa_ + size <= m->ram_size && gmem_read(m, gpa(gpa_), val, size) == GMEM_OK;
}

int gaccess_translate(struct vcpu *v, u64 gva, unsigned access, u64 *out, struct gaccess_fault *f)
{
	struct gpt_env env = {
	    .read = read_table,
	    .ctx = &v->guest->mem,
	    .maxphyaddr = vmx_caps.maxphyaddr,
	    .nxe = vmcs_read(VMCS_GUEST_IA32_EFER) & EFER_NXE,
	    .wp = cr_guest_cr0() & CR0_WP,
	};
	struct gpt_result r;
	int s;

	if (vcpu_cpl() == 3)
		access |= GPT_ACCESS_USER;
	s = gpt_walk(&env, gaccess_mode(), vmcs_read(VMCS_GUEST_CR3), gva, access, &r);
	f->gva = gva;
	if (s == GPT_FAULT) {
		f->pf_error = r.pf_error;
		return GACCESS_PAGE_FAULT;
	}
	if (s == GPT_BAD_MEMORY) {
		f->gpa = r.bad_gpa;
		return GACCESS_NOT_RAM;
	}
	*out = r.gpa;
	return GACCESS_OK;
}

static int copy(struct vcpu *v, u64 gva, void *buf, u64 len, bool write, struct gaccess_fault *f)
{
	struct gmem *m = &v->guest->mem;
	u8 *p = buf;

	while (len) {
		u64 chunk = MIN(len, PAGE_SIZE - (gva & (PAGE_SIZE - 1)));
		u64 g;
		int s = gaccess_translate(v, gva, write ? GPT_ACCESS_WRITE : 0, &g, f);
		enum gmem_status ms;

		if (s != GACCESS_OK)
			return s;
		if (g + chunk > m->ram_size || g + chunk < g) {
			f->gpa = g;
			return GACCESS_NOT_RAM;
		}
		ms = write ? gmem_write(m, gpa(g), p, chunk) : gmem_read(m, gpa(g), p, chunk);
		if (ms != GMEM_OK) {
			f->gpa = g;
			return ms == GMEM_NOMEM || ms == GMEM_LIMIT ? GACCESS_NOMEM
								    : GACCESS_NOT_RAM;
		}
		gva += chunk;
		p += chunk;
		len -= chunk;
	}
	return GACCESS_OK;
}

int gaccess_read(struct vcpu *v, u64 gva, void *dst, u64 len, struct gaccess_fault *f)
{
	return copy(v, gva, dst, len, false, f);
}

int gaccess_write(struct vcpu *v, u64 gva, const void *src, u64 len, struct gaccess_fault *f)
{
	return copy(v, gva, (void *)src, len, true, f);
}

void gaccess_inject_pf(struct vcpu *v, const struct gaccess_fault *f)
{
	/* The guest's CR2 lives in the CPU's register while it is loaded (vmx/entry.S). */
	write_cr2(f->gva);
	vcpu_inject_exception(v, 14, true, f->pf_error);
}
