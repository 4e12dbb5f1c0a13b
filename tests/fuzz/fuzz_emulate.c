/*
 * libFuzzer target for vm/emulate.c: an instruction decoded by vm/decode.c
 * (itself checked against Zydis by fuzz_decode_ref.c) is emulated over a
 * model of the guest, and everything it did is checked against a second
 * reading of the decoded instruction written without vm/emulate.c
 * (ref_run below) and, for flags, against the host CPU. Input:
 *
 *   ctl (1)       bits 0-1 code size (0, 3: 64-bit, 1: 32-bit, 2: 16-bit),
 *                 bit 2 write_fault, bits 3-5 k: the k-th access (device
 *                 or RAM) is refused (0, or past the last access: none),
 *                 bit 6 the stack's width outside 64-bit code (SS.B: 1
 *                 32-bit, 0 16-bit) for PUSH/POP, bit 7 which side of a
 *                 CMPS is the device (1 seg:rSI, 0 ES:rDI)
 *   insn (15)     instruction bytes; fewer if the input ends inside them
 *   gpa (1)       the faulting access's offset in the 64-byte device
 *   rflags (8), rip (8), gpr (16 x 8), seg_base (6 x 8: ES CS SS DS FS GS)
 *   dev (8)       what a device read returns (all 8 bytes, whatever the size)
 *   ram (8)       what a guest-memory read returns (likewise)
 *   vec (1)       the vector moves' state (vector_state()): clean, or with
 *                 one or more #UD/#NM conditions or the host's AVX missing;
 *                 in half the clean runs the operand is steered onto the
 *                 fault's page offset (else most moves are refused);
 *                 the 16 XMM/YMM registers' bytes follow (made up: take());
 *                 the same half of the runs aligns a CMPXCHG16B operand
 *   cpuid (1)     bits 7 and 0 set: the guest's CPUID has no CX8, bits 7
 *                 and 1: no CX16 (CMPXCHG8B/16B are then #UD)
 *   parts (2, 8)  vector moves: check_parts()'s page offset and second page
 *                 (made up too)
 *
 * Where the input ends early, the values it lacks are made up (take()).
 * The device is [DEV_BASE, DEV_BASE + 64): an access past its end is
 * refused, as dev_find() refuses it in vm/mmio.c. Guest memory is every
 * linear address. Every callback is logged. After each emulate_insn():
 *
 *   - the log is exactly the accesses the reference expects, in order:
 *     kind, address, size (the instruction's memory size) and, for a
 *     write, the value (below 2^(8 * size)); the device only at `gpa`;
 *     guest memory (the other side of MOVS, PUSH or POP) at its segment
 *     base plus rSI/rDI, rSP or the EA (64-bit code: ES/CS/SS/DS bases
 *     are zero; elsewhere the linear address wraps at 4 GiB: SDM Vol. 1
 *     3.3.7.1, Vol. 3A 3.4);
 *   - on EMULATE_OK the registers, RIP and RFLAGS equal the reference's,
 *     every one of them: nothing the instruction does not name changes,
 *     RIP moves by exactly d.len (wrapping at the code size), or stays
 *     for a REP form with rCX left; the status flags are the host CPU's
 *     own after the same operation at the same size from the same flags
 *     (ADD..XOR, CMP, TEST, INC/DEC/NEG/NOT, the shifts and rotates by the
 *     same count in CL, BT* in their register form, XADD as ADD, CMPXCHG
 *     as CMP), but for the flags the SDM leaves undefined (AF after a
 *     logic operation must be clear, as vm/emulate.h says; AF after a
 *     shift, OF after a shift or rotate by other than 1, CF after SHL/SHR
 *     by the width or more, OF SF AF PF after BT* are not compared);
 *     SETcc's byte follows the SDM's table of conditions;
 *   - MUL, IMUL, DIV and IDIV: the registers and status flags are the host
 *     CPU's own after the same instruction on rDX:rAX (IMUL with a
 *     register: its two-operand form), the undefined flags included on an
 *     Intel host (Keel gives Intel's: docs/mmio.md), not compared on
 *     another; a DIV/IDIV whose quotient does not fit (worked out in 128
 *     bits, never run on the host) is EMULATE_FAULT_DE after the read with
 *     nothing changed; CMPXCHG8B/16B follow the SDM's pseudo-code, 8-byte
 *     accesses from gpa up, #UD (no CPUID bit) and #GP(0) (CMPXCHG16B not
 *     16-byte aligned) with no access at all;
 *   - on a refusal the log stops at the refused access, the status names
 *     its kind (device or memory) and the registers are as they were;
 *   - neither the decoded instruction nor the environment is written.
 *
 * The vector moves (every form decode_op_is_vector() names: MOVD/MOVQ
 * to VMOVSS/VMOVSD) are checked by ref_vector()/check_vector(): their
 * device accesses are 4 or 8 bytes (a 16- or 32-byte move is 8-byte
 * accesses from gpa up, so the access size there is not the instruction's
 * memory size; an operand running past its page is still made, its
 * pieces named by their offset from gpa), the fault the SDM's exception
 * class gives comes with no access at all, a move whose operand does not
 * start at the fault's page offset is refused with no access, and the
 * XMM/YMM registers after a load are compared byte for byte (which bytes
 * a load keeps, read from the SDM per form, not from vm/emulate_sse.c).
 * Then emulate_operand_parts() places each piece of the same operand
 * size, at a page offset and second page taken from the input, on its
 * pages byte by byte (check_parts()).
 *
 * An operation the reference has no case for is a failure.
 * A disagreement prints the input, the decoding, both register files and
 * both access logs, then aborts.
 */
#include "tests/fuzz/fuzz_check.h"

#include "arch/x86/cr.h"
#include "vm/cpuid_policy.h"
#include "vm/decode.h"
#include "vm/emulate.h"
#include "vmx/vcpu_regs.h"

#if !defined(__x86_64__)
#error "fuzz_emulate takes its flags reference from an x86-64 host CPU"
#endif

#define DEV_BASE 0xfeb00000ULL
#define DEV_SIZE 64
#define LOG_MAX	 8

#define STATUS_FLAGS (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)

enum acc_kind { ACC_DEV_READ, ACC_DEV_WRITE, ACC_MEM_READ, ACC_MEM_WRITE };

struct access {
	enum acc_kind kind;
	u64 addr;
	unsigned size;
	u64 val; /* writes only */
};

struct log {
	struct access a[LOG_MAX];
	unsigned n;
	bool overflow;
};

/* The model behind the callbacks: what reads return and which access is refused. */
struct model {
	u64 dev_val, ram_val;
	unsigned refuse_at; /* 1-based callback number the model refuses; 0: none */
	u64 dev_lin;	    /* CMPS: the linear address mem_gpa() maps to the fault's GPA */
	u64 dev_gpa;
	unsigned calls;
	int refused; /* index in log of the refused access, or -1 */
	struct log log;
	u8 vregs[16][32]; /* the XMM/YMM registers behind vec_read/vec_write */
	bool avx;	  /* YMM and VEX loads reachable (arch/x86/vec_regs.c's check) */
	bool cx8, cx16;	  /* the guest's CPUID.01H EDX.CX8, ECX.CX16 (env.cpuid1_*) */
};

static const char *const kind_names[] = {"device read", "device write", "memory read",
					 "memory write"};

/* Logs an access; false if the model refuses it (callback number or device bounds). */
static bool model_access(struct model *m, enum acc_kind k, u64 addr, unsigned size, u64 val)
{
	bool dev = k == ACC_DEV_READ || k == ACC_DEV_WRITE;
	bool ok = ++m->calls != m->refuse_at;

	if (dev && (addr < DEV_BASE || addr - DEV_BASE + size > DEV_SIZE))
		ok = false;
	if (m->log.n == LOG_MAX) {
		m->log.overflow = true;
		return false;
	}
	m->log.a[m->log.n++] = (struct access){k, addr, size, val};
	if (!ok && m->refused < 0)
		m->refused = (int)m->log.n - 1;
	return ok;
}

/* Reads hand back all 8 model bytes, as a device's read op may: emulate masks them. */
static bool dev_read(void *ctx, u64 gpa, unsigned size, u64 *val)
{
	struct model *m = ctx;

	*val = m->dev_val;
	return model_access(m, ACC_DEV_READ, gpa, size, 0);
}

static bool dev_write(void *ctx, u64 gpa, unsigned size, u64 val)
{
	return model_access(ctx, ACC_DEV_WRITE, gpa, size, val);
}

static bool mem_read(void *ctx, u64 linear, unsigned size, u64 *val)
{
	struct model *m = ctx;

	*val = m->ram_val;
	return model_access(m, ACC_MEM_READ, linear, size, 0);
}

