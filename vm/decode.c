/*
 * The x86 decoder for MMIO emulation (vm/decode.h). An instruction is
 * (SDM Vol. 2A, Figure 2-1):
 *
 *   [legacy prefixes] [REX] opcode [ModRM] [SIB] [disp 1/2/4] [imm 1/2/4]
 *
 * Prefixes are read until the first non-prefix byte; a REX counts only
 * when it is the last prefix (2.2.1). The opcode selects a row of `forms`
 * below, which says whether a ModRM follows, whether ModRM.reg names a
 * register or a /digit, which immediate follows and whether LOCK is
 * allowed. Every byte comes through next(), which enforces both the
 * caller's `avail` and the 15-byte limit.
 */
#include "vm/decode.h"
#include "vm/decode_priv.h"
#include "vmx/vcpu_regs.h"

/* Legacy prefixes (SDM Vol. 2A 2.1.1) */
#define PFX_LOCK   0xF0
#define PFX_REPNE  0xF2
#define PFX_REP	   0xF3
#define PFX_OPSIZE 0x66
#define PFX_ADSIZE 0x67
#define PFX_ES	   0x26
#define PFX_CS	   0x2E
#define PFX_SS	   0x36
#define PFX_DS	   0x3E
#define PFX_FS	   0x64
#define PFX_GS	   0x65
#define OPC_ESCAPE 0x0F

/* ModRM and SIB fields (SDM Vol. 2A 2.1.5) */
#define MODRM_MOD(b) ((b) >> 6)
#define MODRM_REG(b) (((b) >> 3) & 7)
#define MODRM_RM(b)  ((b)&7)
#define SIB_SS(b)    ((b) >> 6)
#define SIB_INDEX(b) (((b) >> 3) & 7)
#define SIB_BASE(b)  ((b)&7)

/* What an opcode's row says about its operands. */
#define F_MODRM	 BIT(0)	 /* a ModRM (and maybe SIB, displacement) follows */
#define F_REG	 BIT(1)	 /* ModRM.reg names a register operand */
#define F_BYTE	 BIT(2)	 /* 8-bit operands */
#define F_TO_MEM BIT(3)	 /* memory is the destination / first operand */
#define F_IMM8U	 BIT(4)	 /* ib, zero-extended (a shift count, a bit offset) */
#define F_IMM8	 BIT(5)	 /* ib */
#define F_IMMZ	 BIT(6)	 /* iw or id (id sign-extended with REX.W) */
#define F_DIGIT0 BIT(7)	 /* ModRM.reg must be 0 (/0) */
#define F_ONE	 BIT(8)	 /* the count 1 (D0/D1): no immediate byte */
#define F_MOFFS	 BIT(9)	 /* a moffs follows instead of a ModRM; rAX is the register */
#define F_STRING BIT(10) /* the string forms: operands are rAX, seg:rSI, ES:rDI */
#define F_CL	 BIT(11) /* the count is CL (D2/D3) */

/* Opcode groups: ModRM.reg selects the operation (SDM Vol. 2A Table A-6). */
enum group { GRP_NONE, GRP_1, GRP_2, GRP_3, GRP_4, GRP_5, GRP_8, GRP_9, GRP_COUNT };

struct form {
	u16 flags; /* 0: not an instruction this decoder handles */
	u8 op;	   /* enum decode_op (with a group, decided by ModRM.reg) */
	u8 group;  /* enum group */
};

/* Eb,Gb / Ev,Gv rows (memory is the destination) and Gb,Eb / Gv,Ev rows. */
#define RM_TO	(F_MODRM | F_REG | F_TO_MEM)
#define RM_FROM (F_MODRM | F_REG)
#define GRP	(F_MODRM | F_TO_MEM)

/* The four rows of an ALU operation at 00/08/10/18/20/28/30/38 + 0..3. */
#define ALU_ROWS(base, o)                                                                          \
	[(base)] = {RM_TO | F_BYTE, o, 0}, [(base) + 1] = {RM_TO, o, 0},                           \
	[(base) + 2] = {RM_FROM | F_BYTE, o, 0}, [(base) + 3] = {RM_FROM, o, 0}

