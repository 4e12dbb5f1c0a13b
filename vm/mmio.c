/*
 * The MMIO path (docs/mmio.md): an access the CPU made on its own, not for
 * the instruction at RIP (vm/mmio_cause.c), ends the guest; for the
 * instruction's own, fetch up to 15 instruction bytes at CS:RIP
 * through the guest's page tables, decode them (vm/decode.c), emulate the
 * one memory access against the device model and the guest's registers
 * (vm/emulate.c), then write the registers, RIP and RFLAGS back. Anything
 * the decoder does not handle ends the guest with a report naming the
 * bytes; a RAM side of MOVS/STOS that faults in the guest's page tables
 * gets the #PF it would get on hardware.
 */
#include "vm/mmio.h"
#include "arch/x86/cpu.h"
#include "arch/x86/exception.h"
#include "arch/x86/vec_regs.h"
#include "lib/console.h"
#include "lib/string.h"
#include "vm/decode.h"
#include "vm/emulate.h"
#include "vm/gaccess.h"
#include "vm/guest.h"
#include "vmx/cr.h"
#include "vmx/vcpu.h"
#include "vmx/vmcs_fields.h"
#include "vmx/vmx_insn.h"

#define MMIO_INSN_MAX 15

struct mmio_ctx {
	struct vcpu *v;
	const struct dev_region *r;
	struct gaccess_fault fault;
	int mem_status; /* GACCESS_* of a failed RAM access */
};

static bool dev_read(void *ctx, u64 gpa, unsigned size, u64 *val)
{
	struct mmio_ctx *c = ctx;
	const struct dev_region *r = dev_find(c->v->guest, DEV_MMIO, gpa, size);

	if (!r)
		return false;
	*val = r->ops->read(c->v->guest, r->state, gpa - r->base, size);
	return true;
}

static bool dev_write(void *ctx, u64 gpa, unsigned size, u64 val)
{
	struct mmio_ctx *c = ctx;
	const struct dev_region *r = dev_find(c->v->guest, DEV_MMIO, gpa, size);

	if (!r)
		return false;
	r->ops->write(c->v->guest, r->state, gpa - r->base, size, val);
	return true;
}

static bool mem_read(void *ctx, u64 linear, unsigned size, u64 *val)
{
	struct mmio_ctx *c = ctx;

	*val = 0;
	c->mem_status = gaccess_read(c->v, linear, val, size, &c->fault);
	return c->mem_status == GACCESS_OK;
}

static bool mem_write(void *ctx, u64 linear, unsigned size, u64 val)
{
	struct mmio_ctx *c = ctx;

	c->mem_status = gaccess_write(c->v, linear, &val, size, &c->fault);
	return c->mem_status == GACCESS_OK;
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
	for (unsigned i = 0; i < DECODE_SEG_COUNT; i++)
		env.seg_base[i] = vmcs_read(VMCS_GUEST_ES_BASE + 2 * i);
	env.stack_size = stack_size(d.mode);
	env.vec_read = vec_read;
	env.vec_write = vec_write;
	env.cr0 = cr_guest_cr0();
	env.cr4 = cr_guest_cr4();
	env.xcr0 = v->msrs.xcr0;
	load_regs(v, &regs);
	s = emulate_insn(&d, gpa, write_fault, &regs, &env);
	if (inject_fault(v, s))
		return true;
	if (s == EMULATE_MEM_FAILED && c.mem_status == GACCESS_PAGE_FAULT) {
		gaccess_inject_pf(v, &c.fault);
		return true;
	}
	if (s != EMULATE_OK) {
		end_undecodable(v, gpa, emulate_status_name(s), bytes, d.len);
		return true;
	}
	store_regs(v, &regs);
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
