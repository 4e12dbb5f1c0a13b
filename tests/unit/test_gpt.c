/*
 * Host tests for vm/gpt.c: the software walk of a guest's page tables,
 * run on synthetic tables in a byte array standing in for guest RAM.
 * Expected results follow Intel SDM Vol. 3A chapter 4 (4.3 32-bit paging,
 * 4.4 PAE paging, 4.5 4-level paging, 4.6 access rights, 4.7 page-fault
 * error codes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "vm/gpt.h"

#define RAM_SIZE 0x100000
#define P	 BIT(0)
#define RW	 BIT(1)
#define US	 BIT(2)
#define PS	 BIT(7)
#define XD	 BIT(63)
#define ALL	 (P | RW | US)

static u8 ram[RAM_SIZE];
static unsigned reads;

static bool ram_read(void *ctx, u64 gpa, unsigned size, u64 *val)
{
	assert_ptr_equal(ctx, ram);
	assert_true(size == 4 || size == 8);
	reads++;
	*val = 0;
	if (gpa > RAM_SIZE || size > RAM_SIZE - gpa)
		return false;
	memcpy(val, ram + gpa, size);
	return true;
}

static struct gpt_env env;
static struct gpt_result res;

static int setup(void **state)
{
	memset(ram, 0, sizeof(ram));
	reads = 0;
	env = (struct gpt_env){
	    .read = ram_read, .ctx = ram, .maxphyaddr = 40, .nxe = true, .wp = true};
	memset(&res, 0xA5, sizeof(res));
	return 0;
}

static void put32(u64 gpa, u32 v)
{
	memcpy(ram + gpa, &v, 4);
}

static void put64(u64 gpa, u64 v)
{
	memcpy(ram + gpa, &v, 8);
}

static int walk(enum gpt_mode mode, u64 cr3, u64 gva, unsigned access)
{
	return gpt_walk(&env, mode, cr3, gva, access, &res);
}

static void expect_ok(enum gpt_mode mode, u64 cr3, u64 gva, unsigned access, u64 gpa,
		      unsigned level)
{
	int s = walk(mode, cr3, gva, access);

	if (s != GPT_OK)
		fail_msg("gva 0x%lx access %u: status %d pf_error 0x%x", gva, access, s,
			 res.pf_error);
	assert_int_equal(res.gpa, gpa);
	assert_int_equal(res.level, level);
}

static void expect_pf(enum gpt_mode mode, u64 cr3, u64 gva, unsigned access, u32 pf_error)
{
	int s = walk(mode, cr3, gva, access);

	if (s != GPT_FAULT)
		fail_msg("gva 0x%lx access %u: status %d, expected #PF 0x%x", gva, access, s,
			 pf_error);
	assert_int_equal(res.pf_error, pf_error);
}

/* ---- paging off ---- */

static void test_no_paging(void **state)
{
	expect_ok(GPT_MODE_NONE, 0, 0x12345678, 0, 0x12345678, 0);
	expect_ok(GPT_MODE_NONE, 0, 0xABCD00001234ULL, GPT_ACCESS_WRITE | GPT_ACCESS_USER, 0x1234,
		  0);
	assert_int_equal(reads, 0);
}

/* ---- 32-bit paging: CR3 -> PD (1024 x 4 B) -> PT (1024 x 4 B) ---- */

#define GVA32 0x12345678U /* PD index 0x48, PT index 0x345, offset 0x678 */

static void map32_4k(u32 pde_flags, u32 pte_flags)
{
	put32(0x1000 + 0x48 * 4, 0x2000 | pde_flags);
	put32(0x2000 + 0x345 * 4, 0xABCDE000 | pte_flags);
}

static void test_32bit_4k(void **state)
{
	map32_4k(ALL, ALL);
	expect_ok(GPT_MODE_32BIT, 0x1000, GVA32, 0, 0xABCDE678, 1);
	/* CR3 bits 11:0 (PCD, PWT) and the upper half of the address are ignored. */
	expect_ok(GPT_MODE_32BIT, 0x1018, 0xFFFFFFFF00000000ULL | GVA32,
		  GPT_ACCESS_WRITE | GPT_ACCESS_USER, 0xABCDE678, 1);
	/* Bit 7 of a PTE is PAT, not PS; bits 31:12 still give the frame. */
	map32_4k(ALL, ALL | PS);
	expect_ok(GPT_MODE_32BIT, 0x1000, GVA32, 0, 0xABCDE678, 1);
}

