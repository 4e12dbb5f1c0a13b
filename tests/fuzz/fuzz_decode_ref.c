/*
 * libFuzzer target for vm/decode.c, checked against a reference decoder:
 * Zydis (Debian's libzydis-dev). Input: the instruction bytes alone, no
 * parameter bytes. Each input is decoded in 64-, 32- and 16-bit code by
 * decode_insn() and by Zydis in the matching machine mode (LONG_64,
 * LEGACY_32, LEGACY_16). Where both accept it, these must agree, or the
 * run aborts printing both decodings:
 *
 *   length           d.len == length
 *   operation        d.op names the mnemonic (STOS/MOVS: any of B/W/D/Q;
 *                    MOVSX: MOVSX or MOVSXD; each vector move its own
 *                    mnemonic, MOVD to VMOVSD in vm/decode.h; MUL, IMUL
 *                    (one operand, or with its register), DIV, IDIV,
 *                    CMPXCHG8B, CMPXCHG16B)
 *   operand size     d.op_size * 8 == operand_width (CMPXCHG8B/16B: 32/64,
 *                    half the memory operand, as Zydis says); for the vector moves
 *                    (Zydis says 32 or 64 there, by REX.W) instead: one
 *                    XMM or YMM register operand, YMM exactly when
 *                    d.mem_size is 32, its number d.vreg, d.vex exactly
 *                    for Zydis's VEX encoding, d.aligned exactly for
 *                    (V)MOVDQA/(V)MOVAPS (the memory operand's size is
 *                    compared as for every form, below)
 *   address size     d.addr_size * 8 == address_width
 *   LOCK, REP        d.lock as Zydis's HAS_LOCK; on STOS/MOVS, d.rep as
 *                    any of its HAS_REP/REPE/REPNE (Keel treats F2 there
 *                    as REP, vm/decode.h; elsewhere Keel ignores F2/F3)
 *   memory operand   Zydis's memory operands of type MEM (MOVS has two:
 *                    the one based on rSI is d.mem, the one on rDI d.mem2),
 *                    each with size == d.mem_size * 8 (but for 66 63,
 *                    compare_mem());
 *                    base: a GPR of the address size whose enclosing
 *                    64-bit register is GPR number d.mem.base, or RIP/EIP
 *                    exactly when d.mem.rip_rel; index likewise, scale
 *                    compared only with an index (Zydis says 0 without
 *                    one, Keel 1); disp equal as 64-bit values, except a
 *                    moffs (A0-A3): Zydis sign-extends it, Keel
 *                    zero-extends it (vm/decode.h), so Keel's must be
 *                    Zydis's modulo 2^(8 * addr_size); segment: Zydis's
 *                    effective segment register == d.mem.seg
 *   register operand the first explicit or implicit GPR operand (STOS:
 *                    the hidden rAX) is d.reg (AH-BH: d.reg_high), of
 *                    width d.op_size * 8 (MOVZX/MOVSX: the destination)
 *   immediate        present in both or neither; equal modulo
 *                    2^(8 * op_size): Zydis zero-extends an unsigned
 *                    immediate, Keel sign-extends every one (vm/decode.h),
 *                    and the operation uses op_size bits of it
 *
 * Keel deliberately decodes a subset, so what it rejects is not compared;
 * but an instruction Keel accepts and Zydis rejects (an illegal LOCK, a
 * 16th byte) is a disagreement too. Two reference quirks are skipped,
 * narrowly, in compare_mem(). Where a comparison fails the report names
 * it, with the bytes, every field of Keel's decoding and Zydis's text and
 * operands.
 *
 * The same bytes also check vmx/sw_event.c, which tells a software event
 * in an exit's IDT-vectoring information from a stale record by the
 * instruction at RIP: whatever Zydis decodes, sw_event_raised_by() on
 * Zydis's length must say that INT n (its vector), INT3, INTO or INT1
 * raises its own event, and that no other instruction raises any
 * (check_sw_event()).
 */
#include "tests/fuzz/fuzz_check.h"

#include <Zydis/Zydis.h>

#include "vm/decode.h"
#include "vmx/sw_event.h"
#include "vmx/vmcs_fields.h"
#include "vmx/vcpu_regs.h"

static const struct {
	enum decode_mode mode;
	ZydisMachineMode zmode;
	ZydisStackWidth stack;
} modes[] = {
    {DECODE_MODE_64, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64},
    {DECODE_MODE_32, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32},
    {DECODE_MODE_16, ZYDIS_MACHINE_MODE_LEGACY_16, ZYDIS_STACK_WIDTH_16},
};

