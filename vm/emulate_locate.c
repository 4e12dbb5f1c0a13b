/*
 * Which access of a decoded instruction reached the device (vm/emulate.h,
 * emulate_locate; docs/mmio.md, "Accesses that span two pages"). Pure:
 * the guest's page tables are reached through a callback, so host tests
 * run it over a made-up mapping.
 */
#include "vm/emulate.h"

#define LOCATE_PAGE	  0x1000ULL
#define LOCATE_PAGE_OF(a) ((a) & ~(LOCATE_PAGE - 1))

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
