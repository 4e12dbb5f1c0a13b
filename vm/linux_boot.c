/*
 * The Linux/x86 64-bit boot protocol as pure functions (vm/linux_boot.h):
 * the setup-header parser, the guest-physical layout, and the zero page,
 * GDT, page tables and entry state built from them. Every field of the
 * image is untrusted: each size and offset is checked against the file's
 * length and the guest's RAM with overflow-safe arithmetic before use.
 */
#include "vm/linux_boot.h"
#include "arch/x86/gdt.h"
#include "lib/format.h"
#include "lib/string.h"
#include "mm/pte_x86.h"

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fmt_snprintf(err, err_len, __VA_ARGS__);                                           \
		return false;                                                                      \
	} while (0)

/* Little-endian fields at byte offsets (x86 only, so a plain copy). */
static u64 get(const u8 *p, u64 off, unsigned size)
{
	u64 v = 0;

	memcpy(&v, p + off, size);
	return v;
}

static void put(u8 *p, u64 off, u64 v, unsigned size)
{
	memcpy(p + off, &v, size);
}

/* Bytes as whole MiB, for messages. */
static u64 mib(u64 bytes)
{
	return bytes / MiB;
}

static unsigned minor(u16 version)
{
	return version & 0xFF;
}

static unsigned major(u16 version)
{
	return version >> 8;
}

/* The boot sector signature, "HdrS" and the protocol version. */
static bool check_magic(const u8 *img, u64 len, char *err, size_t err_len)
{
	u16 version;

	if (len < SH_BOOT_FLAG + 2)
		FAIL("not a Linux bzImage: %lu bytes, shorter than a boot sector", len);
	if (get(img, SH_BOOT_FLAG, 2) != SH_BOOT_FLAG_MAGIC)
		FAIL("not a Linux bzImage: no boot sector signature 0xAA55 at 0x1FE");
	if (len < SH_VERSION + 2)
		FAIL("truncated Linux setup header: the file ends at 0x%lx", len);
	if (get(img, SH_HEADER, 4) != SH_HEADER_MAGIC)
		FAIL("not a Linux bzImage: no \"HdrS\" setup header at 0x202");
	version = (u16)get(img, SH_VERSION, 2);
	if (version < LINUX_PROTOCOL_2_12)
		FAIL("Linux boot protocol %u.%02u is older than 2.12 (no 64-bit entry flag)",
		     major(version), minor(version));
	return true;
}

/* The header's end from its jump: inside the file, covering the fields read. */
static bool check_header_end(const u8 *img, u64 len, struct linux_kernel *k, char *err,
			     size_t err_len)
{
	u16 version = k->version;
	u64 need = version >= LINUX_PROTOCOL_2_15 ? SH_END_2_15 : SH_END_2_12;

	if (img[SH_JUMP] != SH_JUMP_OPCODE)
		FAIL("Linux setup header: byte 0x%02x at 0x200 is not a short jump (0xEB)",
		     img[SH_JUMP]);
	k->hdr_end = SH_HEADER + (u64)img[SH_JUMP + 1];
	if (k->hdr_end < need)
		FAIL("Linux setup header ends at 0x%lx, before the protocol %u.%02u fields end "
		     "(0x%lx)",
		     k->hdr_end, major(version), minor(version), need);
	if (k->hdr_end > BP_HDR_END_MAX)
		FAIL("Linux setup header ends at 0x%lx, past its room in boot_params (0x%x)",
		     k->hdr_end, BP_HDR_END_MAX);
	if (len < k->hdr_end)
		FAIL("truncated Linux setup header: the file ends at 0x%lx, the header at 0x%lx",
		     len, k->hdr_end);
	return true;
}

static void read_fields(const u8 *img, struct linux_kernel *k)
{
	k->loadflags = img[SH_LOADFLAGS];
	k->xloadflags = (u16)get(img, SH_XLOADFLAGS, 2);
	k->relocatable = img[SH_RELOCATABLE_KERNEL] != 0;
	k->kernel_alignment = (u32)get(img, SH_KERNEL_ALIGNMENT, 4);
	k->pref_address = get(img, SH_PREF_ADDRESS, 8);
	k->init_size = (u32)get(img, SH_INIT_SIZE, 4);
	k->cmdline_size = (u32)get(img, SH_CMDLINE_SIZE, 4);
	k->initrd_addr_max = (u32)get(img, SH_INITRD_ADDR_MAX, 4);
	k->handover_offset = (u32)get(img, SH_HANDOVER_OFFSET, 4);
	if (k->version >= LINUX_PROTOCOL_2_15)
		k->kernel_info_offset = (u32)get(img, SH_KERNEL_INFO_OFFSET, 4);
}

