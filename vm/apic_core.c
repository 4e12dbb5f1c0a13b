/*
 * Local APIC register semantics and priority logic (vm/apic_core.h).
 * Section numbers are the Intel SDM Vol. 3A's.
 */
#include "vm/apic_core.h"

bool apic_vec_test(const u32 *page, unsigned base, unsigned vec)
{
	return apic_get(page, base + (vec / 32) * 16) & BIT(vec % 32);
}

void apic_vec_set(u32 *page, unsigned base, unsigned vec)
{
	unsigned off = base + (vec / 32) * 16;

	apic_put(page, off, apic_get(page, off) | (u32)BIT(vec % 32));
}

void apic_vec_clear(u32 *page, unsigned base, unsigned vec)
{
	unsigned off = base + (vec / 32) * 16;

	apic_put(page, off, apic_get(page, off) & ~(u32)BIT(vec % 32));
}

int apic_vec_highest(const u32 *page, unsigned base)
{
	for (int i = 7; i >= 0; i--) {
		u32 w = apic_get(page, base + (unsigned)i * 16);

		if (w)
			return i * 32 + 31 - __builtin_clz(w);
	}
	return -1;
}

/* 11.8.3.1: PPR = TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4] << 4. */
u32 apic_update_ppr(u32 *page)
{
	u32 tpr = apic_get(page, APIC_TPR) & 0xFF;
	int isrv = apic_vec_highest(page, APIC_ISR);
	u32 isr_class = isrv < 0 ? 0 : ((u32)isrv & 0xF0);
	u32 ppr = (tpr & 0xF0) >= isr_class ? tpr : isr_class;

	apic_put(page, APIC_PPR, ppr);
	return ppr;
}

/* 11.8.4: a request is dispatched when its class is above PPR's. */
int apic_pending(u32 *page)
{
	u32 ppr = apic_update_ppr(page);
	int irrv = apic_vec_highest(page, APIC_IRR);

	if (irrv < 0 || ((u32)irrv & 0xF0) <= (ppr & 0xF0))
		return -1;
	return irrv;
}

bool apic_request(u32 *page, unsigned vec, bool level)
{
	bool was = apic_vec_test(page, APIC_TMR, vec);
	unsigned irr = APIC_IRR + (vec / 32) * 16;

	/*
	 * One locked OR: with APIC virtualization the CPU running the vCPU
	 * takes requests out of IRR while another CPU may add one (an IPI).
	 */
	__atomic_fetch_or(&page[irr >> 2], (u32)BIT(vec % 32), __ATOMIC_SEQ_CST);
	if (level)
		apic_vec_set(page, APIC_TMR, vec);
	else
		apic_vec_clear(page, APIC_TMR, vec);
	return was != level;
}

void apic_accept(u32 *page, unsigned vec)
{
	apic_vec_clear(page, APIC_IRR, vec);
	apic_vec_set(page, APIC_ISR, vec);
	apic_update_ppr(page);
}

int apic_eoi(u32 *page)
{
	int v = apic_vec_highest(page, APIC_ISR);

	if (v >= 0)
		apic_vec_clear(page, APIC_ISR, (unsigned)v);
	apic_update_ppr(page);
	return v;
}

static const unsigned lvt_regs[APIC_LVT_COUNT] = {
    APIC_LVT_TIMER, APIC_LVT_THERM, APIC_LVT_PMC, APIC_LVT_LINT0, APIC_LVT_LINT1, APIC_LVT_ERROR,
};

/* 11.4.7.1: everything 0 except the ID, version, DFR all ones, LVT masks, SPIV 0xFF. */
void apic_reset(u32 *page, u8 id)
{
	for (unsigned i = 0; i < APIC_PAGE_SIZE / 4; i++)
		page[i] = 0;
	apic_put(page, APIC_ID, (u32)id << 24);
	apic_put(page, APIC_VERSION, APIC_VERSION_VAL);
	apic_put(page, APIC_DFR, APIC_DFR_FLAT);
	apic_put(page, APIC_SPIV, APIC_SPIV_VECTOR);
	for (unsigned i = 0; i < APIC_LVT_COUNT; i++)
		apic_put(page, lvt_regs[i], APIC_LVT_MASKED);
}

