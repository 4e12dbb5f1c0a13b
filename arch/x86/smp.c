/*
 * Starting the other CPUs (smp.h): the trampoline's page, the INIT-SIPI-
 * SIPI sequence with the SDM's delays and a bounded wait, and the first C
 * code a started CPU runs.
 */
#include "arch/x86/smp.h"
#include "arch/x86/ap_start.h"
#include "arch/x86/cpu.h"
#include "arch/x86/cr.h"
#include "arch/x86/idt.h"
#include "arch/x86/lapic.h"
#include "arch/x86/msr.h"
#include "arch/x86/tsc.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "mm/addr.h"

#define SMP_INIT_DELAY_US    10000	/* INIT to the first STARTUP IPI (SDM 9.4.4.1) */
#define SMP_SIPI_DELAY_US    200	/* after each STARTUP IPI */
#define SMP_IPI_SEND_US	     10000	/* the local APIC's bound to send one IPI */
#define SMP_MIN_TICKS_PER_US 1		/* should the TSC rate be unknown */
#define SMP_KICK_TIMEOUT     1000000ULL /* ticks a kick waits for the ICR to be free */

#define PTE_P  BIT(0)
#define PTE_W  BIT(1)
#define PTE_PS BIT(7)

/* arch/x86/ap_start.S */
extern const u8 ap_start[], ap_start_end[];
extern const u32 ap_start_pm32_off, ap_start_lm64_off;
extern const u8 ap_entry64[];

__noreturn void smp_ap_main(struct cpu *c);

/*
 * Per-CPU: the other CPUs' stacks, slot i-1 CPU i's alone; a stack's first
 * page is its guard (smp_stack_guard).
 */
static u8 ap_stacks[CPU_MAX - 1][PAGE_SIZE + CPU_STACK_SIZE] __aligned(PAGE_SIZE);
static u8 ap_ist_stacks[CPU_MAX - 1][GDT_IST_USED * CPU_IST_STACK_SIZE] __aligned(PAGE_SIZE);

/*
 * Shared, write-once at boot: smp_prepare, before any CPU starts; the
 * started CPUs read them in smp_ap_main.
 */
static struct smp_params smp;
static u64 boot_cr0, boot_cr4, boot_efer;
/* Shared, write-once at boot: smp_kick_by_nmi, before the other CPUs start. */
static bool kick_nmi;
static void (*kick_nmi_root)(void);

_Static_assert(AP_DATA + AP_DATA_SIZE <= PAGE_SIZE, "the data block fits page 0");
_Static_assert(AP_GDT % 8 == 0 && AP_CR3 % 8 == 0, "64-bit fields are aligned");

static void put16(u8 *d, unsigned off, u16 v)
{
	memcpy(d + off, &v, sizeof(v));
}

static void put32(u8 *d, unsigned off, u32 v)
{
	memcpy(d + off, &v, sizeof(v));
}

static void put64(u8 *d, unsigned off, u64 v)
{
	memcpy(d + off, &v, sizeof(v));
}

static u64 us_ticks(u64 us)
{
	return MAX(tsc_hz / 1000000, (u64)SMP_MIN_TICKS_PER_US) * us;
}

static void smp_delay(u64 ticks)
{
	u64 start = rdtsc();

	while (rdtsc() - start < ticks)
		cpu_relax();
}

