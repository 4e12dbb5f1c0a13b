/*
 * The host's local APIC (lapic.h). Each CPU reaches its own local APIC at
 * the same address (or MSRs); the mode is the boot CPU's.
 */
#include "arch/x86/lapic.h"
#include "arch/x86/apic_regs.h"
#include "arch/x86/cpu.h"
#include "lib/format.h"
#include "mm/addr.h"

#define CPUID_1_EDX_APIC BIT(9)

/* Shared, write-once at boot: lapic_init, before any other CPU starts; read-only after. */
static volatile u32 *lapic_mmio;
static bool lapic_x2;

bool lapic_init(char *why, size_t len)
{
	u64 base = rdmsr(MSR_IA32_APIC_BASE);

	if (!(cpuid(1, 0).edx & CPUID_1_EDX_APIC)) {
		fmt_snprintf(why, len, "no local APIC (CPUID.1:EDX.APIC=0)");
		return false;
	}
	if (!(base & APIC_BASE_EN)) {
		fmt_snprintf(why, len, "the local APIC is disabled (IA32_APIC_BASE=0x%lx)", base);
		return false;
	}
	lapic_x2 = base & APIC_BASE_EXTD;
	lapic_mmio = lapic_x2 ? NULL : hpa_ptr(hpa(base & APIC_BASE_ADDR_MASK));
	return true;
}

bool lapic_x2apic(void)
{
	return lapic_x2;
}

static u32 lapic_read(unsigned reg)
{
	return lapic_x2 ? (u32)rdmsr(MSR_X2APIC_FIRST + reg / 16) : lapic_mmio[reg / 4];
}

static void lapic_write(unsigned reg, u32 v)
{
	if (lapic_x2)
		wrmsr(MSR_X2APIC_FIRST + reg / 16, v);
	else
		lapic_mmio[reg / 4] = v;
}

void lapic_enable(u8 spurious_vector)
{
	/* Software enable (SDM 11.4.7.2): without it no fixed interrupt is accepted. */
	lapic_write(APIC_SPIV, APIC_SPIV_ENABLE | spurious_vector);
}

bool lapic_has_tsc_deadline(void)
{
	return cpuid(1, 0).ecx & CPUID_1_ECX_TSC_DEADLINE;
}

void lapic_timer_at(u8 vector, u64 tsc)
{
	/*
	 * TSC-deadline mode (SDM 11.5.4.1): the LVT entry first, then the
	 * deadline; the timer fires once when the TSC reaches it, 0 disarms.
	 */
	lapic_write(APIC_LVT_TIMER, APIC_TIMER_TSCDEADLINE | vector);
	wrmsr(MSR_IA32_TSC_DEADLINE, tsc);
}

void lapic_eoi(void)
{
	lapic_write(APIC_EOI, 0);
}

u32 lapic_id(void)
{
	u32 id = lapic_read(APIC_ID);

	return lapic_x2 ? id : id >> 24;
}

/* Waits for the ICR's delivery status to clear (SDM 11.6.1); bounded by `timeout`. */
static bool lapic_icr_idle(u64 timeout)
{
	u64 start = rdtsc();

	if (lapic_x2)
		return true;
	while (lapic_mmio[APIC_ICR_LO / 4] & APIC_ICR_BUSY) {
		if (rdtsc() - start > timeout)
			return false;
		cpu_relax();
	}
	return true;
}

static bool lapic_send(u32 apic_id, u32 lo, u64 timeout)
{
	if (!lapic_icr_idle(timeout))
		return false;
	if (lapic_x2) {
		/* One 64-bit write: destination in 63:32 (SDM 11.12.9). */
		wrmsr(MSR_X2APIC_FIRST + APIC_ICR_LO / 16, (u64)apic_id << 32 | lo);
		return true;
	}
	lapic_mmio[APIC_ICR_HI / 4] = apic_id << APIC_ICR_HI_DEST_SHIFT;
	lapic_mmio[APIC_ICR_LO / 4] = lo; /* this write sends it */
	return lapic_icr_idle(timeout);
}

bool lapic_send_fixed(u32 apic_id, u8 vector, u64 timeout)
{
	return lapic_send(
	    apic_id, APIC_ICR_DM_FIXED | APIC_ICR_ASSERT | APIC_ICR_DEST_FIELD | vector, timeout);
}

bool lapic_send_nmi(u32 apic_id, u64 timeout)
{
	/* The vector field is ignored for an NMI (SDM Vol. 3A 11.6.1). */
	return lapic_send(apic_id, APIC_ICR_DM_NMI | APIC_ICR_ASSERT | APIC_ICR_DEST_FIELD,
			  timeout);
}

bool lapic_send_init(u32 apic_id, u64 timeout)
{
	/* Level assert, edge: the INIT IPI of SDM 9.4.4.1's sequence. */
	return lapic_send(apic_id, APIC_ICR_DM_INIT | APIC_ICR_ASSERT | APIC_ICR_DEST_FIELD,
			  timeout);
}

bool lapic_send_startup(u32 apic_id, u8 page, u64 timeout)
{
	return lapic_send(apic_id, APIC_ICR_DM_SIPI | APIC_ICR_ASSERT | APIC_ICR_DEST_FIELD | page,
			  timeout);
}
