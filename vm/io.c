/*
 * I/O-instruction exits (SDM Vol. 3C, Table 28-5 exit qualification and
 * 28.2.5 "Information for VM Exits Due to Instruction Execution"): IN, OUT,
 * INS and OUTS, with REP. Every port exits (the I/O bitmaps are all ones),
 * so no guest access reaches a physical device: each goes to the guest's
 * device models (dev/dev.c).
 *
 * String forms are emulated an element at a time through the guest's page
 * tables. A REP run is cut into slices of at most IO_REP_SLICE elements,
 * and a slice also stops early once the vCPU's time is up (the scheduler's
 * turn or housekeeping point: vcpu_time_up), so one exit never holds the
 * CPU for long: after a slice RIP stays on the instruction, so the guest
 * re-executes it with the updated RCX/RSI/RDI (as the CPU does after an
 * interrupt).
 *
 * The memory side of an INS/OUTS element may be a device page (docs/mmio.md,
 * "INS and OUTS"): the I/O exit comes before the CPU touches memory, so
 * Keel makes that access too, to the device model (string_mmio).
 *
 * A device may make the vCPU wait in an IN (vcpu_block_on: a UART whose
 * LSR is polled for an idle transmitter): then the instruction, or the
 * element of a string, is not completed and runs again when it wakes.
 */
#include "arch/x86/cr.h"
#include "dev/dev.h"
#include "dev/pio.h"
#include "lib/console.h"
#include "vm/dbreak.h"
#include "vm/gaccess.h"
#include "vm/guest.h"
#include "vmx/cr.h"
#include "vmx/exit.h"
#include "vmx/exit_fast.h"
#include "vmx/exit_reason.h"
#include "vmx/vcpu.h"
#include "vmx/vmx_insn.h"
#include "vmx/xstate.h"

#define IO_QUAL_SIZE(q) (((q)&7) + 1)
#define IO_QUAL_IN	BIT(3)
#define IO_QUAL_STRING	BIT(4)
#define IO_QUAL_REP	BIT(5)
#define IO_QUAL_PORT(q) ((u16)((q) >> 16))
/* VM-exit instruction information for INS/OUTS (SDM Table 28-8) */
#define IO_INFO_ADDR_SIZE(i) (((i) >> 7) & 7)  /* 0: 16-bit, 1: 32-bit, 2: 64-bit */
#define IO_INFO_SEGMENT(i)   (((i) >> 15) & 7) /* ES, CS, SS, DS, FS, GS */

#define IO_REP_SLICE 4096
#define IO_REP_CLOCK 16 /* elements between two looks at the vCPU's time */

static u64 addr_mask(unsigned addr_size)
{
	return addr_size == 0 ? 0xFFFF : addr_size == 1 ? 0xFFFFFFFF : ~0ULL;
}

/*
 * The guest's I/O breakpoints (DR7 R/W=10, with CR4.DE: SDM Vol. 3B 17.2.4)
 * that size bytes at port meet, as B3:B0. The CPU does not see the access
 * Keel makes for it, so Keel raises the trap (vcpu_pend_breakpoints).
 */
static __attribute__((noinline)) u32 io_breakpoints_enabled(u64 dr7, u16 port, unsigned size)
{
	u64 dr[4];

	if (!(cr_guest_cr4() & CR4_DE))
		return 0;
	xstate_read_dr0_3(dr);
	return dbreak_match(dr7, dr, true, DBREAK_IO, port, size);
}

/* Inline: on every I/O exit; with no breakpoint enabled (DR7 L0-G3 clear) one VMREAD. */
static inline u32 io_breakpoints(u16 port, unsigned size)
{
	u64 dr7 = vmcs_read_current(VMCS_GUEST_DR7);

	return (dr7 & 0xFF) ? io_breakpoints_enabled(dr7, port, size) : 0;
}

/* Inline in both exits: the fast one calls nothing but the model. */
static inline __attribute__((always_inline)) void simple_io(struct vcpu *v, u64 q)
{
	unsigned size = IO_QUAL_SIZE(q);
	u16 port = IO_QUAL_PORT(q);
	u64 *rax = &v->regs.gpr[GPR_RAX];
	u32 hits;

	if (q & IO_QUAL_IN) {
		/* What IN keeps of RAX: the rest of AL's or AX's; IN to EAX zero-extends. */
		static const u64 keeps[9] = {[1] = ~0xFFULL, [2] = ~0xFFFFULL, [3] = ~0xFFFFFFULL};
		u32 val = dev_pio_read(v->guest, port, size);

		if (v->blocked)
			return; /* the device made it wait: the IN runs again when it wakes */
		*rax = (*rax & keeps[size]) | val;
	} else {
		dev_pio_write(v->guest, port, size, (u32)*rax);
	}
	vcpu_skip_instruction(v);
	hits = io_breakpoints(port, size);
	if (hits)
		vcpu_pend_breakpoints(v, hits);
}

/*
 * An element whose linear address translates to a device page: INS
 * writes *val there, OUTS reads it into *val, one access of `size` bytes.
 * GACCESS_OK, or the translation's failure, or GACCESS_NOT_RAM when no
 * device claims the whole element (f->gpa the element's address).
 */