/* Flags, and the protected-mode code: inside the file, holding the entry. */
static bool check_code(const u8 *img, u64 len, struct linux_kernel *k, char *err, size_t err_len)
{
	u64 sects = img[SH_SETUP_SECTS] ? img[SH_SETUP_SECTS] : SH_SETUP_SECTS_DEF;

	if (!(k->xloadflags & XLF_KERNEL_64))
		FAIL("Linux kernel without a 64-bit entry point (xloadflags 0x%x lacks "
		     "XLF_KERNEL_64): Keel enters Linux in 64-bit mode only",
		     k->xloadflags);
	if (!(k->loadflags & LOADED_HIGH))
		FAIL("Linux kernel is not a bzImage (loadflags 0x%x lacks LOADED_HIGH)",
		     k->loadflags);
	k->code_offset = (sects + 1) * SH_SECTOR_SIZE;
	k->code_size = get(img, SH_SYSSIZE, 4) * 16;
	if (k->code_offset >= len)
		FAIL("Linux setup_sects %lu puts the kernel at 0x%lx, past the end of the file "
		     "(0x%lx bytes)",
		     sects, k->code_offset, len);
	if (k->code_size > len - k->code_offset)
		FAIL("Linux kernel [0x%lx, +0x%lx) (syssize) lies outside the file (0x%lx bytes)",
		     k->code_offset, k->code_size, len);
	if (k->code_size <= LINUX_ENTRY64_OFFSET)
		FAIL("Linux kernel code (0x%lx bytes) ends before its 64-bit entry at +0x%x",
		     k->code_size, LINUX_ENTRY64_OFFSET);
	if (k->init_size < k->code_size)
		FAIL("Linux init_size 0x%x is smaller than the kernel code (0x%lx bytes)",
		     k->init_size, k->code_size);
	return true;
}

/* The load address: pref_address, at least 1 MiB, aligned when relocatable. */
static bool choose_load(struct linux_kernel *k, char *err, size_t err_len)
{
	u64 align, base;

	if (!k->relocatable) {
		k->load_gpa = k->pref_address ? k->pref_address : LINUX_HIGH_START;
		if (k->load_gpa < LINUX_HIGH_START || !IS_ALIGNED(k->load_gpa, PAGE_SIZE))
			FAIL("non-relocatable Linux kernel runs at 0x%lx: below 1 MiB or not page "
			     "aligned",
			     k->load_gpa);
		return true;
	}
	if (!k->kernel_alignment || (k->kernel_alignment & (k->kernel_alignment - 1)))
		FAIL("Linux kernel_alignment 0x%x is not a power of two", k->kernel_alignment);
	align = MAX((u64)k->kernel_alignment, PAGE_SIZE);
	base = MAX(k->pref_address, LINUX_HIGH_START);
	if (base > k->mem_size)
		FAIL("Linux pref_address 0x%lx lies above mem=%lu MiB", k->pref_address,
		     mib(k->mem_size));
	if (base > ~0ULL - (align - 1))
		FAIL("Linux pref_address 0x%lx cannot be aligned to 0x%lx", k->pref_address, align);
	k->load_gpa = ALIGN_UP(base, align);
	return true;
}

/* [load_gpa, + max(init_size, code_size)) inside RAM. */
static bool place_kernel(struct linux_kernel *k, char *err, size_t err_len)
{
	u64 need = MAX((u64)k->init_size, k->code_size);

	if (!choose_load(k, err, err_len))
		return false;
	if (k->load_gpa > k->mem_size || need > k->mem_size - k->load_gpa)
		FAIL("Linux kernel needs [0x%lx, +0x%lx) (load address + init_size), beyond "
		     "mem=%lu MiB",
		     k->load_gpa, need, mib(k->mem_size));
	k->entry_gpa = k->load_gpa + LINUX_ENTRY64_OFFSET;
	k->kernel_end = ALIGN_UP(k->load_gpa + need, PAGE_SIZE); /* <= mem_size, aligned */
	return true;
}

bool linux_boot_is_bzimage(const u8 *img, u64 len)
{
	return len >= SH_BOOT_FLAG + 2 && get(img, SH_BOOT_FLAG, 2) == SH_BOOT_FLAG_MAGIC &&
	       !(img[0] == 0x7F && img[1] == 'E' && img[2] == 'L' && img[3] == 'F');
}

bool linux_boot_parse(const u8 *img, u64 len, u64 mem_size, struct linux_kernel *k, char *err,
		      size_t err_len)
{
	memset(k, 0, sizeof(*k));
	k->mem_size = ALIGN_DOWN(mem_size, PAGE_SIZE);
	if (!check_magic(img, len, err, err_len))
		return false;
	k->version = (u16)get(img, SH_VERSION, 2);
	if (!check_header_end(img, len, k, err, err_len))
		return false;
	read_fields(img, k);
	if (!check_code(img, len, k, err, err_len))
		return false;
	return place_kernel(k, err, err_len);
}

