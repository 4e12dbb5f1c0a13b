/*
 * libFuzzer target for vm/linux_boot.c: linux_boot_parse() on arbitrary
 * bzImages, then linux_boot_plan() and the builders on what it accepts.
 * Input: 1 byte choosing the guest's RAM size, 3 bytes of initrd size (in
 * 256-byte units), 2 bytes of command-line length, 3 bytes of ACPI size,
 * then the image, copied to an exactly-sized heap buffer so ASan flags any
 * read past it. Checked on success:
 *   parse: the header and the protected-mode code lie inside the file, the
 *     code holds the entry at +0x200, the kernel's [load, end) is page
 *     aligned, at or above 1 MiB, inside RAM and at least init_size long;
 *   plan: every region lies inside RAM (the ACPI area in 0xE0000-0xFFFFF),
 *     no two overlap, the initrd ends at or below initrd_addr_max + 1 and
 *     the command line is at most cmdline_size;
 *   zero page: the header bytes are the file's but for the fields a loader
 *     writes, every byte outside the header and those fields is 0 (the
 *     sentinel too), the e820 map covers [0, mem) in order;
 *   page tables: every region's first and last byte translate to itself.
 */
#include "tests/fuzz/fuzz_check.h"

#include "mm/pte_x86.h"
#include "vm/linux_boot.h"

struct region {
	u64 start, size;
};

static struct linux_kernel lk;
static struct linux_layout ll;
static u8 bp[BP_SIZE];
static u8 pt[LINUX_PT_PAGES * PAGE_SIZE];

/* 0xFF: no RAM bound (overflow paths); 0xFE: just past LINUX_MEM_MAX; else (b + 1) * 4 MiB. */
static u64 mem_size_of(u8 b)
{
	if (b == 0xFF)
		return UINT64_MAX;
	if (b == 0xFE)
		return LINUX_MEM_MAX + PAGE_SIZE;
	return (b + 1ULL) * 4 * MiB;
}

static u64 get(const u8 *p, u64 off, unsigned n)
{
	u64 v = 0;

	memcpy(&v, p + off, n);
	return v;
}

static void check_kernel(const struct linux_kernel *k, u64 len, u64 mem)
{
	FUZZ_CHECK(k->hdr_end >= SH_END_2_12 && k->hdr_end <= BP_HDR_END_MAX && k->hdr_end <= len);
	FUZZ_CHECK(k->code_offset >= 512 && k->code_offset <= len);
	FUZZ_CHECK(k->code_size > LINUX_ENTRY64_OFFSET && k->code_size <= len - k->code_offset);
	FUZZ_CHECK(k->xloadflags & XLF_KERNEL_64);
	FUZZ_CHECK(k->version >= LINUX_PROTOCOL_2_12);
	FUZZ_CHECK(k->mem_size <= mem && mem - k->mem_size < PAGE_SIZE);
	FUZZ_CHECK(k->load_gpa >= LINUX_HIGH_START && IS_ALIGNED(k->load_gpa, PAGE_SIZE));
	FUZZ_CHECK(k->entry_gpa == k->load_gpa + LINUX_ENTRY64_OFFSET);
	FUZZ_CHECK(IS_ALIGNED(k->kernel_end, PAGE_SIZE) && k->kernel_end <= k->mem_size);
	FUZZ_CHECK(k->kernel_end - k->load_gpa >= k->init_size);
	FUZZ_CHECK(k->init_size >= k->code_size);
	if (k->relocatable)
		FUZZ_CHECK(k->load_gpa % k->kernel_alignment == 0);
}

static unsigned regions_of(const struct linux_layout *l, struct region *r)
{
	unsigned n = 0;

	r[n++] = (struct region){l->zero_page, BP_SIZE};
	r[n++] = (struct region){l->gdt, LINUX_GDT_ENTRIES * 8};
	r[n++] = (struct region){l->page_tables, LINUX_PT_PAGES * PAGE_SIZE};
	r[n++] = (struct region){LINUX_STACK_BOTTOM, l->stack_top - LINUX_STACK_BOTTOM};
	r[n++] = (struct region){l->cmdline, l->cmdline_len + 1};
	r[n++] = (struct region){l->kernel, l->kernel_end - l->kernel};
	if (l->acpi_size)
		r[n++] = (struct region){l->acpi, l->acpi_size};
	if (l->initrd_size)
		r[n++] = (struct region){l->initrd, l->initrd_size};
	return n;
}

