/*
 * The MMIO path (docs/mmio.md): an access the CPU made on its own, not for
 * the instruction at RIP (vm/mmio_cause.c), ends the guest; for the
 * instruction's own, fetch up to 15 instruction bytes at CS:RIP
 * through the guest's page tables, decode them (vm/decode.c), find the
 * access that reached the device (vm/emulate_locate.c; none: the guest
 * ends), emulate the instruction against the device model and the guest's
 * registers (vm/emulate.c), then write the registers, RIP and RFLAGS back
 * and raise the breakpoints its accesses met. Every access goes page by
 * page to RAM or a device, whichever is there (linear_access). Anything
 * the decoder does not handle ends the guest with a report naming the
 * bytes; a page that faults in the guest's page tables gets the #PF, and a
 * segment check the #GP or #SS, it would get on hardware.
 */
#include "vm/mmio.h"
#include "arch/x86/cpu.h"
#include "arch/x86/cr.h"
#include "arch/x86/exception.h"
#include "arch/x86/vec_regs.h"
#include "lib/console.h"
#include "lib/string.h"
#include "vm/cpuid_policy.h"
#include "vm/dbreak.h"
#include "vm/decode.h"
#include "vm/emulate.h"
#include "vm/gaccess.h"
#include "vm/guest.h"
#include "vmx/cr.h"
#include "vmx/vcpu.h"
#include "vmx/vmcs_fields.h"
#include "vmx/vmx_insn.h"
#include "vmx/xstate.h"

#define MMIO_INSN_MAX 15
/* The most data accesses one emulated instruction makes (XCHG: 2, MOVS: 2, ...). */
#define MMIO_ACCESS_MAX 4

struct mmio_ctx {
	struct vcpu *v;
	const struct dev_region *r;
	struct gaccess_fault fault;
	int mem_status;		   /* GACCESS_* of a failed access */
	u64 lin_mask;		   /* linear addresses wrap here: 4 GiB outside 64-bit code */
	struct emulate_operand op; /* the device access (emulate_locate) */
	bool pieces; /* a vector move or CMPXCHG16B: its pieces are offsets into op (operand_at) */
	/* The data accesses made, for the guest's breakpoints (mmio_breakpoints). */
	struct {
		u64 lin;
		u8 size;
		bool write;
	} done[MMIO_ACCESS_MAX];
	unsigned done_count;
};

/*
 * The largest naturally aligned device access (8, 4, 2 or 1 bytes) that
 * starts at g and fits in n bytes.
 */
static unsigned piece_size(u64 g, unsigned n)
{
	unsigned p = 8;

	while (p > n || (g & (p - 1)))
		p /= 2;
	return p;
}

/* Whether n bytes at guest-physical g (one page) are RAM, or every piece has its device. */
static bool part_reachable(struct mmio_ctx *c, u64 g, unsigned n)
{
	if (g + n <= c->v->guest->mem.ram_size)
		return true;
	for (unsigned p; n; g += p, n -= p) {
		p = piece_size(g, n);
		if (g < c->v->guest->mem.ram_size || !dev_find(c->v->guest, DEV_MMIO, g, p))
			return false;
	}
	return true;
}

/* n bytes at g (one page, part_reachable): RAM through gmem, a device piece by piece. */
static bool part_access(struct mmio_ctx *c, u64 g, u8 *buf, unsigned n, bool write)
{
	struct gmem *m = &c->v->guest->mem;

	if (g + n <= m->ram_size) {
		enum gmem_status ms =
		    write ? gmem_write(m, gpa(g), buf, n) : gmem_read(m, gpa(g), buf, n);

		c->fault.gpa = g;
		c->mem_status = ms == GMEM_OK ? GACCESS_OK : GACCESS_NOMEM;
		return ms == GMEM_OK;
	}
	for (unsigned p; n; g += p, buf += p, n -= p) {
		const struct dev_region *r =
		    dev_find(c->v->guest, DEV_MMIO, g, p = piece_size(g, n));
		u64 v = 0;

		if (write) {
			memcpy(&v, buf, p);
			r->ops->write(c->v->guest, r->state, g - r->base, p, v);
		} else {
			v = r->ops->read(c->v->guest, r->state, g - r->base, p);
			memcpy(buf, &v, p);
		}
	}
	return true;
}

