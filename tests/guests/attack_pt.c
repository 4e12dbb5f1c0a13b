/*
 * Guest "attack_pt": page tables in weird shapes while Keel walks them
 * (issue 8, tests/emu/test_hostile.py). Keel walks a guest's tables when it
 * emulates string I/O and when it writes a crash report; both must stay
 * bounded and inside the guest's RAM whatever the tables hold.
 *
 *   -- shape=selfref|reserved|outside|outside-io|cr3out
 *
 * The guest loads its own tables (lib/paging.h) and adds one entry to its
 * PML4:
 *   selfref   PML4[511] -> the PML4 itself: GVA 0xFFFFFFFFFFFFF800 walks the
 *             PML4 four times and lands in it. REP OUTSB of 16 bytes from
 *             there to an unclaimed port must complete; then RSP is set there
 *             and INT3 with an empty IDT triple-faults: Keel's report reads
 *             the "stack" through the loop (PML4 entries 256-263)
 *   reserved  PML4[257] has PS set (reserved in a PML4E): REP OUTSB from
 *             0xFFFF808000000000 must raise #PF with P|RSVD in the guest;
 *             then the triple fault with RSP there (report: not mapped)
 *   outside   PML4[256] points at a table outside RAM: triple fault with RSP
 *             at 0xFFFF800000000000 (report: the tables leave its RAM)
 *   outside-io  REP OUTSB from 0xFFFF800000000000: Keel's string emulation
 *             walks outside RAM and must end the guest (ept-violation)
 *   cr3out    MOV CR3 with a table outside RAM: the CPU's own walk is an
 *             EPT violation (ept-violation; report: code unreadable)
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/bootargs.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/paging.h"
#include "tests/guests/lib/trap.h"

#define PT_SELFREF_GVA	0xFFFFFFFFFFFFF800ULL
#define PT_OUTSIDE_GVA	0xFFFF800000000000ULL /* PML4 index 256 */
#define PT_RESERVED_GVA 0xFFFF808000000000ULL /* PML4 index 257 */
#define PT_OUTSIDE_GPA	0x40000000ULL	      /* 1 GiB: above this guest's mem */
#define PT_UNCLAIMED	0x2F0
#define PT_PF_P_RSVD	0x9

static volatile u64 *pt_pml4(void)
{
	return (volatile u64 *)(uintptr_t)paging_root();
}

/* REP OUTSB of 16 bytes from gva to an unclaimed port. */
static void pt_outsb(u64 gva)
{
	u64 n = 16;

	trap_reset();
	__asm__ volatile(TRAP_INSN("rep outsb")
			 : "+S"(gva), "+c"(n)
			 : "d"(PT_UNCLAIMED)
			 : "memory");
}

/* INT3 with IDT limit 0 and RSP at gva: a triple fault with nothing pushed. */
static void pt_triple(u64 gva)
{
	print("pt: triple fault with rsp 0x%llx\n", (unsigned long long)gva);
	idt_load_empty();
	__asm__ volatile("mov %0, %%rsp\n"
			 "int3"
			 :
			 : "r"(gva)
			 : "memory");
}

static void pt_run(const char *args)
{
	volatile u64 *pml4 = pt_pml4();

	if (bootargs_has(args, "shape", "selfref")) {
		pml4[511] = paging_root() | PAGING_P | PAGING_RW;
		pt_outsb(PT_SELFREF_GVA);
		trap_expect_none("rep outsb through a self-referencing PML4 entry");
		pt_triple(PT_SELFREF_GVA);
	} else if (bootargs_has(args, "shape", "reserved")) {
		pml4[257] = paging_root() | PAGING_P | PAGING_RW | PAGING_PS;
		pt_outsb(PT_RESERVED_GVA);
		trap_expect("rep outsb through a PML4E with PS raises #PF(P|RSVD)", TRAP_PF,
			    PT_PF_P_RSVD);
		pt_triple(PT_RESERVED_GVA);
	} else if (bootargs_has(args, "shape", "outside")) {
		pml4[256] = PT_OUTSIDE_GPA | PAGING_P | PAGING_RW;
		pt_triple(PT_OUTSIDE_GVA);
	} else if (bootargs_has(args, "shape", "outside-io")) {
		pml4[256] = PT_OUTSIDE_GPA | PAGING_P | PAGING_RW;
		print("pt: rep outsb from 0x%llx, tables outside RAM\n",
		      (unsigned long long)PT_OUTSIDE_GVA);
		pt_outsb(PT_OUTSIDE_GVA);
	} else if (bootargs_has(args, "shape", "cr3out")) {
		print("pt: mov cr3 0x%llx (outside RAM)\n", (unsigned long long)PT_OUTSIDE_GPA);
		paging_write_cr3(PT_OUTSIDE_GPA);
	} else {
		check_fail("want shape=selfref|reserved|outside|outside-io|cr3out");
		return;
	}
	check_fail("pt: still running");
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	const char *args = bootargs_keel(info, magic);

	idt_init();
	paging_build();
	paging_load();
	pt_run(args);
}
