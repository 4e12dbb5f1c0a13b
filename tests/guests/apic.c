/*
 * Guest "apic": the local APIC in xAPIC mode and interrupt delivery, judged
 * by the Intel SDM Vol. 3A chapter "Advanced Programmable Interrupt
 * Controller (APIC)" (10.x in older editions, 11.x in newer ones; section
 * titles are quoted below). Every check prints one PASS or FAIL line
 * prefixed by its group; every wait is bounded by RDTSC (the only waits
 * that are not are HLTs whose wake-up is the thing under test).
 *
 * Groups, in the order they run (`-- only=NAME[,NAME...]` runs a subset):
 *   cpu       CPUID.1:EDX[9] APIC, CPUID.1:ECX[21] x2APIC set, MOV CR8
 *             with bits 63:4 set -> #GP(0)
 *   msr       x2APIC MSRs -> #GP(0) in xAPIC mode; IA32_APIC_BASE value,
 *             reserved bits and EXTD without EN -> #GP(0)
 *   regs      ID, version, TPR, CR8 <-> TPR, PPR, LDR, DFR, SPIV and the
 *             software-disabled state, ICR high
 *   base      moving the APIC page with IA32_APIC_BASE and back
 *   esr       ESR write-then-read protocol, send-illegal-vector, LVT error
 *   ipi       fixed IPIs: self shorthand, physical and logical destinations,
 *             broadcast, all-excluding-self; IRR/ISR/PPR/EOI; ICR read-back
 *             and delivery status
 *   prio      two pending vectors arrive highest first; an in-service vector
 *             holds back a lower one until EOI; a higher one nests, and each
 *             EOI clears the highest ISR bit
 *   tpr       TPR (MMIO and CR8) holds back vectors of its class and below
 *   nmi       NMI IPI delivered with IF=0; a second one waits for IRET. Sent
 *             to the own APIC ID, not with the self shorthand, which
 *             Table 10-6 lists as invalid for NMI
 *   initsipi  INIT and SIPI to a missing APIC ID are dropped
 *   shadow    STI's interrupt shadow, `sti; hlt` with a pending interrupt
 *   timer     TMCCT counts, TDCR, one-shot through `sti; hlt`, masked LVT
 *   periodic  periodic mode: K interrupts, TMCCT reloads, TMICT=0 stops it
 *   deadline  TSC-deadline mode if CPUID.1:ECX[24], else its MSR -> #GP
 *   disable   IA32_APIC_BASE.EN cleared and set again
 *   x2apic    x2APIC mode: ID, version, LDR, read-only/write-only and
 *             reserved-bit #GP rules, TPR, SELF IPI, ICR, EOI, the timer
 *             through MSRs, the MMIO page gone, leaving through disabled
 *
 * The APIC page lies outside guest RAM; the boot page tables map all of
 * 0-4 GiB with 2 MiB pages, so the guest only marks the two 2 MiB pages
 * around 0xFED00000 and 0xFEE00000 uncached (SDM 10.4.1: "mapped to memory
 * that is designated as strong uncacheable (UC)"). The 8259 pair is masked
 * and LINT0/LINT1 are masked, so only the sources a group programs can
 * interrupt.
 *
 * One file of ~1400 lines: the groups share the register accessors and the
 * interrupt log, and a guest is one C file (guests.mk).
 */
#include "tests/guests/lib/bootargs.h"
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/trap.h"
#include "tests/guests/lib/x86.h"

/* CPUID (SDM Vol. 2A, CPUID, Tables 3-10 and 3-11). */
#define CPUID1_EDX_APIC		BIT(9)
#define CPUID1_ECX_X2APIC	BIT(21)
#define CPUID1_ECX_TSC_DEADLINE BIT(24)
#define CPUID1_EBX_APIC_ID(ebx) ((ebx) >> 24)

/* 10.4.4 "Local APIC Status and Location": IA32_APIC_BASE. */
#define APIC_BASE_BSP	  BIT(8)
#define APIC_BASE_EXTD	  BIT(10)
#define APIC_BASE_EN	  BIT(11)
#define APIC_BASE_DEFAULT 0xFEE00000ULL
#define APIC_BASE_MOVED	  0xFED00000ULL /* a free page below 4 GiB: no device there */
#define APIC_BASE_NORMAL  (APIC_BASE_DEFAULT | APIC_BASE_EN | APIC_BASE_BSP)

/* MSRs: IA32_TSC_DEADLINE (10.5.4.1) and x2APIC registers (10.12.1.2). */
#define MSR_TSC_DEADLINE 0x6E0
#define MSR_X2APIC_ID	 0x802
#define MSR_X2APIC_TPR	 0x808
#define MSR_X2APIC_ICR	 0x830
#define MSR_X2APIC_VER	 0x803
#define MSR_X2APIC_EOI	 0x80B
#define MSR_X2APIC_LDR	 0x80D
#define MSR_X2APIC_DFR	 0x80E
#define MSR_X2APIC_ISR	 0x810
#define MSR_X2APIC_IRR	 0x820
#define MSR_X2APIC_LVTT	 0x832
#define MSR_X2APIC_TMICT 0x838
#define MSR_X2APIC_TMCCT 0x839
#define MSR_X2APIC_TDCR	 0x83E
#define MSR_X2APIC_SELF	 0x83F

/* Table 10-1 "Local APIC Register Address Map": offsets in the page. */
#define APIC_ID	       0x020
#define APIC_VERSION   0x030
#define APIC_TPR       0x080
#define APIC_PPR       0x0A0
#define APIC_EOI       0x0B0
#define APIC_LDR       0x0D0
#define APIC_DFR       0x0E0
#define APIC_SPIV      0x0F0
#define APIC_ISR       0x100 /* 8 registers, 0x10 apart: vectors 32*i..32*i+31 */
#define APIC_IRR       0x200
#define APIC_ESR       0x280
#define APIC_ICR_LO    0x300
#define APIC_ICR_HI    0x310
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_THERM 0x330
#define APIC_LVT_PERF  0x340
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERROR 0x370
#define APIC_TMICT     0x380
#define APIC_TMCCT     0x390
#define APIC_TDCR      0x3E0

/* 10.4.8 "Local APIC Version Register". */
#define APIC_VERSION_VER(v)	((v)&0xFF)
#define APIC_VERSION_MAXLVT(v)	(((v) >> 16) & 0xFF)
#define APIC_VERSION_INTEGRATED 0x10 /* 0x1X: integrated APIC */

/* 10.9 "Spurious Interrupt": SPIV. */
#define APIC_SPIV_ENABLE BIT(8)

/* 10.6.2.2 "Logical Destination Mode": DFR model, LDR logical ID. */
#define APIC_DFR_FLAT	 0xFFFFFFFFU
#define APIC_DFR_CLUSTER 0x0FFFFFFFU
#define APIC_DFR_RSVD	 0x0FFFFFFFU /* bits 27:0 read as ones */

/* 10.5.3 "Error Handling": ESR. */
#define APIC_ESR_SEND_ILLEGAL BIT(5)

/* 10.6.1 "Interrupt Command Register (ICR)". */
#define ICR_FIXED	   (0U << 8)
#define ICR_NMI		   (4U << 8)
#define ICR_INIT	   (5U << 8)
#define ICR_STARTUP	   (6U << 8)
#define ICR_LOGICAL	   BIT(11)
#define ICR_BUSY	   BIT(12) /* delivery status: send pending */
#define ICR_ASSERT	   BIT(14)
#define ICR_LEVEL	   BIT(15)
#define ICR_SELF	   (1U << 18)
#define ICR_ALL		   (2U << 18)
#define ICR_OTHERS	   (3U << 18)
#define ICR_DEST(id)	   ((u32)(id) << 24) /* ICR high */
#define ICR_DEST_BROADCAST 0xFF

/* 10.5.1 "Local Vector Table". */
#define LVT_MASK	 BIT(16)
#define LVT_ONESHOT	 (0U << 17)
#define LVT_PERIODIC	 (1U << 17)
#define LVT_TSC_DEADLINE (2U << 17)

/* 10.5.4 "APIC Timer": divide configuration (bits 3, 1:0). */
#define TDCR_DIV1  0xB
#define TDCR_DIV16 0x3

/* Page-table entry bits (SDM Vol. 3A 4.5): present, PWT, PCD, PS. */
#define PTE_P	 BIT(0)
#define PTE_PWT	 BIT(3)
#define PTE_PCD	 BIT(4)
#define PTE_PS	 BIT(7)
#define PTE_ADDR 0x000FFFFFFFFFF000ULL

/* The vectors the groups use. */
#define VEC_NMI	     2
#define VEC_ILLEGAL  3 /* < 16: illegal for the APIC (10.5.2 "Valid Interrupt Vectors") */
#define VEC_IPI	     0x40
#define VEC_LOW	     0x50
#define VEC_TIMER    0x60
#define VEC_TPRCLASS 0x6F /* same priority class as TPR 0x60 */
#define VEC_HIGH     0x70
#define VEC_ABOVE    0x71
#define VEC_ERROR    0xFE
#define VEC_SPURIOUS 0xFF