static int string_mmio(struct vcpu *v, u64 linear, bool in, unsigned size, u32 *val,
		       struct gaccess_fault *f)
{
	const struct dev_region *r;
	u64 gpa;
	int s = gaccess_translate(v, linear, in ? GPT_ACCESS_WRITE : 0, &gpa, f);

	if (s != GACCESS_OK)
		return s;
	f->gpa = gpa;
	r = dev_find(v->guest, DEV_MMIO, gpa, size);
	if (!r)
		return GACCESS_NOT_RAM;
	if (in)
		r->ops->write(v->guest, r->state, gpa - r->base, size, *val);
	else
		*val = (u32)r->ops->read(v->guest, r->state, gpa - r->base, size);
	return GACCESS_OK;
}

/*
 * One INS/OUTS element; false if it did not happen: the access faulted
 * (exception injected or guest ended) or the device made the vCPU wait.
 */
static bool string_element(struct vcpu *v, u64 q, u64 linear)
{
	unsigned size = IO_QUAL_SIZE(q);
	u16 port = IO_QUAL_PORT(q);
	struct gaccess_fault f;
	u32 val = 0;
	int s;

	if (q & IO_QUAL_IN) {
		val = dev_pio_read(v->guest, port, size);
		if (v->blocked)
			return false; /* waits: this element again when it wakes */
		s = gaccess_write(v, linear, &val, size, &f);
		if (s == GACCESS_NOT_RAM)
			s = string_mmio(v, linear, true, size, &val, &f);
	} else {
		s = gaccess_read(v, linear, &val, size, &f);
		if (s == GACCESS_NOT_RAM)
			s = string_mmio(v, linear, false, size, &val, &f);
		if (s == GACCESS_OK)
			dev_pio_write(v->guest, port, size, val);
	}
	if (s == GACCESS_PAGE_FAULT)
		gaccess_inject_pf(v, &f);
	else if (s != GACCESS_OK) {
		pr_err("guest %s: EPT violation: string I/O at linear 0x%lx reaches gpa 0x%lx "
		       "outside guest RAM and MMIO, rip 0x%lx",
		       v->guest->name, linear, f.gpa, vmcs_read(VMCS_GUEST_RIP));
		guest_end(v->guest, s == GACCESS_NOMEM ? GUEST_END_OOM : GUEST_END_EPT, 0,
			  "string I/O at linear 0x%lx reaches gpa 0x%lx outside guest RAM", linear,
			  f.gpa);
	}
	return s == GACCESS_OK;
}

static void string_io(struct vcpu *v, u64 q)
{
	u32 info = (u32)vmcs_read(VMCS_EXIT_INSTRUCTION_INFO);
	unsigned asz = IO_INFO_ADDR_SIZE(info);
	u64 mask = addr_mask(asz);
	bool in = q & IO_QUAL_IN;
	unsigned idx = in ? GPR_RDI : GPR_RSI;
	/* INS always writes through ES; OUTS reads through DS or an override. */
	unsigned seg = in ? 0 : IO_INFO_SEGMENT(info);
	u64 base = vmcs_read(VMCS_GUEST_ES_BASE + 2 * seg);
	s64 step = (vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_DF) ? -(s64)IO_QUAL_SIZE(q)
							      : (s64)IO_QUAL_SIZE(q);
	u64 *rcx = &v->regs.gpr[GPR_RCX], *ri = &v->regs.gpr[idx];
	bool rep = q & IO_QUAL_REP;
	u64 count = rep ? *rcx & mask : 1;
	u32 hits = io_breakpoints(IO_QUAL_PORT(q), IO_QUAL_SIZE(q));

	for (u64 done = 0; done < count; done++) {
		/* RIP unchanged: the guest resumes the REP run when it runs next. */
		if (rep && done &&
		    (done == IO_REP_SLICE || (done % IO_REP_CLOCK == 0 && vcpu_time_up(v))))
			return;
		if (!string_element(v, q, base + (*ri & mask)))
			return;
		*ri = (*ri & ~mask) | ((*ri + (u64)step) & mask);
		if (rep)
			*rcx = (*rcx & ~mask) | ((*rcx - 1) & mask);
		/* A breakpoint traps after each iteration that meets it (SDM Vol. 3B 17.3.1.2). */
		if (hits && done + 1 < count) {
			vcpu_pend_breakpoints(v, hits);
			return;
		}
	}
	vcpu_skip_instruction(v);
	if (count)
		vcpu_pend_breakpoints(v, hits);
}

void io_handle_exit(struct vcpu *v)
{
	u64 q = vmcs_read(VMCS_EXIT_QUALIFICATION);

	if (q & IO_QUAL_STRING)
		string_io(v, q);
	else
		simple_io(v, q);
}

int io_exit_fast(struct vcpu *v, u64 exit_tsc, u64 target)
{
	u64 q = vmcs_read_current(VMCS_EXIT_QUALIFICATION);

	if (q & IO_QUAL_STRING)
		return VMX_EXIT_SLOW;
	simple_io(v, q);
	return vmx_exit_fast_device(v, exit_tsc, target, EXIT_REASON_IO_INSTRUCTION);
}