static bool mem_write(void *ctx, u64 linear, unsigned size, u64 val)
{
	return model_access(ctx, ACC_MEM_WRITE, linear, size, val);
}

/* The vector registers, as arch/x86/vec_regs.c gives them: not logged. */
static bool vec_read(void *ctx, unsigned reg, unsigned size, u8 *buf)
{
	struct model *m = ctx;

	FUZZ_CHECK(reg < 16 && (size == 16 || size == 32));
	if (size == 32 && !m->avx)
		return false;
	memcpy(buf, m->vregs[reg], size);
	return true;
}

/* Legacy (16 bytes): bits 255:128 kept; VEX: zeroed above `size`. */
static bool vec_write(void *ctx, unsigned reg, unsigned size, bool vex, const u8 *buf)
{
	struct model *m = ctx;

	FUZZ_CHECK(reg < 16 && (size == 16 || size == 32) && (vex || size == 16));
	if ((vex || size == 32) && !m->avx)
		return false;
	if (vex)
		memset(m->vregs[reg], 0, sizeof(m->vregs[reg]));
	memcpy(m->vregs[reg], buf, size);
	return true;
}

/* Not an access (not logged): dev_lin reaches the device, nothing else translates. */
static bool mem_gpa(void *ctx, u64 linear, u64 *gpa)
{
	struct model *m = ctx;

	*gpa = m->dev_gpa;
	return linear == m->dev_lin;
}

/* ---- the reference: struct decode_insn read again, without vm/emulate.c ---- */

struct ref {
	struct emulate_regs regs;
	struct log log;
	bool logic;	  /* AND/OR/XOR/TEST: AF compared as "clear", not with the host */
	u64 undef;	  /* status flags the SDM leaves undefined here: not compared */
	int status;	  /* the status expected when no access is refused (a fault) */
	u8 vregs[16][32]; /* vector moves: the registers expected after */
};