void smp_prepare(const struct smp_params *p)
{
	u64 t = p->trampoline;
	u8 *page = hpa_ptr(hpa(t)), *d = page + AP_DATA;
	u64 *pml4 = hpa_ptr(hpa(t + PAGE_SIZE)), *pdpt = hpa_ptr(hpa(t + 2 * PAGE_SIZE));
	u64 *pd = hpa_ptr(hpa(t + 3 * PAGE_SIZE));
	size_t code = (size_t)((uintptr_t)ap_start_end - (uintptr_t)ap_start);

	/* Keel's own layout: violations are Keel bugs. */
	CHECK(IS_ALIGNED(t, PAGE_SIZE) && t >= PAGE_SIZE &&
	      t + AP_START_PAGES * PAGE_SIZE <= 0xA0000);
	CHECK(code <= AP_DATA && p->entry);
	CHECK((uintptr_t)ap_entry64 < AP_TEMP_MAP_END &&
	      (uintptr_t)&ap_stacks[CPU_MAX - 1] < AP_TEMP_MAP_END);
	smp = *p;
	boot_cr0 = read_cr0();
	boot_cr4 = read_cr4() & ~CR4_VMXE; /* VMX is each CPU's own step (its entry) */
	boot_efer = rdmsr(IA32_EFER);

	memset(page, 0, AP_START_PAGES * PAGE_SIZE);
	memcpy(page, ap_start, code);
	/* The temporary identity map of [0, 1 GiB): no NX bit, so all of it executable. */
	pml4[0] = (t + 2 * PAGE_SIZE) | PTE_P | PTE_W;
	pdpt[0] = (t + 3 * PAGE_SIZE) | PTE_P | PTE_W;
	for (u64 i = 0; i < 512; i++)
		pd[i] = (i << 21) | PTE_P | PTE_W | PTE_PS;
	/* Null, 32-bit code, data, 64-bit code: all flat, DPL 0. */
	put64(d, AP_GDT + 0, 0);
	put64(d, AP_GDT + AP_SEL_CODE32, 0x00CF9A000000FFFFULL);
	put64(d, AP_GDT + AP_SEL_DATA, 0x00CF92000000FFFFULL);
	put64(d, AP_GDT + AP_SEL_CODE64, 0x00AF9A000000FFFFULL);
	put16(d, AP_GDTR, 4 * 8 - 1);
	put32(d, AP_GDTR + 2, (u32)(t + AP_DATA + AP_GDT));
	put32(d, AP_PM32, (u32)(t + ap_start_pm32_off));
	put16(d, AP_PM32 + 4, AP_SEL_CODE32);
	put32(d, AP_LM64, (u32)(t + ap_start_lm64_off));
	put16(d, AP_LM64 + 4, AP_SEL_CODE64);
	put32(d, AP_CR3_TEMP, (u32)(t + PAGE_SIZE));
	put32(d, AP_EFER, (u32)(boot_efer & (EFER_LME | EFER_NXE)));
	put64(d, AP_CR3, read_cr3());
	put64(d, AP_ENTRY, (uintptr_t)ap_entry64);
}

void *smp_stack_guard(unsigned index)
{
	CHECK(index >= 1 && index < CPU_MAX);
	return ap_stacks[index - 1];
}

/* The CPU's answer, or CPU_STARTING if it gave none within `ticks`. */
static enum cpu_state smp_wait_answer(const struct cpu *c, u64 ticks)
{
	u64 start = rdtsc();

	for (;;) {
		int s = cpu_state_get(c);

		if (s == CPU_ONLINE || s == CPU_REFUSED)
			return s;
		if (rdtsc() - start > ticks)
			return CPU_STARTING;
		cpu_relax();
	}
}

enum cpu_state smp_start_cpu(struct cpu *c, bool silent)
{
	u8 *d = (u8 *)hpa_ptr(hpa(smp.trampoline)) + AP_DATA;
	u64 send = us_ticks(SMP_IPI_SEND_US);
	u8 vector = (u8)(smp.trampoline >> 12);
	enum cpu_state s = CPU_STARTING;

	CHECK(c->index >= 1 && c->index < CPU_MAX && smp.entry);
	c->self = c;
	c->stack_lo = (uintptr_t)ap_stacks[c->index - 1] + PAGE_SIZE;
	c->stack_hi = c->stack_lo + CPU_STACK_SIZE;
	c->ist_stacks = ap_ist_stacks[c->index - 1];
	c->why[0] = '\0';
	put64(d, AP_STACK, c->stack_hi);
	put64(d, AP_CPU, (uintptr_t)c);
	put32(d, AP_SILENT, silent);
	put32(d, AP_ALIVE, 0);
	cpu_state_set(c, CPU_STARTING); /* releases the data block's writes */

	if (lapic_send_init(c->apic_id, send)) {
		smp_delay(us_ticks(SMP_INIT_DELAY_US));
		/* Two STARTUP IPIs; a CPU already running ignores the second (SDM 9.4.4.1). */
		for (unsigned i = 0; i < 2 && lapic_send_startup(c->apic_id, vector, send); i++)
			smp_delay(us_ticks(SMP_SIPI_DELAY_US));
		s = smp_wait_answer(c, us_ticks(smp.answer_ms * 1000));
	}
	if (s == CPU_STARTING) {
		/* No answer: INIT parks it in wait-for-SIPI (unless it already is in VMX root). */
		lapic_send_init(c->apic_id, send);
		s = CPU_SILENT;
		cpu_state_set(c, s);
	}
	return s;
}

void smp_ap_main(struct cpu *c)
{
	cpu_tables_load(c);
	idt_load();
	write_cr0(boot_cr0);
	write_cr4(boot_cr4);
	wrmsr(IA32_EFER, boot_efer);
	cpu_state_set(c, CPU_UP);
	smp.entry(c);
	cpu_halt_forever(); /* the entry must not return; should it, the CPU stops here */
}

