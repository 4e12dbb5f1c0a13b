/*
 * Starting a guest's APs and talking to its local APICs, shared by the
 * guests with several vCPUs (smp.c, bench.c run=vcpus): the local APIC's
 * registers in xAPIC mode (the page at LAPIC_BASE) or x2APIC mode (MSRs,
 * `lapic_x2apic`), the ACPI MADT's local APICs, and INIT-SIPI-SIPI to the
 * AP trampoline (smp_tramp.S, smp_tramp.h), which ends in the guest's own
 * ap_main(index) on smp_ap_stacks[index].
 */
#ifndef KEEL_GUESTS_SMP_BOOT_H
#define KEEL_GUESTS_SMP_BOOT_H

#include "lib/types.h"
#include "tests/guests/lib/x86.h"
#include "tests/guests/smp_tramp.h"

/* SDM Vol. 3A 10.4.1 and Table 10-1: the xAPIC page and its registers. */
#define LAPIC_BASE	  0xFEE00000ULL
#define APIC_ID		  0x020
#define APIC_TPR	  0x080
#define APIC_EOI	  0x0B0
#define APIC_LDR	  0x0D0
#define APIC_DFR	  0x0E0
#define APIC_SPIV	  0x0F0
#define APIC_ICR_LO	  0x300
#define APIC_ICR_HI	  0x310
#define APIC_LVT_TIMER	  0x320
#define APIC_LVT_LINT0	  0x350
#define APIC_LVT_LINT1	  0x360
#define APIC_TMICT	  0x380
#define APIC_TDCR	  0x3E0
#define APIC_SPIV_ENABLE  BIT(8)
#define APIC_DFR_FLAT	  0xFFFFFFFFU
#define TDCR_DIV1	  0xB
#define LVT_MASK	  BIT(16)
#define APIC_VEC_SPURIOUS 0xFF

/* 11.12.1: IA32_APIC_BASE's enables and the x2APIC MSRs (0x800 + offset / 16). */
#define MSR_APIC_BASE	   0x1B
#define APIC_BASE_EN	   BIT(11)
#define APIC_BASE_EXTD	   BIT(10)
#define X2APIC_MSR(off)	   (0x800U + ((off) >> 4))
#define X2APIC_ICR	   X2APIC_MSR(APIC_ICR_LO) /* 0x830 */
#define CPUID_1_ECX_X2APIC BIT(21)

/* 10.6.1 "Interrupt Command Register (ICR)". */
#define ICR_FIXED    (0U << 8)
#define ICR_NMI	     (4U << 8)
#define ICR_INIT     (5U << 8)
#define ICR_STARTUP  (6U << 8)
#define ICR_LOGICAL  BIT(11)
#define ICR_BUSY     BIT(12)
#define ICR_ASSERT   BIT(14)
#define ICR_LEVEL    BIT(15)
#define ICR_OTHERS   (3U << 18)
#define ICR_DEST(id) ((u32)(id) << 24)
#define ICR_POLLS    1000 /* ICR reads waiting for delivery status idle */

/* Bounds, in TSC ticks (under Bochs about one per instruction). */
#define WAIT_LONG (1ULL << 30) /* what must happen: an AP starting, a barrier, an IPI */

/* After INIT and after each SIPI: the SDM's 10 ms and 200 us, shortened to
 * fixed TSC tick counts (a vCPU needs no settling). */
#define SMP_INIT_TICKS 1000000ULL
#define SMP_SIPI_TICKS 200000ULL

static inline void cpu_pause(void)
{
	__asm__ volatile("pause" ::: "memory");
}

/*
 * Every vCPU's APIC in x2APIC mode, reached through MSRs (SDM Vol. 3A
 * 11.12): set by the BSP before it enters that mode and before the first
 * SIPI, read-only afterwards; each AP calls x2apic_enter() before its first
 * APIC access. False (the default): xAPIC mode, the page at LAPIC_BASE.
 */
extern bool lapic_x2apic;

/* A register by its xAPIC offset: in x2APIC mode its MSR (11.12.1.2, Table
 * 11-6). The ICR is one 64-bit MSR there: send IPIs with lapic_send. */
static inline u32 lapic_read(u32 off)
{
	if (lapic_x2apic)
		return (u32)x86_rdmsr(X2APIC_MSR(off));
	return *(volatile u32 *)(uintptr_t)(LAPIC_BASE + off);
}

static inline void lapic_write(u32 off, u32 v)
{
	if (lapic_x2apic)
		x86_wrmsr(X2APIC_MSR(off), v);
	else
		*(volatile u32 *)(uintptr_t)(LAPIC_BASE + off) = v;
}

