/*
 * The vector moves compilers emit, for the MMIO decoder (vm/decode.h)
 * (SDM Vol. 2B under each name; Vol. 2A Table A-3 for the 0F map).
 * Legacy SSE forms are told apart by their mandatory prefix:
 *
 *   0F 10/11  NP: MOVUPS xmm, m128 / m128, xmm; 66: MOVUPD; F3: MOVSS m32; F2: MOVSD m64
 *   0F 12/13  NP: MOVLPS xmm, m64 / m64, xmm; 66: MOVLPD
 *   0F 16/17  NP: MOVHPS; 66: MOVHPD
 *   0F 28/29  NP: MOVAPS; 66: MOVAPD
 *   0F 2B     NP: MOVNTPS m128, xmm; 66: MOVNTPD
 *   0F 6E     66: MOVD xmm, m32 (REX.W: MOVQ xmm, m64)
 *   0F 7E     66: MOVD m32, xmm (REX.W: MOVQ m64, xmm); F3: MOVQ xmm, m64
 *   0F 6F/7F  66: MOVDQA; F3: MOVDQU
 *   0F D6     66: MOVQ m64, xmm
 *   0F E7     66: MOVNTDQ m128, xmm
 *
 * Any other prefix on these opcodes is another instruction (NP 6E-7F and
 * E7 the MMX forms, F3/F2 12 and F3 16 MOVSLDUP/MOVDDUP/MOVSHDUP, F3/F2 2B
 * AMD's MOVNTSS/MOVNTSD) and is left unsupported; the register forms of
 * 12/16 (MOVHLPS/MOVLHPS) are DECODE_NOT_MEMORY like every register form.
 * F2/F3 select the instruction over a 66 also present, the last of F2 and
 * F3 deciding (the decoder's `repne` records which came last).
 *
 * VEX (2.3): C5 or C4 with map 0F: pp F3 6F/7F VMOVDQU, pp 66 6F/7F
 * VMOVDQA, 10/11 VMOVUPD, 28/29 VMOVAPD, 2B VMOVNTPD, E7 VMOVNTDQ, pp NP
 * 28/29 VMOVAPS, 10/11 VMOVUPS, 2B VMOVNTPS, VEX.L choosing xmm/m128 or
 * ymm/m256; pp F3 10/11 VMOVSS m32 and pp F2 VMOVSD m64, VEX.L ignored
 * (LIG in their opcode rows). Their vvvv must be 1111b (#UD otherwise:
 * "VEX.vvvv is reserved"; VMOVSS/VMOVSD name it for the memory forms),
 * and a 66, F2, F3 or REX before the VEX is #UD (2.3.2-2.3.4): both
 * DECODE_BAD_VEX. VMOVLPS/VMOVHPS/VMOVLPD/VMOVHPD (a three-operand load,
 * VEX.128 only) and every EVEX form (62) are not decoded.
 * Outside 64-bit code C4/C5 are LES/LDS unless the next byte's top two
 * bits are 11 (2.3.5): LES/LDS are not decoded here.
 */
#include "vm/decode.h"
#include "vm/decode_priv.h"

#define MODRM_REG(b) (((b) >> 3) & 7)

/* Which mandatory prefix the legacy prefixes amount to. */
enum mpfx { MPFX_NONE, MPFX_66, MPFX_F3, MPFX_F2 };

static enum mpfx mandatory(const struct prefixes *p)
{
	if (p->rep)
		return p->repne ? MPFX_F2 : MPFX_F3;
	return p->opsize ? MPFX_66 : MPFX_NONE;
}

/* One legacy move: its load and store opcodes (load 0: a store only), operation and size. */
struct sse_row {
	u8 load, store;
	enum mpfx m;
	enum decode_op op;
	u8 size;
};

