/*
 * Keel's frame allocator: builds the pure core (mm/pmm_core.c) from the
 * multiboot2 memory map, reserves what is in use at boot (Keel's image, the
 * multiboot2 info, the modules, the metadata itself), prints the memory
 * report, and turns a core error, which is always a Keel bug, into a panic
 * naming the address.
 */
#include "mm/pmm.h"
#include "mm/zero.h"
#include "mm/zpool.h"
#include "arch/x86/cpu.h"
#include "lib/console.h"
#include "lib/format.h"
#include "lib/panic.h"
#include "lib/spinlock.h"
#include "arch/x86/percpu.h"

/*
 * linker.ld links Keel at the physical address GRUB loads it to, so these
 * link addresses are physical addresses.
 */
extern char __image_start[], __image_end[];

/* The boot page tables map [0, 4 GiB): the metadata must lie there. */
#define PMM_META_BELOW (4 * GiB)
/* Keel's image, the info, the metadata and the modules. */
#define PMM_MAX_RESERVATIONS (MB2_MAX_MODULES + 3)

struct reservation {
	struct pmm_range range;
	const char *what;
	int module; /* module index for "module N", else -1 */
};

/* Shared, atomic: the frame lock, which guards the allocator below (and every account). */
static struct spinlock pmm_lock = SPINLOCK_INIT("frames");
/*
 * Keel's one frame allocator and, through it, every guest's frame account.
 * The lock is held for one allocation or free (a bounded walk of the
 * core's free lists), never across a VM entry or a call out.
 */
/* Shared, lock frames: the allocator and its accounts. */
static struct pmm_core pmm;
/* Shared, lock frames: the zero pool (mm/zpool.h); zeroing itself runs unlocked. */
static struct zpool zpool;
/* Shared, atomic: ticks every CPU spent filling the pool (pmm_zero_abandon adds each). */
static u64 zpool_ticks;
/* Shared, write-once at boot: pmm_init's RAM, what it keeps off and why. */
static struct pmm_range ram[MB2_MAX_REGIONS];
static struct pmm_range avoid[MB2_MAX_REGIONS + PMM_MAX_RESERVATIONS];
static struct reservation reservations[PMM_MAX_RESERVATIONS];
static u32 reservation_count;

/* Takes the frame lock and returns the allocator; put() releases it. */
static struct pmm_core *take(void)
{
	spin_lock(&pmm_lock, cpu_lock_token());
	CHECK(pmm.state != NULL); /* pmm_init has run */
	return &pmm;
}

static void put(void)
{
	spin_unlock(&pmm_lock);
}

static const char *region_type_name(u32 type)
{
	switch (type) {
	case MB2_MEMORY_AVAILABLE:
		return "available";
	case MB2_MEMORY_RESERVED:
		return "reserved";
	case MB2_MEMORY_ACPI_RECLAIMABLE:
		return "ACPI reclaimable";
	case MB2_MEMORY_NVS:
		return "ACPI NVS";
	case MB2_MEMORY_BADRAM:
		return "bad RAM";
	default:
		return "unknown type";
	}
}

static struct pmm_range region_range(const struct mb2_region *r)
{
	return (struct pmm_range){r->base, r->base + r->length};
}

/* Copies the type-1 regions into ram[]; returns their count and highest end. */
static u32 collect_ram(const struct boot_info *bi, u64 *max_pa)
{
	u32 n = 0;

	*max_pa = 0;
	for (u32 i = 0; i < bi->region_count; i++) {
		const struct mb2_region *r = &bi->regions[i];

		pr_debug("mem: region [0x%016lx-0x%016lx) %s", r->base, r->base + r->length,
			 region_type_name(r->type));
		if (r->type != MB2_MEMORY_AVAILABLE || !r->length)
			continue;
		ram[n++] = region_range(r);
		*max_pa = MAX(*max_pa, r->base + r->length);
	}
	return n;
}

static void add_reservation(u64 start, u64 end, const char *what, int module)
{
	CHECK(reservation_count < PMM_MAX_RESERVATIONS);
	reservations[reservation_count++] = (struct reservation){{start, end}, what, module};
}

