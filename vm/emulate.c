/*
 * MMIO instruction emulation (vm/emulate.h). emulate_insn works on a copy
 * of the registers and commits it only when every access succeeded, so a
 * failed access leaves the guest state as the fault found it.
 *
 * Flags (SDM Vol. 1 3.4.3.1, Vol. 2 "AND", "CMP", "TEST"):
 *   AND/OR/XOR/TEST  CF=OF=0; SF, ZF, PF from the result; AF undefined
 *                    (cleared here, as Intel processors do)
 *   CMP a, b         as SUB a - b: CF = borrow, OF = signed overflow,
 *                    AF = borrow out of bit 3, SF ZF PF from the result
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

u64 emulate_flags_sub(u64 rflags, u64 a, u64 b, unsigned size)
{
	u64 m = size_mask(size);
	u64 res = (a - b) & m;

	a &= m;
	b &= m;
	rflags = flags_szp(rflags & ~RFLAGS_STATUS, res, size);
	if (a < b)
		rflags |= RFLAGS_CF;
	if ((a ^ b) & (a ^ res) & sign_bit(size))
		rflags |= RFLAGS_OF;
	if ((a ^ b ^ res) & 0x10)
		rflags |= RFLAGS_AF;
	return rflags;
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

/* AND/OR/XOR/CMP/TEST: first operand per d->dir; writes back unless CMP/TEST. */
static int alu(const struct decode_insn *d, u64 gpa, struct emulate_regs *r,
	       const struct emulate_env *env)
{
	bool to_mem = d->dir == DECODE_DIR_TO_MEM;
	u64 mem, a, b, res;
	int s = mmio_read(env, gpa, d->mem_size, &mem);

	if (s)
		return s;
	a = to_mem ? mem : source(d, r);
	b = to_mem ? source(d, r) : mem;
	if (d->op == DECODE_OP_CMP) {
		r->rflags = emulate_flags_sub(r->rflags, a, b, d->op_size);
		return EMULATE_OK;
	}
	res = d->op == DECODE_OP_OR ? a | b : d->op == DECODE_OP_XOR ? a ^ b : a & b;
	if (d->op != DECODE_OP_TEST && to_mem)
		s = mmio_write(env, gpa, d->mem_size, res);
	else if (d->op != DECODE_OP_TEST)
		emulate_reg_write(r, d->reg, d->reg_high, d->op_size, res);
	if (!s)
		r->rflags = emulate_flags_logic(r->rflags, res, d->op_size);
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