#define NMODES ARRAY_SIZE(modes)

static ZydisDecoder decoders[NMODES];
static ZydisFormatter formatter;
static bool ready;

/* The one comparison being made, for the report: set before each check. */
static const char *what;

static const char *const seg_names[] = {"es", "cs", "ss", "ds", "fs", "gs"};

static void print_mem(const char *name, const struct decode_mem *m)
{
	fprintf(stderr, "  keel %s: base %d index %d scale %u rip_rel %d disp %#llx seg %s\n", name,
		m->base, m->index, m->scale, m->rip_rel, (unsigned long long)m->disp,
		m->seg < DECODE_SEG_COUNT ? seg_names[m->seg] : "?");
}

static void print_keel(const struct decode_insn *d)
{
	fprintf(stderr,
		"  keel: len %u op %s dir %d mem_size %u op_size %u addr_size %u reg %d%s%s "
		"imm %s%#llx rep %d lock %d seg_override %d\n",
		d->len, decode_op_name(d->op), d->dir, d->mem_size, d->op_size, d->addr_size,
		d->has_reg ? d->reg : -1, d->reg_high ? " (high)" : "", d->has_reg ? "" : " (none)",
		d->has_imm ? "" : "(none) ", (unsigned long long)d->imm, d->rep, d->lock,
		d->seg_override);
	if (decode_op_is_vector(d->op))
		fprintf(stderr, "  keel: vreg %u vex %d aligned %d\n", d->vreg, d->vex, d->aligned);
	print_mem("mem", &d->mem);
	if (d->op == DECODE_OP_MOVS || d->op == DECODE_OP_CMPS)
		print_mem("mem2", &d->mem2);
}

