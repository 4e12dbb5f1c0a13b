/*
 * Guest memory (see gmem.h). The fault path, KVM's tdp_page_fault done
 * bare-metal:
 *
 *   EPT violation at gpa
 *     -> gpa outside RAM?           -> caller ends the guest (or MMIO)
 *     -> already mapped?            -> spurious: nothing to do
 *     -> a large page being zeroed  -> zero on until the guest's time is up;
 *        for this region?              map it when done (gmem_fault)
 *     -> region of max_level fits?  -> take an aligned host run, zero, map large
 *        (no run free, or the guest's limit leaves no room for one: go on
 *        with the next size down, 4 KiB last)
 *     -> take a frame, zero, map 4 KiB
 *
 * With zero-page sharing (gmem_zero_sharing) a read or fetch of a page
 * never written maps the one shared zero frame instead, read and execute
 * only; the first write to it is copy-on-write of zero (gmem_cow): a
 * fresh zeroed frame replaces it, with INVEPT. A write to a 2 MiB region
 * of zero mappings alone takes a 2 MiB leaf for the whole region instead.
 * The zero frame is never in the reverse map, never charged to a guest
 * and never freed: free_leaf passes it by.
 *
 * Installing a translation where there was none needs no INVEPT: the CPU
 * does not cache not-present EPT entries (SDM Vol. 3C 29.4.2 "Creating and
 * Using Cached Translation Information"). Removals and downgrades are the
 * only changes that must be followed by INVEPT, and a table that a removal
 * empties is freed only after that INVEPT: until then the CPU may hold a
 * paging-structure-cache entry pointing at it.
 *
 * Every frame comes from the guest's account (mm/pmm.h): data and tables
 * count against its limit, so no guest can take frames another was
 * promised, and an unmap that empties tables gives them back.
 */
#include "vm/gmem.h"
#include "arch/x86/percpu.h"
#include "arch/x86/cpu.h"
#include "arch/x86/smp.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "mm/rmap.h"
#include "mm/zero.h"
#include "boot/options.h"
#include "vmx/ept.h"
#include "vmx/vmx.h"

/* Bytes of a large page zeroed between two looks at the clock (gmem_fault). */
#define GMEM_FILL_PIECE (64 * KiB)
/* The largest leaf Keel's own accesses populate once the guest runs. */
#define GMEM_SYNC_LEVEL 2

static bool table_alloc(void *ctx, hpa_t *out)
{
	struct gmem *m = ctx;

	bool zeroed;

	m->alloc_status =
	    pmm_account_alloc_zeroed(m->acct, PMM_KIND_TABLE, PAGE_SIZE, out, &zeroed);
	if (m->alloc_status != PMM_ACCOUNT_OK)
		return false;
	if (zeroed)
		m->stats.prezeroed[1]++;
	else
		zero_frames(*out, PAGE_SIZE);
	return true;
}

/*
 * Takes `size` bytes of `kind` from the guest's account (*zeroed when the
 * zero pool gave them): GMEM_OK, GMEM_LIMIT at its limit, else GMEM_NOMEM
 * (no frame, or no aligned run, free).
 */
static enum gmem_status account_take(struct gmem *m, enum pmm_kind kind, u64 size, hpa_t *out,
				     bool *zeroed)
{
	switch (pmm_account_alloc_zeroed(m->acct, kind, size, out, zeroed)) {
	case PMM_ACCOUNT_OK:
		return GMEM_OK;
	case PMM_ACCOUNT_LIMIT:
		return GMEM_LIMIT;
	default:
		return GMEM_NOMEM;
	}
}

static void table_free(void *ctx, hpa_t t)
{
	struct gmem *m = ctx;

	pmm_account_free(m->acct, PMM_KIND_TABLE, PAGE_SIZE, t);
}

static u64 *table_ptr(void *ctx, hpa_t t)
{
	return hpa_ptr(t);
}

/*
 * The reverse map's owners: rmap_owners[i] is the guest memory whose leaves
 * carry owner number i (0 is none), claimed by gmem_init, given back by
 * gmem_destroy.
 */
/* Shared, atomic: a number is claimed with a compare-and-swap from NULL. */
static struct gmem *rmap_owners[RMAP_OWNERS];

