/*
 * Keel's own page tables (layout in mm/paging.h): the CPU features that
 * shape them, the list of regions and their rights, the build through the
 * generic code (mm/pt.c, IA-32e encoding), a check of the result and the
 * switch of CR3. Table frames come from the frame allocator and are Keel's
 * for as long as it runs.
 */
#include "mm/paging.h"
#include "arch/x86/cpu.h"
#include "arch/x86/cr.h"
#include "arch/x86/msr.h"
#include "lib/console.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "mm/addr.h"
#include "mm/pmm.h"
#include "mm/pte_x86.h"

/* linker.ld and boot/entry.S: link addresses are physical addresses. */
extern char __image_start[], __image_end[], __text_start[], __rodata_start[], __data_start[];
extern char boot_stack_guard[];

/* CPUID feature bits (SDM Vol. 2A, CPUID, Tables 3-11 and 3-20). */
#define CPUID_01_EDX_PGE	      BIT(13)
#define CPUID_80000001_EDX_NX	      BIT(20)
#define CPUID_80000001_EDX_1GB	      BIT(26) /* Page1GB */
#define CPUID_80000008_EAX_MAXPHYADDR 0xFFu

/* The boot tables identity-map [0, 4 GiB): until the switch, tables must lie there. */
#define PAGING_BOOT_MAPPED (4 * GiB)
/* MMIO and firmware tables below 4 GiB stay reachable whatever the RAM size. */
#define PAGING_MIN_TOP (4 * GiB)
/* Keel's addresses are identity addresses in the lower canonical half. */
#define PAGING_VA_BITS 47
/* The SDM's default when CPUID leaf 80000008H is absent. */
#define PAGING_DEFAULT_MAXPHYADDR 36

/* What the CPU offers for Keel's tables. */
struct paging_cpu {
	bool nx;      /* CPUID NX and IA32_EFER.NXE both set: XD may be used */
	bool page1gb; /* 1 GiB pages in PDPTEs */
	bool pge;     /* global pages */
	unsigned maxphyaddr;
};

/* One stretch of the identity map and its rights; paging_layout lists them. */
#define PAGING_REGION_COUNT 6
struct paging_region {
	u64 start, end;
	unsigned perms;
	unsigned max_level; /* 1: 4 KiB pages only (Keel's image) */
};

/*
 * Shared, boot CPU only: Keel's page tables, which other CPUs only walk; after paging_init
 * only paging_guard changes them, before the CPU it guards starts. Later: lock, shootdown.
 */
static struct pt paging_pt;
/* Shared, write-once at boot: paging_init. */
static bool paging_live;       /* CR3 holds paging_pt */
static bool paging_high_frame; /* the allocator offered a frame the boot tables cannot reach */

hpa_t hva_to_hpa(const void *p)
{
	return hpa((u64)(uintptr_t)p - mm_direct_base);
}

/* ---- table frames ---- */

/* One zeroed frame; before the switch only one the boot tables map. */
static bool paging_alloc(void *ctx, hpa_t *out)
{
	hpa_t f;

	if (!pmm_alloc_frame(&f))
		return false;
	if (!paging_live && hpa_addr(f) >= PAGING_BOOT_MAPPED) {
		pmm_free_frame(f);
		paging_high_frame = true;
		return false;
	}
	memset(hpa_ptr(f), 0, PAGE_SIZE);
	*out = f;
	return true;
}

static void paging_free(void *ctx, hpa_t t)
{
	pmm_free_frame(t);
}

static u64 *paging_table(void *ctx, hpa_t t)
{
	return hpa_ptr(t);
}

static const struct pt_mem paging_mem = {paging_alloc, paging_free, paging_table, NULL};

/* ---- what to build ---- */

static struct paging_cpu paging_cpu_probe(void)
{
	struct paging_cpu c = {.maxphyaddr = PAGING_DEFAULT_MAXPHYADDR};
	u32 max_ext = cpuid(0x80000000, 0).eax;

	if (max_ext >= 0x80000001) {
		u32 edx = cpuid(0x80000001, 0).edx;

		c.nx = (edx & CPUID_80000001_EDX_NX) && (rdmsr(IA32_EFER) & EFER_NXE);
		c.page1gb = edx & CPUID_80000001_EDX_1GB;
	}
	if (max_ext >= 0x80000008)
		c.maxphyaddr = cpuid(0x80000008, 0).eax & CPUID_80000008_EAX_MAXPHYADDR;
	c.pge = cpuid(1, 0).edx & CPUID_01_EDX_PGE;
	return c;
}

