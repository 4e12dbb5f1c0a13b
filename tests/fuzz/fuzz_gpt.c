/*
 * libFuzzer target for vm/gpt.c: gpt_walk() over fuzzed guest memory.
 * Input: 1 byte (bits 1:0 mode, 4:2 access, 5 EFER.NXE, 6 CR0.WP), 1 byte
 * MAXPHYADDR (0 = default, else 32..52), 8 bytes CR3, 8 bytes the linear
 * address, then guest RAM from GPA 0 (an exactly-sized heap buffer, read
 * through env.read). Checks, beyond "no crash": every read is one aligned
 * entry of the mode's size and at most one per level; GPT_OK comes from a
 * present leaf at a level that may hold one and its GPA is that leaf's
 * frame plus the address's offset, below MAXPHYADDR; GPT_BAD_MEMORY names
 * the read that failed; a #PF error code matches the access; and the walk
 * is monotonic: an allowed access stays allowed for any sub-access and with
 * CR0.WP clear, and a not-present or reserved-bit fault happens for every access.
 */
#include "tests/fuzz/fuzz_check.h"

#include "vm/gpt.h"

#define PTE_P  BIT(0)
#define PTE_PS BIT(7)

/* Guest RAM and what the walk read from it. */
struct ram {
	const u8 *bytes;
	size_t size;
	unsigned reads;
	u64 last_gpa; /* the last read's address and value */
	u64 last_val;
	bool last_ok;
};

struct walk_case {
	struct gpt_env env;
	enum gpt_mode mode;
	u64 cr3, gva;
	unsigned access;
};

static bool ram_read(void *ctx, u64 gpa, unsigned size, u64 *val)
{
	struct ram *r = ctx;

	FUZZ_CHECK(size == 4 || size == 8);
	FUZZ_CHECK(gpa % size == 0);
	FUZZ_CHECK(++r->reads <= 4);
	r->last_gpa = gpa;
	r->last_ok = gpa <= r->size && size <= r->size - gpa;
	r->last_val = 0;
	if (r->last_ok)
		memcpy(&r->last_val, r->bytes + gpa, size);
	*val = r->last_val;
	return r->last_ok;
}

static int walk(const struct walk_case *c, struct gpt_result *res)
{
	struct ram *r = c->env.ctx;

	r->reads = 0;
	return gpt_walk(&c->env, c->mode, c->cr3, c->gva, c->access, res);
}

static unsigned levels_of(enum gpt_mode mode)
{
	return mode == GPT_MODE_32BIT ? 2 : mode == GPT_MODE_PAE ? 3 : 4;
}

/* The GPA a present leaf entry e at `level` maps gva to (SDM 4.3-4.5). */
static u64 expected_gpa(const struct walk_case *c, unsigned level, u64 e)
{
	unsigned m = c->env.maxphyaddr ? c->env.maxphyaddr : 52;
	u64 gva = c->mode == GPT_MODE_4LEVEL ? c->gva : c->gva & 0xFFFFFFFF;
	u64 size = c->mode == GPT_MODE_32BIT && level == 2 ? BIT(22) : BIT(12 + 9 * (level - 1));

	if (c->mode == GPT_MODE_32BIT)
		return level == 1 ? (e & 0xFFFFF000) | (gva & 0xFFF)
				  : (e & 0xFFC00000) | (e >> 13 & 0xFF) << 32 | (gva & (size - 1));
	return (e & (BIT(m) - 1) & ~(size - 1)) | (gva & (size - 1));
}

static void check_ok(const struct walk_case *c, const struct gpt_result *res)
{
	const struct ram *r = c->env.ctx;
	unsigned levels = levels_of(c->mode);
	unsigned m = c->env.maxphyaddr ? c->env.maxphyaddr : 52;

	if (c->mode == GPT_MODE_NONE) {
		FUZZ_CHECK(r->reads == 0 && res->level == 0 && res->gpa == (c->gva & 0xFFFFFFFF));
		return;
	}
	FUZZ_CHECK(res->level >= 1 && res->level <= (c->mode == GPT_MODE_4LEVEL ? 3U : 2U));
	FUZZ_CHECK(r->reads == levels - res->level + 1);
	FUZZ_CHECK(r->last_ok && (r->last_val & PTE_P));
	FUZZ_CHECK(res->level == 1 || (r->last_val & PTE_PS));
	FUZZ_CHECK(res->gpa == expected_gpa(c, res->level, r->last_val));
	if (c->mode == GPT_MODE_32BIT)
		m = res->level == 1 ? 32 : MIN(m, 40U);
	FUZZ_CHECK(res->gpa < BIT(m));
}