/*
 * The bytes of an access of size bytes (1-8) at lin whose parts are
 * translated: n[0] bytes at g[0], then (parts 2) n[1] at g[1]. Every part
 * is found reachable before any byte moves, so a hole leaves both sides
 * untouched; then the lower-addressed part goes first, the bytes
 * little-endian. The access is kept for the guest's breakpoints.
 */
static bool move_parts(struct mmio_ctx *c, u64 lin, const u64 g[2], const unsigned n[2],
		       unsigned parts, u64 *val, bool write)
{
	u8 bytes[8];
	unsigned size = n[0] + (parts > 1 ? n[1] : 0), done = 0;

	for (unsigned i = 0; i < parts; i++) {
		if (!part_reachable(c, g[i], n[i])) {
			c->fault.gpa = g[i];
			c->mem_status = GACCESS_NOT_RAM;
			return false;
		}
	}
	memcpy(bytes, val, size);
	for (unsigned i = 0; i < parts; done += n[i], i++)
		if (!part_access(c, g[i], bytes + done, n[i], write))
			return false;
	if (!write) {
		*val = 0;
		memcpy(val, bytes, size);
	}
	if (c->done_count < MMIO_ACCESS_MAX) {
		c->done[c->done_count].lin = lin;
		c->done[c->done_count].size = (u8)size;
		c->done[c->done_count++].write = write;
	}
	return true;
}

/* The pages of size bytes at lin: how many (1 or 2), and the bytes on each. */
static unsigned split_pages(const struct mmio_ctx *c, u64 lin, unsigned size, u64 at[2],
			    unsigned n[2])
{
	n[0] = (unsigned)MIN((u64)size, PAGE_SIZE - (lin & (PAGE_SIZE - 1)));
	n[1] = size - n[0];
	at[0] = lin;
	at[1] = (lin + n[0]) & c->lin_mask;
	return n[1] ? 2 : 1;
}

/*
 * size bytes (1-8) at guest-linear lin, whatever is behind each page: RAM
 * or a device (docs/mmio.md, "Accesses that span two pages"). Every page
 * is translated before any byte moves, so a #PF (kept in c->fault) leaves
 * both sides untouched; then move_parts.
 */
static bool linear_access(struct mmio_ctx *c, u64 lin, unsigned size, u64 *val, bool write)
{
	u64 at[2], g[2];
	unsigned n[2], parts;

	if (size == 0 || size > 8)
		return false;
	parts = split_pages(c, lin, size, at, n);
	for (unsigned i = 0; i < parts; i++) {
		c->mem_status =
		    gaccess_translate(c->v, at[i], write ? GPT_ACCESS_WRITE : 0, &g[i], &c->fault);
		if (c->mem_status != GACCESS_OK)
			return false;
	}
	return move_parts(c, lin, g, n, parts, val, write);
}

/*
 * The emulator's device operand: the access emulate_locate found, whose
 * pages it translated already for the exit's access (size as it found it; any
 * other size, translated afresh).
 */
static bool operand_access(struct mmio_ctx *c, unsigned size, u64 *val, bool write)
{
	u64 at[2];
	unsigned n[2], parts;

	if (size != c->op.size)
		return linear_access(c, c->op.lin, size, val, write);
	parts = split_pages(c, c->op.lin, size, at, n);
	return move_parts(c, c->op.lin, c->op.g, n, parts, val, write);
}

/*
 * The guest's data breakpoints (DR7, DR0-DR3) that the emulated
 * instruction's accesses met: a #DB trap after it (vcpu_pend_breakpoints).
 */