static u64 mask(unsigned size)
{
	return size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

/* A register operand through its bytes (little-endian host): AH-BH are byte 1. */
static u64 ref_reg(const struct emulate_regs *r, int reg, bool high, unsigned size)
{
	const u8 *p = (const u8 *)&r->gpr[reg];
	u64 v = 0;

	if (high)
		return p[1];
	memcpy(&v, p, size);
	return v;
}

/* SDM Vol. 1 3.4.1.1: a 32-bit write clears bits 63:32; 8/16-bit writes keep them. */
static void ref_set(struct emulate_regs *r, int reg, bool high, unsigned size, u64 v)
{
	u8 *p = (u8 *)&r->gpr[reg];

	if (high) {
		p[1] = (u8)v;
		return;
	}
	if (size == 4)
		memset(p + 4, 0, 4);
	memcpy(p, &v, size);
}

static u64 sign_extend(u64 v, unsigned size)
{
	switch (size) {
	case 1:
		return (u64)(s64)(s8)v;
	case 2:
		return (u64)(s64)(s16)v;
	case 4:
		return (u64)(s64)(s32)v;
	default:
		return v;
	}
}

/*
 * The host CPU's status flags (and result) for an operation on a (and b,
 * or the count in CL) at `size` bytes, starting from the status flags in
 * `in`: an ADDB that overflows or not sets OF, SAHF loads SF ZF AF PF CF,
 * then the operation runs and LAHF gives SF ZF AF PF CF, SETO gives OF (no
 * PUSHF/POPF: the stack below RSP may be the compiler's red zone).
 */
#define HOST_PRE  "movb %[of], %%dl\n\taddb $1, %%dl\n\tsahf\n\t"
#define HOST_POST "\n\tlahf\n\tseto %%al"
#define HOST_BIN(insn, sfx, mod)                                                                   \
	__asm__(HOST_PRE insn sfx " %" mod "[b], %" mod "[a]" HOST_POST                            \
		: [a] "+r"(a), "+a"(ax)                                                            \
		: [b] "r"(b), [of] "r"(of)                                                         \
		: "cc", "rdx")
#define HOST_CL(insn, sfx, mod)                                                                    \
	__asm__(HOST_PRE insn sfx " %%cl, %" mod "[a]" HOST_POST                                   \
		: [a] "+r"(a), "+a"(ax)                                                            \
		: "c"(b), [of] "r"(of)                                                             \
		: "cc", "rdx")
#define HOST_ONE(insn, sfx, mod)                                                                   \
	__asm__(HOST_PRE insn sfx " %" mod "[a]" HOST_POST                                         \
		: [a] "+r"(a), "+a"(ax)                                                            \
		: [of] "r"(of)                                                                     \
		: "cc", "rdx")
#define HOST_SIZES(form, insn)                                                                     \
	do {                                                                                       \
		switch (size) {                                                                    \
		case 1:                                                                            \
			form(insn, "b", "b");                                                      \
			break;                                                                     \
		case 2:                                                                            \
			form(insn, "w", "w");                                                      \
			break;                                                                     \
		case 4:                                                                            \
			form(insn, "l", "k");                                                      \
			break;                                                                     \
		default:                                                                           \
			form(insn, "q", "q");                                                      \
		}                                                                                  \
	} while (0)
/* BT* and IMUL r, r/m have no 8-bit form: sizes 2, 4, 8 only. */
#define HOST_SIZES_BT(insn)                                                                        \
	do {                                                                                       \
		switch (size) {                                                                    \
		case 2:                                                                            \
			HOST_BIN(insn, "w", "w");                                                  \
			break;                                                                     \
		case 4:                                                                            \
			HOST_BIN(insn, "l", "k");                                                  \
			break;                                                                     \
		default:                                                                           \
			HOST_BIN(insn, "q", "q");                                                  \
		}                                                                                  \
	} while (0)

/* The status flags from HOST_POST's AX: LAHF's SF ZF AF PF CF in AH, SETO's OF in AL. */
static u64 host_status(u64 ax)
{
	return ((ax >> 8) & (RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF | RFLAGS_CF)) |
	       ((ax & 1) ? RFLAGS_OF : 0);
}

static u64 host_op(enum decode_op op, u64 a, u64 b, u64 in, unsigned size, u64 *res)
{
	u64 ax = (in & 0xFF) << 8;
	u8 of = (in & RFLAGS_OF) ? 0x7F : 0;

	switch (op) {
	case DECODE_OP_AND:
		HOST_SIZES(HOST_BIN, "and");
		break;
	case DECODE_OP_OR:
		HOST_SIZES(HOST_BIN, "or");
		break;
	case DECODE_OP_XOR:
		HOST_SIZES(HOST_BIN, "xor");
		break;
	case DECODE_OP_TEST:
		HOST_SIZES(HOST_BIN, "test");
		break;
	case DECODE_OP_ADD:
		HOST_SIZES(HOST_BIN, "add");
		break;
	case DECODE_OP_ADC:
		HOST_SIZES(HOST_BIN, "adc");
		break;
	case DECODE_OP_SUB:
		HOST_SIZES(HOST_BIN, "sub");
		break;
	case DECODE_OP_SBB:
		HOST_SIZES(HOST_BIN, "sbb");
		break;
	case DECODE_OP_INC:
		HOST_SIZES(HOST_ONE, "inc");
		break;
	case DECODE_OP_DEC:
		HOST_SIZES(HOST_ONE, "dec");
		break;
	case DECODE_OP_NEG:
		HOST_SIZES(HOST_ONE, "neg");
		break;
	case DECODE_OP_NOT:
		HOST_SIZES(HOST_ONE, "not");
		break;
	case DECODE_OP_ROL:
		HOST_SIZES(HOST_CL, "rol");
		break;
	case DECODE_OP_ROR:
		HOST_SIZES(HOST_CL, "ror");
		break;
	case DECODE_OP_RCL:
		HOST_SIZES(HOST_CL, "rcl");
		break;
	case DECODE_OP_RCR:
		HOST_SIZES(HOST_CL, "rcr");
		break;
	case DECODE_OP_SHL:
		HOST_SIZES(HOST_CL, "shl");
		break;
	case DECODE_OP_SHR:
		HOST_SIZES(HOST_CL, "shr");
		break;
	case DECODE_OP_SAR:
		HOST_SIZES(HOST_CL, "sar");
		break;
	case DECODE_OP_BT:
		HOST_SIZES_BT("bt");
		break;
	case DECODE_OP_BTS:
		HOST_SIZES_BT("bts");
		break;
	case DECODE_OP_BTR:
		HOST_SIZES_BT("btr");
		break;
	case DECODE_OP_BTC:
		HOST_SIZES_BT("btc");
		break;
	case DECODE_OP_IMUL: /* the two-operand form: a = a * b */
		HOST_SIZES_BT("imul");
		break;
	default:
		FUZZ_CHECK(op == DECODE_OP_CMP);
		HOST_SIZES(HOST_BIN, "cmp");
	}
	*res = a & mask(size);
	return host_status(ax);
}

/*
 * The host CPU's one-operand MUL, IMUL, DIV or IDIV at `size` bytes on the
 * whole of *rax and *rdx (so its own partial-register rules apply) with
 * the operand src, from the status flags in `in`; returns the status flags
 * after. RAX and RDX are loaded after SAHF (MOV changes no flag) and saved
 * before LAHF. The caller rules #DE out first.
 */
#define HOST_WIDE(insn, sfx, mod)                                                                  \
	__asm__(HOST_PRE "mov %[ia], %%rax\n\tmov %[id], %%rdx\n\t" insn sfx " %" mod "[s]\n\t"    \
			 "mov %%rax, %[oa]\n\tmov %%rdx, %[od]" HOST_POST                          \
		: [oa] "=&r"(oa), [od] "=&r"(od), "+a"(ax)                                         \
		: [ia] "r"(*rax), [id] "r"(*rdx), [s] "r"(src), [of] "r"(of)                       \
		: "cc", "rdx")

static u64 host_wide(enum decode_op op, unsigned size, u64 *rax, u64 *rdx, u64 src, u64 in)
{
	u64 ax = (in & 0xFF) << 8, oa, od;
	u8 of = (in & RFLAGS_OF) ? 0x7F : 0;

	switch (op) {
	case DECODE_OP_MUL:
		HOST_SIZES(HOST_WIDE, "mul");
		break;
	case DECODE_OP_IMUL:
		HOST_SIZES(HOST_WIDE, "imul");
		break;
	case DECODE_OP_DIV:
		HOST_SIZES(HOST_WIDE, "div");
		break;
	default:
		FUZZ_CHECK(op == DECODE_OP_IDIV);
		HOST_SIZES(HOST_WIDE, "idiv");
	}
	*rax = oa;
	*rdx = od;
	return host_status(ax);
}

/* Whether the host is an Intel CPU, whose choices for undefined flags Keel follows. */
static bool host_intel(void)
{
	static int intel = -1;
	u32 a, b, c, d;

	if (intel < 0) {
		__asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
		intel = b == 0x756e6547 && d == 0x49656e69 && c == 0x6c65746e; /* GenuineIntel */
	}
	return intel;
}

static void expect(struct ref *x, enum acc_kind k, u64 addr, unsigned size, u64 val)
{
	FUZZ_CHECK(x->log.n < LOG_MAX);
	x->log.a[x->log.n++] = (struct access){k, addr, size, val};
}

/* The non-memory operand: the immediate, or the register, op_size bytes. */
static u64 ref_source(const struct decode_insn *d, const struct emulate_regs *r)
{
	if (d->has_imm)
		return d->imm & mask(d->op_size);
	FUZZ_CHECK(d->has_reg);
	return ref_reg(r, d->reg, d->reg_high, d->op_size);
}

/* ADD..XOR/CMP/TEST: memory first when dir is TO_MEM. */
static void ref_alu(const struct decode_insn *d, u64 gpa, u64 dev, struct ref *x)
{
	struct emulate_regs *r = &x->regs;
	bool to_mem = d->dir == DECODE_DIR_TO_MEM;
	u64 m = dev & mask(d->mem_size), src = ref_source(d, r), res, fl;

	FUZZ_CHECK(d->mem_size == d->op_size);
	FUZZ_CHECK(d->op != DECODE_OP_TEST || to_mem);
	expect(x, ACC_DEV_READ, gpa, d->mem_size, 0);
	fl = to_mem ? host_op(d->op, m, src, r->rflags, d->op_size, &res)
		    : host_op(d->op, src, m, r->rflags, d->op_size, &res);
	r->rflags = (r->rflags & ~STATUS_FLAGS) | fl;
	x->logic = d->op == DECODE_OP_AND || d->op == DECODE_OP_OR || d->op == DECODE_OP_XOR ||
		   d->op == DECODE_OP_TEST;
	if (d->op == DECODE_OP_CMP || d->op == DECODE_OP_TEST)
		return;
	if (to_mem)
		expect(x, ACC_DEV_WRITE, gpa, d->mem_size, res);
	else
		ref_set(r, d->reg, d->reg_high, d->op_size, res);
}

/* INC/DEC/NEG/NOT of the device's value: read, write, the host's flags. */
static void ref_unary(const struct decode_insn *d, u64 gpa, u64 dev, struct ref *x)
{
	struct emulate_regs *r = &x->regs;
	u64 res, fl;

	FUZZ_CHECK(!d->has_reg && !d->has_imm && d->dir == DECODE_DIR_TO_MEM);
	expect(x, ACC_DEV_READ, gpa, d->mem_size, 0);
	fl = host_op(d->op, dev & mask(d->mem_size), 0, r->rflags, d->op_size, &res);
	expect(x, ACC_DEV_WRITE, gpa, d->mem_size, res);
	r->rflags = (r->rflags & ~STATUS_FLAGS) | fl;
}

/*
 * Shifts and rotates, the count from imm or CL given to the host as CL
 * (the host masks it as the guest's CPU would). A masked count of 0
 * writes nothing. Undefined in the SDM, not compared: AF after a shift,
 * OF for a count other than 1, CF of SHL/SHR by the width or more.
 */
static void ref_shift(const struct decode_insn *d, u64 gpa, u64 dev, struct ref *x)
{
	struct emulate_regs *r = &x->regs;
	unsigned size = d->op_size, bits = 8 * size;
	u64 count = (d->has_imm ? d->imm : r->gpr[GPR_RCX]) & 0xFF;
	u64 masked = count & (size == 8 ? 63 : 31), res, fl;
	bool rot = d->op >= DECODE_OP_ROL && d->op <= DECODE_OP_RCR;

	FUZZ_CHECK(d->has_imm || (d->has_reg && d->reg == GPR_RCX && !d->reg_high));
	expect(x, ACC_DEV_READ, gpa, d->mem_size, 0);
	fl = host_op(d->op, dev & mask(size), count, r->rflags, size, &res);
	r->rflags = (r->rflags & ~STATUS_FLAGS) | fl;
	if (masked == 0)
		return;
	expect(x, ACC_DEV_WRITE, gpa, d->mem_size, res);
	if (masked != 1)
		x->undef |= RFLAGS_OF;
	if (!rot)
		x->undef |= RFLAGS_AF;
	if ((d->op == DECODE_OP_SHL || d->op == DECODE_OP_SHR) && masked >= bits)
		x->undef |= RFLAGS_CF;
}

/*
 * BT/BTS/BTR/BTC: the host's register form takes the offset modulo the
 * width, which is what the one faulting access needs (vm/emulate.c,
 * bit_op()). OF SF AF PF are undefined in the SDM: not compared.
 */
static void ref_bit(const struct decode_insn *d, u64 gpa, u64 dev, struct ref *x)
{
	struct emulate_regs *r = &x->regs;
	u64 res, fl;

	FUZZ_CHECK(d->op_size >= 2 && d->dir == DECODE_DIR_TO_MEM);
	expect(x, ACC_DEV_READ, gpa, d->mem_size, 0);
	fl = host_op(d->op, dev & mask(d->op_size), ref_source(d, r), r->rflags, d->op_size, &res);
	r->rflags = (r->rflags & ~STATUS_FLAGS) | fl;
	x->undef |= RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF;
	if (d->op != DECODE_OP_BT)
		expect(x, ACC_DEV_WRITE, gpa, d->mem_size, res);
}

/* XADD: the device gets the sum, the register the old value; flags as ADD. */
static void ref_xadd(const struct decode_insn *d, u64 gpa, u64 dev, struct ref *x)
{
	struct emulate_regs *r = &x->regs;
	u64 old = dev & mask(d->op_size), res, fl;

	expect(x, ACC_DEV_READ, gpa, d->mem_size, 0);
	fl = host_op(DECODE_OP_ADD, old, ref_source(d, r), r->rflags, d->op_size, &res);
	expect(x, ACC_DEV_WRITE, gpa, d->mem_size, res);
	ref_set(r, d->reg, d->reg_high, d->op_size, old);
	r->rflags = (r->rflags & ~STATUS_FLAGS) | fl;
}

/* CMPXCHG: flags of CMP rAX, m; the device is written either way; rAX only on a miss. */
static void ref_cmpxchg(const struct decode_insn *d, u64 gpa, u64 dev, struct ref *x)
{
	struct emulate_regs *r = &x->regs;
	u64 old = dev & mask(d->op_size), acc = ref_reg(r, GPR_RAX, false, d->op_size), res, fl;

	expect(x, ACC_DEV_READ, gpa, d->mem_size, 0);
	fl = host_op(DECODE_OP_CMP, acc, old, r->rflags, d->op_size, &res);
	expect(x, ACC_DEV_WRITE, gpa, d->mem_size, acc == old ? ref_source(d, r) : old);
	if (acc != old)
		ref_set(r, GPR_RAX, false, d->op_size, old);
	r->rflags = (r->rflags & ~STATUS_FLAGS) | fl;
}

/* SETcc: the byte is 1 where the condition (SDM Vol. 1 Table B-1) holds. */
static void ref_setcc(const struct decode_insn *d, u64 gpa, struct ref *x)
{
	u64 f = x->regs.rflags;
	bool cf = f & RFLAGS_CF, zf = f & RFLAGS_ZF, sf = f & RFLAGS_SF, of = f & RFLAGS_OF;
	bool pf = f & RFLAGS_PF;
	const bool holds[16] = {
	    of, !of, cf, !cf, zf,	!zf,	  cf || zf,	  !cf && !zf,
	    sf, !sf, pf, !pf, sf != of, sf == of, zf || sf != of, !zf && sf == of};

	FUZZ_CHECK(d->mem_size == 1 && d->cc < 16);
	expect(x, ACC_DEV_WRITE, gpa, 1, holds[d->cc]);
}

/* MOV/MOVZX/MOVSX loads: the register gets the device's value, extended to op_size. */
static void ref_load(const struct decode_insn *d, u64 gpa, u64 dev, struct ref *x)
{
	u64 v = dev & mask(d->mem_size);

	FUZZ_CHECK(d->dir == DECODE_DIR_FROM_MEM && d->has_reg && !d->has_imm);
	FUZZ_CHECK(d->mem_size <= d->op_size);
	expect(x, ACC_DEV_READ, gpa, d->mem_size, 0);
	ref_set(&x->regs, d->reg, d->reg_high, d->op_size,
		d->op == DECODE_OP_MOVSX ? sign_extend(v, d->mem_size) : v);
}

/* The linear address of seg:offset: 64-bit code ignores the ES/CS/SS/DS bases, others wrap at 4
 * GiB. */
static u64 ref_linear(const struct decode_insn *d, const u64 seg_base[], enum decode_seg seg,
		      u64 off)
{
	if (d->mode == DECODE_MODE_64)
		return (seg >= DECODE_SEG_FS ? seg_base[seg] : 0) + off;
	return (seg_base[seg] + off) & 0xffffffffULL;
}

/*
 * STOS/MOVS/LODS/SCAS, one element; REP counts rCX down and holds RIP
 * until it is zero, or, for SCAS, until ZF ends the run (REPE: ZF 0,
 * REPNE: ZF 1, the last of F3/F2 deciding).
 */
static void ref_string(const struct decode_insn *d, u64 gpa, bool write_fault, const u64 seg_base[],
		       const struct model *m, struct ref *x)
{
	struct emulate_regs *r = &x->regs;
	unsigned as = d->addr_size, size = d->mem_size;
	u64 si = ref_reg(r, GPR_RSI, false, as), di = ref_reg(r, GPR_RDI, false, as);
	u64 count = ref_reg(r, GPR_RCX, false, as), res;
	s64 step = (r->rflags & RFLAGS_DF) ? -(s64)size : (s64)size;
	bool scas = d->op == DECODE_OP_SCAS || d->op == DECODE_OP_CMPS; /* REPE/REPNE */

	FUZZ_CHECK(d->op_size == size);
	if (d->rep && count == 0)
		goto done;
	if (d->op == DECODE_OP_STOS) {
		expect(x, ACC_DEV_WRITE, gpa, size, ref_reg(r, GPR_RAX, false, size));
	} else if (d->op == DECODE_OP_LODS) {
		expect(x, ACC_DEV_READ, gpa, size, 0);
		ref_set(r, GPR_RAX, false, size, m->dev_val & mask(size));
	} else if (d->op == DECODE_OP_CMPS) {
		u64 lsi = ref_linear(d, seg_base, d->mem.seg, si);
		u64 ldi = ref_linear(d, seg_base, DECODE_SEG_ES, di);
		bool si_dev = lsi == m->dev_lin;
		u64 a = (si_dev ? m->dev_val : m->ram_val) & mask(size);
		u64 b = (si_dev ? m->ram_val : m->dev_val) & mask(size);

		expect(x, si_dev ? ACC_DEV_READ : ACC_MEM_READ, si_dev ? gpa : lsi, size, 0);
		expect(x, si_dev ? ACC_MEM_READ : ACC_DEV_READ, si_dev ? ldi : gpa, size, 0);
		r->rflags = (r->rflags & ~STATUS_FLAGS) |
			    host_op(DECODE_OP_CMP, a, b, r->rflags, size, &res);
	} else if (scas) {
		expect(x, ACC_DEV_READ, gpa, size, 0);
		r->rflags = (r->rflags & ~STATUS_FLAGS) |
			    host_op(DECODE_OP_CMP, ref_reg(r, GPR_RAX, false, size),
				    m->dev_val & mask(size), r->rflags, size, &res);
	} else if (write_fault) {
		expect(x, ACC_MEM_READ, ref_linear(d, seg_base, d->mem.seg, si), size, 0);
		expect(x, ACC_DEV_WRITE, gpa, size, m->ram_val & mask(size));
	} else {
		expect(x, ACC_DEV_READ, gpa, size, 0);
		expect(x, ACC_MEM_WRITE, ref_linear(d, seg_base, DECODE_SEG_ES, di), size,
		       m->dev_val & mask(size));
	}
	if (d->op == DECODE_OP_MOVS || d->op == DECODE_OP_LODS || d->op == DECODE_OP_CMPS)
		ref_set(r, GPR_RSI, false, as, si + (u64)step);
	if (d->op != DECODE_OP_LODS)
		ref_set(r, GPR_RDI, false, as, di + (u64)step);
	if (d->rep) {
		ref_set(r, GPR_RCX, false, as, count - 1);
		if (count - 1 != 0 && !(scas && (d->repne ? (r->rflags & RFLAGS_ZF) != 0
							  : (r->rflags & RFLAGS_ZF) == 0)))
			return;
	}
done:
	r->rip = (r->rip + d->len) & mask(d->mode);
}

/*
 * Whether DIV/IDIV of rDX:rAX (AX at size 1) by m faults with #DE (SDM
 * Vol. 2A "DIV", "IDIV"): m = 0, or a quotient outside size bytes
 * (unsigned, or signed), worked out in 128 bits.
 */
static bool ref_div_faults(enum decode_op op, unsigned size, u64 rax, u64 rdx, u64 m)
{
	unsigned bits = 8 * size;
	__int128 max = ((__int128)1 << (bits - 1)) - 1, n, v, q;
	unsigned __int128 un;

	if ((m & mask(size)) == 0)
		return true;
	un = size == 1 ? rax & 0xFFFF
		       : ((unsigned __int128)(rdx & mask(size)) << bits) | (rax & mask(size));
	if (op == DECODE_OP_DIV)
		return un / (m & mask(size)) > mask(size);
	n = size == 1 ? (s16)rax : size == 8 ? (__int128)un : (s64)(u64)un;
	if (size == 2 || size == 4) /* sign-extend the 2 * bits dividend */
		n = (s64)((u64)un << (64 - 2 * bits)) >> (64 - 2 * bits);
	v = (s64)sign_extend(m, size);
	if (v == -1) /* -n, which could overflow __int128 itself */
		return n < -max || n > max + 1;
	q = n / v;
	return q < -max - 1 || q > max;
}

/*
 * MUL/IMUL/DIV/IDIV: the device read, then the host CPU's own result and
 * flags (IMUL with a register: the two-operand form, the immediate as its
 * first factor); DIV/IDIV that fault: nothing but the read, #DE. Where
 * the host is not Intel, the flags the SDM leaves undefined are not
 * compared (docs/mmio.md: Keel gives Intel's).
 */
static void ref_muldiv(const struct decode_insn *d, u64 gpa, u64 dev, struct ref *x)
{
	struct emulate_regs *r = &x->regs;
	unsigned size = d->op_size;
	u64 m = dev & mask(size), a, res, fl;
	bool div = d->op == DECODE_OP_DIV || d->op == DECODE_OP_IDIV;

	FUZZ_CHECK(d->dir == DECODE_DIR_FROM_MEM && d->mem_size == size && !d->reg_high);
	expect(x, ACC_DEV_READ, gpa, size, 0);
	if (d->has_reg) {
		FUZZ_CHECK(d->op == DECODE_OP_IMUL && size >= 2);
		a = d->has_imm ? d->imm & mask(size) : ref_reg(r, d->reg, false, size);
		fl = host_op(DECODE_OP_IMUL, a, m, r->rflags, size, &res);
		ref_set(r, d->reg, false, size, res);
	} else if (div && ref_div_faults(d->op, size, r->gpr[GPR_RAX], r->gpr[GPR_RDX], m)) {
		x->status = EMULATE_FAULT_DE;
		return;
	} else {
		FUZZ_CHECK(!d->has_imm);
		fl = host_wide(d->op, size, &r->gpr[GPR_RAX], &r->gpr[GPR_RDX], m, r->rflags);
	}
	r->rflags = (r->rflags & ~STATUS_FLAGS) | fl;
	if (!host_intel())
		x->undef |= div ? STATUS_FLAGS : RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF;
}

/*
 * CMPXCHG8B/16B: #UD without the CPUID bit, #GP(0) for a CMPXCHG16B not
 * 16-byte aligned, with no access; else 8-byte reads from gpa up (each
 * returning the model's 8 bytes), the compare with rDX:rAX, and 8-byte
 * writes from gpa up: rCX:rBX, or on a miss what was read; rDX:rAX loaded
 * only on a miss; ZF only.
 */
static void ref_cmpxchg_wide(const struct decode_insn *d, u64 gpa, const u64 seg_base[],
			     const struct model *m, struct ref *x)
{
	struct emulate_regs *r = &x->regs;
	bool wide = d->op == DECODE_OP_CMPXCHG16B;
	unsigned half = wide ? 8 : 4;
	u64 lin = ref_linear(d, seg_base, d->mem.seg, decode_ea(d, &d->mem, r->gpr, r->rip));
	u64 lo = m->dev_val & mask(half), hi = wide ? m->dev_val : m->dev_val >> 32;
	u64 b = ref_reg(r, GPR_RBX, false, half), c = ref_reg(r, GPR_RCX, false, half);
	bool hit = ref_reg(r, GPR_RAX, false, half) == lo && ref_reg(r, GPR_RDX, false, half) == hi;

	FUZZ_CHECK(d->op_size == half && d->mem_size == 2 * half && !d->has_reg && !d->has_imm);
	FUZZ_CHECK(d->dir == DECODE_DIR_TO_MEM);
	if (!(wide ? m->cx16 : m->cx8)) {
		x->status = EMULATE_FAULT_UD;
		return;
	}
	if (wide && lin % 16) {
		x->status = EMULATE_FAULT_GP;
		return;
	}
	expect(x, ACC_DEV_READ, gpa, 8, 0);
	if (wide)
		expect(x, ACC_DEV_READ, gpa + 8, 8, 0);
	expect(x, ACC_DEV_WRITE, gpa, 8, wide ? (hit ? b : lo) : hit ? c << 32 | b : m->dev_val);
	if (wide)
		expect(x, ACC_DEV_WRITE, gpa + 8, 8, hit ? c : hi);
	if (!hit) {
		ref_set(r, GPR_RAX, false, half, lo);
		ref_set(r, GPR_RDX, false, half, hi);
	}
	r->rflags = (r->rflags & ~RFLAGS_ZF) | (hit ? RFLAGS_ZF : 0);
}

/* The bytes of v's low `size` bytes read back to front. */
static u64 ref_swap(u64 v, unsigned size)
{
	u8 b[8];
	u64 res = 0;

	memcpy(b, &v, 8);
	for (unsigned i = 0; i < size; i++)
		res = (res << 8) | b[i];
	return res;
}

/*
 * PUSH m / POP m: the side that is not the device is RAM, the stack slot
 * at SS:rSP (PUSH: rSP - size) or the operand at its segment; rSP moves by
 * the operand size at the stack's width, and POP's EA sees rSP after the
 * pop (SDM Vol. 2B "POP").
 */
static void ref_stack(const struct decode_insn *d, u64 gpa, bool write_fault, const u64 seg_base[],
		      unsigned ss, const struct model *m, struct ref *x)
{
	struct emulate_regs *r = &x->regs, a = x->regs;
	bool push = d->op == DECODE_OP_PUSH, dev_is_m = push ? !write_fault : write_fault;
	unsigned size = d->mem_size;
	u64 sp = ref_reg(r, GPR_RSP, false, ss);
	u64 nsp = (push ? sp - size : sp + size) & mask(ss), ea, mlin, slin;

	FUZZ_CHECK(d->op_size == size && !d->has_reg && !d->has_imm);
	ref_set(&a, GPR_RSP, false, ss, nsp);
	ea = decode_ea(d, &d->mem, (push ? r : &a)->gpr, r->rip);
	mlin = ref_linear(d, seg_base, d->mem.seg, ea);
	slin = ref_linear(d, seg_base, DECODE_SEG_SS, push ? nsp : sp);
	if (push && dev_is_m) {
		expect(x, ACC_DEV_READ, gpa, size, 0);
		expect(x, ACC_MEM_WRITE, slin, size, m->dev_val & mask(size));
	} else if (push) {
		expect(x, ACC_MEM_READ, mlin, size, 0);
		expect(x, ACC_DEV_WRITE, gpa, size, m->ram_val & mask(size));
	} else if (dev_is_m) {
		expect(x, ACC_MEM_READ, slin, size, 0);
		expect(x, ACC_DEV_WRITE, gpa, size, m->ram_val & mask(size));
	} else {
		expect(x, ACC_DEV_READ, gpa, size, 0);
		expect(x, ACC_MEM_WRITE, mlin, size, m->dev_val & mask(size));
	}
	*r = a;
}

/*
 * Near CALL m / JMP m: the target read from m, RIP = it; CALL writes the
 * next RIP at SS:rSP - size, the device side as write_fault says (a write
 * fault: the stack slot). The model runs without segment checks.
 */
static void ref_branch(const struct decode_insn *d, u64 gpa, bool write_fault, const u64 seg_base[],
		       unsigned ss, const struct model *m, struct ref *x)
{
	struct emulate_regs *r = &x->regs;
	bool call = d->op == DECODE_OP_CALL, dev_is_m = !(call && write_fault);
	unsigned size = d->mem_size;
	u64 nsp = (ref_reg(r, GPR_RSP, false, ss) - size) & mask(ss);
	u64 mlin = ref_linear(d, seg_base, d->mem.seg, decode_ea(d, &d->mem, r->gpr, r->rip));
	u64 target = (dev_is_m ? m->dev_val : m->ram_val) & mask(size);

	FUZZ_CHECK(d->op_size == size && !d->has_reg && !d->has_imm);
	FUZZ_CHECK(d->mode != DECODE_MODE_64 || size == 8);
	if (dev_is_m)
		expect(x, ACC_DEV_READ, gpa, size, 0);
	else
		expect(x, ACC_MEM_READ, mlin, size, 0);
	if (call && dev_is_m)
		expect(x, ACC_MEM_WRITE, ref_linear(d, seg_base, DECODE_SEG_SS, nsp), size,
		       ((r->rip + d->len) & mask(d->mode)) & mask(size));
	else if (call)
		expect(x, ACC_DEV_WRITE, gpa, size,
		       ((r->rip + d->len) & mask(d->mode)) & mask(size));
	if (call)
		ref_set(r, GPR_RSP, false, ss, nsp);
	r->rip = target;
}

/* What d must do from r0, the model's read values assumed; x->log lists every access. */
static void ref_run(const struct decode_insn *d, u64 gpa, bool write_fault, const u64 seg_base[],
		    unsigned ss, const struct model *m, const struct emulate_regs *r0,
		    struct ref *x)
{
	struct emulate_regs *r = &x->regs;

	*x = (struct ref){.regs = *r0};
	switch (d->op) {
	case DECODE_OP_STOS:
	case DECODE_OP_MOVS:
	case DECODE_OP_LODS:
	case DECODE_OP_SCAS:
	case DECODE_OP_CMPS:
		ref_string(d, gpa, write_fault, seg_base, m, x);
		return;
	case DECODE_OP_CALL:
	case DECODE_OP_JMP:
		ref_branch(d, gpa, write_fault, seg_base, ss, m, x);
		return;
	case DECODE_OP_PUSH:
	case DECODE_OP_POP:
		ref_stack(d, gpa, write_fault, seg_base, ss, m, x);
		break;
	case DECODE_OP_MOVBE:
		FUZZ_CHECK(d->mem_size == d->op_size && d->op_size >= 2 && !d->reg_high);
		if (d->dir == DECODE_DIR_TO_MEM) {
			expect(x, ACC_DEV_WRITE, gpa, d->mem_size,
			       ref_swap(ref_source(d, r), d->op_size));
			break;
		}
		expect(x, ACC_DEV_READ, gpa, d->mem_size, 0);
		ref_set(r, d->reg, false, d->op_size, ref_swap(m->dev_val, d->op_size));
		break;
	case DECODE_OP_MOVNTI:
		FUZZ_CHECK(d->dir == DECODE_DIR_TO_MEM && d->op_size >= 4);
		/* fall through: a MOV store */
	case DECODE_OP_MOV:
		FUZZ_CHECK(d->mem_size == d->op_size);
		if (d->dir == DECODE_DIR_TO_MEM)
			expect(x, ACC_DEV_WRITE, gpa, d->mem_size, ref_source(d, r));
		else
			ref_load(d, gpa, m->dev_val, x);
		break;
	case DECODE_OP_MOVZX:
	case DECODE_OP_MOVSX:
		ref_load(d, gpa, m->dev_val, x);
		break;
	case DECODE_OP_XCHG:
		FUZZ_CHECK(d->mem_size == d->op_size && d->has_reg && !d->has_imm);
		expect(x, ACC_DEV_READ, gpa, d->mem_size, 0);
		expect(x, ACC_DEV_WRITE, gpa, d->mem_size, ref_source(d, r));
		ref_set(r, d->reg, d->reg_high, d->op_size, m->dev_val & mask(d->mem_size));
		break;
	case DECODE_OP_AND:
	case DECODE_OP_OR:
	case DECODE_OP_XOR:
	case DECODE_OP_CMP:
	case DECODE_OP_TEST:
	case DECODE_OP_ADD:
	case DECODE_OP_ADC:
	case DECODE_OP_SUB:
	case DECODE_OP_SBB:
		ref_alu(d, gpa, m->dev_val, x);
		break;
	case DECODE_OP_INC:
	case DECODE_OP_DEC:
	case DECODE_OP_NEG:
	case DECODE_OP_NOT:
		ref_unary(d, gpa, m->dev_val, x);
		break;
	case DECODE_OP_ROL:
	case DECODE_OP_ROR:
	case DECODE_OP_RCL:
	case DECODE_OP_RCR:
	case DECODE_OP_SHL:
	case DECODE_OP_SHR:
	case DECODE_OP_SAR:
		ref_shift(d, gpa, m->dev_val, x);
		break;
	case DECODE_OP_BT:
	case DECODE_OP_BTS:
	case DECODE_OP_BTR:
	case DECODE_OP_BTC:
		ref_bit(d, gpa, m->dev_val, x);
		break;
	case DECODE_OP_XADD:
		ref_xadd(d, gpa, m->dev_val, x);
		break;
	case DECODE_OP_CMPXCHG:
		ref_cmpxchg(d, gpa, m->dev_val, x);
		break;
	case DECODE_OP_SETCC:
		ref_setcc(d, gpa, x);
		break;
	case DECODE_OP_MUL:
	case DECODE_OP_IMUL:
	case DECODE_OP_DIV:
	case DECODE_OP_IDIV:
		ref_muldiv(d, gpa, m->dev_val, x);
		if (x->status)
			return;
		break;
	case DECODE_OP_CMPXCHG8B:
	case DECODE_OP_CMPXCHG16B:
		ref_cmpxchg_wide(d, gpa, seg_base, m, x);
		if (x->status)
			return;
		break;
	default:
		FUZZ_CHECK(!"an operation the reference does not know");
	}
	r->rip = (r->rip + d->len) & mask(d->mode);
}

/* The forms SDM Vol. 2A 2.4 puts in exception class Type 1: #GP(0) off their size. */
static bool ref_aligned(enum decode_op op)
{
	static const enum decode_op type1[] = {
	    DECODE_OP_MOVDQA,  DECODE_OP_MOVAPS,   DECODE_OP_MOVAPD,   DECODE_OP_MOVNTDQ,
	    DECODE_OP_MOVNTPS, DECODE_OP_MOVNTPD,  DECODE_OP_VMOVDQA,  DECODE_OP_VMOVAPS,
	    DECODE_OP_VMOVAPD, DECODE_OP_VMOVNTDQ, DECODE_OP_VMOVNTPS, DECODE_OP_VMOVNTPD,
	};

	for (unsigned i = 0; i < sizeof(type1) / sizeof(type1[0]); i++)
		if (type1[i] == op)
			return true;
	return false;
}

/*
 * A vector move's fault, read from the SDM's exception classes (Vol. 2A
 * 2.4: Types 1, 4, 5) in the CPU's order: #UD, #NM, then #GP(0) for a
 * Type 1 form not aligned to its size; EMULATE_OK if none.
 */
static int ref_vector_fault(const struct decode_insn *d, const struct emulate_env *env,
			    const struct emulate_regs *r)
{
	bool ud = d->vex ? !(env->cr0 & CR0_PE) || (r->rflags & RFLAGS_VM) ||
			       !(env->cr4 & CR4_OSXSAVE) || (env->xcr0 & 6) != 6
			 : (env->cr0 & CR0_EM) || !(env->cr4 & CR4_OSFXSR);
	u64 lin = ref_linear(d, env->seg_base, d->mem.seg, decode_ea(d, &d->mem, r->gpr, r->rip));

	if (ud)
		return EMULATE_FAULT_UD;
	if (env->cr0 & CR0_TS)
		return EMULATE_FAULT_NM;
	if (ref_aligned(d->op) && lin % d->mem_size)
		return EMULATE_FAULT_GP;
	return EMULATE_OK;
}

/* The operand's linear address has gpa's page offset (gpa is its first byte, wherever it ends). */
static bool ref_starts_at(const struct decode_insn *d, u64 gpa, const struct emulate_env *env,
			  const struct emulate_regs *r)
{
	u64 lin = ref_linear(d, env->seg_base, d->mem.seg, decode_ea(d, &d->mem, r->gpr, r->rip));

	return (lin & 0xfff) == (gpa & 0xfff);
}

/*
 * Moves the operand's base register (or RIP, or a scale-1 index) so that
 * its linear address has gpa's page offset, as on a CPU, where the fault
 * is the operand's own page; without a register to move it stays apart.
 */
static void steer(const struct decode_insn *d, u64 gpa, const struct emulate_env *env,
		  struct emulate_regs *r)
{
	u64 lin = ref_linear(d, env->seg_base, d->mem.seg, decode_ea(d, &d->mem, r->gpr, r->rip));
	u64 delta = (gpa - lin) & 0xfff;

	if (d->mem.rip_rel)
		r->rip += delta;
	else if (d->mem.base != DECODE_NO_REG)
		r->gpr[d->mem.base] += delta;
	else if (d->mem.index != DECODE_NO_REG && d->mem.scale == 1)
		r->gpr[d->mem.index] += delta;
}

/* MOVHPS/MOVHPD move the XMM register's high quadword (SDM Vol. 2B "MOVHPS", "MOVHPD"). */
static unsigned ref_reg_offset(enum decode_op op)
{
	return op == DECODE_OP_MOVHPS || op == DECODE_OP_MOVHPD ? 8 : 0;
}

/* MOVLPS/MOVHPS/MOVLPD/MOVHPD loads keep every register byte they do not load. */
static bool ref_keeps_rest(enum decode_op op)
{
	return op == DECODE_OP_MOVLPS || op == DECODE_OP_MOVHPS || op == DECODE_OP_MOVLPD ||
	       op == DECODE_OP_MOVHPD;
}

/*
 * Every vector move: the device sees min(size, 8)-byte accesses from gpa
 * up (gpa plus the offset in the operand, which may run past the page:
 * the caller places the pieces, so the device model refuses only past its
 * end); a store writes the register's bytes from its offset (8 for
 * MOVHPS/MOVHPD); a load fills them with the bytes read, MOVLPS/MOVHPS/
 * MOVLPD/MOVHPD keeping every other byte, the others zeroing up to 16
 * bytes (legacy: bytes 16-31 kept) or, with VEX, up to 32.
 */
static void ref_vector(const struct decode_insn *d, u64 gpa, const struct emulate_env *env,
		       const struct model *m, const struct emulate_regs *r0, struct ref *x)
{
	unsigned size = d->mem_size, piece = MIN(size, 8u), off = ref_reg_offset(d->op);
	u8 *v = x->vregs[d->vreg];

	*x = (struct ref){.regs = *r0};
	memcpy(x->vregs, m->vregs, sizeof(x->vregs));
	FUZZ_CHECK(d->vreg < 16 && !d->has_reg && !d->has_imm && !d->lock);
	FUZZ_CHECK(size == 4 || size == 8 || size == 16 || (size == 32 && d->vex));
	FUZZ_CHECK(off + size <= (d->vex ? 32u : 16u) || size == 32);
	x->status = ref_vector_fault(d, env, r0);
	if (x->status)
		return;
	if (!ref_starts_at(d, gpa, env, r0)) {	 /* the fault is not the operand's first byte: */
		x->status = EMULATE_MMIO_FAILED; /* refused */
		return;
	}
	if (d->dir == DECODE_DIR_TO_MEM && size == 32 && !m->avx) {
		x->status = EMULATE_VEC_FAILED;
		return;
	}
	for (unsigned at = 0; at < size; at += piece) {
		u64 val = 0;

		memcpy(&val, v + off + at, piece);
		expect(x, d->dir == DECODE_DIR_TO_MEM ? ACC_DEV_WRITE : ACC_DEV_READ, gpa + at,
		       piece, d->dir == DECODE_DIR_TO_MEM ? val : 0);
	}
	if (d->dir == DECODE_DIR_FROM_MEM && (d->vex || size == 32) && !m->avx) {
		x->status = EMULATE_VEC_FAILED;
		return;
	}
	if (d->dir == DECODE_DIR_FROM_MEM) {
		u64 val = m->dev_val & mask(piece);

		if (!ref_keeps_rest(d->op))
			memset(v, 0, d->vex ? 32 : 16);
		for (unsigned at = 0; at < size; at += piece)
			memcpy(v + off + at, &val, piece);
	}
	x->regs.rip = (r0->rip + d->len) & mask(d->mode);
}

/* ---- reporting ---- */

static void print_regs(const char *who, const struct emulate_regs *r)
{
	fprintf(stderr, "  %s: rip %#llx rflags %#llx\n", who, (unsigned long long)r->rip,
		(unsigned long long)r->rflags);
	for (unsigned i = 0; i < GPR_COUNT; i++)
		fprintf(stderr, "    gpr[%2u] %#018llx%s", i, (unsigned long long)r->gpr[i],
			i % 4 == 3 ? "\n" : "");
}

static void print_log(const char *who, const struct log *l)
{
	fprintf(stderr, "  %s: %u access(es)%s\n", who, l->n, l->overflow ? " (and more)" : "");
	for (unsigned i = 0; i < l->n; i++)
		fprintf(stderr, "    %s at %#llx size %u value %#llx\n", kind_names[l->a[i].kind],
			(unsigned long long)l->a[i].addr, l->a[i].size,
			(unsigned long long)l->a[i].val);
}

struct run {
	const u8 *insn;
	unsigned avail;
	const struct decode_insn *d;
	u64 gpa;
	bool write_fault;
	const struct emulate_regs *before, *after;
	const struct model *m;
	const struct ref *x;
	int status;
	const u8 (*vregs_before)[32]; /* vector moves: the model's registers before */
};

static __attribute__((noreturn)) void disagree(const struct run *u, const char *what)
{
	const struct decode_insn *d = u->d;
	char hex[3 * DECODE_MAX_LEN + 1];

	decode_hex(u->insn, d->len, hex, sizeof(hex));
	fprintf(stderr, "emulate: %u-bit code, bytes %s (of %u given), gpa %#llx, %s fault: %s\n",
		(unsigned)d->mode * 8, hex, u->avail, (unsigned long long)u->gpa,
		u->write_fault ? "write" : "read", what);
	fprintf(stderr,
		"  decoded: op %s dir %d mem_size %u op_size %u addr_size %u reg %d%s imm %s%#llx "
		"rep %d seg %d/%d\n",
		decode_op_name(d->op), d->dir, d->mem_size, d->op_size, d->addr_size,
		d->has_reg ? d->reg : -1, d->reg_high ? " (high)" : "", d->has_imm ? "" : "(none) ",
		(unsigned long long)d->imm, d->rep, d->mem.seg, d->mem2.seg);
	fprintf(stderr,
		"  status %d (%s); model refused access %d; device reads %#llx, RAM %#llx\n",
		u->status, emulate_status_name(u->status), u->m->refused,
		(unsigned long long)u->m->dev_val, (unsigned long long)u->m->ram_val);
	print_regs("before", u->before);
	print_regs("keel", u->after);
	print_regs("reference", &u->x->regs);
	print_log("keel", &u->m->log);
	print_log("reference", &u->x->log);
	abort();
}

#define AGREE(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			disagree(u, #cond);                                                        \
	} while (0)