static void test_32bit_4m(void **state)
{
	put32(0x1000 + 0x48 * 4, 0xFFC00000 | PS | ALL);
	expect_ok(GPT_MODE_32BIT, 0x1000, GVA32, GPT_ACCESS_WRITE, 0xFFC00000 | (GVA32 & 0x3FFFFF),
		  2);
	/* Bit 12 is PAT in a 4 MiB PDE, not an address bit. */
	put32(0x1000 + 0x48 * 4, 0x00400000 | BIT(12) | PS | ALL);
	expect_ok(GPT_MODE_32BIT, 0x1000, GVA32, 0, 0x00400000 | (GVA32 & 0x3FFFFF), 2);
}

/* PSE-36: PDE bits 20:13 are physical-address bits 39:32 of a 4 MiB page. */
static void test_32bit_pse36(void **state)
{
	put32(0x1000 + 0x48 * 4, 0x00800000 | (0xABU << 13) | PS | ALL);
	expect_ok(GPT_MODE_32BIT, 0x1000, GVA32, 0, 0xAB00800000ULL | (GVA32 & 0x3FFFFF), 2);
	/* Bits above MAXPHYADDR (36: entry bits 20:17) and bit 21 are reserved. */
	env.maxphyaddr = 36;
	put32(0x1000 + 0x48 * 4, 0x00800000 | (0x0FU << 13) | PS | ALL);
	expect_ok(GPT_MODE_32BIT, 0x1000, GVA32, 0, 0xF00800000ULL | (GVA32 & 0x3FFFFF), 2);
	put32(0x1000 + 0x48 * 4, 0x00800000 | BIT(17) | PS | ALL);
	expect_pf(GPT_MODE_32BIT, 0x1000, GVA32, 0, PF_ERR_P | PF_ERR_RSVD);
	env.maxphyaddr = 52; /* PSE-36 gives at most 40 bits: bit 21 stays reserved */
	put32(0x1000 + 0x48 * 4, 0x00800000 | BIT(21) | PS | ALL);
	expect_pf(GPT_MODE_32BIT, 0x1000, GVA32, GPT_ACCESS_WRITE,
		  PF_ERR_P | PF_ERR_W | PF_ERR_RSVD);
}

/* 32-bit paging has no XD: fetches are allowed, and #PF never sets I/D (no SMEP here). */
static void test_32bit_no_xd(void **state)
{
	map32_4k(ALL, ALL);
	expect_ok(GPT_MODE_32BIT, 0x1000, GVA32, GPT_ACCESS_FETCH, 0xABCDE678, 1);
	map32_4k(ALL, 0);
	expect_pf(GPT_MODE_32BIT, 0x1000, GVA32, GPT_ACCESS_FETCH, 0);
	expect_pf(GPT_MODE_32BIT, 0x1000, GVA32, GPT_ACCESS_FETCH | GPT_ACCESS_USER, PF_ERR_U);
}