static void mmio_breakpoints(struct mmio_ctx *c)
{
	u64 dr7 = vmcs_read(VMCS_GUEST_DR7), dr[4];
	u32 hits = 0;

	if (!(dr7 & 0xFF))
		return; /* no L0-L3/G0-G3 bit: no breakpoint enabled */
	xstate_read_dr0_3(dr);
	for (unsigned i = 0; i < c->done_count; i++)
		hits |= dbreak_match(dr7, dr, cr_guest_cr4() & CR4_DE,
				     c->done[i].write ? DBREAK_WRITE : DBREAK_READ, c->done[i].lin,
				     c->done[i].size);
	vcpu_pend_breakpoints(c->v, hits);
}

/*
 * Whether every byte of the (vector) operand is RAM or claimed by a
 * device: checked before its first piece moves, so that a hole ends the
 * guest with nothing touched, as linear_access does for one access.
 */
static bool operand_reachable(struct mmio_ctx *c)
{
	u64 g[2];
	unsigned part[2], parts = emulate_operand_parts(&c->op, 0, c->op.size, g, part);

	for (unsigned i = 0; i < parts; i++) {
		if (!part_reachable(c, g[i], part[i])) {
			c->fault.gpa = g[i];
			c->mem_status = GACCESS_NOT_RAM;
			return false;
		}
	}
	return true;
}

/*
 * The emulator's device operand at gpa: c->op.g[0], however it splits, or
 * (the pieces of at most 8 bytes of a vector move, vm/emulate_sse.c, or of
 * CMPXCHG16B's two halves, vm/emulate_wide.c) gpa -
 * g[0] bytes into it, placed on the operand's pages (emulate_operand_parts): a
 * piece that crosses the boundary is two parts, lower first, and a device
 * part goes as naturally aligned accesses (part_access).
 */
static bool operand_at(struct mmio_ctx *c, u64 gpa, unsigned size, u64 *val, bool write)
{
	u64 off = gpa - c->op.g[0], g[2];
	unsigned n[2], parts;

	if (!c->pieces)
		return off == 0 && operand_access(c, size, val, write);
	if (off >= c->op.size || size > c->op.size - off)
		return false;
	if (off == 0 && !operand_reachable(c))
		return false;
	parts = emulate_operand_parts(&c->op, off, size, g, n);
	return move_parts(c, (c->op.lin + off) & c->lin_mask, g, n, parts, val, write);
}

static bool dev_read(void *ctx, u64 gpa, unsigned size, u64 *val)
{
	*val = 0;
	return operand_at(ctx, gpa, size, val, false);
}

static bool dev_write(void *ctx, u64 gpa, unsigned size, u64 val)
{
	return operand_at(ctx, gpa, size, &val, true);
}

/* The other side of MOVS, PUSH, POP, CMPS: RAM or a device, by linear address. */
static bool mem_read(void *ctx, u64 linear, unsigned size, u64 *val)
{
	*val = 0;
	return linear_access(ctx, linear, size, val, false);
}

static bool mem_write(void *ctx, u64 linear, unsigned size, u64 val)
{
	return linear_access(ctx, linear, size, &val, true);
}

/* CMPS: which guest-physical address a read at linear reaches. */
static bool mem_gpa(void *ctx, u64 linear, u64 *gpa)
{
	struct mmio_ctx *c = ctx;
	struct gaccess_fault f;

	return gaccess_translate(c->v, linear, 0, gpa, &f) == GACCESS_OK;
}

/* The vector moves: the guest's XMM/YMM values are the CPU's own during its exit (vmx/xstate.c). */
static bool vec_read(void *ctx, unsigned reg, unsigned size, u8 *buf)
{
	(void)ctx;
	return vec_regs_read(reg, size, buf);
}

static bool vec_write(void *ctx, unsigned reg, unsigned size, bool vex, const u8 *buf)
{
	(void)ctx;
	return vec_regs_write(reg, size, vex, buf);
}

/* An instruction the CPU would have faulted on (vm/emulate_sse.c): inject that fault. */
static bool inject_fault(struct vcpu *v, int status)
{
	if (status == EMULATE_FAULT_UD)
		vcpu_inject_ud(v);
	else if (status == EMULATE_FAULT_NM)
		vcpu_inject_exception(v, EXC_NM, false, 0);
	else if (status == EMULATE_FAULT_GP)
		vcpu_inject_gp(v);
	else if (status == EMULATE_FAULT_DE)
		vcpu_inject_exception(v, EXC_DE, false, 0);
	else
		return false;
	return true;
}