/* The one-byte opcode map rows (SDM Vol. 2A Table A-2) this decoder knows. */
static const struct form forms[256] = {
    ALU_ROWS(0x00, DECODE_OP_ADD),
    ALU_ROWS(0x08, DECODE_OP_OR),
    ALU_ROWS(0x10, DECODE_OP_ADC),
    ALU_ROWS(0x18, DECODE_OP_SBB),
    ALU_ROWS(0x20, DECODE_OP_AND),
    ALU_ROWS(0x28, DECODE_OP_SUB),
    ALU_ROWS(0x30, DECODE_OP_XOR),
    ALU_ROWS(0x38, DECODE_OP_CMP),
    [0x69] = {RM_FROM | F_IMMZ, DECODE_OP_IMUL, 0},
    [0x6B] = {RM_FROM | F_IMM8, DECODE_OP_IMUL, 0},
    [0x80] = {GRP | F_BYTE | F_IMM8, 0, GRP_1},
    [0x81] = {GRP | F_IMMZ, 0, GRP_1},
    [0x83] = {GRP | F_IMM8, 0, GRP_1},
    [0x84] = {RM_TO | F_BYTE, DECODE_OP_TEST, 0},
    [0x85] = {RM_TO, DECODE_OP_TEST, 0},
    [0x86] = {RM_TO | F_BYTE, DECODE_OP_XCHG, 0},
    [0x87] = {RM_TO, DECODE_OP_XCHG, 0},
    [0x88] = {RM_TO | F_BYTE, DECODE_OP_MOV, 0},
    [0x89] = {RM_TO, DECODE_OP_MOV, 0},
    [0x8A] = {RM_FROM | F_BYTE, DECODE_OP_MOV, 0},
    [0x8B] = {RM_FROM, DECODE_OP_MOV, 0},
    [0x8F] = {GRP | F_DIGIT0, DECODE_OP_POP, 0},
    [0xA0] = {F_MOFFS | F_BYTE, DECODE_OP_MOV, 0},
    [0xA1] = {F_MOFFS, DECODE_OP_MOV, 0},
    [0xA2] = {F_MOFFS | F_BYTE | F_TO_MEM, DECODE_OP_MOV, 0},
    [0xA3] = {F_MOFFS | F_TO_MEM, DECODE_OP_MOV, 0},
    [0xA4] = {F_STRING | F_BYTE | F_TO_MEM, DECODE_OP_MOVS, 0},
    [0xA5] = {F_STRING | F_TO_MEM, DECODE_OP_MOVS, 0},
    [0xA6] = {F_STRING | F_BYTE, DECODE_OP_CMPS, 0},
    [0xA7] = {F_STRING, DECODE_OP_CMPS, 0},
    [0xAA] = {F_STRING | F_BYTE | F_TO_MEM, DECODE_OP_STOS, 0},
    [0xAB] = {F_STRING | F_TO_MEM, DECODE_OP_STOS, 0},
    [0xAC] = {F_STRING | F_BYTE, DECODE_OP_LODS, 0},
    [0xAD] = {F_STRING, DECODE_OP_LODS, 0},
    [0xAE] = {F_STRING | F_BYTE, DECODE_OP_SCAS, 0},
    [0xAF] = {F_STRING, DECODE_OP_SCAS, 0},
    [0xC0] = {GRP | F_BYTE | F_IMM8U, 0, GRP_2},
    [0xC1] = {GRP | F_IMM8U, 0, GRP_2},
    [0xC6] = {GRP | F_DIGIT0 | F_BYTE | F_IMM8, DECODE_OP_MOV, 0},
    [0xC7] = {GRP | F_DIGIT0 | F_IMMZ, DECODE_OP_MOV, 0},
    [0xD0] = {GRP | F_BYTE | F_ONE, 0, GRP_2},
    [0xD1] = {GRP | F_ONE, 0, GRP_2},
    [0xD2] = {GRP | F_BYTE | F_CL, 0, GRP_2},
    [0xD3] = {GRP | F_CL, 0, GRP_2},
    [0xF6] = {GRP | F_BYTE | F_IMM8, 0, GRP_3},
    [0xF7] = {GRP | F_IMMZ, 0, GRP_3},
    [0xFE] = {GRP | F_BYTE, 0, GRP_4},
    [0xFF] = {GRP, 0, GRP_5},
};

/* The two-byte rows (0F xx, SDM Vol. 2A Table A-3) but MOVZX/MOVSX, which two_byte() reads. */
static const struct form forms_0f[256] = {
    [0xA3] = {RM_TO, DECODE_OP_BT, 0},
    [0xAB] = {RM_TO, DECODE_OP_BTS, 0},
    [0xAF] = {RM_FROM, DECODE_OP_IMUL, 0},
    [0xB0] = {RM_TO | F_BYTE, DECODE_OP_CMPXCHG, 0},
    [0xB1] = {RM_TO, DECODE_OP_CMPXCHG, 0},
    [0xB3] = {RM_TO, DECODE_OP_BTR, 0},
    [0xBA] = {GRP | F_IMM8U, 0, GRP_8},
    [0xBB] = {RM_TO, DECODE_OP_BTC, 0},
    [0xC0] = {RM_TO | F_BYTE, DECODE_OP_XADD, 0},
    [0xC1] = {RM_TO, DECODE_OP_XADD, 0},
    [0xC3] = {RM_TO, DECODE_OP_MOVNTI, 0},
    [0xC7] = {GRP, 0, GRP_9},
};

