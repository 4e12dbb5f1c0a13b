/*
 * Guest "mb1": Keel's Multiboot v1 loader, from inside a 32-bit ELF image.
 * Entry: EAX = 0x2BADB002, EBX at the boot info, protected mode with paging
 * off, IF and VM clear. Boot info: flags with MEMORY, CMDLINE and MEM_MAP;
 * the command line's first word is the guest's name; mem_lower = 640 and
 * mem_upper = (mem - 1 MiB) / 1 KiB for mem = the expect_mem= argument; the
 * memory map's available entries are exactly [0, mem), none overlapping.
 * Exceptions reach the guest's own 32-bit IDT, including the #GP Keel
 * injects for an unknown MSR.
 *
 * With the argument loader=grub (booted straight by GRUB on a PC, for
 * trying the guest without Keel) a first word that is a path (GRUB puts
 * the image path there in some versions) is skipped before the name, and
 * the memory checks take the firmware's shape:
 * mem_lower in (0, 640], the map's available RAM covering mem_lower and
 * mem_upper, still no overlaps.
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/bootargs.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/mmap.h"
#include "tests/guests/lib/multiboot1.h"
#include "tests/guests/lib/trap.h"
#include "tests/guests/lib/x86.h"
#include "lib/string.h"

#define MB1_NAME       "mb1"
#define MB1_LOWER_KIB  640
#define MB1_MMAP_MAX   32
#define MB1_WANT_FLAGS (MB1_INFO_MEMORY | MB1_INFO_CMDLINE | MB1_INFO_MEM_MAP)

static struct mmap_range mb1_ranges[MB1_MMAP_MAX];

static void mb1_check_machine(uintptr_t magic)
{
	uintptr_t cr0 = x86_read_cr0();

	check_eq("EAX is 0x2BADB002", magic, MB1_BOOTLOADER_MAGIC);
	check_eq("CR0.PE is set (protected mode)", cr0 & X86_CR0_PE, X86_CR0_PE);
	check_eq("CR0.PG is clear (paging off)", cr0 & X86_CR0_PG, 0);
	check_eq("EFLAGS.IF is clear at entry", crt_entry.flags & X86_RFLAGS_IF, 0);
	check_eq("EFLAGS.VM is clear at entry", crt_entry.flags & X86_RFLAGS_VM, 0);
}

/* Exceptions in protected mode: one the CPU raises, one Keel injects. */
static void mb1_check_exceptions(void)
{
	u32 lo = 0, hi = 0;

	trap_reset();
	__asm__ volatile(TRAP_INSN("ud2") : : : "memory");
	trap_expect("ud2 reaches the guest's own IDT as #UD", TRAP_UD, 0);
	trap_reset();
	__asm__ volatile(TRAP_INSN("rdmsr") : "+a"(lo), "+d"(hi) : "c"(0x12345678) : "memory");
	trap_expect("rdmsr 0x12345678 raises #GP(0) in protected mode", TRAP_GP, 0);
}

static void mb1_check_name(const char *cmdline, bool grub)
{
	char word[32];
	u32 index = 0;

	/* Some GRUB versions put the image path first. */
	if (grub && bootargs_word(cmdline, 0, word, sizeof(word)) && word[0] == '/')
		index = 1;
	if (!bootargs_word(cmdline, index, word, sizeof(word)))
		check_fail("cmdline \"%s\": no name word", cmdline);
	else if (strcmp(word, MB1_NAME) == 0)
		check_pass("cmdline \"%s\" starts with the name%s", cmdline,
			   index ? " (after GRUB's path)" : "");
	else
		check_fail("cmdline \"%s\": name word is \"%s\", want \"" MB1_NAME "\"", cmdline,
			   word);
}