/* The highest page-aligned start for size bytes ending at or below top, not under floor. */
static bool fit_below(u64 top, u64 size, u64 floor, u64 *at)
{
	if (size > top)
		return false;
	*at = ALIGN_DOWN(top - size, PAGE_SIZE);
	return *at >= floor;
}

/*
 * The initrd: as high as it fits above the kernel, below both mem= and
 * initrd_addr_max + 1; else as high as it fits between 1 MiB and the kernel.
 */
static bool place_initrd(const struct linux_kernel *k, u64 size, struct linux_layout *l, char *err,
			 size_t err_len)
{
	u64 limit = MIN(k->mem_size, (u64)k->initrd_addr_max + 1);

	if (!size)
		return true;
	if (!fit_below(limit, size, k->kernel_end, &l->initrd) &&
	    !fit_below(MIN(limit, k->load_gpa), size, LINUX_HIGH_START, &l->initrd))
		FAIL("initrd (%lu KiB) does not fit below 0x%lx (mem= or initrd_addr_max + 1) "
		     "beside the kernel [0x%lx, 0x%lx)",
		     (u64)(size / KiB), limit, k->load_gpa, k->kernel_end);
	l->initrd_size = size;
	return true;
}

static bool place_low(const struct linux_kernel *k, u64 cmdline_len, u64 acpi_size,
		      struct linux_layout *l, char *err, size_t err_len)
{
	if (cmdline_len > k->cmdline_size)
		FAIL("Linux command line is %lu bytes, the kernel takes at most %u (cmdline_size)",
		     cmdline_len, k->cmdline_size);
	if (cmdline_len >= LINUX_CMDLINE_AREA)
		FAIL("Linux command line is %lu bytes, Keel's area holds %lu with the NUL",
		     cmdline_len, (u64)LINUX_CMDLINE_AREA);
	if (acpi_size > LINUX_HIGH_START - LINUX_ACPI_AREA_MIN)
		FAIL("ACPI tables (%lu bytes) do not fit the BIOS area 0xE0000-0xFFFFF", acpi_size);
	l->zero_page = LINUX_ZERO_PAGE_GPA;
	l->gdt = LINUX_GDT_GPA;
	l->page_tables = LINUX_PT_GPA;
	l->stack_top = LINUX_STACK_TOP;
	l->cmdline = LINUX_CMDLINE_GPA;
	l->cmdline_len = cmdline_len;
	l->acpi_size = ALIGN_UP(acpi_size, PAGE_SIZE);
	l->acpi = acpi_size ? LINUX_HIGH_START - l->acpi_size : 0;
	return true;
}

bool linux_boot_plan(const struct linux_kernel *k, u64 initrd_size, u64 cmdline_len, u64 acpi_size,
		     struct linux_layout *l, char *err, size_t err_len)
{
	memset(l, 0, sizeof(*l));
	if (k->mem_size > LINUX_MEM_MAX)
		FAIL("mem=0x%lx reaches the I/O APIC and local APIC pages at 0xFEC00000: a Linux "
		     "guest takes at most %lu MiB",
		     k->mem_size, mib(LINUX_MEM_MAX));
	l->mem_size = k->mem_size;
	l->kernel = k->load_gpa;
	l->kernel_end = k->kernel_end;
	if (!place_low(k, cmdline_len, acpi_size, l, err, err_len))
		return false;
	return place_initrd(k, initrd_size, l, err, err_len);
}

void linux_boot_e820(const struct linux_layout *l, struct linux_e820_entry e[LINUX_E820_ENTRIES])
{
	e[0] = (struct linux_e820_entry){0, LINUX_LOW_RAM_END, E820_TYPE_RAM};
	e[1] = (struct linux_e820_entry){LINUX_LOW_RAM_END, LINUX_BIOS_HOLE - LINUX_LOW_RAM_END,
					 E820_TYPE_RESERVED}; /* EBDA */
	/* VGA, option ROMs, BIOS: and the ACPI tables at the top */
	e[2] = (struct linux_e820_entry){LINUX_BIOS_HOLE, LINUX_HIGH_START - LINUX_BIOS_HOLE,
					 E820_TYPE_RESERVED};
	e[3] = (struct linux_e820_entry){LINUX_HIGH_START, l->mem_size - LINUX_HIGH_START,
					 E820_TYPE_RAM};
}

