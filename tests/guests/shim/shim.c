/*
 * A test tool, not a guest: runs one ELF64 test guest on a bare PC (QEMU)
 * without Keel, to try the guests and their runtime where Keel's VMX side
 * is not available. GRUB boots this Multiboot v1 image (linked at 8 MiB)
 * with the guest as module 0:
 *
 *   multiboot /boot/shim.elf mem=32M
 *   module    /boot/args.elf args alpha beta=2 expect_mem=32M
 *
 * The shim copies the guest's PT_LOAD segments to their physical
 * addresses, builds what Keel's ELF64 loader builds (vm/guest_abi.h: boot
 * info, GDT, identity page tables, stack) and enters the guest in the same
 * state. What differs from Keel is the machine: no CPUID policy, real MSRs,
 * real ports. A malformed module gets one "FAIL shim: ..." line and the
 * debug-exit port.
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/bootargs.h"
#include "tests/guests/lib/multiboot1.h"
#include "tests/guests/shim/elf64.h"
#include "tests/guests/shim/shim.h"
#include "lib/string.h"

_Static_assert(SHIM_BOOT_INFO_GPA == KEEL_GUEST_BOOT_INFO_GPA, "shim.h follows guest_abi.h");
_Static_assert(SHIM_GDT_GPA == KEEL_GUEST_GDT_GPA, "shim.h follows guest_abi.h");
_Static_assert(SHIM_PT_GPA == KEEL_GUEST_PT_GPA, "shim.h follows guest_abi.h");
_Static_assert(SHIM_STACK_TOP == KEEL_GUEST_STACK_TOP, "shim.h follows guest_abi.h");
_Static_assert(SHIM_CS64 == KEEL_GUEST_CS64, "shim.h follows guest_abi.h");
_Static_assert(SHIM_DS == KEEL_GUEST_DS, "shim.h follows guest_abi.h");
_Static_assert(SHIM_BOOT_MAGIC == KEEL_BOOT_MAGIC, "shim.h follows guest_abi.h");

#define SHIM_DEFAULT_MEM (32 * MiB)
#define SHIM_CMDLINE_MAX 256
#define SHIM_PAGE	 4096
/* Page-table entry bits (Intel SDM Vol. 3A 4.5): present, writable, 2 MiB page. */
#define SHIM_PTE_P  BIT(0)
#define SHIM_PTE_RW BIT(1)
#define SHIM_PTE_PS BIT(7)
#define SHIM_PDS    4 /* page directories: 4 GiB of 2 MiB pages */

extern const u8 __image_start[];

static char shim_cmdline[SHIM_CMDLINE_MAX];

static __noreturn void shim_fail(const char *why, u64 value)
{
	print("FAIL shim: %s (0x%llx)\n", why, (unsigned long long)value);
	debug_exit(CHECK_EXIT_MAX);
}

/* Copies the module string without GRUB's leading path word. */
static void shim_copy_cmdline(const char *s)
{
	size_t n = 0;

	if (s && s[0] == '/')
		while (*s && *s != ' ')
			s++;
	while (s && (*s == ' ' || *s == '\t'))
		s++;
	while (s && s[n] && n + 1 < sizeof(shim_cmdline)) {
		shim_cmdline[n] = s[n];
		n++;
	}
	shim_cmdline[n] = '\0';
}

static const struct elf64_phdr *shim_phdr(const u8 *img, const struct elf64_ehdr *eh, u32 i)
{
	return (const struct elf64_phdr *)(img + eh->e_phoff + (u64)i * sizeof(struct elf64_phdr));
}

static void shim_check_header(const u8 *img, u32 size)
{
	const struct elf64_ehdr *eh = (const struct elf64_ehdr *)img;

	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELF64_MAG, 4) != 0)
		shim_fail("module is not an ELF file", size);
	if (eh->e_ident[ELF64_EI_CLASS] != ELF64_CLASS64 ||
	    eh->e_ident[ELF64_EI_DATA] != ELF64_DATA2LSB || eh->e_machine != ELF64_EM_X86_64 ||
	    eh->e_type != ELF64_ET_EXEC)
		shim_fail("module is not an x86-64 ELF64 executable", eh->e_machine);
	if (eh->e_phentsize != sizeof(struct elf64_phdr) || eh->e_phoff > size ||
	    (u64)eh->e_phnum * sizeof(struct elf64_phdr) > size - eh->e_phoff)
		shim_fail("program headers outside the module", eh->e_phoff);
}

/* Every PT_LOAD inside the module, in [1 MiB, shim) and clear of the module itself. */
static void shim_check_segments(const u8 *img, u32 size)
{
	const struct elf64_ehdr *eh = (const struct elf64_ehdr *)img;
	u64 limit = (uintptr_t)__image_start, mod = (uintptr_t)img;

	for (u32 i = 0; i < eh->e_phnum; i++) {
		const struct elf64_phdr *ph = shim_phdr(img, eh, i);

		if (ph->p_type != ELF64_PT_LOAD)
			continue;
		if (ph->p_filesz > ph->p_memsz || ph->p_offset > size ||
		    ph->p_filesz > size - ph->p_offset)
			shim_fail("segment's file bytes outside the module", ph->p_offset);
		if (ph->p_paddr < KEEL_GUEST_IMAGE_MIN || ph->p_paddr > limit ||
		    ph->p_memsz > limit - ph->p_paddr)
			shim_fail("segment outside [1 MiB, shim)", ph->p_paddr);
		if (ph->p_paddr < mod + size && mod < ph->p_paddr + ph->p_memsz)
			shim_fail("segment overlaps the module GRUB loaded", ph->p_paddr);
	}
}

