/*
 * Model-specific register numbers and bits (Intel SDM Vol. 4, "Model-Specific
 * Registers", Table 2-2 "IA-32 Architectural MSRs").
 */
#ifndef KEEL_ARCH_X86_MSR_H
#define KEEL_ARCH_X86_MSR_H

#include "lib/types.h"

#define IA32_TIME_STAMP_COUNTER	     0x010
#define IA32_PLATFORM_ID	     0x017
#define IA32_APIC_BASE		     0x01B
#define IA32_FEATURE_CONTROL	     0x03A
#define IA32_TSC_ADJUST		     0x03B
#define IA32_SPEC_CTRL		     0x048
#define IA32_PRED_CMD		     0x049
#define IA32_BIOS_SIGN_ID	     0x08B
#define IA32_MTRRCAP		     0x0FE
#define IA32_ARCH_CAPABILITIES	     0x10A
#define IA32_SYSENTER_CS	     0x174
#define IA32_SYSENTER_ESP	     0x175
#define IA32_SYSENTER_EIP	     0x176
#define IA32_MCG_CAP		     0x179
#define IA32_MCG_STATUS		     0x17A
#define IA32_MCG_CTL		     0x17B
#define IA32_MISC_ENABLE	     0x1A0
#define IA32_DEBUGCTL		     0x1D9
#define IA32_PAT		     0x277
#define IA32_MTRR_DEF_TYPE	     0x2FF
#define IA32_MC0_CTL		     0x400
#define IA32_VMX_BASIC		     0x480
#define IA32_VMX_PINBASED_CTLS	     0x481
#define IA32_VMX_PROCBASED_CTLS	     0x482
#define IA32_VMX_EXIT_CTLS	     0x483
#define IA32_VMX_ENTRY_CTLS	     0x484
#define IA32_VMX_MISC		     0x485
#define IA32_VMX_CR0_FIXED0	     0x486
#define IA32_VMX_CR0_FIXED1	     0x487
#define IA32_VMX_CR4_FIXED0	     0x488
#define IA32_VMX_CR4_FIXED1	     0x489
#define IA32_VMX_VMCS_ENUM	     0x48A
#define IA32_VMX_PROCBASED_CTLS2     0x48B
#define IA32_VMX_EPT_VPID_CAP	     0x48C
#define IA32_VMX_TRUE_PINBASED_CTLS  0x48D
#define IA32_VMX_TRUE_PROCBASED_CTLS 0x48E
#define IA32_VMX_TRUE_EXIT_CTLS	     0x48F
#define IA32_VMX_TRUE_ENTRY_CTLS     0x490
#define IA32_VMX_VMFUNC		     0x491
#define IA32_TSC_DEADLINE	     0x6E0
#define IA32_X2APIC_FIRST	     0x800
#define IA32_X2APIC_LAST	     0x8FF
#define IA32_XSS		     0xDA0
#define IA32_EFER		     0xC0000080
#define IA32_STAR		     0xC0000081
#define IA32_LSTAR		     0xC0000082
#define IA32_CSTAR		     0xC0000083
#define IA32_FMASK		     0xC0000084
#define IA32_FS_BASE		     0xC0000100
#define IA32_GS_BASE		     0xC0000101
#define IA32_KERNEL_GS_BASE	     0xC0000102
#define IA32_TSC_AUX		     0xC0000103

/* IA32_FEATURE_CONTROL (SDM Vol. 3C, 23.7 "Enabling and Entering VMX Operation") */
#define FEATURE_CONTROL_LOCK		BIT(0)
#define FEATURE_CONTROL_VMX_IN_SMX	BIT(1)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX BIT(2)

/* IA32_EFER */
#define EFER_SCE BIT(0)
#define EFER_LME BIT(8)
#define EFER_LMA BIT(10)
#define EFER_NXE BIT(11)

/* IA32_MISC_ENABLE (SDM Vol. 4, Table 2-2) */
#define MISC_ENABLE_FAST_STRINGS BIT(0)	 /* R/W */
#define MISC_ENABLE_TCC		 BIT(3)	 /* R/W: automatic thermal control circuit */
#define MISC_ENABLE_PERFMON	 BIT(7)	 /* RO: performance monitoring available */
#define MISC_ENABLE_NO_BTS	 BIT(11) /* RO: branch trace storage unavailable */
#define MISC_ENABLE_NO_PEBS	 BIT(12) /* RO: PEBS unavailable */
#define MISC_ENABLE_EIST	 BIT(16) /* R/W if CPUID.01H:ECX[7] */
#define MISC_ENABLE_MONITOR_FSM	 BIT(18) /* R/W; 0 clears CPUID.01H:ECX[3] */
#define MISC_ENABLE_LIMIT_CPUID	 BIT(22) /* R/W if CPUID.0H:EAX > 2; leaf 0 reports 2 */
#define MISC_ENABLE_XTPR_DISABLE BIT(23) /* R/W if CPUID.01H:ECX[14] */
#define MISC_ENABLE_XD_DISABLE	 BIT(34) /* R/W if NX; 1 clears CPUID.80000001H:EDX[20] */

/* IA32_MCG_CAP and IA32_MCG_STATUS (SDM Vol. 3B, 16.3.1) */
#define MCG_CAP_COUNT	 0xFFULL
#define MCG_CAP_CTL_P	 BIT(8)
#define MCG_CAP_LMCE_P	 BIT(27)
#define MCG_STATUS_RIPV	 BIT(0)
#define MCG_STATUS_EIPV	 BIT(1)
#define MCG_STATUS_MCIP	 BIT(2)
#define MCG_STATUS_LMCES BIT(3) /* with MCG_CAP_LMCE_P */

/* IA32_APIC_BASE */
#define APIC_BASE_BSP  BIT(8)
#define APIC_BASE_EXTD BIT(10)
#define APIC_BASE_EN   BIT(11)

#endif
