/*
 * The double-width forms on MMIO (vm/emulate.h): MUL, IMUL, DIV and IDIV
 * with a memory source (rDX:rAX, or AX for bytes, and the 0F AF/69/6B
 * IMUL register), and CMPXCHG8B/CMPXCHG16B (EDX:EAX, RDX:RAX). Pure, like
 * vm/emulate.c; the 128-bit products and quotients are built from 64-bit
 * halves (no compiler runtime in Keel).
 *
 * Flags (SDM Vol. 2A/2B per instruction; the undefined ones as Intel
 * processors leave them, docs/mmio.md):
 *   MUL, IMUL   CF = OF = the result does not fit the low half (MUL: the
 *               high half is not zero; IMUL: the product is not the sign
 *               extension of its low half, or of the truncated register
 *               result); SF = its low half's sign bit, PF its low byte's
 *               parity, ZF and AF cleared
 *   DIV, IDIV   every status flag kept
 *   CMPXCHG8B/16B  ZF = the comparison; the others kept
 */
#include "vm/emulate.h"
#include "arch/x86/cr.h"
#include "vm/cpuid_policy.h"
#include "vmx/vcpu_regs.h"

#define RFLAGS_STATUS (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)

/* A value of `size` bytes as a signed 64-bit one. */
static u64 sext(u64 v, unsigned size)
{
	u64 sign = emulate_sign_bit(size);

	v &= emulate_size_mask(size);
	return (v & sign) ? v | ~emulate_size_mask(size) : v;
}

/* hi:lo = a * b, 64 x 64 -> 128 bits, from 32-bit halves. */
static void mul_u128(u64 a, u64 b, u64 *hi, u64 *lo)
{
	u64 al = (u32)a, ah = a >> 32, bl = (u32)b, bh = b >> 32;
	u64 ll = al * bl, lh = al * bh, hl = ah * bl;
	u64 mid = (ll >> 32) + (u32)lh + (u32)hl;

	*lo = (mid << 32) | (u32)ll;
	*hi = ah * bh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}

/*
 * The product of two size-byte operands as hi:lo halves of `size` bytes
 * each (zero-extended), unsigned or (sign) signed: a two's-complement
 * product's high half is the unsigned one's less b for a negative a and
 * a for a negative b.
 */
static void product(u64 a, u64 b, unsigned size, bool sign, u64 *hi, u64 *lo)
{
	u64 m = emulate_size_mask(size), h, l;

	if (sign) {
		a = sext(a, size);
		b = sext(b, size);
	} else {
		a &= m;
		b &= m;
	}
	mul_u128(a, b, &h, &l);
	if (sign)
		h -= ((s64)a < 0 ? b : 0) + ((s64)b < 0 ? a : 0);
	if (size < 8) /* the whole product is in l */
		h = l >> (8 * size);
	*hi = h & m;
	*lo = l & m;
}

/* RFLAGS after a multiply whose low half is lo: CF = OF = over, SF PF from lo, ZF AF clear. */
static u64 mul_flags(u64 rflags, u64 lo, bool over, unsigned size)
{
	u8 p = (u8)lo;

	p ^= p >> 4;
	p ^= p >> 2;
	p ^= p >> 1;
	rflags &= ~RFLAGS_STATUS;
	if (over)
		rflags |= RFLAGS_CF | RFLAGS_OF;
	if (lo & emulate_sign_bit(size))
		rflags |= RFLAGS_SF;
	if (!(p & 1))
		rflags |= RFLAGS_PF;
	return rflags;
}

/*
 * MUL/IMUL with one operand: rDX:rAX = rAX * m (AX = AL * m8); IMUL with
 * a register (0F AF, 69, 6B): reg = reg * m or m * imm, truncated.
 */
static void multiply(const struct decode_insn *d, u64 m, struct emulate_regs *r)
{
	unsigned size = d->op_size;
	bool sign = d->op == DECODE_OP_IMUL, over;
	u64 a, hi, lo;

	if (d->has_reg)
		a = d->has_imm ? d->imm : emulate_reg_read(r, d->reg, d->reg_high, size);
	else
		a = emulate_reg_read(r, GPR_RAX, false, size);
	product(a, m, size, sign, &hi, &lo);
	over = sign ? hi != ((lo & emulate_sign_bit(size)) ? emulate_size_mask(size) : 0) : hi != 0;
	r->rflags = mul_flags(r->rflags, lo, over, size);
	if (d->has_reg) {
		emulate_reg_write(r, d->reg, d->reg_high, size, lo);
	} else if (size == 1) {
		emulate_reg_write(r, GPR_RAX, false, 2, (hi << 8) | lo);
	} else {
		emulate_reg_write(r, GPR_RAX, false, size, lo);
		emulate_reg_write(r, GPR_RDX, false, size, hi);
	}
}

/*
 * hi:lo / v for hi < v (so the quotient fits 64 bits), one bit at a
 * time: *rem gets the remainder.
 */
static u64 div_u128(u64 hi, u64 lo, u64 v, u64 *rem)
{
	for (unsigned i = 0; i < 64; i++) {
		bool top = hi >> 63;

		hi = (hi << 1) | (lo >> 63);
		lo <<= 1;
		if (top || hi >= v) {
			hi -= v;
			lo |= 1;
		}
	}
	*rem = hi;
	return lo;
}

/*
 * DIV/IDIV of the 2*size-byte dividend rDX:rAX (AX for bytes) by v:
 * false (#DE) for v = 0 or a quotient outside the destination (SDM Vol.
 * 2A "DIV", "IDIV": IDIV's most negative dividend by -1 among them), else
 * *q and *rem, the remainder taking the dividend's sign.
 */
