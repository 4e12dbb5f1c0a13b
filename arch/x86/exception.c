/*
 * The report of a fault in Keel. Keel takes no exception on purpose, and
 * no interrupt but an idle CPU's wake-up IPI (arch/x86/smp.c), so any other
 * vector that reaches exception_dispatch() is a Keel bug (or a test=
 * self-test): it prints the vector's name, error code, RIP, control
 * registers, every general register and a bounded stack walk, then ends the
 * run with KEEL_STATUS_BUG. A fault while reporting prints one line and
 * stops; a fault while printing that line halts.
 */
#include "arch/x86/exception.h"
#include "arch/x86/cpu.h"
#include "arch/x86/gdt.h"
#include "arch/x86/percpu.h"
#include "arch/x86/smp.h"
#include "boot/end.h"
#include "lib/console.h"
#include "lib/format.h"
#include "lib/panic.h"
#include "mm/addr.h"

#define STACK_WALK_MAX 8

/* boot/entry.S: the boot stack is [boot_stack_guard + PAGE_SIZE, boot_stack_top). */
extern u8 boot_stack_guard[], boot_stack_top[];

/* True if [p, p + n) lies inside one of the stacks this CPU runs on. */
static bool exception_in_known_stack(uintptr_t p, size_t n)
{
	const struct cpu *c = this_cpu();
	uintptr_t lo = (uintptr_t)boot_stack_guard + PAGE_SIZE, hi = (uintptr_t)boot_stack_top;

	if (c->index) {
		lo = c->stack_lo;
		hi = c->stack_hi;
	}
	if (p >= lo && p <= hi - n)
		return true;
	for (unsigned ist = 1; gdt_ist_stack(ist, &lo, &hi); ist++) {
		if (p >= lo && p <= hi - n)
			return true;
	}
	return false;
}

/*
 * Prints up to STACK_WALK_MAX return addresses from the frame-pointer chain
 * starting at f->rbp. Each frame pointer is read only if the frame lies in a
 * known stack, and each must be above the last, so a corrupt chain ends the
 * walk instead of faulting or looping.
 */
static void exception_print_stack(const struct exception_frame *f)
{
	char line[24 + STACK_WALK_MAX * 20];
	size_t used = fmt_snprintf(line, sizeof(line), "  stack:");
	uintptr_t rbp = f->rbp;
	unsigned count = 0;

	while (count < STACK_WALK_MAX && IS_ALIGNED(rbp, 8) &&
	       exception_in_known_stack(rbp, 2 * sizeof(u64))) {
		const u64 *frame = (const u64 *)rbp;

		if (frame[1] == 0)
			break;
		used += fmt_snprintf(line + used, sizeof(line) - used, " 0x%lx", frame[1]);
		count++;
		if (frame[0] <= rbp)
			break;
		rbp = frame[0];
	}
	if (count == 0)
		pr_err("  stack: no frames (rbp 0x%lx is not in a Keel stack)", f->rbp);
	else
		pr_err("%s", line);
}

static void exception_print_regs(const struct exception_frame *f)
{
	pr_err("  rip 0x%016lx cs 0x%04lx rflags 0x%016lx", f->rip, f->cs, f->rflags);
	pr_err("  cr0 0x%016lx cr2 0x%016lx cr3 0x%016lx cr4 0x%016lx", read_cr0(), read_cr2(),
	       read_cr3(), read_cr4());
	pr_err("  rax 0x%016lx rbx 0x%016lx rcx 0x%016lx rdx 0x%016lx", f->rax, f->rbx, f->rcx,
	       f->rdx);
	pr_err("  rsi 0x%016lx rdi 0x%016lx rbp 0x%016lx rsp 0x%016lx", f->rsi, f->rdi, f->rbp,
	       f->rsp);
	pr_err("  r8  0x%016lx r9  0x%016lx r10 0x%016lx r11 0x%016lx", f->r8, f->r9, f->r10,
	       f->r11);
	pr_err("  r12 0x%016lx r13 0x%016lx r14 0x%016lx r15 0x%016lx", f->r12, f->r13, f->r14,
	       f->r15);
}

static void exception_report(const struct exception_frame *f)
{
	char what[64];

	exception_decode_name(f->vector, what, sizeof(what));
	pr_err("FAULT in Keel: %s (vector %lu), error code 0x%lx", what, f->vector, f->error_code);
	if (f->vector == EXC_PF) {
		exception_decode_pf(f->error_code, what, sizeof(what));
		pr_err("  page fault: %s", what);
	}
	pr_err("  on CPU %u (APIC ID %u)", this_cpu()->index, this_cpu()->apic_id);
	exception_print_regs(f);
	exception_print_stack(f);
}

void exception_dispatch(struct exception_frame *f)
{
	/*
	 * Shared, atomic: faults on any CPU count here. The first gets the report,
	 * a second (while reporting, or on another CPU) the short line, later ones a halt.
	 */
	static unsigned depth;

	if (f->vector >= EXC_FIRST_INTERRUPT && smp_interrupt((unsigned)f->vector))
		return; /* an idle CPU's wake-up: it resumes after its HLT */
	if (f->vector == EXC_NMI && smp_nmi(&f->rip))
		return; /* a kick (smp_kick_by_nmi); its IRET unblocks NMIs */
	switch (__atomic_fetch_add(&depth, 1, __ATOMIC_RELAXED)) {
	case 0:
		exception_report(f);
		break;
	case 1:
		pr_err("fault while reporting: vector %lu at rip 0x%016lx", f->vector, f->rip);
		break;
	default:
		cpu_halt_forever();
	}
	keel_end(KEEL_STATUS_BUG);
}
