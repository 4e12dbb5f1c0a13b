/*
 * The guest loader: copies each PT_LOAD segment of a checked image to its
 * guest-physical address (zeroing up to its memory size), copies `for=`
 * modules above the image (and above 1 MiB), and writes the boot
 * information of the image's protocol: an ELF64 image's at their fixed
 * addresses below 1 MiB (boot information, GDT, page tables, ACPI tables;
 * a segment on one of them is refused), a multiboot image's in a hole
 * beside its segments and modules. A Linux bzImage is loaded
 * by the kernel's own boot protocol instead (vm/linux_boot.c): kernel,
 * zero page, command line, initramfs and ACPI tables. Everything goes
 * through gmem_write: the loader reaches guest RAM only through the
 * guest's EPT.
 */
#include "vm/loader.h"
#include "arch/x86/percpu.h"
#include "lib/spinlock.h"
#include "dev/acpi_gen.h"
#include "lib/format.h"
#include "lib/string.h"
#include "vm/elf.h"
#include "vm/linux_boot.h"
#include "vm/guest.h"
#include "vm/guest_abi.h"
#include "vm/multiboot1.h"
#include "vm/place.h"

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fmt_snprintf(err, err_len, __VA_ARGS__);                                           \
		return false;                                                                      \
	} while (0)
/*
 * Guest RAM could not be populated (no frame, or the guest's limit): the
 * guest ends by out-of-memory, the reason its end detail (not a rejected image).
 */
#define FAIL_NOMEM(...)                                                                            \
	do {                                                                                       \
		fmt_snprintf(err, err_len, __VA_ARGS__);                                           \
		guest_end(g, GUEST_END_OOM, 0, "%s", err);                                         \
		return false;                                                                      \
	} while (0)

/* Offsets inside the ELF64 boot-info area [0x1000, 0x4000). */
#define BI_MODULES 0x100
#define BI_STRINGS 0x400

/*
 * The multiboot information, one block at an address chosen per image
 * (mb1_place), EBX pointing at its start:
 *
 *   +0    struct multiboot1_info
 *   +88   the memory map: one entry, [0, mem) available
 *   +112  struct multiboot1_module[mods_count]
 *   ...   strings: the command line, "Keel", each module's
 */
#define MB1_MMAP_OFF	sizeof(struct multiboot1_info)
#define MB1_MODS_OFF	(MB1_MMAP_OFF + sizeof(struct multiboot1_mmap_entry))
#define MB1_LOADER_NAME "Keel"

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

/* Copies modules page-aligned from `from` up; fills their guest GPAs. */
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
			FAIL_NOMEM("out of memory loading module %u", i);
		starts[i] = at;
		at = ALIGN_UP(at + size, PAGE_SIZE);
	}
	return true;
}

/* Writes a string at *cursor, below end; returns its gpa, 0 if it does not fit. */
static u64 put_string(struct guest *g, u64 *cursor, u64 end, const char *s)
{
	u64 at = *cursor, n = strlen(s) + 1;

	if (n > end - at || !put(g, at, s, n))
		return 0;
	*cursor = at + n;
	return at;
}