static void put_e820(const struct linux_layout *l, u8 *bp)
{
	struct linux_e820_entry e[LINUX_E820_ENTRIES];

	linux_boot_e820(l, e);
	bp[BP_E820_ENTRIES] = LINUX_E820_ENTRIES;
	for (unsigned i = 0; i < LINUX_E820_ENTRIES; i++) {
		u64 at = BP_E820_TABLE + (u64)i * BOOT_E820_ENTRY_SIZE;

		put(bp, at + BOOT_E820_ADDR, e[i].addr, 8);
		put(bp, at + BOOT_E820_SIZE, e[i].size, 8);
		put(bp, at + BOOT_E820_TYPE, e[i].type, 4);
	}
}

/*
 * loadflags keeps LOADED_HIGH only: CAN_USE_HEAP and heap_end_ptr describe
 * the 16-bit setup code's heap, which the 64-bit entry skips; KASLR_FLAG
 * is the kernel's own. setup_data is cleared: Keel passes no list.
 */
void linux_boot_params(const u8 *img, const struct linux_kernel *k, const struct linux_layout *l,
		       u64 rsdp, u8 bp[BP_SIZE])
{
	memset(bp, 0, BP_SIZE);
	memcpy(bp + BP_HDR, img + BP_HDR, k->hdr_end - BP_HDR);
	bp[SH_TYPE_OF_LOADER] = SH_TYPE_UNDEFINED;
	bp[SH_LOADFLAGS] = LOADED_HIGH;
	put(bp, SH_CODE32_START, k->load_gpa, 4);
	put(bp, SH_SETUP_DATA, 0, 8);
	put(bp, SH_CMD_LINE_PTR, l->cmdline, 4);
	put(bp, BP_EXT_CMD_LINE_PTR, l->cmdline >> 32, 4);
	put(bp, SH_RAMDISK_IMAGE, l->initrd, 4);
	put(bp, BP_EXT_RAMDISK_IMAGE, l->initrd >> 32, 4);
	put(bp, SH_RAMDISK_SIZE, l->initrd_size, 4);
	put(bp, BP_EXT_RAMDISK_SIZE, l->initrd_size >> 32, 4);
	put(bp, BP_ACPI_RSDP_ADDR, rsdp, 8);
	put_e820(l, bp);
}

/* A flat 4 GiB code or data descriptor, DPL 0, accessed (SDM Vol. 3A Figure 3-8). */
static u64 flat_descriptor(u64 type, u64 size_flag)
{
	return 0xFFFFULL | (0xFULL << SEG_DESC_LIMIT_HI_SHIFT) | (type << SEG_DESC_TYPE_SHIFT) |
	       SEG_DESC_S | SEG_DESC_P | SEG_DESC_G | size_flag;
}

void linux_boot_gdt(u64 gdt[LINUX_GDT_ENTRIES])
{
	gdt[0] = 0;
	gdt[1] = 0;
	gdt[LINUX_BOOT_CS / 8] = flat_descriptor(SEG_TYPE_CODE_XR_ACCESSED, SEG_DESC_L);
	gdt[LINUX_BOOT_DS / 8] = flat_descriptor(SEG_TYPE_DATA_RW_ACCESSED, SEG_DESC_DB);
}

/*
 *   base           PML4  entry 0 -> PDPT
 *   base + 0x1000  PDPT  entries 0-3 -> PD 0-3
 *   base + 0x2000  PD 0  512 x 2 MiB pages: [0, 1 GiB)
 *   ...
 *   base + 0x5000  PD 3  [3 GiB, 4 GiB)
 * Every entry present, writable, supervisor, write-back (PAT index 0).
 */
void linux_boot_page_tables(u64 base, u8 buf[LINUX_PT_PAGES * PAGE_SIZE])
{
	const u64 table = PTE_P | PTE_RW;
	u64 pdpt = base + PAGE_SIZE;

	memset(buf, 0, LINUX_PT_PAGES * PAGE_SIZE);
	put(buf, 0, pdpt | table, 8);
	for (u64 i = 0; i < 4; i++) {
		u64 pd = pdpt + (i + 1) * PAGE_SIZE;
		u8 *pd_buf = buf + (pd - base);

		put(buf, PAGE_SIZE + i * 8, pd | table, 8);
		for (u64 j = 0; j < PT_ENTRY_COUNT; j++) {
			u64 page = (i * PT_ENTRY_COUNT + j) * LARGE_PAGE_SIZE;

			put(pd_buf, j * 8, page | table | PTE_PS, 8);
		}
	}
}

void linux_boot_entry(const struct linux_kernel *k, const struct linux_layout *l,
		      struct linux_entry *e)
{
	*e = (struct linux_entry){
	    .rip = k->entry_gpa,
	    .rsi = l->zero_page,
	    .rsp = l->stack_top,
	    .rflags = 0x2,
	    .cr3 = l->page_tables,
	    .gdt_base = l->gdt,
	    .gdt_limit = LINUX_GDT_ENTRIES * 8 - 1,
	    .cs = LINUX_BOOT_CS,
	    .ds = LINUX_BOOT_DS,
	};
}