static void test_32bit_faults(void **state)
{
	expect_pf(GPT_MODE_32BIT, 0x1000, GVA32, 0, 0); /* empty PD */
	expect_pf(GPT_MODE_32BIT, 0x1000, GVA32, GPT_ACCESS_WRITE | GPT_ACCESS_USER,
		  PF_ERR_W | PF_ERR_U);
	map32_4k(ALL, ALL & ~P);
	expect_pf(GPT_MODE_32BIT, 0x1000, GVA32, GPT_ACCESS_USER, PF_ERR_U);
	map32_4k(P | RW, ALL); /* supervisor-only PDE */
	expect_pf(GPT_MODE_32BIT, 0x1000, GVA32, GPT_ACCESS_USER, PF_ERR_P | PF_ERR_U);
	expect_ok(GPT_MODE_32BIT, 0x1000, GVA32, GPT_ACCESS_WRITE, 0xABCDE678, 1);
	map32_4k(ALL, P | US); /* read-only PTE */
	expect_pf(GPT_MODE_32BIT, 0x1000, GVA32, GPT_ACCESS_WRITE, PF_ERR_P | PF_ERR_W);
	env.wp = false;
	expect_ok(GPT_MODE_32BIT, 0x1000, GVA32, GPT_ACCESS_WRITE, 0xABCDE678, 1);
	expect_pf(GPT_MODE_32BIT, 0x1000, GVA32, GPT_ACCESS_WRITE | GPT_ACCESS_USER,
		  PF_ERR_P | PF_ERR_W | PF_ERR_U);
	/* No reserved bits in 32-bit PDEs (non-large) or PTEs. */
	env.wp = true;
	map32_4k(ALL | BIT(8), ALL | BIT(8) | BIT(9));
	expect_ok(GPT_MODE_32BIT, 0x1000, GVA32, 0, 0xABCDE678, 1);
}

/* ---- PAE: CR3 (32-byte aligned) -> 4 PDPTEs -> PD -> PT, 8-byte entries ---- */

#define GVA_PAE 0xC0654321U /* PDPT index 3, PD index 3, PT index 0x54, offset 0x321 */

static void map_pae(u64 pdpte_flags, u64 pde, u64 pte)
{
	put64(0x1020 + 3 * 8, 0x3000 | pdpte_flags);
	put64(0x3000 + 3 * 8, pde);
	put64(0x4000 + 0x54 * 8, pte);
}

static void test_pae_4k_and_2m(void **state)
{
	map_pae(P, 0x4000 | ALL, 0x123456000ULL | ALL);
	expect_ok(GPT_MODE_PAE, 0x1020, GVA_PAE, GPT_ACCESS_WRITE | GPT_ACCESS_USER, 0x123456321ULL,
		  1);
	/* The upper half of the address is ignored. */
	expect_ok(GPT_MODE_PAE, 0x1020, 0xFFFF0000ULL << 32 | GVA_PAE, 0, 0x123456321ULL, 1);
	map_pae(P, 0x87600000ULL | PS | ALL, 0);
	expect_ok(GPT_MODE_PAE, 0x1020, GVA_PAE, 0, 0x87600000ULL | (GVA_PAE & 0x1FFFFF), 2);
	/* Bit 12 of a 2 MiB PDE is PAT, not an address bit. */
	map_pae(P, 0x87600000ULL | BIT(12) | PS | ALL, 0);
	expect_ok(GPT_MODE_PAE, 0x1020, GVA_PAE, 0, 0x87600000ULL | (GVA_PAE & 0x1FFFFF), 2);
}

/* PDPTEs have no R/W, U/S or XD: they restrict nothing. */
static void test_pae_pdpte(void **state)
{
	map_pae(P, 0x4000 | ALL, 0x5000 | ALL);
	expect_ok(GPT_MODE_PAE, 0x1020, GVA_PAE,
		  GPT_ACCESS_WRITE | GPT_ACCESS_USER | GPT_ACCESS_FETCH, 0x5321, 1);
	map_pae(0, 0x4000 | ALL, 0x5000 | ALL);
	expect_pf(GPT_MODE_PAE, 0x1020, GVA_PAE, GPT_ACCESS_WRITE, PF_ERR_W);
	/* Reserved in a PDPTE: bits 2:1, 8:5, 63:MAXPHYADDR (so also XD). */
	static const u64 rsvd[] = {BIT(1), BIT(2),  BIT(5),  BIT(6),  BIT(7),
				   BIT(8), BIT(40), BIT(52), BIT(62), XD};
	for (unsigned i = 0; i < sizeof(rsvd) / sizeof(rsvd[0]); i++) {
		map_pae(P | rsvd[i], 0x4000 | ALL, 0x5000 | ALL);
		expect_pf(GPT_MODE_PAE, 0x1020, GVA_PAE, 0, PF_ERR_P | PF_ERR_RSVD);
	}
	/* Bits 3, 4 (PWT, PCD) and 11:9 (ignored) are allowed. */
	map_pae(P | BIT(3) | BIT(4) | BIT(9) | BIT(11), 0x4000 | ALL, 0x5000 | ALL);
	expect_ok(GPT_MODE_PAE, 0x1020, GVA_PAE, 0, 0x5321, 1);
}