static void shim_load_segments(const u8 *img)
{
	const struct elf64_ehdr *eh = (const struct elf64_ehdr *)img;

	for (u32 i = 0; i < eh->e_phnum; i++) {
		const struct elf64_phdr *ph = shim_phdr(img, eh, i);
		u8 *dst = (u8 *)(uintptr_t)ph->p_paddr;

		if (ph->p_type != ELF64_PT_LOAD)
			continue;
		memcpy(dst, img + ph->p_offset, (size_t)ph->p_filesz);
		memset(dst + ph->p_filesz, 0, (size_t)(ph->p_memsz - ph->p_filesz));
	}
}

static void shim_build_boot_info(u64 mem)
{
	struct keel_boot_info *bi = (struct keel_boot_info *)(uintptr_t)KEEL_GUEST_BOOT_INFO_GPA;
	char *cmdline = (char *)(bi + 1);
	size_t len = strlen(shim_cmdline);

	memset(bi, 0, KEEL_GUEST_BOOT_INFO_END - KEEL_GUEST_BOOT_INFO_GPA);
	memcpy(cmdline, shim_cmdline, len + 1);
	*bi = (struct keel_boot_info){
	    .magic = KEEL_BOOT_MAGIC,
	    .version = KEEL_BOOT_VERSION,
	    .mem_size = mem,
	    .cmdline = (uintptr_t)cmdline,
	    .cmdline_len = (u32)len,
	};
}

/* GDT (null, 64-bit code, data) and an identity map of 0-4 GiB in 2 MiB pages. */
static void shim_build_tables(void)
{
	u64 *gdt = (u64 *)(uintptr_t)KEEL_GUEST_GDT_GPA;
	u64 *pml4 = (u64 *)(uintptr_t)KEEL_GUEST_PT_GPA;
	u64 *pdpt = pml4 + SHIM_PAGE / 8, *pd = pdpt + SHIM_PAGE / 8;

	gdt[0] = 0;
	gdt[1] = 0x00AF9A000000FFFFULL; /* code: L=1, D=0, G=1, P, DPL 0, execute/read */
	gdt[2] = 0x00CF92000000FFFFULL; /* data: G=1, B=1, P, DPL 0, read/write */
	memset(pml4, 0, (2 + SHIM_PDS) * SHIM_PAGE);
	pml4[0] = (uintptr_t)pdpt | SHIM_PTE_P | SHIM_PTE_RW;
	for (u32 i = 0; i < SHIM_PDS; i++)
		pdpt[i] = ((uintptr_t)pd + i * SHIM_PAGE) | SHIM_PTE_P | SHIM_PTE_RW;
	for (u32 i = 0; i < SHIM_PDS * 512; i++)
		pd[i] = (u64)i * (2 * MiB) | SHIM_PTE_P | SHIM_PTE_RW | SHIM_PTE_PS;
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	const struct mb1_info *mbi = (const struct mb1_info *)info;
	const struct mb1_module *mod;
	const struct elf64_ehdr *eh;
	u64 mem = SHIM_DEFAULT_MEM;

	if (magic != MB1_BOOTLOADER_MAGIC || !(mbi->flags & MB1_INFO_MODS) || mbi->mods_count < 1)
		shim_fail("want Multiboot v1 with the guest as module 0", magic);
	if (mbi->flags & MB1_INFO_CMDLINE)
		bootargs_size((const char *)(uintptr_t)mbi->cmdline, "mem", &mem);
	mod = (const struct mb1_module *)(uintptr_t)mbi->mods_addr;
	if (mod->mod_end <= mod->mod_start)
		shim_fail("empty module", mod->mod_start);
	shim_copy_cmdline((const char *)(uintptr_t)mod->string);
	eh = (const struct elf64_ehdr *)(uintptr_t)mod->mod_start;
	shim_check_header((const u8 *)eh, mod->mod_end - mod->mod_start);
	shim_check_segments((const u8 *)eh, mod->mod_end - mod->mod_start);
	if (eh->e_entry < KEEL_GUEST_IMAGE_MIN || eh->e_entry >= (uintptr_t)__image_start)
		shim_fail("entry point outside [1 MiB, shim)", eh->e_entry);
	print("shim: \"%s\", entry 0x%llx, mem %llu MiB\n", shim_cmdline,
	      (unsigned long long)eh->e_entry, (unsigned long long)(mem / MiB));
	shim_load_segments((const u8 *)eh);
	shim_build_boot_info(mem);
	shim_build_tables();
	shim_enter((u32)eh->e_entry);
}