static bool same_access(const struct access *a, const struct access *b)
{
	return a->kind == b->kind && a->addr == b->addr && a->size == b->size &&
	       (a->kind == ACC_DEV_READ || a->kind == ACC_MEM_READ || a->val == b->val);
}

static void check(const struct run *u)
{
	const struct log *got = &u->m->log, *want = &u->x->log;
	unsigned n = u->m->refused >= 0 ? (unsigned)u->m->refused + 1 : want->n;

	AGREE(!got->overflow);
	AGREE(got->n == n && n <= want->n);
	for (unsigned i = 0; i < n; i++) {
		AGREE(same_access(&got->a[i], &want->a[i]));
		AGREE(got->a[i].size == MIN(u->d->mem_size, 8u)); /* CMPXCHG16B: 8-byte halves */
		AGREE(got->a[i].val <= mask(got->a[i].size));
	}
	if (u->m->refused >= 0) {
		enum acc_kind k = got->a[u->m->refused].kind;

		AGREE(u->status == (k <= ACC_DEV_WRITE ? EMULATE_MMIO_FAILED : EMULATE_MEM_FAILED));
		AGREE(!memcmp(u->after, u->before, sizeof(*u->after)));
		return;
	}
	AGREE(u->status == u->x->status);
	if (u->status != EMULATE_OK) { /* a fault: nothing changed */
		AGREE(!memcmp(u->after, u->before, sizeof(*u->after)));
		return;
	}
	AGREE(!memcmp(u->after->gpr, u->x->regs.gpr, sizeof(u->after->gpr)));
	AGREE(u->after->rip == u->x->regs.rip);
	if (u->x->logic) {
		AGREE(!(u->after->rflags & RFLAGS_AF));
		AGREE((u->after->rflags | RFLAGS_AF) == (u->x->regs.rflags | RFLAGS_AF));
	} else {
		AGREE((u->after->rflags & ~u->x->undef) == (u->x->regs.rflags & ~u->x->undef));
	}
}