/* PAE entries have no ignored high bits: 62:MAXPHYADDR are all reserved. */
static void test_pae_reserved(void **state)
{
	map_pae(P, 0x4000 | ALL, 0x5000 | ALL | BIT(52));
	expect_pf(GPT_MODE_PAE, 0x1020, GVA_PAE, 0, PF_ERR_P | PF_ERR_RSVD);
	map_pae(P, 0x4000 | ALL | BIT(62), 0x5000 | ALL);
	expect_pf(GPT_MODE_PAE, 0x1020, GVA_PAE, GPT_ACCESS_USER,
		  PF_ERR_P | PF_ERR_U | PF_ERR_RSVD);
	map_pae(P, 0x4000 | ALL, 0x5000 | ALL | BIT(40));
	expect_pf(GPT_MODE_PAE, 0x1020, GVA_PAE, 0, PF_ERR_P | PF_ERR_RSVD);
	/* 2 MiB page: bits 20:13 are reserved. */
	map_pae(P, 0x87600000ULL | BIT(13) | PS | ALL, 0);
	expect_pf(GPT_MODE_PAE, 0x1020, GVA_PAE, 0, PF_ERR_P | PF_ERR_RSVD);
	map_pae(P, 0x87600000ULL | BIT(20) | PS | ALL, 0);
	expect_pf(GPT_MODE_PAE, 0x1020, GVA_PAE, 0, PF_ERR_P | PF_ERR_RSVD);
	/* With MAXPHYADDR 52 the same high bits are address bits. */
	env.maxphyaddr = 52;
	map_pae(P, 0x4000 | ALL, 0x5000 | ALL | BIT(40));
	expect_ok(GPT_MODE_PAE, 0x1020, GVA_PAE, 0, BIT(40) | 0x5321, 1);
}

/* ---- 4-level: PML4 -> PDPT -> PD -> PT ---- */

/* PML4 index 0x1FF, PDPT 0x1FE, PD 0x1FD, PT 0x1FC, offset 0xABC (canonical, upper half). */
#define GVA64 0xFFFFFFFFBFBFCABCULL

static void map64(u64 pml4e, u64 pdpte, u64 pde, u64 pte)
{
	put64(0x1000 + 0x1FF * 8, pml4e);
	put64(0x2000 + 0x1FE * 8, pdpte);
	put64(0x3000 + 0x1FD * 8, pde);
	put64(0x4000 + 0x1FC * 8, pte);
}

static void map64_4k(u64 pte)
{
	map64(0x2000 | ALL, 0x3000 | ALL, 0x4000 | ALL, pte);
}

static void test_4level_leaves(void **state)
{
	map64_4k(0x8765432000ULL | ALL);
	expect_ok(GPT_MODE_4LEVEL, 0x1000, GVA64, GPT_ACCESS_WRITE | GPT_ACCESS_USER,
		  0x8765432ABCULL, 1);
	/* CR3 bits 11:0 (PCID or PWT/PCD) are not address bits. */
	expect_ok(GPT_MODE_4LEVEL, 0x1FFF, GVA64, 0, 0x8765432ABCULL, 1);
	map64(0x2000 | ALL, 0x3000 | ALL, 0x8765400000ULL | BIT(12) | PS | ALL, 0);
	expect_ok(GPT_MODE_4LEVEL, 0x1000, GVA64, 0, 0x8765400000ULL | (GVA64 & 0x1FFFFF), 2);
	map64(0x2000 | ALL, 0x8740000000ULL | BIT(12) | PS | ALL, 0, 0);
	expect_ok(GPT_MODE_4LEVEL, 0x1000, GVA64, GPT_ACCESS_FETCH,
		  0x8740000000ULL | (GVA64 & 0x3FFFFFFF), 3);
	/* Bits 58:52 are ignored, 62:59 protection keys (not enabled): no effect. */
	map64_4k(0x5000 | ALL | (0x7FFULL << 52));
	expect_ok(GPT_MODE_4LEVEL, 0x1000, GVA64, 0, 0x5ABC, 1);
}

