/*
 * The VMCALL hypercall ABI (vm/guest_abi.h, docs/guests.md): function in
 * RAX, arguments in RDI, RSI, RDX, result in RAX. An unknown function
 * returns KEEL_HC_ENOSYS (never #UD); a call from CPL > 0 returns
 * KEEL_HC_EPERM. Guest pointers are checked against guest RAM and copied
 * through the EPT, never dereferenced.
 */
#include "boot/options.h"
#include "lib/string.h"
#include "mm/pt.h"
#include "vm/guest.h"
#include "vm/guest_abi.h"
#include "vmx/exit.h"
#include "vmx/exit_fast.h"
#include "vmx/exit_reason.h"
#include "vmx/vcpu.h"
#include "vmx/vmx_controls.h"
#include "vmx/vmx_insn.h"

typedef s64 hypercall_fn(struct vcpu *v, u64 a0, u64 a1, u64 a2);

static s64 hc_version(struct vcpu *v, u64 a0, u64 a1, u64 a2)
{
	return KEEL_HC_ABI_VERSION;
}

static s64 hc_nop(struct vcpu *v, u64 a0, u64 a1, u64 a2)
{
	return 0;
}

static s64 hc_exit(struct vcpu *v, u64 status, u64 a1, u64 a2)
{
	guest_end(v->guest, GUEST_END_HYPERCALL, (int)(u32)status, "KEEL_HC_EXIT(%lu)", status);
	return 0;
}

/* Copies the guest's statistics to guest-physical a0, at most a1 bytes. */
static s64 hc_stats(struct vcpu *v, u64 dst, u64 len, u64 a2)
{
	struct keel_guest_stats s;
	struct guest *g = v->guest;
	u64 n = MIN(len, sizeof(s));

	if (dst >= g->mem.ram_size || n > g->mem.ram_size - dst)
		return KEEL_HC_EFAULT;
	memset(&s, 0, sizeof(s));
	s.exits = guest_exits(g);
	s.ept_violations = g->mem.stats.violations;
	s.leaves_4k = g->mem.stats.leaves[1];
	s.leaves_2m = g->mem.stats.leaves[2];
	s.leaves_1g = g->mem.stats.leaves[3];
	s.fallbacks = g->mem.stats.fallbacks;
	s.spurious = g->mem.stats.spurious;
	s.ept_tables = gmem_table_pages(&g->mem);
	s.invept = gmem_invept_count(&g->mem);
	s.data_frames = g->mem.data_frames;
	s.restores = g->mem.stats.restores;
	s.switches = g->stats.switches;
	s.vpid = v->vpid;
	s.fill_resumes = g->mem.stats.fill_resumes;
	s.guest_ticks = v->guest_ticks;
	s.keel_ticks = vcpu_used_now(v) - v->guest_ticks;
	s.restarts = g->restarts;
	s.zero_maps = g->mem.zero_maps;
	s.zero_faults = g->mem.stats.zero_faults;
	s.cow = g->mem.stats.cow;
	s.promotions = g->mem.stats.promotions;
	s.reclaimed = g->mem.reclaim.returned;
	s.ws_samples = g->mem.ws.samples;
	s.ws_last = g->mem.ws.last;
	if (gmem_write(&g->mem, gpa(dst), &s, n) != GMEM_OK)
		return KEEL_HC_EFAULT;
	return (s64)n;
}

static s64 gmem_result(enum gmem_status s)
{
	return s == GMEM_OK ? 0 : s == GMEM_OUTSIDE ? KEEL_HC_EINVAL : KEEL_HC_EFAULT;
}

/* Test-only: unmap guest RAM [a0, a0+a1); the next access faults and reads zero. */
static s64 hc_test_unmap(struct vcpu *v, u64 start, u64 len, u64 a2)
{
	return gmem_result(gmem_unmap(&v->guest->mem, gpa(start), len));
}