static const struct sse_row sse_rows[] = {
    {0x10, 0x11, MPFX_NONE, DECODE_OP_MOVUPS, 16}, {0x10, 0x11, MPFX_66, DECODE_OP_MOVUPD, 16},
    {0x10, 0x11, MPFX_F3, DECODE_OP_MOVSS, 4},	   {0x10, 0x11, MPFX_F2, DECODE_OP_MOVSD, 8},
    {0x12, 0x13, MPFX_NONE, DECODE_OP_MOVLPS, 8},  {0x12, 0x13, MPFX_66, DECODE_OP_MOVLPD, 8},
    {0x16, 0x17, MPFX_NONE, DECODE_OP_MOVHPS, 8},  {0x16, 0x17, MPFX_66, DECODE_OP_MOVHPD, 8},
    {0x28, 0x29, MPFX_NONE, DECODE_OP_MOVAPS, 16}, {0x28, 0x29, MPFX_66, DECODE_OP_MOVAPD, 16},
    {0, 0x2B, MPFX_NONE, DECODE_OP_MOVNTPS, 16},   {0, 0x2B, MPFX_66, DECODE_OP_MOVNTPD, 16},
    {0x6F, 0x7F, MPFX_66, DECODE_OP_MOVDQA, 16},   {0x6F, 0x7F, MPFX_F3, DECODE_OP_MOVDQU, 16},
    {0, 0xE7, MPFX_66, DECODE_OP_MOVNTDQ, 16},
};

bool decode_sse_opcode(u8 opc)
{
	switch (opc) {
	case 0x10:
	case 0x11:
	case 0x12:
	case 0x13:
	case 0x16:
	case 0x17:
	case 0x28:
	case 0x29:
	case 0x2B:
	case 0x6E:
	case 0x6F:
	case 0x7E:
	case 0x7F:
	case 0xD6:
	case 0xE7:
		return true;
	default:
		return false;
	}
}

/* The forms that must be aligned to their size: #GP(0) otherwise (exception class Type 1). */
static bool sse_aligned(enum decode_op op)
{
	switch (op) {
	case DECODE_OP_MOVDQA:
	case DECODE_OP_MOVAPS:
	case DECODE_OP_MOVAPD:
	case DECODE_OP_MOVNTDQ:
	case DECODE_OP_MOVNTPS:
	case DECODE_OP_MOVNTPD:
	case DECODE_OP_VMOVDQA:
	case DECODE_OP_VMOVAPS:
	case DECODE_OP_VMOVAPD:
	case DECODE_OP_VMOVNTDQ:
	case DECODE_OP_VMOVNTPS:
	case DECODE_OP_VMOVNTPD:
		return true;
	default:
		return false;
	}
}

/* The row for 0F opc under prefix m, or NULL. */
static const struct sse_row *sse_row(u8 opc, enum mpfx m)
{
	for (unsigned i = 0; i < sizeof(sse_rows) / sizeof(sse_rows[0]); i++) {
		const struct sse_row *r = &sse_rows[i];

		if (r->m == m && (opc == r->store || (r->load && opc == r->load)))
			return r;
	}
	return NULL;
}

/* The operation of 0F opc under prefix m, its direction and size; false: not one of ours. */
static bool sse_form(u8 opc, enum mpfx m, bool rex_w, struct decode_insn *d)
{
	const struct sse_row *row = sse_row(opc, m);

	d->dir = DECODE_DIR_FROM_MEM;
	if (row) {
		d->op = row->op;
		d->mem_size = row->size;
		d->dir = opc == row->store ? DECODE_DIR_TO_MEM : DECODE_DIR_FROM_MEM;
	} else if ((opc == 0x6E || opc == 0x7E) && m == MPFX_66) {
		d->op = rex_w ? DECODE_OP_MOVQ : DECODE_OP_MOVD;
		d->mem_size = rex_w ? 8 : 4;
		d->dir = opc == 0x7E ? DECODE_DIR_TO_MEM : DECODE_DIR_FROM_MEM;
	} else if ((opc == 0x7E && m == MPFX_F3) || (opc == 0xD6 && m == MPFX_66)) {
		d->op = DECODE_OP_MOVQ;
		d->mem_size = 8;
		d->dir = opc == 0xD6 ? DECODE_DIR_TO_MEM : DECODE_DIR_FROM_MEM;
	} else
		return false;
	d->aligned = sse_aligned(d->op);
	return true;
}

/* ModRM (a memory operand only) and the vector register in ModRM.reg, extended by r. */
static int vector_operands(struct cursor *c, struct decode_insn *d, const struct prefixes *p,
			   bool r)
{
	u8 b;
	int s = decode_modrm(c, d, p, &b);

	if (s)
		return s;
	d->vreg = (u8)(MODRM_REG(b) | (r ? 8 : 0));
	d->op_size = d->mem_size;
	return DECODE_OK;
}