/* Bounds, in TSC ticks (Bochs: about one per instruction) and polls. */
#define WAIT_DELIVER	2000000ULL /* an interrupt that is due arrives within this */
#define WAIT_NONE	400000ULL  /* an interrupt that must not come: watched this long */
#define ICR_POLLS	1000	   /* reads of ICR low for the delivery status */
#define NMI_HOLD	200000ULL  /* the NMI handler waits this long for a nested NMI */
#define CAL_WINDOW	1000000ULL /* timer calibration window */
#define TIMER_TARGET	300000ULL  /* a one-shot period aimed at */
#define TIMER_MIN	64	   /* the smallest initial count used */
#define PERIODIC_K	4	   /* periodic interrupts waited for */
#define IRQ_LOG		16	   /* interrupts remembered in order */
#define PIC_MASTER_DATA 0x21
#define PIC_SLAVE_DATA	0xA1

/* ------------------------------------------------------------------ */
/* CPU helpers */

static inline void cpu_sti(void)
{
	__asm__ volatile("sti" ::: "memory");
}

static inline void cpu_cli(void)
{
	__asm__ volatile("cli" ::: "memory");
}

static inline void cpu_pause(void)
{
	__asm__ volatile("pause" ::: "memory");
}

static inline u64 cr8_read(void)
{
	u64 v;

	__asm__ volatile("mov %%cr8, %0" : "=r"(v));
	return v;
}

static void cr8_write(u64 v)
{
	trap_reset();
	__asm__ volatile(TRAP_INSN("mov %0, %%cr8") : : "r"(v) : "memory");
}

static u64 msr_read(u32 msr)
{
	return trap_rdmsr(msr, 0);
}

static void msr_write(u32 msr, u64 v)
{
	trap_wrmsr(msr, v);
}

/* Spins for ticks TSC ticks with the interrupt flag as it is. */
static void spin_ticks(u64 ticks)
{
	u64 t0 = x86_rdtsc();

	while (x86_rdtsc() - t0 < ticks)
		cpu_pause();
}

/* ------------------------------------------------------------------ */
/* Registers */

static uintptr_t apic_va = APIC_BASE_DEFAULT; /* where the APIC page is now */
static u32 apic_self;			      /* own APIC ID (ID register 31:24) */
static u32 apic_maxlvt;
static struct x86_cpuid cpuid1;

/* 10.4.1: registers are 32 bits wide, accessed at 16-byte-aligned offsets. */
static inline u32 apic_read(u32 off)
{
	return *(volatile u32 *)(apic_va + off);
}

static inline void apic_write(u32 off, u32 v)
{
	*(volatile u32 *)(apic_va + off) = v;
}

/* Bit `vector` of the 256-bit register at base (ISR, IRR). */
static bool apic_bit(u32 base, u32 vector)
{
	return (apic_read(base + 0x10 * (vector / 32)) >> (vector % 32)) & 1;
}

static bool x2apic_on; /* group x2apic: registers through MSRs (10.12.1.2) */

static void apic_eoi(void)
{
	if (x2apic_on)
		msr_write(MSR_X2APIC_EOI, 0);
	else
		apic_write(APIC_EOI, 0);
}

/* Polls the ICR's delivery status: true once it reads idle. */
static bool apic_icr_idle(void)
{
	for (u32 i = 0; i < ICR_POLLS; i++)
		if (!(apic_read(APIC_ICR_LO) & ICR_BUSY))
			return true;
	return false;
}

/* Sends an IPI: ICR high first, the write to ICR low sends (10.6.1). */
static void apic_send(u32 dest, u32 lo)
{
	apic_write(APIC_ICR_HI, ICR_DEST(dest));
	apic_write(APIC_ICR_LO, lo);
}

/* The ESR after the write that latches it (10.5.3). */
static u32 apic_esr(void)
{
	apic_write(APIC_ESR, 0);
	return apic_read(APIC_ESR);
}

/*
 * Marks the boot page tables' leaf that maps va uncached (PCD|PWT: PAT
 * entry 3, UC in the power-up PAT). The tables are identity mapped. Returns
 * false when va is not mapped.
 */
