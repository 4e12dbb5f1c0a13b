/*
 * Deliberate faults for test=. Each action prints one line saying what it is
 * about to do, then does it; the fault report (arch/x86/exception.c) ends
 * the run. An action that returns was not stopped: it says so and ends the
 * run with SELFTEST_STATUS_NOT_STOPPED. Actions that depend on Keel's own
 * page tables (the stack guard page, W^X) check the mapping first, so that
 * a recursion never runs off the end of the stack into memory that is not
 * a guard.
 */
#include "boot/selftest.h"
#include "arch/x86/cpu.h"
#include "boot/end.h"
#include "lib/console.h"
#include "mm/addr.h"

/* Canonical, never RAM, never mapped: bit 47 clear, far above any RAM. */
#define SELFTEST_UNMAPPED_VA 0x00007FFF00000000ULL
/* Bits 63:48 differ from bit 47: any access is a #GP (SDM 3.3.7.1). */
#define SELFTEST_NONCANONICAL_VA 0x8000000000000000ULL

/* 4-level paging entries (SDM Vol. 3A, 4.5 "4-Level Paging"). */
#define PTE_P	      BIT(0)
#define PTE_PS	      BIT(7)
#define PTE_ADDR_MASK 0x000FFFFFFFFFF000ULL

/* boot/entry.S: the page below the boot stack, left unmapped by mm/paging.c. */
extern u8 boot_stack_guard[];

/* Shared, write-once at boot: never written; volatile, so the compiler keeps the recursion. */
static volatile bool selftest_stop_recursion;

/*
 * True if the current page tables (CR3) map va. A read-only probe of the
 * tables through the direct map; large pages end the walk early.
 */
static bool selftest_is_mapped(uintptr_t va)
{
	u64 table = read_cr3() & PTE_ADDR_MASK;

	for (int level = 3; level >= 0; level--) {
		const u64 *entries = hpa_ptr(hpa(table));
		u64 e = entries[(va >> (PAGE_SHIFT + 9 * level)) & 511];

		if (!(e & PTE_P))
			return false;
		if (level == 0 || ((level == 1 || level == 2) && (e & PTE_PS)))
			return true;
		table = e & PTE_ADDR_MASK;
	}
	return true;
}

static __noreturn void selftest_not_stopped(const char *name, const char *what)
{
	pr_err("selftest %s: NOT stopped: %s", name, what);
	keel_end(SELFTEST_STATUS_NOT_STOPPED);
}

/* Each call takes a frame of over 256 bytes; only a fault ends it. */
static __attribute__((noinline)) u64 selftest_recurse(u64 depth)
{
	volatile u8 frame[256];

	frame[0] = (u8)depth;
	if (selftest_stop_recursion)
		return frame[0];
	return selftest_recurse(depth + 1) + frame[0];
}

static void selftest_fault_stack(void)
{
	uintptr_t guard = (uintptr_t)boot_stack_guard;

	if (selftest_is_mapped(guard)) {
		pr_err("selftest fault-stack: stack guard page 0x%lx is mapped", guard);
		selftest_not_stopped("fault-stack",
				     "no guard page below the stack (no paging yet)");
	}
	pr_info("selftest fault-stack: recursing into the stack guard page at 0x%lx", guard);
	selftest_recurse(0);
	selftest_not_stopped("fault-stack", "the recursion returned");
}

/* Writes a byte of Keel's .text with the value it already has. */
static void selftest_fault_wx(void)
{
	volatile u8 *text = (volatile u8 *)(uintptr_t)&selftest_run;
	u8 old = *text;

	pr_info("selftest fault-wx: writing to Keel's .text at 0x%lx", (uintptr_t)text);
	*text = old;
	selftest_not_stopped("fault-wx", "the write to .text went through (no W^X yet)");
}

static void selftest_fault_pf(void)
{
	pr_info("selftest fault-pf: reading unmapped address 0x%llx", SELFTEST_UNMAPPED_VA);
	__asm__ volatile("movq (%0), %%rax" : : "r"(SELFTEST_UNMAPPED_VA) : "rax", "memory");
	selftest_not_stopped("fault-pf", "the read of an unmapped address went through");
}

static void selftest_fault_gp(void)
{
	pr_info("selftest fault-gp: reading non-canonical address 0x%llx",
		SELFTEST_NONCANONICAL_VA);
	__asm__ volatile("movq (%0), %%rax" : : "r"(SELFTEST_NONCANONICAL_VA) : "rax", "memory");
	selftest_not_stopped("fault-gp", "the non-canonical read went through");
}

static void selftest_fault_de(void)
{
	pr_info("selftest fault-de: dividing by zero");
	__asm__ volatile("xorl %%ecx, %%ecx\n\t"
			 "movl $1, %%eax\n\t"
			 "xorl %%edx, %%edx\n\t"
			 "divl %%ecx"
			 :
			 :
			 : "rax", "rcx", "rdx");
	selftest_not_stopped("fault-de", "the division by zero went through");
}

static void selftest_fault_ud(void)
{
	pr_info("selftest fault-ud: executing ud2");
	__asm__ volatile("ud2");
	selftest_not_stopped("fault-ud", "ud2 went through");
}

void selftest_run(enum test_action action)
{
	switch (action) {
	case TEST_NONE:
	case TEST_SKIP_INVEPT: /* acted on where the INVEPT would be (vm/gmem.c) */
	case TEST_SKIP_SHOOTDOWN:
	case TEST_SKIP_INVVPID: /* acted on where the INVVPID would be (vmx/vpid.c) */
	case TEST_SMP_SILENT:	/* acted on where the CPUs start (boot/cpus.c) */
	case TEST_SMP_MISMATCH:
	case TEST_SMP_CONSOLE:
		return;
	case TEST_FAULT_UD:
		selftest_fault_ud();
		break;
	case TEST_FAULT_PF:
		selftest_fault_pf();
		break;
	case TEST_FAULT_GP:
		selftest_fault_gp();
		break;
	case TEST_FAULT_DE:
		selftest_fault_de();
		break;
	case TEST_FAULT_STACK:
		selftest_fault_stack();
		break;
	case TEST_FAULT_WX:
		selftest_fault_wx();
		break;
	}
	selftest_not_stopped("test", "unknown action");
}