static void check_plan(const struct linux_kernel *k, const struct linux_layout *l, u64 initrd,
		       u64 cmdline, u64 acpi, const struct region *r, unsigned n)
{
	FUZZ_CHECK(l->mem_size == k->mem_size && l->mem_size <= LINUX_MEM_MAX);
	FUZZ_CHECK(l->cmdline_len == cmdline && cmdline <= k->cmdline_size);
	FUZZ_CHECK(l->initrd_size == initrd);
	if (initrd) {
		FUZZ_CHECK(IS_ALIGNED(l->initrd, PAGE_SIZE) && l->initrd >= LINUX_HIGH_START);
		FUZZ_CHECK(l->initrd + initrd <= (u64)k->initrd_addr_max + 1);
	}
	FUZZ_CHECK(l->acpi_size >= acpi && (!acpi || (l->acpi >= LINUX_ACPI_AREA_MIN &&
						      l->acpi + l->acpi_size == LINUX_HIGH_START)));
	for (unsigned i = 0; i < n; i++) {
		FUZZ_CHECK(r[i].size > 0 && r[i].start <= l->mem_size);
		FUZZ_CHECK(r[i].size <= l->mem_size - r[i].start);
		for (unsigned j = 0; j < i; j++)
			FUZZ_CHECK(r[i].start + r[i].size <= r[j].start ||
				   r[j].start + r[j].size <= r[i].start);
	}
}

/* The copied header, the written fields, the sentinel and the e820 map. */
static void check_params(const u8 *img, const struct linux_kernel *k, const struct linux_layout *l)
{
	u64 at = 0;

	for (u64 i = 0; i < BP_SIZE; i++) {
		bool written = (i >= SH_TYPE_OF_LOADER && i < SH_SETUP_MOVE_SIZE) ||
			       (i >= SH_CODE32_START && i < SH_BOOTSECT_KLUDGE) ||
			       (i >= SH_CMD_LINE_PTR && i < SH_INITRD_ADDR_MAX) ||
			       (i >= SH_SETUP_DATA && i < SH_PREF_ADDRESS);
		bool outside = (i >= BP_ACPI_RSDP_ADDR && i < BP_ACPI_RSDP_ADDR + 8) ||
			       (i >= BP_EXT_RAMDISK_IMAGE && i < BP_EXT_CMD_LINE_PTR + 4) ||
			       i == BP_E820_ENTRIES ||
			       (i >= BP_E820_TABLE &&
				i < BP_E820_TABLE + bp[BP_E820_ENTRIES] * BOOT_E820_ENTRY_SIZE);

		if (i >= BP_HDR && i < k->hdr_end && !written)
			FUZZ_CHECK(bp[i] == img[i]);
		else if ((i < BP_HDR || i >= k->hdr_end) && !outside)
			FUZZ_CHECK(bp[i] == 0); /* everything else zero, the sentinel too */
	}
	FUZZ_CHECK(bp[BP_SENTINEL] == 0 && bp[SH_TYPE_OF_LOADER] == SH_TYPE_UNDEFINED);
	FUZZ_CHECK((get(bp, SH_CMD_LINE_PTR, 4) | get(bp, BP_EXT_CMD_LINE_PTR, 4) << 32) ==
		   l->cmdline);
	FUZZ_CHECK((get(bp, SH_RAMDISK_IMAGE, 4) | get(bp, BP_EXT_RAMDISK_IMAGE, 4) << 32) ==
		   l->initrd);
	FUZZ_CHECK((get(bp, SH_RAMDISK_SIZE, 4) | get(bp, BP_EXT_RAMDISK_SIZE, 4) << 32) ==
		   l->initrd_size);
	FUZZ_CHECK(bp[BP_E820_ENTRIES] >= 1 && bp[BP_E820_ENTRIES] <= BP_E820_MAX_ENTRIES);
	for (unsigned i = 0; i < bp[BP_E820_ENTRIES]; i++) {
		u64 e = BP_E820_TABLE + (u64)i * BOOT_E820_ENTRY_SIZE;
		u64 addr = get(bp, e + BOOT_E820_ADDR, 8), size = get(bp, e + BOOT_E820_SIZE, 8);
		u32 type = (u32)get(bp, e + BOOT_E820_TYPE, 4);

		FUZZ_CHECK(addr == at && size > 0 && size <= l->mem_size - addr);
		FUZZ_CHECK(type == E820_TYPE_RAM || type == E820_TYPE_RESERVED);
		/* the kernel, initrd and ACPI area lie in RAM and reserved ranges as planned */
		if (l->kernel >= addr && l->kernel < addr + size)
			FUZZ_CHECK(type == E820_TYPE_RAM && l->kernel_end <= addr + size);
		if (l->acpi_size && l->acpi >= addr && l->acpi < addr + size)
			FUZZ_CHECK(type == E820_TYPE_RESERVED);
		at = addr + size;
	}
	FUZZ_CHECK(at == l->mem_size);
}