void apic_bios_state(u32 *page)
{
	apic_put(page, APIC_SPIV, APIC_SPIV_ENABLE | APIC_SPIV_VECTOR);
	apic_put(page, APIC_LVT_LINT0, APIC_LVT_DM_EXTINT);
	apic_put(page, APIC_LVT_LINT1, APIC_LVT_DM_NMI);
}

/* Writable bits of each LVT (11.5.1, Figure 11-8). */
u32 apic_lvt_writable(unsigned off, bool tsc_deadline)
{
	switch (off) {
	case APIC_LVT_TIMER:
		return APIC_LVT_VECTOR | APIC_LVT_MASKED |
		       (tsc_deadline ? APIC_LVT_TIMER_MODE : APIC_TIMER_PERIODIC);
	case APIC_LVT_LINT0:
	case APIC_LVT_LINT1:
		return APIC_LVT_VECTOR | APIC_LVT_DM_MASK | APIC_LVT_POLARITY | APIC_LVT_LEVEL |
		       APIC_LVT_MASKED;
	case APIC_LVT_ERROR:
		return APIC_LVT_VECTOR | APIC_LVT_MASKED;
	default: /* thermal, PMC */
		return APIC_LVT_VECTOR | APIC_LVT_DM_MASK | APIC_LVT_MASKED;
	}
}

enum apic_action apic_write(u32 *page, unsigned off, u32 val, bool tsc_deadline)
{
	bool enabled = apic_sw_enabled(page);

	switch (off) {
	case APIC_ID:
		apic_put(page, off, val & 0xFF000000);
		return APIC_ACT_NONE;
	case APIC_TPR:
		apic_put(page, off, val & 0xFF);
		apic_update_ppr(page);
		return APIC_ACT_NONE;
	case APIC_EOI:
		apic_put(page, off, 0);
		apic_eoi(page);
		return APIC_ACT_EOI;
	case APIC_LDR:
		apic_put(page, off, val & 0xFF000000);
		return APIC_ACT_NONE;
	case APIC_DFR:
		apic_put(page, off, val | 0x0FFFFFFF);
		return APIC_ACT_NONE;
	case APIC_SPIV:
		apic_put(page, off,
			 val & (APIC_SPIV_VECTOR | APIC_SPIV_ENABLE | APIC_SPIV_FOCUS_OFF));
		if (!(val & APIC_SPIV_ENABLE)) /* 11.4.7.2: software disable masks every LVT */
			for (unsigned i = 0; i < APIC_LVT_COUNT; i++)
				apic_put(page, lvt_regs[i],
					 apic_get(page, lvt_regs[i]) | APIC_LVT_MASKED);
		return APIC_ACT_LINT;
	case APIC_ESR: /* the glue moves the pending errors in */
		return APIC_ACT_NONE;
	case APIC_ICR_LO:
		apic_put(page, off,
			 val & (APIC_ICR_VECTOR | APIC_ICR_DM_MASK | APIC_ICR_LOGICAL |
				APIC_ICR_ASSERT | APIC_ICR_LEVEL | APIC_ICR_SHORTHAND));
		return APIC_ACT_SEND_IPI;
	case APIC_ICR_HI:
		apic_put(page, off, val & 0xFF000000);
		return APIC_ACT_NONE;
	case APIC_LVT_TIMER:
	case APIC_LVT_THERM:
	case APIC_LVT_PMC:
	case APIC_LVT_LINT0:
	case APIC_LVT_LINT1:
	case APIC_LVT_ERROR: {
		u32 keep = apic_get(page, off) & (APIC_LVT_PENDING | APIC_LVT_REMOTE_IRR);
		u32 w = val & apic_lvt_writable(off, tsc_deadline);

		/* The reserved mode 11b of the timer reads back as written on hardware; keep
		 * one-shot. */
		if (off == APIC_LVT_TIMER && (w & APIC_LVT_TIMER_MODE) == APIC_LVT_TIMER_MODE)
			w &= ~APIC_LVT_TIMER_MODE;
		if (!enabled)
			w |= APIC_LVT_MASKED;
		apic_put(page, off, w | keep);
		return off == APIC_LVT_TIMER				? APIC_ACT_TIMER_LVT
		       : off == APIC_LVT_LINT0 || off == APIC_LVT_LINT1 ? APIC_ACT_LINT
									: APIC_ACT_NONE;
	}
	case APIC_TMICT:
		apic_put(page, off, val);
		return APIC_ACT_TIMER_COUNT;
	case APIC_TDCR:
		apic_put(page, off, val & APIC_TDCR_MASK);
		return APIC_ACT_TIMER_DIV;
	default:
		/* Read-only (version, APR, PPR, RRD, ISR/TMR/IRR, TMCCT) or reserved. */
		return APIC_ACT_ILLEGAL;
	}
}

