/*
 * MMIO instruction emulation (vm/emulate.h). emulate_insn works on a copy
 * of the registers and commits it only when every access succeeded, so a
 * failed access leaves the guest state as the fault found it.
 *
 * The values and flags of the operations are vm/emulate_alu.c's; the
 * double-width forms (MUL..IDIV, CMPXCHG8B/16B) are vm/emulate_wide.c's.
 */
#include "vm/emulate.h"
#include "arch/x86/cr.h"
#include "vmx/vcpu_regs.h"

u64 emulate_reg_read(const struct emulate_regs *r, int reg, bool high, unsigned size)
{
	if (high)
		return (r->gpr[reg] >> 8) & 0xFF;
	return r->gpr[reg] & emulate_size_mask(size);
}

void emulate_reg_write(struct emulate_regs *r, int reg, bool high, unsigned size, u64 val)
{
	u64 m = emulate_size_mask(size);

	if (high)
		r->gpr[reg] = (r->gpr[reg] & ~0xFF00ULL) | ((val & 0xFF) << 8);
	else if (size == 4)
		r->gpr[reg] = val & m; /* 32-bit destinations zero-extend (SDM Vol. 1 3.4.1.1) */
	else
		r->gpr[reg] = (r->gpr[reg] & ~m) | (val & m);
}

/* RIP after d: wraps at the code size (EIP, IP) outside 64-bit mode. */
static u64 next_rip(const struct decode_insn *d, u64 rip)
{
	return (rip + d->len) & emulate_size_mask(d->mode);
}

/* The non-memory source: the immediate or the register operand, op_size bytes. */
static u64 source(const struct decode_insn *d, const struct emulate_regs *r)
{
	if (d->has_imm)
		return d->imm & emulate_size_mask(d->op_size);
	return emulate_reg_read(r, d->reg, d->reg_high, d->op_size);
}

static int mmio_read(const struct emulate_env *env, u64 gpa, unsigned size, u64 *val)
{
	*val = 0;
	if (!env->mmio_read(env->ctx, gpa, size, val))
		return EMULATE_MMIO_FAILED;
	*val &= emulate_size_mask(size);
	return EMULATE_OK;
}