/* Test-only: reduce [a0, a0+a1) to permissions a2 (KEEL_PERM_*, at least read). */
static s64 hc_test_protect(struct vcpu *v, u64 start, u64 len, u64 perms)
{
	unsigned p = 0;

	if (perms & ~(u64)(KEEL_PERM_R | KEEL_PERM_W | KEEL_PERM_X) || !(perms & KEEL_PERM_R))
		return KEEL_HC_EINVAL;
	p |= (perms & KEEL_PERM_R) ? PT_PERM_R : 0;
	p |= (perms & KEEL_PERM_W) ? PT_PERM_W : 0;
	p |= (perms & KEEL_PERM_X) ? PT_PERM_X : 0;
	return gmem_result(gmem_protect(&v->guest->mem, gpa(start), len, p));
}

/*
 * Test-only: the host frame the EPT maps at guest-physical a0, taken back
 * by the frame alone (gmem_unmap_frame finds the guest and page through
 * the reverse map). First the map must name this guest, this page and the
 * EPT's leaf level (EFAULT if not: a Keel bug shown to the test); EINVAL
 * when a0 is not mapped RAM or maps the zero frame. Returns the level.
 */
static s64 hc_test_unmap_frame(struct vcpu *v, u64 a0, u64 a1, u64 a2)
{
	struct gmem *mem = &v->guest->mem, *owner;
	u64 page = ALIGN_DOWN(a0, PAGE_SIZE);
	enum gmem_status s;
	struct pt_walk w;
	unsigned level;
	gpa_t g;

	/* The shared zero frame is no frame of the guest's: it is never taken back. */
	if (a0 >= mem->ram_size || !pt_lookup(&mem->ept, page, &w) || gmem_is_zero(mem, w.pa))
		return KEEL_HC_EINVAL;
	if (!gmem_frame_owner(w.pa, &owner, &g, &level) || owner != mem || gpa_addr(g) != page ||
	    level != w.level)
		return KEEL_HC_EFAULT;
	s = gmem_unmap_frame(w.pa);
	return s == GMEM_OK ? (s64)level : gmem_result(s);
}

/* Entries in a page-modification log page (SDM Vol. 3C 29.3.6 "Page-Modification Logging"). */
#define PML_ENTRIES (PAGE_SIZE / 8)

/* Ascending order for the addresses the dirty log hands back (its list spans frames). */
static void sort_dirty(const struct gmem_dirty *l)
{
	for (unsigned i = 1; i < l->count; i++) {
		u64 x = *gmem_dirty_entry(l, i);
		unsigned j = i;

		for (; j > 0 && *gmem_dirty_entry(l, j - 1) > x; j--)
			*gmem_dirty_entry(l, j) = *gmem_dirty_entry(l, j - 1);
		*gmem_dirty_entry(l, j) = x;
	}
}

/*
 * KEEL_HC_TEST_DIRTY_LOG (vm/guest_abi.h; struct gmem_dirty): PML when the
 * CPU offers it and the guest's EPT sets dirty flags (dirtylog=on), the
 * VMCS of this, the guest's only vCPU, pointed at the log page; else
 * write protection. EPERM with several vCPUs; EINVAL for a bad op, an op
 * out of turn, or more pages written than `max` or the log holds;
 * EFAULT for a buffer outside RAM.
 */
