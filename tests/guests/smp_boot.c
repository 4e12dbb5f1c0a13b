/*
 * Starting a guest's APs and talking to its local APICs (smp_boot.h): the
 * code the guests with several vCPUs share, so that smp.c and bench.c
 * start their APs the same way, through the one trampoline (smp_tramp.S).
 */
#include "tests/guests/smp_boot.h"
#include "lib/string.h"
#include "tests/guests/lib/guest.h"

_Static_assert(SMP_TRAMP_BASE >= KEEL_GUEST_PT_END &&
		   SMP_TRAMP_BASE + SMP_TRAMP_SIZE <= KEEL_GUEST_STACK_TOP / 2,
	       "the trampoline page is free RAM, well below the BSP's entry stack");
_Static_assert(SMP_TRAMP_VECTOR << 12 == SMP_TRAMP_BASE, "SIPI vector VV starts at VV << 12");
_Static_assert(SMP_TRAMP_CS64 == KEEL_GUEST_CS64 && SMP_TRAMP_DS == KEEL_GUEST_DS,
	       "the APs use Keel's selectors, so the BSP's IDT gates work on them");
_Static_assert(SMP_TRAMP_CR0_PROT == (X86_CR0_PE | X86_CR0_ET), "CR0 for protected mode");
_Static_assert(SMP_TRAMP_CR0_LONG ==
		   (X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG),
	       "CR0 for IA-32e mode: the BSP's entry CR0 (vm/guest_abi.h)");
_Static_assert(SMP_TRAMP_CR4_PAE == X86_CR4_PAE && SMP_TRAMP_MSR_EFER == X86_MSR_IA32_EFER &&
		   SMP_TRAMP_EFER_LME == X86_EFER_LME,
	       "CR4.PAE, IA32_EFER and EFER.LME");
_Static_assert(sizeof(struct acpi_header) == 36, "ACPI 5.2.6: the header is 36 bytes");

/* Each AP's stack (the trampoline's): written by that AP only. */
u8 smp_ap_stacks[SMP_MAX_VCPUS][SMP_AP_STACK_SIZE] __aligned(16);

/* Written by the BSP before the first SIPI, read-only afterwards. */
bool lapic_x2apic;
static struct {
	u16 limit;
	u64 base;
} __packed bsp_idtr;

void spin_ticks(u64 ticks)
{
	u64 t0 = x86_rdtsc();

	while (x86_rdtsc() - t0 < ticks)
		cpu_pause();
}

bool lapic_send(u32 dest, u32 lo)
{
	u32 i = 0;

	if (lapic_x2apic) {
		x86_wrmsr(X2APIC_ICR, (u64)dest << 32 | lo);
		return true;
	}
	while (i < ICR_POLLS && (lapic_read(APIC_ICR_LO) & ICR_BUSY))
		i++;
	lapic_write(APIC_ICR_HI, ICR_DEST(dest));
	lapic_write(APIC_ICR_LO, lo);
	return i < ICR_POLLS;
}

void lapic_setup(u32 me, u32 timer_vector)
{
	lapic_write(APIC_SPIV, APIC_SPIV_ENABLE | APIC_VEC_SPURIOUS);
	lapic_write(APIC_TPR, 0);
	if (!lapic_x2apic) {
		lapic_write(APIC_DFR, APIC_DFR_FLAT);
		lapic_write(APIC_LDR, (u32)BIT(24 + me));
	}
	lapic_write(APIC_TDCR, TDCR_DIV1);
	lapic_write(APIC_LVT_TIMER, timer_vector);
	lapic_write(APIC_LVT_LINT0, LVT_MASK);
	lapic_write(APIC_LVT_LINT1, LVT_MASK);
}

void x2apic_enter(void)
{
	x86_wrmsr(MSR_APIC_BASE, x86_rdmsr(MSR_APIC_BASE) | APIC_BASE_EN | APIC_BASE_EXTD);
}

/* ---- The ACPI MADT (ACPI 6.5 5.2.5, 5.2.12) ---- */

struct acpi_rsdp {
	char signature[8]; /* "RSD PTR " */
	u8 checksum;	   /* of the first 20 bytes */
	char oem_id[6];
	u8 revision;
	u32 rsdt;
	u32 length;
	u64 xsdt;
	u8 extended_checksum;
	u8 reserved[3];
} __packed;
_Static_assert(sizeof(struct acpi_rsdp) == 36, "ACPI 5.2.5.3: the RSDP is 36 bytes");