/*
 * A vector move: the log as the reference's up to a refusal, the status,
 * and on success the registers (RIP moved, nothing else) and the vector
 * registers as the reference has them; on any failure both unchanged.
 */
static void check_vector(const struct run *u)
{
	const struct log *got = &u->m->log, *want = &u->x->log;
	unsigned n = u->m->refused >= 0 ? (unsigned)u->m->refused + 1 : want->n;
	int status = u->m->refused >= 0 ? EMULATE_MMIO_FAILED : u->x->status;

	AGREE(!got->overflow);
	AGREE(got->n == n && n <= want->n);
	for (unsigned i = 0; i < n; i++) {
		AGREE(same_access(&got->a[i], &want->a[i]));
		AGREE(got->a[i].size == MIN(u->d->mem_size, 8u));
	}
	AGREE(u->status == status);
	if (status != EMULATE_OK) {
		AGREE(!memcmp(u->after, u->before, sizeof(*u->after)));
		AGREE(!memcmp(u->m->vregs, u->vregs_before, sizeof(u->m->vregs)));
		return;
	}
	AGREE(!memcmp(u->after, &u->x->regs, sizeof(*u->after)));
	AGREE(!memcmp(u->m->vregs, u->x->vregs, sizeof(u->m->vregs)));
}

/*
 * emulate_operand_parts (vm/emulate_locate.c), which vm/mmio.c uses to put
 * a vector move's pieces on its pages: for an operand of size bytes at page
 * offset at, its first page at g0 and (past the boundary) its second at
 * g1, each piece of at most 8 bytes must come back as one or two parts
 * whose bytes, lowest first, are exactly the piece's bytes, each where its
 * page puts it (byte b of the operand: g0's page plus at + b on the first
 * page, g1 plus the overshoot on the second).
 */