/* The three-byte rows 0F 38 F0/F1 (SDM Vol. 2A Table A-4): MOVBE. */
static const struct form movbe_forms[2] = {
    {RM_FROM, DECODE_OP_MOVBE, 0},
    {RM_TO, DECODE_OP_MOVBE, 0},
};

#define NO_OP 0xFF
/*
 * Each group's operation by ModRM.reg (SDM Vol. 2A Table A-6). Group 2's
 * /6 is blank there; Intel processors execute it as SHL/SAL, and so do
 * Bochs and Zydis's reading. Group 3's /0 (TEST) alone takes the
 * immediate its row names (group_form()).
 */
static const u8 group_ops[GRP_COUNT][8] = {
    [GRP_NONE] = {NO_OP, NO_OP, NO_OP, NO_OP, NO_OP, NO_OP, NO_OP, NO_OP},
    [GRP_1] = {DECODE_OP_ADD, DECODE_OP_OR, DECODE_OP_ADC, DECODE_OP_SBB, DECODE_OP_AND,
	       DECODE_OP_SUB, DECODE_OP_XOR, DECODE_OP_CMP},
    [GRP_2] = {DECODE_OP_ROL, DECODE_OP_ROR, DECODE_OP_RCL, DECODE_OP_RCR, DECODE_OP_SHL,
	       DECODE_OP_SHR, DECODE_OP_SHL, DECODE_OP_SAR},
    [GRP_3] = {DECODE_OP_TEST, NO_OP, DECODE_OP_NOT, DECODE_OP_NEG, DECODE_OP_MUL, DECODE_OP_IMUL,
	       DECODE_OP_DIV, DECODE_OP_IDIV},
    [GRP_4] = {DECODE_OP_INC, DECODE_OP_DEC, NO_OP, NO_OP, NO_OP, NO_OP, NO_OP, NO_OP},
    [GRP_5] = {DECODE_OP_INC, DECODE_OP_DEC, DECODE_OP_CALL, NO_OP, DECODE_OP_JMP, NO_OP,
	       DECODE_OP_PUSH, NO_OP},
    [GRP_8] = {NO_OP, NO_OP, NO_OP, NO_OP, DECODE_OP_BT, DECODE_OP_BTS, DECODE_OP_BTR,
	       DECODE_OP_BTC},
    [GRP_9] = {NO_OP, DECODE_OP_CMPXCHG8B, NO_OP, NO_OP, NO_OP, NO_OP, NO_OP, NO_OP},
};

/* The next byte, or TOO_LONG past 15 bytes, or TRUNCATED past `avail`. */
static int next(struct cursor *c, u8 *b)
{
	if (c->pos >= DECODE_MAX_LEN)
		return DECODE_TOO_LONG;
	if (c->pos >= c->avail)
		return DECODE_TRUNCATED;
	*b = c->bytes[c->pos++];
	return DECODE_OK;
}

/* n (1, 2, 4 or 8) little-endian bytes, sign-extended to 64 bits. */
static int next_signed(struct cursor *c, unsigned n, s64 *v)
{
	u64 x = 0;
	u8 b;

	for (unsigned i = 0; i < n; i++) {
		int s = next(c, &b);

		if (s)
			return s;
		x |= (u64)b << (8 * i);
	}
	if (n < 8 && (x & BIT(8 * n - 1)))
		x |= ~0ULL << (8 * n);
	*v = (s64)x;
	return DECODE_OK;
}

static int prefix_seg(u8 b)
{
	switch (b) {
	case PFX_ES:
		return DECODE_SEG_ES;
	case PFX_CS:
		return DECODE_SEG_CS;
	case PFX_SS:
		return DECODE_SEG_SS;
	case PFX_DS:
		return DECODE_SEG_DS;
	case PFX_FS:
		return DECODE_SEG_FS;
	case PFX_GS:
		return DECODE_SEG_GS;
	default:
		return -1;
	}
}

/*
 * Records b if it is a legacy prefix; false if it is not one. In 64-bit
 * mode an ES/CS/SS/DS override is ignored (SDM Vol. 1 3.3.7.1), so it
 * does not displace an earlier FS or GS.
 */
