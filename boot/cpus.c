/*
 * Bringing up the other CPUs (cpus.h). The steps are each in their layer:
 * the MADT reader (arch/x86/madt_cpus.c), the start-up sequence
 * (arch/x86/smp.c), the guard pages (mm/paging.c) and VMX root operation
 * (vmx/vmx.c); this file puts them in order and says what happened.
 *
 * A started CPU runs cpus_ap_entry and idles there (halted, woken only by
 * an IPI) until vm/vm.c hands it guests to run.
 */
#include "boot/cpus.h"
#include "arch/x86/acpi.h"
#include "arch/x86/ap_start.h"
#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/madt_cpus.h"
#include "arch/x86/smp.h"
#include "arch/x86/tsc.h"
#include "boot/multiboot2.h"
#include "lib/console.h"
#include "lib/format.h"
#include "mm/paging.h"
#include "vmx/vmx.h"

#define CPUS_ANSWER_MS 100     /* how long a started CPU may take to answer */
#define CPUS_LOW_START 0x1000  /* the trampoline: above page 0 ... */
#define CPUS_LOW_END   0xA0000 /* ... and below the legacy video and ROM areas */
#define CPUS_IDS_LEN   256

/*
 * Shared, write-once at boot: test=smp-mismatch's CPU index, told to see
 * other VMX capabilities (0: none); set before that CPU starts.
 */
static unsigned cpus_mismatch_index;

/* On each started CPU, on its own stack: VMX root operation, then idle. */
static void cpus_ap_entry(struct cpu *c)
{
	if (!vmx_cpu_enter(c->index, c->index == cpus_mismatch_index, c->why, sizeof(c->why))) {
		cpu_state_set(c, CPU_REFUSED);
		cpu_halt_forever(); /* left out: halted with interrupts off */
	}
	cpu_state_set(c, CPU_ONLINE);
	smp_idle(c); /* until vm/vm.c hands it its guests */
}

/* test=smp-console: each CPU's lines, printed by all CPUs at once. */
#define CPUS_CONSOLE_LINES 20

static void cpus_say_lines(struct cpu *c)
{
	for (unsigned k = 1; k <= CPUS_CONSOLE_LINES; k++)
		pr_info("smp: console check: CPU %u line %u of %u: "
			"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
			c->index, k, CPUS_CONSOLE_LINES);
}

/*
 * Every CPU that came up prints CPUS_CONSOLE_LINES lines while the boot
 * CPU prints its own: the console lock must keep each line whole.
 */
static void cpus_console_check(unsigned count, u64 timeout)
{
	u32 req[CPU_MAX] = {0};
	unsigned late = 0;

	for (unsigned i = 1; i < count; i++)
		if (cpu_state_get(&cpu_table[i]) == CPU_ONLINE)
			req[i] = smp_wake_start(&cpu_table[i], cpus_say_lines, timeout);
	cpus_say_lines(&cpu_table[0]);
	for (unsigned i = 1; i < count; i++)
		if (req[i] && !smp_wake_done(&cpu_table[i], req[i], timeout))
			late++;
	pr_info("smp: console check: done, %u CPU(s) late", late);
}

/*
 * Wakes each CPU that came up with an IPI and waits for its answer: the
 * idle path works before anything relies on it. One line with the round
 * trips; a CPU that does not answer is named.
 */
static void cpus_wake_each(unsigned count)
{
	u64 lo = ~0ULL, hi = 0, sum = 0, timeout = MAX(tsc_hz / 1000 * CPUS_ANSWER_MS, 1000000ULL);
	unsigned woke = 0;

	for (unsigned i = 1; i < count; i++) {
		struct cpu *c = &cpu_table[i];
		u64 t;

		if (cpu_state_get(c) != CPU_ONLINE)
			continue;
		t = smp_wake(c, timeout);
		if (!t) {
			pr_warn("smp: CPU %u (APIC ID %u) did not answer a wake-up IPI", i,
				c->apic_id);
			continue;
		}
		woke++;
		lo = MIN(lo, t);
		hi = MAX(hi, t);
		sum += t;
	}
	if (woke)
		pr_info(
		    "smp: %u idle CPU(s) woken from HLT by an IPI and answered: round trip min %lu "
		    "mean %lu max %lu ticks",
		    woke, lo, sum / woke, hi);
}

static bool overlaps(u64 a, u64 a_end, u64 b, u64 b_end)
{
	return a < b_end && b < a_end;
}

/*
 * AP_START_PAGES pages of RAM below 0xA0000 that the memory map calls
 * available and that hold neither the multiboot2 info nor a module: the
 * lowest such run.
 */