static enum decode_mode code_mode(void)
{
	u64 ar = vmcs_read(VMCS_GUEST_CS_AR);

	if (ar & VMCS_AR_L)
		return DECODE_MODE_64;
	return (ar & VMCS_AR_DB) ? DECODE_MODE_32 : DECODE_MODE_16;
}

/* rSP's width for PUSH/POP: 64-bit code's, else SS.B's (SDM Vol. 3A 3.4.5). */
static u8 stack_size(enum decode_mode mode)
{
	if (mode == DECODE_MODE_64)
		return 8;
	return (vmcs_read(VMCS_GUEST_SS_AR) & VMCS_AR_DB) ? 4 : 2;
}

/*
 * The linear address of CS:RIP: 64-bit code ignores CS's base (SDM Vol. 1
 * 3.3.7.1: a base left from compatibility mode does not count); elsewhere
 * base + EIP wraps at 4 GiB (Vol. 3A 3.4).
 */
static u64 code_linear(void)
{
	u64 rip = vmcs_read(VMCS_GUEST_RIP);

	if (code_mode() == DECODE_MODE_64)
		return rip;
	return (u32)(vmcs_read(VMCS_GUEST_CS_BASE) + rip);
}

/* Reads the instruction bytes at CS:RIP; returns how many could be read (0: none). */
static unsigned fetch(struct vcpu *v, u8 *buf)
{
	u64 at = code_linear();
	struct gaccess_fault f;
	unsigned first = (unsigned)MIN((u64)MMIO_INSN_MAX, PAGE_SIZE - (at & (PAGE_SIZE - 1)));

	if (gaccess_read(v, at, buf, first, &f) != GACCESS_OK)
		return 0;
	/* The rest may be on the next page, which need not be mapped: take what there is. */
	if (first < MMIO_INSN_MAX &&
	    gaccess_read(v, at + first, buf + first, MMIO_INSN_MAX - first, &f) == GACCESS_OK)
		return MMIO_INSN_MAX;
	return first;
}

static void end_undecodable(struct vcpu *v, u64 gpa, const char *why, const u8 *bytes, unsigned n)
{
	char hex[MMIO_INSN_MAX * 3 + 1];

	decode_hex(bytes, n, hex, sizeof(hex));
	pr_err("guest %s: MMIO at gpa 0x%lx: %s at rip 0x%lx: bytes %s", v->guest->name, gpa, why,
	       vmcs_read(VMCS_GUEST_RIP), n ? hex : "(unreadable)");
	guest_end(v->guest, GUEST_END_UNHANDLED, 0, "MMIO instruction not emulated: %s", why);
}

/* The segment registers' bases, limits and access rights, and which checks apply. */
static void load_segments(struct emulate_env *env)
{
	for (unsigned i = 0; i < DECODE_SEG_COUNT; i++) {
		env->seg_base[i] = vmcs_read(VMCS_GUEST_ES_BASE + 2 * i);
		env->seg_limit[i] = (u32)vmcs_read(VMCS_GUEST_ES_LIMIT + 2 * i);
		env->seg_ar[i] = (u32)vmcs_read(VMCS_GUEST_ES_AR + 2 * i);
	}
	env->seg_checks = (cr_guest_cr0() & CR0_PE) ? EMULATE_SEGS_PROTECTED : EMULATE_SEGS_REAL;
	env->canon_bits = (cr_guest_cr4() & CR4_LA57) ? 57 : 48;
	env->align_check = (cr_guest_cr0() & CR0_AM) &&
			   (vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_AC) && vcpu_cpl() == 3;
}

