/*
 * Guest "invlpg": the guest's own TLB maintenance works under Keel (issue 5:
 * with VPIDs the guest's translations stay cached across VM exits and
 * entries, so its INVLPG and MOV CR3 must do the flushing). It edits its
 * own page tables (lib/paging.h) with no VM exit between an edit and the
 * reads that judge it: no output, no hypercall, all pages touched before.
 *
 *   1. GVA X -> page P1 (value 1), read; PTE -> P2 (value 2), read again
 *      before INVLPG (the SDM allows 1, the cached translation, or 2; the
 *      guest records which), INVLPG X, read: must be 2.
 *   2. The same with MOV CR3 instead of INVLPG: a non-global translation
 *      must be gone after it.
 *   3. With CR4.PGE (when CPUID has PGE) and the G bit: MOV CR3 may keep the
 *      global translation; INVLPG X must not.
 *   4. PTE not present, INVLPG X: a read and a write of X raise #PF with
 *      CR2 = X and error codes 0 (not present, read) and W.
 *
 * The functions that edit and read sit each at the start of a page of
 * their own (aligned to PAGING_PAGE), so no instruction of theirs straddles
 * a page boundary (Bochs keeps such an instruction cached across flushes).
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/paging.h"
#include "tests/guests/lib/trap.h"
#include "tests/guests/lib/x86.h"

#define INV_V1	      0x1111111111111111ULL /* every word of P1 */
#define INV_V2	      0x2222222222222222ULL /* every word of P2 */
#define INV_X_OFF     0x800		    /* X is mid-page */
#define INV_CHECK_FN  __attribute__((noinline, aligned(PAGING_PAGE)))
#define INV_CR4_PGE   BIT(7)  /* SDM Vol. 3A 2.5 */
#define INV_CPUID_PGE BIT(13) /* CPUID leaf 1 EDX */

struct inv_page {
	u64 w[PAGING_PAGE / sizeof(u64)];
} __aligned(PAGING_PAGE);

static struct inv_page inv_p1, inv_p2;

/* Three reads of X: before the edit, after it (before the flush), after the flush. */
struct inv_reads {
	u64 before, stale, after;
};

static const volatile u64 *inv_x(void)
{
	return (const volatile u64 *)(PAGING_WINDOW + INV_X_OFF);
}

static u64 inv_gpa(const struct inv_page *p)
{
	return (u64)(uintptr_t)p;
}

/* Read X, point the PTE at leaf, read X, INVLPG X, read X. No VM exit. */
static INV_CHECK_FN void inv_remap_invlpg(volatile u64 *pte, u64 leaf, const volatile u64 *x,
					  struct inv_reads *r)
{
	r->before = *x;
	*pte = leaf;
	r->stale = *x;
	paging_invlpg(x);
	r->after = *x;
}

/* Read X, point the PTE at leaf, read X, reload CR3, read X. No VM exit. */
static INV_CHECK_FN void inv_remap_cr3(volatile u64 *pte, u64 leaf, const volatile u64 *x,
				       struct inv_reads *r)
{
	r->before = *x;
	*pte = leaf;
	r->stale = *x;
	paging_write_cr3(paging_root());
	r->after = *x;
}

/* Read X, point the PTE at leaf, reload CR3, read X, INVLPG X, read X. No VM exit. */
static INV_CHECK_FN void inv_remap_global(volatile u64 *pte, u64 leaf, const volatile u64 *x,
					  struct inv_reads *r)
{
	r->before = *x;
	*pte = leaf;
	paging_write_cr3(paging_root());
	r->stale = *x;
	paging_invlpg(x);
	r->after = *x;
}

/* Caches X, clears the PTE, INVLPG X, then reads (write = false) or writes X;
 * returns CR2 (trap_last says what was caught). */
static INV_CHECK_FN u64 inv_unmap_access(volatile u64 *pte, volatile u64 *x, bool write)
{
	u64 v = *x;

	*pte = 0;
	paging_invlpg(x);
	trap_reset();
	if (write)
		__asm__ volatile(TRAP_INSN("movq %1, (%0)") : : "r"(x), "r"(v) : "memory");
	else
		__asm__ volatile(TRAP_INSN("movq (%1), %0") : "=r"(v) : "r"(x) : "memory");
	return paging_read_cr2();
}