static void check_parts(unsigned size, u64 at, u64 g0, u64 g1)
{
	bool split = at + size > 0x1000;
	struct emulate_operand op = {
	    .lin = 0x7000 + at, .g = {g0 + at, split ? g1 : 0}, .size = size, .split = split};

	for (unsigned off = 0; off < size; off += 8) {
		unsigned n = MIN(8u, size - off), part[2] = {0, 0}, b = off;
		u64 g[2] = {0, 0};
		unsigned parts = emulate_operand_parts(&op, off, n, g, part);

		FUZZ_CHECK(parts == 1 || parts == 2);
		FUZZ_CHECK(part[0] + (parts == 2 ? part[1] : 0) == n && part[0] > 0);
		for (unsigned i = 0; i < parts; i++)
			for (unsigned k = 0; k < part[i]; k++, b++)
				FUZZ_CHECK(g[i] + k == (at + b < 0x1000 ? g0 + at + b
									: g1 + (at + b - 0x1000)));
	}
}

/* ---- the entry point ---- */

/*
 * The input's parameter bytes. Where the input has ended, each value is
 * made up by a generator seeded with a hash of the whole input: a short
 * input (the instruction alone) still runs with varied registers and
 * values, half of them ones the emulator's edges live on (0, -1, one bit,
 * small counts), and the same input always gives the same ones.
 */
