/*
 * Guest "attack_fault": a guest whose fault handler faults (issue 8,
 * tests/emu/test_hostile.py).
 *
 * It loads its own page tables (lib/paging.h) and puts its stack in the
 * window at PAGING_WINDOW: pages 1-4 map a 16 KiB buffer, page 0 stays not
 * present, a guard below the stack. Every IDT vector goes to one handler
 * that reads a non-canonical address, which raises #GP, whose handler is
 * the same code: each nested #GP pushes a frame until the stack reaches
 * the guard page. Delivering the next #GP then raises #PF (double fault),
 * delivering #DF raises #PF again: a triple fault. Keel must end the guest
 * (`ended by triple-fault`) and its crash report walks the guest's tables:
 * the stack pointer then lies in the not-present guard page.
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/paging.h"

#define FAULT_STACK_PAGES 4
#define FAULT_IDT_WORDS	  (IDT_VECTORS * 2)

/* The handler: read a non-canonical address, for ever. */
void fault_recurse(void);
__asm__(".text\n"
	".globl fault_recurse\n"
	"fault_recurse:\n"
	"	movabs $0x8000000000000000, %rax\n"
	"	movq (%rax), %rax\n"
	"	jmp fault_recurse\n");

static u8 fault_stack[FAULT_STACK_PAGES][PAGING_PAGE] __aligned(PAGING_PAGE);
static u64 fault_idt[FAULT_IDT_WORDS] __aligned(16);

struct fault_idtr {
	u16 limit;
	u64 base;
} __packed;

static void fault_setup(void)
{
	u16 cs;

	paging_build();
	for (u32 i = 0; i < FAULT_STACK_PAGES; i++)
		*paging_window_pte(i + 1) = paging_leaf((u64)(uintptr_t)fault_stack[i], 0);
	paging_load();
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	for (u32 v = 0; v < IDT_VECTORS; v++) {
		fault_idt[2 * v] = idt_gate_low((uintptr_t)fault_recurse, cs);
		fault_idt[2 * v + 1] = (u64)(uintptr_t)fault_recurse >> 32;
	}
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	struct fault_idtr idtr = {.limit = sizeof(fault_idt) - 1, .base = (uintptr_t)fault_idt};
	u64 top = PAGING_WINDOW + (FAULT_STACK_PAGES + 1) * PAGING_PAGE;

	fault_setup();
	print("fault: stack [0x%llx, 0x%llx), guard page below; every handler faults\n",
	      (unsigned long long)(PAGING_WINDOW + PAGING_PAGE), (unsigned long long)top);
	__asm__ volatile("lidt %0\n"
			 "mov %1, %%rsp\n"
			 "jmp fault_recurse"
			 :
			 : "m"(idtr), "r"(top)
			 : "memory");
	check_fail("fault: still running");
}