static void test_4level_reserved(void **state)
{
	map64_4k(0x5000 | ALL | BIT(40)); /* MAXPHYADDR 40 */
	expect_pf(GPT_MODE_4LEVEL, 0x1000, GVA64, GPT_ACCESS_WRITE,
		  PF_ERR_P | PF_ERR_W | PF_ERR_RSVD);
	map64(0x2000 | ALL | BIT(51), 0x3000 | ALL, 0x4000 | ALL, 0x5000 | ALL);
	expect_pf(GPT_MODE_4LEVEL, 0x1000, GVA64, 0, PF_ERR_P | PF_ERR_RSVD);
	/* PS is reserved in a PML4E. */
	map64(0x2000 | ALL | PS, 0x3000 | ALL, 0x4000 | ALL, 0x5000 | ALL);
	expect_pf(GPT_MODE_4LEVEL, 0x1000, GVA64, 0, PF_ERR_P | PF_ERR_RSVD);
	/* 2 MiB page: bits 20:13; 1 GiB page: bits 29:13. */
	map64(0x2000 | ALL, 0x3000 | ALL, 0x8765400000ULL | BIT(13) | PS | ALL, 0);
	expect_pf(GPT_MODE_4LEVEL, 0x1000, GVA64, 0, PF_ERR_P | PF_ERR_RSVD);
	map64(0x2000 | ALL, 0x8740000000ULL | BIT(29) | PS | ALL, 0, 0);
	expect_pf(GPT_MODE_4LEVEL, 0x1000, GVA64, 0, PF_ERR_P | PF_ERR_RSVD);
	map64(0x2000 | ALL, 0x8740000000ULL | BIT(21) | PS | ALL, 0, 0);
	expect_pf(GPT_MODE_4LEVEL, 0x1000, GVA64, GPT_ACCESS_USER,
		  PF_ERR_P | PF_ERR_U | PF_ERR_RSVD);
	/* Non-leaf entries: bits 8:7 of a PDE/PDPTE pointing to a table are fine (7 = PS=0). */
	map64(0x2000 | ALL, 0x3000 | ALL | BIT(8), 0x4000 | ALL | BIT(8), 0x5000 | ALL | BIT(8));
	expect_ok(GPT_MODE_4LEVEL, 0x1000, GVA64, 0, 0x5ABC, 1);
	/* An absent maxphyaddr means 52. */
	env.maxphyaddr = 0;
	map64_4k(0x5000 | ALL | BIT(51));
	expect_ok(GPT_MODE_4LEVEL, 0x1000, GVA64, 0, BIT(51) | 0x5ABC, 1);
}

/* A reserved bit is reported even where the access rights would also deny. */
static void test_reserved_before_rights(void **state)
{
	map64(0x2000 | P, 0x3000 | ALL, 0x4000 | ALL, 0x5000 | ALL | BIT(45));
	expect_pf(GPT_MODE_4LEVEL, 0x1000, GVA64, GPT_ACCESS_WRITE | GPT_ACCESS_USER,
		  PF_ERR_P | PF_ERR_W | PF_ERR_U | PF_ERR_RSVD);
}

