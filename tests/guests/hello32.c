/*
 * Demo guest "hello32" (32-bit Multiboot v1 ELF): a banner and what its
 * multiboot information says (memory, command line, loader name, memory
 * map); then it leaves by the debug-exit port with v = 0 (status 1).
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/mmap.h"
#include "tests/guests/lib/multiboot1.h"

#define HELLO32_MMAP_MAX 32

static struct mmap_range hello32_ranges[HELLO32_MMAP_MAX];

static void hello32_mmap(const struct mb1_info *mbi)
{
	u32 n = 0;
	enum mmap_status st;

	st = mmap_walk((const void *)(uintptr_t)mbi->mmap_addr, mbi->mmap_length, hello32_ranges,
		       HELLO32_MMAP_MAX, &n);
	if (st != MMAP_OK) {
		print("memory map: %s\n", mmap_status_name(st));
		return;
	}
	print("memory map, %u entries:\n", n);
	for (u32 i = 0; i < n; i++)
		print("  [0x%08llx, 0x%08llx) %s\n", (unsigned long long)hello32_ranges[i].base,
		      (unsigned long long)(hello32_ranges[i].base + hello32_ranges[i].length),
		      hello32_ranges[i].type == MB1_MEMORY_AVAILABLE ? "available" : "reserved");
}

static void hello32_info(const struct mb1_info *mbi)
{
	print("multiboot info at 0x%x, flags 0x%x\n", (u32)(uintptr_t)mbi, mbi->flags);
	if (mbi->flags & MB1_INFO_MEMORY)
		print("memory: %u KiB low, %u KiB from 1 MiB (%u MiB in all)\n", mbi->mem_lower,
		      mbi->mem_upper, (mbi->mem_upper + 1024) / 1024);
	if (mbi->flags & MB1_INFO_CMDLINE)
		print("command line: \"%s\"\n", (const char *)(uintptr_t)mbi->cmdline);
	if (mbi->flags & MB1_INFO_BOOT_LOADER_NAME)
		print("boot loader: \"%s\"\n", (const char *)(uintptr_t)mbi->boot_loader_name);
	if (mbi->flags & MB1_INFO_MODS)
		print("modules: %u\n", mbi->mods_count);
	if (mbi->flags & MB1_INFO_MEM_MAP)
		hello32_mmap(mbi);
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	idt_init();
	print("Hello from a Keel guest: 32-bit Multiboot v1 ELF, protected mode, paging off\n");
	if (magic == MB1_BOOTLOADER_MAGIC)
		hello32_info((const struct mb1_info *)info);
	else
		print("no multiboot info: EAX is 0x%x\n", (u32)magic);
	print("Goodbye: leaving by the debug-exit port with v=0\n");
	debug_exit(0);
}