/* Bytes of the strings in the boot information: the command line's and every module's. */
static u64 strings_size(const struct guest *g)
{
	u64 n = strlen(g->cmdline) + 1;

	for (unsigned i = 0; i < g->module_count; i++)
		n += strlen(g->modules[i].cmdline) + 1;
	return n;
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
	u64 cursor = KEEL_GUEST_BOOT_INFO_GPA + BI_STRINGS, end = KEEL_GUEST_BOOT_INFO_END;

	if (strings_size(g) > end - cursor)
		FAIL("boot information: its strings (%lu bytes: the command line and %u module "
		     "lines) do not fit [0x%lx, 0x%lx)",
		     strings_size(g), g->module_count, cursor, end);
	bi.cmdline = put_string(g, &cursor, end, g->cmdline);
	for (unsigned i = 0; i < g->module_count; i++) {
		struct keel_boot_module m = {mod_gpa[i],
					     mod_gpa[i] + g->modules[i].end - g->modules[i].start,
					     put_string(g, &cursor, end, g->modules[i].cmdline)};

		if (!m.cmdline || !put(g, bi.modules + i * sizeof(m), &m, sizeof(m)))
			FAIL_NOMEM("out of memory writing the boot information");
	}
	if (!bi.cmdline || !put(g, KEEL_GUEST_BOOT_INFO_GPA, &bi, sizeof(bi)))
		FAIL_NOMEM("out of memory writing the boot information");
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

/* Bytes of the multiboot information block for g. */
static u64 mb1_size(const struct guest *g)
{
	return MB1_MODS_OFF + g->module_count * sizeof(struct multiboot1_module) +
	       sizeof(MB1_LOADER_NAME) + strings_size(g);
}

/*
 * Where the multiboot information goes: the lowest free page at or above
 * KEEL_GUEST_BOOT_INFO_GPA (page 0 stays the guest's, for a real-mode IVT),
 * below mem= and 4 GiB, meeting no segment and no module. An image above
 * 1 MiB finds it at KEEL_GUEST_BOOT_INFO_GPA, as before; an image that
 * loads low has it in a hole below or above itself.
 */
static bool mb1_place(const struct guest *g, const struct elf_image *ei, const u64 *mod_gpa,
		      u64 *at, char *err, size_t err_len)
{
	struct place_range busy[ELF_MAX_SEGMENTS + GUEST_MAX_MODULES];
	u64 limit = MIN(g->mem.ram_size, 0x100000000ULL);
	unsigned n = 0;

	for (unsigned i = 0; i < ei->seg_count; i++)
		busy[n++] = (struct place_range){ei->seg[i].gpa, ei->seg[i].gpa + ei->seg[i].memsz};
	for (unsigned i = 0; i < g->module_count; i++)
		busy[n++] = (struct place_range){mod_gpa[i], mod_gpa[i] + g->modules[i].end -
								 g->modules[i].start};
	if (!place_find(busy, n, mb1_size(g), PAGE_SIZE, KEEL_GUEST_BOOT_INFO_GPA, limit, at))
		FAIL("multiboot information (%lu bytes) fits nowhere in [0x%lx, 0x%lx): the "
		     "image's segments and its modules fill it",
		     mb1_size(g), (u64)KEEL_GUEST_BOOT_INFO_GPA, limit);
	return true;
}

/* Writes the multiboot information block at `at` (mb1_place). */
static bool boot_info_mb1(struct guest *g, u64 at, const u64 *mod_gpa)
{
	u64 mem = g->mem.ram_size, end = at + mb1_size(g);
	struct multiboot1_info mi = {
	    .flags = MB1_INFO_MEMORY | MB1_INFO_CMDLINE | MB1_INFO_MODS | MB1_INFO_MMAP |
		     MB1_INFO_BOOT_LOADER_NAME,
	    .mem_lower = (u32)MIN(640ULL, mem / KiB),
	    .mem_upper = mem > MiB ? (u32)MIN((mem - MiB) / KiB, 0xFFFFFFFFULL) : 0,
	    .mods_count = g->module_count,
	    .mods_addr = (u32)(at + MB1_MODS_OFF),
	    .mmap_addr = (u32)(at + MB1_MMAP_OFF),
	    .mmap_length = sizeof(struct multiboot1_mmap_entry),
	};
	struct multiboot1_mmap_entry mm = {20, 0, mem, 1};
	u64 cursor = at + MB1_MODS_OFF + g->module_count * sizeof(struct multiboot1_module);

	mi.cmdline = (u32)put_string(g, &cursor, end, g->cmdline);
	mi.boot_loader_name = (u32)put_string(g, &cursor, end, MB1_LOADER_NAME);
	for (unsigned i = 0; i < g->module_count; i++) {
		struct multiboot1_module m = {
		    (u32)mod_gpa[i], (u32)(mod_gpa[i] + g->modules[i].end - g->modules[i].start),
		    (u32)put_string(g, &cursor, end, g->modules[i].cmdline), 0};

		if (!m.string || !put(g, mi.mods_addr + i * sizeof(m), &m, sizeof(m)))
			return false;
	}
	return mi.cmdline && mi.boot_loader_name && put(g, mi.mmap_addr, &mm, sizeof(mm)) &&
	       put(g, at, &mi, sizeof(mi));
}

/* The guest's own arguments: its command line after "NAME ". */
static const char *guest_args(const struct guest *g)
{
	size_t n = strlen(g->name);

	return g->cmdline[n] == ' ' ? g->cmdline + n + 1 : "";
}

/* Shared, atomic: the loader lock, which guards the two buffers below. */
static struct spinlock loader_lock = SPINLOCK_INIT("loader");
/*
 * A Linux guest's ACPI tables (dev/acpi_gen.c) and boot pages are built
 * here first. Guests are built on the boot CPU, but a restart builds one
 * again on the CPU it runs on, beside the others.
 */
/* Shared, lock loader: both buffers. */
static u8 linux_acpi_buf[LINUX_ACPI_AREA_MAX];
static u8 linux_scratch[LINUX_PT_PAGES * PAGE_SIZE]; /* zero page, then the page tables */

/* The guest's ACPI tables at `at` in the BIOS area, a processor per vCPU; *rsdp: the RSDP's GPA. */
static bool put_acpi(struct guest *g, u64 at, u64 *rsdp, char *err, size_t err_len)
{
	struct acpi_gen_config cfg;
	struct acpi_gen_layout al;

	bool built, ok = false;

	acpi_gen_config_pc(&cfg, g->vcpu_count);
	spin_lock(&loader_lock, cpu_lock_token());
	built = acpi_gen_build(&cfg, linux_acpi_buf, sizeof(linux_acpi_buf), at, &al);
	if (built)
		ok = put(g, at, linux_acpi_buf, al.size);
	spin_unlock(&loader_lock);
	if (!built)
		FAIL("ACPI tables: %s", al.problem ? al.problem : "cannot be built");
	if (!ok)
		FAIL_NOMEM("out of memory writing the ACPI tables");
	*rsdp = al.rsdp;
	return true;
}

/*
 * Where an ELF64 guest's ACPI tables go: at the top of the BIOS area,
 * below 1 MiB, where a guest finds the RSDP by its scan of 0xE0000-0xFFFFF
 * (ACPI 6.5, 5.2.5.1); *at is their first page.
 */
static bool acpi64_place(const struct guest *g, u64 *at, char *err, size_t err_len)
{
	struct acpi_gen_config cfg;
	struct acpi_gen_layout al;
	u64 size;

	acpi_gen_config_pc(&cfg, g->vcpu_count);
	if (acpi_gen_build(&cfg, NULL, 0, KEEL_GUEST_ACPI_MIN, &al) || !al.size) /* only its size */
		FAIL("ACPI tables: %s", al.problem ? al.problem : "no size");
	size = ALIGN_UP(al.size, PAGE_SIZE);
	if (size > KEEL_GUEST_ACPI_END - KEEL_GUEST_ACPI_MIN)
		FAIL("ACPI tables (%lu bytes) do not fit the BIOS area", al.size);
	*at = KEEL_GUEST_ACPI_END - size;
	return true;
}

/*
 * The 64-bit protocol's fixed layout (vm/guest_abi.h): what Keel writes
 * below 1 MiB at addresses the guest relies on. A segment may load
 * anywhere else, page 0 and the stack's area included (Keel writes
 * nothing there); one that meets an area is refused, naming both.
 */
static bool fixed64_free(const struct elf_image *ei, u64 acpi_at, char *err, size_t err_len)
{
	const struct {
		const char *what;
		struct place_range r;
	} area[] = {
	    {"boot information", {KEEL_GUEST_BOOT_INFO_GPA, KEEL_GUEST_BOOT_INFO_END}},
	    {"GDT", {KEEL_GUEST_GDT_GPA, KEEL_GUEST_PT_GPA}},
	    {"page tables", {KEEL_GUEST_PT_GPA, KEEL_GUEST_PT_END}},
	    {"ACPI tables", {acpi_at, KEEL_GUEST_ACPI_END}},
	};

	for (unsigned i = 0; i < ei->seg_count; i++) {
		const struct elf_segment *s = &ei->seg[i];
		struct place_range seg = {s->gpa, s->gpa + s->memsz};

		for (unsigned a = 0; a < ARRAY_SIZE(area); a++)
			if (place_overlap(&area[a].r, 1, seg) == 0)
				FAIL("segment %u [0x%lx, 0x%lx) overlaps Keel's %s at [0x%lx, "
				     "0x%lx)",
				     i, seg.start, seg.end, area[a].what, area[a].r.start,
				     area[a].r.end);
	}
	return true;
}

/* Copies the kernel, its command line, its initrd and what the boot protocol needs. */
static bool linux_copy(struct guest *g, const u8 *img, const struct linux_kernel *k,
		       const struct linux_layout *l, const char *args, u64 rsdp)
{
	u64 gdt[LINUX_GDT_ENTRIES];
	const struct guest_module *initrd = g->module_count ? &g->modules[0] : NULL;

	bool ok;

	linux_boot_gdt(gdt);
	if (!put(g, k->load_gpa, img + k->code_offset, k->code_size) ||
	    !put(g, l->gdt, gdt, sizeof(gdt)) || !put(g, l->cmdline, args, l->cmdline_len + 1))
		return false;
	/* The scratch pages: a few pages' work under the loader lock. */
	spin_lock(&loader_lock, cpu_lock_token());
	linux_boot_params(img, k, l, rsdp, linux_scratch);
	ok = put(g, l->zero_page, linux_scratch, BP_SIZE);
	if (ok) {
		linux_boot_page_tables(l->page_tables, linux_scratch);
		ok = put(g, l->page_tables, linux_scratch, LINUX_PT_PAGES * PAGE_SIZE);
	}
	spin_unlock(&loader_lock);
	if (!ok)
		return false;
	return !initrd || put(g, l->initrd, hpa_ptr(hpa(initrd->start)), l->initrd_size);
}

/*
 * A bzImage: the Linux 64-bit boot protocol (vm/linux_boot.h,
 * docs/linux-boot.md). The guest's arguments are the kernel command line;
 * its one module, if any, is the initramfs.
 */
static bool load_linux(struct guest *g, const u8 *img, u64 len, struct vcpu_boot_state *bs,
		       char *err, size_t err_len)
{
	const char *args = guest_args(g);
	u64 initrd_size = g->module_count ? g->modules[0].end - g->modules[0].start : 0;
	struct acpi_gen_config cfg;
	struct acpi_gen_layout al;
	struct linux_kernel k;
	struct linux_layout l;
	struct linux_entry e;
	u64 rsdp = 0;

	if (g->module_count > 1)
		FAIL("a Linux guest takes one module, its initramfs (%u given)", g->module_count);
	acpi_gen_config_pc(&cfg, g->vcpu_count);
	if (acpi_gen_build(&cfg, NULL, 0, LINUX_ACPI_AREA_MIN, &al) || !al.size) /* only its size */
		FAIL("ACPI tables: %s", al.problem ? al.problem : "no size");
	if (!linux_boot_parse(img, len, g->mem.ram_size, &k, err, err_len) ||
	    !linux_boot_plan(&k, initrd_size, strlen(args), ALIGN_UP(al.size, PAGE_SIZE), &l, err,
			     err_len) ||
	    !put_acpi(g, l.acpi, &rsdp, err, err_len))
		return false;
	if (!linux_copy(g, img, &k, &l, args, rsdp))
		FAIL_NOMEM("out of memory loading the kernel");
	linux_boot_entry(&k, &l, &e);
	memset(bs, 0, sizeof(*bs));
	bs->mode = VCPU_MODE_LONG64;
	bs->rip = e.rip;
	bs->rsi = e.rsi;
	bs->rsp = e.rsp;
	bs->cr3 = e.cr3;
	bs->gdt_base = e.gdt_base;
	bs->gdt_limit = e.gdt_limit;
	bs->cs = e.cs;
	bs->ds = e.ds;
	return true;
}

/* A multiboot image's entry state: EAX the magic, EBX its information block. */
static bool enter_mb1(struct guest *g, const struct elf_image *ei, const u64 *mod_gpa,
		      struct vcpu_boot_state *bs, char *err, size_t err_len)
{
	u64 at;

	if (!mb1_place(g, ei, mod_gpa, &at, err, err_len))
		return false;
	if (!boot_info_mb1(g, at, mod_gpa))
		FAIL_NOMEM("out of memory writing the multiboot information");
	bs->mode = VCPU_MODE_PROT32;
	bs->rax = MULTIBOOT1_BOOTLOADER_MAGIC;
	bs->rbx = at;
	return true;
}

/* An ELF64 image's entry state and what its protocol puts below 1 MiB. */
static bool enter64(struct guest *g, u64 acpi_at, const u64 *mod_gpa, struct vcpu_boot_state *bs,
		    char *err, size_t err_len)
{
	u64 rsdp;

	if (!boot_info64(g, mod_gpa, err, err_len) || !put_acpi(g, acpi_at, &rsdp, err, err_len))
		return false;
	if (!tables64(g))
		FAIL_NOMEM("out of memory building page tables");
	bs->mode = VCPU_MODE_LONG64;
	bs->rsp = KEEL_GUEST_STACK_TOP;
	bs->rdi = KEEL_GUEST_BOOT_INFO_GPA;
	bs->rsi = KEEL_BOOT_MAGIC;
	bs->cr3 = KEEL_GUEST_PT_GPA;
	bs->gdt_base = KEEL_GUEST_GDT_GPA;
	bs->gdt_limit = 0x17;
	return true;
}

bool loader_load(struct guest *g, struct vcpu_boot_state *bs, char *err, size_t err_len)
{
	const u8 *img = hpa_ptr(hpa(g->image_start));
	u64 len = g->image_end - g->image_start;
	u64 mod_gpa[GUEST_MAX_MODULES];
	struct elf_image ei;
	u64 acpi_at = 0;
	bool mb1;

	if (linux_boot_is_bzimage(img, len))
		return load_linux(g, img, len, bs, err, err_len);
	/* Segments may load anywhere in RAM: ELF64 ones are checked against its fixed layout. */
	if (!elf_parse(img, len, g->mem.ram_size, 0, &ei, err, err_len))
		return false;
	mb1 = ei.kind == ELF_KIND_MB32;
	if (mb1 && ei.load_end > 0x100000000ULL)
		FAIL("multiboot image loads above 4 GiB");
	if (!mb1 &&
	    (!acpi64_place(g, &acpi_at, err, err_len) || !fixed64_free(&ei, acpi_at, err, err_len)))
		return false;
	if (!load_segments(g, img, &ei))
		FAIL_NOMEM("out of memory loading the image");
	if (!load_modules(g, MAX(ei.load_end, KEEL_GUEST_IMAGE_MIN), mod_gpa, err, err_len))
		return false;
	memset(bs, 0, sizeof(*bs));
	bs->rip = ei.entry;
	if (mb1)
		return enter_mb1(g, &ei, mod_gpa, bs, err, err_len);
	return enter64(g, acpi_at, mod_gpa, bs, err, err_len);
}
