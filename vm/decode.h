/*
 * A decoder for the x86 instructions a guest uses to touch MMIO: the
 * memory forms of MOV (88-8B, C6/C7, A0-A3), MOVZX/MOVSX/MOVSXD, STOS,
 * MOVS, LODS, SCAS and CMPS (with REP/REPE/REPNE), ADD/ADC/SUB/SBB/AND/OR/XOR/CMP (register and
 * immediate forms), TEST, XCHG, INC/DEC/NEG/NOT, the shifts and rotates, BT/BTS/BTR/BTC, XADD,
 * CMPXCHG, SETcc, MOVNTI, MOVBE, PUSH/POP m, near CALL/JMP m, MUL/IMUL/DIV/IDIV,
 * CMPXCHG8B/CMPXCHG16B, and the SSE/AVX moves
 * compilers emit (MOVD/MOVQ, MOVDQA/MOVDQU, MOVAPS/MOVUPS/MOVAPD/MOVUPD, MOVNTDQ/MOVNTPS/
 * MOVNTPD, MOVSS/MOVSD, MOVLPS/MOVHPS/MOVLPD/MOVHPD and the VEX forms of most of them;
 * vm/decode_sse.c), in 16-, 32- and 64-bit code (Intel SDM
 * Vol. 2A, chapter 2 "Instruction Format" and Appendix A "Opcode Map"). Pure: it reads only
 * the bytes it is given, so host tests run it over a table of encodings. Anything outside
 * that set is an error the caller reports with the bytes (docs/mmio.md); the decoder never
 * guesses.
 */
#ifndef KEEL_VM_DECODE_H
#define KEEL_VM_DECODE_H

#include "lib/types.h"

/* SDM Vol. 2A 2.3.12: no instruction is longer than 15 bytes. */
#define DECODE_MAX_LEN 15

/* Code size: the default operand and address size of CS, in bytes. */
enum decode_mode {
	DECODE_MODE_16 = 2, /* real mode, 16-bit protected mode (CS.D=0) */
	DECODE_MODE_32 = 4, /* CS.D=1 */
	DECODE_MODE_64 = 8, /* IA-32e mode, CS.L=1 */
};

enum decode_status {
	DECODE_OK = 0,
	DECODE_TRUNCATED = -1,	 /* ran out of the `avail` bytes given */
	DECODE_TOO_LONG = -2,	 /* more than 15 bytes (#GP on hardware) */
	DECODE_UNSUPPORTED = -3, /* an opcode (or /digit) outside the set above */
	DECODE_NOT_MEMORY = -4,	 /* ModRM.mod=11: a register form cannot touch MMIO */
	DECODE_BAD_LOCK = -5,	 /* LOCK on an instruction that does not allow it (#UD) */
	DECODE_BAD_VEX = -6,	 /* 66/F2/F3/REX before VEX, or a VEX.vvvv the form forbids (#UD) */
};