static void check_fault(const struct walk_case *c, const struct gpt_result *res)
{
	const struct ram *r = c->env.ctx;
	u32 pf = res->pf_error;
	bool id = (c->access & GPT_ACCESS_FETCH) && c->mode != GPT_MODE_32BIT && c->env.nxe;

	FUZZ_CHECK(c->mode != GPT_MODE_NONE && r->last_ok);
	FUZZ_CHECK(!(pf & ~(u32)(PF_ERR_P | PF_ERR_W | PF_ERR_U | PF_ERR_RSVD | PF_ERR_I)));
	FUZZ_CHECK(!!(pf & PF_ERR_P) == !!(r->last_val & PTE_P));
	FUZZ_CHECK(!(pf & PF_ERR_RSVD) || (pf & PF_ERR_P));
	FUZZ_CHECK(!!(pf & PF_ERR_W) == !!(c->access & GPT_ACCESS_WRITE));
	FUZZ_CHECK(!!(pf & PF_ERR_U) == !!(c->access & GPT_ACCESS_USER));
	FUZZ_CHECK(!!(pf & PF_ERR_I) == id);
}

/* An allowed access stays allowed, at the same GPA, with fewer demands. */
static void check_monotonic_ok(struct walk_case c, const struct gpt_result *res)
{
	unsigned access = c.access;
	struct gpt_result again;

	for (unsigned sub = 0; sub < 8; sub++) {
		if ((sub & access) != sub)
			continue;
		c.access = sub;
		FUZZ_CHECK(walk(&c, &again) == GPT_OK);
		FUZZ_CHECK(again.gpa == res->gpa && again.level == res->level);
	}
	c.access = access;
	c.env.wp = false;
	FUZZ_CHECK(walk(&c, &again) == GPT_OK && again.gpa == res->gpa);
}

/* Not-present and reserved-bit faults do not depend on the access. */
static void check_structural_fault(struct walk_case c, const struct gpt_result *res)
{
	u32 kind = res->pf_error & (PF_ERR_P | PF_ERR_RSVD);
	struct gpt_result again;

	if (kind == PF_ERR_P)
		return; /* a protection fault: depends on the access */
	for (unsigned a = 0; a < 8; a++) {
		c.access = a;
		FUZZ_CHECK(walk(&c, &again) == GPT_FAULT);
		FUZZ_CHECK((again.pf_error & (PF_ERR_P | PF_ERR_RSVD)) == kind);
	}
}

static void run(const struct walk_case *c)
{
	const struct ram *r = c->env.ctx;
	struct gpt_result res;
	int s = walk(c, &res);

	if (s == GPT_OK) {
		check_ok(c, &res);
		check_monotonic_ok(*c, &res);
	} else if (s == GPT_FAULT) {
		check_fault(c, &res);
		check_structural_fault(*c, &res);
	} else {
		FUZZ_CHECK(s == GPT_BAD_MEMORY);
		FUZZ_CHECK(!r->last_ok && res.bad_gpa == r->last_gpa);
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	u8 flags = (u8)fuzz_take(&data, &size, 1);
	u8 phys = (u8)fuzz_take(&data, &size, 1);
	struct ram r = {0};
	struct walk_case c = {
	    .env = {.read = ram_read,
		    .ctx = &r,
		    .maxphyaddr = phys ? 32 + phys % 21 : 0,
		    .nxe = flags & BIT(5),
		    .wp = flags & BIT(6)},
	    .mode = (enum gpt_mode)(flags & 3),
	    .access = flags >> 2 & 7,
	};
	u8 *mem;

	c.cr3 = fuzz_take(&data, &size, 8);
	c.gva = fuzz_take(&data, &size, 8);
	mem = malloc(size ? size : 1);
	memcpy(mem, data, size);
	r.bytes = mem;
	r.size = size;
	run(&c);
	free(mem);
	return 0;
}