static bool legacy_prefix(struct prefixes *p, u8 b, enum decode_mode mode)
{
	int seg = prefix_seg(b);

	if (seg >= 0) {
		if (mode != DECODE_MODE_64 || seg == DECODE_SEG_FS || seg == DECODE_SEG_GS)
			p->seg = seg;
	} else if (b == PFX_OPSIZE)
		p->opsize = true;
	else if (b == PFX_ADSIZE)
		p->adsize = true;
	else if (b == PFX_LOCK)
		p->lock = true;
	else if (b == PFX_REP || b == PFX_REPNE) {
		p->rep = true;
		p->repne = b == PFX_REPNE;
	} else
		return false;
	return true;
}

/*
 * Reads prefixes and returns the opcode byte in *opc. A REX followed by a
 * legacy prefix is ignored (SDM Vol. 2A 2.2.1); 40-4F are REX only in
 * 64-bit mode (elsewhere they are INC/DEC and end up unsupported).
 */
static int read_prefixes(struct cursor *c, enum decode_mode mode, struct prefixes *p, u8 *opc)
{
	for (;;) {
		int s = next(c, opc);

		if (s)
			return s;
		if (legacy_prefix(p, *opc, mode)) {
			p->rex = 0;
			continue;
		}
		if (mode == DECODE_MODE_64 && (*opc & 0xF0) == 0x40) {
			p->rex = *opc;
			continue;
		}
		return DECODE_OK;
	}
}

/* SDM Vol. 2A 2.2.1.2 / 3.6: operand and address size from mode and prefixes. */
static void set_sizes(struct decode_insn *d, const struct prefixes *p, enum decode_mode mode)
{
	if (mode == DECODE_MODE_64) {
		d->addr_size = p->adsize ? 4 : 8;
		d->op_size = (p->rex & REX_W) ? 8 : p->opsize ? 2 : 4;
	} else {
		d->addr_size = p->adsize ? (6 - mode) : mode; /* 67 swaps 2 and 4 */
		d->op_size = p->opsize ? (6 - mode) : mode;
	}
}

/*
 * The segment of a memory operand: an override if one applies, else
 * def. (In 64-bit mode legacy_prefix() keeps only FS and GS overrides.)
 */
static enum decode_seg operand_seg(struct decode_insn *d, const struct prefixes *p,
				   enum decode_seg def)
{
	if (p->seg < 0)
		return def;
	d->seg_override = true;
	return (enum decode_seg)p->seg;
}

/* 16-bit ModRM memory forms (SDM Vol. 2A Table 2-1). */
static int modrm_mem16(struct cursor *c, u8 modrm, struct decode_mem *m)
{
	static const int base16[8] = {GPR_RBX, GPR_RBX, GPR_RBP, GPR_RBP,
				      GPR_RSI, GPR_RDI, GPR_RBP, GPR_RBX};
	static const int index16[8] = {GPR_RSI,	      GPR_RDI,	     GPR_RSI,	    GPR_RDI,
				       DECODE_NO_REG, DECODE_NO_REG, DECODE_NO_REG, DECODE_NO_REG};
	unsigned mod = MODRM_MOD(modrm), rm = MODRM_RM(modrm);

	m->base = base16[rm];
	m->index = index16[rm];
	if (mod == 0 && rm == 6) {
		m->base = DECODE_NO_REG;
		return next_signed(c, 2, &m->disp);
	}
	if (mod == 0)
		return DECODE_OK;
	return next_signed(c, mod == 1 ? 1 : 2, &m->disp);
}

/* The SIB byte (SDM Vol. 2A Table 2-3, 2.2.1.2 for REX.X/REX.B). */
static int sib(struct cursor *c, unsigned mod, u8 rex, struct decode_mem *m, bool *disp32)
{
	u8 b;
	int s = next(c, &b);
	unsigned index = SIB_INDEX(b) | ((rex & REX_X) ? 8 : 0);

	if (s)
		return s;
	if (index != GPR_RSP) {
		m->index = (int)index;
		m->scale = (u8)(1u << SIB_SS(b));
	}
	if (SIB_BASE(b) == 5 && mod == 0)
		*disp32 = true;
	else
		m->base = (int)(SIB_BASE(b) | ((rex & REX_B) ? 8 : 0));
	return DECODE_OK;
}

/* 32/64-bit ModRM memory forms (SDM Vol. 2A Table 2-2, 2.2.1.6 RIP-relative). */
static int modrm_mem32(struct cursor *c, u8 modrm, u8 rex, enum decode_mode mode,
		       struct decode_mem *m)
{
	unsigned mod = MODRM_MOD(modrm), rm = MODRM_RM(modrm);
	bool disp32 = mod == 2;
	int s = DECODE_OK;

