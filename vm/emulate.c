/*
 * MMIO instruction emulation (vm/emulate.h). emulate_insn works on a copy
 * of the registers and commits it only when every access succeeded, so a
 * failed access leaves the guest state as the fault found it.
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
 *   shifts, rotates  emulate_shift() below; BT* CF only (emulate_bit()).
 * PF is even parity of the result's low byte only.
 */
#include "vm/emulate.h"
#include "arch/x86/cr.h"
#include "vmx/vcpu_regs.h"

#define RFLAGS_STATUS (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)

static u64 size_mask(unsigned size)
{
	return size >= 8 ? ~0ULL : BIT(8 * size) - 1;
}

static u64 sign_bit(unsigned size)
{
	return BIT(8 * size - 1);
}

u64 emulate_reg_read(const struct emulate_regs *r, int reg, bool high, unsigned size)
{
	if (high)
		return (r->gpr[reg] >> 8) & 0xFF;
	return r->gpr[reg] & size_mask(size);
}

void emulate_reg_write(struct emulate_regs *r, int reg, bool high, unsigned size, u64 val)
{
	u64 m = size_mask(size);

	if (high)
		r->gpr[reg] = (r->gpr[reg] & ~0xFF00ULL) | ((val & 0xFF) << 8);
	else if (size == 4)
		r->gpr[reg] = val & m; /* 32-bit destinations zero-extend (SDM Vol. 1 3.4.1.1) */
	else
		r->gpr[reg] = (r->gpr[reg] & ~m) | (val & m);
}

