/*
 * The local APIC's register semantics and priority logic, as pure functions
 * over a register page laid out as the SDM's (arch/x86/apic_regs.h): the
 * same page serves as the VMX virtual-APIC page, so the CPU's APIC
 * virtualization and this code see one state. No timers, no delivery: the
 * glue in vm/vlapic.c acts on what apic_write() returns. Host-tested
 * (tests/unit/test_apic.c).
 */
#ifndef KEEL_VM_APIC_CORE_H
#define KEEL_VM_APIC_CORE_H

#include "arch/x86/apic_regs.h"
#include "lib/types.h"

/* LVT entries modelled: timer, thermal, PMC, LINT0, LINT1, error. */
#define APIC_LVT_COUNT 6
#define APIC_VERSION_VAL                                                                           \
	(APIC_VERSION_INTEGRATED | ((APIC_LVT_COUNT - 1) << APIC_VERSION_MAXLVT_SHIFT))

static inline u32 apic_get(const u32 *page, unsigned off)
{
	return page[off >> 2];
}

static inline void apic_put(u32 *page, unsigned off, u32 val)
{
	page[off >> 2] = val;
}

/* A bit per vector in the eight registers at base (APIC_ISR, APIC_TMR, APIC_IRR). */
bool apic_vec_test(const u32 *page, unsigned base, unsigned vec);
void apic_vec_set(u32 *page, unsigned base, unsigned vec);
void apic_vec_clear(u32 *page, unsigned base, unsigned vec);
/* The highest vector set in the registers at base, or -1. */
int apic_vec_highest(const u32 *page, unsigned base);

/* PPR from TPR and the highest in-service vector (SDM 11.8.3.1); also stored. */
u32 apic_update_ppr(u32 *page);
/*
 * The highest requested vector whose priority class is above PPR's (the one
 * the APIC would dispatch, SDM 11.8.4), or -1. Recomputes PPR first: TPR
 * may have changed behind the model's back (CR8 through the TPR shadow).
 */
int apic_pending(u32 *page);
/* The highest requested vector, deliverable or not, or -1. */
static inline int apic_requested(const u32 *page)
{
	return apic_vec_highest(page, APIC_IRR);
}
/*
 * The APIC accepts a fixed interrupt vec into IRR; TMR[vec] is set if it is
 * level-triggered, cleared if edge-triggered (SDM 11.8.4). Returns true if
 * TMR[vec] changed.
 */
bool apic_request(u32 *page, unsigned vec, bool level);
/* The processor accepts vec: IRR -> ISR, PPR raised. */
void apic_accept(u32 *page, unsigned vec);
/*
 * EOI: clears the highest in-service vector (returned, or -1 if none). TMR
 * stays: if its bit is set the glue sends the EOI message to the I/O APIC.
 */
int apic_eoi(u32 *page);

/* Power-up state (SDM 11.4.7.1) with the given ID. */
void apic_reset(u32 *page, u8 id);
/* The state a PC BIOS leaves: software-enabled, LINT0 ExtINT, LINT1 NMI. */
void apic_bios_state(u32 *page);
static inline bool apic_sw_enabled(const u32 *page)
{
	return apic_get(page, APIC_SPIV) & APIC_SPIV_ENABLE;
}

/* The writable bits of LVT register off (SDM Figure 11-8); the timer's mode per tsc_deadline. */
u32 apic_lvt_writable(unsigned off, bool tsc_deadline);

/* What a register write asks of the glue beyond the stored value. */
enum apic_action {
	APIC_ACT_NONE,
	APIC_ACT_EOI,	      /* an EOI was done (apic_eoi) */
	APIC_ACT_SEND_IPI,    /* ICR low written: send per ICR */
	APIC_ACT_TIMER_COUNT, /* TMICT written: (re)start or stop the count */
	APIC_ACT_TIMER_LVT,   /* LVT timer written: mode may have changed */
	APIC_ACT_TIMER_DIV,   /* TDCR written */
	APIC_ACT_LINT,	      /* LINT0/LINT1 or SPIV written: ExtINT routing may have changed */
	APIC_ACT_ILLEGAL,     /* read-only or reserved register: ESR bit 7 latched */
};

/*
 * Stores val into register off as the hardware would (writable bits only,
 * masks forced while software-disabled) and says what else must happen.
 * tsc_deadline says whether TSC-deadline mode is offered (without it the
 * timer LVT's mode field takes one-shot and periodic only). A timer mode
 * change is the glue's to notice (APIC_ACT_TIMER_LVT): it stops the timer.
 */
enum apic_action apic_write(u32 *page, unsigned off, u32 val, bool tsc_deadline);
/*
 * The value a 32-bit read of register off returns; *illegal set for a
 * reserved offset. TMCCT is the glue's (time-dependent): 0 here.
 */
u32 apic_read(u32 *page, unsigned off, bool *illegal);

/* Latches errors into the internal error state; ESR shows them after a write to ESR. */
void apic_error(u32 *pending_esr, u32 bits);

/*
 * True if an IPI with destination dest (ICR bits 63:56), physical or
 * logical mode, is for the APIC with this page (SDM 11.6.2).
 */
bool apic_match_dest(const u32 *page, u8 dest, bool logical);

/* The timer's divide value from TDCR (1, 2, 4 ... 128), SDM Figure 11-10. */
unsigned apic_timer_divisor(u32 tdcr);

#endif