static void print_zydis(const ZydisDecodedInstruction *z, const ZydisDecodedOperand *ops)
{
	char text[256];

	if (ZYAN_FAILED(ZydisFormatterFormatInstruction(&formatter, z, ops, z->operand_count, text,
							sizeof(text), 0, NULL)))
		snprintf(text, sizeof(text), "(unformattable)");
	fprintf(stderr, "  zydis: \"%s\" len %u mnemonic %s operand_width %u address_width %u\n",
		text, z->length, ZydisMnemonicGetString(z->mnemonic), z->operand_width,
		z->address_width);
	for (unsigned i = 0; i < z->operand_count; i++) {
		const ZydisDecodedOperand *o = &ops[i];

		fprintf(stderr, "  zydis op%u: type %d visibility %d size %u", i, o->type,
			o->visibility, o->size);
		if (o->type == ZYDIS_OPERAND_TYPE_REGISTER)
			fprintf(stderr, " reg %s", ZydisRegisterGetString(o->reg.value));
		else if (o->type == ZYDIS_OPERAND_TYPE_MEMORY)
			fprintf(stderr, " memtype %d seg %s base %s index %s scale %u disp %#llx",
				o->mem.type, ZydisRegisterGetString(o->mem.segment),
				ZydisRegisterGetString(o->mem.base),
				ZydisRegisterGetString(o->mem.index), o->mem.scale,
				(unsigned long long)o->mem.disp.value);
		else if (o->type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
			fprintf(stderr, " imm %#llx signed %d", (unsigned long long)o->imm.value.u,
				o->imm.is_signed);
		fprintf(stderr, "\n");
	}
}

/* Where a comparison fails: both decodings, then abort (libFuzzer keeps the input). */
static void disagree(const u8 *b, size_t n, unsigned mode, const struct decode_insn *d,
		     const ZydisDecodedInstruction *z, const ZydisDecodedOperand *ops)
{
	char hex[3 * DECODE_MAX_LEN + 1];

	decode_hex(b, (unsigned)MIN(n, DECODE_MAX_LEN), hex, sizeof(hex));
	fprintf(stderr, "decode_ref: %u-bit code, bytes %s: keel and zydis disagree on %s\n",
		modes[mode].mode * 8, hex, what);
	print_keel(d);
	print_zydis(z, ops);
	abort();
}

/* Keel accepted what Zydis rejects: report it as a disagreement too. */
static void rejected(const u8 *b, size_t n, unsigned mode, const struct decode_insn *d)
{
	char hex[3 * DECODE_MAX_LEN + 1];

	decode_hex(b, (unsigned)MIN(n, DECODE_MAX_LEN), hex, sizeof(hex));
	fprintf(stderr, "decode_ref: %u-bit code, bytes %s: keel accepts, zydis rejects\n",
		modes[mode].mode * 8, hex);
	print_keel(d);
	abort();
}

#define AGREE(cond)                                                                                \
	do {                                                                                       \
		what = #cond;                                                                      \
		if (!(cond))                                                                       \
			disagree(b, n, mi, d, z, ops);                                             \
	} while (0)

static bool op_matches(enum decode_op op, ZydisMnemonic m)
{
	static const ZydisMnemonic one[] = {
	    [DECODE_OP_MOV] = ZYDIS_MNEMONIC_MOV,
	    [DECODE_OP_MOVZX] = ZYDIS_MNEMONIC_MOVZX,
	    [DECODE_OP_AND] = ZYDIS_MNEMONIC_AND,
	    [DECODE_OP_OR] = ZYDIS_MNEMONIC_OR,
	    [DECODE_OP_XOR] = ZYDIS_MNEMONIC_XOR,
	    [DECODE_OP_CMP] = ZYDIS_MNEMONIC_CMP,
	    [DECODE_OP_TEST] = ZYDIS_MNEMONIC_TEST,
	    [DECODE_OP_XCHG] = ZYDIS_MNEMONIC_XCHG,
	    [DECODE_OP_ADD] = ZYDIS_MNEMONIC_ADD,
	    [DECODE_OP_ADC] = ZYDIS_MNEMONIC_ADC,
	    [DECODE_OP_SUB] = ZYDIS_MNEMONIC_SUB,
	    [DECODE_OP_SBB] = ZYDIS_MNEMONIC_SBB,
	    [DECODE_OP_INC] = ZYDIS_MNEMONIC_INC,
	    [DECODE_OP_DEC] = ZYDIS_MNEMONIC_DEC,
	    [DECODE_OP_NEG] = ZYDIS_MNEMONIC_NEG,
	    [DECODE_OP_NOT] = ZYDIS_MNEMONIC_NOT,
	    [DECODE_OP_ROL] = ZYDIS_MNEMONIC_ROL,
	    [DECODE_OP_ROR] = ZYDIS_MNEMONIC_ROR,
	    [DECODE_OP_RCL] = ZYDIS_MNEMONIC_RCL,
	    [DECODE_OP_RCR] = ZYDIS_MNEMONIC_RCR,
	    [DECODE_OP_SHL] = ZYDIS_MNEMONIC_SHL,
	    [DECODE_OP_SHR] = ZYDIS_MNEMONIC_SHR,
	    [DECODE_OP_SAR] = ZYDIS_MNEMONIC_SAR,
	    [DECODE_OP_BT] = ZYDIS_MNEMONIC_BT,
	    [DECODE_OP_BTS] = ZYDIS_MNEMONIC_BTS,
	    [DECODE_OP_BTR] = ZYDIS_MNEMONIC_BTR,
	    [DECODE_OP_BTC] = ZYDIS_MNEMONIC_BTC,
	    [DECODE_OP_XADD] = ZYDIS_MNEMONIC_XADD,
	    [DECODE_OP_CMPXCHG] = ZYDIS_MNEMONIC_CMPXCHG,
	    [DECODE_OP_MOVNTI] = ZYDIS_MNEMONIC_MOVNTI,
	    [DECODE_OP_MOVBE] = ZYDIS_MNEMONIC_MOVBE,
	    [DECODE_OP_PUSH] = ZYDIS_MNEMONIC_PUSH,
	    [DECODE_OP_POP] = ZYDIS_MNEMONIC_POP,
	    [DECODE_OP_MOVD] = ZYDIS_MNEMONIC_MOVD,
	    [DECODE_OP_MOVQ] = ZYDIS_MNEMONIC_MOVQ,
	    [DECODE_OP_MOVDQA] = ZYDIS_MNEMONIC_MOVDQA,
	    [DECODE_OP_MOVDQU] = ZYDIS_MNEMONIC_MOVDQU,
	    [DECODE_OP_MOVAPS] = ZYDIS_MNEMONIC_MOVAPS,
	    [DECODE_OP_MOVUPS] = ZYDIS_MNEMONIC_MOVUPS,
	    [DECODE_OP_VMOVDQU] = ZYDIS_MNEMONIC_VMOVDQU,
	    [DECODE_OP_VMOVDQA] = ZYDIS_MNEMONIC_VMOVDQA,
	    [DECODE_OP_VMOVAPS] = ZYDIS_MNEMONIC_VMOVAPS,
	    [DECODE_OP_VMOVUPS] = ZYDIS_MNEMONIC_VMOVUPS,
	    [DECODE_OP_MOVAPD] = ZYDIS_MNEMONIC_MOVAPD,
	    [DECODE_OP_MOVUPD] = ZYDIS_MNEMONIC_MOVUPD,
	    [DECODE_OP_MOVNTDQ] = ZYDIS_MNEMONIC_MOVNTDQ,
	    [DECODE_OP_MOVNTPS] = ZYDIS_MNEMONIC_MOVNTPS,
	    [DECODE_OP_MOVNTPD] = ZYDIS_MNEMONIC_MOVNTPD,
	    [DECODE_OP_MOVSS] = ZYDIS_MNEMONIC_MOVSS,
	    [DECODE_OP_MOVSD] = ZYDIS_MNEMONIC_MOVSD,
	    [DECODE_OP_MOVLPS] = ZYDIS_MNEMONIC_MOVLPS,
	    [DECODE_OP_MOVHPS] = ZYDIS_MNEMONIC_MOVHPS,
	    [DECODE_OP_MOVLPD] = ZYDIS_MNEMONIC_MOVLPD,
	    [DECODE_OP_MOVHPD] = ZYDIS_MNEMONIC_MOVHPD,
	    [DECODE_OP_VMOVAPD] = ZYDIS_MNEMONIC_VMOVAPD,
	    [DECODE_OP_VMOVUPD] = ZYDIS_MNEMONIC_VMOVUPD,
	    [DECODE_OP_VMOVNTDQ] = ZYDIS_MNEMONIC_VMOVNTDQ,
	    [DECODE_OP_VMOVNTPS] = ZYDIS_MNEMONIC_VMOVNTPS,
	    [DECODE_OP_VMOVNTPD] = ZYDIS_MNEMONIC_VMOVNTPD,
	    [DECODE_OP_VMOVSS] = ZYDIS_MNEMONIC_VMOVSS,
	    [DECODE_OP_VMOVSD] = ZYDIS_MNEMONIC_VMOVSD,
	    [DECODE_OP_CALL] = ZYDIS_MNEMONIC_CALL,
	    [DECODE_OP_JMP] = ZYDIS_MNEMONIC_JMP,
	    [DECODE_OP_MUL] = ZYDIS_MNEMONIC_MUL,
	    [DECODE_OP_IMUL] = ZYDIS_MNEMONIC_IMUL,
	    [DECODE_OP_DIV] = ZYDIS_MNEMONIC_DIV,
	    [DECODE_OP_IDIV] = ZYDIS_MNEMONIC_IDIV,
	    [DECODE_OP_CMPXCHG8B] = ZYDIS_MNEMONIC_CMPXCHG8B,
	    [DECODE_OP_CMPXCHG16B] = ZYDIS_MNEMONIC_CMPXCHG16B,
	};

	switch (op) {
	case DECODE_OP_SETCC:
		return false; /* setcc_matches() */
	case DECODE_OP_MOVSX:
		return m == ZYDIS_MNEMONIC_MOVSX || m == ZYDIS_MNEMONIC_MOVSXD;
	case DECODE_OP_STOS:
		return m == ZYDIS_MNEMONIC_STOSB || m == ZYDIS_MNEMONIC_STOSW ||
		       m == ZYDIS_MNEMONIC_STOSD || m == ZYDIS_MNEMONIC_STOSQ;
	case DECODE_OP_MOVS:
		return m == ZYDIS_MNEMONIC_MOVSB || m == ZYDIS_MNEMONIC_MOVSW ||
		       m == ZYDIS_MNEMONIC_MOVSD || m == ZYDIS_MNEMONIC_MOVSQ;
	case DECODE_OP_CMPS:
		return m == ZYDIS_MNEMONIC_CMPSB || m == ZYDIS_MNEMONIC_CMPSW ||
		       m == ZYDIS_MNEMONIC_CMPSD || m == ZYDIS_MNEMONIC_CMPSQ;
	case DECODE_OP_LODS:
		return m == ZYDIS_MNEMONIC_LODSB || m == ZYDIS_MNEMONIC_LODSW ||
		       m == ZYDIS_MNEMONIC_LODSD || m == ZYDIS_MNEMONIC_LODSQ;
	case DECODE_OP_SCAS:
		return m == ZYDIS_MNEMONIC_SCASB || m == ZYDIS_MNEMONIC_SCASW ||
		       m == ZYDIS_MNEMONIC_SCASD || m == ZYDIS_MNEMONIC_SCASQ;
	default:
		return op < ARRAY_SIZE(one) && one[op] == m;
	}
}

/* SETcc: the mnemonic of condition cc (SDM Vol. 1 Table B-1), in Zydis's names. */
static bool setcc_matches(const struct decode_insn *d, ZydisMnemonic m)
{
	static const ZydisMnemonic cc[16] = {
	    ZYDIS_MNEMONIC_SETO, ZYDIS_MNEMONIC_SETNO, ZYDIS_MNEMONIC_SETB,  ZYDIS_MNEMONIC_SETNB,
	    ZYDIS_MNEMONIC_SETZ, ZYDIS_MNEMONIC_SETNZ, ZYDIS_MNEMONIC_SETBE, ZYDIS_MNEMONIC_SETNBE,
	    ZYDIS_MNEMONIC_SETS, ZYDIS_MNEMONIC_SETNS, ZYDIS_MNEMONIC_SETP,  ZYDIS_MNEMONIC_SETNP,
	    ZYDIS_MNEMONIC_SETL, ZYDIS_MNEMONIC_SETNL, ZYDIS_MNEMONIC_SETLE, ZYDIS_MNEMONIC_SETNLE,
	};

	return d->op == DECODE_OP_SETCC && d->cc < 16 && cc[d->cc] == m;
}

/* Keel's GPR number (vmx/vcpu_regs.h) of a Zydis GPR, or -2 if r is not a GPR. */
static int gpr_of(ZydisRegister r)
{
	ZydisRegisterClass c = ZydisRegisterGetClass(r);

	if (c != ZYDIS_REGCLASS_GPR8 && c != ZYDIS_REGCLASS_GPR16 && c != ZYDIS_REGCLASS_GPR32 &&
	    c != ZYDIS_REGCLASS_GPR64)
		return -2;
	if (r >= ZYDIS_REGISTER_AH && r <= ZYDIS_REGISTER_BH)
		return (int)(r - ZYDIS_REGISTER_AH);
	return ZydisRegisterGetId(ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r));
}

