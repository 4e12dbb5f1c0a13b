/*
 * The local APIC's registers in xAPIC mode (Intel SDM Vol. 3A 11.4.1,
 * Table 11-1 "Local APIC Register Address Map"): 32-bit registers on
 * 16-byte boundaries in a 4 KiB page, and the fields of the ones Keel
 * models. The same layout is the virtual-APIC page of VMX APIC
 * virtualization (SDM Vol. 3C 30.1).
 */
#ifndef KEEL_ARCH_X86_APIC_REGS_H
#define KEEL_ARCH_X86_APIC_REGS_H

#include "lib/types.h"

#define APIC_DEFAULT_BASE 0xFEE00000ULL
#define APIC_PAGE_SIZE	  4096

/* IA32_APIC_BASE (MSR 0x1B), SDM 11.4.4. */
#define MSR_IA32_APIC_BASE    0x1B
#define APIC_BASE_BSP	      BIT(8)
#define APIC_BASE_EXTD	      BIT(10) /* x2APIC mode */
#define APIC_BASE_EN	      BIT(11)
#define APIC_BASE_ADDR_MASK   0xFFFFFFFFFF000ULL
#define MSR_IA32_TSC_DEADLINE 0x6E0
#define MSR_X2APIC_FIRST      0x800
#define MSR_X2APIC_LAST	      0x8FF

/* Register offsets. */
#define APIC_ID		0x020
#define APIC_VERSION	0x030
#define APIC_TPR	0x080
#define APIC_APR	0x090
#define APIC_PPR	0x0A0
#define APIC_EOI	0x0B0
#define APIC_RRD	0x0C0
#define APIC_LDR	0x0D0
#define APIC_DFR	0x0E0
#define APIC_SPIV	0x0F0
#define APIC_ISR	0x100 /* 8 registers, 0x100-0x170 */
#define APIC_TMR	0x180 /* 8 registers, 0x180-0x1F0 */
#define APIC_IRR	0x200 /* 8 registers, 0x200-0x270 */
#define APIC_ESR	0x280
#define APIC_LVT_CMCI	0x2F0
#define APIC_ICR_LO	0x300
#define APIC_ICR_HI	0x310
#define APIC_LVT_TIMER	0x320
#define APIC_LVT_THERM	0x330
#define APIC_LVT_PMC	0x340
#define APIC_LVT_LINT0	0x350
#define APIC_LVT_LINT1	0x360
#define APIC_LVT_ERROR	0x370
#define APIC_TMICT	0x380
#define APIC_TMCCT	0x390
#define APIC_TDCR	0x3E0
#define X2APIC_SELF_IPI 0x3F0 /* x2APIC mode only: MSR 0x83F (11.12.11) */

/* Version register (11.4.8): integrated APIC, LVT entries - 1 in bits 23:16. */
#define APIC_VERSION_INTEGRATED	  0x14
#define APIC_VERSION_MAXLVT_SHIFT 16

/* Spurious-interrupt vector register (11.9). */
#define APIC_SPIV_VECTOR    0xFF
#define APIC_SPIV_ENABLE    BIT(8)
#define APIC_SPIV_FOCUS_OFF BIT(9)

/* Destination format (11.6.2.2): bits 31:28 model, 27:0 read as ones. */
#define APIC_DFR_FLAT	 0xFFFFFFFFU
#define APIC_DFR_CLUSTER 0x0FFFFFFFU

/* LVT fields (11.5.1, Figure 11-8). */
#define APIC_LVT_VECTOR	       0xFF
#define APIC_LVT_DM_SHIFT      8
#define APIC_LVT_DM_MASK       (7U << 8)
#define APIC_LVT_DM_FIXED      (0U << 8)
#define APIC_LVT_DM_SMI	       (2U << 8)
#define APIC_LVT_DM_NMI	       (4U << 8)
#define APIC_LVT_DM_INIT       (5U << 8)
#define APIC_LVT_DM_EXTINT     (7U << 8)
#define APIC_LVT_PENDING       BIT(12) /* delivery status */
#define APIC_LVT_POLARITY      BIT(13)
#define APIC_LVT_REMOTE_IRR    BIT(14)
#define APIC_LVT_LEVEL	       BIT(15)
#define APIC_LVT_MASKED	       BIT(16)
#define APIC_LVT_TIMER_MODE    (3U << 17)
#define APIC_TIMER_ONESHOT     (0U << 17)
#define APIC_TIMER_PERIODIC    (1U << 17)
#define APIC_TIMER_TSCDEADLINE (2U << 17)

/* Interrupt command register (11.6.1, Figure 11-12). */
#define APIC_ICR_VECTOR	       0xFF
#define APIC_ICR_DM_MASK       (7U << 8)
#define APIC_ICR_DM_FIXED      (0U << 8)
#define APIC_ICR_DM_LOWEST     (1U << 8)
#define APIC_ICR_DM_SMI	       (2U << 8)
#define APIC_ICR_DM_NMI	       (4U << 8)
#define APIC_ICR_DM_INIT       (5U << 8)
#define APIC_ICR_DM_SIPI       (6U << 8)
#define APIC_ICR_LOGICAL       BIT(11)
#define APIC_ICR_BUSY	       BIT(12) /* delivery status: send pending */
#define APIC_ICR_ASSERT	       BIT(14)
#define APIC_ICR_LEVEL	       BIT(15)
#define APIC_ICR_SHORTHAND     (3U << 18)
#define APIC_ICR_DEST_FIELD    0
#define APIC_ICR_DEST_SELF     (1U << 18)
#define APIC_ICR_DEST_ALL      (2U << 18)
#define APIC_ICR_DEST_OTHERS   (3U << 18)
#define APIC_ICR_HI_DEST_SHIFT 24

/* Error status register (11.5.3). */
#define APIC_ESR_SEND_ILLEGAL_VECTOR BIT(5)
#define APIC_ESR_RECV_ILLEGAL_VECTOR BIT(6)
#define APIC_ESR_ILLEGAL_REGISTER    BIT(7)

/* Divide configuration (11.5.4, Figure 11-10): bits 0, 1 and 3. */
#define APIC_TDCR_MASK 0xB

#endif
