/*
 * The value-level half of MMIO emulation (vm/emulate.h): what an
 * operation makes of its operands and the RFLAGS it leaves, without any
 * memory access. Pure, like vm/emulate.c.
 *
 * Flags (SDM Vol. 1 3.4.3.1 and Appendix A, Vol. 2 per instruction):
 *   AND/OR/XOR/TEST  CF=OF=0; SF, ZF, PF from the result; AF undefined
 *                    (cleared here, as Intel processors do)
 *   ADD/ADC/XADD     CF = carry out, OF = signed overflow, AF = carry out
 *                    of bit 3, SF ZF PF from the result
 *   SUB/SBB/CMP/NEG  the same with borrows (CMP a, b as SUB a - b; NEG a
 *   /CMPXCHG         as 0 - a)
 *   INC/DEC          as ADD/SUB 1, CF kept
 *   NOT, SETcc       no flags
 *   shifts, rotates  emulate_shift() below; BT* CF only (vm/emulate.c, bit_op()).
 * PF is even parity of the result's low byte only.
 */
#include "vm/emulate.h"
#include "arch/x86/cr.h"

#define RFLAGS_STATUS (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)

/* SF, ZF and PF from a result of `size` bytes; other bits kept. */
static u64 flags_szp(u64 rflags, u64 res, unsigned size)
{
	u8 p = (u8)res;

	res &= emulate_size_mask(size);
	rflags &= ~(RFLAGS_SF | RFLAGS_ZF | RFLAGS_PF);
	if (res == 0)
		rflags |= RFLAGS_ZF;
	if (res & emulate_sign_bit(size))
		rflags |= RFLAGS_SF;
	p ^= p >> 4;
	p ^= p >> 2;
	p ^= p >> 1;
	if (!(p & 1))
		rflags |= RFLAGS_PF;
	return rflags;
}

u64 emulate_flags_logic(u64 rflags, u64 res, unsigned size)
{
	return flags_szp(rflags & ~(RFLAGS_CF | RFLAGS_OF | RFLAGS_AF), res, size);
}

/*
 * Carry (borrow) and overflow out of the top bit of a +/- b (+/- carry in)
 * giving res: the full adder's carry is a&b | (a|b)&~res, a full
 * subtractor's borrow ~a&b | (~a|b)&res; overflow when the operands'
 * signs (b's inverted for a subtraction) agree and res's differs.
 */
u64 emulate_flags_arith(u64 rflags, u64 a, u64 b, u64 res, bool sub, unsigned size)
{
	u64 m = emulate_size_mask(size), sign = emulate_sign_bit(size);
	u64 carry = sub ? (~a & b) | ((~a | b) & res) : (a & b) | ((a | b) & ~res);
	u64 over = sub ? (a ^ b) & (a ^ res) : ~(a ^ b) & (a ^ res);

	a &= m;
	b &= m;
	res &= m;
	rflags = flags_szp(rflags & ~RFLAGS_STATUS, res, size);
	if (carry & sign)
		rflags |= RFLAGS_CF;
	if (over & sign)
		rflags |= RFLAGS_OF;
	if ((a ^ b ^ res) & 0x10)
		rflags |= RFLAGS_AF;
	return rflags;
}

u64 emulate_flags_sub(u64 rflags, u64 a, u64 b, unsigned size)
{
	return emulate_flags_arith(rflags, a, b, a - b, true, size);
}

/*
 * ROL/ROR/RCL/RCR of v by a masked, non-zero count, as the SDM's
 * pseudo-code for them (Vol. 2B "RCL/RCR/ROL/ROR") does it, one bit at a
 * time: ROL/ROR turn by count mod the width, RCL/RCR (CF is the extra
 * bit) by count mod width + 1 for 8- and 16-bit operands. Only CF and OF
 * change; OF is the SDM's count-1 value whatever the count.
 */
