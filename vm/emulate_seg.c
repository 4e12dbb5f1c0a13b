/*
 * Segmentation for the accesses the emulator makes on its own (vm/emulate.h,
 * emulate_seg_check): the side of a MOVS, CMPS, PUSH or POP that is not the
 * access the CPU made, and so was never checked by it. Outside 64-bit code
 * the limit and type checks of SDM Vol. 3A 5.3 "Limit Checking" and 5.4
 * "Type Checking" (types as Table 3-1 "Code- and Data-Segment Types");
 * in 64-bit code only the canonical check (Vol. 3A 3.3.7.1; Vol. 1 3.3.7.1).
 * Then the alignment check (Vol. 3A 6.15 "Interrupt 17"): the CPU makes it
 * on the linear address, after segmentation and before paging, so a
 * misaligned access that also fails a segment check is #GP/#SS, and one
 * whose page is not present is #AC.
 * Pure: the limits and access rights come in struct emulate_env.
 */
#include "vm/emulate.h"

/* Access-rights bits as the VMCS holds them (SDM Vol. 3C Table 25-2). */
#define SEG_TYPE_WR	BIT(1) /* data: writable; code: readable */
#define SEG_TYPE_DOWN	BIT(2) /* data: expand-down */
#define SEG_TYPE_CODE	BIT(3)
#define SEG_AR_DB	BIT(14)
#define SEG_AR_UNUSABLE BIT(16)
#define SEG_AR_TYPE(ar) ((ar)&0xF)

/* Whether the size bytes at lin all have bits 63:bits-1 equal (SDM Vol. 1 3.3.7.1). */
static bool canonical(u64 lin, unsigned size, unsigned bits)
{
	u64 last = lin + size - 1;
	s64 a = (s64)(lin << (64 - bits)) >> (64 - bits);
	s64 b = (s64)(last << (64 - bits)) >> (64 - bits);

	return (u64)a == lin && (u64)b == last;
}

/* Limit check: expand-up [0, limit], expand-down (limit, 0xFFFF or 0xFFFFFFFF]. */
static bool within(u32 ar, u32 limit, u64 off, unsigned size, bool types)
{
	u64 last = off + size - 1;

	if (types && !(SEG_AR_TYPE(ar) & SEG_TYPE_CODE) && (SEG_AR_TYPE(ar) & SEG_TYPE_DOWN))
		return off > limit && last <= ((ar & SEG_AR_DB) ? 0xFFFFFFFFULL : 0xFFFFULL);
	return last <= limit;
}

/* #AC: with alignment checking on, a 2-, 4- or 8-byte access must be aligned to its size. */
static int aligned(const struct emulate_env *env, u64 lin, unsigned size)
{
	if (!env->align_check || size < 2 || size > 8)
		return EMULATE_OK;
	return (lin & (size - 1)) ? EMULATE_AC : EMULATE_OK;
}

static int segment(const struct emulate_env *env, enum decode_mode mode, enum decode_seg seg,
		   u64 off, unsigned size, bool write, u64 *lin)
{
	u32 ar = env->seg_ar[seg], type = SEG_AR_TYPE(ar);
	int fault = seg == DECODE_SEG_SS ? EMULATE_SS : EMULATE_GP;
	bool types = env->seg_checks == EMULATE_SEGS_PROTECTED;

	if (mode == DECODE_MODE_64) {
		*lin =
		    (seg == DECODE_SEG_FS || seg == DECODE_SEG_GS ? env->seg_base[seg] : 0) + off;
		if (env->seg_checks == EMULATE_SEGS_NONE)
			return EMULATE_OK;
		return canonical(*lin, size, env->canon_bits) ? EMULATE_OK : fault;
	}
	*lin = (env->seg_base[seg] + off) & 0xFFFFFFFFULL;
	if (env->seg_checks == EMULATE_SEGS_NONE)
		return EMULATE_OK;
	if (types && (ar & SEG_AR_UNUSABLE))
		return fault; /* a null selector */
	if (types && write && ((type & SEG_TYPE_CODE) || !(type & SEG_TYPE_WR)))
		return fault; /* a code segment, or read-only data */
	if (types && !write && (type & SEG_TYPE_CODE) && !(type & SEG_TYPE_WR))
		return fault; /* execute-only code */
	return within(ar, env->seg_limit[seg], off, size, types) ? EMULATE_OK : fault;
}

int emulate_seg_check(const struct emulate_env *env, enum decode_mode mode, enum decode_seg seg,
		      u64 off, unsigned size, bool write, u64 *lin)
{
	int s = segment(env, mode, seg, off, size, write, lin);

	if (s || env->seg_checks == EMULATE_SEGS_NONE)
		return s;
	return aligned(env, *lin, size);
}

int emulate_branch_check(const struct emulate_env *env, enum decode_mode mode, u64 target)
{
	if (env->seg_checks == EMULATE_SEGS_NONE)
		return EMULATE_OK;
	if (mode == DECODE_MODE_64)
		return canonical(target, 1, env->canon_bits) ? EMULATE_OK : EMULATE_GP;
	return target <= env->seg_limit[DECODE_SEG_CS] ? EMULATE_OK : EMULATE_GP;
}