	if (rm == 4)
		s = sib(c, mod, rex, m, &disp32);
	else if (mod == 0 && rm == 5) {
		disp32 = true;
		m->rip_rel = mode == DECODE_MODE_64;
	} else
		m->base = (int)(rm | ((rex & REX_B) ? 8 : 0));
	if (s)
		return s;
	if (mod == 1)
		return next_signed(c, 1, &m->disp);
	return disp32 ? next_signed(c, 4, &m->disp) : DECODE_OK;
}

/* Reads ModRM and the memory operand it names into d->mem; *modrm gets the byte. */
static int modrm(struct cursor *c, struct decode_insn *d, const struct prefixes *p, u8 *b)
{
	struct decode_mem *m = &d->mem;
	enum decode_seg def = DECODE_SEG_DS;
	int s = next(c, b);

	if (s)
		return s;
	if (MODRM_MOD(*b) == 3)
		return DECODE_NOT_MEMORY;
	*m = (struct decode_mem){.base = DECODE_NO_REG, .index = DECODE_NO_REG, .scale = 1};
	if (d->addr_size == 2)
		s = modrm_mem16(c, *b, m);
	else
		s = modrm_mem32(c, *b, p->rex, d->mode, m);
	if (s)
		return s;
	if (m->base == GPR_RBP || m->base == GPR_RSP)
		def = DECODE_SEG_SS;
	m->seg = operand_seg(d, p, def);
	return DECODE_OK;
}

int decode_next(struct cursor *c, u8 *b)
{
	return next(c, b);
}

int decode_modrm(struct cursor *c, struct decode_insn *d, const struct prefixes *p, u8 *b)
{
	return modrm(c, d, p, b);
}

/* Sets the register operand from a 3- or 4-bit number (AH-BH rule: SDM Vol. 2A 3.7.2.1). */
static void set_reg(struct decode_insn *d, unsigned reg, unsigned size, u8 rex)
{
	d->has_reg = true;
	d->reg = (int)reg;
	if (size == 1 && rex == 0 && reg >= 4 && reg < 8) {
		d->reg = (int)reg - 4;
		d->reg_high = true;
	}
}

/*
 * The immediate of a row: ib, or iw/id by operand size (id sign-extends
 * for REX.W), or a zero-extended ib (F_IMM8U), or the count 1 of D0/D1.
 */
static int immediate(struct cursor *c, struct decode_insn *d, u16 flags)
{
	s64 v = 1;
	int s = DECODE_OK;

	if (!(flags & (F_IMM8 | F_IMMZ | F_IMM8U | F_ONE)))
		return DECODE_OK;
	if (flags & (F_IMM8 | F_IMM8U))
		s = next_signed(c, 1, &v);
	else if (flags & F_IMMZ)
		s = next_signed(c, MIN(d->op_size, 4), &v);
	if (s)
		return s;
	d->has_imm = true;
	d->imm = (flags & F_IMM8U) ? (u64)v & 0xFF : (u64)v;
	return DECODE_OK;
}

/*
 * The operation a group row's ModRM.reg selects, or UNSUPPORTED; *flags
 * loses the immediate group 3 has only for /0 (TEST).
 */
static int group_form(const struct form *f, u8 modrm, struct decode_insn *d, u16 *flags)
{
	u8 op = group_ops[f->group][MODRM_REG(modrm)];

	if (op == NO_OP)
		return DECODE_UNSUPPORTED;
	d->op = (enum decode_op)op;
	if (f->group == GRP_3 && op != DECODE_OP_TEST)
		*flags &= (u16) ~(F_IMM8 | F_IMMZ);
	return DECODE_OK;
}

/* A row with a ModRM: memory operand, then register or /digit, then immediate. */
static int modrm_form(struct cursor *c, struct decode_insn *d, const struct prefixes *p,
		      const struct form *f)
{
	u16 flags = f->flags;
	u8 b;
	int s = modrm(c, d, p, &b);

	if (s)
		return s;
	if (f->group != GRP_NONE && group_form(f, b, d, &flags))
		return DECODE_UNSUPPORTED;
	if ((flags & F_DIGIT0) && MODRM_REG(b) != 0)
		return DECODE_UNSUPPORTED;
	if (flags & F_REG)
		set_reg(d, MODRM_REG(b) | ((p->rex & REX_R) ? 8 : 0), d->op_size, p->rex);
	if (flags & F_CL)
		set_reg(d, GPR_RCX, 1, 0);
	return immediate(c, d, flags);
}

/* A0-A3: MOV between rAX and seg:moffs, an address-size offset (SDM Vol. 2A "MOV"). */
static int moffs_form(struct cursor *c, struct decode_insn *d, const struct prefixes *p)
{
	struct decode_mem *m = &d->mem;
	int s;

	*m = (struct decode_mem){.base = DECODE_NO_REG, .index = DECODE_NO_REG, .scale = 1};
	s = next_signed(c, d->addr_size, &m->disp);
	if (s)
		return s;
	if (d->addr_size < 8)
		m->disp &= (s64)(BIT(8 * d->addr_size) - 1);
	m->seg = operand_seg(d, p, DECODE_SEG_DS);
	set_reg(d, GPR_RAX, d->op_size, p->rex);
	return DECODE_OK;
}