static bool is_high(ZydisRegister r)
{
	return r >= ZYDIS_REGISTER_AH && r <= ZYDIS_REGISTER_BH;
}

/* A base or index register: none, or the GPR numbered `want` at the address size. */
static bool addr_reg_matches(ZydisRegister r, int want, unsigned addr_size)
{
	if (want == DECODE_NO_REG)
		return r == ZYDIS_REGISTER_NONE;
	return gpr_of(r) == want &&
	       ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, r) == 8 * addr_size;
}

static u64 mask_bytes(u64 v, unsigned bytes)
{
	return bytes >= 8 ? v : v & (BIT(8 * bytes) - 1);
}

static enum decode_seg seg_of(ZydisRegister r)
{
	switch (r) {
	case ZYDIS_REGISTER_ES:
		return DECODE_SEG_ES;
	case ZYDIS_REGISTER_CS:
		return DECODE_SEG_CS;
	case ZYDIS_REGISTER_SS:
		return DECODE_SEG_SS;
	case ZYDIS_REGISTER_DS:
		return DECODE_SEG_DS;
	case ZYDIS_REGISTER_FS:
		return DECODE_SEG_FS;
	case ZYDIS_REGISTER_GS:
		return DECODE_SEG_GS;
	default:
		return DECODE_SEG_COUNT;
	}
}

