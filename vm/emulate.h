/*
 * Emulation of one decoded instruction (vm/decode.h) whose memory access
 * hit MMIO: the access goes to a device through callbacks, and the
 * instruction's effects on the GPRs, RFLAGS and RIP are applied as the
 * CPU would (Intel SDM Vol. 1 3.4.1.1 for partial-register writes, Vol. 1
 * Appendix A and Vol. 2 per instruction for flags). Pure: no Keel state,
 * so host tests run it against a fake device and fake RAM. The wiring
 * into the EPT-violation handler is described in docs/mmio.md.
 */
#ifndef KEEL_VM_EMULATE_H
#define KEEL_VM_EMULATE_H

#include "lib/types.h"
#include "vm/decode.h"

/* The guest state an instruction can change. gpr[] as vmx/vcpu_regs.h, RSP included. */
struct emulate_regs {
	u64 gpr[16];
	u64 rip;
	u64 rflags;
};

/*
 * Where memory accesses go. mmio_* reach the device at a guest-physical
 * address; mem_* reach guest memory by linear address, for the side of a
 * MOVS, PUSH or POP that is not the faulting MMIO access. Each returns false if the
 * access cannot be made (the callee keeps what it needs to report or
 * inject, e.g. a #PF). seg_base[] holds the segment registers' bases as
 * the VMCS has them; the emulator applies them as the CPU does (64-bit
 * code: FS and GS only; elsewhere the sum wraps at 4 GiB).
 */
struct emulate_env {
	void *ctx;
	bool (*mmio_read)(void *ctx, u64 gpa, unsigned size, u64 *val);
	bool (*mmio_write)(void *ctx, u64 gpa, unsigned size, u64 val);
	bool (*mem_read)(void *ctx, u64 linear, unsigned size, u64 *val);
	bool (*mem_write)(void *ctx, u64 linear, unsigned size, u64 val);
	/* CMPS: the guest-physical address a read at `linear` would reach (false: none) */
	bool (*mem_gpa)(void *ctx, u64 linear, u64 *gpa);
	u64 seg_base[DECODE_SEG_COUNT];
	u8 stack_size; /* PUSH/POP: rSP's width in bytes, 8 in 64-bit code, else 4 or 2 (SS.B) */
	/*
	 * The vector moves (vm/emulate_sse.c). vec_read copies the low `size`
	 * (16 or 32) bytes of XMM/YMM register reg into buf; vec_write loads
	 * buf into it: size 16 without vex the low 128 bits only (the rest
	 * kept, as a legacy SSE load keeps them), with vex the whole register
	 * with everything above `size` bytes zeroed (a VEX load). False: the
	 * state cannot be reached (no AVX enabled for a 32-byte or VEX access).
	 */
	bool (*vec_read)(void *ctx, unsigned reg, unsigned size, u8 *buf);
	bool (*vec_write)(void *ctx, unsigned reg, unsigned size, bool vex, const u8 *buf);
	u64 cr0, cr4, xcr0; /* the guest's, as it sees them: the #UD/#NM conditions */
	/* Segment checks of the accesses the CPU did not make (emulate_seg_check). */
	u8 seg_checks; /* enum emulate_segs */
	u8 canon_bits; /* 64-bit code: linear-address width, 48 (57 with CR4.LA57) */
	u32 seg_limit[DECODE_SEG_COUNT]; /* as the VMCS has them: bytes, G applied */
	u32 seg_ar[DECODE_SEG_COUNT];	 /* VMCS access-rights format */
	/*
	 * Alignment checking is on: CR0.AM, RFLAGS.AC and CPL 3 (SDM Vol. 3A
	 * 6.15 "Interrupt 17"). Only with seg_checks other than NONE.
	 */
	bool align_check;
	/* The guest's CPUID.01H ECX and EDX as Keel presents them: CMPXCHG8B (EDX.CX8) and
	   CMPXCHG16B (ECX.CX16) are #UD without their bit (vm/emulate_wide.c) */
	u32 cpuid1_ecx, cpuid1_edx;
};

/* Which segment checks apply (the CPU's mode). NONE: none (host tests without segments). */
enum emulate_segs {
	EMULATE_SEGS_NONE,
	EMULATE_SEGS_REAL,	/* CR0.PE=0: limits only, expand-up */
	EMULATE_SEGS_PROTECTED, /* limits (expand-up or down) and types; 64-bit code: canonical */
};

enum emulate_status {
	EMULATE_OK = 0,
	EMULATE_MMIO_FAILED = -1, /* mmio_read/mmio_write said no */
	EMULATE_MEM_FAILED = -2,  /* mem_read/mem_write said no */
	EMULATE_VEC_FAILED = -3,  /* vec_read/vec_write said no */
	/* The instruction faults on the CPU: nothing was accessed, inject it */
	EMULATE_FAULT_UD = -4,	/* #UD */
	EMULATE_FAULT_NM = -5,	/* #NM */
	EMULATE_FAULT_GP = -6,	/* #GP(0) */
	EMULATE_GP = -7,	/* a segment check failed: #GP(0) */
	EMULATE_SS = -8,	/* a segment check on an SS-relative access failed: #SS(0) */
	EMULATE_AC = -9,	/* an access the CPU did not make is unaligned: #AC(0) */
	EMULATE_FAULT_DE = -10, /* DIV/IDIV: #DE after the device read; nothing else changed */
};