struct input {
	const u8 *data;
	size_t size;
	u64 seed;
};

static u64 splitmix64(u64 *state)
{
	u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static u64 take(struct input *in, unsigned n)
{
	u64 r;

	if (in->size >= n)
		return fuzz_take(&in->data, &in->size, n);
	in->size = 0;
	r = splitmix64(&in->seed);
	switch (r & 7) {
	case 0:
		return 0;
	case 1:
		return ~0ULL;
	case 2:
		return 1ULL << ((r >> 3) & 63);
	case 3:
		return (r >> 3) & 7;
	case 4:
		return -((r >> 3) & 7);
	default:
		return splitmix64(&in->seed);
	}
}

/*
 * The vector state, from one control byte and the register bytes: with
 * bit 7 clear the guest may run every form (CR0.PE, CR4.OSFXSR and
 * OSXSAVE, XCR0 x87|SSE|AVX, AVX reachable); with it set, bits 0-6 each
 * break one condition (CR0.TS, CR0.EM, CR4.OSFXSR, CR4.OSXSAVE, XCR0.AVX,
 * CR0.PE, the host's AVX). True (bit 7 clear, bit 0 set): steer() the
 * operand onto the fault's page offset, so the move is made.
 */
static bool vector_state(struct input *in, struct model *m, struct emulate_env *env)
{
	unsigned f = (unsigned)take(in, 1);
	unsigned bad = (f & 0x80) ? f : 0;

	env->cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
	env->cr4 = CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE;
	env->xcr0 = 7;
	m->avx = !(bad & 0x40);
	env->cr0 |= (bad & 1) ? CR0_TS : 0;
	env->cr0 |= (bad & 2) ? CR0_EM : 0;
	env->cr4 &= (bad & 4) ? ~CR4_OSFXSR : ~0ULL;
	env->cr4 &= (bad & 8) ? ~CR4_OSXSAVE : ~0ULL;
	env->xcr0 &= (bad & 0x10) ? ~4ULL : ~0ULL;
	env->cr0 &= (bad & 0x20) ? ~(CR0_PE | CR0_PG) : ~0ULL;
	for (unsigned i = 0; i < 16; i++)
		for (unsigned b = 0; b < 32; b += 8) {
			u64 v = take(in, 8);

			memcpy(&m->vregs[i][b], &v, 8);
		}
	return (f & 0x81) == 0x01;
}

static const enum decode_mode modes[4] = {DECODE_MODE_64, DECODE_MODE_32, DECODE_MODE_16,
					  DECODE_MODE_64};

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct model m = {.refused = -1};
	struct emulate_env env = {.ctx = &m,
				  .mmio_read = dev_read,
				  .mmio_write = dev_write,
				  .mem_read = mem_read,
				  .mem_write = mem_write,
				  .mem_gpa = mem_gpa,
				  .vec_read = vec_read,
				  .vec_write =
				      vec_write}; /* no segment checks: EMULATE_SEGS_NONE */
	u8 vregs_before[16][32];
	struct emulate_env env0;
	struct emulate_regs before, regs;
	struct decode_insn d, d0;
	struct input in = {data, size, 0xcbf29ce484222325ULL};
	struct ref x;
	u8 insn[DECODE_MAX_LEN];
	unsigned ctl, avail, cpuid;
	bool write_fault, follow;
	u64 gpa;
	u8 *copy;
	int s;

	for (size_t i = 0; i < size; i++) /* FNV-1a: the generator's seed */
		in.seed = (in.seed ^ data[i]) * 0x100000001b3ULL;
	ctl = (unsigned)fuzz_take(&in.data, &in.size, 1);
	write_fault = ctl & 4;
	m.refuse_at = (ctl >> 3) & 7;
	avail = (unsigned)MIN(in.size, sizeof(insn));
	copy = malloc(avail ? avail : 1); /* exactly sized: ASan sees a read past it */
	memcpy(copy, in.data, avail);
	memcpy(insn, in.data, avail);
	in.data += avail;
	in.size -= avail;
	gpa = DEV_BASE + (take(&in, 1) % DEV_SIZE);
	before.rflags = take(&in, 8);
	before.rip = take(&in, 8);
	for (unsigned i = 0; i < GPR_COUNT; i++)
		before.gpr[i] = take(&in, 8);
	for (unsigned i = 0; i < DECODE_SEG_COUNT; i++)
		env.seg_base[i] = take(&in, 8);
	m.dev_val = take(&in, 8);
	m.ram_val = take(&in, 8);
	follow = vector_state(&in, &m, &env);
	cpuid = (unsigned)take(&in, 1); /* bits 7 and 0: no CX8; bits 7 and 1: no CX16 */
	m.cx8 = (cpuid & 0x81) != 0x81;
	m.cx16 = (cpuid & 0x82) != 0x82;
	env.cpuid1_edx = m.cx8 ? CPUID1_EDX_CX8 : 0;
	env.cpuid1_ecx = m.cx16 ? CPUID1_ECX_CX16 : 0;

	s = decode_insn(copy, avail, modes[ctl & 3], &d);
	FUZZ_CHECK(!memcmp(copy, insn, avail));
	free(copy);
	if (s != DECODE_OK)
		return 0;
	FUZZ_CHECK(d.len >= 1 && d.len <= avail);
	if (decode_op_is_vector(d.op)) {
		if (follow)
			steer(&d, gpa, &env, &before);
		d0 = d;
		env0 = env;
		regs = before;
		memcpy(vregs_before, m.vregs, sizeof(vregs_before));
		ref_vector(&d, gpa, &env, &m, &before, &x);
		s = emulate_insn(&d, gpa, write_fault, &regs, &env);
		FUZZ_CHECK(!memcmp(&d, &d0, sizeof(d)) && !memcmp(&env, &env0, sizeof(env)));
		check_vector(&(struct run){insn, avail, &d, gpa, write_fault, &before, &regs, &m,
					   &x, s, vregs_before});
		check_parts(d.mem_size, take(&in, 2) & 0xfff, DEV_BASE, take(&in, 8) & ~0xfffULL);
		return 0;
	}
	FUZZ_CHECK(d.mem_size == 1 || d.mem_size == 2 || d.mem_size == 4 || d.mem_size == 8 ||
		   (d.op == DECODE_OP_CMPXCHG16B && d.mem_size == 16));
	if (follow && d.op == DECODE_OP_CMPXCHG16B) /* half the time aligned, so not #GP */
		steer(&d,
		      ref_linear(&d, env.seg_base, d.mem.seg,
				 decode_ea(&d, &d.mem, before.gpr, before.rip)) &
			  ~15ULL,
		      &env, &before);

	env.stack_size = d.mode == DECODE_MODE_64 ? 8 : (ctl & 0x40) ? 4 : 2;
	/* CMPS: bit 7 puts the device on the seg:rSI side, else on ES:rDI */
	m.dev_gpa = gpa;
	m.dev_lin =
	    ref_linear(&d, env.seg_base, (ctl & 0x80) ? d.mem.seg : DECODE_SEG_ES,
		       ref_reg(&before, (ctl & 0x80) ? GPR_RSI : GPR_RDI, false, d.addr_size));
	d0 = d;
	env0 = env;
	regs = before;
	ref_run(&d, gpa, write_fault, env.seg_base, env.stack_size, &m, &before, &x);
	s = emulate_insn(&d, gpa, write_fault, &regs, &env);
	FUZZ_CHECK(!memcmp(&d, &d0, sizeof(d)) && !memcmp(&env, &env0, sizeof(env)));
	check(&(struct run){insn, avail, &d, gpa, write_fault, &before, &regs, &m, &x, s, NULL});
	return 0;
}