/* Compares one Zydis memory operand with Keel's m; moffs: the A0-A3 forms. */
static void compare_mem(const u8 *b, size_t n, unsigned mi, const struct decode_insn *d,
			const ZydisDecodedInstruction *z, const ZydisDecodedOperand *ops,
			const ZydisDecodedOperand *o, const struct decode_mem *m, bool moffs)
{
	const ZydisDecodedOperandMem *zm = &o->mem;

	/*
	 * 66 63 /r is MOVSXD r16, r/m16 (SDM Vol. 2B "MOVSX/MOVSXD"); Zydis
	 * reads a dword there, so that one memory size is not compared.
	 */
	if (!(z->mnemonic == ZYDIS_MNEMONIC_MOVSXD && d->op_size == 2))
		AGREE(o->size == 8 * d->mem_size);
	AGREE(seg_of(zm->segment) == m->seg);
	AGREE(addr_reg_matches(zm->index, m->index, d->addr_size));
	if (m->index != DECODE_NO_REG)
		AGREE(zm->scale == m->scale);
	else
		AGREE(m->scale == 1);
	/*
	 * SIB base 101 with mod 00 has no base and a disp32 whatever REX.B
	 * says (SDM Vol. 2A 2.2.1.2, Table 2-5). Under a 67 prefix Zydis
	 * 4.0.0 reports base r13d and no displacement instead (its length
	 * counts the disp32): base and disp are not compared there.
	 */
	if (z->raw.modrm.mod == 0 && z->raw.modrm.rm == 4 && z->raw.sib.base == 5 &&
	    zm->base == ZYDIS_REGISTER_R13D && !zm->disp.has_displacement && d->addr_size == 4)
		return;
	if (m->rip_rel)
		AGREE(zm->base == (d->addr_size == 8 ? ZYDIS_REGISTER_RIP : ZYDIS_REGISTER_EIP));
	else
		AGREE(addr_reg_matches(zm->base, m->base, d->addr_size));
	if (moffs)
		AGREE((u64)m->disp == mask_bytes((u64)zm->disp.value, d->addr_size));
	else
		AGREE(zm->disp.value == m->disp);
}