/* SF, ZF and PF from a result of `size` bytes; other bits kept. */
static u64 flags_szp(u64 rflags, u64 res, unsigned size)
{
	u8 p = (u8)res;

	res &= size_mask(size);
	rflags &= ~(RFLAGS_SF | RFLAGS_ZF | RFLAGS_PF);
	if (res == 0)
		rflags |= RFLAGS_ZF;
	if (res & sign_bit(size))
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
	u64 m = size_mask(size), sign = sign_bit(size);
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

/* RIP after d: wraps at the code size (EIP, IP) outside 64-bit mode. */
static u64 next_rip(const struct decode_insn *d, u64 rip)
{
	return (rip + d->len) & size_mask(d->mode);
}

/* The non-memory source: the immediate or the register operand, op_size bytes. */
static u64 source(const struct decode_insn *d, const struct emulate_regs *r)
{
	if (d->has_imm)
		return d->imm & size_mask(d->op_size);
	return emulate_reg_read(r, d->reg, d->reg_high, d->op_size);
}

static int mmio_read(const struct emulate_env *env, u64 gpa, unsigned size, u64 *val)
{
	*val = 0;
	if (!env->mmio_read(env->ctx, gpa, size, val))
		return EMULATE_MMIO_FAILED;
	*val &= size_mask(size);
	return EMULATE_OK;
}

static int mmio_write(const struct emulate_env *env, u64 gpa, unsigned size, u64 val)
{
	return env->mmio_write(env->ctx, gpa, size, val & size_mask(size)) ? EMULATE_OK
									   : EMULATE_MMIO_FAILED;
}

/* MOV/MOVZX/MOVSX from memory: register = extend(memory). */
static int load(const struct decode_insn *d, u64 gpa, struct emulate_regs *r,
		const struct emulate_env *env)
{
	u64 v;
	int s = mmio_read(env, gpa, d->mem_size, &v);

	if (s)
		return s;
	if (d->op == DECODE_OP_MOVSX && (v & sign_bit(d->mem_size)))
		v |= ~size_mask(d->mem_size);
	emulate_reg_write(r, d->reg, d->reg_high, d->op_size, v);
	return EMULATE_OK;
}

/*
 * a OP b for the two-operand ALU operations at `size` bytes: *res gets the
 * result (bits above size are not cleared), the return value the RFLAGS
 * after it (ADC and SBB take CF from rflags).
 */
static u64 binary(enum decode_op op, u64 a, u64 b, u64 rflags, unsigned size, u64 *res)
{
	u64 cf = (rflags & RFLAGS_CF) ? 1 : 0;

	switch (op) {
	case DECODE_OP_ADD:
	case DECODE_OP_ADC:
		*res = a + b + (op == DECODE_OP_ADC ? cf : 0);
		return emulate_flags_arith(rflags, a, b, *res, false, size);
	case DECODE_OP_SUB:
	case DECODE_OP_SBB:
	case DECODE_OP_CMP:
		*res = a - b - (op == DECODE_OP_SBB ? cf : 0);
		return emulate_flags_arith(rflags, a, b, *res, true, size);
	case DECODE_OP_OR:
		*res = a | b;
		break;
	case DECODE_OP_XOR:
		*res = a ^ b;
		break;
	default: /* AND, TEST */
		*res = a & b;
	}
	return emulate_flags_logic(rflags, *res, size);
}

/* ADD..XOR/CMP/TEST: first operand per d->dir; writes back unless CMP/TEST. */
static int alu(const struct decode_insn *d, u64 gpa, struct emulate_regs *r,
	       const struct emulate_env *env)
{
	bool to_mem = d->dir == DECODE_DIR_TO_MEM;
	u64 mem, a, b, res, fl;
	int s = mmio_read(env, gpa, d->mem_size, &mem);

	if (s)
		return s;
	a = to_mem ? mem : source(d, r);
	b = to_mem ? source(d, r) : mem;
	fl = binary(d->op, a, b, r->rflags, d->op_size, &res);
	if (d->op == DECODE_OP_CMP || d->op == DECODE_OP_TEST)
		; /* flags only */
	else if (to_mem)
		s = mmio_write(env, gpa, d->mem_size, res);
	else
		emulate_reg_write(r, d->reg, d->reg_high, d->op_size, res);
	if (!s)
		r->rflags = fl;
	return s;
}

/* INC/DEC (CF kept), NEG (as 0 - m), NOT (no flags) of the memory operand. */
static int unary(const struct decode_insn *d, u64 gpa, struct emulate_regs *r,
		 const struct emulate_env *env)
{
	unsigned size = d->op_size;
	u64 v, res, fl = r->rflags;
	int s = mmio_read(env, gpa, size, &v);

	if (s)
		return s;
	switch (d->op) {
	case DECODE_OP_INC:
	case DECODE_OP_DEC:
		res = d->op == DECODE_OP_INC ? v + 1 : v - 1;
		fl = emulate_flags_arith(fl, v, 1, res, d->op == DECODE_OP_DEC, size);
		fl = (fl & ~RFLAGS_CF) | (r->rflags & RFLAGS_CF);
		break;
	case DECODE_OP_NEG:
		res = 0 - v;
		fl = emulate_flags_arith(fl, 0, v, res, true, size);
		break;
	default: /* NOT */
		res = ~v;
	}
	s = mmio_write(env, gpa, size, res);
	if (!s)
		r->rflags = fl;
	return s;
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
	u64 m = size_mask(size), sign = sign_bit(size);
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
	u64 m = size_mask(size), sign = sign_bit(size), cf;
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

/* A shift or rotate of the memory operand by imm or CL; a count of 0 writes nothing. */
static int shift_op(const struct decode_insn *d, u64 gpa, struct emulate_regs *r,
		    const struct emulate_env *env)
{
	unsigned count = (unsigned)(d->has_imm ? d->imm : r->gpr[GPR_RCX]) & 0xFF;
	u64 v, res, fl;
	int s = mmio_read(env, gpa, d->mem_size, &v);

	if (s)
		return s;
	fl = emulate_shift(d->op, v, count, r->rflags, d->op_size, &res);
	if (count & (d->op_size == 8 ? 0x3F : 0x1F))
		s = mmio_write(env, gpa, d->mem_size, res);
	if (!s)
		r->rflags = fl;
	return s;
}

/*
 * BT/BTS/BTR/BTC: CF = the bit, then set, clear or flip it. An immediate
 * offset is taken modulo the operand width; a register offset is signed
 * and may reach outside the operand (SDM Vol. 2A "BT"): the CPU then
 * accesses the operand-size unit at EA + size * (offset div width), and
 * that access is the one that faulted at gpa, so only offset mod width is
 * needed here. Other flags are kept.
 */
static int bit_op(const struct decode_insn *d, u64 gpa, struct emulate_regs *r,
		  const struct emulate_env *env)
{
	unsigned size = d->op_size;
	u64 v, res, bit;
	int s = mmio_read(env, gpa, size, &v);

	if (s)
		return s;
	bit = BIT((d->has_imm ? d->imm : source(d, r)) & (8 * size - 1));
	res = d->op == DECODE_OP_BTS ? v | bit : d->op == DECODE_OP_BTR ? v & ~bit : v ^ bit;
	if (d->op != DECODE_OP_BT)
		s = mmio_write(env, gpa, size, res);
	if (!s)
		r->rflags = (r->rflags & ~RFLAGS_CF) | ((v & bit) ? RFLAGS_CF : 0);
	return s;
}

/* XCHG memory, register: both directions in one (locked on hardware) access. */
static int xchg(const struct decode_insn *d, u64 gpa, struct emulate_regs *r,
		const struct emulate_env *env)
{
	u64 old;
	int s = mmio_read(env, gpa, d->mem_size, &old);

	if (!s)
		s = mmio_write(env, gpa, d->mem_size, source(d, r));
	if (!s)
		emulate_reg_write(r, d->reg, d->reg_high, d->op_size, old);
	return s;
}

/* XADD: memory = memory + register, register = the old memory; flags as ADD. */
static int xadd(const struct decode_insn *d, u64 gpa, struct emulate_regs *r,
		const struct emulate_env *env)
{
	u64 v, res, src = source(d, r), fl;
	int s = mmio_read(env, gpa, d->mem_size, &v);

	if (s)
		return s;
	fl = binary(DECODE_OP_ADD, v, src, r->rflags, d->op_size, &res);
	s = mmio_write(env, gpa, d->mem_size, res);
	if (s)
		return s;
	emulate_reg_write(r, d->reg, d->reg_high, d->op_size, v);
	r->rflags = fl;
	return EMULATE_OK;
}

/*
 * CMPXCHG: flags of rAX - memory; equal: memory = the register; else rAX
 * = memory. The memory is written either way (SDM Vol. 2A "CMPXCHG": the
 * destination gets a write cycle whatever the comparison), and rAX is
 * written only when they differ (a 32-bit rAX keeps bits 63:32 then).
 */
static int cmpxchg(const struct decode_insn *d, u64 gpa, struct emulate_regs *r,
		   const struct emulate_env *env)
{
	unsigned size = d->op_size;
	u64 v, acc = emulate_reg_read(r, GPR_RAX, false, size);
	int s = mmio_read(env, gpa, size, &v);

	if (s)
		return s;
	s = mmio_write(env, gpa, size, acc == v ? source(d, r) : v);
	if (s)
		return s;
	if (acc != v)
		emulate_reg_write(r, GPR_RAX, false, size, v);
	r->rflags = emulate_flags_sub(r->rflags, acc, v, size);
	return EMULATE_OK;
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

/*
 * The linear address of seg:off for MOVS's guest-memory side (SDM Vol. 1
 * 3.3.7.1, Vol. 3A 3.4): in 64-bit code the ES, CS, SS and DS bases count
 * as zero whatever the segment registers hold; outside it the linear
 * address space is 32 bits, so base + offset wraps at 4 GiB.
 */
static u64 linear(const struct decode_insn *d, const struct emulate_env *env, enum decode_seg seg,
		  u64 off)
{
	if (d->mode == DECODE_MODE_64)
		return (seg == DECODE_SEG_FS || seg == DECODE_SEG_GS ? env->seg_base[seg] : 0) +
		       off;
	return (env->seg_base[seg] + off) & 0xFFFFFFFFULL;
}

/* One STOS or MOVS element; moves rSI/rDI by the element size in the DF direction. */
static int string_step(const struct decode_insn *d, u64 gpa, bool write_fault,
		       struct emulate_regs *r, const struct emulate_env *env)
{
	unsigned size = d->mem_size;
	u64 step = (r->rflags & RFLAGS_DF) ? -(u64)size : size;
	u64 si = decode_ea(d, &d->mem, r->gpr, r->rip);
	u64 di = decode_ea(d, d->op == DECODE_OP_MOVS ? &d->mem2 : &d->mem, r->gpr, r->rip);
	u64 v;
	int s;

	if (d->op == DECODE_OP_STOS) {
		s = mmio_write(env, gpa, size, emulate_reg_read(r, GPR_RAX, false, size));
	} else if (write_fault) { /* RAM (or other) seg:rSI -> MMIO ES:rDI */
		s = env->mem_read(env->ctx, linear(d, env, d->mem.seg, si), size, &v)
			? mmio_write(env, gpa, size, v)
			: EMULATE_MEM_FAILED;
	} else { /* MMIO seg:rSI -> ES:rDI */
		s = mmio_read(env, gpa, size, &v);
		if (!s && !env->mem_write(env->ctx, linear(d, env, DECODE_SEG_ES, di), size, v))
			s = EMULATE_MEM_FAILED;
	}
	if (s)
		return s;
	if (d->op == DECODE_OP_MOVS)
		emulate_reg_write(r, GPR_RSI, false, d->addr_size, si + step);
	emulate_reg_write(r, GPR_RDI, false, d->addr_size, di + step);
	return EMULATE_OK;
}

/*
 * STOS/MOVS, one element. With REP, rCX (address-size wide) counts down;
 * RIP stays on the instruction until it reaches zero, and a count already
 * zero does nothing but advance RIP.
 */
static int string_op(const struct decode_insn *d, u64 gpa, bool write_fault, struct emulate_regs *r,
		     const struct emulate_env *env)
{
	u64 count = emulate_reg_read(r, GPR_RCX, false, d->addr_size);
	int s;

	if (d->rep && count == 0) {
		r->rip = next_rip(d, r->rip);
		return EMULATE_OK;
	}
	s = string_step(d, gpa, write_fault, r, env);
	if (s)
		return s;
	if (d->rep)
		emulate_reg_write(r, GPR_RCX, false, d->addr_size, --count);
	if (!d->rep || count == 0)
		r->rip = next_rip(d, r->rip);
	return EMULATE_OK;
}

/* One non-string instruction; RIP is advanced by the caller. */
static int single_op(const struct decode_insn *d, u64 gpa, struct emulate_regs *r,
		     const struct emulate_env *env)
{
	switch (d->op) {
	case DECODE_OP_MOV:
		if (d->dir == DECODE_DIR_TO_MEM)
			return mmio_write(env, gpa, d->mem_size, source(d, r));
		return load(d, gpa, r, env);
	case DECODE_OP_MOVZX:
	case DECODE_OP_MOVSX:
		return load(d, gpa, r, env);
	case DECODE_OP_XCHG:
		return xchg(d, gpa, r, env);
	case DECODE_OP_INC:
	case DECODE_OP_DEC:
	case DECODE_OP_NEG:
	case DECODE_OP_NOT:
		return unary(d, gpa, r, env);
	case DECODE_OP_ROL:
	case DECODE_OP_ROR:
	case DECODE_OP_RCL:
	case DECODE_OP_RCR:
	case DECODE_OP_SHL:
	case DECODE_OP_SHR:
	case DECODE_OP_SAR:
		return shift_op(d, gpa, r, env);
	case DECODE_OP_BT:
	case DECODE_OP_BTS:
	case DECODE_OP_BTR:
	case DECODE_OP_BTC:
		return bit_op(d, gpa, r, env);
	case DECODE_OP_XADD:
		return xadd(d, gpa, r, env);
	case DECODE_OP_CMPXCHG:
		return cmpxchg(d, gpa, r, env);
	case DECODE_OP_SETCC:
		return mmio_write(env, gpa, 1, emulate_condition(r->rflags, d->cc));
	default:
		return alu(d, gpa, r, env);
	}
}

int emulate_insn(const struct decode_insn *d, u64 gpa, bool write_fault, struct emulate_regs *r,
		 const struct emulate_env *env)
{
	struct emulate_regs n = *r;
	int s;

	if (d->op == DECODE_OP_STOS || d->op == DECODE_OP_MOVS) {
		s = string_op(d, gpa, write_fault, &n, env);
	} else {
		s = single_op(d, gpa, &n, env);
		n.rip = next_rip(d, n.rip);
	}
	if (s == EMULATE_OK)
		*r = n;
	return s;
}

const char *emulate_status_name(int status)
{
	switch (status) {
	case EMULATE_OK:
		return "ok";
	case EMULATE_MMIO_FAILED:
		return "device access failed";
	case EMULATE_MEM_FAILED:
		return "guest memory access failed";
	default:
		return "unknown status";
	}
}
