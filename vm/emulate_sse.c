/*
 * The vector moves on MMIO (vm/emulate.h, emulate_vector): MOVD/MOVQ,
 * MOVDQA/MOVDQU, MOVAPS/MOVUPS/MOVAPD/MOVUPD, MOVNTDQ/MOVNTPS/MOVNTPD,
 * MOVSS/MOVSD, MOVLPS/MOVHPS/MOVLPD/MOVHPD and the VEX forms
 * (vm/decode_sse.c). Pure, like vm/emulate.c: the guest's XMM/YMM
 * registers are reached through env->vec_read/vec_write.
 *
 * Before any access, the faults the CPU raises for the form (SDM Vol. 2A
 * 2.4, the tables of exception classes Type 1 (the aligned forms:
 * (V)MOVDQA, (V)MOVAPS, (V)MOVAPD, (V)MOVNTDQ, (V)MOVNTPS, (V)MOVNTPD),
 * Type 4 (the unaligned 16/32-byte forms) and Type 5 (MOVD, MOVQ,
 * (V)MOVSS, (V)MOVSD, MOVLPS/MOVHPS/MOVLPD/MOVHPD)), in the CPU's order:
 *
 *   #UD  VEX in real-address or virtual-8086 mode (their "VEX prefix" rows);
 *        legacy SSE: CR0.EM = 1 or CR4.OSFXSR = 0;
 *        VEX: CR4.OSXSAVE = 0 or XCR0[2:1] != 11b
 *   #NM  CR0.TS = 1
 *   #GP(0) an aligned form whose linear address is not aligned to the
 *        operand's size (16, or 32 for VEX.256)
 *
 * (VEX.vvvv != 1111b and a prefix before VEX are #UD too; the decoder
 * refuses those encodings, DECODE_BAD_VEX.) The guest made the access, so
 * it passed these checks when it ran; the bytes read at RIP afterwards
 * need not be the ones it ran (another vCPU may have rewritten them), so
 * Keel checks again rather than trust them. CPUID feature flags are not
 * checked: SSE2 is architectural in 64-bit capable CPUs, and XCR0[2] can
 * only be set where AVX exists (vm/xsetbv.c).
 *
 * The device sees the operand as pieces of at most 8 bytes in address
 * order, lowest first, each named to env->mmio_* as gpa plus its offset in
 * the operand (docs/mmio.md): the caller places each piece on the
 * operand's pages (vm/mmio.c, operand_at), so an operand that crosses a
 * page is split there.
 */
#include "vm/emulate.h"
#include "arch/x86/cr.h"
#include "lib/string.h"
#include "vm/cpuid_policy.h"

#define XCR0_SSE_AVX (XCR0_SSE | XCR0_AVX)
#define VEC_MAX	     32
#define VEC_PAGE     4096 /* the smallest page: its offset is the same in every larger one */

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
 * Whether the operand at linear lin starts at gpa's page offset: gpa must
 * be the operand's first byte (emulate_locate's g[0]), not a later page
 * the access reached; anything else is refused (the pieces would be the
 * wrong bytes), never made elsewhere.
 */
static bool vector_starts_at(u64 gpa, u64 lin)
{
	return !((lin ^ gpa) & (VEC_PAGE - 1));
}

/* The XMM register's bytes a move reaches start here: MOVHPS/MOVHPD the high quadword. */
static unsigned vector_reg_offset(enum decode_op op)
{
	return op == DECODE_OP_MOVHPS || op == DECODE_OP_MOVHPD ? 8 : 0;
}

/* A load replacing only the quadword it loads, the rest of the register kept. */
static bool vector_merges(enum decode_op op)
{
	return op == DECODE_OP_MOVLPS || op == DECODE_OP_MOVHPS || op == DECODE_OP_MOVLPD ||
	       op == DECODE_OP_MOVHPD;
}

/* The register's bytes into the device, in pieces of at most 8 bytes from the lowest. */
static int vector_store(const struct decode_insn *d, u64 gpa, const struct emulate_env *env)
{
	u8 buf[VEC_MAX];
	unsigned size = d->mem_size, piece = size < 8 ? size : 8, off = vector_reg_offset(d->op);

	if (!env->vec_read(env->ctx, d->vreg, size > 16 ? 32 : 16, buf))
		return EMULATE_VEC_FAILED;
	for (unsigned at = 0; at < size; at += piece) {
		u64 v = 0;

		memcpy(&v, buf + off + at, piece);
		if (!env->mmio_write(env->ctx, gpa + at, piece, v))
			return EMULATE_MMIO_FAILED;
	}
	return EMULATE_OK;
}

/*
 * The device's bytes into the register. MOVD/MOVQ/MOVSS/MOVSD zero the
 * XMM register above the loaded bytes (SDM Vol. 2B under each), and
 * MOVLPS/MOVHPS/MOVLPD/MOVHPD keep its other quadword; the legacy forms
 * keep bits 255 and up, VEX forms zero them (Vol. 2A 2.3.10).
 */
static int vector_load(const struct decode_insn *d, u64 gpa, const struct emulate_env *env)
{
	u8 buf[VEC_MAX] = {0};
	unsigned size = d->mem_size, piece = size < 8 ? size : 8, off = vector_reg_offset(d->op);

	if (vector_merges(d->op) && !env->vec_read(env->ctx, d->vreg, 16, buf))
		return EMULATE_VEC_FAILED;
	for (unsigned at = 0; at < size; at += piece) {
		u64 v = 0;

		if (!env->mmio_read(env->ctx, gpa + at, piece, &v))
			return EMULATE_MMIO_FAILED;
		v &= emulate_size_mask(piece);
		memcpy(buf + off + at, &v, piece);
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
	if (!vector_starts_at(gpa, lin))
		return EMULATE_MMIO_FAILED;
	if (d->dir == DECODE_DIR_TO_MEM)
		return vector_store(d, gpa, env);
	return vector_load(d, gpa, env);
}
