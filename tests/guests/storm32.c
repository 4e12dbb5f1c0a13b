/*
 * Guest "storm32" (32-bit Multiboot v1 ELF): the exit storm of storm.c
 * (issue 12) that needs a 32-bit guest, string I/O while the guest turns
 * paging on and off.
 *
 *   -- kind=paging-io [rounds=0] [report=N] [stall=256M]
 *
 * One round: 32-bit paging on (CR4.PSE, CR3 = a page directory that
 * identity-maps 4 GiB with 4 MiB pages, CR0.PG set), a REP OUTSB of 4 KiB
 * to the unclaimed port 0x2F0 (Keel walks the guest's page tables for each
 * element), paging off (CR0.PG clear), and another REP OUTSB of 4 KiB (no
 * guest paging). Prints `storm: paging-io started`, `storm: paging-io N
 * rounds` every `report` rounds, and with rounds=N ends by `PASS
 * paging-io: N rounds` after checking that paging is off and CR3 still
 * holds its page directory. Arguments and lines as storm.h says.
 */
#include "tests/guests/storm.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/multiboot1.h"

#define S32_IO_SIZE   4096
#define S32_CR4_PSE   BIT(4)
#define S32_PDE_P     BIT(0)
#define S32_PDE_RW    BIT(1)
#define S32_PDE_PS    BIT(7)
#define S32_PDE_SHIFT 22

static u32 s32_pd[1024] __aligned(4096);
static u8 s32_buf[S32_IO_SIZE] __aligned(4096);

static void s32_write_cr0(uintptr_t v)
{
	__asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

static bool paging_io_start(void)
{
	for (u32 i = 0; i < 1024; i++)
		s32_pd[i] = (i << S32_PDE_SHIFT) | S32_PDE_P | S32_PDE_RW | S32_PDE_PS;
	for (u32 i = 0; i < S32_IO_SIZE; i++)
		s32_buf[i] = (u8)i;
	x86_write_cr4(x86_read_cr4() | S32_CR4_PSE);
	__asm__ volatile("mov %0, %%cr3" : : "r"((uintptr_t)s32_pd) : "memory");
	return true;
}

static void paging_io_step(void)
{
	uintptr_t cr0 = x86_read_cr0();

	s32_write_cr0(cr0 | X86_CR0_PG);
	storm_outsb(s32_buf, S32_IO_SIZE);
	s32_write_cr0(cr0 & ~X86_CR0_PG);
	storm_outsb(s32_buf, S32_IO_SIZE);
	storm_count();
}

static void paging_io_stop(void)
{
	check_eq("paging-io: paging off at the end", x86_read_cr0() & X86_CR0_PG, 0);
	check_eq("paging-io: CR3 still the page directory", x86_read_cr3(), (uintptr_t)s32_pd);
}

static const struct storm_kind s32_kinds[] = {
    {"paging-io", 1, paging_io_start, paging_io_step, NULL, paging_io_stop},
};

void guest_main(uintptr_t info, uintptr_t magic)
{
	const struct mb1_info *mbi = (const struct mb1_info *)info;

	idt_init();
	if (magic != MB1_BOOTLOADER_MAGIC || !(mbi->flags & MB1_INFO_CMDLINE)) {
		check_fail("no Multiboot command line (magic 0x%x)", (unsigned)magic);
		return;
	}
	storm_run((const char *)(uintptr_t)mbi->cmdline, s32_kinds, ARRAY_SIZE(s32_kinds));
}