/* Judges one remap: first read P1, then P1 or P2 before the flush, P2 after it. */
static void inv_judge(const char *flush, const struct inv_reads *r)
{
	check_eq("read through the first mapping gives P1", r->before, INV_V1);
	if (r->stale == INV_V1)
		check_pass("before %s the read gives P1 (the cached translation)", flush);
	else if (r->stale == INV_V2)
		check_pass("before %s the read gives P2 (a fresh walk)", flush);
	else
		check_fail("before %s: got 0x%llx, want P1 (0x%llx) or P2", flush,
			   (unsigned long long)r->stale, (unsigned long long)INV_V1);
	if (r->after == INV_V2)
		check_pass("after %s the read gives P2", flush);
	else
		check_fail("after %s: got 0x%llx, want P2 (0x%llx)", flush,
			   (unsigned long long)r->after, (unsigned long long)INV_V2);
}

/* Maps X to P1 afresh (flushing the old translation) and touches it. */
static void inv_map_p1(volatile u64 *pte, u64 flags)
{
	*pte = paging_leaf(inv_gpa(&inv_p1), flags);
	paging_invlpg(inv_x());
	(void)*inv_x();
}

static void inv_check_remaps(volatile u64 *pte)
{
	struct inv_reads r = {0};

	inv_map_p1(pte, 0);
	inv_remap_invlpg(pte, paging_leaf(inv_gpa(&inv_p2), 0), inv_x(), &r);
	inv_judge("INVLPG", &r);

	inv_map_p1(pte, 0);
	inv_remap_cr3(pte, paging_leaf(inv_gpa(&inv_p2), 0), inv_x(), &r);
	inv_judge("MOV CR3", &r);
}

static void inv_check_global(volatile u64 *pte)
{
	struct inv_reads r = {0};
	uintptr_t cr4 = x86_read_cr4();

	if (!(x86_cpuid(1, 0).edx & INV_CPUID_PGE)) {
		print("global pages: CPUID has no PGE, skipped\n");
		return;
	}
	trap_reset();
	__asm__ volatile(TRAP_INSN("mov %0, %%cr4") : : "r"(cr4 | INV_CR4_PGE) : "memory");
	if (!trap_expect_none("set CR4.PGE"))
		return;
	inv_map_p1(pte, PAGING_G);
	inv_remap_global(pte, paging_leaf(inv_gpa(&inv_p2), PAGING_G), inv_x(), &r);
	if (r.stale == INV_V1)
		print("global: MOV CR3 kept the translation\n");
	inv_judge("INVLPG of a global page", &r);
	x86_write_cr4(cr4);
}

static void inv_check_fault(volatile u64 *pte, bool write)
{
	u64 cr2;
	const char *what = write ? "write" : "read";
	u32 err = write ? PAGING_PF_W : 0;

	inv_map_p1(pte, 0);
	cr2 = inv_unmap_access(pte, (volatile u64 *)inv_x(), write);
	if (!trap_expect(write ? "write of X after clearing P and INVLPG raises #PF (W)"
			       : "read of X after clearing P and INVLPG raises #PF",
			 TRAP_PF, err))
		return;
	if (cr2 == (uintptr_t)inv_x())
		check_pass("%s #PF: CR2 is X (0x%llx)", what, (unsigned long long)cr2);
	else
		check_fail("%s #PF: CR2 0x%llx, want X 0x%llx", what, (unsigned long long)cr2,
			   (unsigned long long)(uintptr_t)inv_x());
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	volatile u64 *pte = paging_window_pte(0);

	idt_init();
	print("invlpg: the guest's own TLB flushes, X = 0x%llx\n",
	      (unsigned long long)(uintptr_t)inv_x());
	/* Touch both pages now: no EPT fault (a VM exit) during the checks. */
	for (u32 i = 0; i < ARRAY_SIZE(inv_p1.w); i++) {
		inv_p1.w[i] = INV_V1;
		inv_p2.w[i] = INV_V2;
	}
	paging_build();
	paging_load();
	inv_check_remaps(pte);
	inv_check_global(pte);
	inv_check_fault(pte, false);
	inv_check_fault(pte, true);
}