#define MADT_ENTRIES (sizeof(struct acpi_header) + 8) /* local APIC address, flags */
#define MADT_LAPIC   0				      /* Processor Local APIC, 8 bytes */

static bool acpi_sum_ok(const void *p, u32 len)
{
	u8 sum = 0;

	for (u32 i = 0; i < len; i++)
		sum += ((const u8 *)p)[i];
	return sum == 0;
}

static const struct acpi_rsdp *acpi_rsdp_scan(void)
{
	for (uintptr_t a = 0xE0000; a < 0x100000; a += 16) {
		const struct acpi_rsdp *r = (const struct acpi_rsdp *)a;

		if (!memcmp(r->signature, "RSD PTR ", 8) && acpi_sum_ok(r, 20))
			return r;
	}
	return NULL;
}

const struct acpi_header *acpi_madt_find(const char **why)
{
	const struct acpi_rsdp *r = acpi_rsdp_scan();
	const struct acpi_header *sdt;
	bool x;
	u32 size, n;

	if (!r) {
		*why = "no RSDP in 0xE0000-0xFFFFF";
		return NULL;
	}
	x = r->revision >= 2 && r->xsdt;
	sdt = (const struct acpi_header *)(uintptr_t)(x ? r->xsdt : (u64)r->rsdt);
	size = x ? 8 : 4;
	n = sdt->length > sizeof(*sdt) ? (sdt->length - (u32)sizeof(*sdt)) / size : 0;
	for (u32 i = 0; i < n; i++) {
		const u8 *e = (const u8 *)(sdt + 1) + i * size;
		u64 a = x ? *(const u64 *)e : *(const u32 *)e;
		const struct acpi_header *t = (const struct acpi_header *)(uintptr_t)a;

		if (!memcmp(t->signature, "APIC", 4) && acpi_sum_ok(t, t->length))
			return t;
	}
	*why = "no MADT (signature APIC) in the RSDT/XSDT";
	return NULL;
}

const u8 *madt_next_lapic(const struct acpi_header *m, const u8 *e)
{
	const u8 *end = (const u8 *)m + m->length;

	e = e ? e + e[1] : (const u8 *)m + MADT_ENTRIES;
	for (; e + 2 <= end && e[1]; e += e[1])
		if (e[0] == MADT_LAPIC && e[1] >= 8 && e + 8 <= end)
			return e;
	return NULL;
}

/* ---- INIT, INIT de-assert, SIPI, SIPI (SDM Vol. 3A 9.4.4.1) ---- */

/* Where a trampoline label lands in the trampoline page (two linker
 * symbols, not one array: subtract addresses). */
static uintptr_t tramp_addr(const u8 *label)
{
	return SMP_TRAMP_BASE + ((uintptr_t)label - (uintptr_t)smp_tramp_start);
}

size_t smp_tramp_len(void)
{
	return tramp_addr(smp_tramp_end) - SMP_TRAMP_BASE;
}

/* Sends one IPI command to APs 1..n-1 by APIC ID; false if an ICR stayed busy. */
static bool aps_send(u32 n, u32 lo)
{
	bool ok = true;

	for (u32 i = 1; i < n; i++)
		ok &= lapic_send(i, lo);
	return ok;
}

enum smp_start smp_start_aps(u32 n)
{
	size_t len = smp_tramp_len();
	bool sent;

	if (len > SMP_TRAMP_SIZE)
		return SMP_START_TOO_BIG;
	memcpy((void *)(uintptr_t)SMP_TRAMP_BASE, smp_tramp_start, len);
	*(volatile u32 *)tramp_addr(smp_tramp_cr3) = (u32)x86_read_cr3();
	__asm__ volatile("sidt %0" : "=m"(bsp_idtr));
	sent = aps_send(n, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
	sent &= aps_send(n, ICR_INIT | ICR_LEVEL);
	spin_ticks(SMP_INIT_TICKS);
	for (int sipi = 0; sipi < 2; sipi++) {
		sent &= aps_send(n, ICR_STARTUP | SMP_TRAMP_VECTOR);
		spin_ticks(SMP_SIPI_TICKS);
	}
	return sent ? SMP_START_SENT : SMP_START_ICR_BUSY;
}

void smp_ap_load_idt(void)
{
	__asm__ volatile("lidt %0" : : "m"(bsp_idtr));
}
