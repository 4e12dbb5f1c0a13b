/*
 * The guest loader: copies each PT_LOAD segment of a checked image to its
 * guest-physical address (zeroing up to its memory size), copies `for=`
 * modules above the image, and writes the boot information, GDT and page
 * tables of the image's protocol below 1 MiB. Everything goes through
 * gmem_write: the loader reaches guest RAM only through the guest's EPT.
 */
#include "vm/loader.h"
#include "lib/format.h"
#include "lib/string.h"
#include "vm/elf.h"
#include "vm/guest.h"
#include "vm/guest_abi.h"
#include "vm/multiboot1.h"

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fmt_snprintf(err, err_len, __VA_ARGS__);                                           \
		return false;                                                                      \
	} while (0)

/* Offsets inside the boot-info area [0x1000, 0x4000). */
#define BI_MODULES 0x100
#define BI_STRINGS 0x400

static bool put(struct guest *g, u64 at, const void *src, u64 len)
{
	return gmem_write(&g->mem, gpa(at), src, len) == GMEM_OK;
}

static bool load_segments(struct guest *g, const u8 *img, const struct elf_image *ei)
{
	for (unsigned i = 0; i < ei->seg_count; i++) {
		const struct elf_segment *s = &ei->seg[i];

		if (!put(g, s->gpa, img + s->offset, s->filesz))
			return false;
		if (gmem_zero(&g->mem, gpa(s->gpa + s->filesz), s->memsz - s->filesz) != GMEM_OK)
			return false;
	}
	return true;
}

/* Copies modules page-aligned above `from`; fills their guest ranges. */
static bool load_modules(struct guest *g, u64 from, u64 *starts, char *err, size_t err_len)
{
	u64 at = ALIGN_UP(from, PAGE_SIZE);

	for (unsigned i = 0; i < g->module_count; i++) {
		const struct guest_module *m = &g->modules[i];
		u64 size = m->end - m->start;

		if (at > g->mem.ram_size || size > g->mem.ram_size - at)
			FAIL("module %u (%lu bytes) does not fit mem=%lu MiB above the image", i,
			     size, (u64)(g->mem.ram_size / MiB));
		if (!put(g, at, hpa_ptr(hpa(m->start)), size))
			FAIL("out of memory loading module %u", i);
		starts[i] = at;
		at = ALIGN_UP(at + size, PAGE_SIZE);
	}
	return true;
}

/* Writes a string into the boot-info area; returns its gpa, 0 if it does not fit. */
static u64 put_string(struct guest *g, u64 *cursor, const char *s)
{
	u64 at = *cursor, n = strlen(s) + 1;

	if (at + n > KEEL_GUEST_BOOT_INFO_END || !put(g, at, s, n))
		return 0;
	*cursor = at + n;
	return at;
}

static bool boot_info64(struct guest *g, const u64 *mod_gpa, char *err, size_t err_len)
{
	struct keel_boot_info bi = {
	    .magic = KEEL_BOOT_MAGIC,
	    .version = KEEL_BOOT_VERSION,
	    .mem_size = g->mem.ram_size,
	    .cmdline_len = (u32)strlen(g->cmdline),
	    .module_count = g->module_count,
	    .modules = KEEL_GUEST_BOOT_INFO_GPA + BI_MODULES,
	};
	u64 cursor = KEEL_GUEST_BOOT_INFO_GPA + BI_STRINGS;

	bi.cmdline = put_string(g, &cursor, g->cmdline);
	for (unsigned i = 0; i < g->module_count; i++) {
		struct keel_boot_module m = {mod_gpa[i],
					     mod_gpa[i] + g->modules[i].end - g->modules[i].start,
					     put_string(g, &cursor, g->modules[i].cmdline)};

		if (!m.cmdline || !put(g, bi.modules + i * sizeof(m), &m, sizeof(m)))
			FAIL("boot information does not fit its page");
	}
	if (!bi.cmdline || !put(g, KEEL_GUEST_BOOT_INFO_GPA, &bi, sizeof(bi)))
		FAIL("boot information does not fit its page");
	return true;
}

/*
 * GDT and identity page tables for 0-4 GiB (2 MiB pages) below 1 MiB. The
 * four page directories are written in place, a page at a time, through
 * the guest's EPT (gmem_populate gives the host frame of each).
 */