/* STOS, MOVS, LODS, SCAS: rSI/rDI-addressed, REP-able. */
static bool is_string(enum decode_op op)
{
	return op == DECODE_OP_STOS || op == DECODE_OP_MOVS || op == DECODE_OP_CMPS ||
	       op == DECODE_OP_LODS || op == DECODE_OP_SCAS;
}

/* MOVS and CMPS: two memory operands, seg:rSI (mem) and ES:rDI (mem2). */
static bool has_mem2(enum decode_op op)
{
	return op == DECODE_OP_MOVS || op == DECODE_OP_CMPS;
}

/* A shift or rotate, whose register operand, if any, is the count in CL. */
static bool is_shift(enum decode_op op)
{
	return op >= DECODE_OP_ROL && op <= DECODE_OP_SAR;
}

/* The register operand Keel reports: see the header comment. */
static const ZydisDecodedOperand *data_reg(const struct decode_insn *d,
					   const ZydisDecodedOperand *ops, unsigned count)
{
	for (unsigned i = 0; i < count; i++)
		if (ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
		    ops[i].visibility != ZYDIS_OPERAND_VISIBILITY_HIDDEN &&
		    gpr_of(ops[i].reg.value) >= 0)
			return &ops[i];
	for (unsigned i = 0; is_string(d->op) && !has_mem2(d->op) && i < count; i++)
		if (ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
		    gpr_of(ops[i].reg.value) == GPR_RAX)
			return &ops[i];
	return NULL;
}

/* The vector moves SDM Vol. 2A 2.4 puts in exception class Type 1: aligned to their size. */
static bool zydis_aligned(ZydisMnemonic m)
{
	switch (m) {
	case ZYDIS_MNEMONIC_MOVDQA:
	case ZYDIS_MNEMONIC_MOVAPS:
	case ZYDIS_MNEMONIC_MOVAPD:
	case ZYDIS_MNEMONIC_MOVNTDQ:
	case ZYDIS_MNEMONIC_MOVNTPS:
	case ZYDIS_MNEMONIC_MOVNTPD:
	case ZYDIS_MNEMONIC_VMOVDQA:
	case ZYDIS_MNEMONIC_VMOVAPS:
	case ZYDIS_MNEMONIC_VMOVAPD:
	case ZYDIS_MNEMONIC_VMOVNTDQ:
	case ZYDIS_MNEMONIC_VMOVNTPS:
	case ZYDIS_MNEMONIC_VMOVNTPD:
		return true;
	default:
		return false;
	}
}

/*
 * A vector move's register operand: the one XMM or YMM register Zydis
 * names, numbered d->vreg, a YMM exactly for a 32-byte VEX move; d->aligned
 * exactly for the aligned forms (zydis_aligned). Zydis's store direction
 * (the memory operand first) is d->dir TO_MEM.
 */
