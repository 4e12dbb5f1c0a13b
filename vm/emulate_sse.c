/*
 * The vector moves on MMIO (vm/emulate.h, emulate_vector): MOVD/MOVQ,
 * MOVDQA/MOVDQU, MOVAPS/MOVUPS and VMOVDQU/VMOVDQA/VMOVAPS/VMOVUPS. Pure, like vm/emulate.c: the
 * guest's XMM/YMM registers are reached through env->vec_read/vec_write.
 *
 * Before any access, the faults the CPU raises for the form (SDM Vol. 2A
 * 2.4, the tables of exception classes Type 1 ((V)MOVDQA, (V)MOVAPS),
 * Type 4 (MOVDQU, MOVUPS, VMOVDQU, VMOVUPS) and Type 5 (MOVD, MOVQ)), in
 * the CPU's order:
 *
 *   #UD  VEX in real-address or virtual-8086 mode (their "VEX prefix" rows);
 *        legacy SSE: CR0.EM = 1 or CR4.OSFXSR = 0;
 *        VEX: CR4.OSXSAVE = 0 or XCR0[2:1] != 11b
 *   #NM  CR0.TS = 1
 *   #GP(0) (V)MOVDQA/(V)MOVAPS: the linear address not aligned to the
 *        operand's size (16, or 32 for VEX.256)
 *
 * The guest made the access, so it passed these checks when it ran; the
 * bytes read at RIP afterwards need not be the ones it ran (another vCPU
 * may have rewritten them), so Keel checks again rather than trust them.
 * CPUID feature flags are not checked: SSE2 is architectural in 64-bit
 * capable CPUs, and XCR0[2] can only be set where AVX exists (vm/xsetbv.c).
 *
 * A device sees a 16- or 32-byte access as 8-byte accesses in address
 * order, lowest first (docs/mmio.md); MOVD is one 4-byte access, MOVQ one
 * 8-byte access. A move that straddles a page is refused (vector_in_page).
 */
#include "vm/emulate.h"
#include "arch/x86/cr.h"
#include "lib/string.h"
#include "vm/cpuid_policy.h"

#define XCR0_SSE_AVX (XCR0_SSE | XCR0_AVX)
#define VEC_MAX	     32
#define VEC_PAGE     4096 /* the smallest page: an access within one is within every one */

/* The fault the CPU would raise before accessing memory, or EMULATE_OK; lin: the operand's. */
static int vector_fault(const struct decode_insn *d, const struct emulate_regs *r,
			const struct emulate_env *env, u64 lin)
{
	if (d->vex) {
		if (!(env->cr0 & CR0_PE) || (r->rflags & RFLAGS_VM))
			return EMULATE_FAULT_UD;
		if (!(env->cr4 & CR4_OSXSAVE) || (env->xcr0 & XCR0_SSE_AVX) != XCR0_SSE_AVX)
			return EMULATE_FAULT_UD;
	} else if ((env->cr0 & CR0_EM) || !(env->cr4 & CR4_OSFXSR)) {
		return EMULATE_FAULT_UD;
	}
	if (env->cr0 & CR0_TS)
		return EMULATE_FAULT_NM;
	if (d->aligned && (lin & (d->mem_size - 1u)))
		return EMULATE_FAULT_GP;
	return EMULATE_OK;
}

/*
 * Whether the operand at linear lin starts at gpa and stays in its page.
 * The EPT violation names the page that faulted, which for an access
 * straddling two pages may be the second: the device pieces at gpa + n
 * would then be the wrong bytes. Until page-straddling accesses are
 * emulated, such a move is refused (docs/mmio.md), never made elsewhere.
 */
static bool vector_in_page(const struct decode_insn *d, u64 gpa, u64 lin)
{
	return !((lin ^ gpa) & (VEC_PAGE - 1)) && (lin & (VEC_PAGE - 1)) + d->mem_size <= VEC_PAGE;
}

/* The register's bytes into the device, in pieces of at most 8 bytes from the lowest. */
static int vector_store(const struct decode_insn *d, u64 gpa, const struct emulate_env *env)
{
	u8 buf[VEC_MAX];
	unsigned size = d->mem_size, piece = size < 8 ? size : 8;

	if (!env->vec_read(env->ctx, d->vreg, size > 16 ? 32 : 16, buf))
		return EMULATE_VEC_FAILED;
	for (unsigned at = 0; at < size; at += piece) {
		u64 v = 0;

		memcpy(&v, buf + at, piece);
		if (!env->mmio_write(env->ctx, gpa + at, piece, v))
			return EMULATE_MMIO_FAILED;
	}
	return EMULATE_OK;
}

/*
 * The device's bytes into the register. MOVD/MOVQ zero the XMM register
 * above the loaded bytes (SDM Vol. 2B "MOVD/MOVQ"); the legacy forms keep
 * bits 255 and up, VEX forms zero them (Vol. 2A 2.3.10).
 */
static int vector_load(const struct decode_insn *d, u64 gpa, const struct emulate_env *env)
{
	u8 buf[VEC_MAX] = {0};
	unsigned size = d->mem_size, piece = size < 8 ? size : 8;

	for (unsigned at = 0; at < size; at += piece) {
		u64 v = 0;

		if (!env->mmio_read(env->ctx, gpa + at, piece, &v))
			return EMULATE_MMIO_FAILED;
		v &= emulate_size_mask(piece);
		memcpy(buf + at, &v, piece);
	}
	if (!env->vec_write(env->ctx, d->vreg, size > 16 ? 32 : 16, d->vex, buf))
		return EMULATE_VEC_FAILED;
	return EMULATE_OK;
}

int emulate_vector(const struct decode_insn *d, u64 gpa, struct emulate_regs *r,
		   const struct emulate_env *env)
{
	u64 lin = emulate_linear(d, env, d->mem.seg, decode_ea(d, &d->mem, r->gpr, r->rip));
	int s = vector_fault(d, r, env, lin);

	if (s)
		return s;
	if (!vector_in_page(d, gpa, lin))
		return EMULATE_MMIO_FAILED;
	if (d->dir == DECODE_DIR_TO_MEM)
		return vector_store(d, gpa, env);
	return vector_load(d, gpa, env);
}