static bool tables64(struct guest *g)
{
	static const u64 gdt[3] = {0, 0x00AF9A000000FFFFULL, 0x00CF92000000FFFFULL};
	u64 pml4 = KEEL_GUEST_PT_GPA, pdpt = pml4 + PAGE_SIZE, pd = pdpt + PAGE_SIZE;
	u64 e;

	if (!put(g, KEEL_GUEST_GDT_GPA, gdt, sizeof(gdt)))
		return false;
	e = pdpt | 0x3; /* present, writable */
	if (!put(g, pml4, &e, 8))
		return false;
	for (u64 i = 0; i < 4; i++) {
		u64 *table;
		hpa_t h;

		e = (pd + i * PAGE_SIZE) | 0x3;
		if (!put(g, pdpt + i * 8, &e, 8) ||
		    gmem_populate(&g->mem, gpa(pd + i * PAGE_SIZE), &h) != GMEM_OK)
			return false;
		table = hpa_ptr(h); /* the page is 4 KiB aligned: one frame */
		for (u64 j = 0; j < 512; j++)
			table[j] = ((i * 512 + j) << 21) | 0x83; /* present, writable, 2 MiB */
	}
	return true;
}

static bool boot_info_mb1(struct guest *g, const u64 *mod_gpa, char *err, size_t err_len)
{
	u64 mem = g->mem.ram_size;
	struct multiboot1_info mi = {
	    .flags = MB1_INFO_MEMORY | MB1_INFO_CMDLINE | MB1_INFO_MODS | MB1_INFO_MMAP |
		     MB1_INFO_BOOT_LOADER_NAME,
	    .mem_lower = (u32)MIN(640ULL, mem / KiB),
	    .mem_upper = mem > MiB ? (u32)MIN((mem - MiB) / KiB, 0xFFFFFFFFULL) : 0,
	    .mods_count = g->module_count,
	    .mods_addr = KEEL_GUEST_BOOT_INFO_GPA + BI_MODULES,
	};
	struct multiboot1_mmap_entry mm = {20, 0, mem, 1};
	u64 cursor = KEEL_GUEST_BOOT_INFO_GPA + BI_STRINGS;
	u64 mmap_at = KEEL_GUEST_BOOT_INFO_GPA + sizeof(mi);

	mi.mmap_addr = (u32)mmap_at;
	mi.mmap_length = sizeof(mm);
	mi.cmdline = (u32)put_string(g, &cursor, g->cmdline);
	mi.boot_loader_name = (u32)put_string(g, &cursor, "Keel");
	for (unsigned i = 0; i < g->module_count; i++) {
		struct multiboot1_module m = {
		    (u32)mod_gpa[i], (u32)(mod_gpa[i] + g->modules[i].end - g->modules[i].start),
		    (u32)put_string(g, &cursor, g->modules[i].cmdline), 0};

		if (!m.string || !put(g, mi.mods_addr + i * sizeof(m), &m, sizeof(m)))
			FAIL("multiboot information does not fit its page");
	}
	if (!mi.cmdline || !mi.boot_loader_name || !put(g, mmap_at, &mm, sizeof(mm)) ||
	    !put(g, KEEL_GUEST_BOOT_INFO_GPA, &mi, sizeof(mi)))
		FAIL("multiboot information does not fit its page");
	return true;
}

bool loader_load(struct guest *g, struct vcpu_boot_state *bs, char *err, size_t err_len)
{
	const u8 *img = hpa_ptr(hpa(g->image_start));
	u64 len = g->image_end - g->image_start;
	u64 mod_gpa[GUEST_MAX_MODULES];
	struct elf_image ei;
	bool mb1;

	if (!elf_parse(img, len, g->mem.ram_size, KEEL_GUEST_IMAGE_MIN, &ei, err, err_len))
		return false;
	mb1 = ei.kind == ELF_KIND_MB32;
	if (mb1 && ei.load_end > 0x100000000ULL)
		FAIL("multiboot image loads above 4 GiB");
	if (!load_segments(g, img, &ei))
		FAIL("out of memory loading the image");
	if (!load_modules(g, ei.load_end, mod_gpa, err, err_len))
		return false;
	memset(bs, 0, sizeof(*bs));
	bs->rip = ei.entry;
	if (mb1) {
		if (!boot_info_mb1(g, mod_gpa, err, err_len))
			return false;
		bs->mode = VCPU_MODE_PROT32;
		bs->rax = MULTIBOOT1_BOOTLOADER_MAGIC;
		bs->rbx = KEEL_GUEST_BOOT_INFO_GPA;
		return true;
	}
	if (!boot_info64(g, mod_gpa, err, err_len))
		return false;
	if (!tables64(g))
		FAIL("out of memory building page tables");
	bs->mode = VCPU_MODE_LONG64;
	bs->rsp = KEEL_GUEST_STACK_TOP;
	bs->rdi = KEEL_GUEST_BOOT_INFO_GPA;
	bs->rsi = KEEL_BOOT_MAGIC;
	bs->cr3 = KEEL_GUEST_PT_GPA;
	bs->gdt_base = KEEL_GUEST_GDT_GPA;
	bs->gdt_limit = 0x17;
	return true;
}