/* The APIC ID: bits 31:24 of the xAPIC register, all 32 bits of the x2APIC MSR. */
static inline u32 lapic_id(void)
{
	return lapic_x2apic ? lapic_read(APIC_ID) : lapic_read(APIC_ID) >> 24;
}

/* This vCPU's index: its APIC ID (the MADT's IDs are 0..N-1). */
static inline u32 self_index(void)
{
	return lapic_id();
}

#define LOAD(x)	    __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)
#define INC(x)	    __atomic_add_fetch(&(x), 1, __ATOMIC_ACQ_REL)

/* The APIC timer's one-shot count under each halt_once() (TDCR 1). */
#define SMP_WAKE_COUNT 1000000U

/* One HLT with interrupts on; the APIC timer (lapic_setup's vector) wakes
 * it if nothing else does. */
static inline void halt_once(void)
{
	lapic_write(APIC_TMICT, SMP_WAKE_COUNT);
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}

/* Waits in halt_once() until cond holds or ticks pass; true when it held. */
#define WAIT_UNTIL(cond, ticks)                                                                    \
	({                                                                                         \
		u64 t0_ = x86_rdtsc();                                                             \
		bool ok_;                                                                          \
		while (!(ok_ = (cond)) && x86_rdtsc() - t0_ < (ticks))                             \
			halt_once();                                                               \
		ok_;                                                                               \
	})

/* Spins (PAUSE) for `ticks` TSC ticks. */
void spin_ticks(u64 ticks);

/* Sends an IPI once the ICR is idle (10.6.1: ICR high first, the write to
 * ICR low sends). False when the ICR stayed busy for ICR_POLLS reads. In
 * x2APIC mode one WRMSR of the 64-bit ICR, its destination in bits 63:32
 * (11.12.9), and no delivery status to wait for. */
bool lapic_send(u32 dest, u32 lo);

/* Software-enables this vCPU's APIC (spurious vector APIC_VEC_SPURIOUS),
 * logical flat ID bit `me` (in x2APIC mode the logical ID is the APIC's
 * own, derived from its ID, and there is no DFR), TPR 0, LINT0/LINT1
 * masked (the 8259 cannot reach it), the timer one-shot on timer_vector
 * at TDCR 1, not armed. */
void lapic_setup(u32 me, u32 timer_vector);

/* 11.12.5: this vCPU's APIC from xAPIC to x2APIC mode, EXTD set with EN
 * (an AP's APIC starts in xAPIC mode). Needs CPUID.1:ECX.x2APIC. */
void x2apic_enter(void);

/* ACPI 6.5 5.2.6: the header of every system description table. */
struct acpi_header {
	char signature[4];
	u32 length;
	u8 revision, checksum;
	char oem_id[6], oem_table_id[8];
	u32 oem_revision, creator_id, creator_revision;
} __packed;

/* The MADT (ACPI 6.5 5.2.12) through the RSDP's legacy scan of
 * 0xE0000-0xFFFFF (5.2.5.1) and the XSDT or RSDT; NULL if none, *why
 * then says which part was missing. */
const struct acpi_header *acpi_madt_find(const char **why);

/* The MADT's next Processor Local APIC structure (type 0, 8 bytes or
 * more) after e (NULL: the first); NULL past the last. Byte 3 is its APIC
 * ID, bytes 4-7 its flags (bit 0: enabled). */
const u8 *madt_next_lapic(const struct acpi_header *m, const u8 *e);

/* How AP start-up went (smp_start_aps). */
enum smp_start {
	SMP_START_SENT,	    /* INIT, INIT de-assert, SIPI, SIPI sent to every AP */
	SMP_START_ICR_BUSY, /* sent, but an ICR stayed busy for ICR_POLLS reads */
	SMP_START_TOO_BIG,  /* nothing sent: the trampoline is over SMP_TRAMP_SIZE */
};

/*
 * Copies the trampoline to SMP_TRAMP_BASE with this CPU's CR3, records its
 * IDTR (smp_ap_load_idt) and sends
 * INIT, INIT de-assert, SIPI, SIPI to APs 1..n-1 by APIC ID (SDM Vol. 3A
 * 9.4.4.1, its waits shortened). Each AP then enters ap_main(index) once;
 * the caller waits for them as it likes.
 */
enum smp_start smp_start_aps(u32 n);

/* The BSP's IDT (its IDTR as smp_start_aps found it) loaded on this AP:
 * every vCPU takes interrupts through the same gates. */
void smp_ap_load_idt(void);

/* The trampoline's length in bytes. */
size_t smp_tramp_len(void);

#endif
