/*
 * Value rules of Keel's emulated MSRs (see vm/msr_core.h). Pure C,
 * host-tested; vm/msr.c applies them to a vCPU.
 */
#include "vm/msr_core.h"
#include "arch/x86/msr.h"
#include "lib/format.h"

u64 msr_misc_enable_reset(const struct cpuid_caps *c)
{
	u64 v = MISC_ENABLE_FAST_STRINGS | MISC_ENABLE_NO_BTS | MISC_ENABLE_NO_PEBS;

	/* The SDM's default for ENABLE MONITOR FSM is 1, where MONITOR exists. */
	if (c->leaf1_ecx & CPUID1_ECX_MONITOR)
		v |= MISC_ENABLE_MONITOR_FSM;
	return v;
}

u64 msr_misc_enable_writable(const struct cpuid_caps *c)
{
	u64 w = MISC_ENABLE_FAST_STRINGS | MISC_ENABLE_TCC;

	if (c->leaf1_ecx & CPUID1_ECX_EST)
		w |= MISC_ENABLE_EIST;
	if ((c->leaf1_ecx & CPUID1_ECX_SSE3) && (c->leaf1_ecx & CPUID1_ECX_MONITOR))
		w |= MISC_ENABLE_MONITOR_FSM;
	if (c->max_basic > 2)
		w |= MISC_ENABLE_LIMIT_CPUID;
	if (c->leaf1_ecx & CPUID1_ECX_XTPR)
		w |= MISC_ENABLE_XTPR_DISABLE;
	if (c->ext1_edx & CPUIDX1_EDX_NX)
		w |= MISC_ENABLE_XD_DISABLE;
	return w;
}

bool msr_misc_enable_ok(const struct cpuid_caps *c, u64 old, u64 val, u64 efer)
{
	if ((val ^ old) & ~msr_misc_enable_writable(c))
		return false;
	return !((val & ~old & MISC_ENABLE_XD_DISABLE) && (efer & EFER_NXE));
}

u64 msr_efer_allowed(const struct cpuid_caps *c, u64 misc_enable)
{
	return c->efer_mask & ((misc_enable & MISC_ENABLE_XD_DISABLE) ? ~EFER_NXE : ~0ULL);
}

bool msr_mc_bank_ok(enum msr_mc_reg reg, u64 val)
{
	switch (reg) {
	case MSR_MC_CTL:
		return val == 0 || val == ~0ULL;
	case MSR_MC_STATUS:
		return val == 0;
	default:
		return true;
	}
}

bool msr_mcg_exists(u64 cap, u32 msr)
{
	return msr == IA32_MCG_CAP || msr == IA32_MCG_STATUS ||
	       (msr == IA32_MCG_CTL && (cap & MCG_CAP_CTL_P));
}

bool msr_mcg_ok(u64 cap, u32 msr, u64 val)
{
	u64 status = MCG_STATUS_RIPV | MCG_STATUS_EIPV | MCG_STATUS_MCIP |
		     ((cap & MCG_CAP_LMCE_P) ? MCG_STATUS_LMCES : 0);

	if (!msr_mcg_exists(cap, msr))
		return false;
	if (msr == IA32_MCG_STATUS)
		return !(val & ~status);
	if (msr == IA32_MCG_CTL)
		return val == 0 || val == ~0ULL;
	return false; /* IA32_MCG_CAP is read-only */
}

void msr_gp_note(struct msr_gp_count *t, u32 msr)
{
	for (u32 i = 0; i < t->used; i++) {
		if (t->msr[i] == msr) {
			t->count[i]++;
			return;
		}
	}
	if (t->used == MSR_GP_SLOTS) {
		t->other++;
		return;
	}
	t->msr[t->used] = msr;
	t->count[t->used++] = 1;
}

bool msr_gp_any(const struct msr_gp_count *t)
{
	return t->used != 0;
}

size_t msr_gp_format(const struct msr_gp_count *t, char *buf, size_t size)
{
	size_t n = 0;

	if (!size)
		return 0;
	buf[0] = '\0';
	for (u32 i = 0; i < t->used && n < size; i++)
		n += (size_t)fmt_snprintf(buf + n, size - n, "%s0x%x x%llu", i ? ", " : "",
					  t->msr[i], (unsigned long long)t->count[i]);
	if (t->other && n < size)
		n += (size_t)fmt_snprintf(buf + n, size - n, ", other x%llu",
					  (unsigned long long)t->other);
	return MIN(n, size - 1);
}