/*
 * The string forms (SDM Vol. 2B "STOS", "MOVS", "LODS", "SCAS", "CMPS"):
 * STOS rAX -> ES:rDI, SCAS rAX vs ES:rDI (ES cannot be overridden), LODS
 * seg:rSI -> rAX, MOVS seg:rSI -> ES:rDI, CMPS seg:rSI vs ES:rDI.
 */
static void string_form(struct decode_insn *d, const struct prefixes *p)
{
	struct decode_mem di = {
	    .base = GPR_RDI, .index = DECODE_NO_REG, .scale = 1, .seg = DECODE_SEG_ES};

	d->rep = p->rep;
	d->repne = p->rep && p->repne;
	d->mem = di;
	if (d->op != DECODE_OP_MOVS && d->op != DECODE_OP_CMPS)
		set_reg(d, GPR_RAX, d->op_size, p->rex);
	if (d->op == DECODE_OP_STOS || d->op == DECODE_OP_SCAS)
		return;
	d->mem.base = GPR_RSI;
	d->mem.seg = operand_seg(d, p, DECODE_SEG_DS);
	if (d->op == DECODE_OP_MOVS || d->op == DECODE_OP_CMPS)
		d->mem2 = di;
}

/* An opcode through its row of `forms` or `forms_0f`. */
static int form_row(struct cursor *c, struct decode_insn *d, const struct prefixes *p,
		    const struct form *f)
{
	if (f->flags == 0)
		return DECODE_UNSUPPORTED;
	d->op = (enum decode_op)f->op;
	d->dir = (f->flags & F_TO_MEM) ? DECODE_DIR_TO_MEM : DECODE_DIR_FROM_MEM;
	if (f->flags & F_BYTE)
		d->op_size = 1;
	d->mem_size = d->op_size;
	if (f->flags & F_STRING) {
		string_form(d, p);
		return DECODE_OK;
	}
	if (f->flags & F_MOFFS)
		return moffs_form(c, d, p);
	return modrm_form(c, d, p, f);
}

/* 0F B6/B7 MOVZX, 0F BE/BF MOVSX (SDM Vol. 2B): register = extend(r/m8 or r/m16). */
static int movzx_movsx(struct cursor *c, struct decode_insn *d, const struct prefixes *p, u8 opc)
{
	u8 b;
	int s;

	d->op = (opc & 8) ? DECODE_OP_MOVSX : DECODE_OP_MOVZX;
	d->dir = DECODE_DIR_FROM_MEM;
	d->mem_size = (opc & 1) ? 2 : 1;
	s = modrm(c, d, p, &b);
	if (s)
		return s;
	set_reg(d, MODRM_REG(b) | ((p->rex & REX_R) ? 8 : 0), d->op_size, p->rex);
	return DECODE_OK;
}

/* 0F 90-9F SETcc r/m8 (SDM Vol. 2B "SETcc": ModRM.reg is not used). */
static int setcc(struct cursor *c, struct decode_insn *d, const struct prefixes *p, u8 opc)
{
	u8 b;

	d->op = DECODE_OP_SETCC;
	d->dir = DECODE_DIR_TO_MEM;
	d->cc = opc & 0xF;
	d->op_size = d->mem_size = 1;
	return modrm(c, d, p, &b);
}

/*
 * 0F 38 F0/F1 MOVBE (SDM Vol. 2B "MOVBE"): with F2 the same bytes are
 * CRC32, with F3 nothing; both are left unsupported.
 */
static int three_byte(struct cursor *c, struct decode_insn *d, const struct prefixes *p)
{
	u8 opc;
	int s = next(c, &opc);

	if (s)
		return s;
	if ((opc != 0xF0 && opc != 0xF1) || p->rep)
		return DECODE_UNSUPPORTED;
	return form_row(c, d, p, &movbe_forms[opc & 1]);
}

/* A two-byte opcode (0F xx). */
static int two_byte(struct cursor *c, struct decode_insn *d, const struct prefixes *p)
{
	u8 opc;
	int s = next(c, &opc);

	if (s)
		return s;
	if (opc == 0xB6 || opc == 0xB7 || opc == 0xBE || opc == 0xBF)
		return movzx_movsx(c, d, p, opc);
	if ((opc & 0xF0) == 0x90)
		return setcc(c, d, p, opc);
	if (opc == 0x38)
		return three_byte(c, d, p);
	if (decode_sse_opcode(opc))
		return decode_sse(c, d, p, opc);
	/* MOVNTI (NP 0F C3) has no 16-bit form and takes no 66/F2/F3 */
	if (opc == 0xC3 && (p->opsize || p->rep || d->op_size == 2))
		return DECODE_UNSUPPORTED;
	return form_row(c, d, p, &forms_0f[opc]);
}