void smp_boot_cpu_ready(void)
{
	struct cpu *c = this_cpu();

	CHECK(c->index == 0);
	lapic_enable(SMP_VECTOR_SPURIOUS);
	c->tsc_deadline = lapic_has_tsc_deadline();
}

void smp_idle(struct cpu *c)
{
	lapic_enable(SMP_VECTOR_SPURIOUS);
	c->tsc_deadline = lapic_has_tsc_deadline();
	for (;;) {
		u32 req = __atomic_load_n(&c->wake_req, __ATOMIC_ACQUIRE);

		if (req != c->wake_ack) {
			void (*work)(struct cpu *) = c->work; /* written before wake_req */

			if (work)
				work(c);
			__atomic_store_n(&c->wake_ack, req, __ATOMIC_RELEASE);
		}
		/*
		 * STI's shadow makes "sti; hlt" one step: an IPI that came after
		 * the check above is taken in HLT and wakes it; none is lost.
		 */
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	}
}

u32 smp_wake_start(struct cpu *c, void (*work)(struct cpu *), u64 timeout)
{
	u32 req;

	CHECK(c->index > 0);
	if (__atomic_load_n(&c->wake_ack, __ATOMIC_ACQUIRE) != c->wake_req)
		return 0; /* it never answered the last one: no new work for it */
	c->work = work;
	req = __atomic_add_fetch(&c->wake_req, 1, __ATOMIC_RELEASE);
	if (!req) /* 0 means "not sent" to the caller: skip it on wrap-around */
		req = __atomic_add_fetch(&c->wake_req, 1, __ATOMIC_RELEASE);
	return lapic_send_fixed(c->apic_id, SMP_VECTOR_WAKE, timeout) ? req : 0;
}

bool smp_wake_done(struct cpu *c, u32 req, u64 timeout)
{
	u64 start = rdtsc();

	while (__atomic_load_n(&c->wake_ack, __ATOMIC_ACQUIRE) != req) {
		if (rdtsc() - start > timeout)
			return false;
		cpu_relax();
	}
	return true;
}

u64 smp_wake(struct cpu *c, u64 timeout)
{
	u64 start = rdtsc();
	u32 req = smp_wake_start(c, NULL, timeout);

	if (!req || !smp_wake_done(c, req, timeout))
		return 0;
	return MAX(rdtsc() - start, (u64)1);
}

void smp_kick(struct cpu *c)
{
	/* A CPU that misses a kick still looks again within its poll period. */
	if (kick_nmi)
		(void)lapic_send_nmi(c->apic_id, SMP_KICK_TIMEOUT);
	else
		(void)lapic_send_fixed(c->apic_id, SMP_VECTOR_WAKE, SMP_KICK_TIMEOUT);
}

void smp_kick_by_nmi(void (*on_root)(void))
{
	CHECK(!smp.entry); /* no other CPU has started */
	kick_nmi_root = on_root;
	kick_nmi = true;
}

bool smp_kicks_by_nmi(void)
{
	return kick_nmi;
}

bool smp_nmi(u64 *rip)
{
	struct cpu *c = this_cpu();

	if (!kick_nmi)
		return false;
	c->nmi_kicks++;
	__atomic_store_n(&c->kicked, true, __ATOMIC_RELAXED);
	/* Between cpu_halt_unless's look at `kicked` and its HLT: not halting after all. */
	if (*rip >= (uintptr_t)cpu_halt_window && *rip < (uintptr_t)cpu_halt_window_end)
		*rip = (uintptr_t)cpu_halt_window_end;
	if (kick_nmi_root)
		kick_nmi_root();
	return true;
}

void smp_kick_boot_cpu(void)
{
	if (smp.entry && this_cpu()->index != 0)
		smp_kick(&cpu_table[0]);
}

bool smp_halt_until(u64 until)
{
	struct cpu *c = this_cpu();

	if (!c->tsc_deadline)
		return false;
	lapic_timer_at(SMP_VECTOR_WAKE, MAX(until, (u64)1));
	cpu_halt_unless((const u8 *)&c->kicked);
	/* A kick while halting or just before: the caller looks again, which is all it asks. */
	__atomic_store_n(&c->kicked, false, __ATOMIC_RELAXED);
	lapic_timer_at(SMP_VECTOR_WAKE, 0);
	c->halts++;
	return true;
}

bool smp_interrupt(unsigned vector)
{
	if (vector == SMP_VECTOR_SPURIOUS)
		return true; /* no EOI for a spurious interrupt (SDM 11.9) */
	if (vector != SMP_VECTOR_WAKE)
		return false;
	this_cpu()->wakes++;
	lapic_eoi();
	return true;
}