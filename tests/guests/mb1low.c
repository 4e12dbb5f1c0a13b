/*
 * Guest "mb1low": a Multiboot v1 image below 1 MiB (mb1low.ld): its
 * scratch segment fills [0x1000, 0x8000), the image proper starts at
 * 0x8000. Keel must place the multiboot information where the image is
 * not: the first free page at or above 0x1000 is the image's end
 * (__image_end), and every part of it (the info, its memory map, the
 * command line, the boot loader name, the module list and its strings)
 * must lie there, outside [__low_start, __image_end). Then it checks the
 * information as the mb1 guest does (flags, mem_lower and mem_upper for
 * expect_mem=, the memory map exactly [0, mem)), the module (for=mb1low)
 * at or above 1 MiB outside everything else, and drops to real mode and
 * back (mb1low_rm.S): real mode at CS 0 with CR0.PE clear reads the
 * information's flags through segment EBX >> 4, the same value.
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/bootargs.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/mmap.h"
#include "tests/guests/lib/multiboot1.h"
#include "tests/guests/lib/x86.h"
#include "lib/string.h"

#define LOW_NAME     "mb1low"
#define LOW_MMAP_MAX 8
/* Keel's block: the information, map, module list, "Keel" and two strings of at most 4 KiB. */
#define LOW_INFO_SPAN 0x4000

extern char __low_start[], __image_start[], __image_end[];
extern u32 rm_cr0, rm_cs;
u32 rm_read32(u32 linear);

static struct mmap_range low_ranges[LOW_MMAP_MAX];

/* [at, at + len) lies outside the image's own memory [__low_start, __image_end). */
static bool outside_image(u64 at, u64 len)
{
	return at + len <= (uintptr_t)__low_start || at >= (uintptr_t)__image_end;
}

/* One piece of the information: outside the image, inside [info, end): Keel's one block. */
static void low_check_piece(const char *what, u64 at, u64 len, u64 info, u64 end)
{
	if (!outside_image(at, len))
		check_fail("%s [0x%llx, +0x%llx) overlaps the image [0x%x, 0x%x)", what,
			   (unsigned long long)at, (unsigned long long)len,
			   (u32)(uintptr_t)__low_start, (u32)(uintptr_t)__image_end);
	else if (at < info || at + len > end)
		check_fail(
		    "%s [0x%llx, +0x%llx) is outside the information's page [0x%llx, 0x%llx)", what,
		    (unsigned long long)at, (unsigned long long)len, (unsigned long long)info,
		    (unsigned long long)end);
	else
		check_pass("%s at 0x%llx, outside the image", what, (unsigned long long)at);
}

static void low_check_layout(const struct mb1_info *mbi)
{
	u64 info = (uintptr_t)mbi, end = info + LOW_INFO_SPAN;
	const char *cmdline = (const char *)(uintptr_t)mbi->cmdline;
	const char *name = (const char *)(uintptr_t)mbi->boot_loader_name;

	print("image [0x%x, 0x%x) with its scratch, multiboot information at 0x%x\n",
	      (u32)(uintptr_t)__low_start, (u32)(uintptr_t)__image_end, (u32)info);
	check_eq("the image starts at 0x8000", (uintptr_t)__image_start, 0x8000);
	check_eq("EBX is the first free page at or above 0x1000: the image's end", info,
		 (uintptr_t)__image_end);
	low_check_piece("the information", info, sizeof(*mbi), info, end);
	low_check_piece("its memory map", mbi->mmap_addr, mbi->mmap_length, info, end);
	low_check_piece("the command line", mbi->cmdline, strlen(cmdline) + 1, info, end);
	low_check_piece("the boot loader name", mbi->boot_loader_name, strlen(name) + 1, info, end);
	low_check_piece("the module list", mbi->mods_addr,
			mbi->mods_count * sizeof(struct mb1_module), info, end);
	if (strcmp(name, "Keel") == 0)
		check_pass("boot loader name \"Keel\"");
	else
		check_fail("boot loader name \"%s\", want \"Keel\"", name);
}