static u16 owner_claim(struct gmem *m)
{
	for (u16 i = 1; i < RMAP_OWNERS; i++) {
		struct gmem *none = NULL;

		if (__atomic_compare_exchange_n(&rmap_owners[i], &none, m, false, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			return i;
	}
	return 0;
}

/* Records the leaf at `level` just mapped at gpa g to run, or removes or splits it. */
static inline __attribute__((always_inline)) void
rmap_note(struct gmem *m, enum rmap_status (*op)(struct rmap *, hpa_t, u16, u64, unsigned),
	  hpa_t run, u64 g, unsigned level)
{
	enum rmap_status s = op(&keel_rmap, run, m->rmap_owner, g, level);

	/* The EPT and the map change together: disagreeing is a Keel bug. */
	if (unlikely(s != RMAP_OK))
		panic("rmap: owner %u gpa 0x%lx hpa 0x%lx level %u: %s", m->rmap_owner, g,
		      hpa_addr(run), level, rmap_status_name(s));
}

bool gmem_init(struct gmem *m, u64 ram_size, unsigned max_level, struct pmm_account *acct)
{
	struct pt_cfg cfg = {
	    .va_bits = MIN(vmx_caps.maxphyaddr, 48u),
	    .pa_bits = vmx_caps.maxphyaddr,
	    .leaf_levels = PT_LEVEL_MASK(1) | (vmx_caps.ept_2m ? PT_LEVEL_MASK(2) : 0) |
			   (vmx_caps.ept_1g ? PT_LEVEL_MASK(3) : 0),
	};

	memset(m, 0, sizeof(*m));
	m->table_mem = (struct pt_mem){table_alloc, table_free, table_ptr, m};
	m->acct = acct;
	m->ram_size = ram_size;
	m->max_level = max_level;
	m->sync_level = max_level;
	m->rmap_owner = owner_claim(m);
	if (!m->rmap_owner)
		return false;
	if (pt_init(&m->ept, &ept_fmt, &m->table_mem, &cfg) != PT_OK) {
		__atomic_store_n(&rmap_owners[m->rmap_owner], NULL, __ATOMIC_RELEASE);
		return false;
	}
	/* A/D flags only when asked (gmem_track_ad): they add work for the CPU. */
	m->eptp = ept_eptp(m->ept.root, false);
	return true;
}

void gmem_zero_sharing(struct gmem *m, hpa_t zero)
{
	CHECK(m->data_frames == 0 && m->zero_maps == 0); /* before anything is mapped */
	CHECK(IS_ALIGNED(hpa_addr(zero), PAGE_SIZE));
	m->zero = zero;
	m->ept.keep_ro = zero; /* no protect ever makes it writable */
}

void gmem_track_ad(struct gmem *m)
{
	m->ad = true;
	m->eptp = ept_eptp(m->ept.root, true);
}

void gmem_run(struct gmem *m)
{
	m->sync_level = MIN(m->max_level, GMEM_SYNC_LEVEL);
}

/* Gives a data run (a leaf's frames) back to the account. */
static void give_run(struct gmem *m, unsigned level, hpa_t run)
{
	pmm_account_free(m->acct, PMM_KIND_DATA, pt_level_size(level), run);
}

static void free_leaf(void *ctx, u64 va, hpa_t pa, unsigned level)
{
	struct gmem *m = ctx;

	if (gmem_is_zero(m, pa)) { /* shared: only the mapping goes */
		CHECK(level == 1 && m->zero_maps > 0);
		m->zero_maps--;
		return;
	}
	rmap_note(m, rmap_remove, pa, va, level);
	m->rmap_leaves--;
	give_run(m, level, pa);
	m->data_frames -= pt_level_size(level) / PAGE_SIZE;
}

/*
 * TSC ticks a shootdown waits for one CPU to leave the guest, at least: a
 * kicked CPU exits at once, and at the latest when its VMX-preemption timer
 * ends its slice (Bochs 2.7 holds the kick back from a guest entered with
 * RFLAGS.IF = 0: docs/testing.md). Past twice that, a Keel bug.
 */
#define GMEM_SHOOTDOWN_WAIT (1ULL << 26)

void gmem_share(struct gmem *m)
{
	m->shared = true;
	m->inv_gen = 1; /* above every cpu_gen: each CPU flushes before its first entry */
	m->done_gen = 1;
}

void gmem_enter(struct gmem *m, unsigned cpu)
{
	u64 gen;

	/* Said before the generation is read: a remover then either sees us or we see it. */
	__atomic_store_n(&m->in_guest[cpu], GMEM_ENTERING, __ATOMIC_SEQ_CST);
	gen = __atomic_load_n(&m->inv_gen, __ATOMIC_SEQ_CST);
	if (m->cpu_gen[cpu] != gen) {
		struct inv_stats st = {0};

		inv_ept(m->eptp, &st);
		m->cpu_gen[cpu] = gen;
		m->entry_flushes[cpu]++;
	}
	__atomic_store_n(&m->in_guest[cpu], gen, __ATOMIC_RELEASE);
}

/*
 * The other CPUs' part of an invalidation (the guest lock held): a new
 * generation, which every CPU flushes for before it next enters; a CPU in
 * the guest now with an older one is kicked out (its IPI exits the guest)
 * and waited for. Its exit needs no lock, so the wait ends whatever this
 * CPU holds. Only then may the removed frames be reused.
 */
static void shootdown(struct gmem *m)
{
	unsigned me = this_cpu()->index;
	u64 gen = __atomic_add_fetch(&m->inv_gen, 1, __ATOMIC_SEQ_CST);

	m->cpu_gen[me] = gen; /* this CPU has just flushed */
	if (keel_opts.test == TEST_SKIP_SHOOTDOWN) {
		__atomic_store_n(&m->done_gen, gen, __ATOMIC_RELEASE); /* as if it had */
		return;
	}
	m->shootdowns++;
	for (unsigned c = 0; c < CPU_MAX; c++) {
		u64 start = 0, at, bound = MAX(GMEM_SHOOTDOWN_WAIT, 2 * keel_opts.slice);

		if (c == me)
			continue;
		while ((at = __atomic_load_n(&m->in_guest[c], __ATOMIC_ACQUIRE)) != 0 &&
		       (at == GMEM_ENTERING || at < gen)) {
			if (!start) {
				smp_kick(&cpu_table[c]);
				m->kicks++;
				start = rdtsc();
			} else if (rdtsc() - start > bound) {
				panic("ept: CPU %u stayed in the guest through a TLB shootdown "
				      "(%lu ticks)",
				      c, rdtsc() - start);
			}
			cpu_relax();
		}
	}
	__atomic_store_n(&m->done_gen, gen, __ATOMIC_RELEASE);
}

void gmem_check_shootdown(const struct gmem *m, unsigned cpu, const char *who)
{
#ifndef NDEBUG
	for (unsigned c = 0; c < CPU_MAX; c++) {
		u64 at = __atomic_load_n(&m->in_guest[c], __ATOMIC_ACQUIRE);

		if (c != cpu && at && at != GMEM_ENTERING &&
		    at < __atomic_load_n(&m->done_gen, __ATOMIC_ACQUIRE))
			panic("guest %s: CPU %u runs it with EPT translations removed since "
			      "(no TLB shootdown reached it)",
			      who, c);
	}
#else
	(void)m, (void)cpu, (void)who;
#endif
}

/*
 * INVEPT after a removal or downgrade: the CPU may cache the old, wider
 * translation (SDM Vol. 3C 29.4.2) until it is invalidated, and so may
 * every other CPU that runs the guest (shootdown). With test=skip-invept
 * it is deliberately left out, so the debug check before the next VM
 * entry (vcpu_run) must fire; test=skip-shootdown leaves out the other
 * CPUs' part, and gmem_check_shootdown must fire.
 */
static void invalidate(struct gmem *m)
{
	if (keel_opts.test == TEST_SKIP_INVEPT)
		return;
	inv_ept(m->eptp, &m->stats.inv);
	m->inv_pending = false;
	if (m->shared)
		shootdown(m);
}

/* Forgets every cached translation (struct gmem_xlat): after any EPT removal. */
static void xlat_flush(struct gmem *m)
{
	memset(&m->xlat, 0, sizeof(m->xlat));
}

/*
 * The pages of RAM whose leaves have a `test` flag; the `clear` flags
 * cleared, then INVEPT: a translation the CPU cached with a flag set lets
 * it skip setting the flag again (the next working-set sample would
 * undercount, a write would go unlogged).
 */
static u64 harvest_ram(struct gmem *m, u64 test, u64 clear)
{
	u64 pages = 0;

	pt_harvest(&m->ept, 0, ALIGN_UP(m->ram_size, PAGE_SIZE), test, clear, NULL, NULL, &pages);
	invalidate(m);
	return pages;
}

u64 gmem_ws_sample(struct gmem *m)
{
	u64 a = m->ept.fmt->accessed, pages;

	CHECK(m->ad);
	pages = harvest_ram(m, a, a);
	m->ws.samples++;
	m->ws.last = pages;
	m->ws.peak = MAX(m->ws.peak, pages);
	m->ws.sum += pages;
	return pages;
}

/* Makes every write after now be noted: dirty flags cleared, or RAM write-protected. */
static enum gmem_status dirty_arm(struct gmem *m)
{
	if (m->dirty.mode == GMEM_DIRTY_WP)
		return gmem_protect(m, gpa(0), ALIGN_UP(m->ram_size, PAGE_SIZE), PT_PERM_RX);
	harvest_ram(m, 0, m->ept.fmt->dirty);
	return GMEM_OK;
}

enum gmem_status gmem_dirty_start(struct gmem *m, bool pml)
{
	struct gmem_dirty *l = &m->dirty;
	enum gmem_status s = GMEM_OK;
	bool zeroed;

	if (l->mode != GMEM_DIRTY_OFF)
		return GMEM_EXISTS;
	CHECK(!pml || m->ad);
	l->mode = pml ? GMEM_DIRTY_PML : GMEM_DIRTY_WP;
	l->count = 0;
	l->overflow = 0;
	for (unsigned i = 0; i < GMEM_DIRTY_FRAMES && s == GMEM_OK; i++)
		s = account_take(m, PMM_KIND_DEVICE, PAGE_SIZE, &l->list[i], &zeroed);
	if (s == GMEM_OK && pml)
		s = account_take(m, PMM_KIND_DEVICE, PAGE_SIZE, &l->pml, &zeroed);
	if (s == GMEM_OK)
		s = dirty_arm(m);
	if (s != GMEM_OK)
		gmem_dirty_stop(m); /* gives back what was taken */
	return s;
}

void gmem_dirty_note(struct gmem *m, u64 g)
{
	struct gmem_dirty *l = &m->dirty;
	u64 page = ALIGN_DOWN(g, PAGE_SIZE);

	for (unsigned i = 0; i < l->count; i++)
		if (*gmem_dirty_entry(l, i) == page)
			return;
	if (l->count < GMEM_DIRTY_MAX)
		*gmem_dirty_entry(l, l->count++) = page;
	else
		l->overflow++;
}

void gmem_dirty_drain(struct gmem *m, unsigned first)
{
	const u64 *log = hpa_ptr(m->dirty.pml);

	CHECK(m->dirty.mode == GMEM_DIRTY_PML);
	for (unsigned i = first; i < PAGE_SIZE / 8; i++)
		if (log[i] < m->ram_size) /* the CPU logs what it walked: RAM only */
			gmem_dirty_note(m, log[i]);
}

void gmem_dirty_rearm(struct gmem *m)
{
	CHECK(m->dirty.mode != GMEM_DIRTY_OFF);
	m->dirty.count = 0;
	m->dirty.overflow = 0;
	/* Whole leaves only (no split): a protect or a flag harvest of all of RAM cannot fail. */
	CHECK(dirty_arm(m) == GMEM_OK);
}

void gmem_dirty_stop(struct gmem *m)
{
	struct gmem_dirty *l = &m->dirty;

	if (hpa_addr(l->pml))
		pmm_account_free(m->acct, PMM_KIND_DEVICE, PAGE_SIZE, l->pml);
	l->pml = hpa(0);
	for (unsigned i = 0; i < GMEM_DIRTY_FRAMES; i++) {
		if (hpa_addr(l->list[i]))
			pmm_account_free(m->acct, PMM_KIND_DEVICE, PAGE_SIZE, l->list[i]);
		l->list[i] = hpa(0);
	}
	l->mode = GMEM_DIRTY_OFF;
}

u64 gmem_invept_count(const struct gmem *m)
{
	return m->stats.inv.invept_single + m->stats.inv.invept_all;
}

/*
 * True if the 4 KiB frame at p holds zeros only; *loads counts the qwords
 * read. One REPE SCASQ, which stops at the first qword that is not zero.
 */
static bool frame_is_zero(const u64 *p, unsigned *loads)
{
	u64 left = PAGE_SIZE / 8;
	bool differs;

	__asm__ volatile("repe scasq"
			 : "+D"(p), "+c"(left), "=@ccnz"(differs)
			 : "a"(0ULL)
			 : "memory", "cc");
	*loads += (unsigned)(PAGE_SIZE / 8 - left);
	return !differs;
}

void gmem_destroy(struct gmem *m)
{
	if (!m->ept.table_count)
		return;
	/*
	 * The guest will not run again, but a later EPT may be built at the same
	 * root address: cached translations tagged with this EPTP must go
	 * before its frames are handed out again.
	 */
	inv_ept(m->eptp, &m->stats.inv);
	m->inv_pending = false;
	xlat_flush(m);
	gmem_dirty_stop(m); /* its log page, if it is on */
	if (hpa_addr(m->fill.run))
		give_run(m, m->fill.level, m->fill.run);
	m->fill.run = hpa(0);
	/* free_leaf checks each leaf against the reverse map as it goes. */
	pt_destroy(&m->ept, free_leaf, m);
	CHECK(m->data_frames == 0 && m->zero_maps == 0);
#ifndef NDEBUG
	/* Debug builds: nothing ever wrote to the frame every guest reads as zero. */
	if (hpa_addr(m->zero)) {
		unsigned loads = 0;

		CHECK(frame_is_zero(hpa_ptr(m->zero), &loads));
	}
#endif
	/*
	 * And the map holds no other leaf of this guest's. (A scan of the map
	 * to show it, 1.5 M ticks per GiB of RAM, would hold the CPU past two
	 * console polls: the host test of gmem.c makes it after every life.)
	 */
	CHECK(m->rmap_leaves == 0);
	__atomic_store_n(&rmap_owners[m->rmap_owner], NULL, __ATOMIC_RELEASE);
	m->rmap_owner = 0;
}

/* Leaves and tables removed by one pt_unmap call, freed only after the INVEPT. */
#define GMEM_PIECE (2 * MiB) /* at most 512 leaves, or one large leaf, per piece */

struct removed {
	struct gmem *m; /* for note_split */
	struct {
		u64 va;
		hpa_t pa;
		unsigned level;
	} leaf[PT_ENTRY_COUNT];
	unsigned count;
	hpa_t table[PT_LEVELS]; /* emptied tables: one per level at most in a piece */
	unsigned table_count;
};

static void note_removed(void *ctx, u64 va, hpa_t pa, unsigned level)
{
	struct removed *r = ctx;

	CHECK(r->count < PT_ENTRY_COUNT);
	r->leaf[r->count].va = va;
	r->leaf[r->count].pa = pa;
	r->leaf[r->count].level = level;
	r->count++;
}

/* A large leaf split (pt_split_fn): its frames get a slot each in the reverse map. */
static void split_leaf(struct gmem *m, u64 va, hpa_t pa, unsigned level)
{
	rmap_note(m, rmap_split, pa, va, level);
	m->rmap_leaves += PT_ENTRY_COUNT - 1;
}

static void note_split(void *ctx, u64 va, hpa_t pa, unsigned level)
{
	split_leaf(((struct removed *)ctx)->m, va, pa, level);
}

static void note_split_protect(void *ctx, u64 va, hpa_t pa, unsigned level)
{
	split_leaf(ctx, va, pa, level);
}

static void note_table(void *ctx, hpa_t t, unsigned level)
{
	struct removed *r = ctx;

	CHECK(r->table_count < PT_LEVELS);
	r->table[r->table_count++] = t;
}

static bool range_ok(const struct gmem *m, u64 g, u64 size)
{
	return IS_ALIGNED(g, PAGE_SIZE) && IS_ALIGNED(size, PAGE_SIZE) && size && g < m->ram_size &&
	       size <= m->ram_size - g;
}

/*
 * Removes [g, g + size) (within one GMEM_PIECE), invalidates, then frees
 * the removed frames (free_leaves: data, else a page Keel owns elsewhere)
 * and the emptied tables: only now can no translation reach them.
 */
static enum gmem_status unmap_piece(struct gmem *m, u64 g, u64 size, bool free_leaves)
{
	/* Per-CPU: row i is CPU i's (too big for a stack); an unmap is not reentered. */
	static struct removed removed[CPU_MAX];
	struct removed *r = &removed[this_cpu()->index];
	struct pt_change chg = {
	    .on_leaf = note_removed, .on_table = note_table, .on_split = note_split, .ctx = r};
	int e;

	r->m = m;
	r->count = 0;
	r->table_count = 0;
	e = pt_unmap(&m->ept, g, size, &chg);
	if (e != PT_OK)
		return e == PT_ERR_NOMEM
			   ? (m->alloc_status == PMM_ACCOUNT_LIMIT ? GMEM_LIMIT : GMEM_NOMEM)
			   : GMEM_ERROR;
	if (chg.flush) {
		m->inv_pending = true;
		invalidate(m);
	}
	xlat_flush(m);
	for (unsigned i = 0; free_leaves && i < r->count; i++)
		free_leaf(m, r->leaf[i].va, r->leaf[i].pa, r->leaf[i].level);
	for (unsigned i = 0; i < r->table_count; i++)
		table_free(m, r->table[i]);
	m->stats.tables_freed += r->table_count;
	return GMEM_OK;
}

enum gmem_status gmem_unmap(struct gmem *m, gpa_t gp, u64 size)
{
	u64 g = gpa_addr(gp), end = g + size;

	if (!range_ok(m, g, size))
		return GMEM_OUTSIDE;
	while (g < end) {
		u64 piece_end = MIN(ALIGN_DOWN(g, GMEM_PIECE) + GMEM_PIECE, end);
		enum gmem_status s = unmap_piece(m, g, piece_end - g, true);

		if (s != GMEM_OK)
			return s;
		g = piece_end;
	}
	return GMEM_OK;
}

bool gmem_frame_owner(hpa_t frame, struct gmem **m, gpa_t *g, unsigned *level)
{
	struct rmap_leaf l;

	if (!rmap_find(&keel_rmap, frame, &l))
		return false;
	*m = __atomic_load_n(&rmap_owners[l.owner], __ATOMIC_ACQUIRE);
	CHECK(*m); /* a leaf recorded for an owner number nobody holds */
	*g = gpa(l.gpa + (ALIGN_DOWN(hpa_addr(frame), PAGE_SIZE) - hpa_addr(l.head)));
	*level = l.level;
	return true;
}

enum gmem_status gmem_unmap_frame(hpa_t frame)
{
	struct gmem *m;
	unsigned level;
	gpa_t g;

	if (!gmem_frame_owner(frame, &m, &g, &level))
		return GMEM_OUTSIDE;
	return gmem_unmap(m, g, PAGE_SIZE);
}

enum gmem_status gmem_protect(struct gmem *m, gpa_t gp, u64 size, unsigned perms)
{
	struct pt_change chg = {.on_split = note_split_protect, .ctx = m};
	int e;

	if (!range_ok(m, gpa_addr(gp), size))
		return GMEM_OUTSIDE;
	e = pt_protect(&m->ept, gpa_addr(gp), size, perms, &chg);
	if (e != PT_OK)
		return e == PT_ERR_NOMEM   ? GMEM_NOMEM
		       : e == PT_ERR_INVAL ? GMEM_OUTSIDE
					   : GMEM_ERROR; /* NOMEM: a split found no table */
	if (chg.flush) {
		m->inv_pending = true;
		invalidate(m);
	}
	return GMEM_OK;
}

enum gmem_status gmem_restore(struct gmem *m, gpa_t gp)
{
	struct pt_walk w;
	u64 size;

	if (!pt_lookup(&m->ept, gpa_addr(gp), &w))
		return GMEM_OUTSIDE;
	size = pt_level_size(w.level);
	/*
	 * Widening needs no INVEPT: a stale narrower translation only causes
	 * another EPT violation, which finds the access allowed (spurious).
	 */
	if (pt_protect(&m->ept, ALIGN_DOWN(gpa_addr(gp), size), size, PT_PERM_RWX, NULL) != PT_OK)
		return GMEM_ERROR;
	m->stats.restores++;
	return GMEM_OK;
}

u64 gmem_table_pages(const struct gmem *m)
{
	return m->ept.table_count;
}

const char *gmem_status_name(enum gmem_status s)
{
	switch (s) {
	case GMEM_OK:
		return "ok";
	case GMEM_NOMEM:
		return "out of memory";
	case GMEM_OUTSIDE:
		return "not guest RAM";
	case GMEM_LIMIT:
		return "frame limit reached";
	case GMEM_AGAIN:
		return "still zeroing";
	default:
		return "page-table error";
	}
}

/*
 * Takes a host run for a leaf at level from the account: *zeroed when the
 * zero pool gave it (already zero), else the caller zeroes it.
 */
static enum gmem_status take_run(struct gmem *m, unsigned level, hpa_t *out, bool *zeroed)
{
	return account_take(m, PMM_KIND_DATA, pt_level_size(level), out, zeroed);
}

static enum gmem_status map_status(const struct gmem *m, int r)
{
	if (r == PT_ERR_NOMEM)
		return m->alloc_status == PMM_ACCOUNT_LIMIT ? GMEM_LIMIT : GMEM_NOMEM;
	return r == PT_ERR_EXISTS ? GMEM_EXISTS : GMEM_ERROR;
}

/* Takes a run for a leaf at `level`, zeroed (by the zero pool, or here). */
static inline __attribute__((always_inline)) enum gmem_status
take_zeroed(struct gmem *m, unsigned level, hpa_t *run)
{
	bool zeroed;
	enum gmem_status s = take_run(m, level, run, &zeroed);

	if (s != GMEM_OK)
		return s;
	if (zeroed)
		m->stats.prezeroed[0]++;
	else
		zero_frames(*run, pt_level_size(level));
	return GMEM_OK;
}

/* A leaf of RAM at `level` now maps run at gpa base: the reverse map and the counts. */
static inline __attribute__((always_inline)) void note_leaf(struct gmem *m, hpa_t run, u64 base,
							    unsigned level)
{
	rmap_note(m, rmap_add_valid, run, base, level);
	m->rmap_leaves++;
	m->stats.leaves[level]++;
	m->data_frames += pt_level_size(level) / PAGE_SIZE;
}

/*
 * A 2 MiB region about to get a large leaf (zero-page sharing): if a table
 * is there that maps nothing but the zero frame, take it out (the mappings
 * and, after INVEPT, the table), which is a promotion; GMEM_EXISTS when the
 * table maps anything else, GMEM_OK when no table is there.
 */
static enum gmem_status promote(struct gmem *m, u64 base, unsigned level)
{
	enum gmem_status s;

	if (pt_slot_state(&m->ept, base, level) != PT_SLOT_TABLE)
		return GMEM_OK;
	if (level != 2 || !pt_maps_only(&m->ept, base, level, m->zero))
		return GMEM_EXISTS;
	/* Zero mappings removed and replaced by another frame: INVEPT (unmap_piece). */
	s = unmap_piece(m, base, pt_level_size(level), true);
	if (s == GMEM_OK)
		m->stats.promotions++;
	return s;
}

/*
 * Maps the zeroed run as the leaf at `level` covering g; on success *out is
 * the host address of g, on failure the run goes back to the account.
 */
static inline __attribute__((always_inline)) enum gmem_status
map_run(struct gmem *m, u64 g, unsigned level, hpa_t run, hpa_t *out)
{
	u64 size = pt_level_size(level);
	u64 base = ALIGN_DOWN(g, size);
	int r;

	if (level > 1 && hpa_addr(m->zero)) {
		enum gmem_status s = promote(m, base, level);

		if (s != GMEM_OK) {
			give_run(m, level, run);
			return s;
		}
	}
	/* Not-present -> present: no INVEPT needed (see the comment at the top). */
	r = pt_map(&m->ept, base, run, size, level, PT_PERM_RWX, PT_MEM_WB);
	if (r != PT_OK) {
		give_run(m, level, run);
		return map_status(m, r);
	}
	note_leaf(m, run, base, level);
	*out = hpa(hpa_addr(run) + (g - base));
	return GMEM_OK;
}

/*
 * Takes, zeroes (unless the zero pool did) and maps the leaf at `level`
 * covering g, at once. Inline: the 4 KiB calls, level a constant, leave
 * the large pages' work out.
 */
static inline __attribute__((always_inline)) enum gmem_status map_leaf(struct gmem *m, u64 g,
								       unsigned level, hpa_t *out)
{
	hpa_t run;
	enum gmem_status s = take_zeroed(m, level, &run);

	return s == GMEM_OK ? map_run(m, g, level, run, out) : s;
}

/* True if the aligned region of `level` around g lies wholly inside RAM. */
static bool region_in_ram(const struct gmem *m, u64 g, unsigned level)
{
	u64 size = pt_level_size(level);

	return ALIGN_DOWN(g, size) + size <= m->ram_size;
}

/*
 * Whether a leaf at `level` may map g: GMEM_OK when the CPU has it, RAM
 * covers it and no smaller leaves are there; GMEM_EXISTS when a leaf
 * already maps g (another vCPU mapped it since this one faulted: nothing
 * to take); else GMEM_ERROR (try the next size down).
 */
static enum gmem_status large_ok(const struct gmem *m, u64 g, unsigned level)
{
	enum pt_slot st;

	if (!(m->ept.cfg.leaf_levels & PT_LEVEL_MASK(level)) || !region_in_ram(m, g, level))
		return GMEM_ERROR;
	st = pt_slot_state(&m->ept, g, level);
	if (st == PT_SLOT_LEAF)
		return GMEM_EXISTS;
	if (st == PT_SLOT_TABLE && level == 2 && hpa_addr(m->zero) &&
	    pt_maps_only(&m->ept, g, level, m->zero))
		return GMEM_OK; /* zero mappings only: map_run promotes */
	return st == PT_SLOT_EMPTY ? GMEM_OK : GMEM_ERROR;
}

/* Maps the zero frame, read and execute only, at the unmapped page holding g. */
static enum gmem_status map_zero(struct gmem *m, u64 g)
{
	/* Not-present -> present: no INVEPT. */
	int r =
	    pt_map(&m->ept, ALIGN_DOWN(g, PAGE_SIZE), m->zero, PAGE_SIZE, 1, PT_PERM_RX, PT_MEM_WB);

	if (r != PT_OK)
		return map_status(m, r);
	m->zero_maps++;
	return GMEM_OK;
}

/*
 * Copy-on-write of zero at 4 KiB: the page at g, mapping the zero frame,
 * gets a zeroed frame of its own, read/write/execute. The old translation
 * goes with INVEPT: the EPT violation dropped the faulting address's own
 * cached translations, but not a combined mapping of another linear
 * address that aliases the page, which would go on reading the zero frame
 * (SDM Vol. 3C 29.4.3.1 "Operations that Invalidate Cached Mappings").
 * *out: the host address of g.
 */
static enum gmem_status cow_page(struct gmem *m, u64 g, hpa_t *out)
{
	u64 page = ALIGN_DOWN(g, PAGE_SIZE);
	hpa_t run;
	enum gmem_status s = take_zeroed(m, 1, &run);

	if (s != GMEM_OK)
		return s;
	if (pt_remap(&m->ept, page, 1, run, PT_PERM_RWX) != PT_OK) {
		give_run(m, 1, run);
		return GMEM_ERROR;
	}
	m->inv_pending = true;
	invalidate(m);
	CHECK(m->zero_maps > 0);
	m->zero_maps--;
	note_leaf(m, run, page, 1);
	m->stats.cow++;
	*out = hpa(hpa_addr(run) + (g - page));
	return GMEM_OK;
}

/*
 * Maps the page holding g, known to be unmapped: the largest leaf up to
 * max_level that fits, zeroed at once (no run free: a fallback to the next
 * size; a region with smaller leaves in it already: skipped without
 * taking a run), else 4 KiB.
 */
static enum gmem_status populate_now(struct gmem *m, u64 g, unsigned max_level, hpa_t *out)
{
	for (unsigned level = max_level; level > 1; level--) {
		enum gmem_status s = large_ok(m, g, level);

		if (s == GMEM_EXISTS)
			return s;
		if (s != GMEM_OK)
			continue;
		s = map_leaf(m, g, level, out);
		if (s == GMEM_OK || s == GMEM_ERROR)
			return s;
		if (s == GMEM_NOMEM)
			m->stats.fallbacks++;
		/* LIMIT: a large page would pass the guest's limit; a smaller one may not. */
	}
	return map_leaf(m, g, 1, out);
}

/*
 * Zeroes the fill in progress until it is done or the TSC passes `until`
 * (one piece at least), then maps it. GMEM_AGAIN while not done.
 */
static enum gmem_status fill_continue(struct gmem *m, u64 g, u64 until)
{
	struct gmem_fill *f = &m->fill;
	u64 size = pt_level_size(f->level);
	enum gmem_status s;
	hpa_t h;

	while (f->done < size) { /* one piece at least, unless the zero pool did it all */
		zero_frames(hpa(hpa_addr(f->run) + f->done), GMEM_FILL_PIECE);
		f->done += GMEM_FILL_PIECE;
		if (rdtsc() >= until)
			break;
	}
	if (f->done < size)
		return GMEM_AGAIN;
	s = map_run(m, f->base, f->level, f->run, &h);
	f->run = hpa(0);
	/* EXISTS: Keel populated part of the region meanwhile; the next fault takes that path. */
	return s == GMEM_EXISTS ? GMEM_AGAIN : s;
}

void gmem_fault_around(struct gmem *m, unsigned max)
{
	m->around = (struct gmem_around){.max = MIN(max, (unsigned)GMEM_AROUND_MAX)};
}

/*
 * After the fault at page g mapped it (4 KiB leaves only): if g is the page
 * after the last one mapped, map up to the next `around.n` pages ahead
 * (struct gmem_around). Never a failure: a page that cannot be mapped
 * (already mapped, the 2 MiB or RAM ends, no frame) ends the run early.
 */
static void fault_around(struct gmem *m, u64 g)
{
	struct gmem_around *a = &m->around;
	u64 region_end = ALIGN_DOWN(g, pt_level_size(2)) + pt_level_size(2);
	u64 ram_pages = m->ram_size / PAGE_SIZE, want, done = 0;
	hpa_t h;

	if (g != a->next) {
		a->n = 0;
		a->next = g + PAGE_SIZE;
		return;
	}
	a->sequential++;
	a->n = MIN(MAX(a->n * 2, 1u), a->max);
	want = a->n;
	/*
	 * Pages ahead are pages of RAM not mapped yet: they take nothing a guest
	 * with room for all of its RAM would miss. One without (maxmem= below
	 * mem=, overcommitted) gets none: each could take a frame it needs.
	 */
	if (m->acct->limit - m->acct->held < ram_pages - MIN(m->data_frames, ram_pages))
		want = 0;
	for (u64 p = g + PAGE_SIZE; done < want && p < region_end && p < m->ram_size;
	     p += PAGE_SIZE, done++)
		if (map_leaf(m, p, 1, &h) != GMEM_OK)
			break;
	m->stats.around += done;
	a->mapped += done;
	a->next = g + (done + 1) * PAGE_SIZE;
}

enum gmem_status gmem_fault(struct gmem *m, u64 g, u64 until, bool write)
{
	struct gmem_fill *f = &m->fill;
	enum gmem_status st;
	bool zeroed;
	hpa_t h;

	if (g >= m->ram_size)
		return GMEM_OUTSIDE;
	if (hpa_addr(f->run) && gmem_filling(m, g)) {
		m->stats.fill_resumes++;
		return fill_continue(m, g, until);
	}
	if (!write && hpa_addr(m->zero)) {
		st = map_zero(m, g);
		m->stats.zero_faults += st == GMEM_OK;
		return st;
	}
	/* Another region while one is being zeroed: a 4 KiB page, at once. */
	if (hpa_addr(f->run))
		return map_leaf(m, g, 1, &h);
	for (unsigned level = m->max_level; level > 1; level--) {
		enum gmem_status s = large_ok(m, g, level);

		if (s == GMEM_EXISTS)
			return s; /* mapped meanwhile: no run taken, no fill left behind */
		if (s != GMEM_OK)
			continue;
		s = take_run(m, level, &f->run, &zeroed);
		if (s != GMEM_OK) {
			/* No run free (a fallback), or one would pass the limit: smaller pages. */
			f->run = hpa(0);
			m->stats.fallbacks += s == GMEM_NOMEM;
			continue;
		}
		f->base = ALIGN_DOWN(g, pt_level_size(level));
		f->level = level;
		/* A run from the zero pool is done already: mapped by fill_continue at once. */
		f->done = zeroed ? pt_level_size(level) : 0;
		m->stats.prezeroed[0] += zeroed;
		return fill_continue(m, g, until);
	}
	st = map_leaf(m, g, 1, &h);
	if (st == GMEM_OK && m->around.max && m->max_level == 1)
		fault_around(m, ALIGN_DOWN(g, PAGE_SIZE));
	return st;
}

enum gmem_status gmem_cow(struct gmem *m, u64 g, u64 until)
{
	enum gmem_status s;
	struct pt_walk w;
	hpa_t h;

	if (g >= m->ram_size || !pt_lookup(&m->ept, g, &w) || !gmem_is_zero(m, w.pa))
		return GMEM_EXISTS;
	/* A 2 MiB leaf for the region if it holds zero mappings alone (a promotion). */
	s = gmem_fault(m, g, until, true);
	if (s != GMEM_EXISTS)
		return s;
	return cow_page(m, g, &h);
}

/* Frames one reclaim step gives back at most (one INVEPT covers them). */
#define GMEM_RECLAIM_BATCH 16

/* The first address past the hole at g (nothing mapped there): past its 1 GiB or 2 MiB if empty. */
static u64 hole_end(const struct gmem *m, u64 g)
{
	for (unsigned level = 3; level >= 2; level--)
		if (pt_slot_state(&m->ept, g, level) == PT_SLOT_EMPTY)
			return ALIGN_DOWN(g, pt_level_size(level)) + pt_level_size(level);
	return ALIGN_DOWN(g, PAGE_SIZE) + PAGE_SIZE;
}

/*
 * The 2 MiB leaf at base, every page of it checked zero with the guest
 * idle all along: unmapped whole (INVEPT, then its run is freed).
 */
static void reclaim_leaf(struct gmem *m, u64 base)
{
	if (unmap_piece(m, base, pt_level_size(2), true) == GMEM_OK)
		m->reclaim.returned += PT_ENTRY_COUNT;
}

bool gmem_reclaim_step(struct gmem *m, u64 ran, unsigned budget)
{
	struct gmem_reclaim *r = &m->reclaim;
	struct {
		u64 g;
		hpa_t pa;
	} freed[GMEM_RECLAIM_BATCH];
	unsigned nfreed = 0, loads = 0;
	u64 t0;

	if (!hpa_addr(m->zero) || m->shared || hpa_addr(m->fill.run))
		return false;
	if (r->cursor == 0 && r->passes && r->pass_ran == ran)
		return false; /* idle since the last whole pass: nothing can have changed */
	t0 = rdtsc();
	if (r->cursor == 0)
		r->pass_ran = ran;
	if (r->leaf_base && r->leaf_ran != ran) { /* it ran: the leaf's pages are checked again */
		r->cursor = r->leaf_base - 1;
		r->leaf_ran = ran;
	}
	while (loads < budget && nfreed < GMEM_RECLAIM_BATCH) {
		u64 g = r->cursor, size;
		struct pt_walk w;

		if (g >= m->ram_size) {
			r->cursor = 0;
			r->passes++;
			break;
		}
		loads += 8; /* a walk, about as dear as eight loads */
		if (!pt_lookup(&m->ept, g, &w)) {
			r->cursor = hole_end(m, g);
			continue;
		}
		size = pt_level_size(w.level);
		if (gmem_is_zero(m, w.pa) || w.level == 3) {
			r->cursor =
			    ALIGN_DOWN(g, size) + size; /* shared already, or too large to check */
			continue;
		}
		r->scanned++;
		if (w.level == 2) {
			u64 base = ALIGN_DOWN(g, size), run = ALIGN_DOWN(hpa_addr(w.pa), size);

			if (r->leaf_base != base + 1) { /* a new leaf: from its first page */
				r->leaf_base = base + 1;
				r->leaf_ran = ran;
				g = base;
			}
			if (!frame_is_zero(hpa_ptr(hpa(run + (g - base))), &loads)) {
				r->leaf_base = 0;
				r->cursor = base + size;
				continue;
			}
			r->cursor = g + PAGE_SIZE;
			if (r->cursor == base + size) {
				r->leaf_base = 0;
				reclaim_leaf(m, base);
			}
			continue;
		}
		r->cursor = g + PAGE_SIZE;
		if (!frame_is_zero(hpa_ptr(w.pa), &loads))
			continue;
		/* Zeros only: the zero frame takes its place, the frame goes once INVEPT ran. */
		CHECK(pt_remap(&m->ept, g, 1, m->zero, PT_PERM_RX) == PT_OK);
		m->zero_maps++;
		freed[nfreed].g = g;
		freed[nfreed++].pa = w.pa;
	}
	if (nfreed) {
		m->inv_pending = true;
		invalidate(m);
		xlat_flush(m);
		for (unsigned i = 0; i < nfreed; i++)
			free_leaf(m, freed[i].g, freed[i].pa, 1);
		r->returned += nfreed;
	}
	r->ticks += rdtsc() - t0;
	return true;
}

/*
 * The host address of RAM page g if it is mapped: from the cache, else the
 * EPT. The zero frame's translations are not cached: gmem_populate must
 * see them to give the page a frame of its own.
 */
static bool xlat_lookup(struct gmem *m, u64 g, hpa_t *out)
{
	u64 gfn = g >> PAGE_SHIFT;
	unsigned slot = gfn % GMEM_XLAT_SLOTS;
	struct pt_walk w;

	if (m->xlat.gfn1[slot] == gfn + 1) {
		*out = hpa(m->xlat.hpa[slot] + (g & (PAGE_SIZE - 1)));
		return true;
	}
	if (!pt_lookup(&m->ept, g, &w))
		return false;
	*out = w.pa;
	if (gmem_is_zero(m, w.pa))
		return true;
	m->xlat.gfn1[slot] = gfn + 1;
	m->xlat.hpa[slot] = hpa_addr(w.pa) & ~(u64)(PAGE_SIZE - 1);
	return true;
}

enum gmem_status gmem_populate(struct gmem *m, gpa_t gp, hpa_t *out)
{
	u64 g = gpa_addr(gp);

	if (g >= m->ram_size)
		return GMEM_OUTSIDE;
	if (xlat_lookup(m, g, out))
		return likely(!gmem_is_zero(m, *out)) ? GMEM_OK : cow_page(m, g, out);
	return populate_now(m, g, m->sync_level, out);
}

/* As gmem_populate for Keel to read: a page never written may map the zero frame. */
static enum gmem_status populate_read(struct gmem *m, u64 g, hpa_t *out)
{
	enum gmem_status s;

	if (g >= m->ram_size)
		return GMEM_OUTSIDE;
	if (xlat_lookup(m, g, out))
		return GMEM_OK;
	if (!hpa_addr(m->zero))
		return populate_now(m, g, m->sync_level, out);
	s = map_zero(m, g);
	if (s == GMEM_OK)
		*out = hpa(hpa_addr(m->zero) + (g & (PAGE_SIZE - 1)));
	return s;
}

/*
 * Calls fn on each host chunk of [g, g+len), populating pages as it goes
 * (for Keel to write to them unless `read`).
 */
static enum gmem_status for_each_chunk(struct gmem *m, u64 g, u64 len, bool read,
				       void (*fn)(void *host, u64 n, void *arg), void *arg)
{
	while (len) {
		u64 n = MIN(len, PAGE_SIZE - (g & (PAGE_SIZE - 1)));
		hpa_t h;
		enum gmem_status s;

		if (g + n > m->ram_size || g + n < g)
			return GMEM_OUTSIDE;
		s = read ? populate_read(m, g, &h) : gmem_populate(m, gpa(g), &h);
		if (s != GMEM_OK)
			return s;
		fn(hpa_ptr(h), n, arg);
		g += n;
		len -= n;
		if (arg)
			arg = (u8 *)arg + n;
	}
	return GMEM_OK;
}

static void chunk_write(void *host, u64 n, void *src)
{
	memcpy(host, src, n);
}

static void chunk_read(void *host, u64 n, void *dst)
{
	memcpy(dst, host, n);
}

static void chunk_zero(void *host, u64 n, void *unused)
{
	memset(host, 0, n);
}

enum gmem_status gmem_write(struct gmem *m, gpa_t g, const void *src, u64 len)
{
	return for_each_chunk(m, gpa_addr(g), len, false, chunk_write, (void *)src);
}

enum gmem_status gmem_read(struct gmem *m, gpa_t g, void *dst, u64 len)
{
	return for_each_chunk(m, gpa_addr(g), len, true, chunk_read, dst);
}

enum gmem_status gmem_zero(struct gmem *m, gpa_t g, u64 len)
{
	return for_each_chunk(m, gpa_addr(g), len, false, chunk_zero, NULL);
}

bool gmem_peek(struct gmem *m, gpa_t gp, void *dst, u64 len)
{
	u64 g = gpa_addr(gp);
	u8 *d = dst;

	while (len) {
		u64 n = MIN(len, PAGE_SIZE - (g & (PAGE_SIZE - 1)));
		hpa_t h;

		if (g >= m->ram_size || !xlat_lookup(m, g, &h))
			return false;
		memcpy(d, hpa_ptr(h), n);
		g += n;
		d += n;
		len -= n;
	}
	return true;
}

/*
 * A page Keel owns (not guest RAM: the APIC-access page) mapped at g above
 * RAM. It is not counted in data_frames and must be unmapped with
 * gmem_unmap_foreign() before gmem_destroy(), which would free it.
 */
enum gmem_status gmem_map_foreign(struct gmem *m, gpa_t gp, hpa_t h)
{
	u64 g = gpa_addr(gp);
	int r;

	if (g < m->ram_size || !IS_ALIGNED(g, PAGE_SIZE))
		return GMEM_OUTSIDE;
	r = pt_map(&m->ept, g, h, PAGE_SIZE, 1, PT_PERM_RW, PT_MEM_UC);
	return r == PT_OK ? GMEM_OK : map_status(m, r);
}

enum gmem_status gmem_unmap_foreign(struct gmem *m, gpa_t gp)
{
	u64 g = gpa_addr(gp);

	if (g < m->ram_size || !IS_ALIGNED(g, PAGE_SIZE))
		return GMEM_OUTSIDE;
	/* The page is Keel's: removed, not freed; the tables it alone needed are. */
	return unmap_piece(m, g, PAGE_SIZE, false);
}