/*
 * The linear address of seg:off (*lin) for an access of size bytes, and
 * whether the CPU would allow it: EMULATE_OK, or EMULATE_GP / EMULATE_SS
 * (SS-relative) for a limit, type, null-selector or, in 64-bit code,
 * canonical violation (SDM Vol. 3A 5.3, 5.4, 3.3.7.1), then EMULATE_AC
 * when env->align_check and *lin is not a multiple of size (2, 4 or 8:
 * the data types of SDM Vol. 3A Table 6-7 these accesses have). No
 * checks with env->seg_checks NONE. vm/emulate_seg.c.
 */
int emulate_seg_check(const struct emulate_env *env, enum decode_mode mode, enum decode_seg seg,
		      u64 off, unsigned size, bool write, u64 *lin);
/*
 * A near branch's target (the new RIP): EMULATE_GP past CS's limit, or
 * not canonical in 64-bit code (SDM Vol. 2A "JMP"), else EMULATE_OK.
 */
int emulate_branch_check(const struct emulate_env *env, enum decode_mode mode, u64 target);

/*
 * Emulates d, whose memory access at guest-physical `gpa` faulted
 * (write_fault: the access was a write, from the EPT exit qualification;
 * it tells which side of a MOVS is the MMIO one). On EMULATE_OK the
 * registers, RFLAGS and RIP are updated: RIP moves past the instruction,
 * except that a REP string form does one iteration per call and leaves
 * RIP on the instruction while rCX is not yet zero (the guest re-executes
 * it and faults again on the next element). On failure nothing in *r has
 * changed, though a device may have seen a read. EMULATE_FAULT_* (the
 * vector moves, CMPXCHG8B/16B) means the CPU would have raised that fault
 * instead: no access was made, and the caller injects it; EMULATE_FAULT_DE
 * (DIV/IDIV) comes after the device read, as on the CPU.
 */
int emulate_insn(const struct decode_insn *d, u64 gpa, bool write_fault, struct emulate_regs *r,
		 const struct emulate_env *env);

/*
 * A vector move (decode_op_is_vector(d->op)): the fault checks, then the
 * access, in pieces of at most 8 bytes (MOVD/MOVSS one of 4) from the
 * lowest address up, each named as gpa (the operand's first byte) plus its
 * offset in the operand, for env->mmio_* to place on the operand's pages
 * (emulate_operand_parts), then the register. RIP is left to the caller.
 * Status as emulate_insn.
 */
int emulate_vector(const struct decode_insn *d, u64 gpa, struct emulate_regs *r,
		   const struct emulate_env *env);

/*
 * MUL, IMUL, DIV, IDIV with a memory source (vm/emulate_wide.c): one
 * device read, then rDX:rAX (or the IMUL register) and RFLAGS; DIV/IDIV
 * give EMULATE_FAULT_DE after the read for a zero divisor or a quotient
 * too large, changing nothing. RIP is left to the caller.
 */
int emulate_muldiv(const struct decode_insn *d, u64 gpa, struct emulate_regs *r,
		   const struct emulate_env *env);

/*
 * CMPXCHG8B/CMPXCHG16B (vm/emulate_wide.c): EMULATE_FAULT_UD without the
 * CPUID bit, EMULATE_FAULT_GP for a CMPXCHG16B operand not 16-byte
 * aligned, both before any access; then 8-byte device reads, lowest
 * first, and 8-byte writes, lowest first (the operand itself back on a
 * miss); ZF, and rDX:rAX on a miss. RIP is left to the caller.
 */
int emulate_cmpxchg_wide(const struct decode_insn *d, u64 gpa, struct emulate_regs *r,
			 const struct emulate_env *env);

/*
 * The linear address of seg:off as the CPU forms it (SDM Vol. 1 3.3.7.1,
 * Vol. 3A 3.4): 64-bit code counts only FS and GS bases; elsewhere the
 * sum wraps at 4 GiB.
 */
u64 emulate_linear(const struct decode_insn *d, const struct emulate_env *env, enum decode_seg seg,
		   u64 off);

/*
 * The linear address of the access of d that the CPU was making when it
 * reached a device, from the registers before d (write_fault as for
 * emulate_insn): seg:EA for the one-operand forms (BT* with a register
 * offset: the operand-size unit the bit is in), seg:rSI or ES:rDI for the
 * string forms, the operand or the stack slot for PUSH/POP. CMPS reads
 * both, so it gives two candidates (seg:rSI, then ES:rDI). Returns how
 * many of lin[] it filled (1 or 2). The caller translates them and checks
 * one reaches the faulting page (docs/mmio.md, "Accesses that span two
 * pages").
 */