/*
 * PUSH/POP m (SDM Vol. 2B "PUSH", "POP"): in 64-bit code the operand is
 * 64 bits, or 16 with 66 (REX.W wins over 66); 32 is not encodable there.
 */
static void stack_form(struct decode_insn *d, const struct prefixes *p)
{
	if (d->mode == DECODE_MODE_64)
		d->op_size = ((p->rex & REX_W) || !p->opsize) ? 8 : 2;
	d->mem_size = d->op_size;
	if (d->op == DECODE_OP_PUSH)
		d->dir = DECODE_DIR_FROM_MEM;
}

/*
 * Near CALL m / JMP m (FF /2, /4; SDM Vol. 2A "CALL", "JMP"): in 64-bit
 * code the operand is 64 bits whatever 66 or REX.W say (Intel CPUs ignore
 * 66 there; AMD's honour it), else the operand size. The far forms (/3,
 * /5) stay unsupported.
 */
static void branch_form(struct decode_insn *d)
{
	if (d->mode == DECODE_MODE_64)
		d->op_size = 8;
	d->mem_size = d->op_size;
	d->dir = DECODE_DIR_FROM_MEM;
}

/*
 * The double-width forms. MUL/IMUL/DIV/IDIV r/m (F6/F7 /4-/7; SDM Vol. 2A
 * "MUL", "IMUL", Vol. 2A "DIV", "IDIV"): the memory operand is a source,
 * rAX (and rDX) the implicit destination. CMPXCHG8B m64 / CMPXCHG16B m128
 * (0F C7 /1, REX.W selecting the second; Vol. 2A "CMPXCHG8B/CMPXCHG16B"):
 * op_size is half the operand (EDX:EAX or RDX:RAX) whatever 66 says.
 */
static void wide_form(struct decode_insn *d, const struct prefixes *p)
{
	if (d->op == DECODE_OP_CMPXCHG8B) {
		if (p->rex & REX_W)
			d->op = DECODE_OP_CMPXCHG16B;
		d->op_size = (p->rex & REX_W) ? 8 : 4;
		d->mem_size = (u8)(2 * d->op_size);
	} else {
		d->dir = DECODE_DIR_FROM_MEM;
	}
}

/* 63 /r MOVSXD (64-bit mode only; ARPL elsewhere): register = sign-extend(r/m32). */
static int movsxd(struct cursor *c, struct decode_insn *d, const struct prefixes *p)
{
	u8 b;
	int s;

	if (d->mode != DECODE_MODE_64)
		return DECODE_UNSUPPORTED;
	d->op = DECODE_OP_MOVSX;
	d->dir = DECODE_DIR_FROM_MEM;
	d->mem_size = d->op_size == 8 ? 4 : d->op_size;
	s = modrm(c, d, p, &b);
	if (s)
		return s;
	set_reg(d, MODRM_REG(b) | ((p->rex & REX_R) ? 8 : 0), d->op_size, p->rex);
	return DECODE_OK;
}

/*
 * LOCK is allowed only where the SDM allows it (Vol. 2A "LOCK"): ADD, ADC,
 * AND, BTC, BTR, BTS, CMPXCHG, CMPXCHG8B/16B, DEC, INC, NEG, NOT, OR, SBB, SUB, XOR, XADD
 * and XCHG, each with a memory destination; anywhere else it is #UD.
 */
static bool lock_allowed(const struct decode_insn *d)
{
	switch (d->op) {
	case DECODE_OP_ADD:
	case DECODE_OP_ADC:
	case DECODE_OP_SUB:
	case DECODE_OP_SBB:
	case DECODE_OP_AND:
	case DECODE_OP_OR:
	case DECODE_OP_XOR:
		return d->dir == DECODE_DIR_TO_MEM;
	case DECODE_OP_INC:
	case DECODE_OP_DEC:
	case DECODE_OP_NEG:
	case DECODE_OP_NOT:
	case DECODE_OP_BTS:
	case DECODE_OP_BTR:
	case DECODE_OP_BTC:
	case DECODE_OP_XADD:
	case DECODE_OP_CMPXCHG:
	case DECODE_OP_CMPXCHG8B:
	case DECODE_OP_CMPXCHG16B:
	case DECODE_OP_XCHG:
		return true;
	default:
		return false;
	}
}