static void test_xd(void **state)
{
	map64_4k(0x5000 | ALL | XD);
	expect_ok(GPT_MODE_4LEVEL, 0x1000, GVA64, GPT_ACCESS_WRITE, 0x5ABC, 1);
	expect_pf(GPT_MODE_4LEVEL, 0x1000, GVA64, GPT_ACCESS_FETCH, PF_ERR_P | PF_ERR_I);
	expect_pf(GPT_MODE_4LEVEL, 0x1000, GVA64, GPT_ACCESS_FETCH | GPT_ACCESS_USER,
		  PF_ERR_P | PF_ERR_U | PF_ERR_I);
	/* XD at any level applies to the whole translation. */
	map64(0x2000 | ALL | XD, 0x3000 | ALL, 0x4000 | ALL, 0x5000 | ALL);
	expect_pf(GPT_MODE_4LEVEL, 0x1000, GVA64, GPT_ACCESS_FETCH, PF_ERR_P | PF_ERR_I);
	/* Without EFER.NXE, bit 63 is reserved, and I/D is never set. */
	env.nxe = false;
	expect_pf(GPT_MODE_4LEVEL, 0x1000, GVA64, GPT_ACCESS_FETCH, PF_ERR_P | PF_ERR_RSVD);
	map64_4k(0x5000 | ALL);
	expect_ok(GPT_MODE_4LEVEL, 0x1000, GVA64, GPT_ACCESS_FETCH, 0x5ABC, 1);
	map64_4k(0x5000);
	expect_pf(GPT_MODE_4LEVEL, 0x1000, GVA64, GPT_ACCESS_FETCH, 0);
	/* PAE with NXE: XD works the same way. */
	env.nxe = true;
	map_pae(P, 0x4000 | ALL | XD, 0x5000 | ALL);
	expect_pf(GPT_MODE_PAE, 0x1020, GVA_PAE, GPT_ACCESS_FETCH, PF_ERR_P | PF_ERR_I);
	map_pae(P, 0x4000 | ALL, 0x5000 | (ALL & ~P));
	expect_pf(GPT_MODE_PAE, 0x1020, GVA_PAE, GPT_ACCESS_FETCH, PF_ERR_I);
}

static void test_4level_rights(void **state)
{
	/* U/S clear at the top level makes every page below supervisor-only. */
	map64(0x2000 | P | RW, 0x3000 | ALL, 0x4000 | ALL, 0x5000 | ALL);
	expect_pf(GPT_MODE_4LEVEL, 0x1000, GVA64, GPT_ACCESS_USER, PF_ERR_P | PF_ERR_U);
	expect_ok(GPT_MODE_4LEVEL, 0x1000, GVA64, GPT_ACCESS_WRITE | GPT_ACCESS_FETCH, 0x5ABC, 1);
	/* R/W clear in the PDPTE of a 1 GiB page. */
	map64(0x2000 | ALL, 0x8740000000ULL | PS | P | US, 0, 0);
	expect_pf(GPT_MODE_4LEVEL, 0x1000, GVA64, GPT_ACCESS_WRITE, PF_ERR_P | PF_ERR_W);
	expect_pf(GPT_MODE_4LEVEL, 0x1000, GVA64, GPT_ACCESS_WRITE | GPT_ACCESS_USER,
		  PF_ERR_P | PF_ERR_W | PF_ERR_U);
	expect_ok(GPT_MODE_4LEVEL, 0x1000, GVA64, GPT_ACCESS_USER,
		  0x8740000000ULL | (GVA64 & 0x3FFFFFFF), 3);
	env.wp = false; /* supervisor writes ignore R/W */
	expect_ok(GPT_MODE_4LEVEL, 0x1000, GVA64, GPT_ACCESS_WRITE,
		  0x8740000000ULL | (GVA64 & 0x3FFFFFFF), 3);
	/* Not present at each level: P=0 in the error code, access bits kept. */
	env.wp = true;
	for (unsigned lvl = 0; lvl < 4; lvl++) {
		u64 e[4] = {0x2000 | ALL, 0x3000 | ALL, 0x4000 | ALL, 0x5000 | ALL};

		e[lvl] &= ~P;
		map64(e[0], e[1], e[2], e[3]);
		expect_pf(GPT_MODE_4LEVEL, 0x1000, GVA64, GPT_ACCESS_WRITE | GPT_ACCESS_USER,
			  PF_ERR_W | PF_ERR_U);
		/* A not-present entry's other bits, reserved or not, do not matter. */
		e[lvl] = ~P;
		map64(e[0], e[1], e[2], e[3]);
		expect_pf(GPT_MODE_4LEVEL, 0x1000, GVA64, 0, 0);
	}
}

