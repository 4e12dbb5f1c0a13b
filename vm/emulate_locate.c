/*
 * Which access of a decoded instruction reached the device (vm/emulate.h,
 * emulate_locate; docs/mmio.md, "Accesses that span two pages"). Pure:
 * the guest's page tables are reached through a callback, so host tests
 * run it over a made-up mapping.
 */
#include "vm/emulate.h"
#include "vmx/vcpu_regs.h"

#define LOCATE_PAGE	  0x1000ULL
#define LOCATE_PAGE_OF(a) ((a) & ~(LOCATE_PAGE - 1))

/* seg:off as a linear address (emulate_seg_check's, its verdict not needed here). */
static u64 linear_of(const struct decode_insn *d, const struct emulate_env *env,
		     enum decode_seg seg, u64 off)
{
	struct emulate_env plain = *env;
	u64 lin;

	plain.seg_checks = EMULATE_SEGS_NONE;
	emulate_seg_check(&plain, d->mode, seg, off, 1, false, &lin);
	return lin;
}

/* BT* with a register offset: the operand-size unit the bit is in (see bit_op), as an EA. */
static u64 bit_unit_ea(const struct decode_insn *d, const struct emulate_regs *r, u64 ea)
{
	unsigned width = 8 * d->op_size;
	u64 reg = emulate_reg_read(r, d->reg, d->reg_high, d->op_size);
	s64 off = (s64)(reg << (64 - width)) >> (64 - width); /* signed, op_size wide */
	s64 unit = off >> __builtin_ctz(width); /* floor(off / width), as the CPU rounds */

	return (ea + (u64)unit * d->op_size) & emulate_size_mask(d->addr_size);
}

unsigned emulate_device_linear(const struct decode_insn *d, bool write_fault,
			       const struct emulate_regs *r, const struct emulate_env *env,
			       u64 lin[2])
{
	u64 si = emulate_reg_read(r, GPR_RSI, false, d->addr_size);
	u64 di = emulate_reg_read(r, GPR_RDI, false, d->addr_size);
	u64 sp = r->gpr[GPR_RSP] & emulate_size_mask(env->stack_size), ea;
	struct emulate_regs after = *r;

	switch (d->op) {
	case DECODE_OP_STOS:
	case DECODE_OP_SCAS:
		lin[0] = linear_of(d, env, DECODE_SEG_ES, di);
		return 1;
	case DECODE_OP_LODS:
		lin[0] = linear_of(d, env, d->mem.seg, si);
		return 1;
	case DECODE_OP_MOVS:
		lin[0] = write_fault ? linear_of(d, env, DECODE_SEG_ES, di)
				     : linear_of(d, env, d->mem.seg, si);
		return 1;
	case DECODE_OP_CMPS:
		lin[0] = linear_of(d, env, d->mem.seg, si);
		lin[1] = linear_of(d, env, DECODE_SEG_ES, di);
		return 2;
	case DECODE_OP_CALL:
	case DECODE_OP_PUSH:
		if (write_fault) { /* the stack slot */
			lin[0] = linear_of(d, env, DECODE_SEG_SS,
					   (sp - d->mem_size) & emulate_size_mask(env->stack_size));
			return 1;
		}
		break;
	case DECODE_OP_POP:
		if (!write_fault) {
			lin[0] = linear_of(d, env, DECODE_SEG_SS, sp);
			return 1;
		}
		emulate_reg_write(&after, GPR_RSP, false, env->stack_size, sp + d->mem_size);
		break;
	default:
		break;
	}
	ea = decode_ea(d, &d->mem, after.gpr, r->rip);
	if (d->op >= DECODE_OP_BT && d->op <= DECODE_OP_BTC && !d->has_imm)
		ea = bit_unit_ea(d, r, ea);
	lin[0] = linear_of(d, env, d->mem.seg, ea);
	return 1;
}

/* Translates the pages of candidate lin; whether one reaches gpa's page (then *op is it). */
static bool reaches(u64 lin, unsigned size, u64 gpa, bool write, u64 lin_mask,
		    emulate_xlate_fn *xlate, void *ctx, struct emulate_operand *op)
{
	u64 second = ((lin | (LOCATE_PAGE - 1)) + 1) & lin_mask, g[2] = {0, 0};
	bool split = (lin & (LOCATE_PAGE - 1)) + size > LOCATE_PAGE;
	int s0 = xlate(ctx, lin, write, &g[0]);
	int s1 = split ? xlate(ctx, second, write, &g[1]) : s0;

	if (!((s0 == 0 && LOCATE_PAGE_OF(g[0]) == LOCATE_PAGE_OF(gpa)) ||
	      (split && s1 == 0 && LOCATE_PAGE_OF(g[1]) == LOCATE_PAGE_OF(gpa))))
		return false;
	*op = (struct emulate_operand){.lin = lin,
				       .g = {g[0], g[1]},
				       .size = size,
				       .split = split,
				       .status = s0 ? s0 : s1,
				       .fault_lin = s0 ? lin : second};
	return true;
}

int emulate_locate(const struct decode_insn *d, u64 gpa, bool write_fault,
		   const struct emulate_regs *r, const struct emulate_env *env, u64 lin_mask,
		   emulate_xlate_fn *xlate, void *ctx, struct emulate_operand *op)
{
	u64 lin[2];
	unsigned count = emulate_device_linear(d, write_fault, r, env, lin);

	for (unsigned i = 0; i < count; i++)
		if (reaches(lin[i] & lin_mask, d->mem_size, gpa, write_fault, lin_mask, xlate, ctx,
			    op))
			return op->status ? EMULATE_LOCATE_FAULT : EMULATE_LOCATED;
	return EMULATE_LOCATE_ELSEWHERE;
}

unsigned emulate_operand_parts(const struct emulate_operand *op, u64 off, unsigned n, u64 g[2],
			       unsigned part[2])
{
	u64 first = op->split ? LOCATE_PAGE - (op->lin & (LOCATE_PAGE - 1)) : op->size;

	if (off >= first) {
		g[0] = op->g[1] + (off - first);
		part[0] = n;
		part[1] = 0;
		return 1;
	}
	g[0] = op->g[0] + off;
	part[0] = (unsigned)(n < first - off ? n : first - off);
	part[1] = n - part[0];
	g[1] = op->g[1];
	return part[1] ? 2 : 1;
}