int decode_sse(struct cursor *c, struct decode_insn *d, const struct prefixes *p, u8 opc)
{
	if (!sse_form(opc, mandatory(p), p->rex & REX_W, d))
		return DECODE_UNSUPPORTED;
	return vector_operands(c, d, p, p->rex & REX_R);
}

/* One VEX move in map 0F: pp (0 NP, 1 66, 2 F3, 3 F2), opcodes as in struct sse_row. */
struct vex_row {
	u8 load, store, pp;
	enum decode_op op;
	u8 scalar; /* VMOVSS/VMOVSD: m32/m64 whatever VEX.L says; 0: VEX.L picks 16 or 32 */
};

static const struct vex_row vex_rows[] = {
    {0x6F, 0x7F, 2, DECODE_OP_VMOVDQU, 0}, {0x6F, 0x7F, 1, DECODE_OP_VMOVDQA, 0},
    {0x28, 0x29, 0, DECODE_OP_VMOVAPS, 0}, {0x10, 0x11, 0, DECODE_OP_VMOVUPS, 0},
    {0x28, 0x29, 1, DECODE_OP_VMOVAPD, 0}, {0x10, 0x11, 1, DECODE_OP_VMOVUPD, 0},
    {0, 0xE7, 1, DECODE_OP_VMOVNTDQ, 0},   {0, 0x2B, 0, DECODE_OP_VMOVNTPS, 0},
    {0, 0x2B, 1, DECODE_OP_VMOVNTPD, 0},   {0x10, 0x11, 2, DECODE_OP_VMOVSS, 4},
    {0x10, 0x11, 3, DECODE_OP_VMOVSD, 8},
};

/* The VEX move of opcode op in map 0F under pp, its direction and size (by l); false: none. */
static bool vex_form(unsigned pp, u8 op, bool l, struct decode_insn *d)
{
	for (unsigned i = 0; i < sizeof(vex_rows) / sizeof(vex_rows[0]); i++) {
		const struct vex_row *r = &vex_rows[i];

		if (r->pp != pp || !(op == r->store || (r->load && op == r->load)))
			continue;
		d->op = r->op;
		d->dir = op == r->store ? DECODE_DIR_TO_MEM : DECODE_DIR_FROM_MEM;
		d->mem_size = r->scalar ? r->scalar : l ? 32 : 16;
		d->aligned = sse_aligned(d->op);
		return true;
	}
	return false;
}

/*
 * VEX (SDM Vol. 2A 2.3.5, Figure 2-9):
 *   C5: [R' vvvv' L pp]             (map 0F, W 0, X' B' 1)
 *   C4: [R' X' B' mmmmm] [W vvvv' L pp]
 * R', X', B', vvvv' are inverted. Outside 64-bit code R' and X' are the
 * bits that tell VEX from LES/LDS, and B' is ignored.
 */
int decode_vex(struct cursor *c, struct decode_insn *d, struct prefixes *p, u8 opc)
{
	u8 b1, b2, op;
	int s = decode_next(c, &b1);
	bool is64 = d->mode == DECODE_MODE_64;

	if (s)
		return s;
	if (!is64 && (b1 & 0xC0) != 0xC0)
		return DECODE_UNSUPPORTED; /* LES or LDS */
	if (p->opsize || p->rep || p->rex)
		return DECODE_BAD_VEX;
	b2 = b1;
	if (opc == VEX3) {
		s = decode_next(c, &b2);
		if (s)
			return s;
		if ((b1 & 0x1F) != 1) /* map 0F only */
			return DECODE_UNSUPPORTED;
		if (is64)
			p->rex = (u8)(0x40 | ((b1 & 0x40) ? 0 : REX_X) | ((b1 & 0x20) ? 0 : REX_B));
	}
	s = decode_next(c, &op);
	if (s)
		return s;
	if (!vex_form(b2 & 3, op, b2 & 4, d))
		return DECODE_UNSUPPORTED;
	d->vex = true;
	s = vector_operands(c, d, p, is64 && !(b1 & 0x80));
	if (s)
		return s;
	return ((b2 >> 3) & 0xF) == 0xF ? DECODE_OK : DECODE_BAD_VEX;
}