static void low_check_memory(const struct mb1_info *mbi, const char *cmdline)
{
	u64 mem = 0;
	u32 n = 0;

	if (!bootargs_size(cmdline, "expect_mem", &mem) || mem <= MiB) {
		check_fail("memory: no expect_mem=SIZE (above 1 MiB) argument to compare with");
		return;
	}
	check_eq("mem_lower is 640", mbi->mem_lower, 640);
	check_eq("mem_upper is (mem - 1 MiB) / 1 KiB", mbi->mem_upper, (mem - MiB) / KiB);
	if (mmap_walk((const void *)(uintptr_t)mbi->mmap_addr, mbi->mmap_length, low_ranges,
		      LOW_MMAP_MAX, &n) != MMAP_OK) {
		check_fail("mmap at 0x%x, %u bytes: not a valid map", mbi->mmap_addr,
			   mbi->mmap_length);
		return;
	}
	mmap_sort(low_ranges, n);
	check_true(mmap_equals(low_ranges, n, MB1_MEMORY_AVAILABLE, 0, mem),
		   "mmap: available RAM is exactly [0, mem)");
}

/* The one module: at or above 1 MiB (Keel keeps low memory for the image), outside all else. */
static void low_check_module(const struct mb1_info *mbi)
{
	const struct mb1_module *m = (const struct mb1_module *)(uintptr_t)mbi->mods_addr;
	const char *s;

	if (!check_eq("mods_count is 1", mbi->mods_count, 1))
		return;
	s = (const char *)(uintptr_t)m->string;
	print("module [0x%x, 0x%x), its string %u bytes: \"%.40s\"\n", m->mod_start, m->mod_end,
	      (u32)strlen(s), s);
	check_true(m->mod_start >= MiB && (m->mod_start & 0xFFF) == 0 && m->mod_end > m->mod_start,
		   "the module is page aligned at or above 1 MiB");
	check_true(m->mod_start >= (uintptr_t)mbi + LOW_INFO_SPAN || m->mod_end <= (uintptr_t)mbi,
		   "the module is outside the information's block");
	check_true(bootargs_has(s, "for", LOW_NAME), "the module's string is its for= line");
	low_check_piece("the module's string", m->string, strlen(s) + 1, (uintptr_t)mbi,
			(uintptr_t)mbi + LOW_INFO_SPAN);
}

/* Real mode and back: the information is usable below 1 MiB as a real-mode program sees it. */
static void low_check_real_mode(const struct mb1_info *mbi)
{
	u32 info = (u32)(uintptr_t)mbi, flags;

	if (info >= MiB - 16) {
		check_fail("information at 0x%x: out of real mode's reach", info);
		return;
	}
	flags = rm_read32(info);
	check_eq("real mode: CR0.PE is clear", rm_cr0 & X86_CR0_PE, 0);
	check_eq("real mode: CS is 0", rm_cs & 0xFFFF, 0);
	check_eq("real mode: the flags read at (EBX >> 4):(EBX & 15)", flags, mbi->flags);
	check_eq("back in protected mode: CR0.PE is set", x86_read_cr0() & X86_CR0_PE, X86_CR0_PE);
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	const struct mb1_info *mbi = (const struct mb1_info *)info;
	const char *cmdline;
	char word[16];

	idt_init();
	print("mb1low: a Multiboot v1 image at 0x8000\n");
	check_eq("EAX is 0x2BADB002", magic, MB1_BOOTLOADER_MAGIC);
	if (magic != MB1_BOOTLOADER_MAGIC || !info || !outside_image(info, sizeof(*mbi))) {
		check_fail("EBX 0x%x: not reading it", (u32)info);
		return;
	}
	cmdline = (const char *)(uintptr_t)mbi->cmdline;
	low_check_layout(mbi);
	if (bootargs_word(cmdline, 0, word, sizeof(word)) && strcmp(word, LOW_NAME) == 0)
		check_pass("cmdline (%u bytes) starts with the name", (u32)strlen(cmdline));
	else
		check_fail("cmdline \"%.40s\": want the name \"" LOW_NAME "\" first", cmdline);
	low_check_memory(mbi, cmdline);
	low_check_module(mbi);
	low_check_real_mode(mbi);
}