static bool map_uncached(u64 va)
{
	u64 *table = (u64 *)(uintptr_t)(x86_read_cr3() & PTE_ADDR);

	for (int level = 3; level >= 0; level--) {
		u64 *e = &table[(va >> (12 + 9 * level)) & 511];

		if (!(*e & PTE_P))
			return false;
		if (level == 0 || (level < 3 && (*e & PTE_PS))) {
			*e |= PTE_PCD | PTE_PWT;
			__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
			return true;
		}
		table = (u64 *)(uintptr_t)(*e & PTE_ADDR);
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* The interrupt log: every vector 32-255 goes to irq_handler. */

struct irq_log {
	u32 hits[256];
	bool isr_at_entry[256]; /* the vector's ISR bit inside its handler */
	u32 ppr_at_entry[256];
	u64 ip[256];  /* interrupted RIP of the last hit */
	u64 tsc[256]; /* RDTSC at the last hit */
	u32 order[IRQ_LOG];
	u64 order_tsc[IRQ_LOG];
	u32 count;
	bool no_eoi[256]; /* leave the EOI to the test */
	bool probe;	  /* read ISR and PPR in the handler */
};

static volatile struct irq_log irq;
static volatile u32 irq_total[256]; /* over the whole run */

/* Logs one interrupt (called with IF=0 from a handler). */
static void irq_note(const struct trap_frame *f)
{
	u32 v = (u32)f->vector;

	irq.tsc[v] = x86_rdtsc();
	irq.ip[v] = f->ip;
	if (irq.probe) {
		irq.isr_at_entry[v] = apic_bit(APIC_ISR, v);
		irq.ppr_at_entry[v] = apic_read(APIC_PPR);
	}
	if (irq.count < IRQ_LOG) {
		irq.order[irq.count] = v;
		irq.order_tsc[irq.count] = irq.tsc[v];
	}
	irq.count++;
	irq.hits[v]++;
	irq_total[v]++;
}

static void irq_handler(struct trap_frame *f)
{
	u32 v = (u32)f->vector;

	irq_note(f);
	/* 10.9: no EOI for the spurious vector. */
	if (v != VEC_SPURIOUS && !irq.no_eoi[v])
		apic_eoi();
}

/* Forgets the log (IF must be 0). */
static void irq_reset(void)
{
	for (u32 v = 0; v < 256; v++) {
		irq.hits[v] = 0;
		irq.isr_at_entry[v] = false;
		irq.ppr_at_entry[v] = 0;
		irq.no_eoi[v] = false;
	}
	irq.count = 0;
	irq.probe = false;
}

/* With IF=1 until vector has want hits or ticks pass; IF=0 after. */
static u32 wait_hits(u32 vector, u32 want, u64 ticks)
{
	u64 t0 = x86_rdtsc();

	cpu_sti();
	while (irq.hits[vector] < want && x86_rdtsc() - t0 < ticks)
		cpu_pause();
	cpu_cli();
	return irq.hits[vector];
}

/* With IF=1 for ticks (lets anything pending arrive); IF=0 after. */
static void settle(u64 ticks)
{
	cpu_sti();
	spin_ticks(ticks);
	cpu_cli();
}

/* Checks that vector arrived exactly once within the bounds. */
static void expect_once(const char *what, u32 vector)
{
	u32 n;

	wait_hits(vector, 1, WAIT_DELIVER);
	settle(WAIT_NONE / 4);
	n = irq.hits[vector];
	if (n == 1)
		check_pass("%s", what);
	else
		check_fail("%s: vector 0x%x arrived %u times, want once", what, vector, n);
}

/* Checks that vector does not arrive with IF=1 for WAIT_NONE ticks. */
static void expect_none(const char *what, u32 vector)
{
	u32 n = wait_hits(vector, 1, WAIT_NONE);

	if (n == 0)
		check_pass("%s", what);
	else
		check_fail("%s: vector 0x%x arrived %u times, want none", what, vector, n);
}

/* ------------------------------------------------------------------ */
/* Group cpu: no APIC access */

static void group_cpu(void)
{
	check_true(cpuid1.edx & CPUID1_EDX_APIC, "cpu: CPUID.1:EDX[9] APIC present");
	check_true(cpuid1.ecx & CPUID1_ECX_X2APIC, "cpu: CPUID.1:ECX[21] x2APIC set");
	print("apic: CPUID.1:ECX[24] TSC-deadline %s, initial APIC ID %u\n",
	      (cpuid1.ecx & CPUID1_ECX_TSC_DEADLINE) ? "set" : "clear",
	      (unsigned)CPUID1_EBX_APIC_ID(cpuid1.ebx));
	/* SDM Vol. 3A 2.5: CR8 bits 63:4 are reserved; MOV CR8 sets TPR[7:4]. */
	cr8_write(0x10);
	trap_expect("cpu: mov cr8 = 0x10 (bit 4) raises #GP(0)", TRAP_GP, 0);
	cr8_write(BIT(63));
	trap_expect("cpu: mov cr8 = bit 63 raises #GP(0)", TRAP_GP, 0);
}

/* ------------------------------------------------------------------ */
/* Group msr: x2APIC MSRs and IA32_APIC_BASE */

static void msr_expect_gp(const char *what, u32 msr, bool write, u64 v)
{
	if (write)
		msr_write(msr, v);
	else
		msr_read(msr);
	trap_expect(what, TRAP_GP, 0);
}

static u32 cpu_maxphyaddr(void)
{
	if (x86_cpuid(0x80000000, 0).eax >= 0x80000008)
		return x86_cpuid(0x80000008, 0).eax & 0xFF;
	return 36;
}

/* A write to IA32_APIC_BASE that must fault, leaving the MSR unchanged. */
static void apic_base_expect_gp(const char *what, u64 v)
{
	u64 got;

	msr_write(X86_MSR_IA32_APIC_BASE, v);
	if (!trap_expect(what, TRAP_GP, 0) && !(v & APIC_BASE_EXTD))
		msr_write(X86_MSR_IA32_APIC_BASE, APIC_BASE_NORMAL);
	if (!trap_last.count && (v & APIC_BASE_EXTD)) {
		/* 10.12.5: x2APIC -> xAPIC goes through disabled. */
		msr_write(X86_MSR_IA32_APIC_BASE, APIC_BASE_DEFAULT | APIC_BASE_BSP);
		msr_write(X86_MSR_IA32_APIC_BASE, APIC_BASE_NORMAL);
	}
	got = msr_read(X86_MSR_IA32_APIC_BASE);
	if (got != APIC_BASE_NORMAL)
		check_fail("%s: IA32_APIC_BASE now 0x%llx, want 0x%llx", what,
			   (unsigned long long)got, (unsigned long long)APIC_BASE_NORMAL);
}

static void group_msr(void)
{
	u32 maxphy = cpu_maxphyaddr();
	u64 base;

	/* 10.12.1.2: x2APIC MSRs fault outside x2APIC mode. */
	msr_expect_gp("msr: rdmsr 0x802 (x2APIC ID) raises #GP(0)", MSR_X2APIC_ID, false, 0);
	msr_expect_gp("msr: wrmsr 0x802 raises #GP(0)", MSR_X2APIC_ID, true, 0);
	msr_expect_gp("msr: rdmsr 0x808 (x2APIC TPR) raises #GP(0)", MSR_X2APIC_TPR, false, 0);
	msr_expect_gp("msr: wrmsr 0x808 raises #GP(0)", MSR_X2APIC_TPR, true, 0);
	msr_expect_gp("msr: rdmsr 0x830 (x2APIC ICR) raises #GP(0)", MSR_X2APIC_ICR, false, 0);
	msr_expect_gp("msr: wrmsr 0x830 raises #GP(0)", MSR_X2APIC_ICR, true, 0);

	base = msr_read(X86_MSR_IA32_APIC_BASE);
	if (trap_last.count)
		check_fail("msr: rdmsr IA32_APIC_BASE: %s", trap_name(trap_last.vector));
	else
		check_eq("msr: IA32_APIC_BASE = 0xFEE00000 | EN | BSP", base, APIC_BASE_NORMAL);

	/* 10.4.4: bits 0-7, 9 and MAXPHYADDR-63 are reserved. */
	apic_base_expect_gp("msr: IA32_APIC_BASE bit 0 raises #GP(0)", APIC_BASE_NORMAL | BIT(0));
	apic_base_expect_gp("msr: IA32_APIC_BASE bit 7 raises #GP(0)", APIC_BASE_NORMAL | BIT(7));
	apic_base_expect_gp("msr: IA32_APIC_BASE bit 9 raises #GP(0)", APIC_BASE_NORMAL | BIT(9));
	print("apic: MAXPHYADDR %u\n", (unsigned)maxphy);
	apic_base_expect_gp("msr: IA32_APIC_BASE bit MAXPHYADDR raises #GP(0)",
			    APIC_BASE_NORMAL | BIT(maxphy));
	apic_base_expect_gp("msr: IA32_APIC_BASE bit 63 raises #GP(0)", APIC_BASE_NORMAL | BIT(63));
	/* EN=0 with EXTD=1 is the invalid state (10.12.5). */
	apic_base_expect_gp("msr: IA32_APIC_BASE EXTD=1 EN=0 raises #GP(0)",
			    APIC_BASE_DEFAULT | APIC_BASE_BSP | APIC_BASE_EXTD);
}

/* ------------------------------------------------------------------ */
/* Setting the APIC up for the MMIO groups */

static void apic_mask_lvts(void)
{
	apic_write(APIC_LVT_TIMER, LVT_MASK | VEC_TIMER);
	apic_write(APIC_LVT_LINT0, LVT_MASK);
	apic_write(APIC_LVT_LINT1, LVT_MASK);
	apic_write(APIC_LVT_ERROR, LVT_MASK | VEC_ERROR);
	if (apic_maxlvt >= 4)
		apic_write(APIC_LVT_PERF, LVT_MASK);
	if (apic_maxlvt >= 5)
		apic_write(APIC_LVT_THERM, LVT_MASK);
}

/* Software-enables the APIC with every LVT masked, TPR 0, ESR clear. */
static void apic_setup(void)
{
	apic_self = apic_read(APIC_ID) >> 24;
	apic_maxlvt = APIC_VERSION_MAXLVT(apic_read(APIC_VERSION));
	apic_write(APIC_SPIV, APIC_SPIV_ENABLE | VEC_SPURIOUS);
	apic_mask_lvts();
	apic_write(APIC_TMICT, 0);
	apic_write(APIC_TDCR, TDCR_DIV1);
	apic_write(APIC_TPR, 0);
	apic_write(APIC_DFR, APIC_DFR_FLAT);
	apic_write(APIC_LDR, 0);
	apic_esr();
	apic_esr();
}

static bool apic_prepared;

static void apic_prepare(void)
{
	if (apic_prepared)
		return;
	apic_prepared = true;
	/* 8259 OCW1: mask every line, so ExtINT cannot reach the CPU. */
	outb(PIC_MASTER_DATA, 0xFF);
	outb(PIC_SLAVE_DATA, 0xFF);
	if (!map_uncached(APIC_BASE_DEFAULT) || !map_uncached(APIC_BASE_MOVED))
		check_fail("setup: the boot page tables do not map the APIC pages");
	print("apic: touching the APIC page at 0x%llx\n", (unsigned long long)apic_va);
	print("apic: at entry: ID 0x%x, version 0x%x, SPIV 0x%x, LVT LINT0 0x%x\n",
	      (unsigned)apic_read(APIC_ID), (unsigned)apic_read(APIC_VERSION),
	      (unsigned)apic_read(APIC_SPIV), (unsigned)apic_read(APIC_LVT_LINT0));
	apic_setup();
}

/* ------------------------------------------------------------------ */
/* Group regs */

static void regs_rw(const char *what, u32 off, u32 v, u32 want)
{
	apic_write(off, v);
	check_eq(what, apic_read(off), want);
}

static void regs_cr8(void)
{
	apic_write(APIC_TPR, 0xAB);
	check_eq("regs: TPR 0xAB: CR8 reads 0xA (TPR[7:4])", cr8_read(), 0xA);
	cr8_write(0x5);
	if (trap_last.count)
		check_fail("regs: mov cr8 = 5: %s", trap_name(trap_last.vector));
	check_eq("regs: mov cr8 = 5: TPR reads 0x50", apic_read(APIC_TPR), 0x50);
	check_eq("regs: mov cr8 = 5: CR8 reads 5", cr8_read(), 5);
	cr8_write(0x10);
	trap_expect("regs: mov cr8 = 0x10 raises #GP(0)", TRAP_GP, 0);
	check_eq("regs: TPR unchanged by the faulting mov cr8", apic_read(APIC_TPR), 0x50);
	cr8_write(0);
	check_eq("regs: mov cr8 = 0: TPR reads 0", apic_read(APIC_TPR), 0);
}

/* 10.4.7.2: software-disabled, every LVT mask is set and stays set. */
static void regs_spiv(void)
{
	u32 lvt;

	regs_rw("regs: LVT error unmasked vector 0xFE reads back", APIC_LVT_ERROR, VEC_ERROR,
		VEC_ERROR);
	regs_rw("regs: SPIV 0xFF (software disabled) reads back", APIC_SPIV, VEC_SPURIOUS,
		VEC_SPURIOUS);
	lvt = apic_read(APIC_LVT_ERROR);
	check_true(lvt & LVT_MASK, "regs: software disable sets the LVT error mask");
	apic_write(APIC_LVT_ERROR, VEC_ERROR);
	check_true(apic_read(APIC_LVT_ERROR) & LVT_MASK,
		   "regs: software disabled: clearing an LVT mask is ignored");
	regs_rw("regs: SPIV 0x1FF (software enabled) reads back", APIC_SPIV,
		APIC_SPIV_ENABLE | VEC_SPURIOUS, APIC_SPIV_ENABLE | VEC_SPURIOUS);
	check_true(apic_read(APIC_LVT_ERROR) & LVT_MASK,
		   "regs: software enable leaves the LVT error mask set");
	regs_rw("regs: enabled: LVT error unmasks", APIC_LVT_ERROR, VEC_ERROR, VEC_ERROR);
	apic_write(APIC_LVT_ERROR, LVT_MASK | VEC_ERROR);
	/* Pentium 4 and later: all 8 vector bits are programmable. */
	regs_rw("regs: SPIV vector 0xE5 reads back", APIC_SPIV, APIC_SPIV_ENABLE | 0xE5,
		APIC_SPIV_ENABLE | 0xE5);
	apic_write(APIC_SPIV, APIC_SPIV_ENABLE | VEC_SPURIOUS);
}

static void group_regs(void)
{
	u32 ver = apic_read(APIC_VERSION);

	check_eq("regs: ID[31:24] = CPUID.1:EBX[31:24]", apic_read(APIC_ID) >> 24,
		 CPUID1_EBX_APIC_ID(cpuid1.ebx));
	check_eq("regs: version 0x1X (integrated APIC)", APIC_VERSION_VER(ver) & 0xF0,
		 APIC_VERSION_INTEGRATED);
	if (APIC_VERSION_MAXLVT(ver) >= 5)
		check_pass("regs: max LVT entry %u >= 5", (unsigned)APIC_VERSION_MAXLVT(ver));
	else
		check_fail("regs: max LVT entry: got %u, want >= 5",
			   (unsigned)APIC_VERSION_MAXLVT(ver));
	regs_rw("regs: TPR 0xAB reads back", APIC_TPR, 0xAB, 0xAB);
	regs_rw("regs: TPR 0x5C reads back", APIC_TPR, 0x5C, 0x5C);
	/* 10.8.3.1: PPR = TPR when TPR[7:4] >= ISRV[7:4] (nothing in service). */
	check_eq("regs: PPR = TPR 0x5C with nothing in service", apic_read(APIC_PPR), 0x5C);
	regs_rw("regs: TPR 0 reads back", APIC_TPR, 0, 0);
	check_eq("regs: PPR 0 with TPR 0", apic_read(APIC_PPR), 0);
	regs_cr8();
	regs_rw("regs: LDR 0x5A000000 reads back", APIC_LDR, 0x5A000000, 0x5A000000);
	regs_rw("regs: DFR cluster model 0x0FFFFFFF reads back", APIC_DFR, APIC_DFR_CLUSTER,
		APIC_DFR_CLUSTER);
	regs_rw("regs: DFR bits 27:0 read as ones", APIC_DFR, 0xF0000000, APIC_DFR_FLAT);
	apic_write(APIC_LDR, 0);
	regs_spiv();
	regs_rw("regs: ICR high destination 0x5A reads back", APIC_ICR_HI, ICR_DEST(0x5A),
		ICR_DEST(0x5A));
}

/* ------------------------------------------------------------------ */
/* Group base: relocating the APIC page */

static void group_base(void)
{
	u32 ver = apic_read(APIC_VERSION), id = apic_read(APIC_ID);
	u64 got;

	apic_write(APIC_TPR, 0x30);
	msr_write(X86_MSR_IA32_APIC_BASE, APIC_BASE_MOVED | APIC_BASE_EN | APIC_BASE_BSP);
	if (!trap_expect_none("base: move the APIC to 0xFED00000"))
		return;
	apic_va = APIC_BASE_MOVED;
	got = msr_read(X86_MSR_IA32_APIC_BASE);
	check_eq("base: IA32_APIC_BASE reads 0xFED00900", got,
		 APIC_BASE_MOVED | APIC_BASE_EN | APIC_BASE_BSP);
	check_eq("base: version register at the new base", apic_read(APIC_VERSION), ver);
	check_eq("base: ID register at the new base", apic_read(APIC_ID), id);
	check_eq("base: TPR at the new base keeps its value", apic_read(APIC_TPR), 0x30);
	apic_write(APIC_TPR, 0x40);
	msr_write(X86_MSR_IA32_APIC_BASE, APIC_BASE_NORMAL);
	trap_expect_none("base: move the APIC back to 0xFEE00000");
	apic_va = APIC_BASE_DEFAULT;
	check_eq("base: IA32_APIC_BASE reads 0xFEE00900 again", msr_read(X86_MSR_IA32_APIC_BASE),
		 APIC_BASE_NORMAL);
	check_eq("base: version register at 0xFEE00000 again", apic_read(APIC_VERSION), ver);
	check_eq("base: TPR written at the moved base reads back", apic_read(APIC_TPR), 0x40);
	apic_write(APIC_TPR, 0);
}

/* ------------------------------------------------------------------ */
/* Group esr */

static void group_esr(void)
{
	u32 esr;

	irq_reset();
	trap_set_handler(VEC_ILLEGAL, irq_handler);
	apic_esr();
	check_eq("esr: back-to-back writes clear ESR", apic_esr(), 0);
	apic_write(APIC_LVT_ERROR, VEC_ERROR);
	apic_send(0, ICR_ASSERT | ICR_SELF | ICR_FIXED | VEC_ILLEGAL);
	check_true(apic_icr_idle(), "esr: illegal-vector IPI: delivery status idle");
	/* 10.5.3: the ESR shows new errors only after a write. */
	check_eq("esr: read before the write still 0", apic_read(APIC_ESR), 0);
	apic_write(APIC_ESR, 0);
	esr = apic_read(APIC_ESR);
	if (esr & APIC_ESR_SEND_ILLEGAL)
		check_pass("esr: after the write: send illegal vector (ESR 0x%x)", (unsigned)esr);
	else
		check_fail("esr: after the write: got 0x%x, want bit 5 (send illegal vector)",
			   (unsigned)esr);
	apic_write(APIC_ESR, 0);
	check_eq("esr: the next write clears it", apic_read(APIC_ESR), 0);
	check_eq("esr: no IRR bit below 16", apic_read(APIC_IRR) & 0xFFFF, 0);
	expect_once("esr: LVT error interrupt at 0xFE", VEC_ERROR);
	check_eq("esr: vector 3 never delivered", irq.hits[VEC_ILLEGAL], 0);
	apic_write(APIC_LVT_ERROR, LVT_MASK | VEC_ERROR);
	trap_set_handler(VEC_ILLEGAL, NULL);
	apic_esr();
	apic_esr();
}

/* ------------------------------------------------------------------ */
/* Group ipi */

static void ipi_self_shorthand(void)
{
	irq_reset();
	irq.no_eoi[VEC_IPI] = true;
	irq.probe = true;
	apic_send(0, ICR_ASSERT | ICR_SELF | ICR_FIXED | VEC_IPI);
	check_true(apic_icr_idle(), "ipi: self: delivery status idle after the send");
	/* Table 10-1: ICR is read/write. */
	check_eq("ipi: self: ICR low reads back the command", apic_read(APIC_ICR_LO) & ~ICR_BUSY,
		 ICR_ASSERT | ICR_SELF | ICR_FIXED | VEC_IPI);
	check_true(apic_bit(APIC_IRR, VEC_IPI), "ipi: self: IRR bit 0x40 set while IF=0");
	check_true(!apic_bit(APIC_ISR, VEC_IPI), "ipi: self: ISR bit 0x40 clear before delivery");
	check_eq("ipi: self: not delivered while IF=0", irq.hits[VEC_IPI], 0);
	expect_once("ipi: self shorthand: handler runs once", VEC_IPI);
	check_true(irq.isr_at_entry[VEC_IPI], "ipi: self: ISR bit 0x40 set in the handler");
	check_eq("ipi: self: PPR in the handler = 0x40", irq.ppr_at_entry[VEC_IPI], 0x40);
	check_true(!apic_bit(APIC_IRR, VEC_IPI), "ipi: self: IRR bit clear after delivery");
	check_true(apic_bit(APIC_ISR, VEC_IPI), "ipi: self: ISR bit still set before EOI");
	apic_eoi();
	check_true(!apic_bit(APIC_ISR, VEC_IPI), "ipi: self: EOI clears the ISR bit");
	check_eq("ipi: self: PPR 0 after EOI", apic_read(APIC_PPR), 0);
}

/* One fixed IPI to self through destination dest (ICR low bits lo). */
static void ipi_one(const char *what, u32 dest, u32 lo, bool arrives)
{
	irq_reset();
	apic_send(dest, ICR_ASSERT | ICR_FIXED | lo | VEC_IPI);
	if (!apic_icr_idle())
		check_fail("%s: delivery status still busy after %u reads", what, ICR_POLLS);
	if (arrives)
		expect_once(what, VEC_IPI);
	else
		expect_none(what, VEC_IPI);
	if (apic_bit(APIC_ISR, VEC_IPI) || apic_bit(APIC_IRR, VEC_IPI))
		check_fail("%s: ISR/IRR bit 0x40 left set", what);
}

static void group_ipi(void)
{
	ipi_self_shorthand();
	ipi_one("ipi: physical destination = own ID: delivered once", apic_self, 0, true);
	ipi_one("ipi: physical destination = another ID: not delivered", (apic_self + 1) & 0x7F, 0,
		false);
	ipi_one("ipi: physical broadcast 0xFF: delivered once", ICR_DEST_BROADCAST, 0, true);
	ipi_one("ipi: all including self: delivered once", 0, ICR_ALL, true);
	ipi_one("ipi: all excluding self: not delivered", 0, ICR_OTHERS, false);
	/* 10.6.2.2: flat model, a destination bit shared with LDR[31:24] selects. */
	apic_write(APIC_DFR, APIC_DFR_FLAT);
	apic_write(APIC_LDR, 0x01000000);
	ipi_one("ipi: logical flat 0x01 (LDR 0x01): delivered once", 0x01, ICR_LOGICAL, true);
	ipi_one("ipi: logical flat 0x03: delivered once", 0x03, ICR_LOGICAL, true);
	ipi_one("ipi: logical flat 0x02: not delivered", 0x02, ICR_LOGICAL, false);
	apic_write(APIC_LDR, 0);
}

/* ------------------------------------------------------------------ */
/* Group prio */

/* ISR bits 0x50/0x70 seen by prio_nest_handler: both in service, after one EOI, after two. */
static volatile bool nest_low[3], nest_high[3];

/*
 * The 0x50 handler: sends 0x70 to itself, opens IF and waits for it (0x70
 * is above PPR 0x50, so it nests; its handler leaves the EOI here), then
 * EOIs twice (10.8.5: each EOI clears the highest ISR bit).
 */
static void prio_nest_handler(struct trap_frame *f)
{
	u64 t0;

	irq_note(f);
	irq.no_eoi[VEC_HIGH] = true;
	apic_send(0, ICR_ASSERT | ICR_SELF | VEC_HIGH);
	t0 = x86_rdtsc();
	cpu_sti();
	while (irq.hits[VEC_HIGH] == 0 && x86_rdtsc() - t0 < WAIT_DELIVER)
		cpu_pause();
	cpu_cli();
	for (u32 i = 0; i < 3; i++) {
		nest_low[i] = apic_bit(APIC_ISR, VEC_LOW);
		nest_high[i] = apic_bit(APIC_ISR, VEC_HIGH);
		if (i < 2)
			apic_eoi();
	}
}

static void prio_nested(void)
{
	irq_reset();
	trap_set_handler(VEC_LOW, prio_nest_handler);
	apic_send(0, ICR_ASSERT | ICR_SELF | VEC_LOW);
	expect_once("prio: nested: 0x50 delivered", VEC_LOW);
	check_eq("prio: nested: 0x70 interrupts the 0x50 handler", irq.hits[VEC_HIGH], 1);
	check_true(nest_low[0] && nest_high[0], "prio: nested: ISR has 0x50 and 0x70");
	check_true(nest_low[1] && !nest_high[1], "prio: nested: first EOI clears 0x70 only");
	check_true(!nest_low[2] && !nest_high[2], "prio: nested: second EOI clears 0x50");
	if (irq.count == 2 && irq.order[0] == VEC_LOW && irq.order[1] == VEC_HIGH)
		check_pass("prio: nested: 0x50 entered first, then 0x70");
	else
		check_fail("prio: nested: %u interrupts, 0x%x then 0x%x, want 0x50 then 0x70",
			   (unsigned)irq.count, (unsigned)irq.order[0], (unsigned)irq.order[1]);
	trap_set_handler(VEC_LOW, irq_handler);
}

static void group_prio(void)
{
	/* 10.8.3: of the pending vectors, the highest goes first. */
	irq_reset();
	irq.probe = true;
	apic_send(0, ICR_ASSERT | ICR_SELF | VEC_LOW);
	apic_send(0, ICR_ASSERT | ICR_SELF | VEC_HIGH);
	check_true(apic_bit(APIC_IRR, VEC_LOW) && apic_bit(APIC_IRR, VEC_HIGH),
		   "prio: 0x50 and 0x70 both pending in IRR with IF=0");
	wait_hits(VEC_LOW, 1, WAIT_DELIVER);
	settle(WAIT_NONE / 4);
	if (irq.count == 2 && irq.order[0] == VEC_HIGH && irq.order[1] == VEC_LOW)
		check_pass("prio: 0x70 delivered before 0x50");
	else
		check_fail("prio: order: %u interrupts, first 0x%x then 0x%x, want 0x70 then 0x50",
			   (unsigned)irq.count, (unsigned)irq.order[0], (unsigned)irq.order[1]);
	check_eq("prio: PPR in the 0x70 handler = 0x70", irq.ppr_at_entry[VEC_HIGH], 0x70);
	check_eq("prio: PPR in the 0x50 handler = 0x50", irq.ppr_at_entry[VEC_LOW], 0x50);

	/* 10.8.3.1: an in-service 0x70 raises PPR and holds 0x50 back. */
	irq_reset();
	irq.no_eoi[VEC_HIGH] = true;
	apic_send(0, ICR_ASSERT | ICR_SELF | VEC_LOW);
	apic_send(0, ICR_ASSERT | ICR_SELF | VEC_HIGH);
	expect_once("prio: 0x70 delivered, left in service", VEC_HIGH);
	check_eq("prio: 0x50 held back while 0x70 is in service", irq.hits[VEC_LOW], 0);
	check_true(apic_bit(APIC_IRR, VEC_LOW), "prio: 0x50 still in IRR");
	check_eq("prio: PPR 0x70 while 0x70 is in service", apic_read(APIC_PPR), 0x70);
	apic_eoi();
	expect_once("prio: EOI of 0x70 lets 0x50 in", VEC_LOW);
	check_true(!apic_bit(APIC_ISR, VEC_HIGH) && !apic_bit(APIC_ISR, VEC_LOW),
		   "prio: ISR clear at the end");
	prio_nested();
}

/* ------------------------------------------------------------------ */
/* Group tpr */

static void group_tpr(void)
{
	/* 10.8.3.1: deliverable only when the class is above PPR[7:4]. */
	irq_reset();
	apic_write(APIC_TPR, 0x60);
	apic_send(0, ICR_ASSERT | ICR_SELF | VEC_LOW);
	apic_send(0, ICR_ASSERT | ICR_SELF | VEC_TPRCLASS);
	expect_none("tpr: TPR 0x60 holds back 0x50 with IF=1", VEC_LOW);
	check_eq("tpr: TPR 0x60 holds back 0x6F (same class)", irq.hits[VEC_TPRCLASS], 0);
	check_true(apic_bit(APIC_IRR, VEC_LOW), "tpr: 0x50 stays in IRR");
	check_true(apic_bit(APIC_IRR, VEC_TPRCLASS), "tpr: 0x6F stays in IRR");
	check_eq("tpr: PPR = 0x60", apic_read(APIC_PPR), 0x60);
	apic_send(0, ICR_ASSERT | ICR_SELF | VEC_ABOVE);
	expect_once("tpr: 0x71 (class above TPR) is delivered", VEC_ABOVE);
	check_eq("tpr: 0x50 and 0x6F still held", irq.hits[VEC_LOW] + irq.hits[VEC_TPRCLASS], 0);
	apic_write(APIC_TPR, 0);
	expect_once("tpr: TPR 0 delivers 0x50", VEC_LOW);
	check_eq("tpr: TPR 0 delivers 0x6F", irq.hits[VEC_TPRCLASS], 1);
	if (irq.count >= 3 && irq.order[1] == VEC_TPRCLASS && irq.order[2] == VEC_LOW)
		check_pass("tpr: 0x6F before 0x50 once TPR drops");
	else
		check_fail("tpr: order after TPR 0: 0x%x then 0x%x, want 0x6f then 0x50",
			   (unsigned)irq.order[1], (unsigned)irq.order[2]);

	/* The same through CR8 (TPR[7:4] = CR8[3:0]). */
	irq_reset();
	cr8_write(6);
	apic_send(0, ICR_ASSERT | ICR_SELF | VEC_LOW);
	expect_none("tpr: CR8 6 holds back 0x50", VEC_LOW);
	check_true(apic_bit(APIC_IRR, VEC_LOW), "tpr: CR8 6: 0x50 stays in IRR");
	cr8_write(0);
	expect_once("tpr: CR8 0 delivers 0x50", VEC_LOW);
}

/* ------------------------------------------------------------------ */
/* Group nmi */

static volatile u32 nmi_hits, nmi_depth, nmi_max_depth, nmi_hits_in_first;

static void nmi_handler(struct trap_frame *f)
{
	u32 n = ++nmi_hits;

	(void)f;
	if (++nmi_depth > nmi_max_depth)
		nmi_max_depth = nmi_depth;
	if (n == 1) {
		/* A second NMI now must wait for this handler's IRET (6.7.1). */
		apic_send(apic_self, ICR_ASSERT | ICR_NMI);
		spin_ticks(NMI_HOLD);
		nmi_hits_in_first = nmi_hits;
	}
	nmi_depth--;
}

static void group_nmi(void)
{
	u64 t0;

	nmi_hits = nmi_depth = nmi_max_depth = nmi_hits_in_first = 0;
	trap_set_handler(VEC_NMI, nmi_handler);
	/* Table 10-6: NMI with the self shorthand is invalid; use the own ID. */
	apic_send(apic_self, ICR_ASSERT | ICR_NMI);
	t0 = x86_rdtsc();
	while (nmi_hits < 2 && x86_rdtsc() - t0 < WAIT_DELIVER + NMI_HOLD)
		cpu_pause();
	spin_ticks(WAIT_NONE / 4);
	check_true(apic_icr_idle(), "nmi: delivery status idle");
	check_true(nmi_hits >= 1, "nmi: NMI IPI to own ID delivered with IF=0");
	check_eq("nmi: the second NMI is held while the handler runs", nmi_hits_in_first, 1);
	check_eq("nmi: handlers never nest", nmi_max_depth, 1);
	check_eq("nmi: the second NMI arrives after IRET (2 in all)", nmi_hits, 2);
	trap_set_handler(VEC_NMI, NULL);
}

/* ------------------------------------------------------------------ */
/* Group initsipi */

static void group_initsipi(void)
{
	u32 dest = apic_self == 5 ? 6 : 5;

	apic_esr();
	apic_esr();
	trap_reset();
	apic_send(dest, ICR_ASSERT | ICR_INIT);
	check_true(apic_icr_idle(), "initsipi: INIT to a missing ID: delivery status idle");
	apic_send(dest, ICR_LEVEL | ICR_INIT);
	check_true(apic_icr_idle(), "initsipi: INIT deassert: delivery status idle");
	apic_send(dest, ICR_ASSERT | ICR_STARTUP | 0x08);
	check_true(apic_icr_idle(), "initsipi: SIPI to a missing ID: delivery status idle");
	apic_send(dest, ICR_ASSERT | ICR_STARTUP | 0x08);
	check_true(apic_icr_idle(), "initsipi: second SIPI: delivery status idle");
	trap_expect_none("initsipi: the guest keeps running, no exception");
	check_eq("initsipi: ESR 0 (no send error on an xAPIC)", apic_esr(), 0);
}

/* ------------------------------------------------------------------ */
/* Timer calibration (shared by shadow, timer, periodic) */

static bool timer_ok;	 /* calibrated: TMCCT counts */
static u32 timer_n;	 /* initial count for a one-shot of about timer_ticks */
static u64 timer_ticks;	 /* expected TSC ticks for timer_n counts at divide 1 */
static u64 timer_counts; /* counts in CAL_WINDOW at divide 1 */
static bool timer_tried;

/* Counts TMCCT drops over CAL_WINDOW ticks from TMICT = ~0 (LVT masked). */
static u64 timer_measure(u32 tdcr)
{
	u32 c0, c1;
	u64 t0;

	apic_write(APIC_TDCR, tdcr);
	apic_write(APIC_TMICT, 0xFFFFFFFFU);
	c0 = apic_read(APIC_TMCCT);
	t0 = x86_rdtsc();
	spin_ticks(CAL_WINDOW);
	c1 = apic_read(APIC_TMCCT);
	t0 = x86_rdtsc() - t0;
	apic_write(APIC_TMICT, 0);
	apic_write(APIC_TDCR, TDCR_DIV1);
	if (c1 > c0)
		return 0;
	return (u64)(c0 - c1) * CAL_WINDOW / (t0 ? t0 : 1);
}

static bool timer_calibrate(void)
{
	u64 n;

	if (timer_tried)
		return timer_ok;
	timer_tried = true;
	apic_write(APIC_LVT_TIMER, LVT_MASK | VEC_TIMER);
	timer_counts = timer_measure(TDCR_DIV1);
	print("apic: timer: %llu counts per %llu TSC ticks at divide 1\n",
	      (unsigned long long)timer_counts, (unsigned long long)CAL_WINDOW);
	if (!timer_counts)
		return false;
	n = timer_counts * TIMER_TARGET / CAL_WINDOW;
	n = MAX(n, TIMER_MIN);
	n = MIN(n, 0xFFFFFFFFULL);
	timer_n = (u32)n;
	timer_ticks = n * CAL_WINDOW / timer_counts;
	timer_ok = true;
	print("apic: timer: one-shot count %u, about %llu TSC ticks\n", (unsigned)timer_n,
	      (unsigned long long)timer_ticks);
	return true;
}

/* A wait bound for something due after `ticks` ticks. */
static u64 timer_bound(u64 ticks)
{
	return 10 * ticks + WAIT_DELIVER;
}

/* ------------------------------------------------------------------ */
/* Group shadow */

/* STI, then NOP, NOP: returns the RIPs of the two NOPs. */
static void shadow_sti_nop(u64 *first, u64 *second)
{
	u64 a, b;

	__asm__ volatile("lea 2f(%%rip), %0\n\t"
			 "lea 3f(%%rip), %1\n\t"
			 "sti\n"
			 "2: nop\n"
			 "3: nop\n\t"
			 "cli"
			 : "=&r"(a), "=&r"(b)
			 :
			 : "memory");
	*first = a;
	*second = b;
}

/* STI; HLT: returns the RIP after the HLT. */
static u64 shadow_sti_hlt(void)
{
	u64 after;

	__asm__ volatile("lea 4f(%%rip), %0\n\t"
			 "sti\n\t"
			 "hlt\n"
			 "4: cli"
			 : "=&r"(after)
			 :
			 : "memory");
	return after;
}

static void group_shadow(void)
{
	u64 first, second, after;

	/* 6.8.3 / STI: IF=1 takes effect after the next instruction. */
	irq_reset();
	apic_send(0, ICR_ASSERT | ICR_SELF | VEC_IPI);
	shadow_sti_nop(&first, &second);
	if (irq.hits[VEC_IPI] != 1)
		check_fail("shadow: sti; nop: 0x40 arrived %u times, want once",
			   (unsigned)irq.hits[VEC_IPI]);
	else if (irq.ip[VEC_IPI] == first)
		check_fail("shadow: pending 0x40 delivered right after STI (rip 0x%llx), "
			   "before the instruction after it",
			   (unsigned long long)first);
	else
		check_eq("shadow: pending 0x40 delivered after the instruction after STI",
			 irq.ip[VEC_IPI], second);

	/* The sti; hlt idiom with the interrupt already pending: HLT must wake. */
	irq_reset();
	if (timer_calibrate()) {
		/* A watchdog in case HLT is entered with the IPI lost. */
		apic_write(APIC_LVT_TIMER, VEC_TIMER);
		apic_write(APIC_TMICT,
			   (u32)MIN(timer_counts * WAIT_DELIVER / CAL_WINDOW + 1, 0xFFFFFFFFULL));
	}
	apic_send(0, ICR_ASSERT | ICR_SELF | VEC_IPI);
	after = shadow_sti_hlt();
	if (irq.hits[VEC_IPI] == 1)
		check_eq("shadow: sti; hlt with 0x40 pending: wakes, delivered after HLT",
			 irq.ip[VEC_IPI], after);
	else
		check_fail("shadow: sti; hlt with 0x40 pending: 0x40 arrived %u times "
			   "(timer watchdog %u)",
			   (unsigned)irq.hits[VEC_IPI], (unsigned)irq.hits[VEC_TIMER]);
	apic_write(APIC_TMICT, 0);
	apic_write(APIC_LVT_TIMER, LVT_MASK | VEC_TIMER);
	settle(WAIT_NONE / 4);
}

/* ------------------------------------------------------------------ */
/* Group timer */

/* 10.5.4: the divide configuration scales the count rate. */
static void timer_divide(void)
{
	u64 c16;

	if (timer_counts < 16 * 20) {
		check_pass("timer: divide by 16 not compared (only %llu counts per window)",
			   (unsigned long long)timer_counts);
		return;
	}
	c16 = timer_measure(TDCR_DIV16);
	if (c16 * 16 * 10 >= timer_counts * 7 && c16 * 16 * 10 <= timer_counts * 13)
		check_pass("timer: divide by 16 counts 1/16 as fast (%llu vs %llu)",
			   (unsigned long long)c16, (unsigned long long)timer_counts);
	else
		check_fail("timer: divide by 16: %llu counts, want about %llu",
			   (unsigned long long)c16, (unsigned long long)(timer_counts / 16));
}

/* Loops `sti; hlt` until vector arrives or bound ticks pass since t0. */
static void timer_hlt_until(u32 vector, u64 t0, u64 bound)
{
	while (irq.hits[vector] == 0 && x86_rdtsc() - t0 < bound) {
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	}
}

static void timer_oneshot(void)
{
	u32 a, b;
	u64 t0;

	irq_reset();
	regs_rw("timer: LVT timer one-shot 0x60 reads back", APIC_LVT_TIMER, VEC_TIMER, VEC_TIMER);
	t0 = x86_rdtsc();
	apic_write(APIC_TMICT, timer_n);
	check_eq("timer: TMICT reads back", apic_read(APIC_TMICT), timer_n);
	spin_ticks(timer_ticks / 10);
	a = apic_read(APIC_TMCCT);
	spin_ticks(timer_ticks / 10);
	b = apic_read(APIC_TMCCT);
	if (a < timer_n && a > 0 && b < a)
		check_pass("timer: TMCCT below TMICT and decreasing (%u, %u)", (unsigned)a,
			   (unsigned)b);
	else
		check_fail("timer: TMCCT: read %u then %u, want below %u and decreasing",
			   (unsigned)a, (unsigned)b, (unsigned)timer_n);
	print("apic: timer: waiting in sti; hlt for the one-shot\n");
	timer_hlt_until(VEC_TIMER, t0, timer_bound(timer_ticks));
	check_eq("timer: sti; hlt woke on the one-shot interrupt", irq.hits[VEC_TIMER], 1);
	if (irq.hits[VEC_TIMER] && irq.tsc[VEC_TIMER] - t0 >= timer_ticks / 2)
		check_pass("timer: one-shot after %llu ticks (expected about %llu)",
			   (unsigned long long)(irq.tsc[VEC_TIMER] - t0),
			   (unsigned long long)timer_ticks);
	else if (irq.hits[VEC_TIMER])
		check_fail("timer: one-shot early: after %llu ticks, expected about %llu",
			   (unsigned long long)(irq.tsc[VEC_TIMER] - t0),
			   (unsigned long long)timer_ticks);
	check_eq("timer: TMCCT 0 after the one-shot", apic_read(APIC_TMCCT), 0);
	settle(2 * timer_ticks);
	check_eq("timer: one-shot does not repeat", irq.hits[VEC_TIMER], 1);
}

static void timer_masked(void)
{
	u32 a, b;

	irq_reset();
	apic_write(APIC_LVT_TIMER, LVT_MASK | VEC_TIMER);
	apic_write(APIC_TMICT, timer_n);
	spin_ticks(timer_ticks / 10);
	a = apic_read(APIC_TMCCT);
	wait_hits(VEC_TIMER, 1, 3 * timer_ticks + WAIT_NONE);
	check_eq("timer: masked LVT: no interrupt", irq.hits[VEC_TIMER], 0);
	if (a > 0 && a < timer_n)
		check_pass("timer: masked LVT: TMCCT still counts (%u)", (unsigned)a);
	else
		check_fail("timer: masked LVT: TMCCT read %u, want below %u", (unsigned)a,
			   (unsigned)timer_n);
	check_eq("timer: masked LVT: TMCCT reaches 0", apic_read(APIC_TMCCT), 0);
	check_true(!apic_bit(APIC_IRR, VEC_TIMER), "timer: masked LVT: IRR bit 0x60 clear");
	/* 10.5.4: a write to TMICT (re)starts the count from the new value. */
	apic_write(APIC_TMICT, timer_n);
	spin_ticks(timer_ticks / 4);
	a = apic_read(APIC_TMCCT);
	apic_write(APIC_TMICT, timer_n);
	b = apic_read(APIC_TMCCT);
	if (a < b && b <= timer_n)
		check_pass("timer: rewriting TMICT restarts the count (%u -> %u)", (unsigned)a,
			   (unsigned)b);
	else
		check_fail("timer: rewriting TMICT: TMCCT %u before, %u after, want a restart",
			   (unsigned)a, (unsigned)b);
	/* 10.5.4: writing 0 to TMICT stops the timer. */
	apic_write(APIC_TMICT, timer_n);
	apic_write(APIC_TMICT, 0);
	check_eq("timer: TMICT 0 stops it: TMCCT 0", apic_read(APIC_TMCCT), 0);
}

static void group_timer(void)
{
	apic_write(APIC_LVT_TIMER, LVT_MASK | VEC_TIMER);
	regs_rw("timer: TDCR divide by 1 (0xB) reads back", APIC_TDCR, TDCR_DIV1, TDCR_DIV1);
	if (!check_true(timer_calibrate(), "timer: TMCCT counts down from TMICT"))
		return;
	timer_divide();
	timer_oneshot();
	timer_masked();
	apic_write(APIC_LVT_TIMER, LVT_MASK | VEC_TIMER);
}

/* ------------------------------------------------------------------ */
/* Group periodic */

static void group_periodic(void)
{
	u32 n, c, short_gaps = 0;

	if (!timer_calibrate()) {
		check_fail("periodic: the timer does not count (TMCCT)");
		return;
	}
	irq_reset();
	regs_rw("periodic: LVT timer periodic 0x20060 reads back", APIC_LVT_TIMER,
		LVT_PERIODIC | VEC_TIMER, LVT_PERIODIC | VEC_TIMER);
	apic_write(APIC_TMICT, timer_n);
	n = wait_hits(VEC_TIMER, PERIODIC_K, PERIODIC_K * timer_bound(timer_ticks));
	if (n >= PERIODIC_K)
		check_pass("periodic: %u interrupts arrived", (unsigned)PERIODIC_K);
	else
		check_fail("periodic: %u of %u interrupts arrived", (unsigned)n,
			   (unsigned)PERIODIC_K);
	for (u32 i = 1; i < MIN(irq.count, (u32)IRQ_LOG); i++)
		if (irq.order_tsc[i] - irq.order_tsc[i - 1] < timer_ticks / 2)
			short_gaps++;
	check_eq("periodic: no period shorter than half the expected", short_gaps, 0);
	c = apic_read(APIC_TMCCT);
	if (c > 0 && c <= timer_n)
		check_pass("periodic: TMCCT reloads (%u of %u)", (unsigned)c, (unsigned)timer_n);
	else
		check_fail("periodic: TMCCT %u after %u periods, want 1..%u", (unsigned)c,
			   (unsigned)n, (unsigned)timer_n);
	apic_write(APIC_TMICT, 0);
	settle(WAIT_NONE / 4);
	n = irq.hits[VEC_TIMER];
	check_eq("periodic: TMICT 0: TMCCT 0", apic_read(APIC_TMCCT), 0);
	wait_hits(VEC_TIMER, n + 1, 3 * timer_ticks + WAIT_NONE);
	check_eq("periodic: TMICT 0 stops the interrupts", irq.hits[VEC_TIMER], n);
	apic_write(APIC_LVT_TIMER, LVT_MASK | VEC_TIMER);
}

/* ------------------------------------------------------------------ */
/* Group deadline: 10.5.4.1 "TSC-Deadline Mode" */

#define DEADLINE_D TIMER_TARGET

static void deadline_absent(void)
{
	msr_read(MSR_TSC_DEADLINE);
	trap_expect("deadline: not advertised: rdmsr IA32_TSC_DEADLINE raises #GP(0)", TRAP_GP, 0);
	msr_write(MSR_TSC_DEADLINE, x86_rdtsc() + DEADLINE_D);
	trap_expect("deadline: not advertised: wrmsr IA32_TSC_DEADLINE raises #GP(0)", TRAP_GP, 0);
}

static void deadline_fire(void)
{
	u64 dl, t0;

	irq_reset();
	t0 = x86_rdtsc();
	dl = t0 + DEADLINE_D;
	msr_write(MSR_TSC_DEADLINE, dl);
	check_eq("deadline: armed: IA32_TSC_DEADLINE reads the deadline",
		 msr_read(MSR_TSC_DEADLINE), dl);
	print("apic: deadline: waiting in sti; hlt\n");
	timer_hlt_until(VEC_TIMER, t0, timer_bound(DEADLINE_D));
	check_eq("deadline: sti; hlt woke on the deadline interrupt", irq.hits[VEC_TIMER], 1);
	if (irq.hits[VEC_TIMER] && irq.tsc[VEC_TIMER] >= dl)
		check_pass("deadline: interrupt at or after the deadline (+%llu)",
			   (unsigned long long)(irq.tsc[VEC_TIMER] - dl));
	else if (irq.hits[VEC_TIMER])
		check_fail("deadline: interrupt %llu ticks before the deadline",
			   (unsigned long long)(dl - irq.tsc[VEC_TIMER]));
	check_eq("deadline: IA32_TSC_DEADLINE reads 0 after it fired", msr_read(MSR_TSC_DEADLINE),
		 0);
	settle(2 * DEADLINE_D);
	check_eq("deadline: fires once", irq.hits[VEC_TIMER], 1);
}

static void group_deadline(void)
{
	if (!(cpuid1.ecx & CPUID1_ECX_TSC_DEADLINE)) {
		deadline_absent();
		return;
	}
	irq_reset();
	apic_write(APIC_LVT_TIMER, LVT_ONESHOT | LVT_MASK | VEC_TIMER);
	msr_write(MSR_TSC_DEADLINE, x86_rdtsc() + DEADLINE_D);
	trap_expect_none("deadline: wrmsr IA32_TSC_DEADLINE in one-shot mode does not fault");
	check_eq("deadline: one-shot mode: IA32_TSC_DEADLINE reads 0 (write ignored)",
		 msr_read(MSR_TSC_DEADLINE), 0);
	regs_rw("deadline: LVT timer TSC-deadline 0x40060 reads back", APIC_LVT_TIMER,
		LVT_TSC_DEADLINE | VEC_TIMER, LVT_TSC_DEADLINE | VEC_TIMER);
	__asm__ volatile("mfence" ::: "memory"); /* 10.5.4.1: LVT write before WRMSR */
	apic_write(APIC_TMICT, 12345);
	check_eq("deadline: TMCCT reads 0 (TMICT ignored)", apic_read(APIC_TMCCT), 0);
	deadline_fire();

	irq_reset();
	msr_write(MSR_TSC_DEADLINE, x86_rdtsc() - 1000);
	expect_once("deadline: a deadline already passed fires at once", VEC_TIMER);

	irq_reset();
	msr_write(MSR_TSC_DEADLINE, x86_rdtsc() + DEADLINE_D);
	msr_write(MSR_TSC_DEADLINE, 0);
	wait_hits(VEC_TIMER, 1, 3 * DEADLINE_D);
	check_eq("deadline: writing 0 disarms it", irq.hits[VEC_TIMER], 0);
	check_eq("deadline: disarmed: reads 0", msr_read(MSR_TSC_DEADLINE), 0);
	apic_write(APIC_LVT_TIMER, LVT_MASK | VEC_TIMER);
}

/* ------------------------------------------------------------------ */
/* Group disable: 10.4.3 "Enabling or Disabling the Local APIC" */

static void group_disable(void)
{
	u32 ver = apic_read(APIC_VERSION);
	u64 off = APIC_BASE_DEFAULT | APIC_BASE_BSP;

	msr_write(X86_MSR_IA32_APIC_BASE, off);
	if (!trap_expect_none("disable: clearing IA32_APIC_BASE.EN is allowed"))
		return;
	check_eq("disable: IA32_APIC_BASE reads 0xFEE00100", msr_read(X86_MSR_IA32_APIC_BASE), off);
	check_true(!(x86_cpuid(1, 0).edx & CPUID1_EDX_APIC),
		   "disable: CPUID.1:EDX[9] reads 0 while disabled");
	msr_write(X86_MSR_IA32_APIC_BASE, off | APIC_BASE_EXTD);
	trap_expect("disable: EN=0 -> EXTD=1 raises #GP(0)", TRAP_GP, 0);
	msr_write(X86_MSR_IA32_APIC_BASE, APIC_BASE_NORMAL);
	if (!trap_expect_none("disable: setting EN again is allowed"))
		return;
	check_eq("disable: IA32_APIC_BASE reads 0xFEE00900 again", msr_read(X86_MSR_IA32_APIC_BASE),
		 APIC_BASE_NORMAL);
	check_true(x86_cpuid(1, 0).edx & CPUID1_EDX_APIC, "disable: CPUID.1:EDX[9] set again");
	check_eq("disable: version register readable again", apic_read(APIC_VERSION), ver);
	/* The state may have gone back to reset values (10.4.3): set it up again. */
	apic_setup();
	irq_reset();
	apic_send(0, ICR_ASSERT | ICR_SELF | VEC_IPI);
	expect_once("disable: re-enabled APIC delivers a self IPI", VEC_IPI);
}

/* ------------------------------------------------------------------ */
/* Group x2apic: 10.12 "Extended XAPIC (x2APIC)" */

static void group_x2apic(void)
{
	u32 ver = apic_read(APIC_VERSION), id = CPUID1_EBX_APIC_ID(cpuid1.ebx), before;
	u64 x2 = APIC_BASE_NORMAL | APIC_BASE_EXTD;

	msr_write(X86_MSR_IA32_APIC_BASE, x2);
	if (!trap_expect_none("x2apic: xAPIC -> x2APIC (EXTD) is allowed"))
		return;
	x2apic_on = true;
	check_eq("x2apic: IA32_APIC_BASE reads EN | EXTD | BSP", msr_read(X86_MSR_IA32_APIC_BASE),
		 x2);
	check_eq("x2apic: ID (0x802) = CPUID.1:EBX[31:24]", msr_read(MSR_X2APIC_ID), id);
	check_eq("x2apic: version (0x803) = the xAPIC version", msr_read(MSR_X2APIC_VER), ver);
	check_eq("x2apic: LDR (0x80D) = cluster ID[19:4], bit ID[3:0]", msr_read(MSR_X2APIC_LDR),
		 ((u64)(id >> 4) << 16) | (1u << (id & 0xF)));
	check_eq("x2apic: the memory-mapped page reads all ones", apic_read(APIC_VERSION),
		 0xFFFFFFFF);
	/* 10.12.1.2: DFR is gone, EOI and SELF IPI are write-only, ID and LDR read-only. */
	msr_expect_gp("x2apic: rdmsr DFR (0x80E) raises #GP(0)", MSR_X2APIC_DFR, false, 0);
	msr_expect_gp("x2apic: rdmsr EOI (0x80B) raises #GP(0)", MSR_X2APIC_EOI, false, 0);
	msr_expect_gp("x2apic: rdmsr SELF IPI (0x83F) raises #GP(0)", MSR_X2APIC_SELF, false, 0);
	msr_expect_gp("x2apic: wrmsr ID raises #GP(0)", MSR_X2APIC_ID, true, 0);
	msr_expect_gp("x2apic: wrmsr LDR raises #GP(0)", MSR_X2APIC_LDR, true, 0);
	msr_expect_gp("x2apic: wrmsr EOI of 1 raises #GP(0)", MSR_X2APIC_EOI, true, 1);
	msr_expect_gp("x2apic: wrmsr TPR bit 8 raises #GP(0)", MSR_X2APIC_TPR, true, 0x100);
	msr_expect_gp("x2apic: wrmsr TPR bit 32 raises #GP(0)", MSR_X2APIC_TPR, true, BIT(32));
	msr_write(MSR_X2APIC_TPR, 0x50);
	check_eq("x2apic: TPR 0x50 reads back", msr_read(MSR_X2APIC_TPR), 0x50);
	check_eq("x2apic: CR8 reads TPR[7:4]", cr8_read(), 5);
	msr_write(MSR_X2APIC_TPR, 0);
	/* SELF IPI (10.12.11) and ICR with a 32-bit destination (10.12.9). */
	irq_reset();
	irq.probe = false;
	msr_write(MSR_X2APIC_SELF, VEC_IPI);
	check_true((msr_read(MSR_X2APIC_IRR + VEC_IPI / 32) >> (VEC_IPI % 32)) & 1,
		   "x2apic: SELF IPI: IRR bit set while IF=0");
	expect_once("x2apic: SELF IPI delivered once", VEC_IPI);
	check_true(!((msr_read(MSR_X2APIC_ISR + VEC_IPI / 32) >> (VEC_IPI % 32)) & 1),
		   "x2apic: EOI (0x80B) cleared the ISR bit");
	irq_reset();
	msr_write(MSR_X2APIC_ICR, ((u64)id << 32) | ICR_ASSERT | VEC_IPI);
	expect_once("x2apic: ICR to the own x2APIC ID delivered once", VEC_IPI);
	irq_reset();
	msr_write(MSR_X2APIC_ICR, (5ULL << 32) | ICR_ASSERT | VEC_IPI);
	expect_none("x2apic: ICR to x2APIC ID 5 (absent) not delivered", VEC_IPI);
	/* The timer through its MSRs. */
	irq_reset();
	msr_write(MSR_X2APIC_TDCR, TDCR_DIV1);
	msr_write(MSR_X2APIC_LVTT, VEC_TIMER);
	msr_write(MSR_X2APIC_TMICT, 200000);
	before = (u32)msr_read(MSR_X2APIC_TMCCT);
	check_true(before > 0 && before < 200000, "x2apic: TMCCT below TMICT");
	cpu_sti();
	__asm__ volatile("hlt" ::: "memory");
	cpu_cli();
	check_eq("x2apic: sti; hlt woke on the timer", irq.hits[VEC_TIMER], 1);
	check_eq("x2apic: TMCCT 0 after the one-shot", msr_read(MSR_X2APIC_TMCCT), 0);
	msr_write(MSR_X2APIC_LVTT, LVT_MASK | VEC_TIMER);
	/* 10.12.5: out of x2APIC mode only through disabled. */
	msr_write(X86_MSR_IA32_APIC_BASE, APIC_BASE_NORMAL);
	trap_expect("x2apic: x2APIC -> xAPIC directly raises #GP(0)", TRAP_GP, 0);
	msr_write(X86_MSR_IA32_APIC_BASE, APIC_BASE_DEFAULT | APIC_BASE_BSP);
	trap_expect_none("x2apic: x2APIC -> disabled is allowed");
	x2apic_on = false;
	msr_write(X86_MSR_IA32_APIC_BASE, APIC_BASE_NORMAL);
	trap_expect_none("x2apic: disabled -> xAPIC is allowed");
	msr_expect_gp("x2apic: back in xAPIC mode, rdmsr 0x802 raises #GP(0)", MSR_X2APIC_ID, false,
		      0);
	check_eq("x2apic: the memory-mapped version register answers again",
		 apic_read(APIC_VERSION), ver);
	apic_setup();
}

/* ------------------------------------------------------------------ */
/* Running the groups */

struct group {
	const char *name;
	void (*run)(void);
	bool mmio; /* touches the APIC page */
};

static const struct group groups[] = {
    {"cpu", group_cpu, false},		{"msr", group_msr, false},
    {"regs", group_regs, true},		{"base", group_base, true},
    {"esr", group_esr, true},		{"ipi", group_ipi, true},
    {"prio", group_prio, true},		{"tpr", group_tpr, true},
    {"nmi", group_nmi, true},		{"initsipi", group_initsipi, true},
    {"shadow", group_shadow, true},	{"timer", group_timer, true},
    {"periodic", group_periodic, true}, {"deadline", group_deadline, true},
    {"disable", group_disable, true},	{"x2apic", group_x2apic, true},
};

/* True when list (comma-separated, len bytes) names name. */
static bool list_has(const char *list, size_t len, const char *name)
{
	size_t i = 0;

	while (i < len) {
		size_t j = 0;

		while (name[j] && i + j < len && list[i + j] == name[j])
			j++;
		if (!name[j] && (i + j == len || list[i + j] == ','))
			return true;
		while (i < len && list[i] != ',')
			i++;
		i++;
	}
	return false;
}

/* The vectors the groups expect; any other hit is stray. */
static bool vector_used(u32 v)
{
	return v == VEC_IPI || v == VEC_LOW || v == VEC_TIMER || v == VEC_TPRCLASS ||
	       v == VEC_HIGH || v == VEC_ABOVE || v == VEC_ERROR;
}

static void check_stray(void)
{
	u32 stray = 0, first = 0;

	for (u32 v = 32; v < 256; v++) {
		if (vector_used(v) || !irq_total[v])
			continue;
		if (!stray)
			first = v;
		stray += irq_total[v];
	}
	if (stray)
		check_fail("end: %u stray interrupts (first vector 0x%x; 0xff is spurious)",
			   (unsigned)stray, (unsigned)first);
	else
		check_pass("end: no stray or spurious interrupts");
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	const char *args = bootargs_keel(info, magic), *only = NULL;
	size_t only_len = 0;
	bool any_mmio = false;

	idt_init();
	for (u32 v = 32; v < 256; v++)
		trap_set_handler(v, irq_handler);
	cpuid1 = x86_cpuid(1, 0);
	if (!bootargs_find(args, "only", &only, &only_len))
		only = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(groups); i++) {
		const struct group *g = &groups[i];

		if (only && !list_has(only, only_len, g->name))
			continue;
		print("apic: group %s\n", g->name);
		if (g->mmio) {
			apic_prepare();
			any_mmio = true;
		}
		cpu_cli();
		g->run();
		cpu_cli();
	}
	if (any_mmio)
		check_stray();
}
