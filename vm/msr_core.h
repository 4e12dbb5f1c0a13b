/*
 * The rules of Keel's emulated MSRs that depend on values alone
 * (vm/msr_core.c): IA32_MISC_ENABLE and what it changes in CPUID and EFER,
 * the machine-check registers, and the per-MSR count of the #GPs a guest
 * was given. Pure C: vm/msr.c is the glue, tests/unit/test_msr_core.c
 * checks every rule, docs/platform-cpu.md lists them.
 */
#ifndef KEEL_VM_MSR_CORE_H
#define KEEL_VM_MSR_CORE_H

#include "lib/types.h"
#include "vm/cpuid_policy.h"

/* ---- IA32_MISC_ENABLE (SDM Vol. 4, Table 2-2) ---- */

/* The bits that change what CPUID shows: leaf 0, leaf 1 ECX.MONITOR, 0x80000001 EDX.NX. */
#define MISC_ENABLE_CPUID_BITS                                                                     \
	(MISC_ENABLE_LIMIT_CPUID | MISC_ENABLE_MONITOR_FSM | MISC_ENABLE_XD_DISABLE)

/* The value after RESET for a CPU showing c. */
u64 msr_misc_enable_reset(const struct cpuid_caps *c);
/*
 * The bits a WRMSR may change on a CPU showing c: fast strings and the
 * thermal control circuit always; EIST, xTPR message disable and XD bit
 * disable when CPUID shows EIST, xTPR and NX; ENABLE MONITOR FSM when it
 * shows SSE3 and MONITOR; Limit CPUID Maxval when leaf 0 goes beyond 2.
 */
u64 msr_misc_enable_writable(const struct cpuid_caps *c);
/*
 * True if WRMSR(IA32_MISC_ENABLE, val) is accepted on a CPU showing c,
 * holding old, with IA32_EFER = efer: it changes only writable bits, and
 * does not set XD bit disable while EFER.NXE is set (NXE would be a
 * reserved bit that is set; Keel refuses, the SDM does not say).
 */
bool msr_misc_enable_ok(const struct cpuid_caps *c, u64 old, u64 val, u64 efer);
/* The EFER bits WRMSR accepts: c's, less NXE while XD bit disable is set. */
u64 msr_efer_allowed(const struct cpuid_caps *c, u64 misc_enable);

/* ---- Machine check (SDM Vol. 3B, 16.3) ---- */

/* The registers of bank i: IA32_MC0_CTL + 4 * i + reg. */
enum msr_mc_reg { MSR_MC_CTL, MSR_MC_STATUS, MSR_MC_ADDR, MSR_MC_MISC };

/*
 * True if a bank register accepts val: MCi_CTL 0 or all ones, MCi_STATUS
 * 0 only (software clears it), MCi_ADDR and MCi_MISC any value (kept).
 */
bool msr_mc_bank_ok(enum msr_mc_reg reg, u64 val);
/* True if msr (IA32_MCG_CAP, _STATUS, _CTL) exists with this IA32_MCG_CAP. */
bool msr_mcg_exists(u64 cap, u32 msr);
/*
 * True if WRMSR(msr, val) is accepted with this IA32_MCG_CAP: MCG_CAP
 * never; MCG_STATUS RIPV, EIPV, MCIP (and LMCE_S with MCG_LMCE_P), the
 * rest reserved; MCG_CTL, present with MCG_CTL_P, 0 or all ones.
 */
bool msr_mcg_ok(u64 cap, u32 msr, u64 val);

/* ---- The #GPs Keel injects for RDMSR/WRMSR, counted per MSR ---- */

#define MSR_GP_SLOTS 8

/* The first MSR_GP_SLOTS distinct MSRs, then one count for all others. */
struct msr_gp_count {
	u32 used;
	u32 msr[MSR_GP_SLOTS];
	u64 count[MSR_GP_SLOTS];
	u64 other;
};

/* Counts one #GP for msr. */
void msr_gp_note(struct msr_gp_count *t, u32 msr);
/* Any #GP counted. */
bool msr_gp_any(const struct msr_gp_count *t);
/*
 * Writes "0x1a0 x2, 0x401 x1[, other x3]" into buf (always terminated,
 * cut short to fit size); returns the length written.
 */
size_t msr_gp_format(const struct msr_gp_count *t, char *buf, size_t size);

#endif