static void collect_reservations(const struct boot_info *bi)
{
	add_reservation(hpa_addr(hpa((uintptr_t)__image_start)),
			hpa_addr(hpa((uintptr_t)__image_end)), "keel image", -1);
	add_reservation(bi->info_start, bi->info_end, "multiboot2 info", -1);
	for (u32 i = 0; i < bi->module_count; i++)
		add_reservation(bi->modules[i].start, bi->modules[i].end, "module", (int)i);
}

/* Places the metadata in RAM below 4 GiB that is no reservation and not firmware's. */
static bool place_meta(const struct boot_info *bi, u32 ram_count, u64 size, u64 *pa)
{
	u32 n = 0;

	for (u32 i = 0; i < reservation_count; i++)
		avoid[n++] = reservations[i].range;
	for (u32 i = 0; i < bi->region_count; i++) {
		if (bi->regions[i].type != MB2_MEMORY_AVAILABLE)
			avoid[n++] = region_range(&bi->regions[i]);
	}
	return pmm_place(ram, ram_count, avoid, n, size, PMM_META_BELOW, pa);
}

/* Owns type-1 RAM, disowns anything else the map names, applies reservations. */
static void build(const struct boot_info *bi, u32 ram_count)
{
	char name[16];

	for (u32 i = 0; i < ram_count; i++)
		pmm_core_add_ram(&pmm, ram[i].start, ram[i].end);
	for (u32 i = 0; i < bi->region_count; i++) {
		const struct mb2_region *r = &bi->regions[i];

		if (r->type != MB2_MEMORY_AVAILABLE)
			pmm_core_exclude(&pmm, r->base, r->base + r->length);
	}
	for (u32 i = 0; i < reservation_count; i++) {
		const struct reservation *r = &reservations[i];

		pmm_core_reserve(&pmm, r->range.start, r->range.end);
		if (r->module >= 0)
			fmt_snprintf(name, sizeof(name), "module %d", r->module);
		pr_info("mem: reserved [0x%lx-0x%lx) %s", r->range.start, r->range.end,
			r->module >= 0 ? name : r->what);
	}
}

static void report(const struct boot_info *bi)
{
	u64 usable = 0;
	u32 regions = 0;

	for (u32 i = 0; i < bi->region_count; i++) {
		if (bi->regions[i].type == MB2_MEMORY_AVAILABLE) {
			usable += bi->regions[i].length;
			regions++;
		}
	}
	pr_info("mem: usable %lu MiB in %u regions", (u64)(usable / MiB), regions);
	pr_info("mem: free frames %lu (%lu MiB), used %lu", pmm_free_count(),
		(u64)(pmm_free_count() * PMM_FRAME_SIZE / MiB), pmm_used_count());
}

bool pmm_init(const struct boot_info *bi)
{
	u64 max_pa, meta_pa, meta_size;
	u32 ram_count = collect_ram(bi, &max_pa);

	if (max_pa <= PMM_LOW_LIMIT) {
		pr_err("mem: the memory map has no usable RAM above 1 MiB");
		return false;
	}
	if (max_pa > PMM_MAX_PHYS)
		pr_warn("mem: RAM above 0x%lx is not used", (u64)PMM_MAX_PHYS);
	collect_reservations(bi);
	meta_size = ALIGN_UP(pmm_core_meta_size(max_pa), PMM_FRAME_SIZE);
	if (!place_meta(bi, ram_count, meta_size, &meta_pa)) {
		pr_err("mem: no room below 4 GiB for 0x%lx bytes of allocator metadata", meta_size);
		return false;
	}
	add_reservation(meta_pa, meta_pa + meta_size, "allocator metadata", -1);
	pmm_core_init(&pmm, hpa_ptr(hpa(meta_pa)), max_pa);
	build(bi, ram_count);
	report(bi);
	return true;
}

bool pmm_alloc_frame(hpa_t *out)
{
	u64 pa;
	struct pmm_core *p = take();
	/* The zero pool gives way to any allocation it stands in the way of. */
	bool ok = pmm_core_alloc_frame(p, &pa) ||
		  (zpool_drain(&zpool, p) && pmm_core_alloc_frame(p, &pa));

	put();
	if (!ok)
		return false;
	*out = hpa(pa);
	return true;
}

