/*
 * The vector moves a compiler emits for memcpy into device memory, for
 * the MMIO decoder (vm/decode.h): MOVD/MOVQ, MOVDQA/MOVDQU, MOVAPS/MOVUPS
 * and VMOVDQU/VMOVDQA/VMOVAPS/VMOVUPS (SDM Vol. 2B under each name; Vol. 2A Table A-3 for the
 * 0F map). Legacy SSE forms are told apart by their mandatory prefix:
 *
 *   0F 10/11  NP: MOVUPS xmm, m128 / m128, xmm
 *   0F 28/29  NP: MOVAPS
 *   0F 6E     66: MOVD xmm, m32 (REX.W: MOVQ xmm, m64)
 *   0F 7E     66: MOVD m32, xmm (REX.W: MOVQ m64, xmm); F3: MOVQ xmm, m64
 *   0F 6F/7F  66: MOVDQA; F3: MOVDQU
 *   0F D6     66: MOVQ m64, xmm
 *
 * Any other prefix on these opcodes is another instruction (NP 6E-7F the
 * MMX forms, 66 10/11/28/29 MOVUPD/MOVAPD, F3/F2 10/11 MOVSS/MOVSD) and
 * is left unsupported. F2/F3 select the instruction over a 66 also
 * present, the last of F2 and F3 deciding (the decoder's `repne` records
 * which came last).
 *
 * VEX (2.3): C5 or C4 with map 0F: pp F3 6F/7F VMOVDQU, pp 66 6F/7F
 * VMOVDQA, pp NP 28/29 VMOVAPS and 10/11 VMOVUPS, VEX.L choosing xmm/m128
 * or ymm/m256. Their vvvv must be 1111b (#UD otherwise: "VEX.vvvv is
 * reserved"), and a 66, F2, F3 or REX before the VEX is #UD (2.3.2-2.3.4):
 * both DECODE_BAD_VEX.
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

bool decode_sse_opcode(u8 opc)
{
	switch (opc) {
	case 0x10:
	case 0x11:
	case 0x28:
	case 0x29:
	case 0x6E:
	case 0x6F:
	case 0x7E:
	case 0x7F:
	case 0xD6:
		return true;
	default:
		return false;
	}
}

/* The operation of 0F opc under prefix m, its direction and size; false: not one of ours. */
static bool sse_form(u8 opc, enum mpfx m, bool rex_w, struct decode_insn *d)
{
	bool store = opc == 0x11 || opc == 0x29 || opc == 0x7F || opc == 0xD6 ||
		     (opc == 0x7E && m == MPFX_66);

	d->dir = store ? DECODE_DIR_TO_MEM : DECODE_DIR_FROM_MEM;
	d->mem_size = 16;
	if ((opc == 0x10 || opc == 0x11) && m == MPFX_NONE)
		d->op = DECODE_OP_MOVUPS;
	else if ((opc == 0x28 || opc == 0x29) && m == MPFX_NONE)
		d->op = DECODE_OP_MOVAPS;
	else if ((opc == 0x6F || opc == 0x7F) && m == MPFX_66)
		d->op = DECODE_OP_MOVDQA;
	else if ((opc == 0x6F || opc == 0x7F) && m == MPFX_F3)
		d->op = DECODE_OP_MOVDQU;
	else if ((opc == 0x6E || opc == 0x7E) && m == MPFX_66) {
		d->op = rex_w ? DECODE_OP_MOVQ : DECODE_OP_MOVD;
		d->mem_size = rex_w ? 8 : 4;
	} else if ((opc == 0x7E && m == MPFX_F3) || (opc == 0xD6 && m == MPFX_66)) {
		d->op = DECODE_OP_MOVQ;
		d->mem_size = 8;
	} else
		return false;
	d->aligned = d->op == DECODE_OP_MOVDQA || d->op == DECODE_OP_MOVAPS;
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

/* The VEX move of opcode op in map 0F under pp (0 NP, 1 66, 2 F3), its direction; false: none. */
static bool vex_form(unsigned pp, u8 op, struct decode_insn *d)
{
	if (pp == 2 && (op == 0x6F || op == 0x7F))
		d->op = DECODE_OP_VMOVDQU;
	else if (pp == 1 && (op == 0x6F || op == 0x7F))
		d->op = DECODE_OP_VMOVDQA;
	else if (pp == 0 && (op == 0x28 || op == 0x29))
		d->op = DECODE_OP_VMOVAPS;
	else if (pp == 0 && (op == 0x10 || op == 0x11))
		d->op = DECODE_OP_VMOVUPS;
	else
		return false;
	d->dir = (op == 0x7F || op == 0x29 || op == 0x11) ? DECODE_DIR_TO_MEM : DECODE_DIR_FROM_MEM;
	d->aligned = d->op == DECODE_OP_VMOVDQA || d->op == DECODE_OP_VMOVAPS;
	return true;
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
	if (!vex_form(b2 & 3, op, d))
		return DECODE_UNSUPPORTED;
	d->vex = true;
	d->mem_size = (b2 & 4) ? 32 : 16;
	s = vector_operands(c, d, p, is64 && !(b1 & 0x80));
	if (s)
		return s;
	return ((b2 >> 3) & 0xF) == 0xF ? DECODE_OK : DECODE_BAD_VEX;
}
