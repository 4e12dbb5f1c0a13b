/*
 * Guest "intr": how Keel delivers interrupts, the edge cases a local APIC
 * test (tests/guests/apic.c) does not aim at. Run with ept=4k so that a
 * fresh page faults on its own.
 *
 *   - STI shadow: a self IPI left pending while IF=0 is taken after the
 *     instruction that follows STI, not before it, and right after it when
 *     Keel completes that instruction (CPUID, OUT: the fast exit);
 *   - MOV SS shadow: a self IPI sent by the instruction right after MOV SS
 *     (an ICR write Keel completes) is taken right after that instruction;
 *   - a self NMI through the ICR reaches vector 2;
 *   - `sti; hlt` wakes on a one-shot APIC timer interrupt, and a periodic
 *     timer keeps waking it;
 *   - re-injection: an interrupt whose delivery pushes its frame onto a
 *     stack page the guest never touched (an EPT violation during event
 *     delivery, IDT-vectoring information valid) still arrives, exactly
 *     once, with a correct frame; KEEL_HC_STATS shows the EPT fault it cost.
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/trap.h"
#include "tests/guests/lib/vmcall.h"
#include "tests/guests/lib/x86.h"

#define APIC_REG(off) (((volatile u32 *)0xFEE00000ULL)[(off) / 4])
#define APIC_EOI      0xB0
#define APIC_ICR_LO   0x300
#define APIC_ICR_HI   0x310
#define APIC_LVT_TMR  0x320
#define APIC_TMICT    0x380
#define APIC_TDCR     0x3E0
#define ICR_SELF      (1u << 18)
#define ICR_ASSERT    (1u << 14)
#define ICR_NMI	      (4u << 8)
#define LVT_MASKED    (1u << 16)
#define LVT_PERIODIC  (1u << 17)

#define VEC_IPI	  0x40
#define VEC_TIMER 0x60
#define VEC_SWI	  0x41

static volatile u32 ipi_hits, timer_hits, nmi_hits;
static volatile u32 shadow_flag, flag_seen_by_handler;
static volatile u64 frame_rip;

static void on_ipi(struct trap_frame *f)
{
	ipi_hits++;
	flag_seen_by_handler = shadow_flag;
	frame_rip = f->ip;
	APIC_REG(APIC_EOI) = 0;
}

static void on_timer(struct trap_frame *f)
{
	timer_hits++;
	APIC_REG(APIC_EOI) = 0;
}

static void on_nmi(struct trap_frame *f)
{
	nmi_hits++;
}

static void self_ipi(u32 vec)
{
	APIC_REG(APIC_ICR_HI) = 0;
	APIC_REG(APIC_ICR_LO) = ICR_SELF | ICR_ASSERT | vec;
}

/* The interrupt pending at STI is taken after the next instruction (SDM 6.8.3). */
static void check_sti_shadow(void)
{
	shadow_flag = 0;
	self_ipi(VEC_IPI);
	check_eq("self IPI with IF=0 waits", ipi_hits, 0);
	__asm__ volatile("sti; movl $1, %0; cli" : "=m"(shadow_flag) : : "memory");
	check_eq("self IPI delivered once after STI", ipi_hits, 1);
	check_eq("the instruction after STI ran before the handler", flag_seen_by_handler, 1);
}

/*
 * The same when the instruction in the STI shadow is one Keel completes
 * (CPUID, OUT to an unclaimed port: its fast exit): retiring it ends the
 * blocking by STI (SDM Vol. 3C 25.4.2 / Table 25-4 in Keel's retire), so
 * the interrupt is taken right after it, before the next instruction.
 */