bool pmm_alloc_2m(hpa_t *out)
{
	u64 pa;
	struct pmm_core *p = take();
	/* The zero pool gives way to any allocation it stands in the way of. */
	bool ok =
	    pmm_core_alloc_2m(p, &pa) || (zpool_drain(&zpool, p) && pmm_core_alloc_2m(p, &pa));

	put();
	if (!ok)
		return false;
	*out = hpa(pa);
	return true;
}

bool pmm_alloc_1g(hpa_t *out)
{
	u64 pa;
	struct pmm_core *p = take();
	/* The zero pool gives way to any allocation it stands in the way of. */
	bool ok =
	    pmm_core_alloc_1g(p, &pa) || (zpool_drain(&zpool, p) && pmm_core_alloc_1g(p, &pa));

	put();
	if (!ok)
		return false;
	*out = hpa(pa);
	return true;
}

void pmm_free_frame(hpa_t frame)
{
	enum pmm_status st = pmm_core_free_frame(take(), hpa_addr(frame));

	put();

	if (st != PMM_OK)
		panic("pmm: free of frame 0x%lx: %s", hpa_addr(frame), pmm_status_name(st));
}

void pmm_free_2m(hpa_t run)
{
	u64 bad = 0;
	enum pmm_status st = pmm_core_free_2m(take(), hpa_addr(run), &bad);

	put();

	if (st != PMM_OK)
		panic("pmm: free of 2 MiB run 0x%lx: %s at 0x%lx", hpa_addr(run),
		      pmm_status_name(st), bad);
}

void pmm_free_1g(hpa_t run)
{
	u64 bad = 0;
	enum pmm_status st = pmm_core_free_1g(take(), hpa_addr(run), &bad);

	put();

	if (st != PMM_OK)
		panic("pmm: free of 1 GiB run 0x%lx: %s at 0x%lx", hpa_addr(run),
		      pmm_status_name(st), bad);
}

void pmm_release(hpa_t start, u64 size)
{
	u64 bad = 0;
	u64 pa = hpa_addr(start);
	enum pmm_status st;

	CHECK(size <= UINT64_MAX - pa);
	st = pmm_core_release(take(), pa, pa + size, &bad);
	put();
	if (st != PMM_OK)
		panic("pmm: release of [0x%lx-0x%lx): %s at 0x%lx", pa, pa + size,
		      pmm_status_name(st), bad);
}

/*
 * Accounts. A 4 KiB frame inside the limit must exist (the promise kept it
 * free): not finding one is a Keel bug, as is a bad free.
 */
bool pmm_account_open(struct pmm_account *a, u64 limit)
{
	struct pmm_core *p = take();
	bool ok = pmm_core_account_open(p, a, limit) ||
		  (zpool_drain(&zpool, p) && pmm_core_account_open(p, a, limit));

	put();
	return ok;
}

void pmm_account_close(struct pmm_account *a)
{
	bool ok = pmm_core_account_close(take(), a);

	put();
	if (!ok)
		panic("pmm: account closed with %lu frames held", a->held);
}

enum pmm_account_status pmm_account_alloc_zeroed(struct pmm_account *a, enum pmm_kind kind,
						 u64 size, hpa_t *out, bool *zeroed)
{
	u64 pa = 0;
	bool z = false;
	enum pmm_account_status st =
	    pmm_core_account_alloc_pooled(take(), &zpool, a, kind, size, &pa, &z);

	put();

	CHECK(st != PMM_ACCOUNT_NO_RUN || size != PMM_FRAME_SIZE);
	if (st == PMM_ACCOUNT_OK)
		*out = hpa(pa);
	*zeroed = z;
	return st;
}