static u64 rotate(enum decode_op op, u64 v, unsigned count, u64 rflags, unsigned size, u64 *res)
{
	unsigned bits = 8 * size;
	unsigned n = (op == DECODE_OP_RCL || op == DECODE_OP_RCR) && size <= 2 ? count % (bits + 1)
		     : (op == DECODE_OP_RCL || op == DECODE_OP_RCR)	       ? count
									       : count % bits;
	u64 m = emulate_size_mask(size), sign = emulate_sign_bit(size);
	u64 cf = (rflags & RFLAGS_CF) ? 1 : 0, t;
	bool of = ((v & sign) != 0) ^ cf; /* RCR's, from the operand before */

	for (; n; n--) {
		t = op == DECODE_OP_ROL || op == DECODE_OP_RCL ? (v & sign) != 0 : v & 1;
		if (op == DECODE_OP_ROL || op == DECODE_OP_RCL)
			v = ((v << 1) | (op == DECODE_OP_ROL ? t : cf)) & m;
		else
			v = (v >> 1) | ((op == DECODE_OP_ROR ? t : cf) ? sign : 0);
		cf = t;
	}
	if (op == DECODE_OP_ROL)
		cf = v & 1;
	else if (op == DECODE_OP_ROR)
		cf = (v & sign) != 0;
	if (op == DECODE_OP_ROR)
		of = cf ^ ((v >> (bits - 2)) & 1);
	else if (op != DECODE_OP_RCR)
		of = ((v & sign) != 0) ^ cf;
	*res = v;
	return (rflags & ~(RFLAGS_CF | RFLAGS_OF)) | (cf ? RFLAGS_CF : 0) | (of ? RFLAGS_OF : 0);
}

u64 emulate_shift(enum decode_op op, u64 v, unsigned count, u64 rflags, unsigned size, u64 *res)
{
	unsigned bits = 8 * size;
	u64 m = emulate_size_mask(size), sign = emulate_sign_bit(size), cf;
	s64 sv;
	bool of;

	v &= m;
	*res = v;
	count &= size == 8 ? 0x3F : 0x1F;
	if (count == 0)
		return rflags;
	switch (op) {
	case DECODE_OP_SHL:
		*res = count < bits ? (v << count) & m : 0;
		cf = count <= bits ? (v >> (bits - count)) & 1 : 0;
		of = ((*res & sign) != 0) ^ cf;
		break;
	case DECODE_OP_SHR:
		*res = v >> count;
		cf = (v >> (count - 1)) & 1;
		of = (v & sign) != 0;
		break;
	case DECODE_OP_SAR:
		sv = (s64)(v & sign ? v | ~m : v);
		*res = (u64)(sv >> count) & m;
		cf = (u64)(sv >> (count - 1)) & 1;
		of = false;
		break;
	default:
		return rotate(op, v, count, rflags, size, res);
	}
	rflags = flags_szp(rflags & ~(RFLAGS_CF | RFLAGS_OF | RFLAGS_AF), *res, size);
	return rflags | (cf ? RFLAGS_CF : 0) | (of ? RFLAGS_OF : 0);
}

/* SDM Vol. 1 Table B-1: pairs of conditions, the odd one the negation of the even one. */
u64 emulate_condition(u64 rflags, unsigned cc)
{
	bool cf = rflags & RFLAGS_CF, zf = rflags & RFLAGS_ZF, sf = rflags & RFLAGS_SF;
	bool of = rflags & RFLAGS_OF, pf = rflags & RFLAGS_PF;
	bool c;

	switch ((cc >> 1) & 7) {
	case 0:
		c = of;
		break;
	case 1:
		c = cf;
		break;
	case 2:
		c = zf;
		break;
	case 3:
		c = cf || zf;
		break;
	case 4:
		c = sf;
		break;
	case 5:
		c = pf;
		break;
	case 6:
		c = sf != of;
		break;
	default:
		c = zf || sf != of;
	}
	return c ^ (cc & 1);
}