/* Translates va through the built tables (2 MiB leaves) as the CPU would. */
static u64 translate(u64 va)
{
	u64 pml4e = get(pt, ((va >> 39) & 511) * 8, 8);
	u64 pdpte, pde;

	FUZZ_CHECK(pml4e & 1);
	pdpte = get(pt, (pml4e & PTE_ADDR_MASK) - LINUX_PT_GPA + ((va >> 30) & 511) * 8, 8);
	FUZZ_CHECK(pdpte & 1);
	pde = get(pt, (pdpte & PTE_ADDR_MASK) - LINUX_PT_GPA + ((va >> 21) & 511) * 8, 8);
	FUZZ_CHECK((pde & 0x83) == 0x83);
	return (pde & PTE_ADDR_MASK & ~(LARGE_PAGE_SIZE - 1)) | (va & (LARGE_PAGE_SIZE - 1));
}

static void check_tables(const struct region *r, unsigned n)
{
	u64 gdt[LINUX_GDT_ENTRIES];

	linux_boot_page_tables(LINUX_PT_GPA, pt);
	for (unsigned i = 0; i < n; i++) {
		FUZZ_CHECK(translate(r[i].start) == r[i].start);
		FUZZ_CHECK(translate(r[i].start + r[i].size - 1) == r[i].start + r[i].size - 1);
	}
	linux_boot_gdt(gdt);
	FUZZ_CHECK(gdt[LINUX_BOOT_CS / 8] & BIT(53)); /* L: 64-bit code */
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	u64 mem = mem_size_of((u8)fuzz_take(&data, &size, 1));
	u64 initrd = fuzz_take(&data, &size, 3) * 256;
	u64 cmdline = fuzz_take(&data, &size, 2);
	u64 acpi = fuzz_take(&data, &size, 3);
	u8 *img = malloc(size ? size : 1);
	struct region r[8];
	struct linux_entry e;
	char err[160];
	unsigned n;

	memcpy(img, data, size);
	err[0] = '\0';
	if (!linux_boot_parse(img, size, mem, &lk, err, sizeof(err))) {
		fuzz_check_err(err, sizeof(err), true);
		goto out;
	}
	check_kernel(&lk, size, mem);
	if (!linux_boot_plan(&lk, initrd, cmdline, acpi, &ll, err, sizeof(err))) {
		fuzz_check_err(err, sizeof(err), true);
		goto out;
	}
	n = regions_of(&ll, r);
	check_plan(&lk, &ll, initrd, cmdline, acpi, r, n);
	linux_boot_params(img, &lk, &ll, ll.acpi, bp);
	check_params(img, &lk, &ll);
	check_tables(r, n);
	linux_boot_entry(&lk, &ll, &e);
	FUZZ_CHECK(e.rip == lk.entry_gpa && e.rsi == ll.zero_page && e.cr3 == ll.page_tables);
out:
	FUZZ_CHECK(!memcmp(img, data, size)); /* the parser never writes the image */
	free(img);
	return 0;
}