int decode_insn(const u8 *bytes, unsigned avail, enum decode_mode mode, struct decode_insn *out)
{
	struct cursor c = {.bytes = bytes, .avail = avail};
	struct prefixes p = {.seg = -1};
	u8 opc;
	int s = read_prefixes(&c, mode, &p, &opc);

	if (s)
		return s;
	*out = (struct decode_insn){.mode = mode, .lock = p.lock};
	out->mem2 = (struct decode_mem){.base = DECODE_NO_REG, .index = DECODE_NO_REG, .scale = 1};
	set_sizes(out, &p, mode);
	if (opc == OPC_ESCAPE)
		s = two_byte(&c, out, &p);
	else if (opc == VEX2 || opc == VEX3)
		s = decode_vex(&c, out, &p, opc);
	else if (opc == 0x63)
		s = movsxd(&c, out, &p);
	else
		s = form_row(&c, out, &p, &forms[opc]);
	if (s)
		return s;
	if (out->op == DECODE_OP_PUSH || out->op == DECODE_OP_POP)
		stack_form(out, &p);
	if (out->op == DECODE_OP_CALL || out->op == DECODE_OP_JMP)
		branch_form(out);
	if (out->op >= DECODE_OP_MUL && out->op <= DECODE_OP_CMPXCHG8B)
		wide_form(out, &p);
	if (p.lock && !lock_allowed(out))
		return DECODE_BAD_LOCK;
	out->len = (u8)c.pos;
	return DECODE_OK;
}

u64 decode_ea(const struct decode_insn *d, const struct decode_mem *m, const u64 gpr[16], u64 rip)
{
	u64 ea = (u64)m->disp;

	if (m->rip_rel)
		ea += rip + d->len;
	if (m->base != DECODE_NO_REG)
		ea += gpr[m->base];
	if (m->index != DECODE_NO_REG)
		ea += gpr[m->index] * m->scale;
	return d->addr_size == 8 ? ea : ea & (BIT(8 * d->addr_size) - 1);
}

const char *decode_op_name(enum decode_op op)
{
	static const char *const names[] = {
	    "mov",	"movzx",    "movsx",	"stos",	   "movs",	"and",	     "or",
	    "xor",	"cmp",	    "test",	"xchg",	   "add",	"adc",	     "sub",
	    "sbb",	"inc",	    "dec",	"neg",	   "not",	"rol",	     "ror",
	    "rcl",	"rcr",	    "shl",	"shr",	   "sar",	"bt",	     "bts",
	    "btr",	"btc",	    "xadd",	"cmpxchg", "setcc",	"movnti",    "movbe",
	    "push",	"pop",	    "lods",	"scas",	   "cmps",	"movd",	     "movq",
	    "movdqa",	"movdqu",   "movaps",	"movups",  "vmovdqu",	"vmovdqa",   "vmovaps",
	    "vmovups",	"movapd",   "movupd",	"movntdq", "movntps",	"movntpd",   "movss",
	    "movsd",	"movlps",   "movhps",	"movlpd",  "movhpd",	"vmovapd",   "vmovupd",
	    "vmovntdq", "vmovntps", "vmovntpd", "vmovss",  "vmovsd",	"call",	     "jmp",
	    "mul",	"imul",	    "div",	"idiv",	   "cmpxchg8b", "cmpxchg16b"};

	_Static_assert(sizeof(names) / sizeof(names[0]) == DECODE_OP_CMPXCHG16B + 1,
		       "a name for every decode_op, in order");
	return (unsigned)op < sizeof(names) / sizeof(names[0]) ? names[op] : "?";
}

const char *decode_status_name(int status)
{
	switch (status) {
	case DECODE_OK:
		return "ok";
	case DECODE_TRUNCATED:
		return "truncated";
	case DECODE_TOO_LONG:
		return "longer than 15 bytes";
	case DECODE_UNSUPPORTED:
		return "unsupported instruction";
	case DECODE_NOT_MEMORY:
		return "no memory operand";
	case DECODE_BAD_LOCK:
		return "LOCK not allowed";
	case DECODE_BAD_VEX:
		return "VEX prefix or field not allowed";
	default:
		return "unknown status";
	}
}

unsigned decode_hex(const u8 *bytes, unsigned n, char *buf, unsigned size)
{
	static const char digits[] = "0123456789abcdef";
	unsigned len = 0;

	if (size == 0)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned need = i ? 3 : 2;

		if (len + need + 1 > size)
			break;
		if (i)
			buf[len++] = ' ';
		buf[len++] = digits[bytes[i] >> 4];
		buf[len++] = digits[bytes[i] & 15];
	}
	buf[len] = '\0';
	return len;
}