static void compare_vreg(const u8 *b, size_t n, unsigned mi, const struct decode_insn *d,
			 const ZydisDecodedInstruction *z, const ZydisDecodedOperand *ops)
{
	const ZydisDecodedOperand *v = NULL;

	for (unsigned i = 0; i < z->operand_count; i++) {
		ZydisRegisterClass c = ZydisRegisterGetClass(ops[i].reg.value);

		if (ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
		    (c == ZYDIS_REGCLASS_XMM || c == ZYDIS_REGCLASS_YMM)) {
			AGREE(v == NULL);
			v = &ops[i];
		}
	}
	what = "one vector register";
	if (!v)
		disagree(b, n, mi, d, z, ops);
	AGREE(ZydisRegisterGetClass(v->reg.value) ==
	      (d->mem_size == 32 ? ZYDIS_REGCLASS_YMM : ZYDIS_REGCLASS_XMM));
	AGREE(d->aligned == zydis_aligned(z->mnemonic));
	AGREE((d->dir == DECODE_DIR_TO_MEM) == (ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY));
	AGREE(ZydisRegisterGetId(v->reg.value) == d->vreg);
	AGREE(d->vex == (z->encoding == ZYDIS_INSTRUCTION_ENCODING_VEX));
	AGREE(d->op_size == d->mem_size);
}

static void compare(const u8 *b, size_t n, unsigned mi, const struct decode_insn *d,
		    const ZydisDecodedInstruction *z, const ZydisDecodedOperand *ops)
{
	const ZydisDecodedOperand *imm = NULL, *reg;
	unsigned mems = 0;
	bool moffs = false;

	AGREE(d->len == z->length);
	AGREE(op_matches(d->op, z->mnemonic) || setcc_matches(d, z->mnemonic));
	/*
	 * Zydis reads 3E on a near indirect CALL/JMP as CET's NOTRACK, whose
	 * segment stays the default; without CET, which Keel's guests never
	 * have (docs/platform.md, CPUID), it is a DS override, as Keel decodes it.
	 */
	if ((d->op == DECODE_OP_CALL || d->op == DECODE_OP_JMP) &&
	    (z->attributes & ZYDIS_ATTRIB_HAS_NOTRACK))
		return;
	if (decode_op_is_vector(d->op))
		compare_vreg(b, n, mi, d, z, ops);
	else
		AGREE(d->op_size * 8 == z->operand_width);
	AGREE(d->addr_size * 8 == z->address_width);
	AGREE(d->lock == !!(z->attributes & ZYDIS_ATTRIB_HAS_LOCK));
	if (is_string(d->op))
		AGREE(d->rep == !!(z->attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE |
						    ZYDIS_ATTRIB_HAS_REPNE)));
	if (d->op == DECODE_OP_SCAS || d->op == DECODE_OP_CMPS)
		AGREE(d->repne == !!(z->attributes & ZYDIS_ATTRIB_HAS_REPNE));
	for (unsigned i = 0; i < z->operand_count; i++) {
		const ZydisDecodedOperand *o = &ops[i];

		if (o->type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
			imm = o;
		if (o->type != ZYDIS_OPERAND_TYPE_MEMORY)
			continue;
		/* PUSH/POP's (and CALL's) stack slot, [rSP] in SS, is Zydis's hidden memory operand
		 */
		if ((d->op == DECODE_OP_PUSH || d->op == DECODE_OP_POP ||
		     d->op == DECODE_OP_CALL) &&
		    o->visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN)
			continue;
		AGREE(o->mem.type == ZYDIS_MEMOP_TYPE_MEM);
		mems++;
		moffs = d->op == DECODE_OP_MOV && z->opcode >= 0xA0 && z->opcode <= 0xA3;
		if (has_mem2(d->op) && gpr_of(o->mem.base) == GPR_RDI)
			compare_mem(b, n, mi, d, z, ops, o, &d->mem2, false);
		else
			compare_mem(b, n, mi, d, z, ops, o, &d->mem, moffs);
	}
	AGREE(mems == (has_mem2(d->op) ? 2u : 1u));
	reg = data_reg(d, ops, z->operand_count);
	AGREE(d->has_reg == (reg != NULL));
	if (reg) {
		AGREE(gpr_of(reg->reg.value) == d->reg);
		AGREE(is_high(reg->reg.value) == d->reg_high);
		AGREE(reg->size == 8 * (is_shift(d->op) ? 1u : d->op_size)); /* CL */
	}
	AGREE(d->has_imm == (imm != NULL));
	if (imm)
		AGREE(mask_bytes(imm->imm.value.u, d->op_size) == mask_bytes(d->imm, d->op_size));
}