enum decode_op {
	DECODE_OP_MOV,
	DECODE_OP_MOVZX,
	DECODE_OP_MOVSX, /* MOVSX and MOVSXD */
	DECODE_OP_STOS,
	DECODE_OP_MOVS,
	DECODE_OP_AND,
	DECODE_OP_OR,
	DECODE_OP_XOR,
	DECODE_OP_CMP,
	DECODE_OP_TEST,
	DECODE_OP_XCHG,
	DECODE_OP_ADD,
	DECODE_OP_ADC,
	DECODE_OP_SUB,
	DECODE_OP_SBB,
	DECODE_OP_INC,
	DECODE_OP_DEC,
	DECODE_OP_NEG,
	DECODE_OP_NOT,
	DECODE_OP_ROL, /* shifts and rotates: the count is imm, or CL (has_reg, reg RCX) */
	DECODE_OP_ROR,
	DECODE_OP_RCL,
	DECODE_OP_RCR,
	DECODE_OP_SHL, /* SHL, SAL and the /6 alias */
	DECODE_OP_SHR,
	DECODE_OP_SAR,
	DECODE_OP_BT, /* BT*: the bit offset is imm (masked) or the register (signed) */
	DECODE_OP_BTS,
	DECODE_OP_BTR,
	DECODE_OP_BTC,
	DECODE_OP_XADD,
	DECODE_OP_CMPXCHG, /* reg is the source; rAX the comparand */
	DECODE_OP_SETCC,   /* cc: the condition */
	DECODE_OP_MOVNTI,  /* a MOV store with a non-temporal hint */
	DECODE_OP_MOVBE,   /* MOV with the bytes swapped, either direction */
	DECODE_OP_PUSH,	   /* PUSH m: mem is the source, SS:rSP - size the destination */
	DECODE_OP_POP,	   /* POP m: SS:rSP the source, mem the destination */
	DECODE_OP_LODS,	   /* rAX = seg:rSI (mem) */
	DECODE_OP_SCAS,	   /* flags of rAX - ES:rDI (mem); REPE/REPNE by repne */
	DECODE_OP_CMPS,	   /* flags of seg:rSI (mem) - ES:rDI (mem2); REPE/REPNE by repne */
	/* The vector moves (vm/decode_sse.c): vreg is the XMM/YMM register, mem_size the bytes
	   moved */
	DECODE_OP_MOVD,	   /* 66 0F 6E/7E: xmm <-> m32 */
	DECODE_OP_MOVQ,	   /* 66 REX.W 0F 6E/7E, F3 0F 7E, 66 0F D6: xmm <-> m64 */
	DECODE_OP_MOVDQA,  /* 66 0F 6F/7F: m128, 16-byte aligned */
	DECODE_OP_MOVDQU,  /* F3 0F 6F/7F: m128 */
	DECODE_OP_MOVAPS,  /* NP 0F 28/29: m128, 16-byte aligned */
	DECODE_OP_MOVUPS,  /* NP 0F 10/11: m128 */
	DECODE_OP_VMOVDQU, /* VEX.128/256.F3.0F 6F/7F: m128 (xmm) or m256 (ymm) */
	DECODE_OP_VMOVDQA, /* VEX.66.0F 6F/7F: aligned to the operand's 16 or 32 bytes */
	DECODE_OP_VMOVAPS, /* VEX.NP.0F 28/29: likewise aligned */
	DECODE_OP_VMOVUPS, /* VEX.NP.0F 10/11 */
	/* More vector moves (issue 15 item 3) */
	DECODE_OP_MOVAPD,   /* 66 0F 28/29: m128, 16-byte aligned */
	DECODE_OP_MOVUPD,   /* 66 0F 10/11: m128 */
	DECODE_OP_MOVNTDQ,  /* 66 0F E7: m128 store, 16-byte aligned */
	DECODE_OP_MOVNTPS,  /* NP 0F 2B: likewise */
	DECODE_OP_MOVNTPD,  /* 66 0F 2B: likewise */
	DECODE_OP_MOVSS,    /* F3 0F 10/11: m32; a load zeroes bits 127:32 */
	DECODE_OP_MOVSD,    /* F2 0F 10/11: m64 (the SSE2 move, not the string MOVSD: MOVS) */
	DECODE_OP_MOVLPS,   /* NP 0F 12/13: m64 <-> bits 63:0, a load keeping the rest */
	DECODE_OP_MOVHPS,   /* NP 0F 16/17: m64 <-> bits 127:64, likewise */
	DECODE_OP_MOVLPD,   /* 66 0F 12/13: as MOVLPS */
	DECODE_OP_MOVHPD,   /* 66 0F 16/17: as MOVHPS */
	DECODE_OP_VMOVAPD,  /* VEX.66.0F 28/29: aligned to the operand's 16 or 32 bytes */
	DECODE_OP_VMOVUPD,  /* VEX.66.0F 10/11 */
	DECODE_OP_VMOVNTDQ, /* VEX.66.0F E7: store, aligned */
	DECODE_OP_VMOVNTPS, /* VEX.NP.0F 2B: store, aligned */
	DECODE_OP_VMOVNTPD, /* VEX.66.0F 2B: store, aligned */
	DECODE_OP_VMOVSS,   /* VEX.LIG.F3.0F 10/11: m32; a load zeroes every bit above */
	DECODE_OP_VMOVSD,   /* VEX.LIG.F2.0F 10/11: m64; likewise */
	/* The near branches through memory */
	DECODE_OP_CALL, /* CALL m (near, FF /2): RIP = [mem], the next RIP pushed at SS:rSP */
	DECODE_OP_JMP,	/* JMP m (near, FF /4): RIP = [mem] */
	/* rDX:rAX (AX for bytes) and the memory operand, the source (DECODE_DIR_FROM_MEM) */
	DECODE_OP_MUL,	/* F6/F7 /4: rDX:rAX = rAX * m (AX = AL * m8) */
	DECODE_OP_IMUL, /* F6/F7 /5 as MUL, signed; with has_reg (0F AF, 69, 6B): reg = reg * m,
			   or m * imm with has_imm */
	DECODE_OP_DIV,	/* F6/F7 /6: rAX = rDX:rAX / m, rDX = the remainder (AL, AH for bytes) */
	DECODE_OP_IDIV, /* F6/F7 /7: signed */
	/* 0F C7 /1: m64, or m128 with REX.W; op_size is a half (EDX:EAX, RDX:RAX) */
	DECODE_OP_CMPXCHG8B,
	DECODE_OP_CMPXCHG16B,
};

/* The vector moves: DECODE_OP_MOVD..DECODE_OP_VMOVSD. */
static inline bool decode_op_is_vector(enum decode_op op)
{
	return op >= DECODE_OP_MOVD && op <= DECODE_OP_VMOVSD;
}

/* Segment registers in the SDM's Sreg encoding (Vol. 2A Table 3-5 / B-6). */
enum decode_seg {
	DECODE_SEG_ES = 0,
	DECODE_SEG_CS = 1,
	DECODE_SEG_SS = 2,
	DECODE_SEG_DS = 3,
	DECODE_SEG_FS = 4,
	DECODE_SEG_GS = 5,
	DECODE_SEG_COUNT = 6,
};