static bool readable(unsigned off)
{
	if (off >= APIC_ISR && off < APIC_ESR)
		return true; /* ISR, TMR, IRR */
	switch (off) {
	case APIC_ID:
	case APIC_VERSION:
	case APIC_TPR:
	case APIC_APR:
	case APIC_PPR:
	case APIC_EOI:
	case APIC_RRD:
	case APIC_LDR:
	case APIC_DFR:
	case APIC_SPIV:
	case APIC_ESR:
	case APIC_ICR_LO:
	case APIC_ICR_HI:
	case APIC_LVT_TIMER:
	case APIC_LVT_THERM:
	case APIC_LVT_PMC:
	case APIC_LVT_LINT0:
	case APIC_LVT_LINT1:
	case APIC_LVT_ERROR:
	case APIC_TMICT:
	case APIC_TMCCT:
	case APIC_TDCR:
		return true;
	default:
		return false;
	}
}

u32 apic_read(u32 *page, unsigned off, bool *illegal)
{
	*illegal = !readable(off);
	if (*illegal || off == APIC_TMCCT || off == APIC_EOI || off == APIC_APR || off == APIC_RRD)
		return 0;
	if (off == APIC_PPR)
		return apic_update_ppr(page);
	if (off == APIC_ICR_LO) /* delivery is instantaneous: the status bit reads idle */
		return apic_get(page, off) & ~(u32)APIC_ICR_BUSY;
	return apic_get(page, off);
}

void apic_error(u32 *pending_esr, u32 bits)
{
	*pending_esr |= bits;
}

/* 11.6.2.1 physical (0xFF broadcast), 11.6.2.2 logical: flat or cluster model. */
bool apic_match_dest(const u32 *page, u8 dest, bool logical)
{
	u8 id = (u8)(apic_get(page, APIC_ID) >> 24);
	u8 ldr = (u8)(apic_get(page, APIC_LDR) >> 24);

	if (!logical)
		return dest == 0xFF || dest == id;
	if ((apic_get(page, APIC_DFR) >> 28) == 0xF)
		return (dest & ldr) != 0;
	/* Cluster: high nibble the cluster (15 broadcasts), low nibble a member mask. */
	return ((dest >> 4) == (ldr >> 4) || (dest >> 4) == 0xF) && (dest & ldr & 0x0F);
}

/* TDCR bits 3,1:0: 000 /2, 001 /4, 010 /8, 011 /16, 100 /32, 101 /64, 110 /128, 111 /1. */
unsigned apic_timer_divisor(u32 tdcr)
{
	unsigned code = ((tdcr >> 1) & 4) | (tdcr & 3);

	return code == 7 ? 1 : 2u << code;
}