/* Bits 47:0 select entries; 63:48 (sign extension) do not. */
static void test_4level_indices(void **state)
{
	put64(0x1000, 0x2000 | ALL);
	put64(0x2000 + 1 * 8, 0x3000 | ALL);
	put64(0x3000 + 2 * 8, 0x4000 | ALL);
	put64(0x4000 + 3 * 8, 0x9000 | ALL);
	expect_ok(GPT_MODE_4LEVEL, 0x1000, (1ULL << 30) | (2ULL << 21) | (3ULL << 12) | 0x7, 0,
		  0x9007, 1);
	put64(0x1000 + 0x100 * 8, 0x2000 | ALL);
	expect_ok(GPT_MODE_4LEVEL, 0x1000,
		  0xFFFF800000000000ULL | (1ULL << 30) | (2ULL << 21) | (3ULL << 12), 0, 0x9000, 1);
}

/* A PML4 entry pointing back at the PML4: four reads, then a result. */
static void test_self_reference(void **state)
{
	u64 gva = (5ULL << 39) | (5ULL << 30) | (5ULL << 21) | (5ULL << 12) | 0x123;

	put64(0x1000 + 5 * 8, 0x1000 | ALL);
	expect_ok(GPT_MODE_4LEVEL, 0x1000, gva, GPT_ACCESS_WRITE, 0x1123, 1);
	assert_int_equal(reads, 4);
	/* The same with PAE: PD entry 0 naming the PD itself. */
	reads = 0;
	put64(0x1020, 0x3000 | P);
	put64(0x3000, 0x3000 | ALL);
	expect_ok(GPT_MODE_PAE, 0x1020, 0x456, 0, 0x3456, 1);
	assert_int_equal(reads, 3);
	/* And 32-bit: PDE 0 naming the PD itself. */
	reads = 0;
	put32(0x6000, 0x6000 | ALL);
	expect_ok(GPT_MODE_32BIT, 0x6000, 0x789, 0, 0x6789, 1);
	assert_int_equal(reads, 2);
}

static void test_bad_memory(void **state)
{
	assert_int_equal(walk(GPT_MODE_4LEVEL, 0x200000, GVA64, 0), GPT_BAD_MEMORY);
	assert_int_equal(res.bad_gpa, 0x200000 + 0x1FF * 8);
	map64(0x2000 | ALL, 0x3000 | ALL, 0x40000000ULL | ALL, 0);
	assert_int_equal(walk(GPT_MODE_4LEVEL, 0x1000, GVA64, 0), GPT_BAD_MEMORY);
	assert_int_equal(res.bad_gpa, 0x40000000ULL + 0x1FC * 8);
	/* A table whose last entry would straddle the end of RAM. */
	put64(0x3000 + 0x1FD * 8, (RAM_SIZE - 0x1000) | ALL);
	put64(RAM_SIZE - 0x1000 + 0x1FC * 8, 0x5000 | ALL);
	expect_ok(GPT_MODE_4LEVEL, 0x1000, GVA64, 0, 0x5ABC, 1);
	put32(0x1000 + 0x48 * 4, 0xFFFFF000 | ALL);
	assert_int_equal(walk(GPT_MODE_32BIT, 0x1000, GVA32, 0), GPT_BAD_MEMORY);
	assert_int_equal(res.bad_gpa, 0xFFFFF000ULL + 0x345 * 4);
	assert_int_equal(walk(GPT_MODE_PAE, 0xFFFFFFE0, GVA_PAE, 0), GPT_BAD_MEMORY);
	assert_int_equal(res.bad_gpa, 0xFFFFFFE0ULL + 3 * 8);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup(fn, setup)
	const struct CMUnitTest tests[] = {
	    T(test_no_paging),
	    T(test_32bit_4k),
	    T(test_32bit_4m),
	    T(test_32bit_pse36),
	    T(test_32bit_no_xd),
	    T(test_32bit_faults),
	    T(test_pae_4k_and_2m),
	    T(test_pae_pdpte),
	    T(test_pae_reserved),
	    T(test_4level_leaves),
	    T(test_4level_reserved),
	    T(test_reserved_before_rights),
	    T(test_xd),
	    T(test_4level_rights),
	    T(test_4level_indices),
	    T(test_self_reference),
	    T(test_bad_memory),
	};

	return cmocka_run_group_tests_name("gpt", tests, NULL, NULL);
}