#define DECODE_NO_REG (-1)

/*
 * A memory operand: seg:(base + index * scale + disp), or, if rip_rel,
 * seg:(address of the next instruction + disp). base/index are GPR numbers
 * (vmx/vcpu_regs.h; 0-15) or DECODE_NO_REG. disp is sign-extended, except
 * a moffs (A0-A3), which is the zero-extended offset.
 */
struct decode_mem {
	int base;
	int index;
	u8 scale; /* 1, 2, 4 or 8 */
	bool rip_rel;
	s64 disp;
	enum decode_seg seg; /* override or default (SS for rBP/rSP bases) */
};

/*
 * Which way the operation goes:
 *   TO_MEM   memory is the destination (or, for CMP/TEST/BT, the first operand):
 *            MOV/MOVNTI/MOVBE stores, ADD..XOR m,r / m,imm, CMP m,r / m,imm,
 *            TEST, XCHG, STOS, INC/DEC/NEG/NOT, shifts, BT*, XADD,
 *            CMPXCHG, CMPXCHG8B/16B, SETcc, POP m, MOVS;
 *   FROM_MEM a register (or the stack) is the destination, or the first
 *            operand: MOV/MOVZX/MOVSX/MOVBE loads, ADD..XOR r,m, CMP r,m,
 *            PUSH m, LODS, SCAS (rAX first), CMPS (seg:rSI first), CALL m and
 *            JMP m (RIP), MUL/IMUL/DIV/IDIV (rAX or the register first).
 *   MOVS and CMPS use `mem` (seg:rSI) and `mem2` (ES:rDI).
 */
enum decode_dir {
	DECODE_DIR_TO_MEM,
	DECODE_DIR_FROM_MEM,
};

struct decode_insn {
	u8 len;		       /* bytes, prefixes included */
	enum decode_mode mode; /* the code size it was decoded in */
	enum decode_op op;
	enum decode_dir dir;
	u8 mem_size;  /* bytes of the memory access: 1, 2, 4 or 8; a vector move 4, 8, 16 or 32;
		       * CMPXCHG8B 8, CMPXCHG16B 16 */
	u8 op_size;   /* operand size: the register's width (MOVZX/MOVSX: the destination;
		       * a vector move: mem_size) */
	u8 addr_size; /* 2, 4 or 8 */
	bool has_reg; /* a GPR operand: reg (with reg_high for AH/CH/DH/BH) */
	int reg;
	bool reg_high;
	bool has_imm; /* imm: sign-extended to 64 bits as the SDM says for the form; */
	u64 imm;      /* a shift count or bit offset ib is zero-extended; D0/D1 have imm 1 */
	u8 cc;	      /* SETcc: the condition, the opcode's low nibble (SDM Vol. 1 Table B-1) */
	bool rep;     /* F3 or F2 on a string form (REP); ignored on other forms */
	bool repne;   /* the last of them was F2: REPNE on SCAS/CMPS (elsewhere just REP) */
	bool lock;    /* F0 present (allowed only where the SDM allows it: lock_allowed()) */
	bool seg_override;
	u8 vreg;  /* a vector move's XMM/YMM register, 0-15 */
	bool vex; /* VEX-encoded: a load zeroes the register above mem_size (SDM Vol. 2A 2.3.10) */
	bool aligned; /* (V)MOVDQA/APS/APD, (V)MOVNT*: an operand not aligned to its size: #GP(0) */
	struct decode_mem mem;	/* the memory operand; for MOVS the source, seg:rSI */
	struct decode_mem mem2; /* MOVS, CMPS only: ES:rDI */
};

/*
 * Decodes the instruction at bytes[0..avail) in the given mode. Reads at
 * most min(avail, 15) bytes. Returns DECODE_OK with *out filled, or a
 * decode_status (then *out is unspecified).
 */
int decode_insn(const u8 *bytes, unsigned avail, enum decode_mode mode, struct decode_insn *out);

/*
 * The effective address (offset within the segment) of memory operand m
 * of d, given the guest's GPRs (indexed as vmx/vcpu_regs.h) and the RIP of
 * the instruction itself; truncated to d->addr_size. The caller adds the
 * segment base to get the linear address.
 */
u64 decode_ea(const struct decode_insn *d, const struct decode_mem *m, const u64 gpr[16], u64 rip);

/* "mov", "cmpxchg", "vmovdqu", ... for reports. */
const char *decode_op_name(enum decode_op op);

/* "truncated", "too long", ... for reports. */
const char *decode_status_name(int status);

/*
 * Writes n bytes as "8b 04 25 00 10" into buf (at most size bytes, NUL
 * included; truncated at a whole byte). Returns the string length.
 */
unsigned decode_hex(const u8 *bytes, unsigned n, char *buf, unsigned size);

#endif