unsigned emulate_device_linear(const struct decode_insn *d, bool write_fault,
			       const struct emulate_regs *r, const struct emulate_env *env,
			       u64 lin[2]);

/*
 * One page's translation for emulate_locate: returns 0 with *gpa set, or a
 * nonzero status of the caller's (a #PF, a walk outside RAM) for it to act on.
 */
typedef int emulate_xlate_fn(void *ctx, u64 lin, bool write, u64 *gpa);

/* The access that reached the device, as emulate_locate found it. */
struct emulate_operand {
	u64 lin;       /* its linear address */
	u64 g[2];      /* guest-physical: its first byte; with split, the next page's first */
	unsigned size; /* d->mem_size */
	bool split;    /* it spans two pages */
	int status;    /* EMULATE_LOCATE_FAULT: the callback's status, */
	u64 fault_lin; /* for the page at fault_lin */
};

enum emulate_locate_status {
	EMULATE_LOCATED,	  /* *op is the device access; every page translated */
	EMULATE_LOCATE_FAULT,	  /* it reaches gpa's page, another page did not translate */
	EMULATE_LOCATE_ELSEWHERE, /* no access of d reaches gpa's page */
};

/*
 * Which access of d reached the device at gpa: the candidate
 * (emulate_device_linear) one of whose pages translates, for the exit's
 * access (write_fault), to gpa's page. Each page of the candidate is
 * translated through xlate; lin_mask wraps linear addresses (4 GiB
 * outside 64-bit code). vm/emulate_locate.c.
 */
int emulate_locate(const struct decode_insn *d, u64 gpa, bool write_fault,
		   const struct emulate_regs *r, const struct emulate_env *env, u64 lin_mask,
		   emulate_xlate_fn *xlate, void *ctx, struct emulate_operand *op);

/*
 * Where the n bytes at offset off into operand op lie: on its first page
 * up to the page boundary, the rest on its second (a vector move's pieces,
 * vm/emulate_sse.c, placed by vm/mmio.c). Fills g[] and part[] (bytes per
 * part) lowest first; returns how many parts (1 or 2). off + n must not
 * pass op->size. vm/emulate_locate.c.
 */
unsigned emulate_operand_parts(const struct emulate_operand *op, u64 off, unsigned n, u64 g[2],
			       unsigned part[2]);

/* All ones in the low `size` bytes (1, 2, 4 or 8), and the sign bit of that size. */
static inline u64 emulate_size_mask(unsigned size)
{
	return size >= 8 ? ~0ULL : BIT(8 * size) - 1;
}

static inline u64 emulate_sign_bit(unsigned size)
{
	return BIT(8 * size - 1);
}

/* A register operand's value: size 1/2/4/8 bytes, high = AH/CH/DH/BH; zero-extended. */
u64 emulate_reg_read(const struct emulate_regs *r, int reg, bool high, unsigned size);
/* Writes a register operand: 4-byte writes zero-extend, 1/2-byte ones keep the rest. */
void emulate_reg_write(struct emulate_regs *r, int reg, bool high, unsigned size, u64 val);
/* RFLAGS after AND/OR/XOR/TEST giving res: CF=OF=0, SF ZF PF from res, AF cleared. */
u64 emulate_flags_logic(u64 rflags, u64 res, unsigned size);
/* RFLAGS after CMP a, b (a - b): CF OF SF ZF PF AF as SUB sets them. */
u64 emulate_flags_sub(u64 rflags, u64 a, u64 b, unsigned size);
/*
 * RFLAGS after res = a + b (+ carry) or, with sub, a - b (- borrow): CF OF
 * SF ZF PF AF as ADD/ADC/SUB/SBB set them (SDM Vol. 1 3.4.3.1).
 */
u64 emulate_flags_arith(u64 rflags, u64 a, u64 b, u64 res, bool sub, unsigned size);
/*
 * A shift or rotate (DECODE_OP_ROL..SAR) of the low `size` bytes of v by
 * count (masked here to 5 bits, 6 for 64-bit operands): *res gets the
 * result, the return value RFLAGS after it. A masked count of 0 changes
 * nothing. Where the SDM leaves a flag undefined (OF for counts above 1,
 * AF after a shift, CF of SHL/SHR by the width or more) this gives: OF by
 * the count-1 rule, AF cleared, CF the last bit shifted out (0 past it).
 */
u64 emulate_shift(enum decode_op op, u64 v, unsigned count, u64 rflags, unsigned size, u64 *res);
/* 1 if condition cc (the low nibble of Jcc/SETcc, SDM Vol. 1 Table B-1) holds, else 0. */
u64 emulate_condition(u64 rflags, unsigned cc);
/* "mmio access failed", ... for reports. */
const char *emulate_status_name(int status);

#endif