static void check_sti_shadow_exit(void)
{
	extern char intr_after_cpuid[], intr_after_out[];
	u32 a, b, c, d;

	/* Once first: Keel's CPUID memo then has the answer (its fast exit gives it). */
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
	ipi_hits = 0;
	shadow_flag = 0;
	self_ipi(VEC_IPI);
	__asm__ volatile("sti\n\t"
			 "cpuid\n\t"
			 "intr_after_cpuid:\n\t"
			 "movl $1, %4\n\t"
			 "cli"
			 : "=a"(a), "=b"(b), "=c"(c), "=d"(d), "=m"(shadow_flag)
			 : "a"(0), "c"(0)
			 : "memory");
	check_eq("self IPI pending at STI; CPUID: taken once", ipi_hits, 1);
	check_eq("... right after CPUID, before the next instruction", frame_rip,
		 (u64)(uintptr_t)intr_after_cpuid);
	check_eq("... which had not run", flag_seen_by_handler, 0);

	ipi_hits = 0;
	shadow_flag = 0;
	self_ipi(VEC_IPI);
	__asm__ volatile("sti\n\t"
			 "outb %%al, %%dx\n\t"
			 "intr_after_out:\n\t"
			 "movl $1, %0\n\t"
			 "cli"
			 : "=m"(shadow_flag)
			 : "a"(0), "d"(0x2F0)
			 : "memory");
	check_eq("self IPI pending at STI; OUT: taken once", ipi_hits, 1);
	check_eq("... right after OUT, before the next instruction", frame_rip,
		 (u64)(uintptr_t)intr_after_out);
	check_eq("... which had not run", flag_seen_by_handler, 0);
	(void)a, (void)b, (void)c, (void)d;
}

/*
 * MOV SS blocks interrupts for one instruction (SDM 6.8.3): here that
 * instruction is the ICR write Keel completes (an APIC-write trap or an
 * emulated MMIO store), so the self IPI it sends becomes pending inside
 * the shadow and must be taken right after it, with IF=1 all along.
 */
static void check_mov_ss_shadow(void)
{
	u64 ss;

	ipi_hits = 0;
	APIC_REG(APIC_ICR_HI) = 0;
	__asm__ volatile("mov %%ss, %0\n\t"
			 "sti\n\t"
			 "nop\n\t"
			 "mov %0, %%ss\n\t"
			 "movl %2, (%1)\n\t"
			 "intr_after_icr:\n\t"
			 "cli"
			 : "=&r"(ss)
			 : "r"(&APIC_REG(APIC_ICR_LO)), "r"(ICR_SELF | ICR_ASSERT | VEC_IPI)
			 : "memory");
	{
		extern char intr_after_icr[];

		check_eq("self IPI sent in the MOV SS shadow is taken once", ipi_hits, 1);
		check_eq("... right after the ICR write", frame_rip,
			 (u64)(uintptr_t)intr_after_icr);
	}
}

static void check_nmi(void)
{
	APIC_REG(APIC_ICR_HI) = 0;
	APIC_REG(APIC_ICR_LO) = ICR_SELF | ICR_ASSERT | ICR_NMI;
	__asm__ volatile("nop" ::: "memory");
	check_eq("self NMI through the ICR reaches vector 2", nmi_hits, 1);
}

static void check_timer_wakes_hlt(void)
{
	APIC_REG(APIC_TDCR) = 0xB; /* divide by 1 */
	APIC_REG(APIC_LVT_TMR) = VEC_TIMER;
	APIC_REG(APIC_TMICT) = 50000;
	__asm__ volatile("sti; hlt; cli" ::: "memory");
	check_eq("one-shot timer wakes sti;hlt", timer_hits, 1);
	APIC_REG(APIC_LVT_TMR) = VEC_TIMER | LVT_PERIODIC;
	APIC_REG(APIC_TMICT) = 20000;
	__asm__ volatile("sti" ::: "memory");
	for (int i = 0; i < 5; i++)
		__asm__ volatile("hlt" ::: "memory");
	__asm__ volatile("cli" ::: "memory");
	APIC_REG(APIC_LVT_TMR) = LVT_MASKED;
	/*
	 * Each HLT returns only after an interrupt; more may arrive between
	 * HLTs (another guest can hold the CPU for a whole slice): at least 5.
	 */
	if (timer_hits >= 6)
		check_pass("periodic timer wakes hlt five times (%u interrupts)", timer_hits - 1);
	else
		check_fail("periodic timer wakes hlt five times: %u interrupts", timer_hits - 1);
}