/* The end of RAM (and firmware memory) in the memory map, 0 if none. */
static u64 paging_ram_top(const struct boot_info *bi)
{
	u64 top = 0;

	for (u32 i = 0; i < bi->region_count; i++) {
		const struct mb2_region *r = &bi->regions[i];
		u64 end = r->base + r->length;

		if (r->type != MB2_MEMORY_AVAILABLE && r->type != MB2_MEMORY_ACPI_RECLAIMABLE &&
		    r->type != MB2_MEMORY_NVS)
			continue;
		top = MAX(top, end < r->base ? ~0ULL : end);
	}
	return top;
}

/*
 * The end of the direct map: RAM's end, at least 4 GiB, rounded up to the
 * large page size, no higher than the frame allocator tracks (RAM above is
 * not used by Keel) nor than MAXPHYADDR allows.
 */
static u64 paging_direct_top(const struct boot_info *bi, const struct paging_cpu *c)
{
	u64 large = c->page1gb ? HUGE_PAGE_SIZE : LARGE_PAGE_SIZE;
	u64 top = MIN(MAX(paging_ram_top(bi), PAGING_MIN_TOP), PMM_MAX_PHYS);

	return MIN(ALIGN_UP(top, large), BIT(c->maxphyaddr));
}

/*
 * Fills regions[] with the identity map in address order: page 0 and
 * boot_stack_guard are the holes between them. top: the direct map's end.
 */
static void paging_layout(struct paging_region regions[PAGING_REGION_COUNT], u64 top,
			  const struct paging_cpu *c)
{
	u64 guard = (u64)(uintptr_t)boot_stack_guard;
	u64 image_start = (u64)(uintptr_t)__image_start, image_end = (u64)(uintptr_t)__image_end;
	unsigned g = c->pge ? PT_PERM_GLOBAL : 0, x = c->nx ? 0 : PT_PERM_X;
	unsigned direct_level = c->page1gb ? 3 : 2;

	/* Keel's own link map: a violation is a Keel bug. */
	CHECK(IS_ALIGNED(image_start, PAGE_SIZE) && IS_ALIGNED(image_end, PAGE_SIZE));
	CHECK(image_start == (u64)(uintptr_t)__text_start && IS_ALIGNED(guard, PAGE_SIZE));
	CHECK(IS_ALIGNED((u64)(uintptr_t)__rodata_start, PAGE_SIZE));
	CHECK(IS_ALIGNED((u64)(uintptr_t)__data_start, PAGE_SIZE));
	CHECK(guard >= (u64)(uintptr_t)__data_start && guard + PAGE_SIZE <= image_end);
	CHECK(image_end <= top);

	regions[0] = (struct paging_region){PAGE_SIZE, image_start, PT_PERM_RW | g | x, 1};
	regions[1] =
	    (struct paging_region){image_start, (u64)(uintptr_t)__rodata_start, PT_PERM_RX | g, 1};
	regions[2] = (struct paging_region){(u64)(uintptr_t)__rodata_start,
					    (u64)(uintptr_t)__data_start, PT_PERM_R | g | x, 1};
	regions[3] =
	    (struct paging_region){(u64)(uintptr_t)__data_start, guard, PT_PERM_RW | g | x, 1};
	regions[4] = (struct paging_region){guard + PAGE_SIZE, image_end, PT_PERM_RW | g | x, 1};
	regions[5] = (struct paging_region){image_end, top, PT_PERM_RW | g | x, direct_level};
}

/* Maps every region; returns 0, or the first error with *bad its region. */
static int paging_build(const struct paging_region *regions, const struct paging_region **bad)
{
	for (unsigned i = 0; i < PAGING_REGION_COUNT; i++) {
		const struct paging_region *r = &regions[i];
		int err;

		if (r->start >= r->end)
			continue;
		err = pt_map_best(&paging_pt, r->start, hpa(r->start), r->end - r->start,
				  r->max_level, r->perms, PT_MEM_WB);
		if (err != PT_OK) {
			*bad = r;
			return err;
		}
	}
	return PT_OK;
}

/* The one line saying why the tables could not be built. */
static void paging_report(int err, const struct paging_region *bad)
{
	if (paging_high_frame)
		pr_err("paging: the frame allocator offered a frame above 4 GiB before the switch");
	else if (bad)
		pr_err("paging: cannot map [0x%lx-0x%lx): %s", bad->start, bad->end,
		       pt_strerror(err));
	else
		pr_err("paging: cannot start Keel's tables: %s", pt_strerror(err));
}