static bool divide(const struct decode_insn *d, u64 v, const struct emulate_regs *r, u64 *q,
		   u64 *rem)
{
	unsigned size = d->op_size;
	bool sign = d->op == DECODE_OP_IDIV, neg_n = false, neg_v = false;
	u64 m = emulate_size_mask(size), hi, lo, limit;

	if (size == 1) {
		lo = emulate_reg_read(r, GPR_RAX, false, 2);
		hi = 0;
		if (sign)
			lo = sext(lo, 2);
	} else {
		lo = emulate_reg_read(r, GPR_RAX, false, size);
		hi = emulate_reg_read(r, GPR_RDX, false, size);
		if (size < 8) { /* the dividend fits 64 bits */
			lo |= hi << (8 * size);
			hi = 0;
			if (sign)
				lo = sext(lo, 2 * size);
		}
	}
	if (sign && size < 8)
		hi = (s64)lo < 0 ? ~0ULL : 0;
	v = sign ? sext(v, size) : v & m;
	if (v == 0)
		return false;
	if (sign && (s64)hi < 0) { /* the dividend's magnitude */
		neg_n = true;
		lo = 0 - lo;
		hi = ~hi + (lo == 0);
	}
	if (sign && (s64)v < 0) {
		neg_v = true;
		v = 0 - v;
	}
	if (hi >= v)
		return false; /* a quotient of 2^64 or more */
	*q = div_u128(hi, lo, v, rem);
	limit = sign ? emulate_sign_bit(size) - (neg_n == neg_v) : m;
	if (*q > limit)
		return false;
	*q = (neg_n != neg_v ? 0 - *q : *q) & m;
	*rem = (neg_n ? 0 - *rem : *rem) & m;
	return true;
}

int emulate_muldiv(const struct decode_insn *d, u64 gpa, struct emulate_regs *r,
		   const struct emulate_env *env)
{
	unsigned size = d->op_size;
	u64 v = 0, q, rem;

	if (!env->mmio_read(env->ctx, gpa, d->mem_size, &v))
		return EMULATE_MMIO_FAILED;
	v &= emulate_size_mask(d->mem_size);
	if (d->op == DECODE_OP_MUL || d->op == DECODE_OP_IMUL) {
		multiply(d, v, r);
		return EMULATE_OK;
	}
	if (!divide(d, v, r, &q, &rem))
		return EMULATE_FAULT_DE;
	if (size == 1) {
		emulate_reg_write(r, GPR_RAX, false, 2, (rem << 8) | q);
	} else {
		emulate_reg_write(r, GPR_RAX, false, size, q);
		emulate_reg_write(r, GPR_RDX, false, size, rem);
	}
	return EMULATE_OK;
}

/*
 * CMPXCHG8B/16B (SDM Vol. 2A "CMPXCHG8B/CMPXCHG16B"): m is compared with
 * rDX:rAX; equal: ZF = 1 and m = rCX:rBX; else ZF = 0, rDX:rAX = m, and m
 * is written back with its own value (the SDM's "DEST <- TEMP": the
 * processor always writes, and so does Keel, as for CMPXCHG). Each half
 * is one 8-byte device access (CMPXCHG8B: its 8 bytes in one), low first.
 */
int emulate_cmpxchg_wide(const struct decode_insn *d, u64 gpa, struct emulate_regs *r,
			 const struct emulate_env *env)
{
	unsigned half = d->op_size, pieces = d->mem_size / 8;
	bool wide = d->op == DECODE_OP_CMPXCHG16B, hit;
	u64 m[2] = {0, 0}, lin, w;
	const u64 *out;
	u64 acc[2] = {emulate_reg_read(r, GPR_RAX, false, half),
		      emulate_reg_read(r, GPR_RDX, false, half)};
	u64 src[2] = {emulate_reg_read(r, GPR_RBX, false, half),
		      emulate_reg_read(r, GPR_RCX, false, half)};

	if (wide ? !(env->cpuid1_ecx & CPUID1_ECX_CX16) : !(env->cpuid1_edx & CPUID1_EDX_CX8))
		return EMULATE_FAULT_UD;
	lin = emulate_linear(d, env, d->mem.seg, decode_ea(d, &d->mem, r->gpr, r->rip));
	if (wide && (lin & 15))
		return EMULATE_FAULT_GP;
	for (unsigned i = 0; i < pieces; i++)
		if (!env->mmio_read(env->ctx, gpa + 8 * i, 8, &m[i]))
			return EMULATE_MMIO_FAILED;
	if (!wide) { /* the 4-byte halves of the one 8-byte access */
		m[1] = m[0] >> 32;
		m[0] = (u32)m[0];
	}
	hit = acc[0] == m[0] && acc[1] == m[1];
	out = hit ? src : m;
	for (unsigned i = 0; i < pieces; i++) {
		w = wide ? out[i] : out[0] | (out[1] << 32);
		if (!env->mmio_write(env->ctx, gpa + 8 * i, 8, w))
			return EMULATE_MMIO_FAILED;
	}
	if (!hit) {
		emulate_reg_write(r, GPR_RAX, false, half, m[0]);
		emulate_reg_write(r, GPR_RDX, false, half, m[1]);
	}
	r->rflags = (r->rflags & ~RFLAGS_ZF) | (hit ? RFLAGS_ZF : 0);
	return EMULATE_OK;
}