enum pmm_account_status pmm_account_alloc(struct pmm_account *a, enum pmm_kind kind, u64 size,
					  hpa_t *out)
{
	u64 pa = 0;
	/* Not from the pool (its frames are for those that would zero), but the pool gives way. */
	enum pmm_account_status st =
	    pmm_core_account_alloc_pooled(take(), &zpool, a, kind, size, &pa, NULL);

	put();

	CHECK(st != PMM_ACCOUNT_NO_RUN || size != PMM_FRAME_SIZE);
	if (st == PMM_ACCOUNT_OK)
		*out = hpa(pa);
	return st;
}

void pmm_account_free(struct pmm_account *a, enum pmm_kind kind, u64 size, hpa_t pa)
{
	u64 bad = 0;
	enum pmm_status st = pmm_core_account_free(take(), a, kind, size, hpa_addr(pa), &bad);

	put();

	if (st != PMM_OK)
		panic("pmm: account free of %lu bytes of %s at 0x%lx: %s at 0x%lx", size,
		      pmm_kind_name(kind), hpa_addr(pa), pmm_status_name(st), bad);
}

u64 pmm_unpromised_count(void)
{
	u64 n = pmm_core_unpromised(take());

	put();
	return n;
}

u64 pmm_free_count(void)
{
	u64 n = take()->count[PMM_FREE];

	put();
	return n;
}

u64 pmm_used_count(void)
{
	const struct pmm_core *c = take();
	u64 n = c->count[PMM_USED] + c->count[PMM_RESERVED];

	put();
	return n;
}

u64 pmm_reserved_count(void)
{
	u64 n = take()->count[PMM_RESERVED];

	put();
	return n;
}

/* --- the zero pool --- */

void pmm_zero_pool_init(u32 frames, u32 runs)
{
	take();
	zpool_init(&zpool, frames, runs);
	put();
	if (frames || runs)
		pr_info("mem: zero pool: up to %u 4 KiB frames and %u 2 MiB runs, zeroed while "
			"idle",
			zpool.want_frames, zpool.want_runs);
	else
		pr_info("mem: zero pool: off (first touches zero on the fault path)");
}

/*
 * One of: take a frame or run to fill, zero PMM_ZERO_PIECE bytes of it, or
 * push it, now zero, onto the pool. Doing one per call keeps what a waking
 * guest may wait for to the longest of the three, the zeroing.
 */
bool pmm_zero_step(struct pmm_zero_work *w)
{
	u64 start = rdtsc();

	if (!w->size) {
		struct pmm_core *p = take();
		u64 size = zpool_fill_next(&zpool, p), pa = 0;
		bool ok = size && zpool_fill_take(&zpool, p, size, &pa);

		put();
		if (!ok)
			return false;
		*w = (struct pmm_zero_work){.pa = hpa(pa), .size = size, .ticks = w->ticks};
	} else if (w->done < w->size) {
		u64 n = MIN((u64)PMM_ZERO_PIECE, w->size - w->done);

		zero_frames(hpa(hpa_addr(w->pa) + w->done), n);
		w->done += n;
	} else {
		zpool_fill_put(&zpool, take(), w->size, hpa_addr(w->pa));
		put();
		w->size = 0;
	}
	w->ticks += rdtsc() - start;
	return true;
}

void pmm_zero_abandon(struct pmm_zero_work *w)
{
	__atomic_add_fetch(&zpool_ticks, w->ticks, __ATOMIC_RELAXED);
	w->ticks = 0;
	if (!w->size)
		return;
	zpool_fill_abandon(take(), w->size, hpa_addr(w->pa));
	put();
	w->size = 0;
}

void pmm_zero_pool_end(void)
{
	struct zpool_stats st;
	u64 drained;

	drained = zpool_drain(&zpool, take());
	st = zpool.st;
	put();
	if (!zpool.want_frames && !zpool.want_runs)
		return;
	pr_info("mem: zero pool: zeroed %lu frames and %lu runs in %lu ticks of idle time; faults "
		"took %lu and %lu already zero, %lu and %lu found it empty; %lu frames back at the "
		"end",
		st.zeroed[0], st.zeroed[1], __atomic_load_n(&zpool_ticks, __ATOMIC_RELAXED),
		st.hits[0], st.hits[1], st.misses[0], st.misses[1], drained);
}