/* ---- check and switch ---- */

/* va is mapped to itself with exactly these rights. */
static void paging_expect(u64 va, unsigned perms)
{
	struct pt_walk w;

	CHECK(pt_lookup(&paging_pt, va, &w));
	CHECK(hpa_addr(w.pa) == va && w.perms == perms);
}

/* Reads the built tables back at the points that matter before trusting them. */
static void paging_check(const struct paging_region *regions)
{
	struct pt_walk w;

	CHECK(!pt_lookup(&paging_pt, 0, &w));
	CHECK(!pt_lookup(&paging_pt, PAGE_SIZE - 1, &w));
	CHECK(!pt_lookup(&paging_pt, (u64)(uintptr_t)boot_stack_guard, &w));
	CHECK(!pt_lookup(&paging_pt, regions[5].end, &w));
	for (unsigned i = 0; i < PAGING_REGION_COUNT; i++) {
		if (regions[i].start >= regions[i].end)
			continue;
		paging_expect(regions[i].start, regions[i].perms);
		paging_expect(regions[i].end - 1, regions[i].perms);
	}
}

/*
 * Loads CR3 with Keel's tables. The load flushes every TLB entry the boot
 * tables left (none was global), so no INVLPG is needed. CR0.WP makes
 * read-only pages bind Keel itself (W^X); CR4.PGE is set after the switch
 * so Keel's global entries survive later CR3 loads.
 */
static void paging_switch(const struct paging_cpu *c)
{
	write_cr3(hpa_addr(paging_pt.root));
	paging_live = true;
	write_cr0(read_cr0() | CR0_WP);
	if (c->pge)
		write_cr4(read_cr4() | CR4_PGE);
}

bool paging_init(const struct boot_info *bi)
{
	struct paging_cpu c = paging_cpu_probe();
	struct pt_cfg cfg = {PAGING_VA_BITS, c.maxphyaddr, PT_LEVEL_MASK(1) | PT_LEVEL_MASK(2)};
	struct paging_region regions[PAGING_REGION_COUNT];
	const struct paging_region *bad = NULL;
	int err;

	if (c.maxphyaddr < 32 || c.maxphyaddr > PT_PA_BITS_MAX) {
		pr_err("paging: CPUID reports MAXPHYADDR %u, outside 32..52", c.maxphyaddr);
		return false;
	}
	if (c.page1gb)
		cfg.leaf_levels |= PT_LEVEL_MASK(3);
	paging_layout(regions, paging_direct_top(bi, &c), &c);
	err = pt_init(&paging_pt, &pt_x86_fmt, &paging_mem, &cfg);
	if (err == PT_OK)
		err = paging_build(regions, &bad);
	if (err != PT_OK) {
		paging_report(err, bad);
		pt_destroy(&paging_pt, NULL, NULL);
		return false;
	}
	paging_check(regions);
	paging_switch(&c);
	if (!c.nx)
		pr_warn("paging: no NX (CPUID.80000001H:EDX.NX or EFER.NXE clear): data stays "
			"executable");
	pr_info("paging: direct map 0-0x%lx with %s pages, image W^X, %lu table pages",
		regions[5].end, c.page1gb ? "1 GiB" : "2 MiB", paging_pt.table_count);
	return true;
}

bool paging_lookup(const void *p, struct pt_walk *w)
{
	return paging_live && pt_lookup(&paging_pt, (u64)(uintptr_t)p, w);
}

bool paging_guard(const void *page)
{
	u64 va = (u64)(uintptr_t)page;
	struct pt_change chg = {0};
	struct pt_walk w;

	/* Only pages of Keel's image, mapped by 4 KiB leaves: no split, no table freed. */
	CHECK(paging_live && IS_ALIGNED(va, PAGE_SIZE));
	CHECK(va >= (u64)(uintptr_t)__data_start && va < (u64)(uintptr_t)__image_end);
	CHECK(pt_lookup(&paging_pt, va, &w) && w.level == 1);
	if (pt_unmap(&paging_pt, va, PAGE_SIZE, &chg) != PT_OK)
		return false;
	/* A present leaf was removed: this CPU's TLB may hold it (global or not). */
	if (chg.flush)
		invlpg(page);
	return !pt_lookup(&paging_pt, va, &w);
}