static s64 hc_test_dirty_log(struct vcpu *v, u64 op, u64 buf, u64 max)
{
	struct gmem *m = &v->guest->mem;
	struct gmem_dirty *l = &m->dirty;
	bool pml = m->ad && vmx_caps.pml;
	enum gmem_status s;
	unsigned n;

	if (v->guest->vcpu_count != 1)
		return KEEL_HC_EPERM;
	if (op == 0) {
		s = gmem_dirty_start(m, pml);
		if (s != GMEM_OK)
			return s == GMEM_EXISTS ? KEEL_HC_EINVAL : gmem_result(s);
		if (pml) {
			vmcs_write(VMCS_PML_ADDRESS, hpa_addr(l->pml));
			vmcs_write(VMCS_GUEST_PML_INDEX, PML_ENTRIES - 1);
			vmcs_write(VMCS_PROC_BASED_CTLS2,
				   vmcs_read(VMCS_PROC_BASED_CTLS2) | PROC2_ENABLE_PML);
		}
		return pml ? 1 : 2;
	}
	if (l->mode == GMEM_DIRTY_OFF || op > 2)
		return KEEL_HC_EINVAL;
	if (l->mode == GMEM_DIRTY_PML) {
		u64 index = vmcs_read(VMCS_GUEST_PML_INDEX) & 0xFFFF;

		/* The next free entry: those above it are written (all, once it wrapped). */
		gmem_dirty_drain(m, index >= PML_ENTRIES ? 0 : (unsigned)index + 1);
		vmcs_write(VMCS_GUEST_PML_INDEX, PML_ENTRIES - 1);
	}
	if (op == 2) {
		if (l->mode == GMEM_DIRTY_PML)
			vmcs_write(VMCS_PROC_BASED_CTLS2,
				   vmcs_read(VMCS_PROC_BASED_CTLS2) & ~(u64)PROC2_ENABLE_PML);
		gmem_dirty_stop(m);
		return 0;
	}
	n = l->count;
	if (l->overflow || n > max)
		return KEEL_HC_EINVAL;
	if (buf >= m->ram_size || (u64)n * 8 > m->ram_size - buf)
		return KEEL_HC_EFAULT;
	sort_dirty(l);
	for (unsigned i = 0; i < n; i += GMEM_DIRTY_PER_FRAME) {
		unsigned k = MIN(n - i, (unsigned)GMEM_DIRTY_PER_FRAME);

		if (gmem_write(m, gpa(buf + (u64)i * 8), gmem_dirty_entry(l, i), (u64)k * 8) !=
		    GMEM_OK)
			return KEEL_HC_EFAULT;
	}
	gmem_dirty_rearm(m);
	return n;
}

static hypercall_fn *const test_hypercalls[] = {
    [KEEL_HC_TEST_UNMAP - KEEL_HC_TEST_BASE] = hc_test_unmap,
    [KEEL_HC_TEST_PROTECT - KEEL_HC_TEST_BASE] = hc_test_protect,
    [KEEL_HC_TEST_UNMAP_FRAME - KEEL_HC_TEST_BASE] = hc_test_unmap_frame,
    [KEEL_HC_TEST_DIRTY_LOG - KEEL_HC_TEST_BASE] = hc_test_dirty_log,
};

/* The handler for fn, or NULL: test functions only with testhc=on. */
static hypercall_fn *lookup(u64 fn);

static hypercall_fn *const hypercalls[] = {
    [KEEL_HC_VERSION] = hc_version,
    [KEEL_HC_NOP] = hc_nop,
    [KEEL_HC_EXIT] = hc_exit,
    [KEEL_HC_STATS] = hc_stats,
};

static hypercall_fn *lookup(u64 fn)
{
	if (fn < ARRAY_SIZE(hypercalls))
		return hypercalls[fn];
	fn -= KEEL_HC_TEST_BASE;
	if (keel_opts.testhc && fn < ARRAY_SIZE(test_hypercalls))
		return test_hypercalls[fn];
	return NULL;
}

void hypercall_handle_exit(struct vcpu *v)
{
	u64 *gpr = v->regs.gpr;
	u64 fn = gpr[GPR_RAX];
	s64 ret;

	v->guest->stats.hypercalls++;
	if (vcpu_cpl() != 0)
		ret = KEEL_HC_EPERM;
	else if (lookup(fn))
		ret = lookup(fn)(v, gpr[GPR_RDI], gpr[GPR_RSI], gpr[GPR_RDX]);
	else
		ret = KEEL_HC_ENOSYS;
	gpr[GPR_RAX] = (u64)ret;
	vcpu_skip_instruction(v);
}

int hypercall_exit_fast(struct vcpu *v, u64 exit_tsc, u64 target)
{
	u64 *gpr = v->regs.gpr;

	if (gpr[GPR_RAX] != KEEL_HC_NOP || vcpu_cpl() != 0)
		return VMX_EXIT_SLOW;
	v->guest->stats.hypercalls++;
	gpr[GPR_RAX] = 0;
	return vmx_exit_fast_done(v, exit_tsc, target, EXIT_REASON_VMCALL);
}