/*
 * Switch to a stack in a page nothing has touched (ept=4k: its own EPT
 * fault), take a self IPI there, switch back. The CPU's push of the
 * interrupt frame is the page's first access.
 */
static struct keel_guest_stats stats;

static u64 ept_violations(void)
{
	vmcall3(KEEL_HC_STATS, (unsigned long)&stats, sizeof(stats), 0);
	return stats.ept_violations;
}

static void check_reinjection(void)
{
	u64 fresh_top = 0xC00000 + 4096; /* 12 MiB: above the image, below mem=16M */
	u64 before, after, saved;

	ipi_hits = 0;
	self_ipi(VEC_IPI);
	before = ept_violations();
	__asm__ volatile("mov %%rsp, %0\n\t"
			 "mov %1, %%rsp\n\t"
			 "sti\n\t"
			 "nop\n\t"
			 "intr_after_sti:\n\t"
			 "cli\n\t"
			 "mov %0, %%rsp"
			 : "=&r"(saved)
			 : "r"(fresh_top)
			 : "memory");
	after = ept_violations();
	check_eq("interrupt delivered once onto a never-touched stack page", ipi_hits, 1);
	check_true(after > before, "the frame push cost an EPT violation (delivery re-injected)");
	{
		extern char intr_after_sti[];

		check_eq("frame RIP is the instruction after sti; nop", frame_rip,
			 (u64)(uintptr_t)intr_after_sti);
	}
}

/*
 * The same for the guest's own INT n and INT3 (software events: RIP stays
 * on the instruction, its length in the exit): each onto a stack page of
 * its own that nothing has touched, taken exactly once, returning after
 * the instruction.
 */
static volatile u32 swi_hits, bp_hits;
static volatile u64 swi_rip, bp_rip;

static void on_swi(struct trap_frame *f)
{
	swi_hits++;
	swi_rip = f->ip;
}

static void on_bp(struct trap_frame *f)
{
	bp_hits++;
	bp_rip = f->ip;
}

static void check_sw_reinjection(void)
{
	u64 before = ept_violations(), saved;
	extern char intr_after_int[], intr_after_int3[];

	__asm__ volatile("mov %%rsp, %0\n\t"
			 "mov %1, %%rsp\n\t"
			 "int %3\n\t"
			 "intr_after_int:\n\t"
			 "mov %2, %%rsp\n\t"
			 "int3\n\t"
			 "intr_after_int3:\n\t"
			 "mov %0, %%rsp"
			 : "=&r"(saved)
			 : "r"(0xC00000ULL + 2 * 4096), "r"(0xC00000ULL + 3 * 4096), "i"(VEC_SWI)
			 : "memory");
	check_eq("INT n delivered once onto a never-touched stack page", swi_hits, 1);
	check_eq("INT3 delivered once onto a never-touched stack page", bp_hits, 1);
	check_true(ept_violations() >= before + 2, "both frame pushes cost an EPT violation");
	check_eq("INT n frame RIP is the instruction after it", swi_rip,
		 (u64)(uintptr_t)intr_after_int);
	check_eq("INT3 frame RIP is the instruction after it", bp_rip,
		 (u64)(uintptr_t)intr_after_int3);
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	idt_init();
	trap_set_handler(VEC_IPI, on_ipi);
	trap_set_handler(VEC_TIMER, on_timer);
	trap_set_handler(2, on_nmi);
	trap_set_handler(VEC_SWI, on_swi);
	trap_set_handler(3, on_bp);
	print("intr: interrupt delivery edge cases\n");
	check_sti_shadow();
	check_sti_shadow_exit();
	check_mov_ss_shadow();
	check_nmi();
	check_timer_wakes_hlt();
	check_reinjection();
	check_sw_reinjection();
}