static int mmio_write(const struct emulate_env *env, u64 gpa, unsigned size, u64 val)
{
	return env->mmio_write(env->ctx, gpa, size, val & emulate_size_mask(size))
		   ? EMULATE_OK
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
	if (d->op == DECODE_OP_MOVSX && (v & emulate_sign_bit(d->mem_size)))
		v |= ~emulate_size_mask(d->mem_size);
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

/*
 * The linear address of seg:off (SDM Vol. 1 3.3.7.1, Vol. 3A 3.4): in
 * 64-bit code the ES, CS, SS and DS bases count as zero whatever the
 * segment registers hold; outside it the linear address space is 32 bits,
 * so base + offset wraps at 4 GiB. The vector moves' operand
 * (vm/emulate_sse.c); the other forms check their accesses' segments too
 * (emulate_seg_check).
 */
u64 emulate_linear(const struct decode_insn *d, const struct emulate_env *env, enum decode_seg seg,
		   u64 off)
{
	if (d->mode == DECODE_MODE_64)
		return (seg == DECODE_SEG_FS || seg == DECODE_SEG_GS ? env->seg_base[seg] : 0) +
		       off;
	return (env->seg_base[seg] + off) & 0xFFFFFFFFULL;
}

/* One side of a PUSH or POP: the faulting MMIO access at gpa, or guest memory at lin. */
static int side_read(const struct emulate_env *env, bool mmio, u64 gpa, u64 lin, unsigned size,
		     u64 *v)
{
	if (mmio)
		return mmio_read(env, gpa, size, v);
	*v = 0;
	if (!env->mem_read(env->ctx, lin, size, v))
		return EMULATE_MEM_FAILED;
	*v &= emulate_size_mask(size);
	return EMULATE_OK;
}

static int side_write(const struct emulate_env *env, bool mmio, u64 gpa, u64 lin, unsigned size,
		      u64 v)
{
	if (mmio)
		return mmio_write(env, gpa, size, v);
	return env->mem_write(env->ctx, lin, size, v) ? EMULATE_OK : EMULATE_MEM_FAILED;
}

/*
 * PUSH m / POP m. Like MOVS, one side is the faulting MMIO access and the
 * other is guest memory; write_fault says which. PUSH reads m (its EA from
 * rSP before the push) and writes SS:rSP - size; POP reads SS:rSP and
 * writes m, whose EA uses rSP after the pop when rSP is in it (SDM Vol. 2B
 * "PUSH", "POP"). rSP is env->stack_size bytes wide and wraps there.
 */
static int stack_op(const struct decode_insn *d, u64 gpa, bool write_fault, struct emulate_regs *r,
		    const struct emulate_env *env)
{
	bool push = d->op == DECODE_OP_PUSH;
	unsigned size = d->mem_size, ss = env->stack_size;
	u64 sp = r->gpr[GPR_RSP] & emulate_size_mask(ss);
	u64 new_sp = (push ? sp - size : sp + size) & emulate_size_mask(ss), v, m_lin, st_lin;
	struct emulate_regs after = *r;
	bool m_is_mmio = push ? !write_fault : write_fault; /* else the stack side faulted */
	int s;

	emulate_reg_write(&after, GPR_RSP, false, ss, new_sp);
	s = emulate_seg_check(env, d->mode, d->mem.seg,
			      decode_ea(d, &d->mem, (push ? r : &after)->gpr, r->rip), size, !push,
			      &m_lin);
	if (!s)
		s = emulate_seg_check(env, d->mode, DECODE_SEG_SS, push ? new_sp : sp, size, push,
				      &st_lin);
	if (s)
		return s;
	if (push)
		s = side_read(env, m_is_mmio, gpa, m_lin, size, &v);
	else
		s = side_read(env, !m_is_mmio, gpa, st_lin, size, &v);
	if (s)
		return s;
	if (push)
		s = side_write(env, !m_is_mmio, gpa, st_lin, size, v);
	else
		s = side_write(env, m_is_mmio, gpa, m_lin, size, v);
	if (!s)
		r->gpr[GPR_RSP] = after.gpr[GPR_RSP];
	return s;
}

/*
 * Near CALL m / JMP m (SDM Vol. 2A "CALL", "JMP"): the target is read from
 * m (op_size bytes); a target past CS's limit, or not canonical in 64-bit
 * code, is #GP(0) with nothing changed; CALL then pushes the address of
 * the next instruction at SS:rSP - size (rSP env->stack_size wide). Like
 * PUSH, one side is the faulting device access: for CALL a write fault
 * means the stack slot is the device and m is guest memory.
 */
static int branch_op(const struct decode_insn *d, u64 gpa, bool write_fault, struct emulate_regs *r,
		     const struct emulate_env *env)
{
	bool call = d->op == DECODE_OP_CALL, m_is_mmio = !(call && write_fault);
	unsigned size = d->mem_size, ss = env->stack_size;
	u64 new_sp = ((r->gpr[GPR_RSP] & emulate_size_mask(ss)) - size) & emulate_size_mask(ss);
	u64 m_lin, st_lin = 0, target;
	int s = emulate_seg_check(env, d->mode, d->mem.seg, decode_ea(d, &d->mem, r->gpr, r->rip),
				  size, false, &m_lin);

	if (!s && call)
		s = emulate_seg_check(env, d->mode, DECODE_SEG_SS, new_sp, size, true, &st_lin);
	if (!s)
		s = side_read(env, m_is_mmio, gpa, m_lin, size, &target);
	if (!s)
		s = emulate_branch_check(env, d->mode, target);
	if (!s && call)
		s = side_write(env, !m_is_mmio, gpa, st_lin, size,
			       next_rip(d, r->rip) & emulate_size_mask(size));
	if (s)
		return s;
	if (call)
		emulate_reg_write(r, GPR_RSP, false, ss, new_sp);
	r->rip = target;
	return EMULATE_OK;
}

/* MOVBE: the bytes of a size-byte value in the other order. */
static u64 byte_swap(u64 v, unsigned size)
{
	u64 res = 0;

	for (unsigned i = 0; i < size; i++)
		res |= ((v >> (8 * i)) & 0xFF) << (8 * (size - 1 - i));
	return res;
}

/* LODS (rAX = MMIO seg:rSI) or SCAS (flags of rAX - MMIO ES:rDI): the element's effect. */
static int load_or_scan(const struct decode_insn *d, u64 gpa, struct emulate_regs *r,
			const struct emulate_env *env)
{
	unsigned size = d->mem_size;
	u64 v;
	int s = mmio_read(env, gpa, size, &v);

	if (s)
		return s;
	if (d->op == DECODE_OP_LODS)
		emulate_reg_write(r, GPR_RAX, false, size, v);
	else
		r->rflags = emulate_flags_sub(r->rflags, emulate_reg_read(r, GPR_RAX, false, size),
					      v, size);
	return EMULATE_OK;
}

/*
 * CMPS: the flags of seg:[rSI] - ES:[rDI]. Both are reads, so write_fault
 * cannot say which one is the device: it is the side whose linear address
 * reaches gpa (env->mem_gpa); the other is read from guest memory. (If
 * both sides are devices the second read fails: EMULATE_MEM_FAILED.)
 */
static int compare_step(const struct decode_insn *d, u64 gpa, u64 si, u64 di,
			struct emulate_regs *r, const struct emulate_env *env)
{
	unsigned size = d->mem_size;
	u64 lsi, ldi, g, a, b;
	bool si_dev;
	int s = emulate_seg_check(env, d->mode, d->mem.seg, si, size, false, &lsi);

	if (!s)
		s = emulate_seg_check(env, d->mode, DECODE_SEG_ES, di, size, false, &ldi);
	if (s)
		return s;
	si_dev = env->mem_gpa(env->ctx, lsi, &g) && g == gpa;
	s = side_read(env, si_dev, gpa, lsi, size, &a);
	if (!s)
		s = side_read(env, !si_dev, gpa, ldi, size, &b);
	if (!s)
		r->rflags = emulate_flags_sub(r->rflags, a, b, size);
	return s;
}

/*
 * MOVS: seg:rSI -> ES:rDI, the device on the side write_fault names (a
 * write fault: ES:rDI), guest memory on the other. Both sides' segment
 * checks come first: the CPU checked only the access that faulted.
 */
static int movs_step(const struct decode_insn *d, u64 gpa, bool write_fault, u64 si, u64 di,
		     const struct emulate_env *env)
{
	unsigned size = d->mem_size;
	u64 lsi, ldi, v;
	int s = emulate_seg_check(env, d->mode, d->mem.seg, si, size, false, &lsi);

	if (!s)
		s = emulate_seg_check(env, d->mode, DECODE_SEG_ES, di, size, true, &ldi);
	if (!s)
		s = side_read(env, !write_fault, gpa, lsi, size, &v);
	if (!s)
		s = side_write(env, write_fault, gpa, ldi, size, v);
	return s;
}

/*
 * One STOS, MOVS, LODS, SCAS or CMPS element; moves rSI and/or rDI (those the
 * form uses) by the element size in the DF direction.
 */
static int string_step(const struct decode_insn *d, u64 gpa, bool write_fault,
		       struct emulate_regs *r, const struct emulate_env *env)
{
	unsigned size = d->mem_size;
	u64 step = (r->rflags & RFLAGS_DF) ? -(u64)size : size;
	u64 si = emulate_reg_read(r, GPR_RSI, false, d->addr_size);
	u64 di = emulate_reg_read(r, GPR_RDI, false, d->addr_size);
	int s;

	if (d->op == DECODE_OP_STOS) {
		s = mmio_write(env, gpa, size, emulate_reg_read(r, GPR_RAX, false, size));
	} else if (d->op == DECODE_OP_LODS || d->op == DECODE_OP_SCAS) {
		s = load_or_scan(d, gpa, r, env);
	} else if (d->op == DECODE_OP_CMPS) {
		s = compare_step(d, gpa, si, di, r, env);
	} else {
		s = movs_step(d, gpa, write_fault, si, di, env);
	}
	if (s)
		return s;
	if (d->op == DECODE_OP_MOVS || d->op == DECODE_OP_LODS || d->op == DECODE_OP_CMPS)
		emulate_reg_write(r, GPR_RSI, false, d->addr_size, si + step);
	if (d->op != DECODE_OP_LODS)
		emulate_reg_write(r, GPR_RDI, false, d->addr_size, di + step);
	return EMULATE_OK;
}

/*
 * A string form, one element. With REP, rCX (address-size wide) counts
 * down; RIP stays on the instruction until it reaches zero, or, for SCAS
 * and CMPS, until ZF says the comparison ended the run (REPE: ZF=0, REPNE: ZF=1;
 * SDM Vol. 2B "REP/REPE/REPZ/REPNE/REPNZ"). A count already zero does
 * nothing but advance RIP.
 */
static int string_op(const struct decode_insn *d, u64 gpa, bool write_fault, struct emulate_regs *r,
		     const struct emulate_env *env)
{
	u64 count = emulate_reg_read(r, GPR_RCX, false, d->addr_size);
	bool done;
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
	done = !d->rep || count == 0;
	if ((d->op == DECODE_OP_SCAS || d->op == DECODE_OP_CMPS) && d->rep)
		done = done || !(r->rflags & RFLAGS_ZF) != d->repne;
	if (done)
		r->rip = next_rip(d, r->rip);
	return EMULATE_OK;
}

/* One non-string instruction; RIP is advanced by the caller. */
static int single_op(const struct decode_insn *d, u64 gpa, bool write_fault, struct emulate_regs *r,
		     const struct emulate_env *env)
{
	u64 v;
	int s;

	switch (d->op) {
	case DECODE_OP_MOV:
	case DECODE_OP_MOVNTI:
		if (d->dir == DECODE_DIR_TO_MEM)
			return mmio_write(env, gpa, d->mem_size, source(d, r));
		return load(d, gpa, r, env);
	case DECODE_OP_MOVBE:
		if (d->dir == DECODE_DIR_TO_MEM)
			return mmio_write(env, gpa, d->mem_size,
					  byte_swap(source(d, r), d->op_size));
		s = mmio_read(env, gpa, d->mem_size, &v);
		if (!s)
			emulate_reg_write(r, d->reg, false, d->op_size, byte_swap(v, d->op_size));
		return s;
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
	case DECODE_OP_PUSH:
	case DECODE_OP_POP:
		return stack_op(d, gpa, write_fault, r, env);
	default:
		return alu(d, gpa, r, env);
	}
}

int emulate_insn(const struct decode_insn *d, u64 gpa, bool write_fault, struct emulate_regs *r,
		 const struct emulate_env *env)
{
	struct emulate_regs n = *r;
	int s;

	if (d->op == DECODE_OP_STOS || d->op == DECODE_OP_MOVS || d->op == DECODE_OP_LODS ||
	    d->op == DECODE_OP_SCAS || d->op == DECODE_OP_CMPS) {
		s = string_op(d, gpa, write_fault, &n, env);
	} else if (decode_op_is_vector(d->op)) {
		s = emulate_vector(d, gpa, &n, env);
		n.rip = next_rip(d, n.rip);
	} else if (d->op == DECODE_OP_CALL || d->op == DECODE_OP_JMP) {
		s = branch_op(d, gpa, write_fault, &n, env);
	} else if (d->op >= DECODE_OP_MUL && d->op <= DECODE_OP_IDIV) {
		s = emulate_muldiv(d, gpa, &n, env);
		n.rip = next_rip(d, n.rip);
	} else if (d->op == DECODE_OP_CMPXCHG8B || d->op == DECODE_OP_CMPXCHG16B) {
		s = emulate_cmpxchg_wide(d, gpa, &n, env);
		n.rip = next_rip(d, n.rip);
	} else {
		s = single_op(d, gpa, write_fault, &n, env);
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
	case EMULATE_VEC_FAILED:
		return "vector register state unreachable";
	case EMULATE_FAULT_UD:
		return "#UD";
	case EMULATE_FAULT_NM:
		return "#NM";
	case EMULATE_FAULT_GP:
		return "#GP";
	case EMULATE_GP:
		return "#GP(0)";
	case EMULATE_SS:
		return "#SS(0)";
	case EMULATE_AC:
		return "#AC(0)";
	case EMULATE_FAULT_DE:
		return "#DE";
	default:
		return "unknown status";
	}
}