static void init(void)
{
	for (unsigned i = 0; i < NMODES; i++)
		FUZZ_CHECK(
		    ZYAN_SUCCESS(ZydisDecoderInit(&decoders[i], modes[i].zmode, modes[i].stack)));
	FUZZ_CHECK(ZYAN_SUCCESS(ZydisFormatterInit(&formatter, ZYDIS_FORMATTER_STYLE_INTEL)));
	ready = true;
}

/* The software event (type, vector) Zydis's instruction raises; false for any other. */
static bool zydis_sw_event(const ZydisDecodedInstruction *z, const ZydisDecodedOperand *ops,
			   unsigned *type, unsigned *vec)
{
	switch (z->mnemonic) {
	case ZYDIS_MNEMONIC_INT:
		*type = VMCS_INTR_TYPE_SW_INTERRUPT;
		*vec = 0x100; /* no immediate found: matches nothing below */
		for (unsigned i = 0; i < z->operand_count; i++)
			if (ops[i].type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
				*vec = (u8)ops[i].imm.value.u;
		return true;
	case ZYDIS_MNEMONIC_INT3:
		*type = VMCS_INTR_TYPE_SW_EXCEPTION;
		*vec = 3;
		return true;
	case ZYDIS_MNEMONIC_INTO:
		*type = VMCS_INTR_TYPE_SW_EXCEPTION;
		*vec = 4;
		return true;
	case ZYDIS_MNEMONIC_INT1:
		*type = VMCS_INTR_TYPE_PRIV_SW_EXCEPTION;
		*vec = 1;
		return true;
	default:
		return false;
	}
}

/* vmx/sw_event.c on one instruction Zydis decoded: its own event, and no other. */
static void check_sw_event(const u8 *b, unsigned mi, const ZydisDecodedInstruction *z,
			   const ZydisDecodedOperand *ops)
{
	static const struct {
		unsigned type, vec;
	} others[] = {
	    {VMCS_INTR_TYPE_SW_EXCEPTION, 3},
	    {VMCS_INTR_TYPE_SW_EXCEPTION, 4},
	    {VMCS_INTR_TYPE_PRIV_SW_EXCEPTION, 1},
	    {VMCS_INTR_TYPE_HW_EXCEPTION, 3},
	};
	bool code64 = modes[mi].mode == DECODE_MODE_64;
	unsigned type = 0, vec = 0, len = z->length;
	bool sw = zydis_sw_event(z, ops, &type, &vec);
	bool ok = !sw || sw_event_raised_by(b, len, code64, type, vec);

	/* INT n with the vector its last byte names, and the fixed ones */
	if (sw_event_raised_by(b, len, code64, VMCS_INTR_TYPE_SW_INTERRUPT, b[len - 1]))
		ok = ok && sw && type == VMCS_INTR_TYPE_SW_INTERRUPT && vec == b[len - 1];
	for (unsigned i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		if (sw_event_raised_by(b, len, code64, others[i].type, others[i].vec))
			ok = ok && sw && type == others[i].type && vec == others[i].vec;
	if (!ok) {
		char hex[3 * DECODE_MAX_LEN + 1];

		decode_hex(b, len, hex, sizeof(hex));
		fprintf(stderr,
			"decode_ref: %u-bit code, bytes %s: zydis says %s, sw_event disagrees\n",
			modes[mi].mode * 8, hex, ZydisMnemonicGetString(z->mnemonic));
		abort();
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	u8 *b = malloc(size ? size : 1);

	if (!ready)
		init();
	memcpy(b, data, size);
	for (unsigned mi = 0; mi < NMODES; mi++) {
		ZydisDecodedInstruction z;
		ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
		struct decode_insn d;
		int s = decode_insn(b, (unsigned)MIN(size, 64), modes[mi].mode, &d);
		bool zok = ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoders[mi], b, size, &z, ops));

		if (zok)
			check_sw_event(b, mi, &z, ops);
		FUZZ_CHECK(s <= DECODE_OK && s >= DECODE_BAD_VEX);
		if (s != DECODE_OK)
			continue;
		FUZZ_CHECK(d.len >= 1 && d.len <= DECODE_MAX_LEN && d.len <= size);
		if (!zok)
			rejected(b, size, mi, &d);
		compare(b, size, mi, &d, &z, ops);
	}
	FUZZ_CHECK(!memcmp(b, data, size)); /* the decoder never writes its input */
	free(b);
	return 0;
}