static void load_regs(const struct vcpu *v, struct emulate_regs *r)
{
	memcpy(r->gpr, v->regs.gpr, sizeof(r->gpr));
	r->gpr[GPR_RSP] = vmcs_read(VMCS_GUEST_RSP);
	r->rip = vmcs_read(VMCS_GUEST_RIP);
	r->rflags = vmcs_read(VMCS_GUEST_RFLAGS);
}

static void store_regs(struct vcpu *v, const struct emulate_regs *r)
{
	memcpy(v->regs.gpr, r->gpr, sizeof(r->gpr));
	vmcs_write(VMCS_GUEST_RSP, r->gpr[GPR_RSP]);
	vmcs_write(VMCS_GUEST_RFLAGS, r->rflags);
	vcpu_retire_instruction(v, r->rip);
}

/* emulate_locate's translation: the guest's page tables, for a read or a write. */
static int xlate(void *ctx, u64 lin, bool write, u64 *gpa)
{
	struct mmio_ctx *c = ctx;
	struct gaccess_fault f;

	return gaccess_translate(c->v, lin, write ? GPT_ACCESS_WRITE : 0, gpa, &f);
}

/*
 * The decoded operand does not reach the faulting page: the instruction
 * at RIP is not the one that faulted (another vCPU rewrote it without the
 * synchronization SDM Vol. 3A 8.1.3 asks for) or the guest's tables
 * changed under a live translation. The guest ends.
 */
static void end_elsewhere(struct vcpu *v, u64 gpa, const u8 *bytes, unsigned n)
{
	char hex[MMIO_INSN_MAX * 3 + 1];

	decode_hex(bytes, n, hex, sizeof(hex));
	pr_err("guest %s: MMIO at gpa 0x%lx: the instruction at rip 0x%lx (bytes %s) does not "
	       "access that page",
	       v->guest->name, gpa, vmcs_read(VMCS_GUEST_RIP), hex);
	guest_end(v->guest, GUEST_END_UNHANDLED, 0,
		  "MMIO at gpa 0x%lx: the instruction at RIP does not access it", gpa);
}

/*
 * A page of the device operand did not translate (emulate_locate): the
 * #PF the CPU would give, with the fault translated again to fill its
 * error code and CR2; a walk that left guest RAM ends the guest.
 */
static void locate_fault(struct mmio_ctx *c, u64 gpa, bool write_fault, const u8 *bytes, unsigned n)
{
	u64 g;

	gaccess_translate(c->v, c->op.fault_lin, write_fault ? GPT_ACCESS_WRITE : 0, &g, &c->fault);
	if (c->op.status == GACCESS_PAGE_FAULT)
		gaccess_inject_pf(c->v, &c->fault);
	else
		end_undecodable(c->v, gpa, "operand's page-table walk leaves guest RAM", bytes, n);
}

/*
 * The instruction at RIP made the access at gpa, which a device claims:
 * emulate it (or end the guest with a report naming the bytes).
 */