/* Walks and sorts the memory map into mb1_ranges; returns the count, or -1. */
static int mb1_read_mmap(const struct mb1_info *mbi)
{
	enum mmap_status st;
	u32 n = 0;

	st = mmap_walk((const void *)(uintptr_t)mbi->mmap_addr, mbi->mmap_length, mb1_ranges,
		       MB1_MMAP_MAX, &n);
	if (st != MMAP_OK) {
		check_fail("mmap at 0x%x, %u bytes: %s", mbi->mmap_addr, mbi->mmap_length,
			   mmap_status_name(st));
		return -1;
	}
	for (u32 i = 0; i < n; i++)
		print("mmap [0x%llx, 0x%llx) type %u\n", (unsigned long long)mb1_ranges[i].base,
		      (unsigned long long)(mb1_ranges[i].base + mb1_ranges[i].length),
		      mb1_ranges[i].type);
	mmap_sort(mb1_ranges, n);
	check_true(n > 0 && !mmap_overlaps(mb1_ranges, n), "mmap has entries, none overlapping");
	return (int)n;
}

static void mb1_check_memory_keel(const struct mb1_info *mbi, u64 mem, u32 n)
{
	check_eq("mem_lower is 640", mbi->mem_lower, MB1_LOWER_KIB);
	check_eq("mem_upper is (mem - 1 MiB) / 1 KiB", mbi->mem_upper, (mem - MiB) / KiB);
	if (mmap_equals(mb1_ranges, n, MB1_MEMORY_AVAILABLE, 0, mem))
		check_pass("mmap: available RAM is exactly [0, 0x%llx)", (unsigned long long)mem);
	else
		check_fail("mmap: available RAM is not exactly [0, 0x%llx)",
			   (unsigned long long)mem);
}

static void mb1_check_memory_grub(const struct mb1_info *mbi, u32 n)
{
	u64 lower = (u64)mbi->mem_lower * KiB, upper_end = MiB + (u64)mbi->mem_upper * KiB;

	check_true(mbi->mem_lower > 0 && mbi->mem_lower <= MB1_LOWER_KIB,
		   "mem_lower is in (0, 640] (loader=grub)");
	check_true(mmap_covers(mb1_ranges, n, MB1_MEMORY_AVAILABLE, 0, lower),
		   "mmap: available RAM covers mem_lower (loader=grub)");
	check_true(mmap_covers(mb1_ranges, n, MB1_MEMORY_AVAILABLE, MiB, upper_end),
		   "mmap: available RAM covers mem_upper (loader=grub)");
}

static void mb1_check_info(const struct mb1_info *mbi)
{
	const char *cmdline = (const char *)(uintptr_t)mbi->cmdline;
	bool grub;
	u64 mem = 0;
	int n;

	check_eq("info flags have MEMORY, CMDLINE and MEM_MAP", mbi->flags & MB1_WANT_FLAGS,
		 MB1_WANT_FLAGS);
	if ((mbi->flags & MB1_WANT_FLAGS) != MB1_WANT_FLAGS)
		return;
	grub = bootargs_has(cmdline, "loader", "grub");
	mb1_check_name(cmdline, grub);
	if (!grub)
		check_eq("EBX is KEEL_GUEST_BOOT_INFO_GPA", (uintptr_t)mbi,
			 KEEL_GUEST_BOOT_INFO_GPA);
	print("mem_lower %u KiB, mem_upper %u KiB\n", mbi->mem_lower, mbi->mem_upper);
	n = mb1_read_mmap(mbi);
	if (n < 0)
		return;
	if (grub) {
		mb1_check_memory_grub(mbi, (u32)n);
		return;
	}
	if (!bootargs_size(cmdline, "expect_mem", &mem) || mem <= MiB) {
		check_fail("memory: no expect_mem=SIZE (above 1 MiB) argument to compare with");
		return;
	}
	mb1_check_memory_keel(mbi, mem, (u32)n);
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	idt_init();
	print("mb1: the Multiboot v1 loader\n");
	mb1_check_machine(magic);
	mb1_check_exceptions();
	if (magic != MB1_BOOTLOADER_MAGIC || info == 0) {
		check_fail("boot info: not reading EBX 0x%llx without the magic",
			   (unsigned long long)info);
		return;
	}
	mb1_check_info((const struct mb1_info *)info);
}