static bool cpus_trampoline_pages(const struct boot_info *bi, u64 *out)
{
	const u64 size = AP_START_PAGES * PAGE_SIZE;

	for (u64 t = CPUS_LOW_START; t + size <= CPUS_LOW_END; t += PAGE_SIZE) {
		bool ram = false, busy = overlaps(t, t + size, bi->info_start, bi->info_end);

		for (u32 i = 0; i < bi->region_count; i++) {
			const struct mb2_region *r = &bi->regions[i];

			if (r->type == MB2_MEMORY_AVAILABLE && r->base <= t && r->length >= size &&
			    t - r->base <= r->length - size)
				ram = true;
		}
		for (u32 i = 0; i < bi->module_count; i++)
			busy |= overlaps(t, t + size, bi->modules[i].start, bi->modules[i].end);
		if (ram && !busy) {
			*out = t;
			return true;
		}
	}
	return false;
}

/* Starts CPU `index` as APIC ID apic_id; true if it came up. Says why not. */
static bool cpus_start_one(unsigned index, u32 apic_id, bool silent)
{
	struct cpu *c = &cpu_table[index];
	enum cpu_state s;

	c->index = index;
	c->apic_id = apic_id;
	if (apic_id > 254 && !lapic_x2apic()) {
		pr_warn("smp: CPU %u (APIC ID %u) left out: it needs x2APIC mode, which is off",
			index, apic_id);
		return false;
	}
	if (!paging_guard(smp_stack_guard(index))) {
		pr_warn("smp: CPU %u (APIC ID %u) left out: no guard page for its stack", index,
			apic_id);
		return false;
	}
	if (!vmx_cpu_prepare(index)) {
		pr_warn("smp: CPU %u (APIC ID %u) left out: no memory for its VMXON region", index,
			apic_id);
		return false;
	}
	s = smp_start_cpu(c, silent);
	if (s == CPU_ONLINE)
		return true;
	if (s == CPU_REFUSED)
		pr_warn("smp: CPU %u (APIC ID %u) left out: %s", index, apic_id, c->why);
	else
		pr_warn("smp: CPU %u (APIC ID %u) left out: it did not answer within %u ms", index,
			apic_id, CPUS_ANSWER_MS);
	return false;
}

u64 cpus_start(const struct boot_info *bi, unsigned limit, enum test_action test)
{
	static struct madt_cpus m; /* Per-CPU: the boot CPU's, at boot only */
	struct smp_params p = {.entry = cpus_ap_entry, .answer_ms = CPUS_ANSWER_MS};
	char err[128], ids[CPUS_IDS_LEN];
	unsigned up = 1, tried = 0, want, index = 1, last = 0;
	size_t len, used;
	const void *madt = acpi_madt_table(&len);
	u32 self;
	u64 online = BIT(0);

	if (!madt) {
		pr_info("smp: no MADT: Keel runs on the boot CPU alone");
		return BIT(0);
	}
	if (madt_cpus_parse(madt, len, &m, err, sizeof(err))) {
		pr_warn("smp: %s: Keel runs on the boot CPU alone", err);
		return BIT(0);
	}
	if (!lapic_init(err, sizeof(err))) {
		pr_warn("smp: %s: Keel runs on the boot CPU alone", err);
		return BIT(0);
	}
	self = lapic_id();
	cpu_table[0].apic_id = self;
	smp_boot_cpu_ready(); /* it may halt on its APIC timer and take kicks now */
	want = limit ? MIN(limit, MAX(m.count, 1u)) : MAX(m.count, 1u);
	for (unsigned i = 0; i < m.count && tried + 1 < want; i++)
		if (m.cpu[i].apic_id != self)
			tried++, last = i;
	if (tried && !cpus_trampoline_pages(bi, &p.trampoline)) {
		pr_warn("smp: no 16 KiB of free RAM below 0xA0000 for the start-up code: Keel "
			"runs on the boot CPU alone");
		return BIT(0);
	}
	if (tried) {
		smp_prepare(&p);
		if (test == TEST_SMP_MISMATCH)
			cpus_mismatch_index = tried; /* the last to start */
	}
	used = fmt_snprintf(ids, sizeof(ids), "%u", self);
	for (unsigned i = 0; i < m.count && index <= tried; i++) {
		if (m.cpu[i].apic_id == self)
			continue;
		if (cpus_start_one(index, m.cpu[i].apic_id, test == TEST_SMP_SILENT && i == last)) {
			up++;
			online |= BIT(index);
			if (used < sizeof(ids))
				used += fmt_snprintf(ids + used, sizeof(ids) - used, " %u",
						     m.cpu[i].apic_id);
		}
		index++;
	}
	pr_info("smp: %u of %u CPUs in VMX root operation (APIC IDs %s)%s", up, MAX(m.count, 1u),
		ids, limit && limit < m.count ? ", cpus= limits it" : "");
	cpus_wake_each(index);
	if (test == TEST_SMP_CONSOLE)
		cpus_console_check(index, MAX(tsc_hz, 100000000ULL));
	return online;
}