static bool mmio_handle(struct vcpu *v, u64 gpa, bool write_fault)
{
	struct mmio_ctx c = {.v = v, .r = dev_find(v->guest, DEV_MMIO, gpa, 1)};
	struct emulate_env env = {.ctx = &c,
				  .mmio_read = dev_read,
				  .mmio_write = dev_write,
				  .mem_read = mem_read,
				  .mem_write = mem_write,
				  .mem_gpa = mem_gpa};
	struct decode_insn d;
	struct emulate_regs regs;
	u8 bytes[MMIO_INSN_MAX];
	unsigned n;
	int s;

	if (!c.r)
		return false;
	n = fetch(v, bytes);
	s = n ? decode_insn(bytes, n, code_mode(), &d) : DECODE_TRUNCATED;
	if (s != DECODE_OK) {
		end_undecodable(v, gpa, n ? decode_status_name(s) : "instruction unreadable", bytes,
				n);
		return true;
	}
	load_segments(&env);
	env.stack_size = stack_size(d.mode);
	env.vec_read = vec_read;
	env.vec_write = vec_write;
	env.cr0 = cr_guest_cr0();
	env.cr4 = cr_guest_cr4();
	env.xcr0 = v->msrs.xcr0;
	env.cpuid1_ecx = cpuid_caps()->leaf1_ecx; /* CX16, CX8: as the guest's CPUID has them */
	env.cpuid1_edx = cpuid_caps()->leaf1_edx;
	c.lin_mask = d.mode == DECODE_MODE_64 ? ~0ULL : 0xFFFFFFFFULL;
	/* Moved in pieces of at most 8 bytes, each at its offset into the operand */
	c.pieces = decode_op_is_vector(d.op) || d.op == DECODE_OP_CMPXCHG16B;
	load_regs(v, &regs);
	s = emulate_locate(&d, gpa, write_fault, &regs, &env, c.lin_mask, xlate, &c, &c.op);
	if (s == EMULATE_LOCATE_ELSEWHERE) {
		end_elsewhere(v, gpa, bytes, d.len);
		return true;
	}
	if (s == EMULATE_LOCATE_FAULT) {
		locate_fault(&c, gpa, write_fault, bytes, d.len);
		return true;
	}
	s = emulate_insn(&d, c.op.g[0], write_fault, &regs, &env);
	if (inject_fault(v, s))
		return true;
	if (s == EMULATE_GP || s == EMULATE_SS) { /* no error code in real mode */
		vcpu_inject_exception(v, s == EMULATE_GP ? 13 : 12, cr_guest_cr0() & CR0_PE, 0);
		return true;
	}
	if (s == EMULATE_AC) { /* CPL 3: protected or virtual-8086 mode, error code 0 */
		vcpu_inject_exception(v, EXC_AC, true, 0);
		return true;
	}
	if (s != EMULATE_OK && c.mem_status == GACCESS_PAGE_FAULT) {
		gaccess_inject_pf(v, &c.fault);
		return true;
	}
	if (s != EMULATE_OK) {
		end_undecodable(v, gpa, emulate_status_name(s), bytes, d.len);
		return true;
	}
	store_regs(v, &regs);
	mmio_breakpoints(&c);
	return true;
}

/*
 * The CPU touched the device on its own (vm/mmio_cause.c): nothing at RIP
 * is to be emulated. The guest ends, the line naming what did it.
 */
static void end_not_instruction(struct vcpu *v, const struct dev_region *r, u64 gpa,
				enum mmio_cause cause, u32 vectoring)
{
	const char *dev = r->ops->name;

	if (cause == MMIO_CAUSE_DELIVERY)
		pr_err("guest %s: MMIO at gpa 0x%lx: event delivery (vector %u) touched the device "
		       "(%s) at rip 0x%lx",
		       v->guest->name, gpa, VMCS_INTR_INFO_VECTOR(vectoring), dev,
		       vmcs_read(VMCS_GUEST_RIP));
	else if (cause == MMIO_CAUSE_WALK) /* the address being translated */
		pr_err(
		    "guest %s: MMIO at gpa 0x%lx: page-table walk touched the device (%s) at rip "
		    "0x%lx, linear 0x%lx",
		    v->guest->name, gpa, dev, vmcs_read(VMCS_GUEST_RIP),
		    vmcs_read(VMCS_GUEST_LINEAR_ADDR));
	else
		pr_err("guest %s: MMIO at gpa 0x%lx: %s touched the device (%s) at rip 0x%lx",
		       v->guest->name, gpa, mmio_cause_name(cause), dev, vmcs_read(VMCS_GUEST_RIP));
	guest_end(v->guest, GUEST_END_UNHANDLED, 0, "MMIO not the instruction's: %s at gpa 0x%lx",
		  mmio_cause_name(cause), gpa);
}

bool mmio_handle_exit(struct vcpu *v, u64 gpa, enum mmio_cause cause, u32 vectoring,
		      bool write_fault)
{
	const struct dev_region *r = dev_find(v->guest, DEV_MMIO, gpa, 1);

	if (!r)
		return false;
	if (cause != MMIO_CAUSE_INSN) {
		end_not_instruction(v, r, gpa, cause, vectoring);
		return true;
	}
	return mmio_handle(v, gpa, write_fault);
}
